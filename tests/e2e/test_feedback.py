"""Reaction feedback end to end: members react to a /pitch reply and the rows land in SQLite.

The listener writes nothing to Discord, so there is no call to wait for: `Writes` wraps the store's
`record_reaction` and tests re-read the rows after each write until the expected ones appear. To show that an
event recorded *nothing*, another reaction is added afterwards as a sentinel; gateway events are handled in order
and the store serialises its writes, so once the sentinel's row is there, every earlier event has been handled.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Any

import pytest

from bot.core import CineBot
from bot.llm import Engine, worker_config
from bot.store import FeedbackRow
from models.llm.jobs import JobQueue
from models.llm.worker import BatchingWorker
from tests.e2e.conftest import BotFactory
from tests.fakes import FakeModel
from tests.store_probe import ProbeStore

from .fake_discord import FakeDiscord, FakeMessage, running_bot

pytestmark = pytest.mark.asyncio

PREMISE = "a projectionist finds that the last reel of every film changes overnight"


async def pitch_reply(fake: FakeDiscord) -> FakeMessage:
    """Run /pitch as the member; the finished reply once the bot's 👍 and 👎 are on it."""
    handle = await fake.send_slash("pitch", {"premise": PREMISE}, user=fake.member)
    await handle.deferred()
    original = await handle.original(timeout=10)
    await fake.wait_for(
        lambda: original.embeds and fake.bot_user.id in original.reaction_users("👍")
        and fake.bot_user.id in original.reaction_users("👎"),
        timeout=10, what="the final reply with the bot's feedback reactions",
    )
    return original


class Writes:
    """Wraps a store's `record_reaction`: keeps every call the listener makes and wakes waiters after each."""

    def __init__(self, store: ProbeStore, monkeypatch: pytest.MonkeyPatch) -> None:
        self.store = store
        self.calls: list[dict[str, Any]] = []
        self._changed = asyncio.Event()
        original = store.record_reaction

        async def record_reaction(**kwargs: Any) -> bool:
            try:
                return await original(**kwargs)
            finally:
                self.calls.append(kwargs)
                self._changed, changed = asyncio.Event(), self._changed
                changed.set()

        monkeypatch.setattr(store, "record_reaction", record_reaction)

    async def rows_when(self, message_id: int, ready: Callable[[list[FeedbackRow]], bool],
                        within_s: float = 5.0) -> list[FeedbackRow]:
        """The message's feedback rows once `ready(rows)`, re-read after every write; fails with the last seen."""
        rows: list[FeedbackRow] = []
        try:
            async with asyncio.timeout(within_s):
                while True:
                    changed = self._changed
                    rows = await self.store.feedback_rows(message_id)
                    if ready(rows):
                        return rows
                    await changed.wait()
        except TimeoutError:
            raise AssertionError(f"feedback rows for {message_id} never became ready; last seen: {rows}") from None

    def by(self, user_id: int) -> list[dict[str, Any]]:
        return [c for c in self.calls if c["user_id"] == user_id]


async def test_add_remove_and_readd_keep_one_row(make_bot: BotFactory, fake: FakeDiscord,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    bot = await make_bot(model="fake")
    writes = Writes(bot.store, monkeypatch)
    reply = await pitch_reply(fake)
    job = await bot.store.job_for_message(reply.id)
    assert job is not None and job.command == "pitch" and job.status == "done"

    await fake.add_reaction(reply, fake.member, "👍")
    rows = await writes.rows_when(reply.id, lambda rows: bool(rows))
    assert len(rows) == 1
    added = rows[0]
    assert (added.user_id, added.emoji, added.score, added.active, added.job_id, added.guild_id) == \
        (fake.member.id, "👍", 1, True, job.id, fake.guild.id)
    assert added.removed_at is None
    assert await bot.store.job_score(job.id) == 1

    await fake.remove_reaction(reply, fake.member, "👍")
    rows = await writes.rows_when(reply.id, lambda rows: bool(rows) and not rows[0].active)
    assert len(rows) == 1
    removed = rows[0]
    assert removed.removed_at is not None and removed.created_at == added.created_at
    assert (removed.user_id, removed.emoji, removed.score, removed.job_id) == (fake.member.id, "👍", 1, job.id)
    assert await bot.store.job_score(job.id) == 0

    await fake.add_reaction(reply, fake.member, "👍")
    rows = await writes.rows_when(reply.id, lambda rows: bool(rows) and rows[0].active)
    assert len(rows) == 1
    again = rows[0]
    assert again.removed_at is None and again.created_at == added.created_at
    assert again.updated_at > removed.updated_at
    assert await bot.store.job_score(job.id) == 1
    assert [c["added"] for c in writes.by(fake.member.id)] == [True, False, True]
    fake.assert_no_unknown_calls()


async def test_scores_follow_the_reaction_map(make_bot: BotFactory, fake: FakeDiscord,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    bot = await make_bot(model="fake")
    writes = Writes(bot.store, monkeypatch)
    reply = await pitch_reply(fake)
    job = await bot.store.job_for_message(reply.id)
    assert job is not None

    await fake.add_reaction(reply, fake.member, "😴")
    await fake.add_reaction(reply, fake.member, "🎬")
    await fake.add_reaction(reply, fake.moderator, "🔥")
    rows = await writes.rows_when(reply.id, lambda rows: len(rows) == 3)
    scores = {(r.user_id, r.emoji): (r.score, r.active, r.job_id) for r in rows}
    assert scores == {
        (fake.member.id, "😴"): (-1, True, job.id),
        (fake.member.id, "🎬"): (0, True, job.id),
        (fake.moderator.id, "🔥"): (1, True, job.id),
    }
    assert await bot.store.job_score(job.id) == 0


async def test_custom_scores_come_from_the_settings(make_bot: BotFactory, fake: FakeDiscord,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    bot = await make_bot(model="fake", reaction_scores=(("🎬", 2), ("👍", 1)))
    writes = Writes(bot.store, monkeypatch)
    reply = await pitch_reply(fake)

    await fake.add_reaction(reply, fake.member, "🎬")
    await fake.add_reaction(reply, fake.member, "😴")  # not in this map
    rows = await writes.rows_when(reply.id, lambda rows: len(rows) == 2)
    assert {r.emoji: r.score for r in rows} == {"🎬": 2, "😴": 0}


async def test_bots_and_other_messages_record_nothing(make_bot: BotFactory, fake: FakeDiscord,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    bot = await make_bot(model="fake")
    writes = Writes(bot.store, monkeypatch)
    reply = await pitch_reply(fake)  # the bot's own 👍 and 👎 go back to it over the gateway
    await fake.add_reaction(reply, fake.other_bot, "👍")
    await fake.add_reaction(reply, fake.other_bot, "👎")
    await fake.remove_reaction(reply, fake.other_bot, "👍")
    own = await fake.post_message(fake.general, fake.member, "Anyone seen Stalker on 35mm?")
    await fake.add_reaction(own, fake.moderator, "👍")
    await fake.add_reaction(own, fake.member, "🔥")
    await fake.remove_reaction(own, fake.member, "🔥")

    # The sentinel: events are handled in order and the store serialises writes, so once this row is there,
    # everything above has been handled.
    await fake.add_reaction(reply, fake.moderator, "⭐")
    rows = await writes.rows_when(reply.id, lambda rows: bool(rows))
    assert [(r.user_id, r.emoji, r.score) for r in rows] == [(fake.moderator.id, "⭐", 1)]
    assert await bot.store.feedback_rows(own.id) == []
    assert not await bot.store.is_reply(own.id)

    bot_adds = [e for e in fake.events("MESSAGE_REACTION_ADD") if e.data["user_id"] == str(fake.bot_user.id)]
    assert {e.data["emoji"]["name"] for e in bot_adds} == {"👍", "👎", "🔁"}  # they did reach the bot
    assert writes.by(fake.bot_user.id) == []  # and stopped at the guard, before the store
    assert [c for c in writes.by(fake.other_bot.id) if c["added"]] == []
    fake.assert_no_unknown_calls()


async def test_reaction_on_a_reply_from_before_a_restart_is_recorded(make_bot: BotFactory, fake: FakeDiscord,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    first = await make_bot(model="fake")
    reply = await pitch_reply(fake)
    job = await first.store.job_for_message(reply.id)
    assert job is not None
    await first.close()
    assert first.is_closed()

    # A new CineBot on the same database file, built as conftest's factory builds one (the fixture makes one
    # bot per test). Its message cache is empty, so only the raw reaction events can reach the old reply.
    settings = first.settings
    async with AsyncExitStack() as stack:
        store = await stack.enter_async_context(await ProbeStore.open(settings.db_path))
        writes = Writes(store, monkeypatch)
        lm = FakeModel()
        queue = JobQueue(settings.max_queue)
        worker = BatchingWorker(lm, queue, worker_config(settings))
        await stack.enter_async_context(worker)
        second = CineBot(settings, Engine(queue, worker, lm.name), store, guild_ready_timeout=0.05)
        await stack.enter_async_context(running_bot(second, fake))
        assert reply.id not in {m.id for m in second.cached_messages}

        await fake.add_reaction(reply, fake.member, "❤️")
        rows = await writes.rows_when(reply.id, lambda rows: bool(rows))
        assert [(r.user_id, r.emoji, r.score, r.active, r.job_id) for r in rows] == \
            [(fake.member.id, "❤️", 1, True, job.id)]

        await fake.remove_reaction(reply, fake.member, "❤️")
        rows = await writes.rows_when(reply.id, lambda rows: bool(rows) and not rows[0].active)
        assert rows[0].removed_at is not None
    assert await first.store.feedback_rows(reply.id) == rows  # the first bot's connection sees the same rows
