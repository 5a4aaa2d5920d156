"""Requests survive the bot: `cinebot run` as its own process (the small test model on llama.cpp) against the fake
Discord, killed with SIGKILL while replies stream and one waits, then started again on the same database.

The new process finishes every reply in its original message (no duplicate, no ping); a request whose token ran
out is ended and its member told in the channel; one that was being written through two crashes fails with a
message; SIGTERM lets a streaming reply finish or leaves it to the next start.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from .bot_process import BotProcess, finished, streaming
from .fake_discord import FakeDiscord, FakeMessage, InteractionHandle

pytestmark = pytest.mark.asyncio

PREMISES = ("a lighthouse keeper guards a sleeping sea creature", "two rival chefs share one food truck",
            "a retired stuntwoman teaches her grandson to drive")


@pytest_asyncio.fixture
async def bot(fake: FakeDiscord, tmp_path: Path) -> AsyncIterator[BotProcess]:
    env = {"DISCORD_TOKEN": fake.token, "CINEBOT_MODEL": "smollm2-135m", "CINEBOT_THREADS": "1",
           "CINEBOT_DB_PATH": str(tmp_path / "cinebot.sqlite3"), "CINEBOT_FILMS_PATH": str(tmp_path / "films.db"),
           "CINEBOT_DEV_GUILD_ID": str(fake.guild.id), "CINEBOT_EDIT_INTERVAL_S": "0.2",
           "CINEBOT_USER_RATE": "1000/60", "CINEBOT_ADAPT": "off", "CINEBOT_MAX_BATCH": "2",
           "CINEBOT_LOG_LEVEL": "info"}
    async with BotProcess(fake, env, tmp_path / "bot.log", tmp_path) as process:
        yield process


def states(db: Path) -> dict[int, tuple[str, int, bool]]:
    """Each request's (state, attempts, whether its token is still kept), read from the bot's database."""
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT job_id, state, attempts, token IS NOT NULL FROM requests").fetchall()
    return {job: (state, attempts, bool(token)) for job, state, attempts, token in rows}


def pings(message: FakeMessage) -> bool:
    return bool(message.mentions or message.mention_roles or message.mention_everyone)


def ours(fake: FakeDiscord) -> list[FakeMessage]:
    """The bot's public messages in the channel the requests come from."""
    return [m for m in fake.channel_messages(fake.general, include_ephemeral=False) if m.author.id == fake.bot_user.id]


async def ask(fake: FakeDiscord, premise: str, locale: str = "en-US") -> InteractionHandle:
    handle = await fake.send_slash("pitch", {"premise": premise}, user=fake.member, channel=fake.general,
                                   locale=locale)
    await handle.deferred(timeout=30)
    return handle


async def test_a_killed_bot_finishes_every_reply_after_its_restart(bot: BotProcess, fake: FakeDiscord,
                                                                    tmp_path: Path) -> None:
    await bot.start()
    handles = [await ask(fake, premise) for premise in PREMISES]  # two are written at once, one waits
    await fake.wait_for(lambda: sum(map(streaming, handles)) >= 2, 120, what="two replies streaming")
    await bot.kill()
    db = tmp_path / "cinebot.sqlite3"
    left = states(db)
    assert len(left) == 3 and all(state in ("queued", "running") for state, _, _ in left.values()), left
    assert not any(map(finished, handles))

    await bot.start()
    await fake.wait_for(lambda: all(map(finished, handles)), 180, what="every reply finished after the restart")
    for handle in handles:
        assert not [m for m in handle.followups if not m.ephemeral]  # edited in place: no second message
    assert len(ours(fake)) == 3  # the three replies, nothing posted twice
    await fake.wait_for(lambda: all(state == "delivered" and not kept for state, _, kept in states(db).values()),
                        30, what="every request delivered, its token dropped")
    assert not any(map(pings, fake.messages.values()))
    fake.assert_no_unknown_calls()


async def test_an_expired_token_is_told_and_two_crashes_end_a_request(bot: BotProcess, fake: FakeDiscord,
                                                                       tmp_path: Path) -> None:
    db = tmp_path / "cinebot.sqlite3"
    await bot.start()
    late, twice = await ask(fake, PREMISES[0], "zh-CN"), await ask(fake, PREMISES[1])
    await fake.wait_for(lambda: streaming(late) and streaming(twice), 120, what="both replies streaming")
    await bot.kill()
    # while the bot is down, the first request's 15 minutes run out
    with sqlite3.connect(db) as con:
        con.execute("UPDATE requests SET token_expires = '2000-01-01T00:00:00+00:00' WHERE job_id = 1")
    fake.expire_interaction(late)

    await bot.start()
    told = await fake.wait_for_message(fake.general, predicate=lambda m: "请再运行一次" in (m.content or ""),
                                       timeout=60)  # told in the language of the member's client
    assert f"<@{fake.member.id}>" in told.content and "/提案" in told.content
    assert not pings(told)  # named, never pinged
    edits = len(twice.edits)
    await fake.wait_for(lambda: len(twice.edits) > edits and streaming(twice), 120,
                        what="the second request written again")
    assert states(db)[1] == ("expired", 1, False)
    await bot.kill()  # a second crash while it is written

    await bot.start()
    note = await twice.followup(0, timeout=60)
    assert note.ephemeral and "stopped 2 times" in note.content
    assert states(db)[2] == ("failed", 2, False)


async def test_sigterm_finishes_the_streaming_reply_or_leaves_it_to_the_next_start(bot: BotProcess,
                                                                                    fake: FakeDiscord) -> None:
    await bot.start()
    handle = await ask(fake, PREMISES[2])
    await fake.wait_for(lambda: streaming(handle), 120, what="the reply streaming")
    assert await bot.stop() == 0
    if not finished(handle):
        await bot.start()
    await fake.wait_for(lambda: finished(handle), 120, what="the reply finished")
    assert ours(fake) == [handle.original_message]
