"""``peercircle match SCHEME``: the same run from the command line, stored for review."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from peercircle.conftest import Cast
from peercircle.matching.models import MatchRun, ProposedPair
from peercircle.matching.tests.helpers import mentoring_world

pytestmark = pytest.mark.django_db


def test_the_command_stores_the_proposal_as_a_run_for_review(cast: Cast) -> None:
    mentoring_world(cast)
    out, err = StringIO(), StringIO()
    call_command("match", "mentoring", "--organisation", "tri-borough", stdout=out, stderr=err)
    run = MatchRun.objects.get()
    assert (run.source, run.status) == ("command", MatchRun.Status.DONE)
    assert ProposedPair.objects.filter(run=run).count() == 1
    text = out.getvalue()
    assert "Proposed 1 pairs for 2 people waiting (1 left unmatched" in text
    assert text.strip().endswith(run.get_absolute_url())


def test_the_command_feeds_its_progress_bar_every_stage(
    cast: Cast, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from peercircle.matching.management.commands import match

    drawn: list[tuple[str, float]] = []
    original = match._Bar.__call__

    def spy(self: match._Bar, stage: str, fraction: float) -> None:
        drawn.append((stage, fraction))
        original(self, stage, fraction)

    monkeypatch.setattr(match._Bar, "__call__", spy)
    mentoring_world(cast)
    call_command("match", "mentoring", "--organisation", "tri-borough", stdout=StringIO())
    assert drawn[-1] == ("done", 1.0)
    assert {"candidates", "solving", "explaining"} <= {s for s, _ in drawn}


def test_a_slug_two_organisations_share_needs_the_organisation(cast: Cast) -> None:
    with pytest.raises(CommandError, match="add --organisation"):
        call_command("match", "mentoring", stdout=StringIO())
    with pytest.raises(CommandError, match="There is no organisation 'nowhere'"):
        call_command("match", "mentoring", "--organisation", "nowhere", stdout=StringIO())
    with pytest.raises(CommandError, match="There is no scheme 'groups'"):
        call_command("match", "groups", "--organisation", "tri-borough", stdout=StringIO())
    assert not MatchRun.objects.exists()


def test_nothing_to_match_is_reported_not_raised(cast: Cast) -> None:
    out = StringIO()
    call_command("match", "mentoring", "--organisation", "northshire", stdout=out)
    assert "No pairs could be proposed: Nobody is waiting" in out.getvalue()
