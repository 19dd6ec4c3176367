"""Run the command line: ``python -m matchengine solve problem.json``."""

import sys

from matchengine.cli import main

sys.exit(main())
