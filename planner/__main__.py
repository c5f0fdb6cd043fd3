"""``python -m planner``: see :mod:`planner.cli`."""

import os
import sys

from planner.cli import main

status = main()
try:
    sys.stdout.flush()
except BrokenPipeError:
    # Python would report the failed flush at exit; point stdout at nothing instead.
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
sys.exit(status)
