"""The exit feedback forms: the mentor's (handbook appendix v) and the mentee's (appendix vi).

Peers and people receiving one-way support answer the mentee's questions, worded for them.
"""

from __future__ import annotations

from dataclasses import dataclass

from peercircle.relationships.choices import Side
from peercircle.relationships.endings.models import FeedbackForm


@dataclass(frozen=True)
class Questions:
    usefulness: str
    texts: tuple[tuple[str, str], ...]  # (key, question)
    would_again: str
    would_recommend: str


QUESTIONS: dict[str, Questions] = {
    FeedbackForm.MENTOR: Questions(
        usefulness="How useful do you think the relationship was for the person you supported?",
        texts=(
            ("went_well", "What went well?"),
            (
                "helped",
                "What helped you in the role (training, supervision, the support group, the "
                "coordinator)?",
            ),
            ("difficult", "What was difficult?"),
            ("better", "What could the scheme do better?"),
        ),
        would_again="Would you do this again?",
        would_recommend="Would you recommend the role to others?",
    ),
    FeedbackForm.MENTEE: Questions(
        usefulness="How useful was the relationship for you?",
        texts=(
            ("goals", "Did it help with what you wanted to work on? How?"),
            ("helped", "What helped most?"),
            ("confidence", "Do you feel more confident, or less on your own, because of it?"),
            ("better", "What could have been better?"),
        ),
        would_again="Would you like to support someone yourself one day?",
        would_recommend="Would you recommend it to someone in your position?",
    ),
}

USEFULNESS = (
    (5, "Very useful"),
    (4, "Useful"),
    (3, "Somewhat useful"),
    (2, "Not very useful"),
    (1, "Not useful at all"),
)


def form_for(side: str) -> str:
    return FeedbackForm.MENTOR if side in (Side.MENTOR, Side.SUPPORTER) else FeedbackForm.MENTEE
