"""The seed 000 part of `mckm demo`: both directions arrive unchanged, every hop is printed with
its key id and algorithms, and no key (32 hex digits of a 128-bit key) is printed."""

from __future__ import annotations

import re

from mckm.impl.roles.interkmm.demo import interkmm_exchange


def test_the_demo_relays_both_ways_and_prints_no_key() -> None:
    lines: list[str] = []
    assert interkmm_exchange(lines.append)
    text = "\n".join(lines)
    assert text.count("arrived unchanged: True") == 2
    assert text.count("in clear: False") == 4 and "in clear: True" not in text
    assert "SPK-ID 0x3123abcd" in text and "CSK-ID 0x2a5b3c4d" in text
    assert not re.search(r"[0-9a-f]{32}", text)
