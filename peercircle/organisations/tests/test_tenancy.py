"""A forgotten organisation filter must fail loudly, never leak."""

from __future__ import annotations

import pytest
from django_scopes import ScopeError

from peercircle.conftest import Cast
from peercircle.organisations.tenancy import organisation_scope, scopes_disabled
from peercircle.people.models import Membership, Person
from peercircle.schemes.models import Scheme


@pytest.mark.tenant_scoping
def test_an_unscoped_query_raises_instead_of_returning_every_organisation(cast: Cast) -> None:
    with pytest.raises(ScopeError):
        list(Person.objects.all())
    with pytest.raises(ScopeError):
        Scheme.objects.filter(slug="mentoring").first()
    with pytest.raises(ScopeError):
        Membership.objects.count()


@pytest.mark.tenant_scoping
def test_a_scoped_query_sees_only_its_own_organisation(cast: Cast) -> None:
    with organisation_scope(cast.other_org):
        names = set(Person.objects.values_list("given_name", flat=True))
        schemes = list(Scheme.objects.filter(slug="mentoring"))
    assert names == {"Olga"}
    assert [s.name for s in schemes] == ["Northshire mentoring"]


@pytest.mark.tenant_scoping
def test_related_managers_are_scoped_too(cast: Cast) -> None:
    with organisation_scope(cast.other_org):
        # Tri-Borough's scheme reached through a relation from the wrong scope shows nothing.
        assert list(Membership.objects.filter(scheme_id=cast.scheme.pk)) == []


@pytest.mark.tenant_scoping
def test_a_scope_without_an_organisation_sees_nothing(cast: Cast) -> None:
    with organisation_scope(None):
        assert Person.objects.count() == 0


@pytest.mark.tenant_scoping
def test_scopes_can_be_disabled_only_explicitly(cast: Cast) -> None:
    with scopes_disabled():
        assert Person.objects.filter(given_name__in=["Olga", "Cora"]).count() == 2
