"""Docs: every CLI command (and every subcommand of a group) has help text with an example, and
every command appears in the README as ``litemeta <name>`` (sqlite-utils' tests/test_docs.py)."""

from __future__ import annotations

import importlib
import pathlib
import re
from typing import Iterator, List, Tuple

import click
import pytest

from litemeta.cli import COMMANDS
from tests.conftest import Cli

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def _command(name: str) -> click.Command:
    module, attr, _ = COMMANDS[name]
    return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]


def _all_commands() -> Iterator[Tuple[Tuple[str, ...], click.Command]]:
    """(path, command) for every command and, recursively, every subcommand of groups."""

    def walk(path: Tuple[str, ...], cmd: click.Command) -> Iterator[Tuple[Tuple[str, ...], click.Command]]:
        yield path, cmd
        if isinstance(cmd, click.Group):
            for sub_name, sub in sorted(cmd.commands.items()):
                yield from walk(path + (sub_name,), sub)

    for name in sorted(COMMANDS):
        yield from walk((name,), _command(name))


ALL = list(_all_commands())


def test_registry_names_match_the_commands() -> None:
    for name in COMMANDS:
        assert _command(name).name == name, f"COMMANDS[{name!r}] points at a command named {_command(name).name!r}"
        assert COMMANDS[name][2], f"COMMANDS[{name!r}] has no one-line help"


@pytest.mark.parametrize("path,cmd", ALL, ids=[" ".join(p) for p, _ in ALL])
def test_help_has_an_example(cli: Cli, path: Tuple[str, ...], cmd: click.Command) -> None:
    assert cmd.help and cmd.help.strip(), f"`litemeta {' '.join(path)}` has no help text"
    result = cli(*path, "--help", code=None)
    assert result.exit_code == 0, result.output
    assert "Example" in result.output, f"`litemeta {' '.join(path)} --help` shows no example"


def test_every_command_is_in_the_readme() -> None:
    text = README.read_text(encoding="utf-8") if README.exists() else ""
    missing: List[str] = [
        name for name in sorted(COMMANDS) if not re.search(rf"litemeta {re.escape(name)}(?![\w-])", text)
    ]
    assert not missing, f"README.md does not show these commands as `litemeta <name>`: {', '.join(missing)}" + (
        "" if text else " (README.md is missing)"
    )
