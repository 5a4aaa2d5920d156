"""Where a moderated command works, in words: for the moderators' `/cinebot` answers and for the private refusal a
member gets where a command is switched off."""

from __future__ import annotations

from bot.store import CommandRule

MAX_PLACES = 15  # places named in one sentence before "and N more"
# the words for a command that is on (True) or off (False) server-wide: with no other rule; before the places that
# differ; before the channels that keep the server-wide state inside a category that differs
_WORDS = {
    True: ("works everywhere in this server", "works everywhere in this server except in", "it stays on in"),
    False: ("is switched off everywhere in this server", "works only in", "but not in"),
}


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
    mine = [r for r in rules if r.command == command and r.scope != "guild"]
    guild_on = next((r.enabled for r in rules if r.command == command and r.scope == "guild"), True)
    everywhere, except_in, keeps = _WORDS[guild_on]
    differ = [place_name(r.scope, r.scope_id) for r in mine if r.enabled != guild_on]
    if not differ:
        return f"/{command} {everywhere}."
    text = f"/{command} {except_in} {_join(differ)}"
    # a channel rule that agrees with the server-wide one only matters inside a category that differs
    agree = [place_name(r.scope, r.scope_id) for r in mine if r.scope == "channel" and r.enabled == guild_on]
    if agree and any(r.scope == "category" and r.enabled != guild_on for r in mine):
        text += f" ({keeps} {_join(agree)})"
    return text + "."
