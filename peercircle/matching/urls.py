from django.urls import path

from peercircle.matching import views

app_name = "matching"

urlpatterns = [
    path("schemes/<slug:slug>/", views.scheme_runs, name="runs"),
    path("runs/<int:run_id>/", views.run_detail, name="run"),
    path("runs/<int:run_id>/progress/", views.run_progress, name="progress"),
    path(
        "runs/<int:run_id>/pairs/<int:pair_id>/<str:action>/",
        views.pair_action,
        name="pair_action",
    ),
    path("runs/<int:run_id>/set/", views.pair_set, name="set"),
    path("runs/<int:run_id>/swap/", views.pair_swap, name="swap"),
    path("runs/<int:run_id>/rerun/", views.run_rerun, name="rerun"),
    path("runs/<int:run_id>/send/", views.run_send, name="send"),
    path("runs/<int:run_id>/confirm/", views.run_confirm, name="confirm"),
    path("runs/<int:run_id>/consult/", views.consult, name="consult"),
]
