from django.urls import path

from peercircle.organisations import views

app_name = "organisations"

urlpatterns = [
    path("settings/", views.organisation_settings, name="settings"),
]
