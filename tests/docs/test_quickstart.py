"""docs/quickstart.md runs: its Python blocks, in order, in one namespace, through the public
import paths only (no ``mckm.impl``), and what they print is what the page says it shows."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

PAGE = Path(__file__).resolve().parents[2] / "docs" / "quickstart.md"
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def blocks() -> list[str]:
    return BLOCK.findall(PAGE.read_text())


def test_the_page_has_the_four_examples() -> None:
    text = PAGE.read_text()
    for heading in ("## Decode and encode", "## Create and process an I_MESSAGE",
                    "## Run a ticket exchange", "## The `Secret` type"):
        assert heading in text
    assert len(blocks()) == 5


def test_the_examples_use_only_public_import_paths() -> None:
    for code in blocks():
        assert "impl" not in code and "tests." not in code, code


def test_the_examples_run() -> None:
    namespace: dict[str, object] = {"__name__": "quickstart"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for index, code in enumerate(blocks()):
            exec(compile(code, f"{PAGE.name} block {index + 1}", "exec"), namespace)
    printed = out.getvalue()
    # the readable tree of the decoded vendor message, with its KMS URI as text
    assert '"kms.mydev.streamwide.com"' in printed and "IDRkmsr" in printed
    assert "refused: offset 22, payload RAND" in printed  # the truncated message
    # the replayed I_MESSAGE is refused by its guard; keys print redacted
    assert "refused by guard 'not-replayed'" in printed
    assert "Secret(<redacted sha256:" in printed
    assert "TicketKeys(" in printed and "redacted" in printed.split("TicketKeys(")[1]
