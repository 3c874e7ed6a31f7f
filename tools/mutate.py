"""Mutation testing of the runtime (issue 12, "Tests that reach the runtime"): ``mutmut`` 3 over
the engine, the role endpoints and the crypto facts, each target with the tests that reach it.

    .venv/bin/pip install -e '.[dev,mutation]'
    ./dev mutate --list                   # the targets, their files and tests
    ./dev mutate engine                   # one target (nice'd; the big ones one at a time)
    ./dev mutate engine --report          # the score of the last run, without running again
    ./dev mutate ticket --sample 0.3      # a random 30 % of the mutants (seed: --seed)
    ./dev mutate engine --resume          # a run cut short goes on where it stopped
    ./dev mutate engine --survivors       # after new tests: the last run's survivors again

A run never touches the checkout: the tracked files (as they are in the work tree) are copied
to a scratch folder (``$MCKM_MUTATE_DIR``, default ``$TMPDIR/mckm-mutate/TARGET``) where the
``mckm`` links are made real folders, so mutmut's mutant names (``mckm.impl.engine....``) are
the modules the tests import; mutmut writes its ``mutants/`` there.  ``PYTHONPATH`` points at the
mutated copy, so a test that starts a process (a server, the CLI) runs the mutant too.

The score counts killed (a test failed, or timed out) against all mutants checked, less those
judged equivalent in ``tests/mutation/equivalent.yaml`` (mutant name: one-line reason).  The
report lists every other survivor with its diff (``mutmut show``); the exit status is 1 when a
target is below ``--min-score`` (default 90).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENT = ROOT / "tests" / "mutation" / "equivalent.yaml"
#: the folders that ``mckm/`` links to (pyproject.toml's package layout)
LINKED = ("impl", "models", "proofs", "bench")


@dataclass(frozen=True)
class Target:
    """What one run mutates (globs under ``mckm/``) and the tests that judge it."""

    files: tuple[str, ...]
    tests: tuple[str, ...]


#: tests/runtime_threats first: the tests written against survivors kill early under ``-x``
TARGETS: dict[str, Target] = {
    "engine": Target(
        ("mckm/impl/engine/*.py",),
        ("tests/runtime_threats", "tests/unit/test_engine_branches.py",
         "tests/unit/test_replay_cache.py", "tests/unit/test_wire_specs.py",
         "tests/unit/test_kms_role.py", "tests/properties/test_totality.py",
         "tests/properties/test_toy_generator.py", "tests/e2e/test_ticket_in_memory.py",
         "tests/e2e/test_imessage_bitflips.py", "tests/e2e/test_seal_key_distribution.py",
         "tests/store/test_ticket_replay.py", "tests/ticket/test_messages.py")),
    "seal": Target(
        ("mckm/impl/roles/seal/endpoint.py", "mckm/impl/roles/seal/facts.py"),
        ("tests/runtime_threats", "tests/e2e/test_seal_key_distribution.py",
         "tests/e2e/test_imessage_bitflips.py", "tests/properties/test_seal_real_crypto.py")),
    "kms": Target(
        ("mckm/impl/roles/kms/role.py", "mckm/impl/roles/kms/service.py"),
        ("tests/runtime_threats", "tests/kms", "tests/unit/test_kms_role.py",
         "tests/idm/test_kms_refusals.py",
         # its Ctrl-C lands after the rollover ended when mutmut's tracing slows the test
         "--deselect=tests/kms/test_rollover.py::test_ctrl_c_stops_cleanly_and_the_rerun_completes")),
    "ticket": Target(  # the roles, their facts, wire and HTTPS endpoint; not the CLI/demo glue
        tuple(f"mckm/impl/roles/ticket/{m}.py" for m in (
            "base_ticket", "effects", "endpoints", "facts", "keys", "policy_data", "protection",
            "server", "sip", "ue_http", "wire", "zk", "zn")),
        ("tests/runtime_threats", "tests/ticket", "tests/e2e/test_ticket_in_memory.py",
         "tests/e2e/test_ticket_zk_failures.py", "tests/properties/test_ticket_real_crypto.py",
         "tests/store/test_ticket_replay.py", "tests/unit/test_sdp_mikey.py",
         "tests/e2e/test_ticket_a2_refusals.py", "tests/transport/test_ticket_replicas.py",
         "tests/interop/test_ticket_https.py", "tests/interop/test_sipp_ticket_transfer.py",
         # the generated endpoint tests (both ticket drivers over HTTPS) and the server
         # processes; the attacks the prover found, replayed over the real transport, last
         "tests/endpoints/test_threats.py", "tests/endpoints/test_stateful.py",
         "tests/e2e/test_ticket_processes.py", "tests/store/test_ticket_replica_faults.py",
         "tests/proofs/test_ticket_attacker.py")),
    "cek": Target(
        ("mckm/impl/roles/cek/endpoint.py", "mckm/impl/roles/cek/service.py"),
        ("tests/runtime_threats", "tests/cek")),
    "interkmm": Target(
        ("mckm/impl/roles/interkmm/facts.py", "mckm/impl/roles/interkmm/nodes.py"),
        ("tests/runtime_threats", "tests/interkmm")),
    "crypto": Target(
        ("mckm/impl/crypto/eccsi.py", "mckm/impl/crypto/sakke.py"),
        ("tests/runtime_threats", "tests/vectors", "tests/properties/test_eccsi_properties.py",
         "tests/properties/test_sakke_properties.py")),
}

#: mutmut's exit codes (mutmut.stats.status_by_exit_code) read as killed or not
KILLED = {1: "killed", 3: "killed", 36: "timeout", 24: "timeout", -24: "timeout",
          152: "timeout", 255: "timeout", 37: "type check"}


def scratch_dir(name: str) -> Path:
    base = os.environ.get("MCKM_MUTATE_DIR")
    root = Path(base) if base else Path(tempfile.gettempdir()) / "mckm-mutate"
    return root / name


def prepare(target: Target, scratch: Path) -> None:
    """A fresh copy of the work tree's tracked files in ``scratch``, ``mckm/`` made of real
    folders, and mutmut's configuration for ``target`` in its pyproject.toml."""
    if scratch.exists():
        shutil.rmtree(scratch)
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], cwd=ROOT, check=True,
                            capture_output=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        src = ROOT / rel
        if src.is_symlink() or not src.is_file() or "__pycache__" in rel:
            continue
        dest = scratch / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest)
    for name in LINKED:  # mckm/impl is the folder, impl a link to it (tests read ROOT/"impl")
        (scratch / name).rename(scratch / "mckm" / name)
        (scratch / name).symlink_to(Path("mckm") / name)
    shutil.copy2(scratch / "pyproject.toml", scratch / "pyproject.base.toml")
    configure(target, scratch)
    mutants = scratch / "mutants"
    mutants.mkdir()
    for name in LINKED:
        (mutants / name).symlink_to(Path("mckm") / name)


def configure(target: Target, scratch: Path) -> None:
    """mutmut's section of the scratch pyproject.toml."""
    config = {
        "source_paths": ["mckm"],
        "only_mutate": list(target.files),
        "pytest_add_cli_args_test_selection": list(target.tests),
        "pytest_add_cli_args": ["-p", "no:cacheprovider", "-n", "0", "-q"],
        "also_copy": [p for p in ("spec", "docs", "dev") if (scratch / p).exists()],
        "use_git_change_detection": False,
    }
    lines = ["", "[tool.mutmut]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in config.items()]
    base = (scratch / "pyproject.base.toml").read_text()
    (scratch / "pyproject.toml").write_text(base + "\n".join(lines) + "\n")


def _env(scratch: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(scratch / "mutants"), PYTHONDONTWRITEBYTECODE="1",
               **extra)
    env.pop("CI", None)  # a judge tool missing is a skip here, not a failure of every mutant
    return env


def run(scratch: Path, children: int, names: Sequence[str] = ()) -> int:
    """mutmut's pass: each mutant's tests (those that reached its function) in a process
    forked from one that imported the package; ``names``: only these mutants."""
    command = ["nice", "-n", "10", sys.executable, "-m", "mutmut", "run",
               "--max-children", str(children), *names]
    return subprocess.run(command, cwd=scratch, env=_env(scratch),
                          stdout=subprocess.DEVNULL).returncode


def generate(scratch: Path) -> list[str]:
    """mutmut's mutants of the target written to ``scratch/mutants``, none run; their names."""
    script = ("from mutmut.utils.file_utils import copy_src_dir, copy_also_copy_files, "
              "setup_source_paths\nimport mutmut.__main__ as m\n"
              "m.set_mutant_under_test('mutant_generation')\n"
              "copy_src_dir(); copy_also_copy_files(); setup_source_paths(); m.create_mutants(2)")
    subprocess.run([sys.executable, "-c", script], cwd=scratch, env=_env(scratch), check=True,
                   stdout=subprocess.DEVNULL)
    return sorted(merged(scratch))


def sample(names: Sequence[str], fraction: float, seed: int) -> list[str]:
    """A uniform random sample of ``fraction`` of ``names`` (mutant sampling: the score of a
    random sample estimates the whole target's, within the interval :func:`report` prints)."""
    return sorted(random.Random(seed).sample(sorted(names), math.ceil(fraction * len(names))))


def wilson(killed: int, counted: int, z: float = 1.96) -> tuple[float, float]:
    """The 95 % Wilson score interval of a proportion killed/counted, in per cent."""
    if not counted:
        return 0.0, 100.0
    p = killed / counted
    centre = (p + z * z / (2 * counted)) / (1 + z * z / counted)
    half = z * math.sqrt(p * (1 - p) / counted + z * z / (4 * counted * counted)) \
        / (1 + z * z / counted)
    return 100.0 * max(0.0, centre - half), 100.0 * min(1.0, centre + half)


def rerun_fresh(target: Target, scratch: Path, *, every: bool = False,
                only: str = "*", timeout: float = 900.0, children: int = 2) -> None:
    """Survivors again, each in a new process that imports the package with the mutant active
    and runs all the target's tests (``-x``): those in code that runs at import
    (:func:`import_time`), which mutmut's forked pass cannot see, and those no test reached in
    mutmut's pass (code run only in a process a test starts: a server, the CLI); ``every``:
    all survivors (after new tests).  ``children`` mutants run at once.  Results go to
    ``fresh.json`` (they override mutmut's); every code that is not a kill is run again (a run
    cut short leaves one); ``only``: the mutants whose name matches this glob."""
    fresh_file = scratch / "fresh.json"
    fresh: dict[str, int] = json.loads(fresh_file.read_text()) if fresh_file.exists() else {}
    judged = equivalent()
    at_import = import_time(target, scratch) if not every else set()
    alive = [m for m, code in merged(scratch).items()
             if code is not None and code not in KILLED and m not in judged
             and (every or code == 33 or m.rsplit("__mutmut_", 1)[0] in at_import)
             and fnmatch.fnmatchcase(m, only)]
    print(f"   {len(alive)} survivors run again with fresh imports", flush=True)
    command = ["nice", "-n", "10", sys.executable, "-m", "pytest", "-x", "-q",
               "-p", "no:cacheprovider", "-n", "0", *target.tests]

    clean = subprocess.run(command, cwd=scratch / "mutants", env=_env(scratch),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode \
        if alive else 0
    if clean != 0:  # a test that fails without a mutant would count every survivor as killed
        raise SystemExit(f"the target's tests fail without a mutant (exit {clean}) in {scratch}")

    def one(mutant: str) -> tuple[str, int]:
        try:
            return mutant, subprocess.run(
                command, cwd=scratch / "mutants", env=_env(scratch, MUTANT_UNDER_TEST=mutant),
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            return mutant, 36

    with ThreadPoolExecutor(max_workers=children) as pool:
        for mutant, code in pool.map(one, alive):
            fresh[mutant] = code
            fresh_file.write_text(json.dumps(fresh, indent=1, sort_keys=True))


_IMPORT_TIME = """
import json, sys
import pytest
root, out = sys.argv[1], sys.argv[2]
seen = set()
def record(frame, event, arg):
    code = frame.f_code
    if event == "call" and code.co_name.endswith("__mutmut_orig") \\
            and code.co_filename.startswith(root):
        module = code.co_filename[len(root) + 1:-3].replace("/", ".")
        seen.add(module + "." + code.co_name[:-len("__mutmut_orig")])
sys.setprofile(record)
pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", *sys.argv[3:]])
sys.setprofile(None)
open(out, "w").write(json.dumps(sorted(seen)))
"""


def import_time(target: Target, scratch: Path) -> set[str]:
    """The target's functions that run while its tests are collected (module imports: effect
    factories, registries), as mutant-name prefixes.  mutmut's forked pass cannot see their
    mutants: the parent ran them before any mutant was active."""
    out = scratch / "import_time.json"
    subprocess.run([sys.executable, "-c", _IMPORT_TIME, str(scratch / "mutants"), str(out),
                    *target.tests], cwd=scratch / "mutants", env=_env(scratch),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return set(json.loads(out.read_text()))


def merged(scratch: Path) -> dict[str, int | None]:
    """Mutant name -> exit code: mutmut's (the ``.meta`` files of ``scratch/mutants``), or
    the fresh-import pass's where it ran (``fresh.json``)."""
    out: dict[str, int | None] = {}
    for meta in (scratch / "mutants").rglob("*.meta"):
        out.update(json.loads(meta.read_text())["exit_code_by_key"])
    fresh_file = scratch / "fresh.json"
    if fresh_file.exists():
        out.update(json.loads(fresh_file.read_text()))
    return out


def equivalent() -> dict[str, str]:
    data = yaml.safe_load(EQUIVALENT.read_text()) if EQUIVALENT.exists() else None
    return {str(k): str(v) for k, v in (data or {}).items()}


def show(scratch: Path, mutant: str) -> str:
    done = subprocess.run([sys.executable, "-m", "mutmut", "show", mutant], cwd=scratch,
                          capture_output=True, text=True)
    return done.stdout.strip()


def report(name: str, scratch: Path, min_score: float) -> tuple[int, int, bool]:
    """Print the target's score and its unexplained survivors; (killed, counted, ok)."""
    codes = merged(scratch)
    judged = equivalent()
    status = Counter[str]()
    survivors = []
    for mutant, code in sorted(codes.items()):
        if code is None:
            status["not checked"] += 1
        elif code in KILLED:
            status[KILLED[code]] += 1
        elif mutant in judged:
            status["equivalent"] += 1
        else:
            status["survived" if code == 0 else "unreached" if code == 33
                   else f"exit {code}"] += 1
            survivors.append((mutant, code))
    killed = status["killed"] + status["timeout"] + status["type check"]
    counted = killed + len(survivors)
    score = 100.0 * killed / counted if counted else 0.0
    summary = ", ".join(f"{k} {v}" for k, v in sorted(status.items()))
    print(f"== {name}: score {score:.1f} % ({killed}/{counted}; {summary})")
    if status["not checked"]:
        low, high = wilson(killed, counted)
        print(f"   a sample of {counted + status['equivalent']} of {len(codes)} mutants: "
              f"the whole target's score lies in {low:.1f}-{high:.1f} % (95 %, Wilson), as long "
              "as no test was written against this sample's survivors")
    for mutant, code in survivors:
        label = "survived" if code == 0 else "no test reached it" if code == 33 \
            else f"exit {code}"
        print(f"-- {mutant}: {label}")
        print(show(scratch, mutant))
    return killed, counted, counted > 0 and score >= min_score


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="./dev mutate", description=__doc__.split("\n")[0])
    parser.add_argument("targets", nargs="*", metavar="TARGET", help="default: all")
    parser.add_argument("--list", action="store_true", help="print the targets and stop")
    parser.add_argument("--report", action="store_true", help="report the last run only")
    parser.add_argument("--resume", action="store_true",
                        help="go on with the last run's mutmut pass (its verdicts stand), then"
                             " its fresh-import pass")
    parser.add_argument("--survivors", action="store_true",
                        help="copy tests/ to the last run's scratch and run its survivors again")
    parser.add_argument("--mutants", default="*", metavar="GLOB",
                        help="with --survivors: only the survivors whose name matches")
    parser.add_argument("--sample", type=float, default=1.0, metavar="FRACTION",
                        help="run a uniform random sample of this fraction of the mutants")
    parser.add_argument("--seed", type=int, default=12, help="of --sample's draw")
    parser.add_argument("--max-children", type=int, default=2)
    parser.add_argument("--min-score", type=float, default=90.0)
    args = parser.parse_args(argv)
    if args.list:
        for name, target in TARGETS.items():
            print(f"{name}: {' '.join(target.files)}\n    tests: {' '.join(target.tests)}")
        return 0
    unknown = [t for t in args.targets if t not in TARGETS]
    if unknown:
        parser.error(f"unknown target(s) {', '.join(unknown)}; one of {', '.join(TARGETS)}")
    total_killed = total = 0
    ok = True
    for name in args.targets or list(TARGETS):
        scratch = scratch_dir(name)
        if args.survivors and (scratch / "mutants").exists():
            for tests in (scratch / "tests", scratch / "mutants" / "tests"):  # mutmut's copy
                shutil.copytree(ROOT / "tests", tests, dirs_exist_ok=True)
            rerun_fresh(TARGETS[name], scratch, every=True, only=args.mutants,
                        children=args.max_children)
        elif args.resume and (scratch / "mutants").exists():
            print(f"== {name}: mutmut goes on in {scratch}")
            drawn = sample(sorted(merged(scratch)), args.sample, args.seed) \
                if args.sample < 1.0 else []
            run(scratch, args.max_children, drawn)
            rerun_fresh(TARGETS[name], scratch, children=args.max_children)
        elif not args.report:
            print(f"== {name}: mutmut in {scratch}")
            prepare(TARGETS[name], scratch)
            names: list[str] = []
            if args.sample < 1.0:
                names = sample(generate(scratch), args.sample, args.seed)
                print(f"   {len(names)} mutants drawn (seed {args.seed})", flush=True)
            code = run(scratch, args.max_children, names)
            if not any(c is not None for c in merged(scratch).values()):
                raise SystemExit(f"mutmut checked no mutant (exit {code}): a test of the target "
                                 f"fails without a mutant? `cd {scratch} && python -m mutmut "
                                 "run` shows why")
            rerun_fresh(TARGETS[name], scratch, children=args.max_children)
        elif not (scratch / "mutants").exists():
            print(f"== {name}: no run in {scratch}")
            ok = False
            continue
        killed, counted, passed = report(name, scratch, args.min_score)
        total_killed, total, ok = total_killed + killed, total + counted, ok and passed
    if total:
        print(f"== total: score {100.0 * total_killed / total:.1f} % ({total_killed}/{total})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
