from django.urls import path

from peercircle.concerns import views

app_name = "concerns"

urlpatterns = [
    path("", views.concern_list_view, name="list"),
    path("new/", views.concern_create, name="create"),
    path("ask-for-support/", views.support_request, name="support"),
    path("pairs-not-meeting/", views.silent_pairs_view, name="silent"),
    path("<int:pk>/", views.concern_detail, name="detail"),
    path("<int:pk>/take/", views.concern_take, name="take"),
    path("<int:pk>/owner/", views.concern_assign, name="assign"),
    path("<int:pk>/status/", views.concern_status, name="status"),
    path("<int:pk>/notes/", views.concern_note, name="note"),
]
