"""`python -m pipelines ...`: the consultants' command line (see pipelines/cli.py)."""

import sys

from pipelines.cli import main

sys.exit(main())
