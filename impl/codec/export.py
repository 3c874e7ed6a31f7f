"""``mckm codec export``: the MIKEY grammars as codecs for other languages and tools (issue 19).

Each format is an exporter module loaded on first use; its ``render()`` returns file name ->
text, generated from ``models/grammar`` (so a field added to a grammar appears in every export).
The command writes the files into ``--out`` (created if missing) and prints their paths.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import cast

import click

from mckm.impl.cli import CliError, reading

#: format name -> module whose ``render() -> dict[str, str]`` makes the files.
FORMATS: dict[str, str] = {
    "ksy": "mckm.impl.codec.export_ksy",  # Kaitai Struct (compile with kaitai-struct-compiler)
    "wireshark-lua": "mckm.impl.codec.export_lua",  # a Lua dissector for Wireshark / tshark
}


def renderer(fmt: str) -> Callable[[], dict[str, str]]:
    """The ``render`` function of format ``fmt``; a one-line error if it is not available."""
    if fmt not in FORMATS:
        raise CliError(f"--format {fmt}: unknown format (known: {', '.join(FORMATS)})")
    module_name = FORMATS[fmt]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module_name.startswith(exc.name):
            raise CliError(f"--format {fmt}: this installation has no exporter for it "
                           f"({module_name} is missing)") from exc
        raise
    render = getattr(module, "render", None)
    if not callable(render):
        raise CliError(f"--format {fmt}: {module_name} has no render() function")
    return cast(Callable[[], dict[str, str]], render)


def export(fmt: str, out: Path) -> list[Path]:
    """Render format ``fmt`` and write its files into ``out``; the paths written.  Every file is
    rendered before any is written, so a failing exporter leaves nothing half-written."""
    files = renderer(fmt)()
    for name in files:
        if Path(name).name != name or name in ("", ".", ".."):
            raise CliError(f"--format {fmt}: exporter returned a file name that is not a plain "
                           f"name: {name!r}")
    with reading(f"--out {out}"):
        if out.exists() and not out.is_dir():
            raise CliError(f"--out {out}: exists and is not a directory")
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name, text in files.items():
            path = out / name
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


@click.command("export")
@click.option("--format", "fmt", required=True, type=click.Choice(sorted(FORMATS)),
              help="ksy: Kaitai Struct; wireshark-lua: a Lua dissector for Wireshark.")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory to write the files into (created if missing).")
def export_cmd(fmt: str, out: Path) -> None:
    """Write the MIKEY grammars as a Kaitai Struct description (.ksy) or a Wireshark Lua
    dissector into OUT, generated from mckm's grammars; print the paths written."""
    for path in export(fmt, out):
        click.echo(str(path))
