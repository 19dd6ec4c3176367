from django.urls import path

from peercircle.people import import_views, views

app_name = "people"

urlpatterns = [
    path("", views.person_list, name="list"),
    path("new/", views.person_create, name="create"),
    path("import/", import_views.import_upload, name="import"),
    path("import/confirm/", import_views.import_confirm, name="import_confirm"),
    path("import/template.<str:fmt>", import_views.import_template, name="import_template"),
    path("<int:pk>/", views.person_detail, name="detail"),
    path("<int:pk>/edit/", views.person_edit, name="edit"),
    path("<int:pk>/personal/", views.person_sensitive, name="sensitive"),
    path("<int:pk>/schemes/add/", views.membership_add, name="membership_add"),
    path("<int:pk>/training/add/", views.training_add, name="training_add"),
    path(
        "<int:pk>/training/<int:record_id>/delete/", views.training_delete, name="training_delete"
    ),
    path("<int:pk>/invite/", views.invite, name="invite"),
    path("<int:pk>/two-factor/reset/", views.two_factor_reset, name="two_factor_reset"),
    path("memberships/<int:pk>/status/", views.membership_status, name="membership_status"),
    path("memberships/<int:pk>/recruitment/", views.recruitment_step, name="recruitment_step"),
    path("memberships/<int:pk>/application/", views.application, name="application"),
]
