"""`/privacy` texts."""

from __future__ import annotations

from bot.privacy.service import Forgotten, PrivacyExport

CONFIRM = (
    "This deletes **all your data in this server**: circle memberships, profile, standup answers, focus "
    "sessions and sprints, pairing and goals. Other servers and other members are not touched, and it "
    "cannot be undone. Tip: `/privacy export` first if you want a copy."
)


def exported(export: PrivacyExport) -> str:
    parts = ", ".join(export.sections)
    squeezed = " It is gzip-compressed to fit Discord's attachment limit." if export.compressed else ""
    return f"All your data in this server, as JSON ({parts}).{squeezed} Only you can see this message."


def forgotten(result: Forgotten) -> str:
    messages = f" {len(result.messages)} messages that showed it are being removed." if result.messages else ""
    return f"Done: all your data in this server is deleted ({', '.join(result.sections)}).{messages}"
