"""The four task commands end to end: the real discord.py client, the fake Discord, SQLite, a model."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import BotFactory

from .fake_discord import FakeDiscord

pytestmark = pytest.mark.asyncio


@pytest.mark.parametrize("model", ["smollm", "smollm_llamacpp"])
async def test_pitch_defers_streams_and_finishes_with_an_embed(make_bot: BotFactory, fake: FakeDiscord,
                                                               model: str) -> None:
    bot = await make_bot(model=model)
    handle = await fake.send_slash("pitch", {"premise": "a lighthouse keeper learns the beam keeps something asleep",
                                             "genre": "Thriller"}, user=fake.member)
    await handle.deferred()
    original = await handle.original(timeout=60, edits=1)
    await fake.wait_for(lambda: original.embeds and not original.loading and original.reaction_users("👎"),
                        timeout=60, what="the final embed with feedback reactions")
    embed = original.embeds[0]
    assert embed["title"].startswith("Pitch") and embed["description"].strip()
    assert "smollm2-135m" in embed["footer"]["text"]
    assert handle.callback_latency is not None and handle.callback_latency < 3.0
    assert not handle.ephemeral
    job = await bot.store.job_for_message(original.id)
    assert job is not None and job.command == "pitch" and job.status == "done" and job.output
    fake.assert_no_unknown_calls()
