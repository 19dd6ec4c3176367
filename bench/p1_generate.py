"""Seeded generator of realistic P1 (mentoring) instances, in the engine's JSON format.

UK-like geography: people cluster around real towns weighted by rough population, with a rural
remainder. Language mix: nearly everyone speaks English, with community languages at realistic
rarity (Polish, Urdu, Punjabi ... down to Tigrinya and Amharic) and some mentees who speak no
English. Gender preferences, travel limits (mostly 10-30 miles, some with none for phone
contact), working-hour patterns, capacities of 1-3 (mostly 2) and waiting times.
"""

from __future__ import annotations

from typing import Any

import numpy as np

TOWNS = [
    ("London", 51.51, -0.13, 20.0, 0.22),
    ("Birmingham", 52.48, -1.90, 6.0, 0.12),
    ("Manchester", 53.48, -2.24, 6.0, 0.12),
    ("Leeds", 53.80, -1.55, 4.0, 0.10),
    ("Glasgow", 55.86, -4.25, 4.0, 0.10),
    ("Liverpool", 53.41, -2.98, 3.0, 0.08),
    ("Newcastle", 54.98, -1.61, 3.0, 0.08),
    ("Sheffield", 53.38, -1.47, 3.0, 0.08),
    ("Bristol", 51.45, -2.59, 3.0, 0.08),
    ("Edinburgh", 55.95, -3.19, 3.0, 0.08),
    ("Cardiff", 51.48, -3.18, 3.0, 0.08),
    ("Leicester", 52.64, -1.13, 2.0, 0.07),
    ("Nottingham", 52.95, -1.15, 2.0, 0.07),
    ("Southampton", 50.91, -1.40, 2.0, 0.07),
    ("Brighton", 50.82, -0.14, 2.0, 0.06),
    ("Belfast", 54.60, -5.93, 2.0, 0.07),
    ("Plymouth", 50.38, -4.14, 1.5, 0.06),
    ("Norwich", 52.63, 1.30, 1.5, 0.06),
    ("Hull", 53.74, -0.33, 1.5, 0.06),
    ("Stoke", 53.00, -2.18, 1.5, 0.06),
    ("Cambridge", 52.21, 0.12, 1.5, 0.05),
    ("Oxford", 51.75, -1.26, 1.5, 0.05),
    ("Exeter", 50.72, -3.53, 1.0, 0.05),
    ("Swansea", 51.62, -3.94, 1.0, 0.05),
    ("Aberdeen", 57.15, -2.09, 1.0, 0.05),
    ("Inverness", 57.48, -4.22, 0.5, 0.05),
]
RURAL_SHARE = 0.15
# Second languages and their share of people (London has more of each).
LANGUAGES = [
    ("Polish", 0.040),
    ("Urdu", 0.030),
    ("Punjabi", 0.025),
    ("Bengali", 0.020),
    ("Gujarati", 0.015),
    ("Arabic", 0.015),
    ("Romanian", 0.010),
    ("Spanish", 0.010),
    ("Portuguese", 0.008),
    ("Cantonese", 0.005),
    ("Somali", 0.005),
    ("Farsi", 0.004),
    ("Yoruba", 0.004),
    ("Turkish", 0.004),
    ("Kurdish", 0.003),
    ("Tigrinya", 0.002),
    ("Amharic", 0.001),
]
CULTURES = [
    "White British",
    "White Irish",
    "White other",
    "Black African",
    "Black Caribbean",
    "Indian",
    "Pakistani",
    "Bangladeshi",
    "Chinese",
    "Arab",
    "Mixed",
    "Other",
]
WORK_TYPES = [
    "teenagers",
    "disabilities",
    "respite",
    "short-term",
    "long-term",
    "parent-and-child",
    "sibling-groups",
    "unaccompanied-asylum-seekers",
]
EXPERIENCE = [
    "questioning-sexuality",
    "self-harm",
    "contact-with-birth-family",
    "school-exclusion",
    "autism",
    "adhd",
    "trauma",
    "allegations",
    "transition-to-adulthood",
    "eating-disorders",
    "substance-misuse",
    "youth-justice",
]
BACKGROUNDS = [
    "nursing",
    "teaching",
    "social-care",
    "youth-work",
    "police",
    "childcare",
    "health-visiting",
    "counselling",
]
PERSONALITIES = ["calm", "energetic", "reflective", "practical"]
LEARNING = ["talking", "reading", "doing", "watching"]
HOUR_PATTERNS = [
    [[d, 9, 17] for d in range(5)],
    [[d, 18, 22] for d in range(5)],
    [[5, 10, 16], [6, 10, 16]],
    [[d, 9, 13] for d in range(5)],
    [[d, 13, 18] for d in range(5)],
    [[d, 8, 15] for d in range(5)],
]


def _people(rng: np.random.Generator, count: int, role: str) -> list[dict[str, Any]]:
    weights = np.array([t[4] for t in TOWNS])
    weights = weights / weights.sum() * (1 - RURAL_SHARE)
    town = rng.choice(len(TOWNS) + 1, size=count, p=np.r_[weights, RURAL_SHARE])
    people = []
    for k in range(count):
        if town[k] < len(TOWNS):
            _, lat0, lon0, _, spread = TOWNS[town[k]]
            lat = lat0 + rng.normal(0, spread)
            lon = lon0 + rng.normal(0, spread * 1.6)
            london = town[k] == 0
        else:
            base = TOWNS[rng.integers(len(TOWNS))]
            lat = base[1] + rng.normal(0, 0.45)
            lon = base[2] + rng.normal(0, 0.7)
            london = False
        langs = []
        if role == "mentor" or rng.random() > 0.04:
            langs.append("English")
        for name, share in LANGUAGES:
            if rng.random() < share * (2.5 if london else 0.8):
                langs.append(name)
        if town[k] in (10, 23) and rng.random() < 0.2:
            langs.append("Welsh")
        if not langs:
            name = LANGUAGES[rng.integers(len(LANGUAGES))][0]
            langs.append(name)
        gender = rng.choice(["female", "male", None], p=[0.74, 0.25, 0.01])
        pref: list[str] | None = None
        if role == "mentee":
            roll = rng.random()
            if roll < 0.25 and gender is not None:
                pref = [gender]
            elif roll < 0.28:
                pref = ["female"]
        elif rng.random() < 0.08 and gender is not None:
            pref = [gender]
        limit_roll = rng.random()
        if limit_roll < 0.72:
            limit: float | None = float(rng.choice([10, 15, 20, 25, 30]))
        elif limit_roll < 0.92:
            limit = float(rng.choice([40, 50]))
        else:
            limit = None
        person: dict[str, Any] = {
            "id": f"{role}-{k:06d}",
            "languages": langs,
            "culture": [CULTURES[min(len(CULTURES) - 1, int(rng.exponential(2.0)))]],
            "gender": gender,
            "gender_preference": pref,
            "work_types": sorted(set(rng.choice(WORK_TYPES, size=rng.integers(1, 4)).tolist())),
            "background": sorted(set(rng.choice(BACKGROUNDS, size=rng.integers(0, 2)).tolist())),
            "location": {"lat": round(float(lat), 5), "lon": round(float(lon), 5)},
            "travel_limit": limit,
            "hours": [
                block
                for p in rng.choice(len(HOUR_PATTERNS), size=rng.integers(1, 3), replace=False)
                for block in HOUR_PATTERNS[p]
            ],
            "personality": str(rng.choice(PERSONALITIES)),
            "learning_style": str(rng.choice(LEARNING)),
        }
        if role == "mentee":
            person["needs"] = sorted(set(rng.choice(EXPERIENCE, size=rng.integers(0, 3)).tolist()))
            person["waiting_days"] = int(rng.integers(0, 365))
        else:
            person["experience"] = sorted(
                set(rng.choice(EXPERIENCE, size=rng.integers(0, 5)).tolist())
            )
            person["capacity"] = int(rng.choice([1, 2, 3], p=[0.15, 0.75, 0.10]))
        people.append(person)
    return people


def generate(n_mentees: int, seed: int = 1) -> dict[str, Any]:
    """A P1 problem with ``n_mentees`` mentees and half as many mentors."""
    rng = np.random.default_rng(seed)
    mentees = _people(rng, n_mentees, "mentee")
    mentors = _people(rng, max(1, n_mentees // 2), "mentor")
    history = []
    must_not = []
    for k in rng.choice(n_mentees, size=n_mentees // 50, replace=False).tolist():
        history.append(
            {
                "mentee": mentees[k]["id"],
                "mentor": mentors[int(rng.integers(len(mentors)))]["id"],
                "outcome": str(rng.choice(["ended", "failed"])),
            }
        )
    for k in rng.choice(n_mentees, size=n_mentees // 200, replace=False).tolist():
        must_not.append(
            {"mentee": mentees[k]["id"], "mentor": mentors[int(rng.integers(len(mentors)))]["id"]}
        )
    return {
        "problem": "mentoring",
        "distance_unit": "mi",
        "distance_scale": 30,
        "weights": {
            "language": 1,
            "culture": 1,
            "gender": 0.5,
            "work_types": 2,
            "experience": 3,
            "distance": 2,
            "hours": 1,
            "personality": 1,
            "learning_style": 0.5,
            "background": 1,
        },
        "compatible_personalities": [["calm", "energetic"], ["reflective", "practical"]],
        "mentees": mentees,
        "mentors": mentors,
        "history": history,
        "must_not_pair": must_not,
    }
