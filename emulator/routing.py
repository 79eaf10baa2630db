"""A tiny router over Discord's route templates, so unknown routes and wrong methods are explicit."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from multidict import MultiMapping

from .errors import ApiError, not_found


@dataclass(frozen=True)
class UploadedFile:
    """One ``files[n]`` part of a multipart body."""

    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class RecordedRequest:
    """Everything the bot sent in one request, and what the emulator answered."""

    t: float
    method: str
    path: str
    query: dict[str, str]
    json: Any
    files: list[UploadedFile]
    headers: dict[str, str]
    route: str | None = None
    status: int | None = None
    response: Any = None
    done: bool = False


@dataclass
class RestRequest:
    method: str
    path: str
    params: dict[str, str]
    query: MultiMapping[str]
    json: Any
    files: list[UploadedFile]
    authorized: bool
    record: RecordedRequest

    def body(self) -> dict[str, Any]:
        """The JSON object body; Discord answers 50109 when there is none where one is needed."""
        if self.json is None:
            return {}
        if not isinstance(self.json, dict):
            raise ApiError(400, 50109, "The request body contains invalid JSON.")
        return self.json

    def snowflake(self, name: str) -> int:
        value = self.params[name]
        if not value.isdigit():
            raise not_found()
        return int(value)

    def flag(self, name: str) -> bool:
        return self.query.get(name, "").lower() in {"1", "true"}


@dataclass
class RestResponse:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[RestRequest], Awaitable[RestResponse]]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    pattern: re.Pattern[str]
    handler: Handler
    # Bot-token routes count against the global limit; interaction callbacks and webhooks do not.
    bot_auth: bool


def compile_template(template: str) -> re.Pattern[str]:
    """``/channels/{channel_id}/messages`` -> a regex with named groups, each one path segment."""
    regex = re.sub(r"\{(\w+)\}", lambda m: f"(?P<{m.group(1)}>[^/]+)", template)
    return re.compile(f"^{regex}$")


class Router:
    def __init__(self) -> None:
        self._routes: list[Route] = []

    def add(self, method: str, template: str, handler: Handler, *, bot_auth: bool = True) -> None:
        self._routes.append(Route(method, template, compile_template(template), handler, bot_auth))
        # Literal segments must win over placeholders (``/guilds/{g}/threads/active`` over ``{x}/{y}``).
        self._routes.sort(key=lambda r: r.template.count("{"))

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
        """The route and its parameters, and whether the path exists under another method (405)."""
        path_known = False
        for route in self._routes:
            found = route.pattern.match(path)
            if found is None:
                continue
            if route.method == method:
                return route, found.groupdict(), True
            path_known = True
        return None, {}, path_known
