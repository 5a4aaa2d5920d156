"""Robustness end to end: a burst of commands, a gateway reconnect mid-job, bad attachments and input,
mention-laden model output, and an expired interaction token. The real bot on the scripted fake model.

The fake model's `gate` holds the worker between steps, so a test can keep a job running (or the queue full)
for exactly as long as it needs, without sleeping.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from bot.core import CineBot
from tests.e2e.conftest import BotFactory
from tests.fakes import FakeModel

from .fake_discord import (
    CALLBACK_DEFERRED_MESSAGE,
    CALLBACK_MESSAGE,
    FakeDiscord,
    FakeFile,
    FakeMessage,
    InteractionHandle,
    RecordedCall,
)

pytestmark = pytest.mark.asyncio

SCENE = "INT. PROJECTION BOOTH - NIGHT\n\nMARA threads the last reel. The film snaps.\n\nMARA\nNot tonight.\n"
COMMANDS: list[tuple[str, dict[str, Any]]] = [
    ("pitch", {"premise": "a projectionist discovers the last reel changes every night", "genre": "Mystery"}),
    ("review", {"film": "Alien", "notes": "slow build, great set design, the chestburster still works",
                "rating": 4}),
    ("mood", {"text": "I loved the ending but the middle dragged and the score was far too loud."}),
    ("scene", {"excerpt": SCENE}),
]


def model_of(bot: CineBot) -> FakeModel:
    model = bot.engine.worker.model
    assert isinstance(model, FakeModel)
    return model


@contextmanager
def held(model: FakeModel) -> Iterator[None]:
    """Hold the worker before its next model step; always let it go again (or the bot could not shut down)."""
    model.gate.clear()
    try:
        yield
    finally:
        model.gate.set()


def final_embed(handle: InteractionHandle) -> FakeMessage | None:
    """The original response once the flow finished it: embeds, no longer thinking, feedback reactions on."""
    msg = handle.original_message
    if msg is None or msg.deleted or msg.loading or not msg.embeds or not msg.reaction_users("👎"):
        return None
    return msg


def told_to_retry(handle: InteractionHandle) -> bool:
    """Refused at once (an ephemeral callback message), or told later in an ephemeral follow-up."""
    if handle.response_type == CALLBACK_MESSAGE:
        return handle.ephemeral and "try again" in handle.callbacks[0].data.get("content", "")
    return any(m.ephemeral and "try again" in m.content for m in handle.followups)


def ephemeral_text(handle: InteractionHandle) -> str:
    assert handle.response_type == CALLBACK_MESSAGE, f"expected an immediate answer, got {handle!r}"
    assert handle.ephemeral, "the answer should only be visible to the member"
    content: str = handle.callbacks[0].data.get("content", "")
    return content


def message_body(call: RecordedCall) -> dict[str, Any] | None:
    """The message a bot call sends or edits, if it sends one (a defer or a reaction does not)."""
    if not isinstance(call.json, dict):
        return None
    if call.matches("POST", "/interactions/*/callback"):
        data = call.json.get("data") or {}
        return data if call.json.get("type") == CALLBACK_MESSAGE else None
    if call.matches("POST", "/webhooks/*") or call.matches("PATCH", "/webhooks/*/messages/*") \
            or call.matches("POST", "/channels/*/messages") or call.matches("PATCH", "/channels/*/messages/*"):
        return call.json
    return None


def no_pings(allowed: Any) -> bool:
    """`allowed_mentions` that pings nobody: parse nothing and list no users or roles."""
    return isinstance(allowed, dict) and allowed.get("parse") == [] and not allowed.get("users") \
        and not allowed.get("roles") and not allowed.get("replied_user")


async def test_a_burst_is_deferred_in_time_and_every_command_is_answered_or_told_to_retry(
        make_bot: BotFactory, fake: FakeDiscord) -> None:
    bot = await make_bot(model="fake", max_queue=8, max_batch=4)
    members = [fake.add_member(f"fan_{i}") for i in range(20)]
    with held(model_of(bot)):  # the worker holds its first batch (at most 4): the queue (8) fills and overflows
        handles = [await fake.send_slash(*COMMANDS[i % len(COMMANDS)], user=m) for i, m in enumerate(members)]
        await fake.wait_for(lambda: all(h.callbacks for h in handles), timeout=10,
                            what="a callback for every command")

    for h in handles:
        assert h.callback_latency is not None and h.callback_latency < 3.0, h
        assert not h.rejections, h.rejections
    refused = [h for h in handles if h.response_type == CALLBACK_MESSAGE]
    deferred = [h for h in handles if h.response_type == CALLBACK_DEFERRED_MESSAGE]
    assert len(refused) + len(deferred) == 20
    assert len(refused) >= 8, "20 at once into 4 running + 8 waiting must refuse some"
    assert len(deferred) >= 8
    for h in refused:
        assert "try again" in ephemeral_text(h)

    await fake.wait_for(lambda: all(final_embed(h) or told_to_retry(h) for h in deferred), timeout=30,
                        what="a final reply or a retry notice for every deferred command")
    answered = [h for h in deferred if final_embed(h)]
    assert len(answered) >= 8
    for h in answered:
        job = await bot.store.job_for_message(h.original_message.id)  # type: ignore[union-attr]
        assert job is not None and job.status == "done" and job.user_id == h.user.id
    fake.assert_no_unknown_calls()


async def test_a_gateway_reconnect_while_a_job_runs_does_not_lose_the_reply(
        make_bot: BotFactory, fake: FakeDiscord) -> None:
    words = " ".join(f"Beat {i} lands." for i in range(40))
    bot = await make_bot(model="fake", fake_reply=words + "|stop", edit_interval_s=1.0)
    model = model_of(bot)
    model.step_delay_s = 0.03  # about 120 tokens: a few seconds of streaming
    handle = await fake.send_slash(*COMMANDS[1], user=fake.member)
    await handle.deferred()
    await fake.wait_for(lambda: any("still writing" in (e.get("content") or "") for e in handle.edits),
                        timeout=10, what="the reply to start streaming")

    connections = fake.connection_count
    await fake.request_reconnect()
    assert fake.connection_count == connections + 1 and fake.resume_count >= 1
    assert final_embed(handle) is None, "the job should still have been running during the reconnect"

    msg = await fake.wait_for(lambda: final_embed(handle), timeout=20, what="the final embed after the reconnect")
    assert "Beat 39 lands." in msg.embeds[0]["description"]
    gaps = [b - a for a, b in zip(handle.edit_times, handle.edit_times[1:], strict=False)]
    assert len(gaps) >= 2 and min(gaps) >= 0.95, f"edits closer than the 1 s edit interval: {gaps}"
    job = await bot.store.job_for_message(msg.id)
    assert job is not None and job.status == "done"

    after = await fake.send_slash(*COMMANDS[0], user=fake.member)  # the resumed session still hears commands
    await after.deferred()
    await fake.wait_for(lambda: final_embed(after), timeout=20, what="a reply to a command sent after resuming")
    fake.assert_no_unknown_calls()


@pytest.mark.parametrize(
    ("file", "expected"),
    [
        (FakeFile("long_scene.txt", (SCENE * 40).encode(), "text/plain"), "the limit is 1 KB"),
        (FakeFile("scene.pdf", b"%PDF-1.7\n" + SCENE.encode(), "application/pdf"), "attach a .fountain or .txt"),
        (FakeFile("scene.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "text/plain"),
         "isn't a text file I can read"),
    ],
    ids=["too-big", "pdf", "binary-txt"],
)
async def test_scene_attachments_it_cannot_use_get_a_clear_private_answer(
        make_bot: BotFactory, fake: FakeDiscord, file: FakeFile, expected: str) -> None:
    bot = await make_bot(model="fake", max_attachment_kb=1)
    handle = await fake.send_slash("scene", user=fake.member, attachments={"attachment": file})
    await handle.responded()
    text = ephemeral_text(handle)
    assert expected in text and file.filename in text
    await handle.done()
    assert model_of(bot).prefills == [] and await bot.store.get_job(1) is None


@pytest.mark.parametrize(
    ("command", "options", "expected"),
    [
        ("pitch", {"premise": "a heist"}, "at least 10 characters"),
        ("pitch", {"premise": "   \n  \t "}, "can't be empty"),
        ("scene", {}, "either an excerpt or"),
    ],
    ids=["pitch-too-short", "pitch-blank", "scene-nothing"],
)
async def test_bad_input_gets_a_private_answer_and_runs_no_job(
        make_bot: BotFactory, fake: FakeDiscord, command: str, options: dict[str, Any], expected: str) -> None:
    bot = await make_bot(model="fake")
    handle = await fake.send_slash(command, options, user=fake.member)
    await handle.responded()
    assert expected in ephemeral_text(handle)
    await handle.done()
    assert handle.callback_latency is not None and handle.callback_latency < 3.0
    assert len(handle.callbacks) == 1 and not handle.edits and not handle.followups
    assert model_of(bot).prefills == [] and await bot.store.get_job(1) is None


MENTIONS = "Watch it with @everyone. Tell @here about it. Ask <@123> and <@&456> and <@!789> what they think."
RAW_MENTIONS = ("@everyone", "@here", "<@123>", "<@&456>", "<@!789>")


def shown_text(msg: FakeMessage) -> str:
    parts = [msg.content]
    for embed in msg.embeds:
        parts += [embed.get("title") or "", embed.get("description") or "", (embed.get("author") or {}).get("name", "")]
        parts += [f"{f['name']} {f['value']}" for f in embed.get("fields") or []]
    return "\n".join(parts)


async def test_mentions_in_model_output_never_ping(make_bot: BotFactory, fake: FakeDiscord) -> None:
    await make_bot(model="fake", fake_reply=MENTIONS + "|stop")
    handles = [await fake.send_slash(name, options, user=fake.member) for name, options in COMMANDS]
    await fake.wait_for(lambda: all(final_embed(h) for h in handles), timeout=20, what="every final embed")

    review = final_embed(handles[1])
    assert review is not None and "Tell @\u200bhere" in review.embeds[0]["description"]
    bodies = [(c, message_body(c)) for c in fake.calls]
    sent = [(c, b) for c, b in bodies if b is not None and (b.get("content") or b.get("embeds"))]
    # a streamed edit and a final embed for each text task; /mood streams nothing, it ends with its embed
    assert len(sent) >= 2 * len(handles) - 1, "expected streamed edits and final embeds"
    for call, body in sent:
        assert no_pings(body.get("allowed_mentions")), f"{call.method} {call.path} may ping: {body}"
    for msg in fake.messages.values():
        if msg.author.id == fake.bot_user.id:
            text = shown_text(msg)
            assert not any(raw in text for raw in RAW_MENTIONS), text
            assert not msg.mention_everyone and not msg.mentions and not msg.mention_roles
    for h in handles:
        for edit in h.edits:
            assert not any(raw in (edit.get("content") or "") for raw in RAW_MENTIONS), edit
    fake.assert_no_unknown_calls()


async def test_an_expired_token_posts_the_reply_in_the_channel(make_bot: BotFactory, fake: FakeDiscord) -> None:
    bot = await make_bot(model="fake", fake_reply=MENTIONS + "|stop")
    with held(model_of(bot)):
        handle = await fake.send_slash(*COMMANDS[0], user=fake.member)
        await handle.deferred()
        fake.expire_interaction(handle)  # as if the job had waited more than 15 minutes

    posted = await fake.wait_for_message(
        fake.general, author=fake.bot_user, timeout=10,
        predicate=lambda m: m.interaction_id is None and bool(m.embeds) and bool(m.reaction_users("👎")))
    assert fake.member.mention in posted.content and "/pitch" in posted.content and "expired" in posted.content
    assert posted.embeds[0]["title"].startswith("Pitch")
    assert not any(raw in shown_text(posted).replace(fake.member.mention, "") for raw in RAW_MENTIONS)
    assert no_pings(posted.allowed_mentions) and not posted.mentions and not posted.mention_everyone
    job = await bot.store.job_for_message(posted.id)
    assert job is not None and job.status == "done" and job.command == "pitch"

    webhook_calls = fake.calls_to(path="/webhooks/*")
    assert webhook_calls and all(c.status == 401 for c in webhook_calls)
    assert handle.original_message is not None and not handle.original_message.embeds
    assert not handle.followups
    fake.assert_no_unknown_calls()


async def test_an_error_inside_a_command_before_its_job_is_answered_privately(
        make_bot: BotFactory, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not "The application did not respond": the tree's error handler logs and tells the member privately."""
    bot = await make_bot(model="fake")

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the catalog fell over")

    monkeypatch.setattr(bot.services.films, "find", broken)
    handle = await fake.send_slash("film", {"title": "alien 1979"}, user=fake.member)
    await handle.responded()
    assert "Something went wrong on my side" in ephemeral_text(handle)

    monkeypatch.setattr(bot.services.review, "prepare", broken)
    review = await fake.send_slash(*COMMANDS[1], user=fake.member)
    await review.responded()
    assert "Something went wrong on my side" in ephemeral_text(review)
    assert "the catalog fell over" not in ephemeral_text(review)  # the member never sees our internals
    assert await bot.store.get_job(1) is None
    fake.assert_no_unknown_calls()


async def test_a_long_script_attachment_under_the_size_limit_is_described_from_its_first_scenes(
        make_bot: BotFactory, fake: FakeDiscord) -> None:
    """20,000 characters in a 20 KB .txt (the attachment limit is 100 KB): not refused with the pasted-excerpt
    limit; the scenes that fit are described, and the heading says which."""
    scenes = [f"INT. PROJECTION BOOTH {i} - NIGHT\n\nMARA threads reel {i}. The film snaps and she splices it "
              "again, slowly, while the audience waits below in the dark.\n\nMARA\nNot tonight.\n"
              for i in range(1, 200)]
    script = "\n".join(scenes)
    script = script[: script.rfind("INT.", 0, 20_000)].rstrip() + "\n"
    assert 19_000 < len(script) <= 20_000
    bot = await make_bot(model="fake", fake_reply="**Setting:** A booth.|stop")
    handle = await fake.send_slash("scene", user=fake.member,
                                   attachments={"attachment": FakeFile("reels.txt", script.encode(), "text/plain")})
    await handle.deferred()
    msg = await fake.wait_for(lambda: final_embed(handle), timeout=20, what="the scene description")
    total = script.count("INT. ")
    title = msg.embeds[0]["title"]
    assert title.startswith("Scene · reels.txt (scenes 1-") and title.endswith(f" of {total})"), title
    job = await bot.store.job_for_message(msg.id)
    assert job is not None and job.inputs["attachment"] == "reels.txt"
    assert job.inputs["excerpt"].startswith("INT. PROJECTION BOOTH 1 - NIGHT") and len(job.inputs["excerpt"]) <= 6000

    later = await fake.send_slash("scene", {"start": total}, user=fake.member,
                                  attachments={"attachment": FakeFile("reels.txt", script.encode(), "text/plain")})
    await later.deferred()
    msg = await fake.wait_for(lambda: final_embed(later), timeout=20, what="the last scene's description")
    assert msg.embeds[0]["title"] == f"Scene · reels.txt (scene {total} of {total})"
