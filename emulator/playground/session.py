"""The playground's moving parts: the emulator with the demo world, the real bot process, the clock, the log.

Everything the web page does goes through a ``Playground``: acting as a member (commands, autocomplete,
buttons, modals, voice, plain messages) through the emulator's ``Driver``, moving the bot's clock, and reading
what a member of the demo server would see. The HTTP layer (``web.py``) only translates JSON.

Time: the bot process runs with the e2e tier's clock shift (``emulator/timeshift/sitecustomize.py``) in its
file mode. A jump rewrites the offset file; the shim in the bot process reads it within a quarter of a second
and wakes the bot's scheduler, so what became due runs at once. The bot is not restarted and has no test
branch: it reads the time the usual way.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from emulator import permissions as perms
from emulator.driver import Driver, DriverError, InteractionHandle
from emulator.harness import TIMESHIFT, TOKEN, BotProcess
from emulator.interactions import MODAL
from emulator.routing import RecordedRequest
from emulator.server import Emulator
from emulator.state import THREAD_TYPES, VOICE
from emulator.world import World, default_world

JSON = dict[str, Any]

# Option types of application commands (Discord's numbering).
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER = 3, 4, 5, 6, 7, 8, 9, 10
ID_TYPES = frozenset({USER, CHANNEL, ROLE, MENTIONABLE})

LOG_LINES = 2000
ANSWER_TIMEOUT = 5.0


class PlaygroundError(Exception):
    """Something the member cannot do, said in one line for the page."""


@dataclass(frozen=True)
class LogLine:
    seq: int
    source: str  # "bot", "emulator" (refused requests, its own errors) or "playground" (what was done)
    text: str


class Playground:
    """The emulator, the demo world and the bot process, for one run of ``python -m emulator.playground``."""

    def __init__(self, workdir: Path, *, emulator_port: int = 0) -> None:
        self.workdir = workdir
        self.emu = Emulator(token=TOKEN, port=emulator_port)
        self.world: World | None = None
        self.driver = Driver(self.emu)
        self.bot = BotProcess(self.emu, workdir)
        self.offset_file = workdir / "time-offset"
        self.wakeups_file = workdir / "wakeups.json"
        self.offset = 0.0
        # (real time of the change, offset from then on): what a message's real timestamp was in bot time.
        self._offsets: list[tuple[datetime, float]] = [(datetime.min.replace(tzinfo=UTC), 0.0)]
        self.log: deque[LogLine] = deque(maxlen=LOG_LINES)
        self._seq = 0
        self._log_pos = 0
        self._requests_seen = 0
        self._errors_seen = 0
        self._tasks: list[asyncio.Task[None]] = []

    # lifecycle --------------------------------------------------------------------------------------

    async def start(self) -> None:
        await self.emu.start()
        self.world = default_world(self.emu)
        self.offset_file.write_text("0")
        self._tasks.append(asyncio.create_task(self._follow_logs()))
        await self.start_bot()

    async def start_bot(self) -> None:
        if self.bot.process is not None and self.bot.process.returncode is None:
            raise PlaygroundError("the bot is already running")
        env = {
            "PYTHONPATH": os.pathsep.join(filter(None, [str(TIMESHIFT), os.environ.get("PYTHONPATH")])),
            "COWORK_E2E_TIME_OFFSET_FILE": str(self.offset_file),
            "COWORK_E2E_WAKEUPS_FILE": str(self.wakeups_file),
        }
        self.note("playground", "starting the bot (python -m bot) on a throwaway SQLite database")
        await self.bot.start(wait=False, env=env)

    async def wait_ready(self, timeout: float = 60) -> None:  # noqa: ASYNC109 - the page's start-up wait
        """The bot identified, got its guilds and synced its commands."""

        def ready() -> bool:
            if self.bot.exited():
                raise PlaygroundError(f"the bot stopped (exit code {self.bot.process and self.bot.process.returncode})")
            return self.status() == "ready"

        await self.emu.wait_until(ready, timeout, "the bot to be ready")

    async def stop(self) -> None:
        process = self.bot.process
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
                await process.wait()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._collect()
        await self.emu.stop()

    def status(self) -> str:
        if self.bot.process is None:
            return "starting"
        if self.bot.exited():
            return "stopped"
        if not self.emu.connected_shards or not self.commands():
            return "starting"
        return "ready"

    # the log pane -----------------------------------------------------------------------------------

    def note(self, source: str, text: str) -> None:
        self._seq += 1
        self.log.append(LogLine(self._seq, source, text))

    def log_after(self, seq: int) -> list[LogLine]:
        return [line for line in self.log if line.seq > seq]

    async def _follow_logs(self) -> None:
        while True:
            self._collect()
            await asyncio.sleep(0.25)

    def _collect(self) -> None:
        """New bot log lines, and every request the emulator refused (4xx, unknown routes) or crashed on."""
        path = self.bot.log_path
        if path.exists():
            with path.open("rb") as file:
                file.seek(self._log_pos)
                chunk = file.read()
            complete = chunk.rfind(b"\n") + 1
            self._log_pos += complete
            for line in chunk[:complete].decode(errors="replace").splitlines():
                if line.strip():
                    self.note("bot", line)
        requests = self.emu.requests
        unhandled = {id(record) for record in self.emu.unhandled}
        while self._requests_seen < len(requests) and requests[self._requests_seen].done:
            record = requests[self._requests_seen]
            self._requests_seen += 1
            if record.status is not None and record.status >= 400:
                self.note("emulator", _refusal(record, unhandled=id(record) in unhandled))
        for error in self.emu.errors[self._errors_seen :]:
            self.note("emulator", f"emulator error: {error.strip().splitlines()[-1]}")
        self._errors_seen = len(self.emu.errors)

    # time -------------------------------------------------------------------------------------------

    def bot_now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset)

    def wakeups(self) -> list[JSON]:
        """The bot's scheduled wake-ups, soonest first (the clock shift reports them from the bot process)."""
        try:
            data = json.loads(self.wakeups_file.read_text())
        except (OSError, ValueError):
            return []
        return [w for w in data if isinstance(w, dict) and "at" in w and "id" in w]

    def jump(self, seconds: float) -> datetime:
        if seconds <= 0:
            raise PlaygroundError("time only moves forward")
        self.offset += seconds
        self._offsets.append((datetime.now(UTC), self.offset))
        tmp = self.offset_file.with_suffix(".tmp")
        tmp.write_text(repr(self.offset))
        tmp.replace(self.offset_file)
        now = self.bot_now()
        self.note(
            "playground", f"time jumped {_duration(seconds)} ahead: the bot's clock reads {now:%a %d %b %H:%M} UTC"
        )
        return now

    async def jump_to_next(self) -> JSON:
        """Just past the next wake-up that is not already due, as the bot reports them now."""
        asked = datetime.now(UTC).timestamp()
        # The clock shift rewrites the report four times a second: wait for one written after this request.
        with contextlib.suppress(TimeoutError):
            await self.emu.wait_until(lambda: self._report_time() > asked, 2, "a fresh wake-up report")
        now = self.bot_now()
        wakeups = self.wakeups()
        for wake in wakeups:
            at = datetime.fromisoformat(wake["at"])
            if at > now + timedelta(seconds=1):
                self.jump((at - now).total_seconds() + 1)
                return {"id": wake["id"], "at": wake["at"]}
        if wakeups:
            raise PlaygroundError("the bot is still busy with what is due now; try again in a moment")
        raise PlaygroundError("nothing is scheduled: create a schedule first (for example /standup schedule)")

    def _report_time(self) -> float:
        try:
            return self.wakeups_file.stat().st_mtime
        except OSError:
            return 0.0

    def shown_at(self, timestamp: str) -> str:
        """A message's real timestamp as the bot's clock read it then."""
        real = datetime.fromisoformat(timestamp)
        offset = next(o for changed, o in reversed(self._offsets) if changed <= real)
        return (real + timedelta(seconds=offset)).isoformat()

    # what a member sees -----------------------------------------------------------------------------

    @property
    def guild_id(self) -> int:
        assert self.world is not None, "start() first"
        return self.world.guild_a

    def members(self) -> list[JSON]:
        guild = self.emu.world.guild(self.guild_id)
        result = []
        for user_id in guild.members:
            user = self.emu.world.users[user_id]
            if user.bot:
                continue
            voice = guild.voice_states.get(user_id)
            result.append(
                {
                    "id": str(user_id),
                    "name": user.username,
                    "host": user_id == guild.owner_id,
                    "voice": None
                    if voice is None
                    else {
                        "channel_id": str(voice.channel_id),
                        "self_deaf": voice.self_deaf,
                        "self_mute": voice.self_mute,
                    },
                }
            )
        return result

    def _can_see(self, channel_id: int, user_id: int) -> bool:
        world = self.emu.world
        return bool(world.channel_permissions(world.channel(channel_id), user_id) & perms.VIEW_CHANNEL)

    def channels(self, as_user: int | None = None) -> list[JSON]:
        """The server's channels and their threads that ``as_user`` can see (a private thread: its members)."""
        world = self.emu.world
        guild = world.guild(self.guild_id)
        result = []
        for channel in world.guild_channels(self.guild_id):
            if channel.is_thread or (as_user is not None and not self._can_see(channel.id, as_user)):
                continue
            threads = [
                {"id": str(t.id), "name": t.name, "archived": t.archived, "private": t.type == 12}
                for t in sorted(world.channels.values(), key=lambda c: c.id)
                if t.type in THREAD_TYPES
                and t.parent_id == channel.id
                and (as_user is None or self._can_see(t.id, as_user))
            ]
            result.append(
                {
                    "id": str(channel.id),
                    "name": channel.name,
                    "type": channel.type,
                    "afk": channel.id == guild.afk_channel_id,
                    "threads": threads,
                }
            )
        return result

    def messages(self, channel_id: int, as_user: int, limit: int = 100) -> list[JSON]:
        """What ``as_user`` sees in the channel: its history, plus the ephemeral replies meant for them."""
        world = self.emu.world
        if not self._can_see(channel_id, as_user):
            return []
        visible = []
        for stored in world.messages.values():
            if stored.channel_id != channel_id or stored.deleted:
                continue
            if stored.ephemeral:
                owner = self.emu.interactions.by_id.get(stored.interaction_id or 0)
                if owner is None or owner.user_id != as_user:
                    continue
            visible.append(stored)
        visible.sort(key=lambda m: m.id)
        result = []
        for stored in visible[-limit:]:
            payload = dict(stored.payload)
            payload["ephemeral"] = stored.ephemeral
            if payload.get("timestamp"):
                payload["shown_at"] = self.shown_at(payload["timestamp"])
            result.append(payload)
        return result

    def commands(self) -> list[JSON]:
        """The bot's synced chat-input commands, flattened to one entry per invocable name ("circle create")."""
        definitions = self.emu.commands(self.guild_id) + self.emu.commands()
        flat: dict[str, JSON] = {}
        for definition in definitions:
            if definition.get("type", 1) != 1:
                continue
            for name, description, options in _walk(definition["name"], definition):
                flat.setdefault(name, {"name": name, "description": description, "options": options})
        return sorted(flat.values(), key=lambda c: c["name"])

    def _command(self, name: str) -> JSON:
        for command in self.commands():
            if command["name"] == name:
                return command
        raise PlaygroundError(f"no command /{name}; the bot synced: {', '.join(c['name'] for c in self.commands())}")

    # acting as a member -----------------------------------------------------------------------------

    def _member(self, user_id: int) -> str:
        guild = self.emu.world.guild(self.guild_id)
        if user_id not in guild.members or self.emu.world.users[user_id].bot:
            raise PlaygroundError(f"{user_id} is not a member of {guild.name}")
        return self.emu.world.users[user_id].username

    def _typed(self, command: JSON, raw: Mapping[str, Any], focused: str | None = None) -> dict[str, Any]:
        """Form values (strings) typed as the command's options want them; empty fields are left out."""
        by_name = {o["name"]: o for o in command["options"]}
        typed: dict[str, Any] = {}
        for name, value in raw.items():
            if name not in by_name:
                raise PlaygroundError(f"/{command['name']} has no option {name!r}")
            if value is None or value == "":
                continue
            if name == focused:
                typed[name] = str(value)
                continue
            kind = by_name[name]["type"]
            try:
                if kind == INTEGER:
                    typed[name] = int(value)
                elif kind == NUMBER:
                    typed[name] = float(value)
                elif kind == BOOLEAN:
                    typed[name] = value if isinstance(value, bool) else str(value).lower() in ("true", "yes", "1")
                elif kind in ID_TYPES:
                    typed[name] = int(value)
                else:
                    typed[name] = str(value)
            except ValueError:
                raise PlaygroundError(f"{name}: {value!r} is not a valid {_TYPE_NAMES.get(kind, 'value')}") from None
        return typed

    async def command(self, as_user: int, channel_id: int, name: str, options: Mapping[str, Any]) -> JSON:
        who = self._member(as_user)
        command = self._command(name)
        typed = self._typed(command, options)
        shown = " ".join(f"{k}:{v}" for k, v in typed.items())
        self.note("playground", f"{who}: /{name} {shown}".rstrip())
        try:
            handle = await self.driver.slash(self.guild_id, as_user, name, channel_id=channel_id, **typed)
        except DriverError as error:
            raise PlaygroundError(str(error)) from None
        return await self._outcome(handle)

    async def autocomplete(
        self, as_user: int, channel_id: int, name: str, options: Mapping[str, Any], focused: str
    ) -> list[JSON]:
        self._member(as_user)
        command = self._command(name)
        typed = self._typed(command, options, focused=focused)
        # Other options may be half-typed; autocomplete only needs the ones that are valid so far.
        try:
            return await self.driver.autocomplete(
                self.guild_id, as_user, name, focused=focused, channel_id=channel_id, **typed
            )
        except (DriverError, TimeoutError) as error:
            raise PlaygroundError(str(error)) from None

    async def click(self, as_user: int, message_id: int, custom_id: str, values: list[str] | None = None) -> JSON:
        who = self._member(as_user)
        self.note("playground", f"{who}: clicks {custom_id}" + (f" {values}" if values else ""))
        try:
            handle = await self.driver.click(self.guild_id, as_user, message_id, custom_id, values=values)
        except DriverError as error:
            raise PlaygroundError(str(error)) from None
        return await self._outcome(handle)

    async def submit_modal(self, as_user: int, custom_id: str, values: Mapping[str, str | list[str]]) -> JSON:
        who = self._member(as_user)
        self.note("playground", f"{who}: submits the form {custom_id}")
        try:
            handle = await self.driver.submit_modal(self.guild_id, as_user, custom_id, dict(values))
        except DriverError as error:
            raise PlaygroundError(str(error)) from None
        return await self._outcome(handle)

    async def say(self, as_user: int, channel_id: int, content: str) -> JSON:
        self._member(as_user)
        if not content.strip():
            raise PlaygroundError("type a message first")
        try:
            return await self.driver.say(as_user, channel_id, content)
        except DriverError as error:
            raise PlaygroundError(str(error)) from None

    async def voice(self, as_user: int, action: str, channel_id: int | None = None) -> None:
        who = self._member(as_user)
        g = self.guild_id
        guild = self.emu.world.guild(g)
        state = guild.voice_states.get(as_user)
        try:
            if action == "join":
                target = channel_id or next(
                    c.id for c in self.emu.world.guild_channels(g) if c.type == VOICE and c.id != guild.afk_channel_id
                )
                if state is None:
                    await self.driver.voice_join(g, as_user, target)
                else:  # a move keeps the member's own deafen and mute, as in Discord's client
                    await self.driver.voice_move(g, as_user, target, state.self_deaf, state.self_mute)
            elif action == "leave":
                await self.driver.voice_leave(g, as_user)
            elif action == "deafen":
                await self.driver.voice_flags(g, as_user, self_deaf=not (state and state.self_deaf))
            elif action == "afk":
                if guild.afk_channel_id is None:
                    raise PlaygroundError("the server has no AFK channel")
                if state is None:
                    raise PlaygroundError(f"{who} is not in voice")
                await self.driver.voice_move(g, as_user, guild.afk_channel_id, state.self_deaf, state.self_mute)
            else:
                raise PlaygroundError(f"unknown voice action {action!r}: join, leave, deafen or afk")
        except DriverError as error:
            raise PlaygroundError(str(error)) from None
        after = guild.voice_states.get(as_user)
        where = "left voice" if after is None else f"in {self.emu.world.channel(after.channel_id).name}"
        self.note("playground", f"{who}: {action} → {where}" + (" (deafened)" if after and after.self_deaf else ""))

    async def _outcome(self, handle: InteractionHandle) -> JSON:
        """The bot's first answer: a modal to fill in, or a message (shown through the channel's history)."""
        try:
            response = await handle.response(ANSWER_TIMEOUT)
        except TimeoutError:
            refused = handle.rejections
            reason = f"Discord refused its answer: {refused[-1]}" if refused else "it did not answer within 5 s"
            raise PlaygroundError(f"The application did not respond ({reason})") from None
        result: JSON = {"type": response["type"], "interaction": str(handle.id)}
        if response["type"] == MODAL:
            result["modal"] = handle.modal
        return result


def _walk(prefix: str, node: JSON) -> list[tuple[str, str, list[JSON]]]:
    options = node.get("options") or []
    nested = [o for o in options if o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP)]
    if not nested:
        return [(prefix, node.get("description", ""), options)]
    found: list[tuple[str, str, list[JSON]]] = []
    for option in nested:
        found += _walk(f"{prefix} {option['name']}", option)
    return found


_TYPE_NAMES = {INTEGER: "whole number", NUMBER: "number", USER: "user id", CHANNEL: "channel id", ROLE: "role id"}


def _refusal(record: RecordedRequest, *, unhandled: bool) -> str:
    response = record.response
    detail = ""
    if isinstance(response, dict):
        detail = str(response.get("message", ""))
        if response.get("errors"):
            detail += f" {json.dumps(response['errors'])[:300]}"
    text = f"refused {record.method} {record.path}: {record.status} {detail}".rstrip()
    return text + " (a route the emulator does not know)" if unhandled else text


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
