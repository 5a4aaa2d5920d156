"""The bot adapts to each server: reactions teach it which way of writing (variant) a server's members like, for
the next replies of that server only; what it learned survives a restart, shows in /cinebot show and can be
forgotten; 🔁 writes another take, and a reaction on one of the two stores the members' preference."""

from __future__ import annotations

import asyncio
import random
from contextlib import AsyncExitStack
from typing import Any

import discord
import pytest

from bot import feedback
from bot.core import CineBot
from bot.llm import Engine, worker_config
from models.llm.jobs import JobQueue
from models.llm.worker import BatchingWorker
from tests.e2e.conftest import BotFactory
from tests.fakes import FakeModel
from tests.store_probe import ProbeStore

from .fake_discord import FakeChannel, FakeDiscord, FakeMember, FakeMessage, running_bot

pytestmark = pytest.mark.asyncio

REPLY = "**Title:** Old Light\n**Logline:** A keeper keeps watch over the sea.\n**Synopsis:** Mara tends the beam.|stop"


async def _pitch(fake: FakeDiscord, user: FakeMember, channel: FakeChannel | None = None) -> FakeMessage:
    handle = await fake.send_slash("pitch", {"premise": "a lighthouse keeper guards a sleeping thing"}, user=user,
                                   channel=channel)
    original = await handle.original(timeout=20)
    await fake.wait_for(lambda: original.embeds and original.reaction_users("👎"), timeout=20,
                        what="the final reply with its feedback reactions")
    return original


async def _rate(bot: CineBot, fake: FakeDiscord, message: FakeMessage, user: FakeMember, emoji: str) -> None:
    job = await bot.store.job_for_message(message.id)
    assert job is not None
    await fake.add_reaction(message, user, emoji)
    store: ProbeStore = bot.store  # type: ignore[assignment]
    for _ in range(100):  # over the gateway to the bot, then into SQLite
        if await store.job_score(job.id) != 0:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{emoji} on job {job.id} was not recorded")


async def _variant(bot: CineBot, message: FakeMessage) -> str:
    job = await bot.store.job_for_message(message.id)
    assert job is not None and job.variant is not None
    return job.variant


async def _sync(bot: CineBot, guild_id: int) -> None:
    guild = discord.Object(id=guild_id)
    bot.tree.copy_global_to(guild=guild)
    await bot.tree.sync(guild=guild)


async def test_reactions_teach_one_server_its_variant_and_not_another_and_a_restart_keeps_it(
        make_bot: BotFactory, fake: FakeDiscord) -> None:
    bot = await make_bot(model="fake", fake_reply=REPLY, adapt="on")
    bot.flow.desk.learner.rng = random.Random(7)
    other = fake.add_guild("Other film club")
    other_channel = fake.add_channel("films", guild=other)
    other_member = fake.add_member("viewer", guild=other)
    await _sync(bot, other.id)

    for _ in range(18):  # this server's members like the lively pitches and nothing else
        message = await _pitch(fake, fake.member)
        await _rate(bot, fake, message, fake.moderator, "👍" if await _variant(bot, message) == "lively" else "👎")
    record = await bot.store.variant_record(fake.guild.id, "pitch")
    assert record.get("lively", (0, 0))[0] >= 2, record

    after = [await _variant(bot, await _pitch(fake, fake.member)) for _ in range(8)]
    assert after.count("lively") >= 7, after
    elsewhere = [await _variant(bot, await _pitch(fake, other_member, other_channel)) for _ in range(8)]
    assert set(elsewhere) != {"lively"}, elsewhere  # the other server learned nothing from this one
    assert await bot.store.variant_record(other.id, "pitch") == {}

    # a restart: a new bot on the same database file chooses as the first one learned
    settings = bot.settings
    await bot.close()
    async with AsyncExitStack() as stack:
        store = await stack.enter_async_context(await ProbeStore.open(settings.db_path))
        lm = FakeModel(default=REPLY)
        queue = JobQueue(settings.max_queue)
        worker = BatchingWorker(lm, queue, worker_config(settings))
        await stack.enter_async_context(worker)
        second = CineBot(settings, Engine(queue, worker, lm.name), store, guild_ready_timeout=0.05)
        second.flow.desk.learner.rng = random.Random(11)
        await stack.enter_async_context(running_bot(second, fake))
        again = [await _variant(second, await _pitch(fake, fake.member)) for _ in range(4)]
        assert again.count("lively") >= 3, again


async def test_show_says_what_each_command_learned_and_reset_forgets_it(make_bot: BotFactory,
                                                                         fake: FakeDiscord) -> None:
    bot = await make_bot(model="fake", fake_reply=REPLY, adapt="on")
    for emoji in ("👍", "👎", "👍"):
        await _rate(bot, fake, await _pitch(fake, fake.member), fake.moderator, emoji)
    handle = await fake.send_slash("cinebot show", {}, user=fake.moderator)
    await handle.responded()
    message = handle.original_message
    assert message is not None
    fields = {f["name"]: f["value"] for f in message.embeds[0]["fields"]}
    learned = fields["/pitch"]
    assert "**Learned** (3 rated replies; best first):" in learned, learned
    assert all(name in learned for name in ("standard", "brief", "lively")), learned
    assert "**Learned:** nothing yet" in fields["/review"]
    assert "Learned" not in fields["/film"]  # one way of writing: nothing to learn

    reset = await fake.send_slash("cinebot reset", {"command": "pitch", "learned": True}, user=fake.moderator)
    await reset.responded()
    assert reset.ephemeral and "has forgotten what it learned" in reset.callbacks[0].data["content"]
    assert await bot.store.variant_record(fake.guild.id, "pitch") == {}


async def test_another_take_writes_a_second_reply_and_a_reaction_stores_the_pair(make_bot: BotFactory,
                                                                                fake: FakeDiscord) -> None:
    bot = await make_bot(model="fake", fake_reply=REPLY, adapt="on")
    first = await _pitch(fake, fake.member)
    await fake.wait_for(lambda: first.reaction_users("🔁"), timeout=10, what="🔁: the bot offers another take")
    assert "🔁 for another take" in first.embeds[0]["footer"]["text"]
    first_job = await bot.store.job_for_message(first.id)
    assert first_job is not None

    await fake.add_reaction(first, fake.moderator, "🔁")  # only the member who asked can ask for another take
    await asyncio.sleep(0.5)
    assert not await bot.store.has_take(first_job.id)

    await fake.add_reaction(first, fake.member, "🔁")

    def second_take() -> FakeMessage | None:
        for m in fake.channel_messages(fake.general):
            if m.id != first.id and m.embeds and m.reaction_users("👎") and m.message_reference:
                return m
        return None

    second = await fake.wait_for(second_take, timeout=20, what="the second take below the first")
    assert second.message_reference and int(second.message_reference["message_id"]) == first.id
    second_job = await bot.store.job_for_message(second.id)
    assert second_job is not None and second_job.parent_job == first_job.id
    assert second_job.variant != first_job.variant and not second.reaction_users("🔁")
    await fake.add_reaction(first, fake.member, "🔁")  # once per reply
    await asyncio.sleep(0.3)
    assert sum(1 for m in fake.channel_messages(fake.general) if m.message_reference) == 1

    await _rate(bot, fake, second, fake.member, "👍")
    rows: list[dict[str, Any]] = [row async for row in feedback.rows(bot.store, "dpo")]
    for _ in range(50):
        if rows:
            break
        await asyncio.sleep(0.05)
        rows = [row async for row in feedback.rows(bot.store, "dpo")]
    assert len(rows) == 1
    row = rows[0]
    assert row["chosen_job"] == second_job.id and row["rejected_job"] == first_job.id
    assert row["chosen"][0]["content"] == second_job.output and row["rejected"][0]["content"] == first_job.output
    assert row["prompt"][-1]["content"].endswith("Write the pitch.")  # the first take's prompt, without its note
