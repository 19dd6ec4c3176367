"""The import pages: upload and check, confirm, and the templates."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from peercircle.conftest import Cast
from peercircle.people.import_views import SESSION_KEY
from peercircle.people.models import Membership, Person

pytestmark = pytest.mark.django_db

GOOD = (
    b"ID,First name,Last name,Scheme,Role,Status\n"
    b"V1,Val,Page,mentoring,Mentee,Approved\n"
    b"V2,Vic,Page,mentoring,Mentor,In training\n"
)
BAD = GOOD.replace(b"In training", b"Trainee")

ClientFor = Callable[[Person], Client]


def upload(client: Client, data: bytes, name: str = "people.csv") -> str:
    response = client.post(reverse("people:import"), {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_offers_the_templates_and_documents_every_column(
    cast: Cast, client_for: ClientFor
) -> None:
    body = client_for(cast.cora).get(reverse("people:import")).content.decode()
    assert "Check the file" in body
    assert reverse("people:import_template", args=["xlsx"]) in body
    assert "Prefers to be matched with" in body and "Working hours" in body


def test_a_good_file_is_checked_then_imported_on_confirmation(
    cast: Cast, client_for: ClientFor
) -> None:
    client = client_for(cast.cora)
    body = upload(client, GOOD)
    assert "people.csv is ready to import" in body
    assert "Import 2 people" in body
    assert not Person.objects.filter(external_id__in=["V1", "V2"]).exists()

    check = client.session[SESSION_KEY]["sha256"]
    response = client.post(reverse("people:import_confirm"), {"check": check}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("people:list")
    assert "Imported 2 people from people.csv: 2 added, 0 updated, 0 unchanged." in (
        response.content.decode()
    )
    assert Membership.objects.get(person__external_id="V2").status == "in_training"
    assert SESSION_KEY not in client.session


def test_a_bad_file_shows_every_problem_and_offers_no_import(
    cast: Cast, client_for: ClientFor
) -> None:
    client = client_for(cast.cora)
    body = upload(client, BAD)
    assert "There is a problem" in body
    assert "Nothing has been imported" in body
    assert '<th scope="col" class="num">Line</th><th scope="col">Column</th>' in body
    assert "&#x27;Trainee&#x27; is not a status" in body
    assert "Import 2 people" not in body
    assert SESSION_KEY not in client.session
    # Confirming anyway imports nothing.
    client.post(reverse("people:import_confirm"), {"check": "whatever"})
    assert not Person.objects.filter(external_id="V1").exists()


@pytest.mark.parametrize(
    ("data", "name", "words"),
    [
        (b"", "people.csv", "The file is empty"),
        (b"PK\x03\x04garbage", "people.xlsx", "could not be read as an Excel workbook"),
        (b"%PDF-1.4", "people.pdf", "is not a spreadsheet PeerCircle can read"),
    ],
)
def test_unreadable_files_get_a_clear_message_not_an_error_page(
    cast: Cast, client_for: ClientFor, data: bytes, name: str, words: str
) -> None:
    body = upload(client_for(cast.cora), data, name)
    assert words in body
    assert "Check the file" in body


def test_choosing_no_file_says_so(cast: Cast, client_for: ClientFor) -> None:
    response = client_for(cast.cora).post(reverse("people:import"), {})
    assert "Choose the spreadsheet file to check." in response.content.decode()


def test_the_confirmation_imports_the_checked_file_not_a_later_one(
    cast: Cast, client_for: ClientFor
) -> None:
    client = client_for(cast.cora)
    upload(client, GOOD)
    first = client.session[SESSION_KEY]["sha256"]
    upload(client, GOOD.replace(b"V2,Vic", b"V3,Viv"))
    # The first check was replaced by the second: confirming it imports nothing.
    response = client.post(reverse("people:import_confirm"), {"check": first}, follow=True)
    assert "There is no checked file waiting to be imported" in response.content.decode()
    assert not Person.objects.filter(external_id__startswith="V").exists()


def test_a_check_cannot_be_confirmed_by_someone_else(cast: Cast, client_for: ClientFor) -> None:
    client = client_for(cast.cora)
    upload(client, GOOD)
    pending = client.session[SESSION_KEY]
    ada = client_for(cast.ada)
    session = ada.session
    session[SESSION_KEY] = pending
    session.save()
    ada.post(reverse("people:import_confirm"), {"check": pending["sha256"]})
    assert not Person.objects.filter(external_id__startswith="V").exists()


def test_a_confirmation_after_someone_changed_the_same_people_shows_the_new_check(
    cast: Cast, client_for: ClientFor
) -> None:
    client = client_for(cast.cora)
    upload(client, GOOD)
    check = client.session[SESSION_KEY]["sha256"]
    # Meanwhile Ada imports V1 alone, so V1 is no longer new.
    ada = client_for(cast.ada)
    upload(ada, GOOD.split(b"V2")[0])
    ada.post(reverse("people:import_confirm"), {"check": ada.session[SESSION_KEY]["sha256"]})
    assert Person.objects.filter(external_id="V1").exists()

    body = client.post(reverse("people:import_confirm"), {"check": check}).content.decode()
    assert "Someone changed some of the same people" in body
    assert not Person.objects.filter(external_id="V2").exists()
    # The new check can be confirmed.
    client.post(reverse("people:import_confirm"), {"check": client.session[SESSION_KEY]["sha256"]})
    assert Person.objects.filter(external_id="V2").exists()


def test_the_templates_download_with_the_coordinators_scheme_in_the_example(
    cast: Cast, client_for: ClientFor
) -> None:
    client = client_for(cast.cora)
    csv_response = client.get(reverse("people:import_template", args=["csv"]))
    assert csv_response["Content-Disposition"] == 'attachment; filename="peercircle-people.csv"'
    lines = csv_response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("ID,First name,Last name,E-mail")
    assert lines[1].startswith("# C-1001,") and ",mentoring," in lines[1]
    xlsx = client.get(reverse("people:import_template", args=["xlsx"]))
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert load_workbook(io.BytesIO(xlsx.content)).sheetnames == ["People", "Columns"]
    assert client.get(reverse("people:import_template", args=["pdf"])).status_code == 404
