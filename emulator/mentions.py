"""Who a message really pings, by Discord's allowed-mentions rules.

Discord parses mentions from ``content`` only (never embeds), then keeps those the message's
``allowed_mentions`` permit:

- no ``allowed_mentions`` at all: every user, role, ``@everyone``/``@here`` mention and the replied-to
  author ping;
- ``parse``: the kinds parsed wholesale (``users``, ``roles``, ``everyone``);
- ``users`` / ``roles``: ids allowed one by one (mutually exclusive with the matching ``parse`` kind);
- ``replied_user``: whether a reply pings its target (default false once ``allowed_mentions`` is given).

On top of that, role mentions only ping when the role is mentionable or the author has Mention
Everyone, ``@everyone``/``@here`` only when the author has Mention Everyone, and users only when they
are in the guild. Mentions inside code spans and code blocks render as text and ping nobody.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

_CODE = re.compile(r"```.*?```|`[^`]*`", re.DOTALL)
_USER = re.compile(r"<@!?(\d{15,21})>")
_ROLE = re.compile(r"<@&(\d{15,21})>")


@dataclass(frozen=True)
class Pings:
    """The notifications a message caused."""

    users: frozenset[int] = frozenset()
    roles: frozenset[int] = frozenset()
    everyone: bool = False  # @everyone (or @here, see ``here``) went through
    here: bool = False

    @property
    def nobody(self) -> bool:
        return not (self.users or self.roles or self.everyone)


NO_PINGS = Pings()


@dataclass(frozen=True)
class MentionContext:
    """What Discord knows about the message's surroundings when it decides who gets pinged."""

    author_id: int
    author_can_mention_everyone: bool
    guild_member_ids: Collection[int] | None  # None outside a guild (DMs)
    mentionable_role_ids: Collection[int]
    guild_role_ids: Collection[int]
    replied_user_id: int | None = None


def parsed_mentions(content: str) -> tuple[list[int], list[int], bool, bool]:
    """Users, roles, @everyone and @here written in the content (outside code)."""
    text = _CODE.sub("", content)
    users = [int(u) for u in _USER.findall(text)]
    roles = [int(r) for r in _ROLE.findall(text)]
    return users, roles, "@everyone" in text, "@here" in text


def compute_pings(content: str, allowed: Mapping[str, Any] | None, context: MentionContext) -> Pings:
    users_written, roles_written, everyone_written, here_written = parsed_mentions(content)
    if allowed is None:
        parse = {"users", "roles", "everyone"}
        allowed_users: set[int] = set()
        allowed_roles: set[int] = set()
        replied_user = True
    else:
        parse = set(allowed.get("parse") or [])
        allowed_users = {int(u) for u in allowed.get("users") or []}
        allowed_roles = {int(r) for r in allowed.get("roles") or []}
        replied_user = bool(allowed.get("replied_user", False))

    users = {
        u
        for u in users_written
        if ("users" in parse or u in allowed_users)
        and (context.guild_member_ids is None or u in context.guild_member_ids)
    }
    roles = {
        r
        for r in roles_written
        if ("roles" in parse or r in allowed_roles)
        and r in context.guild_role_ids
        and (r in context.mentionable_role_ids or context.author_can_mention_everyone)
    }
    mass = "everyone" in parse and context.author_can_mention_everyone
    everyone = mass and everyone_written
    here = mass and here_written
    if replied_user and context.replied_user_id is not None and context.replied_user_id != context.author_id:
        users.add(context.replied_user_id)
    return Pings(users=frozenset(users), roles=frozenset(roles), everyone=everyone or here, here=here)
