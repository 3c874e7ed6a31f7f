"""Run one fuzz target of ``tests/fuzz/targets.py`` under atheris, with coverage of the code it
exercises, the generated code included.

    .venv/bin/pip install -e '.[fuzz]'
    .venv/bin/python tests/fuzz/fuzz.py TARGET [libFuzzer/atheris arguments]
    .venv/bin/python tests/fuzz/fuzz.py codec -atheris_runs=100000 -seed=1

TARGET is one of ``tests/fuzz/targets.py``'s (``--list`` prints them).  Arguments after it
go to libFuzzer (``-atheris_runs=N``, ``-max_total_time=S``, ``-max_len=N``, ``-timeout=S``, a
corpus directory, ...).  A crash writes ``crash-<sha1>`` (the fuzzer's input; the parser's input
is ``tests.fuzz.seeded.mutated`` of it, which ``--show FILE TARGET`` prints in hex).

Instrumentation (what the fuzzer sees):

* every module imported by the targets is instrumented by ``atheris.instrument_imports`` (the
  project, construct, h11, ...), those a target imports lazily too: its seeds are made and run
  once inside the hook;
* the MIKEY parsers, builders and checkers that ``mckm.impl.codec.codegen`` makes with ``exec``
  are instrumented through ``codegen.instrument(atheris.instrument_func)``; an import hook
  never sees them;
* construct's compiled parse and build functions (``StructSpec.compiled``, also made with
  ``exec``) are instrumented the same way.

``--blind`` leaves out the last two (the instrumentation this runner had before), to compare
coverage.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import FunctionType

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

with atheris.instrument_imports():
    from mckm.impl.codec import codegen
    from mckm.models.grammar.registry import BY_NAME
    from tests.fuzz import targets
    from tests.fuzz.seeded import mutated


def instrument_generated() -> int:
    """Instrument the code made by ``exec`` that the codec runs; the number of functions."""
    count = codegen.instrument(atheris.instrument_func)
    done: set[int] = set()
    for payload in BY_NAME.values():
        module = payload.spec.compiled.module
        for value in vars(module).values():
            if isinstance(value, FunctionType) and value.__code__.co_filename == "" \
                    and id(value) not in done:
                done.add(id(value))
                atheris.instrument_func(value)
    return count + len(done)


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[1] == "--list":
        print(" ".join(targets.TARGETS))
        return
    if argv[1] == "--show":
        data = Path(argv[2]).read_bytes()
        print(mutated(data, targets.TARGETS[argv[3]].seeds()).hex())
        return
    blind = "--blind" in argv
    args = [a for a in argv if a != "--blind"]
    target = targets.TARGETS[args.pop(1)]
    with atheris.instrument_imports():  # what a target imports when first run (lazily)
        for seed in target.seeds():  # made before fuzzing starts (the KMS seeds run a KMS)
            target.one_input(b"\x00" + seed)
    if not blind:
        print(f"INFO: instrumented {instrument_generated()} generated functions", file=sys.stderr)
    atheris.Setup(args, target.one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
