"""Group formation: start a run, edit its proposal, re-run, discard, confirm.

Every write is atomic and audited. Bad input (nobody to place, sizes that cannot work, nothing to
balance) is refused before anything is saved, with a message that says what to change. A run of
up to ``INLINE_LIMIT`` people is solved in the request (the engine needs well under a second);
a larger one goes to the background worker and the page shows its progress.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from matchengine.errors import ProblemError
from matchengine.groups import parse_groups_problem, solve_groups
from peercircle.audit.services import audit_record
from peercircle.groups.adapter import (
    BY_KEY,
    build_input,
    candidate_memberships,
    group_role_memberships,
    in_active_group,
)
from peercircle.groups.balance import gap_percent, score_partition
from peercircle.groups.choices import FormationStatus, GroupStatus, Scope
from peercircle.groups.models import FormationGroup, GroupFormation, GroupMembership, PeerGroup
from peercircle.notifications.services import notify
from peercircle.people.models import Person
from peercircle.relationships.models import PairExclusion
from peercircle.schemes.models import Scheme

if TYPE_CHECKING:
    from peercircle.accounts.models import User

INLINE_LIMIT = 400
SETTINGS_HINT = "You can change the group sizes on the scheme's settings page."


class FormationRefused(ValidationError):
    """The formation cannot go ahead as asked; the message says what to change."""


def _people(n: int) -> str:
    return "1 person" if n == 1 else f"{n} people"


def size_problem(n: int, min_size: int, max_size: int) -> str | None:
    """Why ``n`` people cannot be split into groups of ``min_size``-``max_size``, or None."""
    if n == 0:
        return (
            "Nobody is waiting for a group: everyone taking part in this scheme is already in "
            "one. To form all the groups again, choose “Everyone” under “Who to place”."
        )
    if min_size > max_size:
        return (
            f"The smallest group ({min_size}) is larger than the largest ({max_size}). "
            f"{SETTINGS_HINT}"
        )
    if n < min_size:
        return (
            f"Only {_people(n)} can be placed, but the smallest group is {min_size}. Lower the "
            f"smallest group to {n} or fewer, or wait until more people join. {SETTINGS_HINT}"
        )
    count = math.ceil(n / max_size)
    if count * min_size > n:
        largest_min = n // count
        return (
            f"{_people(n)} cannot be split into groups of {min_size} to {max_size}: "
            f"{count} groups would be needed, and {count} groups of at least {min_size} need "
            f"{count * min_size} people. Lower the smallest group to {largest_min}, or raise the "
            f"largest group to {n if count == 2 else math.ceil(n / (count - 1))}. {SETTINGS_HINT}"
        )
    return None


def _refuse(message: str) -> FormationRefused:
    return FormationRefused(message, code="refused")


def _names(ids: Sequence[str | int]) -> dict[str, str]:
    rows = Person.objects.filter(pk__in=[int(i) for i in ids]).values_list(
        "pk", "given_name", "family_name"
    )
    return {str(pk): f"{given} {family}".strip() for pk, given, family in rows}


def _engine_problem_words(exc: ProblemError, problem: dict[str, Any]) -> str:
    if exc.item == "must_not_group":
        pairs = problem.get("must_not_group", [])
        names = _names([i for pair in pairs for i in pair])
        listed = "; ".join(f"{names.get(a, a)} and {names.get(b, b)}" for a, b in pairs[:5])
        return (
            "Some people must never be in one group, and these sizes leave too few groups to "
            f"keep them apart ({listed}). Lower the largest group so that there are more "
            f"groups, or review the pairs kept apart. {SETTINGS_HINT}"
        )
    return f"The groups could not be formed: {exc.problem}."


def formation_start(
    *,
    scheme: Scheme,
    actor: User | None,
    scope: str,
    balance: dict[str, int],
    seed: int = 0,
    replaces: GroupFormation | None = None,
    run_inline: bool | None = None,
) -> GroupFormation:
    """Check the input, save the formation and solve it (here, or in the background)."""
    if not scheme.uses_groups:
        raise _refuse("This scheme does not work in groups.")
    weights = {k: int(w) for k, w in balance.items() if k in BY_KEY and int(w) > 0}
    if not weights:
        raise _refuse(
            "Choose at least one thing to balance the groups on, for example “Role in the "
            "scheme” or “Town or area”. Without one, every split looks the same."
        )
    data = build_input(scheme, scope=scope, balance=weights, seed=seed)
    n = len(data.person_ids)
    problem_text = size_problem(n, scheme.group_min_size, scheme.group_max_size)
    if problem_text:
        raise _refuse(problem_text)
    if data.empty_attributes:
        labels = ", ".join(f"“{BY_KEY[k].label}”" for k in data.empty_attributes)
        raise _refuse(
            f"Nobody being placed has {labels} recorded, so the groups cannot be balanced on "
            "it. Set it to “Not considered”, or add it to people's profiles first."
        )
    try:
        parse_groups_problem(data.problem)
    except ProblemError as exc:
        raise _refuse(_engine_problem_words(exc, data.problem)) from exc
    with transaction.atomic():
        formation = GroupFormation.objects.create(
            organisation_id=scheme.organisation_id,
            scheme=scheme,
            scope=scope,
            settings={
                "min_size": scheme.group_min_size,
                "max_size": scheme.group_max_size,
                "balance": weights,
                "seed": seed,
            },
            problem=data.problem,
            member_count=n,
            created_by=actor,
            replaces=replaces,
        )
        audit_record(
            organisation=scheme.organisation,
            actor=actor,
            action="groups.formation_started",
            target=formation,
            summary=f"Started forming groups of {_people(n)} in {scheme.name}",
            changes={"settings": formation.settings, "scope": scope},
        )
    inline = n <= INLINE_LIMIT if run_inline is None else run_inline
    if inline:
        formation_run(formation)
        formation.refresh_from_db()
    else:
        from peercircle.groups.tasks import form_groups

        organisation_id = scheme.organisation_id
        transaction.on_commit(lambda: form_groups.enqueue(formation.pk, organisation_id))
    return formation


def _set_progress(formation_id: int, stage: str, fraction: float) -> None:
    GroupFormation.objects.filter(pk=formation_id, status=FormationStatus.RUNNING).update(
        stage=stage[:100], progress=max(0.0, min(1.0, fraction))
    )


def formation_run(
    formation: GroupFormation, *, progress: Callable[[str, float], None] | None = None
) -> GroupFormation:
    """Solve a queued formation and store the proposal; a refusal is stored in words."""
    claimed = GroupFormation.objects.filter(pk=formation.pk, status=FormationStatus.QUEUED).update(
        status=FormationStatus.RUNNING, stage="Reading the members", progress=0.05
    )
    if not claimed:
        return formation  # another worker has it, or it was discarded meanwhile
    report = progress or (lambda stage, fraction: _set_progress(formation.pk, stage, fraction))
    try:
        problem = parse_groups_problem(formation.problem)
        # The engine reports its own stage from 0 to 1; it is most of the work.
        result = solve_groups(
            problem, progress=lambda stage, f: report("Forming the groups", 0.1 + 0.8 * f)
        )
    except ProblemError as exc:
        GroupFormation.objects.filter(pk=formation.pk).update(
            status=FormationStatus.FAILED,
            failure=_engine_problem_words(exc, formation.problem),
            finished_at=timezone.now(),
            progress=1.0,
            stage="",
        )
        formation.refresh_from_db()
        return formation
    report("Saving the proposal", 0.95)
    data = result.to_json()
    with transaction.atomic():
        FormationGroup.objects.bulk_create(
            [
                FormationGroup(
                    organisation_id=formation.organisation_id,
                    formation=formation,
                    number=g["group"],
                    members=list(g["members"]),
                    balance=g["balance"],
                    report=g["attributes"],
                    together_before=g["together_before"],
                )
                for g in data["groups"]
            ],
            batch_size=500,
        )
        summary = {
            **data["summary"],
            **data["score"],
            "balance_by_attribute": data["balance_by_attribute"],
            "notes": data["notes"],
            "engine_balance": data["score"]["balance"],
        }
        GroupFormation.objects.filter(pk=formation.pk).update(
            status=FormationStatus.READY,
            summary=summary,
            finished_at=timezone.now(),
            progress=1.0,
            stage="",
        )
    formation.refresh_from_db()
    return formation


def _locked(formation: GroupFormation, *, allowed: set[str]) -> GroupFormation:
    locked = GroupFormation.objects.select_for_update().get(pk=formation.pk)
    if locked.status not in allowed:
        raise _refuse(
            f"This proposal is {locked.get_status_display().lower()} and can no longer be "
            "changed. Start a new formation from the scheme's groups page."
        )
    return locked


def formation_move(
    *, formation: GroupFormation, person_id: int, to_number: int, actor: User | None
) -> GroupFormation:
    """Move one person to another proposed group, keeping the size limits and must-not pairs."""
    with transaction.atomic():
        formation = _locked(formation, allowed={FormationStatus.READY})
        groups = {g.number: g for g in formation.groups.all()}
        key = str(person_id)
        source = next((g for g in groups.values() if key in g.members), None)
        if source is None:
            raise _refuse("That person is not in this proposal.")
        target = groups.get(to_number)
        if target is None:
            raise _refuse(
                f"There is no group {to_number}: choose a number from 1 to {len(groups)}."
            )
        if target.number == source.number:
            raise _refuse(f"They are already in group {to_number}. Choose another group.")
        names = _names([key, *target.members])
        name = names.get(key, "This person")
        # The pairs kept apart now, not at the run: an exclusion added since still counts.
        clash = _kept_apart(formation.scheme_id, person_id, [int(m) for m in target.members])
        if clash:
            listed = "; ".join(
                f"{names.get(str(other), other)}{f' ({reason})' if reason else ''}"
                for other, reason in clash
            )
            raise _refuse(f"{name} must never be in a group with {listed}. Choose another group.")
        low, high = formation.settings["min_size"], formation.settings["max_size"]
        if target.size + 1 > high:
            raise _refuse(
                f"Group {target.number} already has {target.size} members, the largest a group "
                f"may be ({high}). Move someone out of group {target.number} first."
            )
        if source.size - 1 < low:
            raise _refuse(
                f"Group {source.number} would be left with {source.size - 1} members, fewer than "
                f"the smallest a group may be ({low}). Move someone into group {source.number} "
                "first, or move them the other way."
            )
        source.members = [m for m in source.members if m != key]
        target.members = [*target.members, key]
        _rescore(formation, groups, touched=[source, target])
        formation.edits = [
            *formation.edits,
            {
                "at": timezone.now().isoformat(),
                "by": actor.email if actor is not None else "PeerCircle",
                "person": key,
                "from": source.number,
                "to": target.number,
            },
        ]
        formation.save(update_fields=["edits", "summary"])
        audit_record(
            organisation=formation.scheme.organisation,
            actor=actor,
            action="groups.formation_edited",
            target=formation,
            summary=f"Moved person {key} from group {source.number} to group {target.number}",
        )
    return formation


def _kept_apart(scheme_id: int, person_id: int, others: list[int]) -> list[tuple[int, str]]:
    """Who among ``others`` must never share a group with ``person_id``, and why."""
    rows = PairExclusion.objects.filter(scheme_id=scheme_id).filter(
        Q(person_low_id=person_id, person_high_id__in=others)
        | Q(person_high_id=person_id, person_low_id__in=others)
    )
    return sorted(
        (row.person_high_id if row.person_low_id == person_id else row.person_low_id, row.reason)
        for row in rows
    )


def _rescore(
    formation: GroupFormation, groups: dict[int, FormationGroup], *, touched: list[FormationGroup]
) -> None:
    """Re-score the partition; only the touched groups' own reports change (shares are fixed)."""
    ordered = [groups[k] for k in sorted(groups)]
    scored = score_partition(formation.problem, [g.members for g in ordered])
    by_number = dict(zip((g.number for g in ordered), scored.groups, strict=True))
    for group in touched:
        score = by_number[group.number]
        group.balance = score.balance
        group.report = score.report
        group.together_before = score.together_before
    FormationGroup.objects.bulk_update(touched, ["members", "balance", "report", "together_before"])
    bound = float(formation.summary.get("upper_bound", 1.0))
    formation.summary = {
        **formation.summary,
        "balance": scored.balance,
        "gap_percent": gap_percent(scored.balance, bound),
        "balance_by_attribute": scored.by_attribute,
        "group_sizes": sorted({g.size for g in ordered}),
        "repeated_co_members": sum(len(s.together_before) for s in scored.groups),
        "edited": True,
    }


def formation_rerun(*, formation: GroupFormation, actor: User | None) -> GroupFormation:
    """Run again with the same settings on today's members; the old proposal is discarded.

    The seed moves on, so a re-run offers a different split even when nothing changed. A
    refused re-run (say, too few people now) leaves the old proposal as it was.
    """
    rerunnable = {FormationStatus.READY, FormationStatus.FAILED}
    if formation.status not in rerunnable:
        raise _refuse(
            f"This proposal is {formation.get_status_display().lower()}: start a new formation "
            "from the scheme's groups page instead."
        )
    new = formation_start(
        scheme=formation.scheme,
        actor=actor,
        scope=formation.scope,
        balance=dict(formation.settings.get("balance", {})),
        seed=int(formation.settings.get("seed", 0)) + 1,
        replaces=formation,
    )
    GroupFormation.objects.filter(pk=formation.pk, status__in=rerunnable).update(
        status=FormationStatus.DISCARDED
    )
    return new


def formation_discard(*, formation: GroupFormation, actor: User | None) -> None:
    with transaction.atomic():
        old = _locked(
            formation,
            allowed={FormationStatus.READY, FormationStatus.FAILED, FormationStatus.QUEUED},
        )
        GroupFormation.objects.filter(pk=old.pk).update(status=FormationStatus.DISCARDED)
        audit_record(
            organisation=old.scheme.organisation,
            actor=actor,
            action="groups.formation_discarded",
            target=old,
            summary="Discarded a group formation proposal",
        )


def formation_confirm(*, formation: GroupFormation, actor: User | None) -> list[PeerGroup]:
    """Create the proposed groups and their memberships, and tell each member.

    Refused, with nothing saved, when someone in the proposal stopped taking part or (placing
    only those waiting) was put in another group since the run: the coordinator re-runs.
    """
    now = timezone.now()
    with transaction.atomic():
        # One confirmation per scheme at a time: two proposals for the same waiting people,
        # confirmed at once, would otherwise both pass the check below and double-place them.
        scheme = Scheme.objects.select_for_update().get(pk=formation.scheme_id)
        formation = _locked(formation, allowed={FormationStatus.READY})
        proposed = list(formation.groups.order_by("number"))
        placed = {int(m) for g in proposed for m in g.members}
        current = set(
            candidate_memberships(scheme, formation.scope)
            .filter(person_id__in=placed)
            .values_list("person_id", flat=True)
        )
        gone = placed - current
        if gone:
            names = _names(sorted(gone)[:5])
            listed = ", ".join(names.values())
            more = f" and {len(gone) - 5} more" if len(gone) > 5 else ""
            raise _refuse(
                f"Since this proposal was made, {listed}{more} stopped taking part or joined "
                "another group. Re-run the formation to place everyone who is waiting now."
            )
        where = {int(m): row.number for row in proposed for m in row.members}
        pairs = PairExclusion.objects.filter(scheme=scheme).values_list(
            "person_low_id", "person_high_id"
        )
        clashes = [(a, b) for a, b in pairs if a in where and where[a] == where.get(b)]
        if clashes:
            a, b = clashes[0]
            names = _names([a, b])
            raise _refuse(
                f"{names.get(str(a))} and {names.get(str(b))} must never be in one group, but "
                f"both are in group {where[a]} (they were kept apart after this proposal was "
                "made). Move one of them, then confirm."
            )
        closed = 0
        if formation.scope == Scope.EVERYONE:
            old_groups = PeerGroup.objects.filter(scheme=scheme, status=GroupStatus.ACTIVE)
            GroupMembership.objects.filter(group__in=old_groups, left_at=None).update(left_at=now)
            closed = old_groups.update(status=GroupStatus.CLOSED, closed_at=now)
        start = PeerGroup.objects.filter(scheme=scheme).count()
        groups = PeerGroup.objects.bulk_create(
            [
                PeerGroup(
                    organisation_id=scheme.organisation_id,
                    scheme=scheme,
                    name=f"Group {start + k + 1}",
                    formed_at=now,
                    formation=formation,
                )
                for k in range(len(proposed))
            ]
        )
        if not all(g.pk for g in groups):  # pragma: no cover - every supported backend sets pk
            groups = list(PeerGroup.objects.filter(formation=formation).order_by("pk"))
        GroupMembership.objects.bulk_create(
            [
                GroupMembership(
                    organisation_id=scheme.organisation_id,
                    group=group,
                    person_id=int(m),
                    joined_at=now,
                )
                for group, row in zip(groups, proposed, strict=True)
                for m in row.members
            ],
            batch_size=1000,
        )
        for group, row in zip(groups, proposed, strict=True):
            row.peer_group = group
        FormationGroup.objects.bulk_update(proposed, ["peer_group"], batch_size=1000)
        GroupFormation.objects.filter(pk=formation.pk).update(
            status=FormationStatus.CONFIRMED, confirmed_at=now, confirmed_by=actor
        )
        audit_record(
            organisation=scheme.organisation,
            actor=actor,
            action="groups.formation_confirmed",
            target=formation,
            summary=(
                f"Confirmed {len(groups)} groups of {_people(len(placed))} in {scheme.name}"
                + (f"; closed {closed} earlier groups" if closed else "")
            ),
        )
        # Thousands of messages would hold the page for seconds: the worker sends them once
        # the groups are saved (and never, if saving fails).
        from peercircle.groups.tasks import tell_group_members

        formation_id, organisation_id = formation.pk, scheme.organisation_id
        transaction.on_commit(lambda: tell_group_members.enqueue(formation_id, organisation_id))
    return groups


def formation_tell_members(formation: GroupFormation) -> int:
    """Tell each member of a confirmed formation which group they are in; returns how many.

    Only the scheme, the group's name and its size: nothing about anyone in it. Safe to repeat:
    each message has a dedupe key, so a retried job sends nothing twice.
    """
    scheme = formation.scheme
    rows = list(
        formation.groups.filter(peer_group__isnull=False)
        .select_related("peer_group")
        .order_by("number")
    )
    people = Person.objects.in_bulk([int(m) for row in rows for m in row.members])
    sent = 0
    for row in rows:
        group = row.peer_group
        if group is None:  # pragma: no cover - filtered above
            continue
        link = reverse("groups:detail", args=[group.pk])
        for member in row.members:
            person = people.get(int(member))
            if person is None:
                continue  # erased since the confirmation
            if notify(
                person=person,
                kind="groups.joined",
                title=f"You are in a new group in {scheme.name}",
                body=(
                    f"{scheme.name} has formed its groups. You are in {group.name}, with "
                    f"{row.size - 1} others. Open the group to see who they are."
                ),
                link=link,
                dedupe_key=f"groups.joined:{group.pk}:{member}",
            ):
                sent += 1
    return sent


# Running a confirmed group day to day ---------------------------------------------------------


class GroupRefused(ValidationError):
    """The change to a group cannot be made as asked; the message says what to change."""


def _group_refuse(message: str) -> GroupRefused:
    return GroupRefused(message, code="refused")


def _locked_group(group: PeerGroup) -> PeerGroup:
    locked = PeerGroup.objects.select_for_update().select_related("scheme").get(pk=group.pk)
    if locked.status != GroupStatus.ACTIVE:
        raise _group_refuse(
            f"{locked.name} is closed, so it can no longer be changed. Form new groups from the "
            "scheme's groups page instead."
        )
    return locked


def group_rename(*, group: PeerGroup, name: str, actor: User | None) -> PeerGroup:
    """Give a group a name its members will recognise; names are unique within the scheme."""
    new_name = " ".join(name.split())
    if not new_name:
        raise _group_refuse("Type a name for the group, for example “Tuesday evening group”.")
    limit = PeerGroup._meta.get_field("name").max_length or 100
    if len(new_name) > limit:
        raise _group_refuse(
            f"The name is {len(new_name)} characters long; shorten it to {limit} or fewer."
        )
    with transaction.atomic():
        group = _locked_group(group)
        if new_name == group.name:
            raise _group_refuse(f"The group is already called “{new_name}”. Type a new name.")
        taken = (
            PeerGroup.objects.filter(scheme_id=group.scheme_id, name__iexact=new_name)
            .exclude(pk=group.pk)
            .exists()
        )
        if taken:
            raise _group_refuse(
                f"Another group of {group.scheme.name} is already called “{new_name}”. "
                "Choose a different name."
            )
        old_name = group.name
        group.name = new_name
        group.save(update_fields=["name"])
        audit_record(
            organisation=group.scheme.organisation,
            actor=actor,
            action="groups.group_renamed",
            target=group,
            summary=f"Renamed “{old_name}” to “{new_name}”",
            changes={"name": [old_name, new_name]},
        )
    return group


def group_close(*, group: PeerGroup, actor: User | None) -> PeerGroup:
    """Close a group: its memberships end and each member is told, with nothing about others."""
    now = timezone.now()
    with transaction.atomic():
        group = _locked_group(group)
        current = list(
            GroupMembership.objects.filter(group=group, left_at=None).select_related("person")
        )
        GroupMembership.objects.filter(pk__in=[m.pk for m in current]).update(left_at=now)
        group.status = GroupStatus.CLOSED
        group.closed_at = now
        group.save(update_fields=["status", "closed_at"])
        audit_record(
            organisation=group.scheme.organisation,
            actor=actor,
            action="groups.group_closed",
            target=group,
            summary=f"Closed {group.name} of {group.scheme.name}; {_people(len(current))} left it",
        )
        for membership in current:
            notify(
                person=membership.person,
                kind="groups.closed",
                title=f"Your group in {group.scheme.name} has closed",
                body=(
                    f"{group.name} in {group.scheme.name} has closed. Thank you for taking part. "
                    "Your coordinator will tell you if you are placed in a new group."
                ),
                link=reverse("groups:mine"),
                dedupe_key=f"groups.closed:{group.pk}:{membership.person_id}",
            )
    return group


def group_add_member(*, group: PeerGroup, person_id: int, actor: User | None) -> GroupMembership:
    """Add a person of the scheme to an active group by hand.

    Refused when the group is full, when they must never be grouped with someone in it, or when
    they are already in an active group of the scheme (remove them there first).
    """
    now = timezone.now()
    with transaction.atomic():
        # Serialised per scheme, like confirming: two additions at once must not both pass the
        # size and "not in another group" checks.
        Scheme.objects.select_for_update().filter(pk=group.scheme_id).first()
        group = _locked_group(group)
        scheme = group.scheme
        person = Person.objects.filter(pk=person_id).first()
        if person is None or not group_role_memberships(scheme).filter(person=person).exists():
            raise _group_refuse(
                f"That person does not take part in {scheme.name} as a peer, mentor or mentee. "
                "Add them to the scheme (or make their membership active) first."
            )
        name = person.full_name
        elsewhere = in_active_group(scheme).filter(person=person).select_related("group").first()
        if elsewhere is not None:
            if elsewhere.group_id == group.pk:
                raise _group_refuse(f"{name} is already in {group.name}.")
            raise _group_refuse(
                f"{name} is already in {elsewhere.group.name}. Remove them from "
                f"{elsewhere.group.name} first, then add them here."
            )
        members = list(
            GroupMembership.objects.filter(group=group, left_at=None).values_list(
                "person_id", flat=True
            )
        )
        high = scheme.group_max_size
        if len(members) + 1 > high:
            raise _group_refuse(
                f"{group.name} already has {len(members)} members, the largest a group of "
                f"{scheme.name} may be ({high}). Remove someone first, or raise the largest "
                f"group size. {SETTINGS_HINT}"
            )
        clash = _kept_apart(scheme.pk, person.pk, members)
        if clash:
            names = _names([other for other, _ in clash])
            listed = "; ".join(
                f"{names.get(str(other), other)}{f' ({reason})' if reason else ''}"
                for other, reason in clash
            )
            raise _group_refuse(
                f"{name} must never be in a group with {listed}. Choose another group."
            )
        # Someone who left this group and comes back reuses their row (one per group and person).
        membership, _ = GroupMembership.objects.update_or_create(
            group=group,
            person=person,
            defaults={"joined_at": now, "left_at": None},
            create_defaults={
                "organisation_id": group.organisation_id,
                "joined_at": now,
                "left_at": None,
            },
        )
        audit_record(
            organisation=scheme.organisation,
            actor=actor,
            action="groups.member_added",
            target=group,
            summary=f"Added person {person.pk} to {group.name}",
            changes={"person": person.pk},
        )
        notify(
            person=person,
            kind="groups.joined",
            title=f"You are in a group in {scheme.name}",
            body=f"You have been added to {group.name}. Open the group to see who is in it.",
            link=reverse("groups:detail", args=[group.pk]),
            dedupe_key=f"groups.joined:{group.pk}:{person.pk}:{now.isoformat()}",
        )
    return membership


def group_remove_member(*, group: PeerGroup, person_id: int, actor: User | None) -> GroupMembership:
    """End one person's membership of a group; the group itself carries on."""
    with transaction.atomic():
        group = _locked_group(group)
        membership = (
            GroupMembership.objects.select_for_update()
            .filter(group=group, person_id=person_id, left_at=None)
            .first()
        )
        if membership is None:
            raise _group_refuse(
                f"That person is not in {group.name} now. Choose someone from its member list."
            )
        membership.left_at = timezone.now()
        membership.save(update_fields=["left_at"])
        audit_record(
            organisation=group.scheme.organisation,
            actor=actor,
            action="groups.member_removed",
            target=group,
            summary=f"Removed person {person_id} from {group.name}",
            changes={"person": person_id},
        )
    return membership
