"""The emulator: one aiohttp server on 127.0.0.1 serving REST v10, the gateway and attachment files."""

from __future__ import annotations

import json
import logging
import re
import time
import traceback
from typing import Any

from aiohttp import BodyPartReader, web

from .building import WorldBuilding
from .errors import ApiError
from .faults import HeldRequests, InjectedFault, server_error, too_many_requests
from .gateway import Gateway
from .interactions import Interactions
from .messages import MessageStore
from .queries import Queries
from .rest_channels import ChannelRoutes
from .rest_commands import CommandRoutes
from .rest_core import CoreRoutes
from .routing import RecordedRequest, RestRequest, RestResponse, Route, Router, UploadedFile

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
LOOPBACK = ("127.0.0.1", "localhost")


class Emulator(WorldBuilding, Queries):
    """A strict loopback stand-in for Discord's REST API v10 and gateway v10.

    Point discord.py at it with ``discord.http.Route.BASE = emu.api_base`` and
    ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(emu.gateway_url)``.
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        recommended_shards: int = 1,
        bot_username: str = "Cowork Circles",
        heartbeat_interval_ms: int = 41_250,
    ) -> None:
        if host not in LOOPBACK:
            raise ValueError("the emulator only ever listens on 127.0.0.1")
        # Always the IPv4 loopback address, also in the URLs it hands out.
        super().__init__(
            token=token,
            bot_username=bot_username,
            heartbeat_interval_ms=heartbeat_interval_ms,
            recommended_shards=recommended_shards,
        )
        self.port = port
        self.gateway = Gateway(self)
        self.interactions = Interactions(self)
        self.store = MessageStore(self)
        self.router = Router()
        self._holds: list[HeldRequests] = []
        CoreRoutes(self).register(self.router)
        ChannelRoutes(self).register(self.router)
        CommandRoutes(self).register(self.router)
        self.router.add(
            "POST",
            "/interactions/{interaction_id}/{token}/callback",
            self.interactions.callback,
            bot_auth=False,
        )
        hooks = "/webhooks/{application_id}/{token}"
        self.router.add("POST", hooks, self.interactions.followup, bot_auth=False)
        self.router.add("GET", hooks + "/messages/{message_id}", self.interactions.get_message, bot_auth=False)
        self.router.add("PATCH", hooks + "/messages/{message_id}", self.interactions.edit_message, bot_auth=False)
        self.router.add("DELETE", hooks + "/messages/{message_id}", self.interactions.delete_message, bot_auth=False)
        self._runner: web.AppRunner | None = None

    # lifecycle --------------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        # Closing the gateway websockets must not wait for clients' close handshakes.
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        server = site._server
        if self.port == 0 and server is not None:
            sockets = getattr(server, "sockets", None) or []
            self.port = int(sockets[0].getsockname()[1])

    async def stop(self) -> None:
        self.gateway.cancel_pending()
        for conn in list(self.gateway.connections):
            await conn.close(1001, b"emulator shutting down")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # gateway faults ---------------------------------------------------------------------------------

    async def drop_gateway(self, shard_id: int | None = None, code: int | None = None) -> int:
        """Drop gateway connections abruptly (or close with ``code``); the client should RESUME."""
        return await self.gateway.drop(shard_id, code)

    async def send_reconnect(self, shard_id: int | None = None) -> int:
        """Send op 7 RECONNECT; the client should reconnect and RESUME."""
        return await self.gateway.send_reconnect(shard_id)

    async def invalidate_session(self, shard_id: int | None = None, *, resumable: bool = False) -> int:
        """Send op 9 INVALID_SESSION; with ``resumable=False`` the client must IDENTIFY again."""
        return await self.gateway.invalidate(shard_id, resumable=resumable)

    async def flush(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109 - explicit timeouts are this test API's contract
        """Wait until every queued gateway event has been written to its socket."""
        await self.gateway.flush(timeout)

    # REST faults ------------------------------------------------------------------------------------

    @property
    def global_rate_limit(self) -> int | None:
        """Requests per second allowed for bot-token routes (None: unlimited). Excess gets a global 429."""
        return self.limits.global_limit

    @global_rate_limit.setter
    def global_rate_limit(self, value: int | None) -> None:
        self.limits.global_limit = value

    def inject_429(
        self,
        method: str | None = None,
        path_regex: str = ".*",
        count: int = 1,
        retry_after: float = 0.5,
        global_: bool = False,
        scope: str = "user",
    ) -> None:
        """The next ``count`` matching requests get a 429 (per-route, or global with ``global_``)."""
        self.limits.faults.append(
            InjectedFault(method, re.compile(path_regex), count, 429, retry_after, global_, scope)
        )

    def inject_error(
        self, status: int = 500, path_regex: str = ".*", count: int = 1, method: str | None = None
    ) -> None:
        """The next ``count`` matching requests get a ``status`` (500/502/503/504) JSON error."""
        self.limits.faults.append(InjectedFault(method, re.compile(path_regex), count, status))

    def hold(self, method: str | None, path_regex: str, count: int = 1) -> HeldRequests:
        """The next ``count`` matching requests wait, unanswered, until ``release()``: a test can kill
        the bot while Discord is still working on a request, at an exact step of what it was doing."""
        held = HeldRequests(method, re.compile(path_regex), count)
        self._holds.append(held)
        return held

    def clear_faults(self) -> None:
        self.limits.faults.clear()
        self.limits.global_limit = None

    # HTTP -------------------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path == "/gateway" and request.method == "GET" and request.headers.get("Upgrade", "").lower() == "websocket":
            return await self.gateway.handle(request)
        if path.startswith("/attachments/") and request.method == "GET":
            return self._attachment(path)
        arrived = time.monotonic()
        if not path.startswith(API_PREFIX + "/"):
            record = RecordedRequest(arrived, request.method, path, dict(request.query), None, [], _headers(request))
            self.requests.append(record)
            return self._finish(record, RestResponse(404, {"message": "404: Not Found", "code": 0}), unhandled=True)
        api_path = path[len(API_PREFIX) :]
        record = RecordedRequest(arrived, request.method, api_path, dict(request.query), None, [], _headers(request))
        self.requests.append(record)
        try:
            record.json, record.files = await _read_body(request)
        except ApiError as error:
            return self._finish(record, RestResponse(error.status, error.body()))
        route, params, path_known = self.router.match(request.method, api_path)
        if route is None:
            if path_known:
                response = RestResponse(405, {"message": "405: Method Not Allowed", "code": 0})
            else:
                response = RestResponse(404, {"message": "404: Not Found", "code": 0})
            return self._finish(record, response, unhandled=True)
        record.route = f"{route.method} {route.template}"
        response = await self._answer(route, params, request, record)
        if response.status != 429 and response.status < 500:
            response.headers.update(self.limits.route_headers(record.route, _major(route, params)))
        return self._finish(record, response)

    async def _answer(
        self, route: Route, params: dict[str, str], request: web.Request, record: RecordedRequest
    ) -> RestResponse:
        if route.bot_auth:
            wait = self.limits.global_retry_after(time.monotonic())
            if wait is not None:
                self.stats["429"] += 1
                self.stats["429_global_enforced"] += 1
                return too_many_requests(wait, global_=True, scope="global")
        for held in self._holds:
            if held.takes(request.method, record.path):
                await held.wait()
                if not held.processed:
                    return server_error(503)
                break
        fault = self.limits.take_fault(request.method, record.path)
        if fault is not None:
            if fault.status == 429:
                self.stats["429"] += 1
                return too_many_requests(
                    fault.retry_after, global_=fault.global_, scope=fault.scope, route_key=record.route
                )
            self.stats[str(fault.status)] += 1
            return server_error(fault.status)
        authorized = request.headers.get("Authorization") == f"Bot {self.token}"
        if route.bot_auth and not authorized:
            return RestResponse(401, {"message": "401: Unauthorized", "code": 0})
        rest_request = RestRequest(
            method=request.method,
            path=record.path,
            params=params,
            query=request.query,
            json=record.json,
            files=record.files,
            authorized=authorized,
            record=record,
        )
        try:
            return await route.handler(rest_request)
        except ApiError as error:
            return RestResponse(error.status, error.body())
        except Exception:
            # An emulator bug, not a Discord answer: keep it visible to tests.
            self.errors.append(f"{record.method} {record.path}\n{traceback.format_exc()}")
            log.exception("emulator error on %s %s", record.method, record.path)
            self.stats["emulator_error"] += 1
            return RestResponse(500, {"message": "500: Internal Server Error", "code": 0})

    def _finish(self, record: RecordedRequest, response: RestResponse, *, unhandled: bool = False) -> web.Response:
        record.status = response.status
        record.response = response.body
        record.done = True
        if unhandled:
            self.unhandled.append(record)
            self.stats["unhandled"] += 1
            log.warning("unhandled route: %s %s -> %s", record.method, record.path, response.status)
        else:
            log.debug("%s %s -> %s", record.method, record.path, response.status)
        self.stats["requests"] += 1
        self.notify()
        headers = dict(response.headers)
        if response.status == 204 or response.body is None:
            return web.Response(status=response.status, headers=headers)
        # Exactly "application/json": discord.py compares the header for equality, so no charset.
        headers["Content-Type"] = "application/json"
        return web.Response(status=response.status, body=json.dumps(response.body).encode(), headers=headers)

    def _attachment(self, path: str) -> web.Response:
        parts = path.split("/")
        if len(parts) >= 4 and parts[3].isdigit() and int(parts[3]) in self.world.attachments:
            return web.Response(body=self.world.attachments[int(parts[3])], content_type="application/octet-stream")
        return web.Response(status=404, body=b"Not Found")


def _headers(request: web.Request) -> dict[str, str]:
    """The request's headers with the token masked, so printing a recorded request never leaks it."""
    headers = dict(request.headers)
    if "Authorization" in headers:
        scheme = headers["Authorization"].split(" ", 1)[0]
        headers["Authorization"] = f"{scheme} <redacted>"
    return headers


def _major(route: Route, params: dict[str, str]) -> str:
    return "+".join(params[k] for k in ("channel_id", "guild_id", "application_id", "token") if k in params)


async def _read_body(request: web.Request) -> tuple[Any, list[UploadedFile]]:
    """JSON, or multipart with ``payload_json`` and ``files[n]`` parts, as discord.py sends them."""
    content_type = request.content_type
    if content_type.startswith("multipart/"):
        payload: Any = None
        files: list[UploadedFile] = []
        reader = await request.multipart()
        while True:
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, BodyPartReader):
                continue
            name = part.name or ""
            data = await part.read()
            filename = part.filename
            if name == "payload_json":
                payload = _parse_json(data)
            elif filename is not None:
                part_type = part.headers.get("Content-Type", "application/octet-stream")
                files.append(UploadedFile(name, filename, part_type, bytes(data)))
        return payload, files
    raw = await request.read()
    if not raw:
        return None, []
    return _parse_json(raw), []


def _parse_json(raw: bytes | bytearray) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise ApiError(400, 50109, "The request body contains invalid JSON.") from None
