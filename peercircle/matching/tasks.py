"""Matching runs in the background: the page starts a run and polls its progress."""

from __future__ import annotations

from django_tasks import task

from peercircle.matching.services import run_execute, run_fail


@task()
def run_matching(run_id: int) -> str:
    """Run the engine for one queued run; a crash is written to the run, not lost in a log."""
    try:
        run = run_execute(run_id)
    except Exception as exc:
        run_fail(run_id, f"{type(exc).__name__}: {exc}")
        raise
    return run.status
