"""The bot on the OpenAI-compatible backend, end to end: the real cinebot client on the fake Discord, with its queue
served by `OpenAIServer` (built by `bot.llm.make_openai_server`, as CINEBOT_BACKEND=openai does) against
llama-cpp-python's own server running the test model on 127.0.0.1 (the session fixture `openai_server`). /pitch,
/review, /mood and reactions on a reply; a server that is down (a private, friendly answer and a failed job row);
and /cinebot show saying whether the language model is reachable."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from bot.core import CineBot
from bot.llm import make_openai_server
from bot.store import FeedbackRow
from models.llm.backends.openai import UNREACHABLE
from tests.e2e.conftest import BotFactory
from tests.fake_openai import free_port
from tests.openai_server import MODEL_ALIAS, openai_server  # noqa: F401  (the fixture)

from .fake_discord import FakeChannel, FakeDiscord, FakeMessage, InteractionHandle

pytestmark = pytest.mark.asyncio

REPLY_TIMEOUT_S = 60.0
TALK = [
    "An absolute masterpiece. I loved every single minute of it.",
    "The performances are wonderful and the ending moved me to tears of joy.",
    "A dull, lifeless mess. I hated it and want my two hours back.",
    "The script is lazy, the acting is awful and the jokes are painful.",
    "Best film I've seen all year, funny, warm and beautifully shot.",
]


async def openai_bot(make_bot: BotFactory, url: str, **overrides: Any) -> CineBot:
    """A bot whose queue is served by the OpenAI-compatible backend at `url`; replies capped at 32 tokens."""
    settings: dict[str, Any] = {"backend": "openai", "openai_url": url, "openai_model": None, "max_new_tokens": 32,
                                "openai_max_in_flight": 1, **overrides}  # llama-cpp-python's server runs one at a time
    return await make_bot(server=make_openai_server, **settings)


async def finished(fake: FakeDiscord, handle: InteractionHandle) -> FakeMessage:
    """The public reply once it is final: an embed, no longer thinking, the bot's feedback reactions on it."""
    await handle.deferred()
    assert not handle.ephemeral
    original = await handle.original(timeout=REPLY_TIMEOUT_S)
    await fake.wait_for(lambda: original.embeds and not original.loading and original.reaction_users("👎"),
                        timeout=REPLY_TIMEOUT_S, what="the final embed with feedback reactions")
    return original


async def show(fake: FakeDiscord) -> str:
    """/cinebot show as the moderator: the embed's description."""
    handle = await fake.send_slash("cinebot show", {}, user=fake.moderator)
    message = await handle.original()
    assert handle.ephemeral and message.embeds
    description: str = message.embeds[0]["description"]
    return description


async def feedback(bot: CineBot, message_id: int, count: int) -> list[FeedbackRow]:
    """The message's feedback rows once there are `count` (the listener writes nothing to Discord to wait for)."""
    rows: list[FeedbackRow] = []
    for _ in range(100):
        rows = await bot.store.feedback_rows(message_id)
        if len(rows) >= count:
            return rows
        await asyncio.sleep(0.05)
    raise AssertionError(f"expected {count} feedback rows on {message_id}, found {rows}")


async def new_channel(fake: FakeDiscord, bot: CineBot, name: str) -> FakeChannel:
    channel = fake.add_channel(name)
    await fake.wait_for(lambda: bot.get_channel(channel.id), what=f"#{name} to reach the bot")
    return channel


@pytest.mark.model
async def test_pitch_review_mood_and_reactions_through_the_openai_server(
        make_bot: BotFactory, fake: FakeDiscord, openai_server: str) -> None:  # noqa: F811
    bot = await openai_bot(make_bot, openai_server)

    pitch = await finished(fake, await fake.send_slash(
        "pitch", {"premise": "a lighthouse keeper learns the beam keeps something asleep", "genre": "Thriller"},
        user=fake.member))
    embed = pitch.embeds[0]
    assert embed["title"].startswith("Pitch") and embed["description"].strip()
    job = await bot.store.job_for_message(pitch.id)
    assert job is not None and job.command == "pitch" and job.status == "done" and job.output
    assert job.model == MODEL_ALIAS  # the model the server reported
    assert job.completion_tokens is not None and 0 < job.completion_tokens <= 32

    review = await finished(fake, await fake.send_slash(
        "review", {"film": "Alien (1979)", "notes": "grimy ship, great tension, the cat steals every scene"},
        user=fake.member))
    assert review.embeds[0]["title"].startswith("Alien (1979)")
    job = await bot.store.job_for_message(review.id)
    assert job is not None and job.command == "review" and job.status == "done"
    assert job.raw_output is not None and job.raw_output.startswith("I"), job.raw_output  # the prefix, once
    assert not re.match(r"I\s*I\b", job.raw_output), job.raw_output

    channel = await new_channel(fake, bot, "film-talk")
    for text in TALK * 2:
        await fake.post_message(channel, fake.member, text)
    mood = await finished(fake, await fake.send_slash("mood", {"channel": channel}, user=fake.member))
    assert mood.embeds[0]["title"] == "Mood of #film-talk"
    job = await bot.store.job_for_message(mood.id)
    # the test model wrote through the server; what the checks let through of its summary is luck (the report shows
    # its figures alone when nothing is left), as in tests/model/test_real_model.py
    assert job is not None and job.command == "mood" and job.status == "done" and job.raw_output

    await fake.add_reaction(pitch, fake.member, "👍")
    await fake.add_reaction(pitch, fake.moderator, "👎")
    rows = await feedback(bot, pitch.id, 2)
    assert {(r.user_id, r.emoji, r.score) for r in rows} == {(fake.member.id, "👍", 1), (fake.moderator.id, "👎", -1)}

    line = re.search(r"\*\*Language model:\*\* (.+)", await show(fake))
    assert line is not None
    assert re.fullmatch(rf"openai · {MODEL_ALIAS} · ready \({re.escape(openai_server)} answered in \d+ ms\)",
                        line.group(1)), line.group(1)
    fake.assert_no_unknown_calls()


async def test_a_server_that_is_down_gets_a_private_friendly_answer_and_a_failed_job(
        make_bot: BotFactory, fake: FakeDiscord) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"  # nothing listens there
    bot = await openai_bot(make_bot, url)  # the bot starts all the same

    handle = await fake.send_slash("pitch", {"premise": "a projectionist finds a reel that shows tomorrow"},
                                   user=fake.member)
    await handle.deferred()
    note = await fake.wait_for(lambda: next((m for m in handle.followups if m.ephemeral), None),
                               timeout=15, what="a private follow-up")
    assert note.content == f"⚠️ {UNREACHABLE}"
    await fake.wait_for(lambda: handle.original_message is not None and handle.original_message.deleted,
                        what="the public placeholder to be deleted")
    job = await bot.store.get_job(1)
    assert job is not None and job.command == "pitch" and job.status == "failed" and job.error == UNREACHABLE

    description = await show(fake)
    assert f"**Language model:** openai · 127.0.0.1:{port} · NOT reachable ({url}: connection refused)" \
        in description
    fake.assert_no_unknown_calls()


async def test_cinebot_show_survives_a_status_that_fails(make_bot: BotFactory, fake: FakeDiscord,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    bot = await make_bot(model="fake")
    assert "**Language model:** embedded · fake · ready" in await show(fake)

    async def broken() -> None:
        raise RuntimeError("status exploded")

    monkeypatch.setattr(bot.engine.worker, "status", broken)
    assert "**Language model:** status unknown (the check failed)" in await show(fake)
