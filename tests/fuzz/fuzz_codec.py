"""atheris fuzz target of the MIKEY codec (``./dev fuzz -atheris_runs=1000000``):
``tests/fuzz/fuzz.py codec``.

The target itself is ``tests.fuzz.targets.TARGETS["codec"]``; ``fuzz.py`` instruments the code it
exercises, the codec's generated parsers and builders included.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.fuzz import fuzz

if __name__ == "__main__":
    fuzz.main([sys.argv[0], "codec", *sys.argv[1:]])
