"""``warm_up`` loads every compiled kernel a solve needs, so the first real solve loads none."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from matchengine._jit import HAVE_JIT

ROOT = Path(__file__).resolve().parents[2]

# Run in a fresh interpreter: in the test process other tests have long since loaded them.
SCRIPT = """
import random
from matchengine import _auction, _scan, _ssp, flow, solve_mentoring, warm_up
from matchengine.model import Location, MentoringProblem, Person

def loaded():
    return {
        (mod.__name__, name): len(getattr(mod, name).signatures)
        for mod in (_auction, _scan, _ssp, flow)
        for name in dir(mod)
        if hasattr(getattr(mod, name), "signatures")
    }

before_warm_up = loaded()
warm_up()
after_warm_up = loaded()
rng = random.Random(5)

def someone(prefix, k, **extra):
    return Person(
        id=f"{prefix}{k:04d}",
        languages=tuple(rng.sample(["en", "pl", "ur", "ti"], rng.randint(1, 2))),
        gender=rng.choice(["female", "male"]),
        gender_preference=rng.choice([None, ("female",)]),
        experience=tuple(rng.sample(["adhd", "teens", "loss"], rng.randint(0, 2))),
        location=Location(51 + rng.random(), -1 + rng.random()),
        travel_limit=rng.choice([None, 15.0, 30.0]),
        **extra,
    )

mentees = tuple(someone("e", k, needs=("teens",)) for k in range(300))
mentors = tuple(someone("m", k, capacity=rng.randint(1, 3)) for k in range(150))
result = solve_mentoring(MentoringProblem(mentees=mentees, mentors=mentors))
assert result.matched > 0 and result.unmatched
after_solve = loaded()
entry_points = ["auction", "_kernel", "explain_block", "_solve", "_short_mentors",
                "by_row_then_col", "_stable_by_key", "_dijkstra"]
missing = [k for k, v in after_warm_up.items() if k[1] in entry_points and v == 0]
assert not missing, f"warm_up left kernels unloaded: {missing}"
assert sum(before_warm_up.values()) == 0, before_warm_up
grown = {k: (after_warm_up[k], v) for k, v in after_solve.items() if v != after_warm_up[k]}
assert not grown, f"the solve after warm_up still loaded: {grown}"
print("ok")
"""


@pytest.mark.skipif(not HAVE_JIT, reason="without numba there is nothing to load")
def test_warm_up_loads_every_kernel_the_next_solve_uses() -> None:
    done = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
