"""Background group formation for large schemes (the page polls the formation's progress)."""

from __future__ import annotations

from django_tasks import task

from peercircle.groups.models import GroupFormation
from peercircle.groups.services import formation_run, formation_tell_members
from peercircle.organisations.models import Organisation
from peercircle.organisations.tenancy import organisation_scope


@task()
def form_groups(formation_id: int, organisation_id: int) -> str:
    """Solve one queued formation; returns its status."""
    organisation = Organisation.objects.get(pk=organisation_id)
    with organisation_scope(organisation):
        formation = GroupFormation.objects.filter(pk=formation_id).first()
        if formation is None:
            return "missing"
        return formation_run(formation).status


@task()
def tell_group_members(formation_id: int, organisation_id: int) -> int:
    """Notify the members of a confirmed formation; returns how many were told."""
    organisation = Organisation.objects.get(pk=organisation_id)
    with organisation_scope(organisation):
        formation = GroupFormation.objects.filter(pk=formation_id).first()
        if formation is None:
            return 0
        return formation_tell_members(formation)
