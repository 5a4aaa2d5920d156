"""Where a moderated command works, in words (the moderators' answers and the refusal a member gets)."""

from __future__ import annotations

import pytest

from bot.rules import MAX_PLACES, place_name, where_it_works
from bot.store import CommandRule

GUILD = 1


def rule(scope: str, scope_id: int, enabled: bool, command: str = "review") -> CommandRule:
    return CommandRule(command, scope, scope_id, enabled)


def test_place_names() -> None:
    assert place_name("guild", GUILD) == "the whole server"
    assert place_name("category", 5) == "the channels in <#5>"
    assert place_name("channel", 7) == "<#7>"


@pytest.mark.parametrize(
    ("rules", "says"),
    [
        ([], "/review works everywhere in this server."),
        ([rule("guild", GUILD, True)], "/review works everywhere in this server."),
        ([rule("guild", GUILD, False)], "/review is switched off everywhere in this server."),
        ([rule("channel", 7, False)], "/review works everywhere in this server except in <#7>."),
        (
            [rule("channel", 7, False), rule("channel", 8, False), rule("channel", 9, True)],
            "/review works everywhere in this server except in <#7> and <#8>.",
        ),
        (
            [rule("category", 5, False), rule("channel", 7, True)],
            "/review works everywhere in this server except in the channels in <#5> (it stays on in <#7>).",
        ),
        ([rule("guild", GUILD, False), rule("channel", 7, True)], "/review works only in <#7>."),
        (
            [rule("guild", GUILD, False), rule("category", 5, True), rule("channel", 7, False)],
            "/review works only in the channels in <#5> (but not in <#7>).",
        ),
        (
            [rule("guild", GUILD, False), rule("channel", 7, False)],
            "/review is switched off everywhere in this server.",
        ),
        ([rule("channel", 7, False, command="mood")], "/review works everywhere in this server."),  # another command
    ],
)
def test_where_it_works(rules: list[CommandRule], says: str) -> None:
    assert where_it_works("review", rules) == says


def test_a_long_list_of_places_is_cut_short() -> None:
    rules = [rule("channel", 100 + i, False) for i in range(MAX_PLACES + 3)]
    assert where_it_works("review", rules).endswith("<#114> and 3 more.")
