"""Background work of rotations, run by the worker (see ``peercircle.ops.periodic``)."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tasks import task

from peercircle.accounts.models import User
from peercircle.ops.periodic import periodic
from peercircle.organisations.models import Organisation
from peercircle.organisations.tenancy import organisation_scope
from peercircle.rotations import services
from peercircle.rotations.models import RotationRound


@task()
def compute_round(round_id: int, organisation_id: int) -> None:
    """Work out a large previewed round; the round page follows its progress."""
    organisation = Organisation.objects.get(pk=organisation_id)
    with organisation_scope(organisation):
        rotation_round = (
            RotationRound.objects.select_related("scheme__organisation").filter(pk=round_id).first()
        )
        if rotation_round is not None:
            services.round_compute(rotation_round=rotation_round)


@task()
def publish_round_now(round_id: int, organisation_id: int, user_id: int | None) -> bool:
    """Publish a large approved round that a coordinator asked to publish today."""
    organisation = Organisation.objects.get(pk=organisation_id)
    actor = User.objects.filter(pk=user_id).first() if user_id is not None else None
    with organisation_scope(organisation):
        rotation_round = (
            RotationRound.objects.select_related("scheme__organisation").filter(pk=round_id).first()
        )
        if rotation_round is None:
            return False
        try:
            return services.round_publish(rotation_round=rotation_round, actor=actor, now=True)
        except ValidationError as exc:
            services.record_publish_failure(rotation_round, exc)
            return False


# Every quarter of an hour: an approved round is published on the morning of its date, and the
# claim is one conditional UPDATE, so a run with nothing due costs one query.
@periodic(every=timedelta(minutes=15))
@task()
def publish_due_rotations() -> int:
    """Publish the approved rounds whose rotation date has come, each exactly once."""
    return services.publish_due_rounds(today=timezone.localdate())
