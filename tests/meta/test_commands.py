"""Every extension loads; command names are unique; the names SPEC makes a contract are exactly there."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections import Counter
from typing import Any

import pytest
from discord import app_commands

import cogs
from bot.client import CirclesBot, extension_names
from bot.clock import FixedClock
from bot.db import Database
from bot.scheduling import FakeScheduler
from bot.services import Services

NAME = re.compile(r"^[-_\w]{1,32}$")


def _bot(database: Database, clock: FixedClock) -> CirclesBot:
    return CirclesBot(Services.build(database, clock, FakeScheduler()), sync_commands=False)


@pytest.fixture
async def loaded(database: Database, clock: FixedClock) -> CirclesBot:
    bot = _bot(database, clock)
    for name in extension_names():
        await bot.load_extension(name)
    return bot


def test_extension_discovery_finds_every_feature_package() -> None:
    names = extension_names()
    assert {"cogs.circles", "cogs.profiles"} <= set(names)
    assert names == sorted(names)
    packages = {m.name for m in pkgutil.iter_modules(cogs.__path__) if m.ispkg and not m.name.startswith("_")}
    assert {n.removeprefix("cogs.") for n in names} == packages
    assert not any(n.startswith("cogs._") for n in names)  # shared glue is not an extension


@pytest.mark.parametrize("name", extension_names())
async def test_each_extension_loads_on_its_own(database: Database, clock: FixedClock, name: str) -> None:
    assert callable(getattr(importlib.import_module(name), "setup", None)), f"{name} has no setup(bot)"
    bot = _bot(database, clock)
    await bot.load_extension(name)
    assert name in bot.extensions
    assert bot.cogs, f"{name} added no cog"


async def test_all_extensions_load_together(loaded: CirclesBot) -> None:
    assert sorted(loaded.extensions) == extension_names()
    assert {"CirclesCog", "ProfilesCog", "AwayCog"} <= set(loaded.cogs)


def _walk(bot: CirclesBot) -> list[app_commands.Command[Any, ..., Any] | app_commands.Group]:
    return list(bot.tree.walk_commands())


async def test_no_duplicate_command_names(loaded: CirclesBot) -> None:
    top = Counter(c.name for c in loaded.tree.get_commands())
    assert [n for n, k in top.items() if k > 1] == []
    qualified = Counter(c.qualified_name for c in _walk(loaded))
    assert [n for n, k in qualified.items() if k > 1] == []
    for command in _walk(loaded):
        if isinstance(command, app_commands.Group):
            children = Counter(c.name for c in command.commands)
            assert [n for n, k in children.items() if k > 1] == [], command.qualified_name
    # Context menus share the namespace of their type with nothing else of that type.
    menus = Counter(
        (m.type, m.name) for m in loaded.tree.get_commands(type=None) if isinstance(m, app_commands.ContextMenu)
    )
    assert [n for n, k in menus.items() if k > 1] == []


async def test_command_payloads_are_valid_for_discord(loaded: CirclesBot) -> None:
    for command in _walk(loaded):
        assert NAME.match(command.name) and command.name == command.name.lower(), command.qualified_name
        assert 1 <= len(command.description) <= 100, command.qualified_name
        if isinstance(command, app_commands.Command):
            assert len(command.parameters) <= 25
            for param in command.parameters:
                assert NAME.match(param.name) and param.name == param.name.lower(), param
                assert 1 <= len(param.description) <= 100, (command.qualified_name, param.name)
                # Discord requires every required option to come before the optional ones.
            required = [p.required for p in command.parameters]
            assert required == sorted(required, reverse=True), command.qualified_name
        else:
            assert len(command.commands) <= 25
    # Serialising the whole tree is what a sync sends; it must not raise.
    assert all(isinstance(c.to_dict(loaded.tree), dict) for c in loaded.tree.get_commands())


# SPEC: command → (required options, optional options), in order. `circle` is optional everywhere:
# SPEC lets it be left out when the guild has exactly one circle (the service then picks that one).
SPEC_COMMANDS: dict[str, tuple[list[str], list[str]]] = {
    "circle create": (["name", "channel"], ["voice", "role", "host_role", "timezone"]),
    "circle edit": ([], ["circle", "name", "channel", "voice", "role", "host_role", "timezone"]),
    "circle delete": ([], ["circle"]),
    "circle join": ([], ["circle"]),
    "circle leave": ([], ["circle"]),
    "circle list": ([], []),
    "circle info": ([], ["circle"]),
    "profile timezone": (["tz"], []),
    "profile hours": (["start", "end"], []),
    "profile about": ([], ["offers", "asks"]),
    "profile leaderboard show": ([], []),
    "profile leaderboard hide": ([], []),
    "profile show": ([], ["member"]),
    "away": (["until"], ["reason"]),
    "back": ([], []),
    "pair optin": ([], ["circle"]),
    "pair optout": ([], ["circle"]),
    "pair snooze": (["until"], []),
    "pair avoid": (["member"], []),
    "pair unavoid": (["member"], []),
    "pair schedule": (["day", "time"], ["circle", "cadence", "size"]),
    "pair now": ([], ["circle"]),
    "pair status": ([], []),
    "pair history": ([], []),
    "goal add": (["text"], ["due"]),
    "goal done": (["goal"], []),
    "goal drop": (["goal"], []),
    "goal list": ([], ["member"]),
}


async def test_spec_command_surface(loaded: CirclesBot) -> None:
    commands = {c.qualified_name: c for c in _walk(loaded) if isinstance(c, app_commands.Command)}
    for name, (required, optional) in SPEC_COMMANDS.items():
        assert name in commands, f"/{name} is missing"
        params = commands[name].parameters
        assert [p.name for p in params] == required + optional, f"/{name} options"
        assert [p.name for p in params if p.required] == required, f"/{name} required options"
    # Within the groups SPEC defines, nothing beyond the contract.
    for group in ("circle", "profile", "pair", "goal"):
        extra = {n for n in commands if n.startswith(group + " ")} - set(SPEC_COMMANDS)
        assert extra == set(), f"/{group} has commands SPEC does not list"
    leaderboard = loaded.tree.get_command("profile")
    assert isinstance(leaderboard, app_commands.Group)
    sub = leaderboard.get_command("leaderboard")
    assert isinstance(sub, app_commands.Group) and sorted(c.name for c in sub.commands) == ["hide", "show"]


async def test_spec_commands_are_guild_only_and_autocomplete_their_options(loaded: CirclesBot) -> None:
    for name in ("circle", "profile", "away", "back", "pair", "goal"):
        top = loaded.tree.get_command(name)
        assert top is not None and top.guild_only, f"/{name} must be guild-only"
    for command in _walk(loaded):
        if not isinstance(command, app_commands.Command):
            continue
        for param in command.parameters:
            if param.name in ("circle", "timezone", "tz"):
                assert param.autocomplete, f"/{command.qualified_name} {param.name} should autocomplete"
