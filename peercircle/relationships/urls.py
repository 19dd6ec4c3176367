from django.urls import path

from peercircle.relationships import views
from peercircle.relationships.agreements import views as agreements
from peercircle.relationships.allegations import views as allegations
from peercircle.relationships.endings import views as endings
from peercircle.relationships.importing import views as importing

app_name = "relationships"

urlpatterns = [
    path("", views.relationship_list_view, name="list"),
    path("new/", views.relationship_create, name="create"),
    path("import/", importing.import_upload, name="import"),
    path("import/confirm/", importing.import_confirm, name="import_confirm"),
    path("import/template.csv", importing.import_template, name="import_template"),
    path("<int:pk>/", views.relationship_detail, name="detail"),
    path("<int:pk>/status/", views.relationship_status, name="status"),
    path("<int:pk>/planned-end/", views.relationship_planned_end, name="planned_end"),
    path("<int:pk>/end/", views.relationship_end, name="end"),
    path("<int:pk>/agreement/", agreements.agreement_page, name="agreement"),
    path("<int:pk>/agreement/edit/", agreements.agreement_edit, name="agreement_edit"),
    path("<int:pk>/agreement/accept/", agreements.agreement_accept, name="agreement_accept"),
    path("<int:pk>/agreement/copy/", agreements.agreement_download, name="agreement_download"),
    path("<int:pk>/confidentiality/", agreements.confidentiality, name="confidentiality"),
    path("<int:pk>/change/", endings.ask_for_change, name="change"),
    path("<int:pk>/disagreements/new/", endings.disagreement_create, name="disagreement_create"),
    path("<int:pk>/feedback/", endings.feedback, name="feedback"),
    path("disagreements/<int:pk>/", endings.disagreement_detail, name="disagreement"),
    path(
        "disagreements/<int:pk>/meeting/", endings.disagreement_meeting, name="disagreement_meeting"
    ),
    path(
        "disagreements/<int:pk>/outcome/", endings.disagreement_outcome, name="disagreement_outcome"
    ),
    path("schemes/<slug:slug>/agreement/", agreements.template_edit, name="agreement_template"),
    path("allegations/", allegations.allegation_list, name="allegations"),
    path("allegations/new/", allegations.allegation_create, name="allegation_create"),
    path("allegations/<int:pk>/", allegations.allegation_detail, name="allegation"),
    path(
        "allegations/<int:pk>/outcome/",
        allegations.allegation_conclude,
        name="allegation_conclude",
    ),
    path(
        "allegations/<int:pk>/support/", allegations.allegation_support, name="allegation_support"
    ),
]
