"""Discord's limits on what a bot sends: messages, embeds, components, modals, commands, choices.

Each check raises the 400 Discord would answer, so a bot that passes here does not learn about a limit
from production. Only the limits a bot can realistically hit are checked.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import ApiError, invalid_form

EPHEMERAL = 1 << 6
SUPPRESS_EMBEDS = 1 << 2
SUPPRESS_NOTIFICATIONS = 1 << 12
IS_COMPONENTS_V2 = 1 << 15

BUTTON = 2
STRING_SELECT = 3
TEXT_INPUT = 4
AUTO_SELECTS = frozenset({5, 6, 7, 8})
ACTION_ROW = 1
LABEL = 18
TEXT_DISPLAY = 10
V2_LAYOUT = frozenset({9, 10, 11, 12, 13, 14, 17})

# Chat-input names: lowercase letters, digits, "-", "_" and "'" (unicode letters allowed).
_COMMAND_NAME = re.compile(r"^[-_'\w]{1,32}$")


def _length(value: Any, path: str, maximum: int, *, minimum: int = 0) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        raise invalid_form(path, "BASE_TYPE_STRING", "Must be a string.")
    if len(value) > maximum:
        raise invalid_form(path, "BASE_TYPE_MAX_LENGTH", f"Must be {maximum} or fewer in length.")
    if len(value) < minimum:
        raise invalid_form(path, "BASE_TYPE_MIN_LENGTH", f"Must be {minimum} or more in length.")


def _bad(path: str, message: str, code: str = "BASE_TYPE_BAD_VALUE") -> ApiError:
    return invalid_form(path, code, message)


# messages --------------------------------------------------------------------------------------------


def check_message(body: dict[str, Any], *, has_files: bool, creating: bool) -> None:
    content = body.get("content")
    _length(content, "content", 2000)
    embeds = body.get("embeds")
    if embeds is not None:
        if not isinstance(embeds, list):
            raise _bad("embeds", "Must be an array.")
        if len(embeds) > 10:
            raise invalid_form("embeds", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
        total = 0
        for index, embed in enumerate(embeds):
            total += check_embed(embed, f"embeds.{index}")
        if total > 6000:
            raise _bad("embeds", "Embed size exceeds maximum size of 6000", "MAX_EMBED_SIZE_EXCEEDED")
    flags = int(body.get("flags") or 0)
    components = body.get("components")
    if components is not None:
        check_components(components, v2=bool(flags & IS_COMPONENTS_V2))
    if flags & IS_COMPONENTS_V2 and (content or embeds):
        raise _bad(
            "content",
            "The 'content' and 'embeds' fields cannot be used when using the IS_COMPONENTS_V2 flag",
            "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
        )
    check_allowed_mentions(body.get("allowed_mentions"))
    if creating and not (content or embeds or has_files or components or body.get("sticker_ids") or body.get("poll")):
        raise ApiError(400, 50006, "Cannot send an empty message")


def check_embed(embed: Any, path: str) -> int:
    if not isinstance(embed, dict):
        raise _bad(path, "Must be an object.")
    size = 0
    for key, limit in (("title", 256), ("description", 4096)):
        _length(embed.get(key), f"{path}.{key}", limit)
        size += len(embed.get(key) or "")
    fields = embed.get("fields") or []
    if len(fields) > 25:
        raise invalid_form(f"{path}.fields", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    for index, item in enumerate(fields):
        _length(item.get("name"), f"{path}.fields.{index}.name", 256, minimum=1)
        _length(item.get("value"), f"{path}.fields.{index}.value", 1024, minimum=1)
        if "name" not in item or "value" not in item:
            raise invalid_form(f"{path}.fields.{index}", "BASE_TYPE_REQUIRED", "This field is required")
        size += len(item["name"]) + len(item["value"])
    footer = embed.get("footer") or {}
    _length(footer.get("text"), f"{path}.footer.text", 2048)
    size += len(footer.get("text") or "")
    author = embed.get("author") or {}
    _length(author.get("name"), f"{path}.author.name", 256)
    size += len(author.get("name") or "")
    return size


def check_allowed_mentions(allowed: Any) -> None:
    if allowed is None:
        return
    if not isinstance(allowed, dict):
        raise _bad("allowed_mentions", "Must be an object.")
    parse = allowed.get("parse") or []
    for index, kind in enumerate(parse):
        if kind not in ("users", "roles", "everyone"):
            raise _bad(f"allowed_mentions.parse.{index}", "Value must be one of ('users', 'roles', 'everyone').")
    for kind in ("users", "roles"):
        listed = allowed.get(kind) or []
        if len(listed) > 100:
            raise invalid_form(f"allowed_mentions.{kind}", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
        if kind in parse and listed:
            raise _bad(
                "allowed_mentions",
                f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
                "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
            )


def check_components(components: Any, *, v2: bool) -> None:
    if not isinstance(components, list):
        raise _bad("components", "Must be an array.")
    if not v2 and len(components) > 5:
        raise invalid_form("components", "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
    seen: set[str] = set()
    total = [0]
    for index, component in enumerate(components):
        path = f"components.{index}"
        kind = component.get("type") if isinstance(component, dict) else None
        if not v2 and kind != ACTION_ROW:
            raise _bad(f"{path}.type", "Top-level components must be action rows (use IS_COMPONENTS_V2).")
        _check_component(component, path, seen, total, v2=v2)
    if v2 and total[0] > 40:
        raise _bad("components", "Must be 40 or fewer in total.", "BASE_TYPE_MAX_LENGTH")


def _check_component(component: Any, path: str, seen: set[str], total: list[int], *, v2: bool) -> None:
    if not isinstance(component, dict) or "type" not in component:
        raise _bad(path, "Must be a component object.")
    total[0] += 1
    kind = component["type"]
    if kind == ACTION_ROW:
        children = component.get("components") or []
        if not children:
            raise invalid_form(f"{path}.components", "BASE_TYPE_MIN_LENGTH", "Must be 1 or more in length.")
        selects = [c for c in children if c.get("type") in AUTO_SELECTS | {STRING_SELECT}]
        if len(children) > 5 or (selects and len(children) > 1):
            raise _bad(f"{path}.components", "An action row holds up to 5 buttons or one select menu.")
        for index, child in enumerate(children):
            if child.get("type") not in {BUTTON, STRING_SELECT} | AUTO_SELECTS:
                raise _bad(f"{path}.components.{index}.type", "Action rows hold buttons and select menus.")
            _check_component(child, f"{path}.components.{index}", seen, total, v2=v2)
    elif kind == BUTTON:
        _check_button(component, path, seen)
    elif kind == STRING_SELECT or kind in AUTO_SELECTS:
        _check_select(component, path, seen)
    elif v2 and kind in V2_LAYOUT:
        for key in ("components",):
            for index, child in enumerate(component.get(key) or []):
                _check_component(child, f"{path}.{key}.{index}", seen, total, v2=v2)
        accessory = component.get("accessory")
        if accessory is not None:
            _check_component(accessory, f"{path}.accessory", seen, total, v2=v2)
    else:
        raise _bad(f"{path}.type", f"Component type {kind} is not allowed in messages.")


def _check_custom_id(component: dict[str, Any], path: str, seen: set[str]) -> None:
    custom_id = component.get("custom_id")
    _length(custom_id, f"{path}.custom_id", 100, minimum=1)
    if custom_id is None:
        raise invalid_form(f"{path}.custom_id", "BASE_TYPE_REQUIRED", "This field is required")
    if custom_id in seen:
        raise _bad(f"{path}.custom_id", "Component custom id cannot be duplicated", "COMPONENT_CUSTOM_ID_DUPLICATED")
    seen.add(custom_id)


def _check_button(button: dict[str, Any], path: str, seen: set[str]) -> None:
    style = button.get("style")
    if style not in (1, 2, 3, 4, 5, 6):
        raise _bad(f"{path}.style", "Value must be one of {1, 2, 3, 4, 5, 6}.")
    _length(button.get("label"), f"{path}.label", 80)
    if style == 5:
        if not button.get("url") or "custom_id" in button:
            raise _bad(f"{path}.url", "Link buttons need a url and no custom_id.")
    elif style != 6:
        _check_custom_id(button, path, seen)
    if style != 6 and not (button.get("label") or button.get("emoji")):
        raise _bad(f"{path}.label", "A button needs a label or an emoji.")


def _check_select(select: dict[str, Any], path: str, seen: set[str]) -> None:
    _check_custom_id(select, path, seen)
    _length(select.get("placeholder"), f"{path}.placeholder", 150)
    min_values = select.get("min_values", 1)
    max_values = select.get("max_values", 1)
    if not 0 <= int(min_values) <= 25 or not 1 <= int(max_values) <= 25:
        raise _bad(f"{path}.max_values", "min_values must be 0-25 and max_values 1-25.")
    if select.get("type") == STRING_SELECT:
        options = select.get("options") or []
        if not 1 <= len(options) <= 25:
            raise _bad(f"{path}.options", "A string select needs 1 to 25 options.")
        for index, option in enumerate(options):
            _length(option.get("label"), f"{path}.options.{index}.label", 100, minimum=1)
            _length(option.get("value"), f"{path}.options.{index}.value", 100, minimum=1)
            _length(option.get("description"), f"{path}.options.{index}.description", 100)


# modals ----------------------------------------------------------------------------------------------


def check_modal(data: Any) -> None:
    if not isinstance(data, dict):
        raise _bad("data", "Must be an object.")
    _length(data.get("title"), "data.title", 45, minimum=1)
    _length(data.get("custom_id"), "data.custom_id", 100, minimum=1)
    if "title" not in data or "custom_id" not in data:
        raise invalid_form("data", "BASE_TYPE_REQUIRED", "title and custom_id are required")
    components = data.get("components") or []
    if not 1 <= len(components) <= 5:
        raise _bad("data.components", "A modal holds 1 to 5 components.")
    seen: set[str] = set()
    for index, component in enumerate(components):
        path = f"data.components.{index}"
        kind = component.get("type")
        if kind == ACTION_ROW:
            children = component.get("components") or []
            if len(children) != 1 or children[0].get("type") != TEXT_INPUT:
                raise _bad(f"{path}.components", "A modal action row holds exactly one text input.")
            _check_text_input(children[0], f"{path}.components.0", seen, labelled=False)
        elif kind == LABEL:
            _length(component.get("label"), f"{path}.label", 45, minimum=1)
            _length(component.get("description"), f"{path}.description", 100)
            inner = component.get("component") or {}
            if inner.get("type") == TEXT_INPUT:
                _check_text_input(inner, f"{path}.component", seen, labelled=True)
            elif inner.get("type") in {STRING_SELECT} | AUTO_SELECTS:
                _check_select(inner, f"{path}.component", seen)
            else:
                raise _bad(f"{path}.component.type", "A label wraps a text input or a select menu.")
        elif kind == TEXT_DISPLAY:
            _length(component.get("content"), f"{path}.content", 4000, minimum=1)
        else:
            raise _bad(f"{path}.type", f"Component type {kind} is not allowed in modals.")


def _check_text_input(text_input: dict[str, Any], path: str, seen: set[str], *, labelled: bool) -> None:
    _check_custom_id(text_input, path, seen)
    if text_input.get("style") not in (1, 2):
        raise _bad(f"{path}.style", "Value must be one of {1, 2}.")
    # Inside a Label component the label belongs to the Label (discord.py sends "label": null here).
    _length(text_input.get("label"), f"{path}.label", 45, minimum=0 if labelled else 1)
    if not labelled and not text_input.get("label"):
        raise invalid_form(f"{path}.label", "BASE_TYPE_REQUIRED", "This field is required")
    _length(text_input.get("placeholder"), f"{path}.placeholder", 100)
    _length(text_input.get("value"), f"{path}.value", 4000)
    min_length = text_input.get("min_length")
    max_length = text_input.get("max_length")
    if min_length is not None and not 0 <= int(min_length) <= 4000:
        raise _bad(f"{path}.min_length", "Must be between 0 and 4000.")
    if max_length is not None and not 1 <= int(max_length) <= 4000:
        raise _bad(f"{path}.max_length", "Must be between 1 and 4000.")


# autocomplete ----------------------------------------------------------------------------------------


def check_choices(data: Any) -> None:
    choices = (data or {}).get("choices")
    if not isinstance(choices, list):
        raise invalid_form("data.choices", "BASE_TYPE_REQUIRED", "This field is required")
    if len(choices) > 25:
        raise invalid_form("data.choices", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    for index, choice in enumerate(choices):
        _length(choice.get("name"), f"data.choices.{index}.name", 100, minimum=1)
        value = choice.get("value")
        if isinstance(value, str):
            _length(value, f"data.choices.{index}.value", 100)
        elif not isinstance(value, (int, float)) or isinstance(value, bool):
            raise _bad(f"data.choices.{index}.value", "Must be a string or a number.")


# application commands --------------------------------------------------------------------------------


def check_command(command: Any, path: str) -> None:
    if not isinstance(command, dict):
        raise _bad(path, "Must be an object.")
    kind = int(command.get("type", 1))
    name = command.get("name")
    prefix = f"{path}." if path else ""
    if not isinstance(name, str) or (not _COMMAND_NAME.match(name) and kind == 1):
        raise _bad(f"{prefix}name", "Command name is invalid", "APPLICATION_COMMAND_INVALID_NAME")
    if kind == 1:
        if name != name.lower():
            raise _bad(f"{prefix}name", "Command name is invalid", "APPLICATION_COMMAND_INVALID_NAME")
        _length(command.get("description"), f"{prefix}description", 100, minimum=1)
        if "description" not in command:
            raise invalid_form(f"{prefix}description", "BASE_TYPE_REQUIRED", "This field is required")
    else:
        _length(name, f"{prefix}name", 32, minimum=1)
        if command.get("description"):
            raise _bad(f"{prefix}description", "Context menu commands have no description.")
    _check_options(command.get("options") or [], f"{prefix}options", depth=0)


def _check_options(options: list[dict[str, Any]], path: str, *, depth: int) -> None:
    if len(options) > 25:
        raise invalid_form(path, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    names: set[str] = set()
    optional_seen = False
    kinds = {int(o.get("type", 0)) for o in options}
    if kinds & {1, 2} and kinds - {1, 2}:
        raise _bad(path, "Subcommands and subcommand groups cannot be mixed with other options.")
    for index, option in enumerate(options):
        where = f"{path}.{index}"
        kind = int(option.get("type", 0))
        if not 1 <= kind <= 11:
            raise _bad(f"{where}.type", "Value must be one of 1-11.")
        name = option.get("name")
        if not isinstance(name, str) or not _COMMAND_NAME.match(name) or name != name.lower():
            raise _bad(f"{where}.name", "Option name is invalid", "APPLICATION_COMMAND_INVALID_NAME")
        if name in names:
            raise _bad(
                f"{where}.name",
                "Option names must be unique",
                "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
            )
        names.add(name)
        _length(option.get("description"), f"{where}.description", 100, minimum=1)
        if "description" not in option:
            raise invalid_form(f"{where}.description", "BASE_TYPE_REQUIRED", "This field is required")
        if kind == 2:
            if depth > 0:
                raise _bad(f"{where}.type", "Subcommand groups cannot be nested.")
            sub = option.get("options") or []
            if any(int(o.get("type", 0)) != 1 for o in sub):
                raise _bad(f"{where}.options", "A subcommand group holds only subcommands.")
            _check_options(sub, f"{where}.options", depth=depth + 1)
        elif kind == 1:
            _check_options(option.get("options") or [], f"{where}.options", depth=2)
        else:
            if option.get("required"):
                if optional_seen:
                    raise _bad(
                        f"{where}.required",
                        "Required options must be placed before non-required options",
                        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    )
            else:
                optional_seen = True
            choices = option.get("choices") or []
            if choices and kind not in (3, 4, 10):
                raise _bad(f"{where}.choices", "Only string, integer and number options take choices.")
            if choices and option.get("autocomplete"):
                raise _bad(f"{where}.autocomplete", "Autocomplete and choices are mutually exclusive.")
            if len(choices) > 25:
                raise invalid_form(f"{where}.choices", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
            for cindex, choice in enumerate(choices):
                _length(choice.get("name"), f"{where}.choices.{cindex}.name", 100, minimum=1)
                if isinstance(choice.get("value"), str):
                    _length(choice["value"], f"{where}.choices.{cindex}.value", 100)
            for key, low, high in (("min_length", 0, 6000), ("max_length", 1, 6000)):
                value = option.get(key)
                if value is not None and not low <= int(value) <= high:
                    raise _bad(f"{where}.{key}", f"Must be between {low} and {high}.")
