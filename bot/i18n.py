"""The languages cinebot speaks to members: gettext catalogs (`bot/locales/<locale>/LC_MESSAGES/cinebot.po`, read
with Babel at first use; no compile step), their msgids the English texts. No Discord in here: `locale_for` takes
Discord's locale names as plain strings, and `bot.translator` serves the command names and descriptions from the
same catalogs.

Contexts keep a word apart from the same word in another role: `NAME` (a command's, group's or option's name),
`MENU` (a context menu's name), `CHOICE` (an option's choice), `LABEL` (a bold label a task's reply is written
with, "**Title:**"); descriptions and messages have none.
"""

from __future__ import annotations

import functools
import logging
import string
from pathlib import Path
from typing import TYPE_CHECKING

from babel.lists import format_list
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

if TYPE_CHECKING:
    from models.text import InputError

log = logging.getLogger(__name__)

DOMAIN = "cinebot"
LOCALE_DIR = Path(__file__).resolve().parent / "locales"
ENGLISH = "en"
NAME, MENU, CHOICE, LABEL = "name", "menu", "choice", "label"
# Discord's locale names -> the catalog that serves them (Latin American Spanish reads the Spanish one)
DISCORD_LOCALES = {
    "zh-CN": "zh_CN", "zh-TW": "zh_TW", "ja": "ja", "ko": "ko", "es-ES": "es_ES", "es-419": "es_ES", "fr": "fr",
    "de": "de", "pt-BR": "pt_BR",
}
SHIPPED = tuple(sorted(set(DISCORD_LOCALES.values())))


def catalog_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def catalog(locale: str) -> Catalog:
    """The shipped catalog of one locale (`SHIPPED`), read once."""
    with catalog_path(locale).open("rb") as f:
        return read_po(f, locale=locale, domain=DOMAIN)


def locale_for(*discord_locales: str | None) -> str:
    """The catalog for the first of `discord_locales` that is given (the member's, then the server's): one of
    `SHIPPED`, or `ENGLISH` for English and for every language without a catalog."""
    for name in discord_locales:
        if name:
            return DISCORD_LOCALES.get(name, ENGLISH)
    return ENGLISH


def translated(message: str, locale: str, context: str | None = None) -> str | None:
    """`message` in `locale`'s catalog (None: English, or no translation of it there)."""
    if locale == ENGLISH:
        return None
    entry = catalog(locale).get(message, context=context)
    if entry is None or entry.fuzzy or not isinstance(entry.string, str) or not entry.string:
        return None
    return entry.string


def command_name(command: str, locale: str) -> str:
    """A command's name as the member's client shows it (the English one where no catalog names it)."""
    return translated(command, locale, NAME) or command


def labels_in(labels: tuple[str, ...], locale: str) -> dict[str, str]:
    """A task's bold labels ("Title") as the model writes them ("**Title:**") -> as a reply in `locale` shows them
    ("**片名：**"); only those the catalog translates."""
    english = {f"**{label}:**" for label in labels}
    return {label: shown for label in sorted(english) if (shown := translated(label, locale, LABEL))}


def listed(items: list[str], locale: str) -> str:
    """`items` as a list in a sentence of `locale` ("a, b and c", "a、b和c"), by Babel's CLDR list patterns."""
    return format_list(items, locale="en_GB" if locale == ENGLISH else locale)  # en_GB: no serial comma


def fields(text: str) -> set[str]:
    """The `{fields}` a `str.format` text names."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def t(message: str, locale: str, **values: object) -> str:
    """`message` (English, with `{fields}`) in `locale`, its fields filled with `values`; English where the
    catalog lacks it."""
    return (translated(message, locale) or message).format(**values)


def t_error(error: InputError, locale: str) -> str:
    """A member's input error (its English message is the msgid) in `locale`, its fields filled; a `command` or
    `option` field (an English name) as the member's client names it. English where the catalog lacks it."""
    names = {key: command_name(str(error.fields[key]), locale) for key in ("command", "option") if key in error.fields}
    return error.sentence(translated(error.message, locale) or error.message, **names)
