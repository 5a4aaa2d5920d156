"""The request desk: the one way in for every request, with no Discord in it.

open (the moderators' rules, the cooldown, the member's rate limit: a refusal; else the server's preset and style,
submit) → a `Ticket`; `record` keeps it as a job (and what a later process needs to finish it) before the model
starts; `write` drives the reply through a `Delivery` (queue position, text so far, the final reply, an error), keeps
it written before it is delivered, and closes the record. Another take (🔁), the cards (/film, /recommend), the
requests a stopped process left unfinished, the moderators' settings and the members' reactions go through here too:
the cogs, `cinebot ask` and the benchmarks never touch the store. Who asks, and where, is plain ids (`Place`);
Discord's side of a reply is `bot.flow`, the command line's `bot.cli`.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from bot.i18n import ENGLISH, command_name, labels_in, t
from bot.learning import Learner, Standing
from bot.rules import where_it_works
from bot.store import DEFAULT_MOOD_CAP, MAX_COOLDOWN_S, MOOD_CAP_RANGE, CommandRule, GuildSettings, JobRow, RequestRow
from models.language import LANGUAGES, detect
from models.llm.jobs import JobCancelled, JobError, JobResult, WorkerStopped
from models.tasks import runner
from models.tasks.runner import TaskReply
from models.tasks.variants import variant as variant_named

if TYPE_CHECKING:
    from bot.services import Prepared
    from bot.settings import Settings
    from bot.store import Store
    from models.llm.jobs import JobQueue

__all__ = ["DEFAULT_MOOD_CAP", "MAX_COOLDOWN_S", "MOOD_CAP_RANGE", "CommandRule", "GuildSettings", "JobRow",
           "RequestRow"]  # the store's rows and limits, for the cogs, which never import the store

log = logging.getLogger(__name__)

STYLE_EXAMPLES = 5  # liked replies whose style (never their words) guides the next prompt
RESUME_ATTEMPTS = 2  # a request that was being written through this many crashes is not tried again
POSITION_GRACE_S = 1.0  # most jobs start at once: no "#1 in the queue" flash
POSITION_POLL_S = 2.0
SORRY = "Something went wrong on my side. Please try again in a moment."  # msgids (`bot.i18n.t`)
NOT_TAKEN = "I wrote your reply but Discord would not take it. Please try again."
DIRECT_MESSAGES = "cinebot's commands work in servers, not in direct messages."
_MEMORY = 10_000  # bounded per-member bookkeeping


@dataclass(frozen=True)
class Place:
    """Who asks, and where: the member, the server (None: a direct message), the channel and category the
    moderators' rules apply to (a thread counts as its parent channel), and the catalog the member is answered from
    (`bot.i18n.locale_for`)."""

    user_id: int
    guild_id: int | None = None
    channel_id: int | None = None
    category_id: int | None = None
    locale: str = ENGLISH


OPERATOR = Place(0)  # the command line's requests: the operator's own, in no server (no rules, style or preset)


@dataclass(frozen=True)
class Sent:
    """One message a reply was delivered in."""

    message_id: int
    channel_id: int


class NotDelivered(Exception):
    """The platform would not take a written reply (a `Delivery.finish` failed)."""


class Progress(Protocol):
    """Where a reply's text shows while it is written (`streamed`): a request's `Delivery`, or another take's
    message."""

    async def progress(self, text: str) -> None:
        """The reply as written so far (a delivery may skip it when it showed one too recently)."""


class Delivery(Progress, Protocol):
    """Where a request's reply goes, as the desk drives it: Discord's message (`bot.flow`), or the terminal
    (`bot.cli`)."""

    async def queued(self, position: int) -> None:
        """The request's place in the queue (1: next), when it changes; 0: the model began writing it."""

    async def finish(self, reply: TaskReply) -> Sequence[Sent]:
        """The final reply, and the messages it went into (none: no message to keep, as on a terminal, or
        nowhere would take it any more, as after a token expired). Raises `NotDelivered` when the platform refused
        it."""

    async def done(self, *, another_take: bool) -> None:
        """The delivered reply is stored: invite the members' reactions (and 🔁 where it has other variants)."""

    async def error(self, message: str) -> None:
        """The request ended without a reply: tell the member `message`."""

    async def stopping(self) -> None:
        """The bot stops before the reply was written: it is left to the next start."""


@dataclass
class Ticket:
    """An admitted request: its job, who asked where, the queued run (None until queued again after a restart)
    and the stored job's id (0 until `record`)."""

    job: Prepared
    place: Place
    run: runner.TaskRun | None = None
    job_id: int = 0

    @property
    def command(self) -> str:
        return self.job.command


def written(reply: TaskReply) -> dict[str, Any]:
    """A written reply as the store keeps it until it is delivered (`reply_from` reads it back)."""
    r = reply.result
    return {"task": reply.task, "text": reply.text, "raw": reply.raw, "attempts": reply.attempts,
            "variant": reply.variant, "result": {"text": r.text, "prompt_tokens": r.prompt_tokens,
            "completion_tokens": r.completion_tokens, "queue_s": r.queue_s, "generate_s": r.generate_s,
            "model": r.model, "finish_reason": r.finish_reason}}


def reply_from(kept: dict[str, Any]) -> TaskReply:
    """The reply `written` kept."""
    return TaskReply(task=kept["task"], text=kept["text"], raw=kept["raw"], result=JobResult(**kept["result"]),
                     attempts=int(kept.get("attempts", 1)), variant=kept.get("variant", ""))


def cooldown_left(last: float | None, cooldown: int, now: float) -> int:
    """Whole seconds until a cooldown of `cooldown` s since the `last` use ends (0: none left)."""
    if not cooldown or last is None or now - last >= cooldown:
        return 0
    return math.ceil(cooldown - (now - last))


def rate_left(recent: deque[float], count: int, window: float, now: float) -> int:
    """Whole seconds until another request fits `count` per `window` s, given the `recent` ones (0: it fits now);
    drops the uses older than the window from `recent`."""
    while recent and now - recent[0] > window:
        recent.popleft()
    if len(recent) < count:
        return 0
    return math.ceil(window - (now - recent[0]))


async def streamed(run: runner.TaskRun, shown: Progress,
                   begun: Callable[[], Awaitable[None]] | None = None) -> TaskReply:
    """The reply, its text shown as it is written; `begun` is told when the first words come."""
    async for view in run.snapshots():
        if begun is not None:
            told, begun = begun, None
            await told()
        await shown.progress(view)
    return await run.reply()


class RequestDesk:
    """Admits, records, writes and closes every request; holds the store, the queue, the settings and the learner
    (see the module's docstring)."""

    def __init__(self, store: Store, queue: JobQueue, settings: Settings, *, model_name: str = "",
                 learner: Learner | None = None) -> None:
        self.store = store
        self.queue = queue
        self.settings = settings
        self.model_name = model_name
        self.learner = learner or Learner(store)
        self._last_use: OrderedDict[tuple[int, int, str], float] = OrderedDict()
        self._recent: OrderedDict[int, deque[float]] = OrderedDict()

    # -- checks ---------------------------------------------------------------------------------------------------
    async def check(self, place: Place, command: str) -> str | None:
        """A friendly refusal, or None when the member may run `command` there now."""
        guild_id = place.guild_id
        if guild_id is None:
            return t(DIRECT_MESSAGES, place.locale)
        if not await self.store.command_enabled(guild_id, command, channel_id=place.channel_id or 0,
                                                category_id=place.category_id):
            return await self.where_enabled(guild_id, command, place.locale)
        now = time.monotonic()
        cooldown = await self.store.cooldown(guild_id, command)
        wait = cooldown_left(self._last_use.get((guild_id, place.user_id, command)), cooldown, now)
        if wait:
            return t("You can use /{command} again in {wait} s (this server's cooldown for /{command} is "
                     "{cooldown} s).", place.locale, command=command_name(command, place.locale), wait=wait,
                     cooldown=cooldown)
        count, window = self.settings.user_rate
        wait = rate_left(self._recent.get(place.user_id, deque()), count, window, now)
        if wait:
            return t("You're sending requests faster than I can keep up with. Please try again in {wait} s.",
                     place.locale, wait=wait)
        return None

    async def where_enabled(self, guild_id: int, command: str, locale: str) -> str:
        """The refusal where `command` is switched off, naming the places where it works (or saying it works
        nowhere), as the moderators' own `/cinebot` answers do."""
        settings = await self.store.guild_settings(guild_id)
        return t("The moderators have switched /{command} off here. {where}", locale,
                 command=command_name(command, locale), where=where_it_works(command, settings.rules, locale))

    def mark_used(self, place: Place, command: str) -> None:
        """Count a use of `command` by this member: its cooldown and the member's rate limit start now."""
        now = time.monotonic()
        key = (place.guild_id or 0, place.user_id, command)
        self._last_use[key] = now
        self._last_use.move_to_end(key)
        recent = self._recent.setdefault(place.user_id, deque())
        recent.append(now)
        self._recent.move_to_end(place.user_id)
        for table in (self._last_use, self._recent):
            while len(table) > _MEMORY:
                table.popitem(last=False)  # type: ignore[call-arg]

    # -- open -----------------------------------------------------------------------------------------------------
    async def style(self, guild_id: int | None, user_id: int, command: str) -> str | None:
        """How the replies this server liked most for `command` are written (for /review: this member's own, to
        keep their voice), as a description that carries none of their words (`runner.describe_style`)."""
        if guild_id is None or command == "mood":
            return None
        liked = await self.store.liked_examples(guild_id, command, limit=20)
        if command == "review":
            liked = [job for job in liked if job.user_id == user_id]
        return runner.describe_style([job.output for job in liked[:STYLE_EXAMPLES] if job.output])

    async def language(self, place: Place, job: Prepared) -> str:
        """The language the reply is written in: the one the moderators pinned for this channel or server, else
        the language of the member's own words in the request, else their client's (`place.locale`)."""
        if place.guild_id is not None:
            pinned = await self.store.pinned_language(place.guild_id, place.channel_id)
            if pinned in LANGUAGES:
                return pinned
        words = job.words
        # never waits for the identifier to load: this runs before the interaction is acknowledged
        found = await asyncio.to_thread(detect, words, wait=False) if words.strip() else None
        return found or place.locale

    async def start(self, job: Prepared, place: Place) -> runner.TaskRun:
        """Queue `job` as this server's community would have it: in the variant its reactions favour
        (`bot.learning`), guided by the style of its liked replies, in the member's language (`language`).
        Raises `QueueFull`/`JobError` at once."""
        style = await self.style(place.guild_id, place.user_id, job.command)
        variant = await self.learner.choose(place.guild_id if self.settings.adapt == "on" else None, job.command)
        language = await self.language(place, job)
        return runner.submit(self.queue, job.spec, job.inp, style=style, variant=variant, language=language,
                             labels=labels_in(job.spec.labels, language))

    async def open(self, job: Prepared, place: Place, *, check: bool = True) -> Ticket | str:
        """Admit a request: checked (`check` False: the caller checked just before, or it is the `OPERATOR`'s),
        queued, counted for the cooldown and the rate limit. A refusal for the member (a full queue too) instead
        of a ticket."""
        refusal = await self.check(place, job.command) if check else None
        if refusal:
            return refusal
        try:
            run = await self.start(job, place)
        except JobError as exc:  # QueueFull too
            return str(exc)
        self.mark_used(place, job.command)
        return Ticket(job, place, run)

    async def record(self, ticket: Ticket, *, application_id: int | None = None, token: str | None = None,
                     expires: datetime | None = None, author: str | None = None) -> int:
        """Keep an admitted request as a job, and (given the webhook's `application_id`, `token` and when it
        `expires`) what a later process needs to finish its reply if this one stops before it is delivered."""
        assert ticket.run is not None
        ticket.job_id = await self._open_job(ticket.run, ticket.job, ticket.place)
        if application_id is not None and token is not None and expires is not None:
            await self.store.open_request(ticket.job_id, application_id=application_id, token=token,
                                          expires=expires, author=author, locale=ticket.place.locale)
        return ticket.job_id

    async def request_message(self, job_id: int, message_id: int) -> None:
        """The message the request's reply is written in (known once the first edit returns it)."""
        await self.store.request_message(job_id, message_id)

    # -- write, close ---------------------------------------------------------------------------------------------
    async def write(self, ticket: Ticket, delivery: Delivery) -> None:
        """Stream a queued request's reply into `delivery`, keep it written, deliver it, close it. A stop of the
        bot (`WorkerStopped`) leaves the request to the next start."""
        run, job_id = ticket.run, ticket.job_id
        assert run is not None
        watcher = asyncio.create_task(self._positions(run, delivery))

        async def begun() -> None:  # the model began writing it: an attempt (two crashes while writing: no third)
            watcher.cancel()
            await self.store.request_running(job_id)

        try:
            reply = await streamed(run, delivery, begun)
        except WorkerStopped:
            log.info("job %s left to the next start: the bot is stopping", job_id)
            await delivery.stopping()
            return
        except JobError as exc:
            await self.end(job_id, "cancelled" if isinstance(exc, JobCancelled) else "failed", str(exc))
            await delivery.error(str(exc))
            return
        except Exception:
            log.exception("job %s for /%s failed", job_id, ticket.command)
            run.cancel()
            await self.end(job_id, "failed", "internal error")
            await delivery.error(t(SORRY, ticket.place.locale))
            return
        finally:
            watcher.cancel()
        await self.store.request_written(job_id, written(reply))
        await self.deliver(ticket, reply, delivery, another_take=bool(run.variant_name))

    async def deliver(self, ticket: Ticket, reply: TaskReply, delivery: Delivery, *, another_take: bool) -> None:
        """The written reply delivered, closed with the job, its messages stored, then the reactions invited."""
        job_id = ticket.job_id
        try:
            sent = await delivery.finish(reply)
        except NotDelivered:
            log.exception("could not deliver the reply to job %s", job_id)
            await self.end(job_id, "failed", "reply could not be delivered")
            await delivery.error(t(NOT_TAKEN, ticket.place.locale))
            return
        await self._close_job(job_id, reply)
        await self.store.end_request(job_id, "delivered" if sent else "expired")
        for part, message in enumerate(sent):
            await self.store.add_reply(message_id=message.message_id, job_id=job_id, channel_id=message.channel_id,
                                       guild_id=ticket.place.guild_id, part=part)
        if sent:
            await delivery.done(another_take=another_take)

    async def end(self, job_id: int, status: str, error: str) -> None:
        """A job that will not be written: failed (or cancelled), its request too."""
        await self.store.fail_job(job_id, status=status, error=error)
        await self.store.end_request(job_id, "failed")

    async def _positions(self, run: runner.TaskRun, delivery: Delivery) -> None:
        """While the job waits, its place in the queue, told when it changes."""
        shown = -1
        try:
            await asyncio.sleep(POSITION_GRACE_S)
            while not run.handle.done:
                position = run.position()
                if position == 0:
                    if shown > 0:
                        await delivery.queued(0)
                    return
                if position != shown:
                    await delivery.queued(position)
                    shown = position
                await asyncio.sleep(POSITION_POLL_S)
        except asyncio.CancelledError:
            pass

    async def _open_job(self, run: runner.TaskRun, job: Prepared, place: Place, parent_job: int | None = None) -> int:
        """Store a queued job: its request as sent, and the variant it is written in."""
        return await self.store.create_job(
            guild_id=place.guild_id, channel_id=place.channel_id, user_id=place.user_id, command=job.command,
            inputs=job.inputs, prompt=list(run.request.messages),
            settings={"max_new_tokens": run.request.max_new_tokens, "decoding": "greedy",
                      **({"language": run.language} if run.language else {})},
            model=self.model_name, variant=run.variant_name or None, parent_job=parent_job)

    async def _close_job(self, job_id: int, reply: TaskReply) -> None:
        r = reply.result
        await self.store.finish_job(
            job_id, output=reply.text, raw_output=reply.raw, prompt_tokens=r.prompt_tokens,
            completion_tokens=r.completion_tokens, queue_s=r.queue_s, generate_s=r.generate_s, model=r.model)

    # -- after a restart ------------------------------------------------------------------------------------------
    async def unfinished(self) -> list[tuple[RequestRow, JobRow]]:
        """The requests a previous process left unfinished, with their jobs."""
        return await self.store.unfinished_requests()

    @staticmethod
    def worn_out(request: RequestRow) -> bool:
        """Whether the request was being written through `RESUME_ATTEMPTS` crashes (it is not tried again)."""
        return request.state == "running" and request.attempts >= RESUME_ATTEMPTS

    @staticmethod
    def resumed(row: JobRow, job: Prepared, locale: str = ENGLISH) -> Ticket:
        """The ticket of a stored request, its job prepared again (`requeue` queues it); `locale`: the catalog its
        member reads the bot's messages in (stored with the request)."""
        return Ticket(job, Place(row.user_id, row.guild_id, row.channel_id, locale=locale), job_id=row.id)

    async def requeue(self, ticket: Ticket, row: JobRow) -> None:
        """Queue a stored request (`row`) again, in the variant and the language it was first written in."""
        await self.store.reopen_job(ticket.job_id)
        place, job = ticket.place, ticket.job
        ticket.run = runner.submit(self.queue, job.spec, job.inp,
                                   style=await self.style(place.guild_id, place.user_id, job.command),
                                   variant=variant_named(job.command, row.variant) if row.variant else None,
                                   language=row.settings.get("language"),
                                   labels=labels_in(job.spec.labels, row.settings.get("language") or ENGLISH))

    async def lose(self, job_id: int, why: str) -> None:
        """A stored request that cannot be finished: its job failed, its request expired."""
        await self.store.fail_job(job_id, status="failed", error=f"not resumed: {why}")
        await self.store.end_request(job_id, "expired")

    # -- another take (🔁) ------------------------------------------------------------------------------------------
    async def another_take(self, first: JobRow, job: Prepared) -> Ticket:
        """`first`'s request queued again in another variant, kept as its second take (when members then rate
        one above the other, the pair is their preference: `settle_take`). Raises `JobError` (`QueueFull` too)."""
        variant = await self.learner.choose(first.guild_id, first.command, besides=first.variant)
        language = first.settings.get("language")
        run = runner.submit(self.queue, job.spec, job.inp, variant=variant, language=language,
                            labels=labels_in(job.spec.labels, language or ENGLISH))
        return Ticket(job, Place(first.user_id, first.guild_id, first.channel_id), run)

    async def record_take(self, ticket: Ticket, first: JobRow) -> int:
        assert ticket.run is not None
        ticket.job_id = await self._open_job(ticket.run, ticket.job, ticket.place, parent_job=first.id)
        await self.store.add_take(first_job=first.id, second_job=ticket.job_id, user_id=first.user_id)
        return ticket.job_id

    async def close_take(self, ticket: Ticket, reply: TaskReply, sent: Sent) -> None:
        await self._close_job(ticket.job_id, reply)
        await self.store.add_reply(message_id=sent.message_id, job_id=ticket.job_id, channel_id=sent.channel_id,
                                   guild_id=ticket.place.guild_id)

    async def take_failed(self, ticket: Ticket, error: str) -> None:
        await self.store.fail_job(ticket.job_id, status="failed", error=error)

    # -- cards (/film, /recommend) --------------------------------------------------------------------------------
    async def card(self, command: str, place: Place, sent: Sent, *, inputs: dict[str, Any], output: str) -> None:
        """A reply made without the language model, stored as a job with its reply (the caller counted the use
        when it sent it)."""
        job_id = await self.store.create_job(
            guild_id=place.guild_id, channel_id=place.channel_id, user_id=place.user_id, command=command,
            inputs=inputs, prompt=[], settings={}, model="film catalog")
        await self.store.finish_job(job_id, output=output, raw_output=output, prompt_tokens=0, completion_tokens=0,
                                    queue_s=0.0, generate_s=0.0, model="film catalog")
        await self.store.add_reply(message_id=sent.message_id, job_id=job_id, channel_id=sent.channel_id,
                                   guild_id=place.guild_id)

    # -- the moderators' settings ---------------------------------------------------------------------------------
    async def guild_settings(self, guild_id: int) -> GuildSettings:
        return await self.store.guild_settings(guild_id)

    async def set_command_scope(self, guild_id: int, command: str, *, scope: str, scope_id: int,
                                enabled: bool) -> None:
        await self.store.set_command_scope(guild_id, command, scope=scope, scope_id=scope_id, enabled=enabled)

    async def clear_command_scope(self, guild_id: int, command: str, scope: str, scope_id: int) -> bool:
        return await self.store.clear_command_scope(guild_id, command, scope, scope_id)

    async def set_cooldown(self, guild_id: int, command: str, seconds: int) -> None:
        await self.store.set_cooldown(guild_id, command, seconds)

    async def pin_language(self, guild_id: int, scope: str, scope_id: int, locale: str | None) -> None:
        """The replies' language pinned server-wide or in a channel (None: each member's own again)."""
        await self.store.pin_language(guild_id, scope, scope_id, locale)

    async def language_pins(self, guild_id: int) -> dict[tuple[str, int], str]:
        return await self.store.language_pins(guild_id)

    async def set_mood_cap(self, guild_id: int, messages: int) -> None:
        await self.store.set_mood_cap(guild_id, messages)

    async def mood_cap(self, guild_id: int) -> int:
        return await self.store.mood_cap(guild_id)

    async def forget_learning(self, guild_id: int, command: str) -> None:
        await self.store.forget_learning(guild_id, command)

    async def standings(self, guild_id: int, command: str) -> list[Standing]:
        """What this server's reactions taught the learner about `command`'s variants."""
        return await self.learner.standings(guild_id, command)

    async def feedback_summary(self, guild_id: int) -> dict[str, dict[str, int]]:
        return await self.store.guild_feedback_summary(guild_id)

    # -- the members' reactions -----------------------------------------------------------------------------------
    async def record_reaction(self, *, message_id: int, user_id: int, emoji: str, score: int, added: bool) -> bool:
        """One member's reaction on a reply, kept (False: the message is no stored reply)."""
        return await self.store.record_reaction(message_id=message_id, user_id=user_id, emoji=emoji, score=score,
                                                added=added)

    async def job_for_message(self, message_id: int) -> JobRow | None:
        return await self.store.job_for_message(message_id)

    async def settle_take(self, job_id: int) -> int | None:
        return await self.store.settle_take(job_id)

    async def has_take(self, job_id: int) -> bool:
        return await self.store.has_take(job_id)
