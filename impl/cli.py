"""The ``mckm`` command line, and the one error boundary every sub-command runs inside.

Each sub-command lives next to what it drives (``mckm.impl.codec.cli``, ``mckm.impl.lint.cli``,
…) and is imported only when it is called, so ``mckm --help`` stays fast and a broken optional
part cannot break the others.

Exit status, the same for every command (:data:`EXIT_STATUS`):

* 0: done;
* 1 (:data:`EXIT_REFUSED`): a refusal or findings: the message, vector, contribution, proof or
  peer was checked and said no (a :class:`~mckm.impl.errors.MckmError` other than
  ``UsageError`` / ``StoreError``);
* 2 (:data:`EXIT_INPUT`): a usage or input error: an option, a file or a field the command
  cannot use, or a server it cannot reach (click's usage errors, ``UsageError``,
  ``StoreError``, any ``OSError``, and a ``ValueError`` raised while reading user input).

:func:`error_boundary` maps an exception to one line on stderr and that status; code that reads
user input names it with :func:`reading` so the line says which option, file or field was wrong.
Any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import importlib
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

import click

from mckm.impl.errors import MckmError, StoreError, UsageError

EXIT_REFUSED = 1
EXIT_INPUT = 2

#: the exit-status paragraph of every command's ``--help``
EXIT_STATUS = (
    "Exit status: 0 done; 1 a refusal or findings (a message, vector, contribution, proof or "
    "peer said no); 2 a usage or input error (an option, file or field that cannot be used, or "
    "a server that cannot be reached). Errors are one line on stderr."
)

_READING = "while reading "

#: exceptions that are the user's input, not a bug, when raised inside :func:`reading`
#: (lxml's XMLSyntaxError is a SyntaxError; deeply nested JSON is a RecursionError)
_INPUT_ERRORS = (ValueError, OverflowError, RecursionError, SyntaxError)


class CliError(click.ClickException):
    """A usage or input error the user can act on: one line on stderr, exit status 2."""

    exit_code = EXIT_INPUT

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))  # one line, whatever the cause printed

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"Error: {self.format_message()}", file=file, err=file is None)


class Refused(CliError):
    """A refusal or findings: one line on stderr, exit status 1."""

    exit_code = EXIT_REFUSED


def _error(message: str, exit_code: int) -> CliError:
    return Refused(message) if exit_code == EXIT_REFUSED else CliError(message)


@contextmanager
def reading(subject: str) -> Iterator[None]:
    """Name ``subject`` (``--config c.json``, a file, ``field host``) in any error the block
    raises, and mark its ``ValueError`` as bad input (exit 2) rather than a bug."""
    try:
        yield
    except Exception as exc:
        exc.add_note(_READING + subject)
        raise


def _subjects(exc: BaseException) -> list[str]:
    """What the :func:`reading` blocks around the raise named, outermost first."""
    notes = [n.removeprefix(_READING) for n in getattr(exc, "__notes__", ())
             if n.startswith(_READING)]
    return notes[::-1]


def _line(subjects: list[str], reason: str) -> str:
    """``subject: subject: reason``, the reason's own leading file name left out if a subject
    already says it."""
    for subject in subjects:
        for said in (subject, subject.rpartition(" ")[2]):
            reason = reason.removeprefix(f"{said}: ")
    return "".join(f"{s}: " for s in subjects) + reason


def _reason(exc: BaseException, subjects: list[str]) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return f"not {exc.encoding} text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc) or type(exc).__name__
        named = exc.filename is None or any(str(exc.filename) in s for s in subjects)
        return reason if named else f"{exc.filename}: {reason}"
    if is_refusal(exc):
        return f"{type(exc).__name__}: {exc}"
    return str(exc) or type(exc).__name__


def serve_until_stopped(stop: Callable[[], None], tick: Callable[[], None] | None = None,
                        every: float = 0.5) -> None:
    """Block a serving command until Ctrl-C or SIGTERM (calling ``tick``, if any, every
    ``every`` seconds), then say "stopping" and run ``stop`` (the servers' graceful stop)."""
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        while not stopped.wait(every):
            if tick is not None:
                tick()
    except KeyboardInterrupt:
        pass
    finally:
        click.echo("stopping")
        stop()


def is_refusal(exc: BaseException) -> bool:
    """A refusal or a finding (exit 1): an :class:`MckmError` that is not the user's mistake
    (``UsageError``) nor a local fault (``StoreError``)."""
    return isinstance(exc, MckmError) and not isinstance(exc, UsageError | StoreError)


def user_error(exc: BaseException) -> CliError | None:
    """The one-line error and exit status for ``exc``, or None if it is a bug."""
    if isinstance(exc, CliError):
        return exc
    if isinstance(exc, click.UsageError):
        where = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
        return _error(exc.format_message() + where, exc.exit_code)
    if isinstance(exc, click.ClickException):
        return _error(exc.format_message(), exc.exit_code)
    if isinstance(exc, BrokenPipeError):
        return None  # `mckm ... | head`: click's own handling exits quietly
    subjects = _subjects(exc)
    if isinstance(exc, MckmError):
        code = EXIT_REFUSED if is_refusal(exc) else EXIT_INPUT
        return _error(_line(subjects, _reason(exc, subjects)), code)
    if isinstance(exc, OSError) or (subjects and isinstance(exc, _INPUT_ERRORS)):
        return CliError(_line(subjects, _reason(exc, subjects)))
    return None


@contextmanager
def error_boundary() -> Iterator[None]:
    """Turn a user error raised in the block into a :class:`CliError` (see the module)."""
    try:
        yield
    except (click.exceptions.Exit, click.Abort):
        raise
    except Exception as exc:
        error = user_error(exc)
        if error is None or error is exc:
            raise
        raise error from exc


class _Bounded(click.Command):
    """Runs inside :func:`error_boundary`; the help ends with :data:`EXIT_STATUS` unless the
    command has an epilog of its own."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.epilog = self.epilog or EXIT_STATUS

    def invoke(self, ctx: click.Context) -> Any:
        with error_boundary():
            return super().invoke(ctx)


class BoundaryCommand(_Bounded):
    """A click command inside the error boundary."""


class BoundaryGroup(_Bounded, click.Group):
    """A click group inside the error boundary, as are its sub-commands."""

    command_class = BoundaryCommand
    group_class = type  # sub-groups are BoundaryGroups too


#: sub-command name -> "module:attribute" of its click command, and its one-line help.
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("mckm.impl.demo:demo", "Run the main job on the embedded defaults."),
    "vectors": ("mckm.impl.vectors.cli:vectors", "Check or make conformance vector files."),
    "bench": ("mckm.bench.cli:bench", "Print ops/s or instructions per operation of hot paths."),
    "codec": ("mckm.impl.codec.cli:codec", "Decode, encode and describe MIKEY messages."),
    "lint": ("mckm.impl.lint.cli:lint", "Check a contribution's text for inconsistencies."),
    "kms": ("mckm.impl.roles.kms.cli:kms", "Run the KMS / SKM-S over HTTPS; enrol users."),
    "idm": ("mckm.impl.roles.idm.cli:idm", "Run the IdM (OpenID Connect, PKCE) over HTTPS."),
    "ticket": ("mckm.impl.roles.ticket.cli:ticket", "Run a MIKEY-TICKET KMS or BSF; drive a UE."),
    "smime": ("mckm.impl.smime.cli:smime", "Protect or open a SIP body as S/MIME under a CEK."),
    "cek": ("mckm.impl.roles.cek.cli:cek", "Serve seed 001's KMS CEKs; an MCPTT server."),
    "prove": ("mckm.proofs.cli:prove", "Prove the models' invariants with z3 and kill mutants."),
    "segy": ("mckm.impl.segy.cli:segy", "Simulate seed 003's SeGy approaches; judge its claims."),
    "propose": ("mckm.impl.proposed.cli:propose",
                "Write a seed's proposed text, corrections tracked (.docx or .md)."),
}


class LazyGroup(BoundaryGroup):
    """A click group whose sub-commands are imported on first use; each gets the exit-status
    paragraph in its help, if it has no epilog of its own."""

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
        _document_exit_status(command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _document_exit_status(command: click.Command) -> None:
    command.epilog = command.epilog or EXIT_STATUS
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _document_exit_status(sub)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mckm")
def main() -> None:
    """mckm: an executable, formally checked specification of 3GPP mission-critical key
    management (MIKEY-SAKKE, MIKEY-TICKET, SEAL), with codecs, procedures, proofs and a linter
    for contributions."""
