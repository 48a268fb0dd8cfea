"""The README documents the whole command line: every command registered on the Typer app
appears as ``backlinks <command>``, and every option of it by its long name. Read at test
time, so a new command or option without documentation fails here."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer.main

from backlinks.cli import app

README = Path(__file__).resolve().parents[1] / "README.md"


# Typer builds click-style command objects (its own vendored click in recent versions), so
# they are walked by their documented attributes rather than by class.


def _commands(group: Any, prefix: str = "backlinks") -> dict[str, Any]:
    """Every visible (sub)command as its full invocation, ``backlinks spark run`` style."""
    out: dict[str, Any] = {}
    for name, command in sorted(group.commands.items()):
        if command.hidden:
            continue
        full = f"{prefix} {name}"
        out[full] = command
        if hasattr(command, "commands"):
            out.update(_commands(command, full))
    return out


COMMANDS = _commands(typer.main.get_command(app))


def _options(command: Any) -> list[str]:
    """The long name of each option (``--db``), or its only name when it has no long one."""
    names: list[str] = []
    for param in command.params:
        if param.param_type_name != "option" or getattr(param, "hidden", False):
            continue
        flags = [*param.opts, *param.secondary_opts]
        longs = [f for f in flags if f.startswith("--")]
        names += longs or flags[:1]
    return [n for n in names if n != "--help"]


@pytest.fixture(scope="module")
def readme() -> str:
    if not README.exists():
        pytest.fail(f"{README} is missing")
    return README.read_text(encoding="utf-8")


def _mentions(text: str, phrase: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", text) is not None


def test_the_app_has_the_core_commands() -> None:
    assert {"backlinks ingest", "backlinks links", "backlinks stats", "backlinks demo"} <= set(
        COMMANDS
    )


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_is_in_the_readme(readme: str, command: str) -> None:
    assert _mentions(readme, command), f"README.md never shows `{command}`"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_option_is_in_the_readme(readme: str, command: str) -> None:
    missing = [opt for opt in _options(COMMANDS[command]) if not _mentions(readme, opt)]
    assert missing == [], f"README.md does not document {missing} of `{command}`"
