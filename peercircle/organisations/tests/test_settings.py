"""The organisation's settings page: admins change two-factor roles, retention and distance unit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from peercircle.audit.models import AuditEvent
from peercircle.conftest import Cast, join, make_person
from peercircle.organisations.models import Organisation
from peercircle.organisations.services import organisation_update_settings
from peercircle.people.models import Person
from peercircle.schemes.choices import Role

URL = "/organisation/settings/"


def _post(client: Client, **overrides: Any) -> Any:
    data: dict[str, Any] = {
        "two_factor_roles": ["admin", "coordinator", "supervisor"],
        "retention_months": "72",
        "distance_unit": "mi",
    }
    data.update(overrides)
    return client.post(URL, data)


def _fresh(org: Organisation) -> Organisation:
    return Organisation.objects.get(pk=org.pk)


def test_the_url_is_the_one_the_brief_names() -> None:
    assert reverse("organisations:settings") == URL


def test_an_admin_sees_the_current_settings(
    cast: Cast, client_for: Callable[[Person], Client]
) -> None:
    response = client_for(cast.ada).get(URL)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Settings of Tri-Borough Fostering" in body
    assert 'value="72"' in body
    for role in ("admin", "coordinator", "supervisor"):
        assert f'value="{role}" id="id_two_factor_roles_' in body
    assert body.count("checked") == 3


def test_an_admin_changes_the_settings_and_it_is_audited(
    cast: Cast, client_for: Callable[[Person], Client]
) -> None:
    response = _post(
        client_for(cast.ada),
        two_factor_roles=["admin", "coordinator", "supervisor", "mentor"],
        retention_months="84",
        distance_unit="km",
    )
    assert response.status_code == 302
    org = _fresh(cast.org)
    assert org.two_factor_roles == ["admin", "coordinator", "supervisor", "mentor"]
    assert org.retention_months == 84
    assert org.distance_unit == "km"
    event = AuditEvent.objects.get(action="organisation.settings")
    assert event.actor == cast.ada.user
    assert event.organisation == cast.org
    assert event.changes["retention_months"] == [72, 84]
    # The other organisation is untouched.
    assert _fresh(cast.other_org).retention_months == 72
    assert _fresh(cast.other_org).distance_unit == "mi"


def test_bad_input_is_explained_and_changes_nothing(
    cast: Cast, client_for: Callable[[Person], Client]
) -> None:
    client = client_for(cast.ada)
    for months, message in (
        ("seventy", "Type a whole number of months"),
        ("0", "from 1 to 1200"),
        ("5000", "from 1 to 1200"),
    ):
        response = _post(client, retention_months=months, distance_unit="km")
        body = response.content.decode()
        assert response.status_code == 200
        assert "There is a problem" in body
        assert message in body
    response = _post(client, two_factor_roles=["admin", "wizard"])
    assert "wizard is not one of the available choices" in response.content.decode()
    org = _fresh(cast.org)
    assert (org.retention_months, org.distance_unit) == (72, "mi")
    assert org.two_factor_roles == ["admin", "coordinator", "supervisor"]
    assert not AuditEvent.objects.filter(action="organisation.settings").exists()


def test_the_service_refuses_unknown_roles_and_settings(cast: Cast) -> None:
    with pytest.raises(ValidationError, match="wizard is not a role"):
        organisation_update_settings(
            organisation=cast.org, actor=None, changes={"two_factor_roles": ["wizard"]}
        )
    with pytest.raises(ValidationError, match="Unknown settings: name"):
        organisation_update_settings(organisation=cast.org, actor=None, changes={"name": "X"})
    assert _fresh(cast.org).two_factor_roles == ["admin", "coordinator", "supervisor"]


def test_saving_without_changes_writes_no_audit_event(
    cast: Cast, client_for: Callable[[Person], Client]
) -> None:
    _post(client_for(cast.ada))
    assert not AuditEvent.objects.filter(action="organisation.settings").exists()


def test_taking_a_role_off_the_list_stops_forcing_it(
    cast: Cast, client_for: Callable[[Person], Client]
) -> None:
    cy = make_person(cast.org, "Cy")
    join(cy, cast.scheme, Role.COORDINATOR)
    assert client_for(cy).get(reverse("web:home")).status_code == 302
    _post(client_for(cast.ada), two_factor_roles=["admin", "supervisor"])
    assert client_for(cy).get(reverse("web:home")).status_code == 200


def test_only_admins_see_the_organisation_link(
    cast: Cast, client_for: Callable[[Person], Client]
) -> None:
    assert URL in client_for(cast.ada).get(reverse("web:home")).content.decode()
    assert URL not in client_for(cast.cora).get(reverse("web:home")).content.decode()
