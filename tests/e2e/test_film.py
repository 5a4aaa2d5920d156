"""/film cards and film-title autocomplete from the shipped catalog, through the real client."""

from __future__ import annotations

import argparse
import asyncio
import io
from dataclasses import replace

import pytest

from bot import cli
from tests.e2e.conftest import BotFactory

from .fake_discord import FakeDiscord

pytestmark = pytest.mark.asyncio


async def test_film_card_shows_catalog_facts(make_bot: BotFactory, fake: FakeDiscord) -> None:
    await make_bot(model="fake")
    handle = await fake.send_slash("film", {"title": "alien 1979"}, user=fake.member)
    await handle.responded()
    message = handle.original_message
    assert message is not None and not handle.ephemeral
    embed = message.embeds[0]
    assert embed["title"] == "Alien (1979)"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Directed by"] == "Ridley Scott"


@pytest.mark.parametrize(("command", "option"), [("film", "title"), ("recommend", "like")])
async def test_ambiguous_title_asks_which_film(make_bot: BotFactory, fake: FakeDiscord, command: str,
                                               option: str) -> None:
    await make_bot(model="fake")
    handle = await fake.send_slash(command, {option: "Crash"}, user=fake.member)
    await handle.responded()
    assert handle.ephemeral
    text = handle.original_message.content if handle.original_message else ""
    assert "Which film do you mean?" in text and text.count("Crash (") >= 2


@pytest.mark.parametrize(("command", "option"), [("film", "title"), ("recommend", "like")])
async def test_unknown_title_is_explained(make_bot: BotFactory, fake: FakeDiscord, command: str, option: str) -> None:
    await make_bot(model="fake")
    for title in ("Zzyzx Qwertyuiop Blorf", "Zorblax Returns to Quuxville 2099"):
        handle = await fake.send_slash(command, {option: title}, user=fake.member)
        await handle.responded()
        text = handle.original_message.content if handle.original_message else ""
        assert handle.ephemeral and "isn't in my film catalog" in text and "cinebot catalog add" in text, text
        assert "Which film" not in text


async def test_review_film_autocomplete_offers_title_year_director(make_bot: BotFactory, fake: FakeDiscord) -> None:
    await make_bot(model="fake")
    choices = await fake.send_autocomplete("review", {"film": "the godfather", "notes": "x"}, focused="film",
                                           user=fake.member)
    names = [c["name"] for c in choices]
    assert "The Godfather (1972), Francis Ford Coppola" in names
    assert all(len(n) <= 100 for n in names) and len(names) <= 25
    picked = next(c for c in choices if c["name"].startswith("The Godfather (1972)"))
    assert picked["value"] == "The Godfather (1972)"


async def test_review_with_a_picked_suggestion_keeps_title_and_year_apart(make_bot: BotFactory,
                                                                         fake: FakeDiscord) -> None:
    bot = await make_bot(model="fake", fake_reply="I loved the ship.|stop")
    handle = await fake.send_slash("review", {"film": "Alien (1979)", "notes": "grimy ship, great tension"},
                                   user=fake.member)
    await handle.deferred()
    original = await handle.original(timeout=10)
    await fake.wait_for(lambda: original.embeds and original.reaction_users("👎"), timeout=10, what="the final review")
    job = await bot.store.job_for_message(original.id)
    assert job is not None and job.inputs["film"] == "Alien" and job.inputs["year"] == 1979
    assert original.embeds[0]["title"].startswith("Alien (1979)")


async def test_grounded_review_shows_the_catalog_line_and_drops_a_wrong_director(make_bot: BotFactory,
                                                                                 fake: FakeDiscord) -> None:
    reply = "I loved the grimy ship. Steven Spielberg directs every corridor with dread. The tension never lets go."
    bot = await make_bot(model="fake", fake_reply=reply + "|stop")
    handle = await fake.send_slash("review", {"film": "alien", "year": 1979, "notes": "grimy ship, great tension"},
                                   user=fake.member)
    await handle.deferred()
    original = await handle.original(timeout=10)
    await fake.wait_for(lambda: original.embeds and original.reaction_users("👎"), timeout=10, what="the review")
    embed = original.embeds[0]
    assert "Spielberg" not in embed["description"] and "The tension never lets go." in embed["description"]
    assert embed["footer"]["text"].startswith("Catalog: Alien (1979) · dir. Ridley Scott")
    job = await bot.store.job_for_message(original.id)
    assert job is not None and "Directed by: Ridley Scott." in job.prompt[-1]["content"]


KEPT = ("The grimy ship feels lived in, and the tension is great from the first minute to the last. I held my "
        "breath more than once, and I would watch it again tonight. Few films make a ship this grimy feel this real, "
        "or keep the tension this great for so long.")


async def test_the_command_line_writes_the_same_checked_review_as_discord(make_bot: BotFactory,
                                                                         fake: FakeDiscord) -> None:
    """`cinebot ask review` goes through the same desk as /review: the same facts in the prompt, the same checks on
    the reply (a planted wrong role, bit player, invented name and broken decimal are gone from both)."""
    planted = (" loved the grimy ship. The villain, played by Sigourney Weaver, is terrifying. Bolaji Badejo steals "
               "every scene. A stowaway named Jack Dawson appears. I'd rate it 4. 5/5. The tension never lets go. "
               + KEPT)
    bot = await make_bot(model="fake", fake_reply=planted + "|stop")
    options = {"film": "alien", "year": 1979, "notes": "grimy ship, great tension", "rating": 4.5}
    handle = await fake.send_slash("review", options, user=fake.member)
    original = await handle.original(timeout=10)
    await fake.wait_for(lambda: original.embeds and original.reaction_users("👎"), timeout=10, what="the review")
    in_discord = original.embeds[0]["description"]
    # the planted errors are gone (the fake model writes the same text again when told of them, after the retry's
    # start, "I loved Alien")
    assert in_discord.endswith(" loved the grimy ship. I'd rate it 4.5/5. The tension never lets go. " + KEPT)
    assert not any(bad in in_discord for bad in ("Weaver", "Badejo", "Jack Dawson", "4. 5"))

    settings = replace(bot.settings, films_path=bot.settings.db_path.parent / "films.sqlite3")
    services = await asyncio.to_thread(cli.open_services, settings, "review")
    args = argparse.Namespace(scale=None, tone=None, spoilers=False, **options)
    out = io.StringIO()
    reply = await cli.stream_reply(bot.desk, cli.task_job("review", args, services), out)
    assert reply.text == in_discord and out.getvalue().strip() == in_discord
    job = await bot.store.job_for_message(original.id)
    # the notes speak of no actor: the prompt names none ("Sigourney Weaver" only when they do)
    assert job is not None and "Starring:" not in job.prompt[-1]["content"]
    assert "Plot: Based on a story by O'Bannon" in job.prompt[-1]["content"]


async def test_review_of_an_ambiguous_title_asks_which_film(make_bot: BotFactory, fake: FakeDiscord) -> None:
    bot = await make_bot(model="fake")
    handle = await fake.send_slash("review", {"film": "Crash", "notes": "tense"}, user=fake.member)
    await handle.responded()
    assert handle.ephemeral and "Which film do you mean?" in (handle.original_message.content or "")
    assert await bot.store.get_job(1) is None


async def test_moderators_can_switch_off_film_cards(make_bot: BotFactory, fake: FakeDiscord) -> None:
    bot = await make_bot(model="fake")
    await bot.store.set_command_scope(fake.guild.id, "film", scope="channel", scope_id=fake.general.id,
                                      enabled=False)
    handle = await fake.send_slash("film", {"title": "alien 1979"}, user=fake.member)
    await handle.responded()
    assert handle.ephemeral and "switched /film off here" in (handle.original_message.content or "")


async def test_a_rating_out_of_ten_keeps_its_scale_and_its_verdict(make_bot: BotFactory, fake: FakeDiscord) -> None:
    """3 with "out of 10" is a poor rating (not 3/5, a mixed one): the title says 3/10, the prompt asks for a
    negative review."""
    bot = await make_bot(model="fake", fake_reply=" did not enjoy the grimy ship. " + KEPT + "|stop")
    handle = await fake.send_slash("review", {"film": "Alien (1979)", "notes": "dull, slow", "rating": 3,
                                              "scale": 10}, user=fake.member)
    original = await handle.original(timeout=10)
    await fake.wait_for(lambda: original.embeds and original.reaction_users("👎"), timeout=10, what="the review")
    assert original.embeds[0]["title"] == "Alien (1979) · 3/10"
    job = await bot.store.job_for_message(original.id)
    assert job is not None and job.inputs["scale"] == 10
    assert "3/10, I did not like it" in job.prompt[-1]["content"]


@pytest.mark.parametrize(("command", "options"), [("film", {"title": "alien 1979"}),
                                                  ("recommend", {"like": "Alien (1979)"})])
async def test_a_cooldown_holds_for_film_cards_and_recommendations(make_bot: BotFactory, fake: FakeDiscord,
                                                                   command: str, options: dict[str, object]) -> None:
    bot = await make_bot(model="fake")
    await bot.store.set_cooldown(fake.guild.id, command, 120)
    first = await fake.send_slash(command, options, user=fake.member)
    await first.responded()
    assert not first.ephemeral
    second = await fake.send_slash(command, options, user=fake.member)
    await second.responded()
    text = second.original_message.content if second.original_message else ""
    assert second.ephemeral and f"You can use /{command} again in" in text


@pytest.mark.parametrize(("command", "options"), [("film", {"title": "alien 1979"}),
                                                  ("recommend", {"like": "alien 1979"})])
async def test_film_cards_and_recommendations_can_be_rated(make_bot: BotFactory, fake: FakeDiscord, command: str,
                                                           options: dict[str, str]) -> None:
    bot = await make_bot(model="fake")
    handle = await fake.send_slash(command, options, user=fake.member)
    await handle.responded()
    message = await fake.wait_for(
        lambda: handle.original_message if handle.original_message and handle.original_message.reaction_users("👎")
        else None, timeout=10, what="👍/👎 on the card")
    assert message.reaction_users("👍") and not handle.ephemeral
    job = await bot.store.job_for_message(message.id)
    assert job is not None and job.command == command and job.status == "done" and job.output
    await fake.add_reaction(message, fake.member, "👍")
    for _ in range(100):  # over the gateway to the bot, then into SQLite
        if await bot.store.job_score(job.id) == 1:
            break
        await asyncio.sleep(0.05)
    assert await bot.store.job_score(job.id) == 1
