"""The bot learns from its community: a reply members liked guides the style of the next one."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from bot.core import CineBot
from tests.e2e.conftest import BotFactory

from .fake_discord import FakeDiscord

pytestmark = pytest.mark.asyncio


async def _pitch(fake: FakeDiscord, user: object, premise: str):  # type: ignore[no-untyped-def]
    handle = await fake.send_slash("pitch", {"premise": premise}, user=user)
    # generous: on the test model a 96-token pitch takes seconds alone, much longer on a busy 2-core machine
    original = await handle.original(timeout=90, edits=1)
    await fake.wait_for(lambda: original.embeds and original.reaction_users("👎"), timeout=90,
                        what="the final reply with its feedback reactions")
    return original


def _runs(text: str, n: int) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9']+", text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


async def _liked(bot: CineBot, fake: FakeDiscord, message: Any) -> int:
    job = await bot.store.job_for_message(message.id)
    assert job is not None
    await fake.add_reaction(message, fake.moderator, "🔥")
    for _ in range(100):  # the reaction travels over the gateway to the bot, then into SQLite
        if await bot.store.job_score(job.id) > 0:
            break
        await asyncio.sleep(0.05)
    assert await bot.store.job_score(job.id) == 1
    return job.id


async def test_a_liked_reply_guides_the_style_of_the_next_prompt_not_its_words(make_bot: BotFactory,
                                                                              fake: FakeDiscord) -> None:
    bot = await make_bot(model="fake", fake_reply="**Title:** Old Light\n**Logline:** A keeper keeps watch.|stop")
    first = await _pitch(fake, fake.member, "a lighthouse keeper guards a sleeping thing")
    job = await bot.store.job_for_message(first.id)
    assert job is not None and "Members here liked" not in job.prompt[-1]["content"]
    await _liked(bot, fake, first)

    second = await _pitch(fake, fake.owner, "a ferry pilot carries the dead across a fjord")
    next_job = await bot.store.job_for_message(second.id)
    assert next_job is not None
    prompt = next_job.prompt[-1]["content"]
    assert "Members here liked earlier replies that were about 10 words long" in prompt
    assert "with bold labels" in prompt
    assert "Old Light" not in prompt and "keeps watch" not in prompt  # its words never reach the model


async def test_a_liked_pitch_is_not_copied_into_a_pitch_for_another_premise(make_bot: BotFactory,
                                                                           fake: FakeDiscord) -> None:
    """The test model, given a liked reply's text as a "style example", copied it word for word into the next
    member's pitch for a different premise. Now only a description of its style goes in."""
    bot = await make_bot(model="smollm", max_new_tokens=96)
    first = await _pitch(fake, fake.member, "a lighthouse keeper learns the beam keeps a sea creature asleep")
    liked = first.embeds[0]["description"]
    assert len(liked.split()) >= 20
    await _liked(bot, fake, first)

    second = await _pitch(fake, fake.owner, "two rival chefs are snowed in at a mountain diner")
    reply = second.embeds[0]["description"]
    shared = _runs(liked, 8) & _runs(reply, 8)
    assert not shared, f"the liked reply was copied: {shared}\n--- liked:\n{liked}\n--- next:\n{reply}"
    job = await bot.store.job_for_message(second.id)
    assert job is not None and "Members here liked" in job.prompt[-1]["content"]
