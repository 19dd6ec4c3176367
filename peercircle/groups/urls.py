from django.urls import path

from peercircle.groups import views

app_name = "groups"

urlpatterns = [
    path("", views.my_groups, name="mine"),
    path("<int:pk>/", views.group_detail, name="detail"),
    path("<int:pk>/rename/", views.group_rename, name="rename"),
    path("<int:pk>/close/", views.group_close, name="close"),
    path("<int:pk>/add/", views.group_add_member, name="add_member"),
    path("<int:pk>/remove/", views.group_remove_member, name="remove_member"),
    path("scheme/<slug:slug>/", views.scheme_groups_view, name="scheme"),
    path("scheme/<slug:slug>/form/", views.formation_create, name="form"),
    path("formations/<int:pk>/", views.formation_detail, name="formation"),
    path("formations/<int:pk>/progress/", views.formation_progress, name="progress"),
    path("formations/<int:pk>/move/", views.formation_move, name="move"),
    path("formations/<int:pk>/rerun/", views.formation_rerun, name="rerun"),
    path("formations/<int:pk>/discard/", views.formation_discard, name="discard"),
    path("formations/<int:pk>/confirm/", views.formation_confirm, name="confirm"),
]
