from django.urls import path

from peercircle.schemes import views

app_name = "schemes"

urlpatterns = [
    path("", views.scheme_list, name="list"),
    path("new/", views.scheme_create, name="create"),
    path("<slug:slug>/", views.scheme_detail, name="detail"),
    path("<slug:slug>/settings/", views.scheme_settings, name="settings"),
    path("<slug:slug>/eligibility/", views.scheme_eligibility, name="eligibility"),
]
