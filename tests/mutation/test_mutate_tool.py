"""tools/mutate.py (``./dev mutate``): its score counts what it says, the fresh-import pass
overrides mutmut's verdict, and every mutant judged equivalent carries a reason."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mckm_mutate_tool", ROOT / "tools" / "mutate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_every_equivalent_mutant_has_a_reason_and_names_a_target_file() -> None:
    tool = _tool()
    judged = tool.equivalent()
    assert judged, "tests/mutation/equivalent.yaml is empty"
    prefixes = {re.sub(r"\*?\.py$", "", f).replace("/", ".") for t in tool.TARGETS.values()
                for f in t.files}
    for mutant, reason in judged.items():
        assert "__mutmut_" in mutant, mutant
        assert len(reason.split()) >= 4, f"{mutant}: no reason a reviewer can check"
        assert any(mutant.startswith(p) for p in prefixes), f"{mutant}: not in any target"


def test_score_counts_killed_over_checked_less_equivalent_and_fresh_wins(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tool = _tool()
    meta = tmp_path / "mutants" / "mckm" / "impl" / "engine" / "x.py.meta"
    meta.parent.mkdir(parents=True)
    codes = {"m.a__mutmut_1": 1, "m.a__mutmut_2": 0, "m.a__mutmut_3": 0, "m.a__mutmut_4": 33,
             "m.a__mutmut_5": None, "m.a__mutmut_6": 36}
    meta.write_text(json.dumps({"exit_code_by_key": codes}))
    (tmp_path / "fresh.json").write_text(json.dumps({"m.a__mutmut_2": 1}))
    monkeypatch.setattr(tool, "equivalent", lambda: {"m.a__mutmut_3": "a reason of four words"})
    monkeypatch.setattr(tool, "show", lambda scratch, mutant: "")
    killed, counted, ok = tool.report("t", tmp_path, 90.0)
    # killed: 1, 2 (fresh), 6 (timeout); 3 equivalent; 4 unreached counts; 5 not checked
    assert (killed, counted, ok) == (3, 4, False)
    out = capsys.readouterr().out
    assert "score 75.0 %" in out and "m.a__mutmut_4: no test reached it" in out
    assert "m.a__mutmut_3" not in out.split("\n", 1)[1]


def test_a_sample_is_drawn_the_same_for_a_seed_and_its_interval_holds_the_score() -> None:
    tool = _tool()
    names = [f"m.f__mutmut_{i}" for i in range(1, 201)]
    drawn = tool.sample(names, 0.1, 7)
    assert len(drawn) == 20 and set(drawn) <= set(names)
    assert drawn == tool.sample(list(reversed(names)), 0.1, 7) != tool.sample(names, 0.1, 8)
    low, high = tool.wilson(180, 200)  # 90 %: the interval is about 85.1-93.4 %
    assert 85.0 < low < 85.2 and 93.3 < high < 93.5
    assert tool.wilson(0, 0) == (0.0, 100.0) and tool.wilson(10, 10)[1] == 100.0


def test_a_sampled_run_reports_the_interval_and_leaves_the_rest_unchecked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tool = _tool()
    meta = tmp_path / "mutants" / "x.py.meta"
    meta.parent.mkdir(parents=True)
    codes = {f"m.a__mutmut_{i}": (1 if i <= 9 else 0 if i == 10 else None) for i in range(1, 41)}
    meta.write_text(json.dumps({"exit_code_by_key": codes}))
    monkeypatch.setattr(tool, "equivalent", dict)
    monkeypatch.setattr(tool, "show", lambda scratch, mutant: "")
    assert tool.report("t", tmp_path, 80.0) == (9, 10, True)
    out = capsys.readouterr().out
    assert "a sample of 10 of 40 mutants" in out and "not checked 30" in out
