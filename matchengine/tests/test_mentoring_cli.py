"""The command line and the JSON format: good input prints JSON, bad input names the problem."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from matchengine import ProblemError, parse_mentoring_problem, solve_json, solve_mentoring

ROOT = Path(__file__).resolve().parents[2]


def _case() -> dict[str, Any]:
    return {
        "problem": "mentoring",
        "weights": {"language": 2, "distance": 1},
        "mentees": [
            {"id": "mia", "languages": ["English"], "gender": "female", "waiting_days": 40},
            {"id": "ned", "languages": ["Polish"], "gender": "male"},
        ],
        "mentors": [
            {"id": "mo", "languages": ["English", "Polish"], "capacity": 1},
            {"id": "pat", "languages": ["English"], "capacity": 2},
        ],
    }


def _run(tmp_path: Path, content: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "problem.json"
    path.write_text(content, encoding="utf-8")
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "matchengine", "solve", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_it_prints_the_result_as_json(tmp_path: Path) -> None:
    done = _run(tmp_path, json.dumps(_case()))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "optimal"
    assert {(p["mentee"], p["mentor"]) for p in result["pairs"]} == {("mia", "pat"), ("ned", "mo")}
    assert result == solve_json(_case())


@pytest.mark.parametrize(
    ("change", "item", "words"),
    [
        (lambda d: d["mentees"][0].update(favourite="tea"), "mentee 'mia'.favourite", "unknown"),
        (lambda d: d["mentors"][0].update(capacity=-1), "mentor 'mo'.capacity", "negative"),
        (lambda d: d["mentors"].append({"id": "mo"}), "mentor 'mo'", "more than once"),
        (lambda d: d["weights"].update(language="high"), "weights.language", "must be a number"),
        (lambda d: d["weights"].update(kindness=1), "weights.kindness", "unknown"),
        (
            lambda d: d.update(locked=[{"mentee": "ned", "mentor": "pat"}]),
            "locked pair ned - pat",
            "share no language",
        ),
        (
            lambda d: d.update(locked=[{"mentee": "ned", "mentor": "zed"}]),
            "locked[0].mentor",
            "no mentor has the id 'zed'",
        ),
        (lambda d: d.update(problem="dancing"), "problem", "must be one of"),
        (lambda d: d["mentees"][1].update(hours=[[7, 9, 17]]), "mentee 'ned'.hours[0]", "day"),
        (
            lambda d: d["mentees"][1].update(location={"lat": 95, "lon": 0}),
            "mentee 'ned'.location.lat",
            "between -90 and 90",
        ),
    ],
)
def test_bad_input_is_refused_with_the_item_named(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], item: str, words: str
) -> None:
    data = _case()
    change(data)
    with pytest.raises(ProblemError) as caught:
        solve_json(data)
    assert caught.value.item == item and words in caught.value.problem
    done = _run(tmp_path, json.dumps(data))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(f"error: {item}: ") and words in done.stderr
    assert "Traceback" not in done.stderr


def test_malformed_json_is_refused_without_a_traceback(tmp_path: Path) -> None:
    done = _run(tmp_path, '{"problem": "mentoring", "mentees": [')
    assert done.returncode == 2
    assert "is not valid JSON" in done.stderr and "line 1" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "matchengine", "solve", str(tmp_path / "nope.json")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and "file not found" in done.stderr


def test_a_mentor_cannot_have_more_locked_mentees_than_places() -> None:
    data = _case()
    data["locked"] = [{"mentee": "mia", "mentor": "mo"}, {"mentee": "ned", "mentor": "mo"}]
    with pytest.raises(ProblemError) as caught:
        solve_mentoring(parse_mentoring_problem(data))
    assert caught.value.item == "mentor 'mo'" and "more locked mentees (2)" in caught.value.problem


def test_a_locked_pair_stays_and_the_rest_is_optimised_around_it() -> None:
    data = _case()
    # Left alone the engine pairs mia with pat; locking mia to mo moves ned to ... nobody
    # who speaks Polish, so ned stays unmatched and says why.
    data["locked"] = [{"mentee": "mia", "mentor": "mo"}]
    result = solve_mentoring(parse_mentoring_problem(data)).to_json()
    assert [(p["mentee"], p["mentor"], p["locked"]) for p in result["pairs"]] == [
        ("mia", "mo", True)
    ]
    (ned,) = result["unmatched"]
    assert ned["reasons"] == [
        "the only mentor who fits (mo) is full, and giving this mentee a place would leave "
        "another mentee unmatched"
    ]


def test_a_locked_pair_breaking_the_gender_preference_is_refused() -> None:
    data = _case()
    data["mentees"][0]["gender_preference"] = ["female"]
    data["mentors"][1]["gender"] = "male"
    data["locked"] = [{"mentee": "mia", "mentor": "pat"}]
    with pytest.raises(ProblemError) as caught:
        solve_json(data)
    assert "asked for a female mentor" in caught.value.problem


def test_rotation_and_groups_are_dispatched_to_their_modules(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[dict[str, Any]] = []

    class Result:
        def to_json(self) -> dict[str, Any]:
            return {"ok": True}

    def parse(data: dict[str, Any]) -> str:
        calls.append(data)
        return "parsed"

    def solve(problem: str, progress: object = None) -> Result:
        assert problem == "parsed"
        return Result()

    fake = types.ModuleType("matchengine.groups")
    fake.parse_groups_problem = parse  # type: ignore[attr-defined]
    fake.solve_groups = solve  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "matchengine.groups", fake)
    assert solve_json({"problem": "groups", "people": []}) == {"ok": True}
    assert calls == [{"problem": "groups", "people": []}]


def test_progress_reports_stages_with_fractions_between_0_and_1() -> None:
    seen: list[tuple[str, float]] = []
    solve_json(_case(), progress=lambda stage, done: seen.append((stage, done)))
    stages = [stage for stage, _ in seen]
    assert stages[0] == "candidates" and "solving" in stages and stages[-1] == "explaining"
    assert all(0.0 <= done <= 1.0 for _, done in seen)
