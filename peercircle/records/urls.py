from django.urls import path

from peercircle.records import views

app_name = "records"

urlpatterns = [
    path("relationship/<int:pk>/", views.record_list, name="list"),
    path("safeguarding/", views.break_glass_log, name="break_glass_log"),
    path("meeting/<int:pk>/", views.record_for_meeting, name="for_meeting"),
    path("meeting/<int:pk>/new/", views.record_create, name="create"),
    path("<int:pk>/", views.record_detail, name="detail"),
    path("<int:pk>/edit/", views.record_edit, name="edit"),
    path("<int:pk>/export/", views.record_export, name="export"),
    path("<int:pk>/safeguarding/", views.record_break_glass, name="break_glass"),
]
