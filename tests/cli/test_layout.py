"""The command line's shape: every command is on ``archgym --help``, and only ``archgym.cli``
itself imports ``archgym.cli`` (the library never depends on its command line)."""

from __future__ import annotations

import ast
from pathlib import Path

import typer
from typer.testing import CliRunner

import archgym
from archgym.cli import app

PACKAGE = Path(archgym.__file__).parent
COMMANDS = {
    "envs",
    "agents",
    "describe",
    "check",
    "run",
    "export",
    "compare",
    "sweep",
    "report",
    "proxy",
    "roofline",
    "store",
    "bench",
}
#: Imported only by the command line, never by the library.
CLI_ONLY = ("archgym.cli", "typer", "rich")


def test_every_command_is_listed_by_help() -> None:
    group = typer.main.get_command(app)
    assert set(group.commands) == COMMANDS  # type: ignore[attr-defined]
    assert set(group.commands["proxy"].commands) == {"train", "eval", "select"}  # type: ignore[attr-defined]
    assert set(group.commands["store"].commands) == {"copy"}  # type: ignore[attr-defined]
    assert set(group.commands["bench"].commands) == {"list", "run", "report"}  # type: ignore[attr-defined]
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    listed = {
        line.strip("│ ").split()[0]
        for line in result.output.splitlines()
        if line.startswith("│ ") and line.strip("│ ").split()
    }
    assert COMMANDS <= listed, f"missing from --help: {COMMANDS - listed}"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(path: Path) -> set[str]:
    """Every module ``path`` imports, spelled absolutely, plus every string constant naming a
    module of ``archgym.cli`` (what ``importlib.import_module`` would take)."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            names.add(base)
            names |= {f"{base}.{alias.name}" for alias in node.names}
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value.startswith("archgym.cli")
        ):
            names.add(node.value)
    return names


def _is_cli_only(name: str) -> bool:
    return any(name == root or name.startswith(root + ".") for root in CLI_ONLY)


def test_only_the_cli_package_imports_the_cli() -> None:
    cli_dir = PACKAGE / "cli"
    offenders: dict[str, list[str]] = {}
    cli_imports: set[str] = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        found = {n for n in imported_names(path) if _is_cli_only(n)}
        if path.is_relative_to(cli_dir):
            cli_imports |= found
        elif found:
            offenders[str(path.relative_to(PACKAGE.parent))] = sorted(found)
    # the scan sees the command line's own imports, so an empty result below is not vacuous
    assert {"archgym.cli.run", "archgym.cli.proxy", "archgym.cli._common", "typer"} <= cli_imports
    assert not offenders, f"library modules importing the command line (or typer/rich): {offenders}"
