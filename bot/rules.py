"""Where a moderated command works, in words: for the moderators' `/cinebot` answers and for the private refusal a
member gets where a command is switched off (in the member's language, `bot.i18n`)."""

from __future__ import annotations

from bot.i18n import ENGLISH, command_name, listed, t
from bot.store import CommandRule

MAX_PLACES = 15  # places named in one sentence before "and N more"


def _join(places: list[str], locale: str) -> str:
    if len(places) > MAX_PLACES:
        places = [*places[:MAX_PLACES], t("{count} more", locale, count=len(places) - MAX_PLACES)]
    return listed(places, locale)


def place_name(scope: str, scope_id: int, locale: str = ENGLISH) -> str:
    if scope == "guild":
        return t("the whole server", locale)
    if scope == "category":
        return t("the channels in {category}", locale, category=f"<#{scope_id}>")
    return f"<#{scope_id}>"


def where_it_works(command: str, rules: list[CommandRule], locale: str = ENGLISH) -> str:
    """One sentence saying where `command` runs under `rules` (that command's rules in one guild), in `locale`."""
    mine = [r for r in rules if r.command == command and r.scope != "guild"]
    guild_on = next((r.enabled for r in rules if r.command == command and r.scope == "guild"), True)
    name = command_name(command, locale)
    differ = [place_name(r.scope, r.scope_id, locale) for r in mine if r.enabled != guild_on]
    if not differ:
        if guild_on:
            return t("/{command} works everywhere in this server.", locale, command=name)
        return t("/{command} is switched off everywhere in this server.", locale, command=name)
    places = _join(differ, locale)
    # a channel rule that agrees with the server-wide one only matters inside a category that differs
    agree = [place_name(r.scope, r.scope_id, locale) for r in mine if r.scope == "channel" and r.enabled == guild_on]
    if agree and any(r.scope == "category" and r.enabled != guild_on for r in mine):
        kept = _join(agree, locale)
        if guild_on:
            return t("/{command} works everywhere in this server except in {places} (it stays on in {kept}).", locale,
                     command=name, places=places, kept=kept)
        return t("/{command} works only in {places} (but not in {kept}).", locale, command=name, places=places,
                 kept=kept)
    if guild_on:
        return t("/{command} works everywhere in this server except in {places}.", locale, command=name,
                 places=places)
    return t("/{command} works only in {places}.", locale, command=name, places=places)
