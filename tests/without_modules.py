"""Run Python in a subprocess in which some installed modules cannot be imported.

The test environment has every extra installed; a user's may not. An import hook at the front
of `sys.meta_path` refuses the named top-level modules, as if they were not installed, so the
library's own code runs unchanged (nothing of ours is mocked).
"""

from __future__ import annotations

import subprocess
import sys

_BLOCKER = """
import sys

class _NotInstalled:
    def __init__(self, names):
        self.names = names

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in self.names:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, _NotInstalled(set(sys.argv[1].split(","))))
del sys.argv[1]
"""

MLC = "from modelop_mlc.cli import main\nsys.exit(main(sys.argv[1:]))\n"
"""Code that runs `mlc` with the arguments given after it."""


def run_without(
    modules: list[str], code: str, *args: str, cwd: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `code` (with `sys.argv[1:] == args`) where `modules` cannot be imported."""
    return subprocess.run(
        [sys.executable, "-c", _BLOCKER + code, ",".join(modules), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
    )
