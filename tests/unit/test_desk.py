"""The request desk without Discord: the moderators' rules, the cooldown and the rate limit by plain ids, on a real
SQLite store; what it admits is queued, counted and recorded; a reply written through a plain `Delivery` is kept
written, delivered, closed and stored with its messages."""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.desk import NOT_TAKEN, NotDelivered, Place, RequestDesk, Sent, Ticket, cooldown_left, rate_left
from bot.settings import Settings
from models.llm.jobs import JobQueue
from models.llm.worker import BatchingWorker
from models.tasks import pitch
from models.tasks.runner import TaskReply
from tests.fakes import FakeModel
from tests.store_probe import ProbeStore

GUILD = 1000
CHANNEL = 11
OTHER_CHANNEL = 12
CATEGORY = 21
MEMBER = 7
OTHER_MEMBER = 8
HERE = Place(MEMBER, GUILD, CHANNEL, CATEGORY)


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[RequestDesk]:
    """A desk on a real store, its queue holding two jobs (no worker takes them)."""
    settings = Settings.load(env={"CINEBOT_USER_RATE": "3/60"}, env_file=None)
    async with await ProbeStore.open(tmp_path / "desk.sqlite3") as store:
        yield RequestDesk(store, JobQueue(max_waiting=2), settings, model_name="test model")


def test_cooldown_and_rate_arithmetic() -> None:
    assert cooldown_left(None, 30, now=100.0) == 0  # never used
    assert cooldown_left(90.0, 0, now=100.0) == 0  # no cooldown set
    assert cooldown_left(90.0, 30, now=100.0) == 20
    assert cooldown_left(90.0, 30, now=120.5) == 0
    recent = deque([10.0, 50.0, 70.0])
    assert rate_left(recent, 3, 60, now=65.0) == 5  # three in the last minute: the oldest leaves it at 70 s
    assert rate_left(recent, 3, 60, now=80.0) == 0 and list(recent) == [50.0, 70.0]  # the oldest left


async def test_no_direct_messages(desk: RequestDesk) -> None:
    assert await desk.check(Place(MEMBER), "pitch") == "cinebot's commands work in servers, not in direct messages."


async def test_rules_by_channel_and_category(desk: RequestDesk) -> None:
    assert await desk.check(HERE, "pitch") is None
    await desk.set_command_scope(GUILD, "pitch", scope="category", scope_id=CATEGORY, enabled=False)
    refusal = await desk.check(HERE, "pitch")
    assert refusal == ("The moderators have switched /pitch off here. /pitch works everywhere in this server except "
                       f"in the channels in <#{CATEGORY}>.")
    assert await desk.check(HERE, "review") is None  # another command
    assert await desk.check(Place(MEMBER, GUILD, OTHER_CHANNEL), "pitch") is None  # outside the category
    await desk.set_command_scope(GUILD, "pitch", scope="channel", scope_id=CHANNEL, enabled=True)
    assert await desk.check(HERE, "pitch") is None  # the channel's rule beats its category's
    assert await desk.check(Place(MEMBER, GUILD, OTHER_CHANNEL, CATEGORY), "pitch") == \
        f"{refusal[:-1]} (it stays on in <#{CHANNEL}>)."


async def test_cooldown_per_member_and_command(desk: RequestDesk) -> None:
    await desk.set_cooldown(GUILD, "pitch", 60)
    desk.mark_used(HERE, "pitch")
    assert await desk.check(HERE, "pitch") == ("You can use /pitch again in 60 s (this server's cooldown for /pitch "
                                               "is 60 s).")
    assert await desk.check(Place(OTHER_MEMBER, GUILD, CHANNEL), "pitch") is None
    assert await desk.check(HERE, "review") is None
    assert await desk.check(Place(MEMBER, GUILD + 1, CHANNEL), "pitch") is None  # another server's cooldown


async def test_rate_limit_across_commands(desk: RequestDesk) -> None:
    for command in ("pitch", "review", "scene"):
        assert await desk.check(HERE, command) is None
        desk.mark_used(HERE, command)
    assert await desk.check(HERE, "mood") == ("You're sending requests faster than I can keep up with. Please try "
                                              "again in 60 s.")
    assert await desk.check(Place(OTHER_MEMBER, GUILD, CHANNEL), "mood") is None


async def test_open_admits_counts_and_records(desk: RequestDesk) -> None:
    job = pitch.prepare(premise="A projectionist finds a reel that plays tomorrow's news.")
    ticket = await desk.open(job, HERE)
    assert isinstance(ticket, Ticket) and ticket.run is not None and ticket.run.position() == 1
    job_id = await desk.record(ticket, author="for Ann")
    assert isinstance(desk.store, ProbeStore)
    row = await desk.store.get_job(job_id)
    assert row is not None and (row.guild_id, row.channel_id, row.user_id, row.command, row.status, row.model) == \
        (GUILD, CHANNEL, MEMBER, "pitch", "queued", "test model")
    assert await desk.store.unfinished_requests() == []  # no webhook given: nothing a later process could finish
    await desk.set_cooldown(GUILD, "pitch", 30)
    assert (await desk.check(HERE, "pitch") or "").startswith("You can use /pitch again in 30 s")  # counted


async def test_open_refuses_before_queueing(desk: RequestDesk) -> None:
    job = pitch.prepare(premise="A projectionist finds a reel that plays tomorrow's news.")
    await desk.set_command_scope(GUILD, "pitch", scope="guild", scope_id=GUILD, enabled=False)
    assert await desk.open(job, HERE) == ("The moderators have switched /pitch off here. /pitch is switched off "
                                          "everywhere in this server.")
    first = await desk.open(job, HERE, check=False)  # the caller checked just before
    assert isinstance(first, Ticket) and first.run is not None and first.run.position() == 1  # nothing queued before
    await desk.open(job, Place(OTHER_MEMBER + 1, GUILD, CHANNEL), check=False)  # the queue holds two
    full = await desk.open(job, Place(OTHER_MEMBER + 2, GUILD, CHANNEL), check=False)
    assert full == "cinebot is busy right now (2 requests are already waiting). Please try again in about 10 s."
    assert await desk.check(Place(OTHER_MEMBER + 2, GUILD, OTHER_CHANNEL), "review") is None  # a refusal counts no use


SCRIPT = ('**Title:** "Night Lamp"\n**Logline:** A keeper guards a light. Something sleeps below.\n'
          "**Synopsis:** Mara keeps the lamp lit. The beam hums at night. One night it fails.|stop")


class Shown:
    """A `Delivery` that keeps what it is told: the desk drives it as it drives Discord's message."""

    def __init__(self, *, refuse: bool = False) -> None:
        self.refuse = refuse
        self.texts: list[str] = []
        self.positions: list[int] = []
        self.final: TaskReply | None = None
        self.errors: list[str] = []
        self.reactions: list[bool] = []

    async def queued(self, position: int) -> None:
        self.positions.append(position)

    async def progress(self, text: str) -> None:
        self.texts.append(text)

    async def finish(self, reply: TaskReply) -> Sequence[Sent]:
        if self.refuse:
            raise NotDelivered("no")
        self.final = reply
        return [Sent(501, CHANNEL), Sent(502, CHANNEL)]

    async def done(self, *, another_take: bool) -> None:
        self.reactions.append(another_take)

    async def error(self, message: str) -> None:
        self.errors.append(message)

    async def stopping(self) -> None:
        self.errors.append("stopping")


@pytest.mark.parametrize("refuse", [False, True])
async def test_a_reply_is_written_delivered_and_closed(desk: RequestDesk, refuse: bool) -> None:
    store = desk.store
    assert isinstance(store, ProbeStore)
    shown = Shown(refuse=refuse)
    async with BatchingWorker(FakeModel(default=SCRIPT), desk.queue):
        ticket = await desk.open(pitch.prepare(premise="a keeper guards a sleeping thing"), HERE)
        assert isinstance(ticket, Ticket)
        job_id = await desk.record(ticket, application_id=1, token="secret", expires=datetime.now(UTC) +
                                   timedelta(minutes=15), author="for Ann")
        assert [(r.job_id, r.state) for r, _ in await store.unfinished_requests()] == [(job_id, "queued")]
        await desk.write(ticket, shown)
    job, request = await store.get_job(job_id), await store.request(job_id)
    assert job is not None and request is not None and shown.texts
    if refuse:
        assert (job.status, request.state, shown.errors, shown.reactions) == ("failed", "failed", [NOT_TAKEN], [])
        assert not await store.is_reply(501)
        return
    assert shown.final is not None and shown.final.text.startswith("**Title:** Night Lamp")
    assert (job.status, job.output, request.state, request.attempts) == ("done", shown.final.text, "delivered", 1)
    assert await store.is_reply(501) and await store.is_reply(502) and shown.errors == []
    assert shown.reactions == [bool(ticket.run and ticket.run.variant_name)]
    assert await store.unfinished_requests() == []
