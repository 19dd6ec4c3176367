"""A mentor books a meeting, marks it held and writes its record with a flag; the coordinator
sees that a flag was raised, but not what was written. In a real browser."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect

from peercircle.browser_tests.conftest import PHONE
from peercircle.browser_tests.test_accessibility import _check_page
from peercircle.conftest import Cast
from peercircle.meetings.choices import Mode
from peercircle.meetings.models import Meeting
from peercircle.meetings.services import meeting_book
from peercircle.meetings.tests.helpers import held_meeting, in_days, make_pair
from peercircle.people.models import Person
from peercircle.records.models import Record
from peercircle.records.tests.helpers import write_record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SECRET = "Talked about the allegation against the school and how Jay is sleeping"


def test_a_mentor_records_a_flag_and_the_coordinator_sees_the_flag_not_the_text(
    page: Page, context: BrowserContext, cast: Cast, sign_in: Callable[[Person], None]
) -> None:
    pair = make_pair(cast)
    sign_in(cast.mo)
    page.goto(f"/meetings/relationship/{pair.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Meetings")
    page.get_by_role("link", name="Book a meeting").click()

    # An hour from now: the test then moves the clock on, past the meeting, to mark it held.
    starts = timezone.localtime(timezone.now() + timedelta(hours=1)).replace(second=0)
    page.get_by_label("Date").fill(starts.date().isoformat())
    page.get_by_label("Time").fill(starts.strftime("%H:%M"))
    page.get_by_label("Length (minutes)").fill("45")
    page.get_by_label("In person").check()
    page.get_by_label("Place, phone number or link").fill("Community centre, room 3")
    page.get_by_role("button", name="Book meeting").click()
    expect(page.get_by_role("status")).to_contain_text("Meeting booked")
    expect(page.get_by_role("cell", name="In person: Community centre, room 3")).to_be_visible()
    assert Meeting.objects.get().status == "booked"

    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=True):
        page.reload()
        page.get_by_role("button", name="Held").click()
        expect(page.get_by_role("status")).to_contain_text("Meeting marked held")
        page.get_by_role("link", name="Record sheet").click()

        expect(page.get_by_role("heading", level=1)).to_have_text("Write the record")
        page.get_by_label("Key discussion points").fill(SECRET)
        page.get_by_label("New action 1").fill("Call the school's designated lead")
        page.get_by_label("Whose action is 1").select_option(label="Mo")
        page.get_by_label("Stressed").check()
        page.get_by_label("Check-out: what was helpful").fill("Time to think it through")
        page.get_by_role("button", name="Save record").click()

        expect(page.get_by_role("heading", level=1)).to_contain_text("Record of the meeting")
        expect(page.get_by_text(SECRET)).to_be_visible()
        record = Record.objects.get()
        assert record.flags == ["stressed"]

        # The coordinator: the concern and the flag, never the text.
        context.clear_cookies()
        sign_in(cast.cora)
        page.goto("/concerns/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Concerns")
        concern = page.get_by_role("link", name="Flag on a meeting record")
        expect(concern).to_be_visible()
        expect(page.get_by_text("Stressed")).to_be_visible()
        concern.click()
        expect(page.get_by_text("Flags raised")).to_be_visible()
        expect(page.locator("main")).not_to_contain_text(SECRET)

        page.goto(f"/records/relationship/{pair.pk}/")
        expect(page.get_by_text("Stressed")).to_be_visible()
        expect(page.get_by_role("link", name="Open for a safeguarding reason")).to_be_visible()
        expect(page.locator("main")).not_to_contain_text(SECRET)
        response = page.goto(f"/records/{record.pk}/")
        assert response is not None and response.status == 404
        expect(page.locator("main")).not_to_contain_text(SECRET)


def test_meeting_and_record_pages_name_every_control_and_fit_a_phone(
    page: Page, context: BrowserContext, cast: Cast, sign_in: Callable[[Person], None]
) -> None:
    pair = make_pair(cast)
    held = held_meeting(pair, days_ago=3)
    unrecorded = held_meeting(pair, days_ago=1)
    record = write_record(cast, held, flags=("stressed",))
    booked = meeting_book(
        relationship=pair,
        starts_at=in_days(3),
        duration_minutes=60,
        mode=Mode.IN_PERSON,
        place="Library",
        actor=None,
    )
    page.set_viewport_size(PHONE)
    sign_in(cast.mo)
    problems = []
    for url in [
        f"/meetings/relationship/{pair.pk}/",
        f"/meetings/relationship/{pair.pk}/book/",
        f"/meetings/relationship/{pair.pk}/log/",
        f"/meetings/{booked.pk}/change/",
        "/meetings/calendar/",
        f"/records/relationship/{pair.pk}/",
        f"/records/meeting/{unrecorded.pk}/new/",
        f"/records/{record.pk}/",
        f"/records/{record.pk}/edit/",
    ]:
        problems += _check_page(page, url)
    context.clear_cookies()
    sign_in(cast.ada)
    problems += _check_page(page, f"/records/{record.pk}/safeguarding/")
    problems += _check_page(page, "/records/safeguarding/")
    assert problems == []
