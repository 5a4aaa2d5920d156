"""/recommend end to end: the real client, the fake Discord, the shipped catalog and the store's feedback."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from bot.core import CineBot
from models.film.catalog import Catalog
from models.film.recommend import SERVER_REASON
from tests.e2e.conftest import BotFactory

from .fake_discord import FakeDiscord, FakeMessage

pytestmark = pytest.mark.asyncio

LINE = re.compile(r"^\*\*(?P<title>.+) \((?P<year>\d{4})\)\*\* — (?P<reason>\S.*)$")


def picks_of(message: FakeMessage | None) -> tuple[dict[str, str], list[tuple[str, int, str]]]:
    """The embed and its "(title, year, reason)" lines; every line must have the expected shape."""
    assert message is not None and len(message.embeds) == 1
    embed = message.embeds[0]
    picks = []
    for line in embed["description"].splitlines():
        m = LINE.match(line.replace("\\", ""))  # titles and reasons are markdown-escaped
        assert m, line
        picks.append((m.group("title"), int(m.group("year")), m.group("reason")))
    return embed, picks


def assert_in_catalog(catalog: Catalog, picks: list[tuple[str, int, str]]) -> None:
    for title, year, _ in picks:
        found = catalog.resolve(f"{title} ({year})").candidates
        assert any(m.film.title == title and m.film.year == year for m in found), (title, year)


async def test_recommend_like_a_film_answers_with_catalog_films_but_not_that_one(make_bot: BotFactory,
                                                                                 fake: FakeDiscord) -> None:
    bot = await make_bot(model="fake")
    handle = await fake.send_slash("recommend", {"like": "Alien (1979)"}, user=fake.member)
    await handle.responded(timeout=10)
    assert not handle.ephemeral
    embed, picks = picks_of(handle.original_message)
    assert embed["title"] == "Because you liked Alien (1979)"
    assert len(picks) >= 5
    assert ("Alien", 1979) not in [(t, y) for t, y, _ in picks]
    assert bot.services.catalog is not None
    assert_in_catalog(bot.services.catalog, picks)
    assert any(reason.startswith("Also directed by Ridley Scott") for _, _, reason in picks)
    assert handle.original_message is not None and handle.original_message.allowed_mentions == {"parse": []}
    fake.assert_no_unknown_calls()


async def test_a_mood_alone_works(make_bot: BotFactory, fake: FakeDiscord) -> None:
    bot = await make_bot(model="fake")
    handle = await fake.send_slash("recommend", {"mood": "cozy"}, user=fake.member)
    await handle.responded(timeout=10)
    assert not handle.ephemeral
    embed, picks = picks_of(handle.original_message)
    assert embed["title"] == "Films for a cozy mood"
    assert len(picks) >= 5 and all("cozy mood" in reason for _, _, reason in picks)
    assert bot.services.catalog is not None
    assert_in_catalog(bot.services.catalog, picks)
    for title, year, _ in picks:
        candidates = bot.services.catalog.resolve(f"{title} ({year})").candidates
        film = next(m.film for m in candidates if m.film.title == title)
        assert "Horror" not in film.genres


async def test_unknown_mood_words_are_named(make_bot: BotFactory, fake: FakeDiscord) -> None:
    await make_bot(model="fake")
    alone = await fake.send_slash("recommend", {"mood": "blorfy zxq"}, user=fake.member)
    await alone.responded()
    assert alone.ephemeral and "I don't know the mood" in (alone.original_message.content or "")
    handle = await fake.send_slash("recommend", {"like": "Alien (1979)", "mood": "funny blorfy"}, user=fake.member)
    await handle.responded(timeout=10)
    embed, picks = picks_of(handle.original_message)
    assert embed["title"] == "Because you liked Alien (1979), for a funny mood"
    assert "blorfy" in embed["footer"]["text"] and len(picks) >= 5


async def test_mood_autocomplete_offers_mood_words(make_bot: BotFactory, fake: FakeDiscord) -> None:
    await make_bot(model="fake")
    choices = await fake.send_autocomplete("recommend", {"mood": "co"}, focused="mood", user=fake.member)
    assert "cozy" in [c["value"] for c in choices]
    films = await fake.send_autocomplete("recommend", {"like": "the godfather"}, focused="like", user=fake.member)
    assert "The Godfather (1972), Francis Ford Coppola" in [c["name"] for c in films]


async def liked_review(bot: CineBot, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch, film: str) -> None:
    """Run /review of `film` as the member and 👍 the reply; returns once the store has recorded the 👍."""
    handle = await fake.send_slash("review", {"film": film, "notes": "the shark, the boat, the score"},
                                   user=fake.member)
    await handle.deferred()
    original = await handle.original(timeout=10)
    await fake.wait_for(lambda: original.embeds and original.reaction_users("👎"), timeout=10, what="the review")
    recorded = asyncio.Event()
    record_reaction = bot.store.record_reaction

    async def recording(**kwargs: Any) -> bool:
        try:
            return await record_reaction(**kwargs)
        finally:
            if kwargs.get("user_id") == fake.member.id:
                recorded.set()

    monkeypatch.setattr(bot.store, "record_reaction", recording)
    await fake.add_reaction(original, fake.member, "👍")
    async with asyncio.timeout(5):
        await recorded.wait()
    assert await bot.store.liked_examples(fake.guild.id, "review")


async def test_films_this_server_liked_are_boosted_and_say_so(make_bot: BotFactory, fake: FakeDiscord,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    bot = await make_bot(model="fake", fake_reply="Still terrifying.|stop")
    before = await fake.send_slash("recommend", {"mood": "scary"}, user=fake.member)
    await before.responded(timeout=10)
    _, plain = picks_of(before.original_message)
    assert ("Jaws", 1975) not in [(t, y) for t, y, _ in plain]
    await liked_review(bot, fake, monkeypatch, "Jaws (1975)")
    after = await fake.send_slash("recommend", {"mood": "scary"}, user=fake.member)
    await after.responded(timeout=10)
    _, boosted = picks_of(after.original_message)
    jaws = [reason for title, year, reason in boosted if (title, year) == ("Jaws", 1975)]
    assert jaws and SERVER_REASON in jaws[0]
