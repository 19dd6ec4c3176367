"""Allegations (handbook §12): the subject's relationships pause at once, the others are told
without the reason, the outcome resumes or ends each, support for a carer under investigation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client, TestCase
from django.urls import reverse

from peercircle.audit.models import AuditEvent
from peercircle.conftest import Cast
from peercircle.notifications.models import Notification
from peercircle.people.models import Membership, Person
from peercircle.people.viewer import viewer_for_person
from peercircle.relationships import services as core
from peercircle.relationships.access import access_relationship
from peercircle.relationships.allegations import services
from peercircle.relationships.allegations.models import Allegation, AllegationPause, PauseOutcome
from peercircle.relationships.choices import Purpose, Side, Status
from peercircle.relationships.models import Relationship, RelationshipEvent
from peercircle.relationships.selectors import person_under_allegation
from peercircle.relationships.tests.helpers import mentoring, new_mentee, new_mentor, text_of

pytestmark = pytest.mark.django_db
ClientFor = Callable[[Person], Client]
REFERENCE = "LADO-2026-017"
NOTES = "Raised by the school about a weekend in March"


def record(cast: Cast, subject: Person | None = None) -> Allegation:
    return services.allegation_record(
        subject=subject or cast.mo,
        received_on=date(2026, 3, 2),
        reference=REFERENCE,
        notes=NOTES,
        actor=cast.cora.user,
    )


@time_machine.travel(date(2026, 3, 2))
def test_recording_pauses_every_working_relationship_of_the_subject_at_once(
    cast: Cast,
) -> None:
    with_mia = mentoring(cast)
    ending = mentoring(cast, cast.mo, new_mentee(cast, "Ivy"))
    core.relationship_transition(
        relationship=ending, to_status=Status.ENDING, actor=None, expected_version=ending.version
    )
    others = mentoring(cast, new_mentor(cast, "Noor"), new_mentee(cast, "Kai"))
    assert not person_under_allegation(cast.mo)

    allegation = record(cast)

    assert person_under_allegation(cast.mo) and not person_under_allegation(cast.mia)
    statuses = dict(Relationship.objects.values_list("pk", "status"))
    assert statuses == {
        with_mia.pk: Status.SUSPENDED,
        ending.pk: Status.SUSPENDED,
        others.pk: Status.ACTIVE,
    }
    assert set(AllegationPause.objects.values_list("relationship", flat=True)) == {
        with_mia.pk,
        ending.pk,
    }
    # The history reads like any pause: nothing about an allegation.
    summaries = RelationshipEvent.objects.filter(relationship=with_mia).values_list(
        "summary", flat=True
    )
    assert list(summaries)[-1] == "Paused by the coordinator"
    assert allegation.status == "open"


def test_the_subjects_very_next_request_can_no_longer_work_in_the_relationship(
    cast: Cast, client_for: ClientFor
) -> None:
    relationship = mentoring(cast)
    mo = client_for(cast.mo)
    accept = reverse("relationships:confidentiality", args=[relationship.pk])
    assert mo.get(accept).status_code == 200
    with time_machine.travel(date(2026, 3, 2), tick=False):
        record(cast)
        # The gate that meetings and records use refuses from this very moment...
        with pytest.raises(Exception, match="No such relationship"):
            access_relationship(viewer_for_person(cast.mo), relationship.pk, purpose="work")
        # ...and so does the next page the subject asks for.
        assert mo.post(accept).status_code == 404
        assert (
            mo.post(reverse("relationships:agreement_accept", args=[relationship.pk])).status_code
            == 404
        )


def test_the_other_parties_are_told_it_is_paused_but_not_why(cast: Cast) -> None:
    mentoring(cast)
    with TestCase.captureOnCommitCallbacks(execute=True):
        record(cast)
    told = Notification.objects.get()
    assert told.person == cast.mia
    assert told.title == "Your relationship with Mo Example is paused"
    everything_sent = " ".join(
        [told.title, told.body] + [f"{m.subject} {m.body}" for m in mail.outbox]
    ).lower()
    assert len(mail.outbox) == 1
    for secret in ("allegation", "investigat", REFERENCE.lower(), "school"):
        assert secret not in everything_sent


def test_the_subject_and_the_other_party_never_see_the_allegation_on_their_pages(
    cast: Cast, client_for: ClientFor
) -> None:
    relationship = mentoring(cast)
    allegation = record(cast)
    for who in (cast.mo, cast.mia, cast.sam):
        body = text_of(client_for(who).get(relationship.get_absolute_url())).lower()
        assert "paused" in body
        for secret in ("allegation", REFERENCE.lower(), "school"):
            assert secret not in body, who
        assert (
            client_for(who)
            .get(reverse("relationships:allegation", args=[allegation.pk]))
            .status_code
            == 404
        )
    coordinator_view = text_of(client_for(cast.cora).get(relationship.get_absolute_url()))
    assert f"reference {REFERENCE}" in coordinator_view


def test_only_coordinators_and_admins_see_allegations(cast: Cast, client_for: ClientFor) -> None:
    allegation = record(cast)
    url = reverse("relationships:allegation", args=[allegation.pk])
    allowed = {"ada", "cora"}
    for name, person in cast.everyone().items():
        status = client_for(person).get(url).status_code
        assert status == (200 if name in allowed else 404), name
        listing = client_for(person).get(reverse("relationships:allegations"))
        if name in allowed:
            assert [a.pk for a in listing.context["page"].object_list] == [allegation.pk]
        elif name == "olga":
            assert list(listing.context["page"].object_list) == []
        else:
            assert listing.status_code == 404
    body = text_of(client_for(cast.cora).get(url))
    assert NOTES in body and REFERENCE in body
    readers = AuditEvent.objects.filter(action="allegation.read").values_list("actor_label")
    assert sorted(r[0] for r in readers) == [
        "ada@tri-borough.example",
        "cora@tri-borough.example",
        "cora@tri-borough.example",
    ]


def test_the_notes_are_encrypted_in_the_database(cast: Cast) -> None:
    allegation = record(cast)
    with connection.cursor() as cursor:
        cursor.execute("SELECT notes FROM relationships_allegation WHERE id = %s", [allegation.pk])
        raw = cursor.fetchone()[0]
    assert raw.startswith("enc1:") and "school" not in raw


def test_a_coordinator_records_one_on_the_page_and_bad_input_changes_nothing(
    cast: Cast, client_for: ClientFor
) -> None:
    relationship = mentoring(cast)
    url = reverse("relationships:allegation_create")
    client = client_for(cast.cora)
    base = {"subject": "Mo Example (mo@tri-borough.example)", "received_on": "2026-01-05"}
    for change, message in [
        ({"reference": ""}, "This field is required."),
        ({"reference": "R1", "received_on": "2999-01-01"}, "cannot be in the future"),
        ({"reference": "R1", "subject": "oz@tri-borough.example"}, "No one in your schemes"),
        ({"reference": "R1", "subject": "cora@tri-borough.example"}, "only about people"),
    ]:
        response = client.post(url, {**base, **change})
        assert message in text_of(response), message
    assert not Allegation.objects.exists()
    relationship.refresh_from_db()
    assert relationship.status == Status.ACTIVE
    response = client.post(url, {**base, "reference": "R1"}, follow=True)
    assert "1 relationship of Mo Example is paused from now on" in text_of(response)
    relationship.refresh_from_db()
    assert relationship.status == Status.SUSPENDED


def test_nothing_resumes_or_starts_while_the_allegation_is_open(cast: Cast) -> None:
    relationship = mentoring(cast)
    record(cast)
    relationship.refresh_from_db()
    with pytest.raises(ValidationError, match="subject of an open allegation"):
        core.relationship_transition(
            relationship=relationship,
            to_status=Status.ACTIVE,
            actor=cast.cora.user,
            expected_version=relationship.version,
        )
    with pytest.raises(ValidationError, match="subject of an open allegation"):
        mentoring(cast, cast.mo, new_mentee(cast, "Ivy"))


def test_the_outcome_resumes_or_ends_each_relationship(cast: Cast, client_for: ClientFor) -> None:
    with_mia = mentoring(cast)
    ivy = new_mentee(cast, "Ivy")
    with_ivy = mentoring(cast, cast.mo, ivy)
    allegation = record(cast)
    url = reverse("relationships:allegation_conclude", args=[allegation.pk])
    client = client_for(cast.cora)
    missing = client.post(url, {"concluded_on": "2026-04-01", "version": allegation.version})
    assert "Choose whether this relationship resumes or ends." in text_of(missing)
    response = client.post(
        url,
        {
            "concluded_on": "2026-04-01",
            "version": allegation.version,
            f"decision_{with_mia.pk}": "resume",
            f"decision_{with_ivy.pk}": "end",
        },
    )
    assert response.status_code == 302
    with_mia.refresh_from_db()
    with_ivy.refresh_from_db()
    assert with_mia.status == Status.ACTIVE
    assert with_ivy.status == Status.ENDED and with_ivy.end_reason == "circumstances"
    assert Membership.objects.get(person=ivy).waiting_since is not None
    assert not person_under_allegation(cast.mo)
    assert dict(AllegationPause.objects.values_list("relationship", "outcome")) == {
        with_mia.pk: PauseOutcome.RESUMED,
        with_ivy.pk: PauseOutcome.ENDED,
    }
    titles = set(
        Notification.objects.filter(person__in=[cast.mia, ivy]).values_list("title", flat=True)
    )
    assert "Your relationship with Mo Example has resumed" in titles
    assert "Your relationship with Mo Example has ended" in titles
    again = client.post(url, {"concluded_on": "2026-04-01", "version": 2})
    assert "The outcome of this allegation is recorded already." in text_of(again)
    assert AllegationPause.objects.filter(outcome=PauseOutcome.PENDING).count() == 0


def test_two_coordinators_recording_the_outcome_at_once_the_second_is_told(cast: Cast) -> None:
    relationship = mentoring(cast)
    allegation = record(cast)
    stale = Allegation.objects.get(pk=allegation.pk)
    services.allegation_conclude(
        allegation=allegation,
        decisions={relationship.pk: "resume"},
        concluded_on=date(2026, 4, 1),
        outcome_notes="",
        actor=cast.cora.user,
        expected_version=1,
    )
    with pytest.raises(ValidationError, match="cora@tri-borough.example recorded the outcome"):
        services.allegation_conclude(
            allegation=stale,
            decisions={relationship.pk: "end"},
            concluded_on=date(2026, 4, 1),
            outcome_notes="",
            actor=cast.ada.user,
            expected_version=1,
        )
    with pytest.raises(ValidationError, match="recorded already"):
        services.allegation_conclude(
            allegation=Allegation.objects.get(pk=allegation.pk),
            decisions={relationship.pk: "end"},
            concluded_on=date(2026, 4, 1),
            outcome_notes="",
            actor=cast.ada.user,
            expected_version=2,
        )
    relationship.refresh_from_db()
    assert relationship.status == Status.ACTIVE


def test_a_supporter_is_appointed_for_a_carer_under_investigation(
    cast: Cast, client_for: ClientFor
) -> None:
    allegation = record(cast, subject=cast.mia)
    noor = new_mentor(cast, "Noor")
    response = client_for(cast.cora).post(
        reverse("relationships:allegation_support", args=[allegation.pk]),
        {"scheme": cast.scheme.pk, "supporter": "noor@tri-borough.example"},
    )
    support = Relationship.objects.get(purpose=Purpose.INVESTIGATION)
    assert response.status_code == 302 and response["Location"] == support.get_absolute_url()
    sides = dict(support.participants.values_list("person", "side"))
    assert sides == {noor.pk: Side.SUPPORTER, cast.mia.pk: Side.SUPPORTED}
    assert support.status == Status.ACTIVE
    # The support goes on: Mia can work in it although she is under investigation.
    assert access_relationship(viewer_for_person(cast.mia), support.pk, purpose="work")
    # A second allegation about Mia would not pause the support she receives.
    assert services.paused_by_allegation(cast.mia) == []
