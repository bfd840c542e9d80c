"""`python -m modelop_mlc.cli`: the `mlc` command without its script on PATH."""

import sys

from modelop_mlc.cli import main

sys.exit(main())
