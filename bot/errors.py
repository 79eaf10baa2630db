"""Errors whose message is safe to show to the user who caused them (as an ephemeral reply)."""


class UserError(Exception):
    """Something the user can fix; ``str(error)`` is the message they see."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(UserError):
    """The input was malformed; the message says what is accepted."""


class NotFound(UserError):
    """The thing named does not exist (in this guild)."""


class Forbidden(UserError):
    """The caller may not do this (e.g. a host-only command)."""


class Conflict(UserError):
    """The request clashes with the current state (duplicate name, sprint already running...)."""
