"""The ``mckm`` command line.

Each sub-command lives next to what it drives (``mckm.impl.codec.cli``, ``mckm.impl.lint.cli``,
…) and is imported only when it is called, so ``mckm --help`` stays fast and a broken optional
part cannot break the others.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

#: sub-command name -> "module:attribute" of its click command, and its one-line help.
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("mckm.impl.demo:demo", "Run the main job on the embedded defaults."),
    "vectors": ("mckm.impl.vectors.cli:vectors", "Check or make conformance vector files."),
    "bench": ("mckm.bench.cli:bench", "Print ops/s of the crypto and codec hot paths."),
    "codec": ("mckm.impl.codec.cli:codec", "Decode, encode and describe MIKEY messages."),
    "lint": ("mckm.impl.lint.cli:lint", "Check a contribution's text for inconsistencies."),
    "kms": ("mckm.impl.roles.kms.cli:kms", "Run the KMS / SKM-S over HTTPS; enrol users."),
    "ticket": ("mckm.impl.roles.ticket.cli:ticket", "Run a MIKEY-TICKET KMS or BSF; drive a UE."),
    "prove": ("mckm.proofs.cli:prove", "Prove the models' invariants with z3 and kill mutants."),
}


class LazyGroup(click.Group):
    """A click group whose sub-commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        target, _ = COMMANDS[cmd_name]
        module_name, attr = target.split(":")
        command: Any = getattr(importlib.import_module(module_name), attr)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a click command")
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mckm")
def main() -> None:
    """mckm: an executable, formally checked specification of 3GPP mission-critical key
    management (MIKEY-SAKKE, MIKEY-TICKET, SEAL), with codecs, procedures, proofs and a linter
    for contributions."""
