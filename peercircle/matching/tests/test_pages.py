"""The matching pages through HTTP: who gets in, what they read, and what each edit does."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from peercircle.conftest import CAST_NAMES, Cast, join, make_person
from peercircle.matching import services
from peercircle.matching.models import MatchRun, ProposedPair, RunEdit
from peercircle.matching.tests.helpers import LONDON, NEAR, mentoring_world
from peercircle.people.models import Person
from peercircle.schemes.choices import Role

pytestmark = pytest.mark.django_db
ClientFor = Callable[[Person], Client]
MANAGERS = {"ada", "cora"}


def a_run(cast: Cast) -> MatchRun:
    mentoring_world(cast)
    return services.run_start(scheme=cast.scheme, actor=cast.cora.user)


def pages(cast: Cast, run: MatchRun) -> list[tuple[str, str, str]]:
    pair = ProposedPair.objects.filter(run=run).first()
    assert pair is not None
    return [
        ("get", reverse("matching:runs", args=["mentoring"]), "runs"),
        ("get", reverse("matching:run", args=[run.pk]), "run"),
        ("get", reverse("matching:progress", args=[run.pk]), "progress"),
        ("post", reverse("matching:pair_action", args=[run.pk, pair.pk, "lock"]), "lock"),
        ("post", reverse("matching:set", args=[run.pk]), "set"),
        ("post", reverse("matching:swap", args=[run.pk]), "swap"),
    ]


@pytest.mark.parametrize("who", CAST_NAMES)
def test_only_the_schemes_coordinators_and_admins_reach_the_matching_pages(
    cast: Cast, client_for: ClientFor, who: str
) -> None:
    run = a_run(cast)
    client = client_for(getattr(cast, who))
    for method, url, name in pages(cast, run):
        response = client.post(url, {}) if method == "post" else client.get(url)
        if who in MANAGERS:
            assert response.status_code in (200, 302, 400), f"{who} on {name}"
        elif who == "olga" and name == "runs":
            # Olga's own scheme has the same slug: she sees her own organisation's runs.
            assert response.status_code == 200
            assert "Northshire mentoring" in response.content.decode()
        else:
            assert response.status_code == 404, f"{who} must not reach {name}"


@pytest.mark.parametrize("who", CAST_NAMES)
def test_writes_are_refused_to_everyone_but_coordinators_and_admins(
    cast: Cast, client_for: ClientFor, who: str
) -> None:
    run = a_run(cast)
    pair = ProposedPair.objects.get(run=run)
    client = client_for(getattr(cast, who))
    urls = [
        reverse("matching:pair_action", args=[run.pk, pair.pk, "remove"]),
        reverse("matching:pair_action", args=[run.pk, pair.pk, "exclude"]),
        reverse("matching:rerun", args=[run.pk]),
        reverse("matching:send", args=[run.pk]),
        reverse("matching:confirm", args=[run.pk]),
    ]
    for url in urls:
        status = client.post(url).status_code
        if who in MANAGERS:
            assert status == 302
        else:
            assert status == 404, f"{who} must not reach {url}"
    # A GET on an action changes nothing.
    if who in MANAGERS:
        assert client.get(urls[0]).status_code == 405


def test_a_refused_write_changes_nothing(cast: Cast, client_for: ClientFor) -> None:
    run = a_run(cast)
    pair = ProposedPair.objects.get(run=run)
    for who in ("sam", "mo", "mia", "oz", "olga"):
        client_for(getattr(cast, who)).post(
            reverse("matching:pair_action", args=[run.pk, pair.pk, "remove"])
        )
    pair.refresh_from_db()
    assert pair.state == ProposedPair.State.PROPOSED
    assert not RunEdit.objects.filter(action="remove").exists()


@pytest.mark.parametrize("who", CAST_NAMES)
def test_only_the_mentees_supervisor_sees_the_consultation(
    cast: Cast, client_for: ClientFor, who: str
) -> None:
    run = a_run(cast)
    url = reverse("matching:consult", args=[run.pk])
    # Before it is sent, nobody sees it.
    assert client_for(getattr(cast, who)).get(url).status_code == 404
    services.run_send_for_consultation(run=run, actor=None)
    status = client_for(getattr(cast, who)).get(url).status_code
    assert status == (200 if who == "sam" else 404), who


def test_a_supervisor_sees_only_the_pairs_of_their_own_carers(
    cast: Cast, client_for: ClientFor
) -> None:
    w = mentoring_world(cast)
    other_sw = make_person(cast.org, "Syd", two_factor=True)
    join(other_sw, cast.scheme, Role.SUPERVISOR)
    w["nia"].languages = ["English"]
    w["nia"].supervisor = other_sw
    w["nia"].save()
    run = services.run_start(scheme=cast.scheme, actor=None)
    services.run_send_for_consultation(run=run, actor=None)
    body = client_for(cast.sam).get(reverse("matching:consult", args=[run.pk])).content.decode()
    assert "Mia Example with" in body
    assert "Nia Example" not in body
    body = client_for(other_sw).get(reverse("matching:consult", args=[run.pk])).content.decode()
    assert "Nia Example with" in body and "Mia Example" not in body


def test_the_supervisor_does_not_read_sensitive_details(cast: Cast, client_for: ClientFor) -> None:
    run = a_run(cast)
    pair = ProposedPair.objects.get(run=run)
    pair.explanation = [
        *pair.explanation,
        {
            "criterion": "culture",
            "label": "Culture",
            "score": 1.0,
            "detail": "shared culture: Eritrean",
            "sensitive": True,
        },
    ]
    pair.save()
    services.run_send_for_consultation(run=run, actor=None)
    body = client_for(cast.sam).get(reverse("matching:consult", args=[run.pk])).content.decode()
    assert "Culture: fits" in body
    assert "Eritrean" not in body
    assert "both work with teenagers" in body
    coordinator = client_for(cast.cora).get(run.get_absolute_url()).content.decode()
    assert "Eritrean" in coordinator


def test_the_supervisor_answers_on_the_page(cast: Cast, client_for: ClientFor) -> None:
    run = a_run(cast)
    services.run_send_for_consultation(run=run, actor=None)
    pair = ProposedPair.objects.get(run=run)
    url = reverse("matching:consult", args=[run.pk])
    sam = client_for(cast.sam)
    refused = sam.post(url, {"pair": pair.pk, f"p{pair.pk}-answer": "concern"})
    assert refused.status_code == 400
    assert "Say what the concern is" in refused.content.decode()
    sam.post(
        url,
        {"pair": pair.pk, f"p{pair.pk}-answer": "concern", f"p{pair.pk}-comment": "Too far"},
    )
    pair.refresh_from_db()
    assert (pair.answer, pair.answer_comment) == ("concern", "Too far")
    body = client_for(cast.cora).get(run.get_absolute_url()).content.decode()
    assert "Raised a concern" in body and "Too far" in body


def test_the_proposal_page_explains_pairs_and_the_unmatched(
    cast: Cast, client_for: ClientFor
) -> None:
    run = a_run(cast)
    body = client_for(cast.cora).get(run.get_absolute_url()).content.decode()
    assert "Mia Example" in body and "Mo Example" in body
    assert "Type of fostering or work: both work with teenagers" in body
    assert "Nia Example</a></strong>: no mentor who speaks Tigrinya" in body
    assert "What would get them matched" in body
    assert "Proven best" in body


def test_a_hand_set_pair_that_breaks_a_rule_is_refused_with_the_reason(
    cast: Cast, client_for: ClientFor
) -> None:
    w = mentoring_world(cast)
    run = services.run_start(scheme=cast.scheme, actor=None)
    response = client_for(cast.cora).post(
        reverse("matching:set", args=[run.pk]),
        {"set-mentee": w["nia"].pk, "set-mentor": w["tom"].pk},
    )
    assert response.status_code == 400
    assert "they share no language" in response.content.decode()
    assert not ProposedPair.objects.filter(run=run, mentee=w["nia"]).exists()


def test_the_run_page_polls_until_the_run_is_done(cast: Cast, client_for: ClientFor) -> None:
    mentoring_world(cast)
    run = services.run_start(scheme=cast.scheme, actor=None, enqueue=False)
    client = client_for(cast.cora)
    body = client.get(run.get_absolute_url()).content.decode()
    assert 'hx-trigger="every 2s"' in body and "<progress" in body
    assert "You can leave this page" in body
    services.run_execute(run.pk)
    fragment = client.get(reverse("matching:progress", args=[run.pk]))
    assert fragment["HX-Refresh"] == "true"
    assert "every 2s" not in fragment.content.decode()


def test_starting_a_run_from_the_page_shows_the_proposal(cast: Cast, client_for: ClientFor) -> None:
    mentoring_world(cast)
    client = client_for(cast.cora)
    response = client.post(reverse("matching:runs", args=["mentoring"]))
    run = MatchRun.objects.get()
    assert response["Location"] == run.get_absolute_url()
    assert run.status == MatchRun.Status.DONE
    listing = client.get(reverse("matching:runs", args=["mentoring"])).content.decode()
    assert "1 matched, 1 unmatched" in listing


def test_nothing_to_match_is_a_page_not_an_error(cast: Cast, client_for: ClientFor) -> None:
    client = client_for(cast.cora)
    client.post(reverse("matching:runs", args=["mentoring"]))
    run = MatchRun.objects.get()
    response = client.get(run.get_absolute_url())
    assert response.status_code == 200
    body = response.content.decode()
    assert "No pairs could be proposed" in body
    # Mia has no location and the scheme's 25-mile limit is firm.
    assert "travel limit" in body


def test_the_proposal_and_run_list_cost_a_fixed_number_of_queries(
    cast: Cast, client_for: ClientFor, django_assert_max_num_queries: Any
) -> None:
    mentoring_world(cast)
    for n in range(20):
        mentee = make_person(cast.org, f"Extra{n}", languages=["English"], **LONDON)
        join(mentee, cast.scheme, Role.MENTEE)
        mentor = make_person(
            cast.org,
            f"Guide{n}",
            approved_on=cast.mo.approved_on,
            active_experience_months=60,
            languages=["English"],
            **NEAR,
        )
        join(mentor, cast.scheme, Role.MENTOR)
    run = services.run_start(scheme=cast.scheme, actor=None)
    services.run_start(scheme=cast.scheme, actor=None)
    assert ProposedPair.objects.filter(run=run).count() == 21
    client = client_for(cast.cora)
    client.get(run.get_absolute_url())  # warm the session
    with django_assert_max_num_queries(25):
        assert client.get(run.get_absolute_url()).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("matching:runs", args=["mentoring"])).status_code == 200


def test_the_scheme_page_links_to_matching_for_coordinators_only(
    cast: Cast, client_for: ClientFor
) -> None:
    link = reverse("matching:runs", args=["mentoring"])
    assert link in client_for(cast.cora).get(cast.scheme.get_absolute_url()).content.decode()
    assert link not in client_for(cast.mo).get(cast.scheme.get_absolute_url()).content.decode()


def test_in_a_large_run_the_coordinator_types_who_to_pair(
    cast: Cast, client_for: ClientFor, monkeypatch: pytest.MonkeyPatch
) -> None:
    from peercircle.matching import forms

    monkeypatch.setattr(forms, "MAX_CHOICES", 1)
    w = mentoring_world(cast)
    w["nia"].languages = ["English"]
    w["nia"].save()
    cast.scheme.mentor_capacity = 1
    cast.scheme.save()
    run = services.run_start(scheme=cast.scheme, actor=None)
    client = client_for(cast.cora)
    body = client.get(run.get_absolute_url()).content.decode()
    assert "Their e-mail address or ID in your records." in body
    unknown = client.post(
        reverse("matching:set", args=[run.pk]),
        {"set-mentee": "nobody@example.org", "set-mentor": w["mo"].email},
    )
    assert "Nobody in this list matches that" in unknown.content.decode()
    response = client.post(
        reverse("matching:set", args=[run.pk]),
        {"set-mentee": w["nia"].email.upper(), "set-mentor": w["mo"].email},
    )
    # Mo's only place is Mia's: the capacity check explains what to do.
    assert response.status_code == 400
    assert "Mo Example has no free place left" in response.content.decode()


def test_a_run_whose_worker_stopped_says_so_and_offers_a_new_one(
    cast: Cast, client_for: ClientFor
) -> None:
    mentoring_world(cast)
    run = services.run_start(scheme=cast.scheme, actor=None, enqueue=False)
    client = client_for(cast.cora)
    fragment = reverse("matching:progress", args=[run.pk])
    assert "has not moved" not in client.get(fragment).content.decode()
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        body = client.get(fragment).content.decode()
    assert "has not moved for more than ten minutes" in body
    assert reverse("matching:runs", args=["mentoring"]) in body


def test_a_replaced_run_points_to_the_run_that_replaced_it(
    cast: Cast, client_for: ClientFor
) -> None:
    run = a_run(cast)
    newer = services.run_start(scheme=cast.scheme, actor=None, based_on=run)
    body = client_for(cast.cora).get(run.get_absolute_url()).content.decode()
    assert "This proposal was replaced by" in body
    assert newer.get_absolute_url() in body
    assert "Run again, keeping locked pairs" not in body  # a record, no longer editable


def test_a_supervisor_finds_matches_awaiting_their_answer_on_their_own_page(
    cast: Cast, client_for: ClientFor
) -> None:
    run = a_run(cast)
    consult = reverse("matching:consult", args=[run.pk])
    assert consult not in client_for(cast.sam).get("/").content.decode()  # not sent yet
    services.run_send_for_consultation(run=run, actor=cast.cora.user)
    body = client_for(cast.sam).get("/").content.decode()
    assert consult in body and "1 waiting for your answer" in body
    assert consult not in client_for(cast.mo).get("/").content.decode()  # not his carers
    pair = ProposedPair.objects.get(run=run)
    services.pair_answer(run=run, pair_id=pair.pk, supervisor=cast.sam, agree=True, comment="")
    assert consult not in client_for(cast.sam).get("/").content.decode()  # answered
