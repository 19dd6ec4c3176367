"""Agreements: the scheme's template, versions, acceptance, the printable copy, encryption and
the confidentiality statement."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from peercircle.conftest import Cast
from peercircle.notifications.models import Notification
from peercircle.people.models import Person
from peercircle.relationships.agreements import services
from peercircle.relationships.agreements.models import (
    AgreementAcceptance,
    AgreementVersion,
    ConfidentialityStatement,
)
from peercircle.relationships.agreements.texts import SECTION_KEYS
from peercircle.relationships.choices import Status
from peercircle.relationships.models import RelationshipEvent
from peercircle.relationships.services import (
    ConcurrentChange,
    relationship_end,
    relationship_transition,
)
from peercircle.relationships.tests.helpers import in_state, mentoring, text_of

pytestmark = pytest.mark.django_db
ClientFor = Callable[[Person], Client]


def sections(**changes: str) -> dict[str, str]:
    base = {key: f"Our {key.replace('_', ' ')}." for key in SECTION_KEYS}
    return {**base, **changes}


def test_a_new_agreement_starts_from_the_schemes_template(
    cast: Cast, client_for: ClientFor
) -> None:
    relationship = mentoring(cast)
    default, version = services.template_sections(cast.scheme)
    assert version == 0 and "actual or potential risk to children" in default["confidentiality"]
    services.agreement_template_save(
        scheme=cast.scheme,
        sections={**default, "contact": "Fortnightly, at the carers' café."},
        actor=cast.cora.user,
        expected_version=0,
    )
    form = client_for(cast.mo).get(reverse("relationships:agreement_edit", args=[relationship.pk]))
    assert "Fortnightly, at the carers' café." in text_of(form)
    assert set(SECTION_KEYS) <= set(form.context["form"].fields)


def test_two_coordinators_editing_the_template_at_once_the_second_is_told(
    cast: Cast, client_for: ClientFor
) -> None:
    url = reverse("relationships:agreement_template", args=["mentoring"])
    default, _ = services.template_sections(cast.scheme)
    first = client_for(cast.cora).post(url, {**default, "goals": "Cora's goals", "version": 0})
    assert first.status_code == 302
    second = client_for(cast.ada).post(url, {**default, "goals": "Ada's goals", "version": 0})
    assert "cora@tri-borough.example saved the agreement template" in text_of(second)
    assert services.template_sections(cast.scheme) == (
        {**default, "goals": "Cora's goals"},
        1,
    )


def test_the_agreement_text_is_encrypted_in_the_database(cast: Cast) -> None:
    relationship = mentoring(cast)
    version = services.agreement_revise(
        relationship=relationship,
        sections=sections(goals="Managing contact with Jay's birth family"),
        actor=cast.mo.user,
        based_on=0,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT content FROM relationships_agreementversion WHERE id = %s", [version.pk]
        )
        raw = cursor.fetchone()[0]
    assert raw.startswith("enc1:") and "birth family" not in raw
    assert AgreementVersion.objects.get().sections["goals"] == (
        "Managing contact with Jay's birth family"
    )
    # Neither the history nor the notification carries the text.
    assert "birth family" not in " ".join(
        RelationshipEvent.objects.values_list("summary", flat=True)
    )
    note = Notification.objects.get(person=cast.mia)
    assert "birth family" not in note.title + note.body


def test_each_party_accepts_with_the_time_and_a_change_needs_both_again(cast: Cast) -> None:
    relationship = mentoring(cast)
    services.agreement_revise(
        relationship=relationship, sections=sections(), actor=cast.mo.user, based_on=0
    )
    with time_machine.travel(datetime(2026, 5, 4, 10, 30, tzinfo=timezone.get_current_timezone())):
        services.agreement_accept(
            relationship=relationship, person=cast.mo, number=1, actor=cast.mo.user
        )
        services.agreement_accept(
            relationship=relationship, person=cast.mia, number=1, actor=cast.mia.user
        )
    accepted = AgreementAcceptance.objects.filter(version__number=1)
    assert {a.person_id for a in accepted} == {cast.mo.pk, cast.mia.pk}
    assert {timezone.localtime(a.accepted_at).strftime("%Y-%m-%d %H:%M") for a in accepted} == {
        "2026-05-04 10:30"
    }
    services.agreement_revise(
        relationship=relationship,
        sections=sections(contact="Every two weeks"),
        actor=cast.mia.user,
        based_on=1,
    )
    assert not AgreementAcceptance.objects.filter(version__number=2).exists()
    with pytest.raises(ValidationError, match="Version 1 is no longer the agreement") as exc:
        services.agreement_accept(
            relationship=relationship, person=cast.mo, number=1, actor=cast.mo.user
        )
    assert "mia@tri-borough.example replaced it with version 2" in str(exc.value)
    assert "accept that one" in str(exc.value)


def test_accepting_an_old_version_on_the_page_is_refused_with_a_clear_message(
    cast: Cast, client_for: ClientFor
) -> None:
    relationship = mentoring(cast)
    services.agreement_revise(
        relationship=relationship, sections=sections(), actor=cast.mo.user, based_on=0
    )
    services.agreement_revise(
        relationship=relationship, sections=sections(goals="New goals"), actor=None, based_on=1
    )
    response = client_for(cast.mia).post(
        reverse("relationships:agreement_accept", args=[relationship.pk]),
        {"version": 1},
        follow=True,
    )
    assert "Version 1 is no longer the agreement" in text_of(response)
    assert not AgreementAcceptance.objects.exists()
    response = client_for(cast.mia).post(
        reverse("relationships:agreement_accept", args=[relationship.pk]),
        {"version": 2},
        follow=True,
    )
    assert "You accepted version 2" in text_of(response)


def test_two_people_saving_the_agreement_at_once_the_second_keeps_their_text(
    cast: Cast, client_for: ClientFor
) -> None:
    relationship = mentoring(cast)
    url = reverse("relationships:agreement_edit", args=[relationship.pk])
    client_for(cast.mo).post(url, {**sections(goals="Mo's goals"), "version": 0})
    response = client_for(cast.mia).post(url, {**sections(goals="Mia's goals"), "version": 0})
    body = text_of(response)
    assert "mo@tri-borough.example saved version 1 of the agreement" in body
    assert "Mia's goals" in body  # still in the form
    assert response.context["form"]["version"].value() == "1"
    assert AgreementVersion.objects.count() == 1
    # Saving again, deliberately, makes version 2: neither write is lost.
    client_for(cast.mia).post(url, {**sections(goals="Mia's goals"), "version": 1})
    assert [v.sections["goals"] for v in AgreementVersion.objects.order_by("number")] == [
        "Mo's goals",
        "Mia's goals",
    ]


def test_an_unchanged_or_empty_agreement_is_refused(cast: Cast) -> None:
    relationship = mentoring(cast)
    services.agreement_revise(
        relationship=relationship, sections=sections(), actor=None, based_on=0
    )
    with pytest.raises(ValidationError, match="Nothing has changed"):
        services.agreement_revise(
            relationship=relationship, sections=sections(), actor=None, based_on=1
        )
    with pytest.raises(ValidationError, match="Write at least one section"):
        services.agreement_revise(
            relationship=relationship,
            sections={k: " " for k in SECTION_KEYS},
            actor=None,
            based_on=1,
        )
    with pytest.raises(ConcurrentChange):
        services.agreement_revise(
            relationship=relationship, sections=sections(goals="x"), actor=None, based_on=0
        )
    assert AgreementVersion.objects.count() == 1


def test_nobody_accepts_while_the_relationship_is_paused_or_ended(cast: Cast) -> None:
    for status in (Status.SUSPENDED, Status.ENDED):
        relationship = in_state(cast, Status.ACTIVE)
        services.agreement_revise(
            relationship=relationship, sections=sections(), actor=None, based_on=0
        )
        if status == Status.SUSPENDED:
            relationship_transition(
                relationship=relationship,
                to_status=status,
                actor=None,
                expected_version=relationship.version,
            )
        else:
            relationship_end(
                relationship=relationship,
                reason="goals_met",
                actor=None,
                expected_version=relationship.version,
            )
        with pytest.raises(ValidationError, match="cannot be accepted now"):
            services.agreement_accept(
                relationship=relationship, person=cast.mia, number=1, actor=None
            )
        if status == Status.SUSPENDED:
            relationship_end(
                relationship=relationship,
                reason="goals_met",
                actor=None,
                expected_version=relationship.version,
            )


def test_either_party_downloads_a_printable_copy(cast: Cast, client_for: ClientFor) -> None:
    relationship = mentoring(cast)
    services.agreement_revise(
        relationship=relationship,
        sections=sections(goals="Preparing for Jay's review"),
        actor=None,
        based_on=0,
    )
    services.agreement_accept(relationship=relationship, person=cast.mo, number=1, actor=None)
    services.statement_sign(relationship=relationship, person=cast.mia, actor=None)
    url = reverse("relationships:agreement_download", args=[relationship.pk])
    for who in (cast.mo, cast.mia):
        response = client_for(who).get(url)
        assert response.status_code == 200
        assert response["Content-Disposition"] == (
            f'attachment; filename="agreement-{relationship.pk}-version-1.html"'
        )
        body = text_of(response)
        assert "Preparing for Jay's review" in body and "@media print" in body
        assert "<link" not in body and "<script" not in body  # standalone: nothing to fetch
        assert "actual or potential risk to children, to adults, or to the service" in body
    assert client_for(cast.sam).get(url).status_code == 404  # supervisors do not read it
    assert client_for(cast.mia).get(url + "?version=7").status_code == 404


def test_each_party_signs_the_confidentiality_statement_once(
    cast: Cast, client_for: ClientFor
) -> None:
    relationship = mentoring(cast)
    url = reverse("relationships:confidentiality", args=[relationship.pk])
    page = client_for(cast.mia).get(url)
    assert "actual or potential risk to children, to adults, or to the service" in text_of(page)
    client_for(cast.mia).post(url)
    client_for(cast.mia).post(url)
    statement = ConfidentialityStatement.objects.get()
    assert statement.person == cast.mia and "potential risk" in statement.wording
    assert client_for(cast.cora).post(url).status_code == 404  # nobody signs for someone else
    assert ConfidentialityStatement.objects.count() == 1
