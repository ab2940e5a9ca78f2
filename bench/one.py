"""Run one measure once in this process and print its figure and peak memory (MB)."""

from __future__ import annotations

import os
import resource
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bench import measures  # noqa: F401
from bench.registry import MEASURES, SCALES


def peak_memory_mb() -> float:
    """The largest resident size of this process and of the children it waited for."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    divisor = 1024 * 1024 if sys.platform == "darwin" else 1024
    return max(own, children) / divisor


def main() -> int:
    name, scale = sys.argv[1], sys.argv[2]
    figure = MEASURES[name].function(SCALES[scale])
    print(f"{figure:.6f} {peak_memory_mb():.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
