"""Gateway v10 over an aiohttp websocket: sessions, sequence numbers, RESUME replay, zlib-stream.

A *session* outlives its websocket: dispatches keep getting sequence numbers and are buffered while the
client is away, and a RESUME replays everything after the client's last ``seq`` — exactly what a
client sees on Discord after a network blip. A *connection* is one websocket; it pumps its session's
buffer in order through one send lock, because zlib-stream compression is one continuous stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from . import intents as gi
from .snowflakes import shard_for

if TYPE_CHECKING:
    from .server import Emulator

JSON = dict[str, Any]

DISPATCH = 0
HEARTBEAT = 1
IDENTIFY = 2
PRESENCE_UPDATE = 3
VOICE_STATE_UPDATE = 4
RESUME = 6
RECONNECT = 7
REQUEST_GUILD_MEMBERS = 8
INVALID_SESSION = 9
HELLO = 10
HEARTBEAT_ACK = 11

# How many dispatches a session keeps for RESUME; older ones make a RESUME fail with INVALID_SESSION.
REPLAY_BUFFER = 5000


@dataclass(frozen=True)
class GatewayFrame:
    """One payload a client sent, for tests ("did the client RESUME, and not IDENTIFY again?")."""

    t: float
    shard_id: int | None
    session_id: str | None
    op: int
    data: Any


@dataclass
class GatewaySession:
    id: str
    shard_id: int
    shard_count: int
    intents: int
    large_threshold: int
    seq: int = 0
    # (seq, serialized payload), contiguous in seq, so a position is a subtraction away.
    events: list[tuple[int, str]] = field(default_factory=list)
    connection: GatewayConnection | None = None
    dead: bool = False
    # Sequence number of the last GUILD_CREATE sent with READY: reaching it means "connected and ready".
    ready_seq: int = 0
    identified_at: float = field(default_factory=time.monotonic)

    def has(self, intent: int) -> bool:
        return bool(self.intents & intent)

    @property
    def oldest_seq(self) -> int:
        return self.events[0][0] if self.events else self.seq + 1

    def events_after(self, seq: int) -> list[tuple[int, str]]:
        return self.events[max(0, seq + 1 - self.oldest_seq) :]

    def record(self, text: str) -> None:
        self.events.append((self.seq, text))
        if len(self.events) > 2 * REPLAY_BUFFER:
            # Trim in halves so appends stay amortised O(1); RESUME can still go back REPLAY_BUFFER events.
            del self.events[:REPLAY_BUFFER]

    def owns_guild(self, guild_id: int) -> bool:
        return shard_for(guild_id, self.shard_count) == self.shard_id


class GatewayConnection:
    def __init__(self, ws: web.WebSocketResponse, request: web.Request, *, compress: bool) -> None:
        self.ws = ws
        self.request = request
        self.compressor = zlib.compressobj() if compress else None
        self.lock = asyncio.Lock()
        self.session: GatewaySession | None = None
        self.sent_seq = 0
        self.wake = asyncio.Event()
        self.pump_task: asyncio.Task[None] | None = None
        self.closed_by_us = False

    async def close(self, code: int, reason: bytes) -> None:
        self.closed_by_us = True
        await self.ws.close(code=code, message=reason)

    @property
    def open(self) -> bool:
        return not self.ws.closed

    async def send(self, payload: JSON | str) -> None:
        text = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
        async with self.lock:
            if self.ws.closed:
                return
            if self.compressor is not None:
                # Discord's zlib-stream: one deflate stream per connection, each message ending in a
                # Z_SYNC_FLUSH marker (00 00 ff ff) that discord.py waits for before inflating.
                data = self.compressor.compress(text.encode()) + self.compressor.flush(zlib.Z_SYNC_FLUSH)
                await self.ws.send_bytes(data)
            else:
                await self.ws.send_str(text)

    async def pump(self) -> None:
        """Send the session's buffered dispatches in sequence order, for as long as the socket lives."""
        try:
            while not self.ws.closed:
                session = self.session
                if session is not None and session.connection is self:
                    for seq, text in session.events_after(self.sent_seq):
                        await self.send(text)
                        self.sent_seq = seq
                await self.wake.wait()
                self.wake.clear()
        except (ConnectionResetError, RuntimeError):
            return

    def abort(self) -> None:
        """Drop the TCP connection without a close frame, like a network failure."""
        self.closed_by_us = True
        transport = self.request.transport
        if transport is not None:
            transport.abort()


class Gateway:
    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.sessions: dict[str, GatewaySession] = {}
        self.connections: set[GatewayConnection] = set()
        self.received: list[GatewayFrame] = []
        self._pending_sends: set[asyncio.Task[None]] = set()

    # sessions ---------------------------------------------------------------------------------------

    def live_sessions(self) -> list[GatewaySession]:
        return [s for s in self.sessions.values() if not s.dead]

    def sessions_for_guild(self, guild_id: int | None) -> list[GatewaySession]:
        """Sessions that receive a guild's events; DMs go to shard 0, as on Discord."""
        if guild_id is None:
            return [s for s in self.live_sessions() if s.shard_id == 0]
        return [s for s in self.live_sessions() if s.owns_guild(guild_id)]

    @property
    def connected_shards(self) -> set[int]:
        return {s.shard_id for s in self.live_sessions() if s.connection is not None and s.connection.open}

    def ready_shards(self, since: float | None = None) -> dict[int, int]:
        """shard id -> shard count, for sessions that are connected and got READY plus every GUILD_CREATE
        (only sessions identified after ``since``, when given)."""
        ready: dict[int, int] = {}
        for s in self.live_sessions():
            if since is not None and s.identified_at <= since:
                continue
            conn = s.connection
            if conn is not None and conn.open and s.ready_seq and conn.sent_seq >= s.ready_seq:
                ready[s.shard_id] = s.shard_count
        return ready

    # dispatch ---------------------------------------------------------------------------------------

    def dispatch(
        self,
        event: str,
        data: JSON | Callable[[GatewaySession], JSON | None],
        *,
        guild_id: int | None,
        sessions: Iterable[GatewaySession] | None = None,
    ) -> int:
        """Queue an event for every session that should get it; returns how many sessions got it.

        ``data`` may be a function of the session, for payloads that depend on its intents (message
        content, member lists); it returns None to skip a session.
        """
        needed = gi.EVENT_INTENT.get(event, 0)
        targets = list(sessions) if sessions is not None else self.sessions_for_guild(guild_id)
        count = 0
        for session in targets:
            if needed and not session.has(needed):
                continue
            payload = data(session) if callable(data) else data
            if payload is None:
                continue
            self._append(session, event, payload)
            count += 1
        return count

    def _append(self, session: GatewaySession, event: str, payload: JSON) -> None:
        session.seq += 1
        text = json.dumps({"op": DISPATCH, "t": event, "s": session.seq, "d": payload}, separators=(",", ":"))
        session.record(text)
        self.emu.stats["dispatch"] += 1
        self.emu.stats[f"dispatch:{event}"] += 1
        if session.connection is not None:
            session.connection.wake.set()

    async def flush(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109 - explicit timeouts are this test API's contract
        """Wait until every connected session has sent everything it has queued."""
        deadline = time.monotonic() + timeout
        while True:
            pending = [
                s
                for s in self.live_sessions()
                if s.connection is not None and s.connection.open and s.connection.sent_seq < s.seq
            ]
            if not pending:
                return
            if time.monotonic() > deadline:
                raise TimeoutError("gateway did not flush")
            await asyncio.sleep(0.005)

    # faults -----------------------------------------------------------------------------------------

    def _connections(self, shard_id: int | None) -> list[GatewayConnection]:
        return [
            c
            for c in self.connections
            if c.open and c.session is not None and (shard_id is None or c.session.shard_id == shard_id)
        ]

    async def drop(self, shard_id: int | None = None, code: int | None = None) -> int:
        """Abruptly drop connections (no close frame), or close them with ``code``. Sessions stay resumable."""
        conns = self._connections(shard_id)
        for conn in conns:
            self.emu.stats["gateway_drop"] += 1
            if code is None:
                conn.abort()
            else:
                await conn.close(code, b"emulator closed the connection")
        return len(conns)

    async def send_reconnect(self, shard_id: int | None = None) -> int:
        conns = self._connections(shard_id)
        for conn in conns:
            self.emu.stats["gateway_reconnect_sent"] += 1
            await conn.send({"op": RECONNECT, "d": None})
        return len(conns)

    async def invalidate(self, shard_id: int | None = None, *, resumable: bool = False) -> int:
        conns = self._connections(shard_id)
        for conn in conns:
            if not resumable and conn.session is not None:
                conn.session.dead = True
            self.emu.stats["invalid_session_sent"] += 1
            await conn.send({"op": INVALID_SESSION, "d": resumable})
        return len(conns)

    # the websocket ----------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        version = request.query.get("v")
        encoding = request.query.get("encoding", "json")
        compress = request.query.get("compress")
        if compress not in (None, "zlib-stream"):
            # zstd-stream (discord.py picks it when `zstandard` is installed) is not implemented.
            return web.json_response({"message": f"unsupported compress={compress}", "code": 0}, status=400)
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        conn = GatewayConnection(ws, request, compress=compress == "zlib-stream")
        self.connections.add(conn)
        self.emu.stats["gateway_connect"] += 1
        try:
            if version != "10":
                await conn.close(4012, b"Invalid API version")
                return ws
            if encoding != "json":
                await conn.close(4002, b"Only encoding=json is emulated")
                return ws
            await conn.send({"op": HELLO, "d": {"heartbeat_interval": self.emu.heartbeat_interval_ms}})
            conn.pump_task = asyncio.create_task(conn.pump())
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._received(conn, msg.data)
                elif msg.type is WSMsgType.BINARY:
                    await conn.close(4002, b"Error while decoding payload")
                elif msg.type is WSMsgType.ERROR:
                    break
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self._closed(conn)
        return ws

    def _later(self, conn: GatewayConnection, delay: float, payload: JSON) -> None:
        async def send() -> None:
            await asyncio.sleep(delay)
            with contextlib.suppress(ConnectionResetError, RuntimeError):
                await conn.send(payload)

        task = asyncio.create_task(send())
        self._pending_sends.add(task)
        task.add_done_callback(self._pending_sends.discard)

    def cancel_pending(self) -> None:
        """Drop delayed sends (HEARTBEAT_ACKs on their way) when the emulator stops."""
        for task in list(self._pending_sends):
            task.cancel()

    def _closed(self, conn: GatewayConnection) -> None:
        self.connections.discard(conn)
        conn.wake.set()
        if conn.pump_task is not None:
            conn.pump_task.cancel()
        session = conn.session
        if session is not None and session.connection is conn:
            session.connection = None
            # A clean close (1000/1001) from the client ends the session; anything else stays resumable.
            if conn.ws.close_code in (1000, 1001) and not conn.closed_by_us:
                session.dead = True

    async def _received(self, conn: GatewayConnection, text: str) -> None:
        try:
            payload = json.loads(text)
            op = int(payload["op"])
        except (ValueError, KeyError, TypeError):
            await conn.close(4002, b"Error while decoding payload")
            return
        data = payload.get("d")
        session = conn.session
        self.received.append(
            GatewayFrame(
                time.monotonic(),
                session.shard_id if session else None,
                session.id if session else None,
                op,
                data,
            )
        )
        self.emu.stats[f"gateway_op:{op}"] += 1
        if op == HEARTBEAT:
            # Not at once: an ACK that beats discord.py's own bookkeeping logs "Can't keep up … N s behind".
            self._later(conn, self.emu.heartbeat_ack_delay, {"op": HEARTBEAT_ACK})
        elif op == IDENTIFY:
            await self._identify(conn, data)
        elif op == RESUME:
            await self._resume(conn, data)
        elif session is None:
            await conn.close(4003, b"Not authenticated")
        elif op == REQUEST_GUILD_MEMBERS:
            self._request_members(session, data)
        elif op in (PRESENCE_UPDATE, VOICE_STATE_UPDATE):
            # Recorded above; presence and voice connections are not emulated.
            return
        else:
            await conn.close(4001, b"Unknown opcode")

    async def _identify(self, conn: GatewayConnection, data: Any) -> None:
        if conn.session is not None:
            await conn.close(4005, b"Already authenticated")
            return
        if not isinstance(data, dict) or data.get("token") != self.emu.token:
            await conn.close(4004, b"Authentication failed")
            return
        shard = data.get("shard") or [0, 1]
        try:
            shard_id, shard_count = int(shard[0]), int(shard[1])
        except (TypeError, ValueError, IndexError):
            await conn.close(4010, b"Invalid shard")
            return
        if shard_count < 1 or not 0 <= shard_id < shard_count:
            await conn.close(4010, b"Invalid shard")
            return
        if "intents" not in data:
            await conn.close(4013, b"Invalid intent(s)")
            return
        intents = int(data["intents"])
        if intents & gi.PRIVILEGED & ~self.emu.privileged_intents:
            await conn.close(4014, b"Disallowed intent(s)")
            return
        self.emu.stats["identify"] += 1
        self.emu.session_starts_remaining -= 1
        # A new IDENTIFY for a shard supersedes disconnected sessions of that shard (a restarted bot).
        for old in self.live_sessions():
            if old.shard_id == shard_id and old.shard_count == shard_count and old.connection is None:
                old.dead = True
        session = GatewaySession(
            id=secrets.token_hex(16),
            shard_id=shard_id,
            shard_count=shard_count,
            intents=intents,
            large_threshold=int(data.get("large_threshold", 50)),
        )
        self.sessions[session.id] = session
        session.connection = conn
        conn.session = session
        conn.sent_seq = 0
        guilds = [g for g in self.emu.world.guilds.values() if session.owns_guild(g.id)]
        ready = {
            "v": 10,
            "user": self.emu.client_user_payload(),
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.emu.gateway_url,
            "shard": [shard_id, shard_count],
            "application": {"id": str(self.emu.application_id), "flags": self.emu.application_flags},
            "private_channels": [],
            "presences": [],
            "relationships": [],
            "guild_join_requests": [],
            "user_settings": {},
            "geo_ordered_rtc_regions": ["emulator"],
            "auth_session_id_hash": secrets.token_hex(8),
            "_trace": ['["emulator-gateway",{"micros":1}]'],
        }
        self._append(session, "READY", ready)
        if session.has(gi.GUILDS):
            for guild in guilds:
                self._append(session, "GUILD_CREATE", self.emu.guild_create_payload(guild.id, session))
        session.ready_seq = session.seq
        conn.wake.set()

    async def _resume(self, conn: GatewayConnection, data: Any) -> None:
        if conn.session is not None:
            await conn.close(4005, b"Already authenticated")
            return
        if not isinstance(data, dict) or data.get("token") != self.emu.token:
            await conn.close(4004, b"Authentication failed")
            return
        session = self.sessions.get(str(data.get("session_id")))
        seq = data.get("seq")
        if (
            session is None
            or session.dead
            or not isinstance(seq, int)
            or seq < session.oldest_seq - 1
            or seq > session.seq
        ):
            self.emu.stats["resume_rejected"] += 1
            await conn.send({"op": INVALID_SESSION, "d": False})
            return
        previous = session.connection
        if previous is not None and previous is not conn and previous.open:
            await previous.close(4000, b"Session resumed elsewhere")
        self.emu.stats["resume"] += 1
        session.connection = conn
        conn.session = session
        conn.sent_seq = seq
        self._append(session, "RESUMED", {"_trace": ['["emulator-gateway",{"micros":1}]']})
        conn.wake.set()

    def _request_members(self, session: GatewaySession, data: Any) -> None:
        if not isinstance(data, dict):
            return
        raw_ids = data.get("guild_id")
        guild_ids = raw_ids if isinstance(raw_ids, list) else [raw_ids]
        for raw in guild_ids:
            if not str(raw).isdigit():
                continue
            guild = self.emu.world.guilds.get(int(str(raw)))
            if guild is None or not session.owns_guild(guild.id):
                continue
            for chunk in self.emu.member_chunks(guild.id, session, data):
                self._append(session, "GUILD_MEMBERS_CHUNK", chunk)
