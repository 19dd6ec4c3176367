"""Ready-made scheme templates, one per scheme type (PRODUCT.md "Scheme types").

A template gives a new scheme its roles, settings, matching criteria and eligibility rules. The
coordinator can change every one of them afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from peercircle.schemes.choices import Role, SchemeType
from peercircle.schemes.criteria import HARD, OFF, SOFT


@dataclass(frozen=True)
class RuleTemplate:
    role: str
    criterion: str
    minimum: float
    only_category: str = ""
    except_category: str = ""


@dataclass(frozen=True)
class SchemeTemplate:
    scheme_type: SchemeType
    summary: str
    roles: tuple[str, ...]
    settings: dict[str, Any]
    criteria: dict[str, dict[str, Any]]
    rules: tuple[RuleTemplate, ...] = ()
    # Roles whose recruitment path (application to approval) PeerCircle tracks.
    recruited_roles: tuple[str, ...] = field(default=(Role.MENTOR,))


def _c(mode: str, weight: float = 0, **extra: Any) -> dict[str, Any]:
    return {"mode": mode, "weight": weight, **extra}


TEMPLATES: dict[SchemeType, SchemeTemplate] = {
    SchemeType.MENTORING: SchemeTemplate(
        scheme_type=SchemeType.MENTORING,
        summary=(
            "Experienced foster carers mentor newer carers one to one, matched by the "
            "coordinator, for 12 months (6 for a specific purpose), meeting monthly."
        ),
        roles=(Role.COORDINATOR, Role.SUPERVISOR, Role.MENTOR, Role.MENTEE, Role.EXPERT),
        # Handbook §11A: besides the parties only the supervising social worker or the
        # coordinator may see records. PeerCircle starts coordinators on flags only, with the
        # break-glass step for safeguarding; a coordinator can change that in the settings.
        settings={
            "mentor_capacity": 2,
            "planned_duration_months": 12,
            "specific_purpose_months": 6,
            "meeting_every_days": 30,
            "trainings_per_year": 1,
            "supervision_every_weeks": 6,
            "records_readable_by_supervisor": True,
        },
        # Handbook §7: language, culture, gender, type of fostering, specific experience,
        # geography, personality and learning style, previous professional background.
        criteria={
            "language": _c(HARD, 3),
            "culture": _c(SOFT, 2),
            "gender": _c(HARD, 2),
            "work_type": _c(SOFT, 3),
            "experience": _c(SOFT, 4),
            "distance": _c(HARD, 2, limit=25),
            "hours": _c(SOFT, 1),
            "personality": _c(SOFT, 1),
            "background": _c(SOFT, 1),
        },
        # Handbook §5A: approved two years with a year of active fostering; respite carers
        # three years with two.
        rules=(
            RuleTemplate(Role.MENTOR, "years_approved", 2, except_category="respite"),
            RuleTemplate(Role.MENTOR, "years_active", 1, except_category="respite"),
            RuleTemplate(Role.MENTOR, "years_approved", 3, only_category="respite"),
            RuleTemplate(Role.MENTOR, "years_active", 2, only_category="respite"),
        ),
    ),
    SchemeType.ROTATION: SchemeTemplate(
        scheme_type=SchemeType.ROTATION,
        summary=(
            "Every member is paired with another as mutual peers, rotated every 6 months and "
            "never re-paired; members on probation receive a peer but support nobody."
        ),
        roles=(Role.COORDINATOR, Role.PEER),
        settings={"rotation_months": 6, "meeting_every_days": 30, "planned_duration_months": 6},
        criteria={
            "hours": _c(SOFT, 5),
            "work_type": _c(SOFT, 1),
            "language": _c(SOFT, 1),
            "culture": _c(OFF),
            "gender": _c(OFF),
            "experience": _c(OFF),
            "distance": _c(OFF),
            "personality": _c(SOFT, 1),
            "background": _c(OFF),
        },
        recruited_roles=(),
    ),
    SchemeType.TEAMS: SchemeTemplate(
        scheme_type=SchemeType.TEAMS,
        summary=(
            "Core teams of 6-8 inside a regional team share cases with balanced workloads, "
            "cover each other's leave and prepare core decisions with expert advice."
        ),
        roles=(Role.COORDINATOR, Role.PEER, Role.EXPERT),
        settings={"group_min_size": 6, "group_max_size": 8, "meeting_every_days": 14},
        criteria={
            key: _c(OFF)
            for key in (
                "language",
                "culture",
                "gender",
                "work_type",
                "experience",
                "distance",
                "hours",
                "personality",
                "background",
            )
        },
        recruited_roles=(),
    ),
    SchemeType.GROUPS: SchemeTemplate(
        scheme_type=SchemeType.GROUPS,
        summary=(
            "Peer support groups of up to 6 meet for reflective practice over a 12-month cycle, "
            "with check-ins at the beginning, middle and end."
        ),
        roles=(Role.COORDINATOR, Role.MENTOR, Role.PEER, Role.EXPERT),
        settings={
            "group_min_size": 4,
            "group_max_size": 6,
            "meeting_every_days": 30,
            "planned_duration_months": 12,
        },
        criteria={
            key: _c(OFF)
            for key in (
                "language",
                "culture",
                "gender",
                "work_type",
                "experience",
                "distance",
                "hours",
                "personality",
                "background",
            )
        },
        recruited_roles=(Role.MENTOR,),
    ),
}


def template_for(scheme_type: str) -> SchemeTemplate:
    return TEMPLATES[SchemeType(scheme_type)]
