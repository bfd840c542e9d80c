"""Draw the shipped diagrams as SVG figures for the docs (docs/processes/figures/).

    python scripts/render_figures.py          # write the figures
    python scripts/render_figures.py --check  # exit 1 when a figure is out of date

The drawing is `modelop_mlc.drawing`'s (the one `LifecycleManager.render` and the coverage
report use), from each file's BPMN diagram interchange, with nothing highlighted.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from modelop_mlc import diagrams
from modelop_mlc.drawing import render_drawings

FIGURES = Path(__file__).resolve().parents[1] / "docs" / "processes" / "figures"


def figures() -> dict[Path, str]:
    """The figure of every shipped process, by the file it belongs in."""
    drawn = {}
    for key in diagrams.SHIPPED:
        xml = diagrams.path(key).read_text()
        first, *_ = render_drawings(xml)
        drawn[FIGURES / f"{key}.svg"] = first.svg()
    return drawn


def main() -> int:
    """Write the figures, or check them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check they are up to date")
    args = parser.parse_args()
    stale = []
    for path, svg in figures().items():
        if args.check:
            if not path.is_file() or path.read_text() != svg:
                stale.append(path.name)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(svg)
        print(f"wrote {path.relative_to(FIGURES.parents[2])}")
    if stale:
        print(f"out of date: {', '.join(stale)}; run python scripts/render_figures.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
