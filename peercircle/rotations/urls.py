from django.urls import path

from peercircle.rotations import views

app_name = "rotations"

urlpatterns = [
    path("<slug:slug>/", views.scheme_rotations, name="scheme"),
    path("<slug:slug>/preview/", views.round_preview, name="preview"),
    path("<slug:slug>/rounds/<int:pk>/", views.round_detail, name="round"),
    path("<slug:slug>/rounds/<int:pk>/progress/", views.round_progress, name="progress"),
    path("<slug:slug>/rounds/<int:pk>/approve/", views.round_approve, name="approve"),
    path("<slug:slug>/rounds/<int:pk>/publish/", views.round_publish, name="publish"),
    path("<slug:slug>/rounds/<int:pk>/cancel/", views.round_cancel, name="cancel"),
    path("<slug:slug>/people/<int:person_id>/", views.person_history, name="history"),
]
