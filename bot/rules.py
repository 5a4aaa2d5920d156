"""Where a moderated command works, in words: for the moderators' `/cinebot` answers and for the private refusal a
member gets where a command is switched off."""

from __future__ import annotations

from bot.store import CommandRule

MAX_PLACES = 15  # places named in one sentence before "and N more"


def _join(places: list[str]) -> str:
    if len(places) > MAX_PLACES:
        places = [*places[:MAX_PLACES], f"{len(places) - MAX_PLACES} more"]
    if len(places) <= 1:
        return "".join(places)
    return ", ".join(places[:-1]) + " and " + places[-1]


def place_name(scope: str, scope_id: int) -> str:
    if scope == "guild":
        return "the whole server"
    if scope == "category":
        return f"the channels in <#{scope_id}>"
    return f"<#{scope_id}>"


def where_it_works(command: str, rules: list[CommandRule]) -> str:
    """One sentence saying where `command` runs under `rules` (that command's rules in one guild)."""
    mine = [r for r in rules if r.command == command]
    guild_on = next((r.enabled for r in mine if r.scope == "guild"), True)
    on = [place_name(r.scope, r.scope_id) for r in mine if r.scope != "guild" and r.enabled]
    off = [place_name(r.scope, r.scope_id) for r in mine if r.scope != "guild" and not r.enabled]
    on_channels = [place_name(r.scope, r.scope_id) for r in mine if r.scope == "channel" and r.enabled]
    off_channels = [place_name(r.scope, r.scope_id) for r in mine if r.scope == "channel" and not r.enabled]
    category_off = any(r.scope == "category" and not r.enabled for r in mine)
    category_on = any(r.scope == "category" and r.enabled for r in mine)
    if guild_on:
        if not off:
            return f"/{command} works everywhere in this server."
        text = f"/{command} works everywhere in this server except in {_join(off)}"
        if category_off and on_channels:
            text += f" (it stays on in {_join(on_channels)})"
        return text + "."
    if not on:
        return f"/{command} is switched off everywhere in this server."
    text = f"/{command} works only in {_join(on)}"
    if category_on and off_channels:
        text += f" (but not in {_join(off_channels)})"
    return text + "."
