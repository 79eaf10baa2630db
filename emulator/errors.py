"""Discord's JSON error bodies, raised by handlers and turned into responses by the router."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error answer exactly as Discord shapes it: ``{"message": ..., "code": ..., "errors"?: ...}``."""

    def __init__(self, status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def not_found() -> ApiError:
    return ApiError(404, 0, "404: Not Found")


def unknown(kind: str, code: int) -> ApiError:
    """``Unknown Channel`` (10003), ``Unknown Message`` (10008) and friends."""
    return ApiError(404, code, f"Unknown {kind}")


UNKNOWN_CHANNEL = 10003
UNKNOWN_GUILD = 10004
UNKNOWN_MEMBER = 10007
UNKNOWN_MESSAGE = 10008
UNKNOWN_ROLE = 10011
UNKNOWN_USER = 10013
UNKNOWN_WEBHOOK = 10015
UNKNOWN_APPLICATION_COMMAND = 10063
UNKNOWN_INTERACTION = 10062


def missing_access() -> ApiError:
    return ApiError(403, 50001, "Missing Access")


def missing_permissions() -> ApiError:
    return ApiError(403, 50013, "Missing Permissions")


def invalid_form(path: str, code: str, message: str) -> ApiError:
    """50035 with Discord's nested ``errors`` object, e.g. ``content`` -> BASE_TYPE_MAX_LENGTH."""
    node: dict[str, Any] = {"_errors": [{"code": code, "message": message}]}
    for part in reversed(path.split(".")):
        node = {part: node}
    return ApiError(400, 50035, "Invalid Form Body", node)
