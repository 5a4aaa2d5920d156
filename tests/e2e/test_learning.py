"""The bot learns from its community: a reply members liked guides the style of the next one."""

from __future__ import annotations

import asyncio

import pytest

from tests.e2e.conftest import BotFactory

from .fake_discord import FakeDiscord

pytestmark = pytest.mark.asyncio


async def _pitch(fake: FakeDiscord, user: object, premise: str):  # type: ignore[no-untyped-def]
    handle = await fake.send_slash("pitch", {"premise": premise}, user=user)
    original = await handle.original(timeout=20, edits=1)
    await fake.wait_for(lambda: original.embeds and original.reaction_users("👎"), timeout=20,
                        what="the final reply with its feedback reactions")
    return original


async def test_a_liked_reply_guides_the_next_prompt_in_that_server(make_bot: BotFactory, fake: FakeDiscord) -> None:
    bot = await make_bot(model="fake", fake_reply="**Title:** Old Light\n**Logline:** A keeper keeps watch.|stop")
    first = await _pitch(fake, fake.member, "a lighthouse keeper guards a sleeping thing")
    job = await bot.store.job_for_message(first.id)
    assert job is not None and "Members liked" not in job.prompt[-1]["content"]

    await fake.add_reaction(first, fake.moderator, "🔥")
    for _ in range(100):  # the reaction travels over the gateway to the bot, then into SQLite
        if await bot.store.job_score(job.id) > 0:
            break
        await asyncio.sleep(0.05)
    assert await bot.store.job_score(job.id) == 1

    second = await _pitch(fake, fake.owner, "a ferry pilot carries the dead across a fjord")
    next_job = await bot.store.job_for_message(second.id)
    assert next_job is not None
    assert "Members liked this earlier reply" in next_job.prompt[-1]["content"]
    assert job.output is not None and job.output.splitlines()[0] in next_job.prompt[-1]["content"]
