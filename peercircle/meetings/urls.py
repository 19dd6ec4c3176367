from django.urls import path

from peercircle.meetings import views

app_name = "meetings"

urlpatterns = [
    path("relationship/<int:pk>/", views.relationship_meetings, name="relationship"),
    path("relationship/<int:pk>/book/", views.meeting_book, name="book"),
    path("relationship/<int:pk>/log/", views.meeting_log, name="log"),
    path("<int:pk>/change/", views.meeting_change, name="change"),
    path("<int:pk>/status/", views.meeting_status, name="status"),
    path("calendar/", views.calendar_settings, name="calendar"),
]
