"""What the relationship page shows to one viewer: a fixed number of queries, and only what
their role may see (agreement text, disagreements and feedback stay with the parties and the
coordinators; allegations with the coordinators)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from peercircle.people.viewer import Viewer
from peercircle.relationships.access import can_access_relationship
from peercircle.relationships.agreements.access import can_access_agreement
from peercircle.relationships.agreements.models import (
    AgreementAcceptance,
    AgreementVersion,
    ConfidentialityStatement,
)
from peercircle.relationships.allegations.access import can_access_allegation
from peercircle.relationships.allegations.models import (
    Allegation,
    AllegationPause,
    AllegationStatus,
)
from peercircle.relationships.choices import Status
from peercircle.relationships.endings.access import can_access_ending
from peercircle.relationships.endings.feedback import QUESTIONS
from peercircle.relationships.endings.models import Disagreement, ExitFeedback
from peercircle.relationships.models import Participant, Relationship, RelationshipEvent


@dataclass
class PartyRow:
    participant: Participant
    accepted_at: Any = None  # when they accepted the current agreement
    statement_at: Any = None  # when they signed the confidentiality statement
    feedback: ExitFeedback | None = None

    @property
    def feedback_answers(self) -> list[tuple[str, str]]:
        if self.feedback is None:
            return []
        texts = self.feedback.answer_texts
        return [(q, texts.get(key, "")) for key, q in QUESTIONS[self.feedback.form].texts]


@dataclass
class RelationshipPage:
    relationship: Relationship
    parties: list[PartyRow]
    events: list[RelationshipEvent]
    viewer_party: Participant | None
    can_manage: bool
    can_work: bool
    can_read_agreement: bool
    can_edit_agreement: bool
    agreement: AgreementVersion | None
    disagreements: list[Disagreement] = field(default_factory=list)
    can_record_disagreement: bool = False
    can_give_feedback: bool = False
    can_ask_for_change: bool = False
    open_allegations: list[Allegation] = field(default_factory=list)

    @property
    def viewer_accepted(self) -> bool:
        return any(
            row.accepted_at is not None
            for row in self.parties
            if self.viewer_party is not None and row.participant.pk == self.viewer_party.pk
        )

    @property
    def viewer_signed(self) -> bool:
        return any(
            row.statement_at is not None
            for row in self.parties
            if self.viewer_party is not None and row.participant.pk == self.viewer_party.pk
        )

    @property
    def all_accepted(self) -> bool:
        return bool(self.parties) and all(row.accepted_at for row in self.parties)


def relationship_page(viewer: Viewer, relationship: Relationship) -> RelationshipPage:
    participants = list(
        Participant.objects.filter(relationship=relationship)
        .select_related("person__supervisor")
        .order_by("-side", "person_id")
    )
    viewer_party = next((p for p in participants if p.person_id == viewer.person.pk), None)
    can_manage = can_access_relationship(viewer, relationship, "manage")
    can_read_agreement = can_manage or viewer_party is not None
    agreement = None
    accepted: dict[int, Any] = {}
    statements: dict[int, Any] = {}
    if can_read_agreement:
        agreement = (
            AgreementVersion.objects.filter(relationship=relationship).order_by("-number").first()
        )
        if agreement is not None:
            accepted = dict(
                AgreementAcceptance.objects.filter(version=agreement).values_list(
                    "person_id", "accepted_at"
                )
            )
        statements = dict(
            ConfidentialityStatement.objects.filter(relationship=relationship).values_list(
                "person_id", "signed_at"
            )
        )
    feedback: dict[int, ExitFeedback] = {}
    if can_manage:
        feedback = {f.person_id: f for f in ExitFeedback.objects.filter(relationship=relationship)}
    elif viewer_party is not None:
        mine = ExitFeedback.objects.filter(relationship=relationship, person=viewer.person).first()
        if mine is not None:
            feedback[mine.person_id] = mine
    parties = [
        PartyRow(
            participant=p,
            accepted_at=accepted.get(p.person_id),
            statement_at=statements.get(p.person_id),
            feedback=feedback.get(p.person_id),
        )
        for p in participants
    ]
    page = RelationshipPage(
        relationship=relationship,
        parties=parties,
        events=list(
            RelationshipEvent.objects.filter(relationship=relationship).order_by("-at", "-id")
        ),
        viewer_party=viewer_party,
        can_manage=can_manage,
        can_work=can_access_relationship(viewer, relationship, "work"),
        can_read_agreement=can_read_agreement,
        can_edit_agreement=can_access_agreement(viewer, relationship, "edit"),
        agreement=agreement,
        can_record_disagreement=can_access_ending(viewer, relationship, "disagreement"),
        can_give_feedback=can_access_ending(viewer, relationship, "feedback")
        and viewer.person.pk not in feedback,
        can_ask_for_change=viewer_party is not None and relationship.status != Status.ENDED,
    )
    if can_manage or viewer_party is not None:
        page.disagreements = list(
            Disagreement.objects.filter(relationship=relationship).select_related("raised_by")
        )
    if can_manage:
        page.open_allegations = _allegations_pausing(viewer, relationship)
    return page


def _allegations_pausing(viewer: Viewer, relationship: Relationship) -> list[Allegation]:
    """Open allegations that paused this relationship, for the coordinators' eyes only."""
    ids = AllegationPause.objects.filter(
        relationship=relationship, allegation__status=AllegationStatus.OPEN
    ).values("allegation_id")
    allegations = Allegation.objects.filter(pk__in=ids).select_related("subject")
    return [a for a in allegations if can_access_allegation(viewer, a, "view")]
