"""A graceful stop (SIGINT/SIGTERM): replies in flight are finished and delivered, then the bot disconnects."""

from __future__ import annotations

import pytest

from models.llm.jobs import GenerationRequest, WorkerStopped
from tests.e2e.conftest import BotFactory

from .fake_discord import FakeDiscord

pytestmark = pytest.mark.asyncio


async def test_shutdown_finishes_the_reply_in_flight(make_bot: BotFactory, fake: FakeDiscord) -> None:
    words = " ".join(f"Word{i}." for i in range(40))
    bot = await make_bot(model="fake", fake_reply=words + "|stop")
    bot.engine.worker.model.step_delay_s = 0.05  # type: ignore[attr-defined]  # about 2 s of writing
    handle = await fake.send_slash("pitch", {"premise": "a keeper guards a sleeping thing"}, user=fake.member)
    await handle.deferred()
    await fake.wait_for(lambda: any("Word" in (e.get("content") or "") for e in handle.edits), timeout=10,
                        what="the reply being written")
    await bot.shutdown(drain_s=20)
    original = handle.original_message
    assert original is not None and original.embeds and "Word39." in original.embeds[0]["description"]
    assert bot.is_closed()
    job = await bot.store.job_for_message(original.id)
    assert job is not None and job.status == "done"
    with pytest.raises(WorkerStopped, match="shutting down"):  # no new work is taken after the stop
        bot.engine.queue.submit(GenerationRequest(messages=()))
