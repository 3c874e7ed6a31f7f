"""Seed 003's SeGy simulator: agrees with the closed forms, counts what the model sends."""

from __future__ import annotations

import csv
import dataclasses
import io
import json

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from mckm.impl.cli import main
from mckm.impl.errors import UsageError
from mckm.impl.segy import closed_form
from mckm.impl.segy.simulator import METRICS, Mix, simulate
from mckm.models.procedures.registry import by_name
from mckm.models.segy import operations as ops
from mckm.models.segy.approaches import APPROACHES, by_number

SIZES = [(1, 2, 1), (7, 3, 2), (50, 100, 3), (333, 40, 1), (1000, 7, 2)]
MIXES = [Mix(), Mix(private=0, group=3, groups_per_user=1), Mix(private=2, group=0,
                                                               groups_per_user=2)]


@pytest.mark.parametrize("approach", APPROACHES, ids=lambda a: f"approach-{a.number}")
@pytest.mark.parametrize("users,groups,periods", SIZES)
@pytest.mark.parametrize("mix", MIXES, ids=["default", "groups-only", "private-only"])
def test_simulator_agrees_with_closed_form(approach, users, groups, periods, mix):
    assert simulate(approach, users, groups, periods, mix) == closed_form.counts(
        approach, users, groups, periods, mix)


@given(approach=st.sampled_from(APPROACHES), users=st.integers(1, 300),
       groups=st.integers(1, 60), periods=st.integers(1, 3), private=st.integers(0, 3),
       group=st.integers(0, 3), data=st.data())
def test_simulator_agrees_with_closed_form_on_drawn_sizes(approach, users, groups, periods,
                                                         private, group, data):
    m = data.draw(st.integers(1, groups))
    mix = Mix(private=private, group=group, groups_per_user=m)
    assert simulate(approach, users, groups, periods, mix) == closed_form.counts(
        approach, users, groups, periods, mix)


def test_the_simulator_runs_the_model_not_the_formula():
    # one more message in an operation of the model changes the simulated count; the
    # simulator reads the operations, it does not evaluate a formula of its own
    a2 = by_number(2)
    login = dataclasses.replace(ops.LOGIN, messages=(*ops.LOGIN.messages,
                                                     ops.LOGIN.messages[-1]))
    heavier = dataclasses.replace(a2, per_identity=(login, *a2.per_identity[1:]))
    base = simulate(a2, 100, 10, 1, Mix())
    assert simulate(heavier, 100, 10, 1, Mix())["idm_messages"] == base["idm_messages"] + 100


def test_shared_identity_joins_each_group_once_per_identity_many_times_otherwise():
    one, many = (simulate(by_number(n), 500, 20, 1, Mix(groups_per_user=3)) for n in (1, 2))
    assert one["group_joins"] == 20            # seed 7.8.1: one identity, each group once
    assert many["group_joins"] == 500 * 3      # seed 7.8.2.3 step 3: "the same group many times"
    assert many["tls_connections"] == 4 * 500  # 7.8.2.3 step 4: a connection per identity


def test_counts_named_messages_of_the_project_procedure_models():
    for op in ops.OPERATIONS.values():
        for msg in op.messages:
            if msg.procedure:
                step = by_name(msg.procedure).step(msg.step)
                assert step.action == "send"


@pytest.mark.parametrize("text,needle", [("private=x", "private"), ("calls=1", "calls"),
                                         ("private", "private")])
def test_bad_mix_is_refused_by_field(text, needle):
    with pytest.raises(UsageError, match=needle):
        Mix.parse(text)


def test_cli_formats_and_errors(tmp_path):
    runner = CliRunner()
    args = ["segy", "simulate", "-N", "40", "-G", "8", "-K", "2"]
    table = runner.invoke(main, args)
    assert table.exit_code == 0, table.output
    assert all(m in table.output for m in METRICS)
    rows = list(csv.DictReader(io.StringIO(runner.invoke(main, [*args, "--format", "csv"])
                                           .stdout)))
    assert [int(r["approach"]) for r in rows] == [1, 2, 3, 4, 5]
    assert int(rows[1]["idm_messages"]) == 2 * 40
    data = json.loads(runner.invoke(main, [*args, "--format", "json", "-a", "4"]).stdout)
    assert list(data["approaches"]) == ["4"]
    assert data["approaches"]["4"] == simulate(by_number(4), 40, 8, 2, Mix())
    bad = runner.invoke(main, ["segy", "simulate", "-G", "1"])
    assert bad.exit_code == 2 and "groups-per-user" in bad.output
    assert "Traceback" not in bad.output
    sweep = runner.invoke(main, [*args, "--plot", str(tmp_path), "--sweep", "10,x"])
    assert sweep.exit_code == 2 and "--sweep" in sweep.output and "'x'" in sweep.output
    assert sweep.stdout == ""  # refused before anything ran


def test_cli_plots_png_and_svg(tmp_path):
    out = tmp_path / "plots"
    result = CliRunner().invoke(main, ["segy", "simulate", "-N", "30", "-G", "5",
                                       "--sweep", "3,10", "--plot", str(out)])
    assert result.exit_code == 0, result.output
    for metric in METRICS:
        png = (out / f"segy-{metric}.png").read_bytes()
        assert png.startswith(b"\x89PNG")
        assert b"<svg" in (out / f"segy-{metric}.svg").read_bytes()[:500]
