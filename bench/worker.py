"""One benchmark in an interpreter of its own: the child side of :mod:`mckm.bench.runner`.

``python -m mckm.bench.worker time NAME --module M --runs R --seconds S [--quick]``
    imports M (the module registering NAME), measures NAME (:func:`~mckm.bench.registry.measure`,
    or the load benchmark's own run) and prints its :class:`~mckm.bench.registry.Result` as one
    JSON line.
``python -m mckm.bench.worker count NAME --module M --ops N [--seed S] [--start-instrumentation]``
    the instruction-count body (:func:`~mckm.bench.registry.operate`): setup, warm-up, N
    operations, nothing printed; meant to run under callgrind.  Here ``os.urandom`` (and so
    ``secrets``) is a generator seeded with S, so that every run builds the same keys and
    messages (the operations' counts do not vary with the keys).  The keys are throwaway;
    nothing else runs in this process.  With ``--start-instrumentation`` (callgrind started
    with ``--instr-atstart=no``) the worker asks callgrind to start counting after the warm-up
    (:func:`callgrind_start`), so that the setup runs about 4x faster and is not counted.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import mmap
import os
import platform
import random
import sys
from collections.abc import Callable

from mckm.bench.load import FULL, LOAD_REGISTRY, QUICK
from mckm.bench.registry import REGISTRY, load, measure, operate


def seed_randomness(seed: int) -> None:
    """Make ``os.urandom``, ``secrets`` and ``random.SystemRandom`` deterministic."""
    generator = random.Random(seed)

    def urandom(n: int) -> bytes:
        return generator.randbytes(n)

    os.urandom = urandom
    random._urandom = urandom  # type: ignore[attr-defined]  # what SystemRandom, secrets call


#: valgrind's client-request sequence for x86-64 (valgrind.h, VALGRIND_DO_CLIENT_REQUEST_EXPR)
#: as a function ``uint64 request(uint64 args[6])``: rax = args, the four rotations of rdi
#: (by 128 bits in all: a no-op) and ``xchg rbx, rbx`` that valgrind recognises, the answer in
#: rdx (0 when not under valgrind, where the sequence does nothing).
_X86_64_REQUEST = bytes.fromhex("4889f8" "31d2" "48c1c703" "48c1c70d" "48c1c73d" "48c1c733"
                                "4887db" "4889d0" "c3")
#: callgrind.h: VG_USERREQ_TOOL_BASE('C', 'T') + 4, CALLGRIND_START_INSTRUMENTATION
_START_INSTRUMENTATION = (ord("C") << 24 | ord("T") << 16) + 4
#: valgrind.h: VG_USERREQ__RUNNING_ON_VALGRIND
_RUNNING_ON_VALGRIND = 0x1001


def can_start_instrumentation() -> bool:
    """Whether :func:`callgrind_start` is available (x86-64 only)."""
    return platform.machine().lower() in {"x86_64", "amd64"}


def _client_request() -> Callable[[int], int]:
    page = mmap.mmap(-1, mmap.PAGESIZE,
                     prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    page.write(_X86_64_REQUEST)
    function = ctypes.CFUNCTYPE(ctypes.c_uint64, ctypes.c_void_p)(
        ctypes.addressof(ctypes.c_char.from_buffer(page)))

    def request(code: int) -> int:
        args = (ctypes.c_uint64 * 6)(code, 0, 0, 0, 0, 0)
        answer: int = function(ctypes.addressof(args))
        return answer

    request.page = page  # type: ignore[attr-defined]  # the code lives as long as the function
    return request


def callgrind_start() -> None:
    """CALLGRIND_START_INSTRUMENTATION; a RuntimeError if this process is not under valgrind
    (counting would be silently wrong)."""
    request = _client_request()
    if request(_RUNNING_ON_VALGRIND) == 0:
        raise RuntimeError("--start-instrumentation outside valgrind")
    request(_START_INSTRUMENTATION)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mckm.bench.worker", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="mode", required=True)
    timed = sub.add_parser("time", help="measure ops/s, print the result as JSON")
    timed.add_argument("--runs", type=int, required=True)
    timed.add_argument("--seconds", type=float, required=True)
    timed.add_argument("--quick", action="store_true", help="load benchmarks: the quick budget")
    count = sub.add_parser("count", help="setup, warm-up and --ops operations (for callgrind)")
    count.add_argument("--ops", type=int, required=True)
    count.add_argument("--seed", type=int, default=0)
    count.add_argument("--start-instrumentation", action="store_true",
                       help="ask callgrind to start counting after the warm-up (x86-64)")
    for p in (timed, count):
        p.add_argument("name")
        p.add_argument("--module", action="append", required=True,
                       help="module registering the benchmark (repeatable)")
    args = parser.parse_args(argv)
    if args.mode == "count":
        seed_randomness(args.seed)  # before the imports: module-level keys are seeded too
    load(tuple(args.module))
    if args.mode == "count":
        operate(REGISTRY[args.name], args.ops,
                before=callgrind_start if args.start_instrumentation else None)
        # no interpreter teardown: freeing the setup's tables would add hundreds of millions
        # of counted instructions to both runs (callgrind still writes its file at exit)
        os._exit(0)
    if args.name in LOAD_REGISTRY:
        result = LOAD_REGISTRY[args.name].run(QUICK if args.quick else FULL)
    else:
        result = measure(REGISTRY[args.name], runs=args.runs, seconds_per_run=args.seconds)
    sys.stdout.write(json.dumps(result.as_json()) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
