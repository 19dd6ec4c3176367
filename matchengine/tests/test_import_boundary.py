"""The engine stands alone: importing it pulls in no Django and nothing from the app."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_importing_matchengine_imports_no_django() -> None:
    code = (
        "import sys, matchengine, matchengine.mentoring, matchengine.cli, matchengine.solve; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'peercircle')); "
        "print(','.join(bad))"
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert done.stdout.strip() == ""
