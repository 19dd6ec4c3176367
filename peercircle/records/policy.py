"""Who may do what with a meeting record: the written policy, one per scheme type.

The same words are in docs/meetings-and-records.md ("Who can read a record"). The gate
(``records.access``) works out how the viewer stands to a relationship from the database and asks
``allows``; the authorisation matrix test (``tests/test_matrix.py``) is generated from this table.

The rules, for every scheme type:
- the parties (the two people in the relationship) may always list and read their records, and
  keep that right after the relationship ends (the records move to both parties' files, handbook
  §11A); they write and edit records only while the relationship is active or ending;
- a party whose relationship is paused while they are the subject of an open allegation, or whose
  role in the scheme is suspended, cannot open its records (handbook §12);
- the supervising social worker of a party reads records where the scheme type allows it *and*
  the scheme's setting says so: handbook §11A names the supervising social worker in fostering
  mentoring; in staff and practitioner schemes a "supervisor" is a line manager, and 003 keeps peer
  conversations away from line management, so never;
- the coordinator (and an organisation admin, who may coordinate every scheme) reads records
  where the scheme's setting says so; otherwise sees the list of records with their flags only,
  and may open one through the safeguarding break-glass step (a stated risk to children or
  adults, logged, the parties told);
- only the parties download a copy (export);
- nobody else: not other participants, other coordinators, or anyone in another organisation.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from peercircle.relationships.choices import WORKING, Status
from peercircle.schemes.choices import SchemeType
from peercircle.schemes.models import Scheme


class Action(enum.StrEnum):
    LIST = "list"
    READ = "read"
    CREATE = "create"
    EDIT = "edit"
    EXPORT = "export"
    BREAK_GLASS = "break_glass"


class Standing(enum.StrEnum):
    """How a viewer stands to a relationship, for records."""

    PARTY = "party"  # in the relationship (now, or formerly once it has ended)
    BARRED_PARTY = "barred_party"  # a party under an open allegation or suspended in the scheme
    SUPERVISOR = "supervisor"  # supervising social worker of a party
    COORDINATOR = "coordinator"  # coordinates the relationship's scheme, or an organisation admin
    NONE = "none"


@dataclass(frozen=True)
class SchemePolicy:
    """What the scheme type allows; the scheme's own settings can only narrow it."""

    scheme_type: str
    supervisor_may_read: bool
    coordinator_may_read: bool
    words: str


POLICIES: dict[str, SchemePolicy] = {
    SchemeType.MENTORING: SchemePolicy(
        SchemeType.MENTORING,
        supervisor_may_read=True,
        coordinator_may_read=True,
        words=(
            "The mentor and mentee always. The mentee's or mentor's supervising social worker "
            "and the scheme coordinator only where the scheme's settings allow it (handbook "
            "§11A)."
        ),
    ),
    SchemeType.ROTATION: SchemePolicy(
        SchemeType.ROTATION,
        supervisor_may_read=False,
        coordinator_may_read=True,
        words=(
            "The two peers always. The people circle (coordinators) only where the scheme's "
            "settings allow it. Never a line manager."
        ),
    ),
    SchemeType.TEAMS: SchemePolicy(
        SchemeType.TEAMS,
        supervisor_may_read=False,
        coordinator_may_read=True,
        words=(
            "The two people in the relationship always. Coordinators only where the scheme's "
            "settings allow it. Never a line manager."
        ),
    ),
    SchemeType.GROUPS: SchemePolicy(
        SchemeType.GROUPS,
        supervisor_may_read=False,
        coordinator_may_read=True,
        words=(
            "The peer supporter and the person they support always. Coordinators only where the "
            "scheme's settings allow it. Never a line manager."
        ),
    ),
}

# Relationship states whose records exist to be read (a proposed relationship has none yet,
# but an imported one may; the rules are the same in every state).
ALL_STATES = tuple(Status)


def may_read(standing: Standing, scheme: Scheme) -> bool:
    policy = POLICIES[scheme.scheme_type]
    if standing == Standing.PARTY:
        return True
    if standing == Standing.SUPERVISOR:
        return policy.supervisor_may_read and scheme.records_readable_by_supervisor
    if standing == Standing.COORDINATOR:
        return policy.coordinator_may_read and scheme.records_readable_by_coordinator
    return False


def allows(action: Action, standing: Standing, *, scheme: Scheme, status: str) -> bool:
    """Whether someone of ``standing`` may take ``action`` on a record of a relationship in
    ``status`` in ``scheme`` (without a break-glass grant)."""
    if standing == Standing.BARRED_PARTY:
        # Barred only while the relationship is paused; otherwise they are a party as before.
        if status == Status.SUSPENDED:
            return False
        standing = Standing.PARTY
    match action:
        case Action.LIST:
            return may_read(standing, scheme) or standing == Standing.COORDINATOR
        case Action.READ:
            return may_read(standing, scheme)
        case Action.CREATE | Action.EDIT:
            return standing == Standing.PARTY and status in WORKING
        case Action.EXPORT:
            return standing == Standing.PARTY
        case Action.BREAK_GLASS:
            return standing == Standing.COORDINATOR and not may_read(standing, scheme)
    return False  # pragma: no cover - every action is matched above


def describe(scheme: Scheme) -> list[str]:
    """The policy for ``scheme`` in plain sentences, with its settings applied (shown on pages)."""
    readers = ["the people in the relationship"]
    if may_read(Standing.SUPERVISOR, scheme):
        readers.append("the supervising social worker of either of them")
    if may_read(Standing.COORDINATOR, scheme):
        readers.append("the scheme's coordinators")
    lines = [f"Records in {scheme.name} can be read by {', '.join(readers)}."]
    if not may_read(Standing.COORDINATOR, scheme):
        lines.append(
            "Coordinators see that a record exists and which difficulties were flagged, but not "
            "what was written, unless they open it for a safeguarding reason; the people in the "
            "relationship are then told."
        )
    lines.append("Every time a record is opened, it is logged, and the people in it can see who.")
    return lines
