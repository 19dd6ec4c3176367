"""The sections of an agreement (handbook §8, appendix iii), their default text by scheme type,
and the confidentiality statement (§11B, appendix ii).

The default text is a starting point the coordinator edits for the scheme, and the parties edit
for their relationship. It speaks to both parties in plain words.
"""

from __future__ import annotations

from dataclasses import dataclass

from peercircle.schemes.choices import SchemeType


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    hint: str


SECTIONS: tuple[Section, ...] = (
    Section("purpose", "Purpose of the relationship", "Why you are meeting and what for."),
    Section(
        "goals",
        "Development goals",
        "The skills and knowledge to work on, e.g. managing contact with birth families.",
    ),
    Section("ground_rules", "Ground rules", "How you will behave towards each other."),
    Section(
        "contact",
        "Method and frequency of contact",
        "How and how often you will be in touch: face to face, phone, e-mail.",
    ),
    Section(
        "others",
        "Roles of others",
        "What the scheme coordinator and the supervising social workers do.",
    ),
    Section("boundaries", "Boundaries", "What the relationship is, and what it is not."),
    Section("recording", "Recording", "What you write down after meeting, and where it is kept."),
    Section("confidentiality", "Confidentiality", "What stays between you, and when it cannot."),
    Section(
        "problems",
        "Problem resolution",
        "What you will do if you disagree or the relationship is not working.",
    ),
)
SECTION_KEYS = tuple(s.key for s in SECTIONS)

_MENTORING = {
    "purpose": (
        "The mentor, an experienced foster carer, supports the mentee, a newer carer, to settle "
        "into fostering and the fostering service: to feel less isolated, more confident, and "
        "able to find their own answers."
    ),
    "goals": (
        "We will agree two or three goals at our first meeting and review them every three "
        "months. For example: understanding the fostering service and who does what; "
        "preparing for reviews and meetings; looking after myself as a carer."
    ),
    "ground_rules": (
        "We will treat each other with respect, listen without judging, keep to the times we "
        "agree, and say early if we need to cancel. Each of us is responsible for our own "
        "decisions: the mentor supports and suggests, but does not decide for the mentee."
    ),
    "contact": (
        "We will meet face to face at least once a month, at a time and place that suit us "
        "both, and keep in touch by phone or e-mail in between when needed. We will book our "
        "meetings in PeerCircle."
    ),
    "others": (
        "The scheme coordinator matches us, checks that we are meeting and helps if there are "
        "difficulties. Our supervising social workers remain our first contact for anything "
        "about the children in our care: the mentor is not a substitute for them."
    ),
    "boundaries": (
        "Mentoring is a peer relationship, outside any line management. The mentor does not "
        "assess the mentee, look after the mentee's children, or lend or borrow money. If an "
        "issue is beyond what a mentor can help with, we will ask the coordinator or the "
        "supervising social worker."
    ),
    "recording": (
        "After each meeting we note the agreed actions and key points on the record sheet in "
        "PeerCircle. Both of us can read it. When the relationship ends, the records go to "
        "both our files."
    ),
    "confidentiality": (
        "What we discuss stays between us and is not passed on without the other's "
        "permission, except where there is an actual or potential risk to children, adults or "
        "the service. Then the mentor must tell the supervising social worker or the "
        "coordinator, and will tell the mentee that they are doing so."
    ),
    "problems": (
        "If we disagree we will first try to sort it out between ourselves. If we cannot, "
        "either of us can ask the coordinator for a three-way meeting. Either of us can ask "
        "for the relationship to end at any time: that is nobody's failure."
    ),
}

_PEERS = {
    **_MENTORING,
    "purpose": (
        "We support each other as equals: a colleague outside our line management to talk "
        "things through with, share what works and notice when one of us is struggling."
    ),
    "goals": (
        "Each of us chooses what to work on and whether to share it. We will review our goals "
        "every quarter."
    ),
    "ground_rules": (
        "We will treat each other with respect, listen without judging, keep to the times we "
        "agree, and say early if we need to cancel. Each of us decides for ourselves."
    ),
    "contact": (
        "We will meet at least once a month, in person or by call, at times that fit both our "
        "working hours, and book the meetings in PeerCircle."
    ),
    "others": (
        "The scheme's coordinators pair us, check that pairs are meeting and help if there are "
        "difficulties. Managers and supervisors remain responsible for our work."
    ),
    "boundaries": (
        "This is a peer relationship, not supervision or appraisal. Neither of us reports on "
        "the other. If something is beyond what a peer can help with, we will say so and find "
        "the right person."
    ),
    "recording": (
        "After each meeting we note the agreed actions and any difficulty on the record form "
        "in PeerCircle. Both of us can read it."
    ),
    "confidentiality": (
        "What we discuss stays between us and is not passed on without the other's "
        "permission, except where there is an actual or potential risk to children, adults or "
        "the organisation. Then we will tell the coordinator, and tell each other that we are "
        "doing so."
    ),
    "problems": (
        "If we disagree we will first try to sort it out between ourselves. If we cannot, "
        "either of us can ask a coordinator for a three-way conversation. Either of us can ask "
        "for a different peer at any time: that is nobody's failure."
    ),
}

DEFAULTS: dict[str, dict[str, str]] = {
    SchemeType.MENTORING: _MENTORING,
    SchemeType.ROTATION: _PEERS,
    SchemeType.TEAMS: _PEERS,
    SchemeType.GROUPS: _PEERS,
}


def default_sections(scheme_type: str) -> dict[str, str]:
    return dict(DEFAULTS.get(scheme_type, _MENTORING))


def complete(sections: dict[str, str]) -> dict[str, str]:
    """Every section, in order, with "" for the missing ones."""
    return {key: sections.get(key, "") for key in SECTION_KEYS}


CONFIDENTIALITY_STATEMENT = (
    "I will respect the confidentiality of this relationship. I will not disclose the other "
    "person's personal details, or what we discuss, without their permission. I will keep any "
    "written information about the other person, their family or the children in their care "
    "in a secure place, and only in PeerCircle or where the scheme says.\n\n"
    "I understand that confidentiality can be broken, without permission, where there is an "
    "actual or potential risk to children, to adults, or to the service. In that case the "
    "information is passed to the supervising social worker or the scheme coordinator, and "
    "the other person is told that it has been passed on.\n\n"
    "I understand that the scheme coordinator, and the supervising social worker where the "
    "scheme allows, may see our records, and that every reading of a record is logged."
)
