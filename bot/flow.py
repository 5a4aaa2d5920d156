"""The flow every task command shares, from the slash command to the final embed.

check (channel rules, cooldown, rate limit) → queue (a full queue answers at once) → defer → queue position →
streamed edits (at most one per `edit_interval_s`, with a "still writing" marker) → final embeds split at
Discord's limits → stored reply + 👍/👎. Problems are told to the member ephemerally; nothing ever pings.
If the interaction token has expired (15 minutes), the reply is posted in the channel instead.
A command that needs time before its job can be queued (reading a channel's history) may defer first;
the flow then skips its own defer, and a refusal after that replaces the public placeholder privately.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import math
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import discord

from bot.commands import COLOURS
from bot.learning import Learner
from bot.rules import where_it_works
from bot.services import Prepared
from models.llm.jobs import JobCancelled, JobError, JobResult, QueueFull, WorkerStopped
from models.tasks import runner
from models.tasks.runner import TaskReply
from models.tasks.variants import variant as variant_named
from models.text import neutralize_mentions

if TYPE_CHECKING:
    from bot.settings import Settings
    from bot.store import JobRow, RequestRow, Store
    from models.llm.jobs import JobQueue

log = logging.getLogger(__name__)

NO_PINGS = discord.AllowedMentions.none()
CONTENT_LIMIT = 2000
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_TOTAL_LIMIT = 6000
EMBEDS_PER_MESSAGE = 10
TOKEN_LIFETIME_S = 15 * 60
TOKEN_SAFETY_S = 30
POSITION_GRACE_S = 1.0
WRITING = "\n\n✍️ *still writing…*"
RESTARTING = "⏳ *cinebot is restarting: your reply will follow in a moment.*"
Attachment = tuple[str, bytes]  # (file name, data): a file sent with the final reply
FEEDBACK_EMOJI = ("👍", "👎")
ANOTHER_TAKE = "🔁"  # a member's reaction asking for the reply written another way
STYLE_EXAMPLES = 5  # liked replies whose style (never their words) guides the next prompt
_MEMORY = 10_000  # bounded per-member bookkeeping


def split_text(text: str, limit: int) -> list[str]:
    """Split at paragraph, then line, then sentence, then word boundaries into parts of at most `limit`."""
    parts: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), -1)
        for sep in ("\n", ". ", "! ", "? ", " "):
            if cut > limit // 3:
                break
            cut = window.rfind(sep)
            if cut > 0 and sep != "\n":
                cut += len(sep) - 1
        if cut <= 0:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


def pack_embeds(embeds: Sequence[discord.Embed]) -> list[list[discord.Embed]]:
    """Group embeds into messages of at most 10 embeds and 6000 characters."""
    groups: list[list[discord.Embed]] = [[]]
    size = 0
    for embed in embeds:
        n = len(embed)  # discord.py counts an embed's characters as Discord does
        if groups[-1] and (len(groups[-1]) == EMBEDS_PER_MESSAGE or size + n > EMBED_TOTAL_LIMIT):
            groups.append([])
            size = 0
        groups[-1].append(embed)
        size += n
    return groups


def text_embeds(title: str, text: str, *, colour: int, footer: str, author: str | None = None) -> list[discord.Embed]:
    """The reply as embeds: the first carries the title, the last the footer; long text continues across embeds."""
    title = neutralize_mentions(title)[:256]
    chunks = split_text(neutralize_mentions(text) or "(no text)", EMBED_DESCRIPTION_LIMIT - 100)
    embeds = []
    for i, chunk in enumerate(chunks):
        embed = discord.Embed(description=chunk, colour=colour)
        if i == 0:
            embed.title = title
            if author:
                embed.set_author(name=neutralize_mentions(author)[:256])
        embeds.append(embed)
    embeds[-1].set_footer(text=footer[:2048])
    return embeds


def token_deadline(interaction: discord.Interaction) -> datetime:
    """When Discord stops honouring the interaction's token (15 minutes after the interaction)."""
    return interaction.created_at + timedelta(seconds=TOKEN_LIFETIME_S)


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


def footer_for(reply: TaskReply) -> str:
    r = reply.result
    line = f"{r.model} · {r.completion_tokens} tokens · {r.generate_s:.1f} s · react 👍 or 👎 to tell me how I did"
    return line + (f" · {ANOTHER_TAKE} for another take" if reply.variant else "")


def make_files(attachments: Sequence[Attachment]) -> list[discord.File]:
    """Fresh `discord.File`s (each can be sent only once) for the attachments."""
    return [discord.File(io.BytesIO(data), filename=name) for name, data in attachments]


def scope_of(channel: Any) -> tuple[int, int | None]:
    """The (channel, category) ids that moderators' rules apply to: a thread counts as its parent channel."""
    if isinstance(channel, discord.Thread) and channel.parent is not None:
        channel = channel.parent
    return int(getattr(channel, "id", 0)), getattr(channel, "category_id", None)


@dataclass
class _Pacer:
    """Edits of one reply are never closer together than `interval` seconds, whoever makes them (queue position,
    streamed text, final reply), reconnects included: each waits for the rest of the interval since the last."""

    interval: float
    last_edit: float = -math.inf
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def due(self) -> bool:
        """Whether an edit now would not have to wait."""
        return time.monotonic() - self.last_edit >= self.interval

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """One edit at a time, at least `interval` after the last one."""
        async with self._lock:
            wait = self.last_edit + self.interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                yield
            finally:
                self.last_edit = time.monotonic()


@dataclass
class _Take:
    """Where another take (🔁) goes: a message of the bot's own in the channel, edited as the text streams."""

    message: discord.Message
    pacer: _Pacer

    def due(self) -> bool:
        return self.pacer.due()

    async def edit(self, **kwargs: Any) -> discord.Message | None:
        async with self.pacer.turn():
            return await self.message.edit(allowed_mentions=NO_PINGS, **kwargs)


class _Surface:
    """Where a reply's message lives on Discord: the interaction's own webhook while the member's interaction is
    in this process (`_InteractionSurface`), or the same webhook rebuilt from the store after a restart
    (`_WebhookSurface`)."""

    label = "a member"
    mention = ""

    @property
    def channel(self) -> Any:
        return None

    async def edit_original(self, **kwargs: Any) -> discord.Message:
        raise NotImplementedError

    async def followup(self, **kwargs: Any) -> discord.Message:
        raise NotImplementedError

    async def delete_original(self) -> None:
        raise NotImplementedError


class _InteractionSurface(_Surface):
    def __init__(self, interaction: discord.Interaction) -> None:
        self.interaction = interaction
        self.label = str(interaction.user.id)
        self.mention = interaction.user.mention

    @property
    def channel(self) -> Any:
        return self.interaction.channel

    async def edit_original(self, **kwargs: Any) -> discord.Message:
        return await self.interaction.edit_original_response(**kwargs)

    async def followup(self, **kwargs: Any) -> discord.Message:
        return await self.interaction.followup.send(wait=True, **kwargs)

    async def delete_original(self) -> None:
        await self.interaction.delete_original_response()


class _WebhookSurface(_Surface):
    """A request a previous process left unfinished: its interaction's webhook (application id and token, from
    the store), the reply's message when known (else Discord's "@original"), its channel (as a partial
    messageable: no gateway cache needed)."""

    def __init__(self, client: discord.Client, request: RequestRow, channel_id: int | None, user_id: int) -> None:
        assert request.token is not None
        self.webhook = discord.Webhook.partial(request.application_id, request.token, client=client)
        self.webhook.type = discord.WebhookType.application  # an interaction's: it may send ephemeral messages
        self.message_id: Any = request.message_id or "@original"  # Discord's name for the interaction's reply
        self._channel = client.get_partial_messageable(channel_id) if channel_id else None
        self.label = str(user_id)
        self.mention = f"<@{user_id}>"  # shown as a name, never a ping (every send has NO_PINGS)

    @property
    def channel(self) -> Any:
        return self._channel

    async def edit_original(self, **kwargs: Any) -> discord.Message:
        return await self.webhook.edit_message(self.message_id, **kwargs)

    async def followup(self, **kwargs: Any) -> discord.Message:
        return await self.webhook.send(wait=True, **kwargs)

    async def delete_original(self) -> None:
        await self.webhook.delete_message(self.message_id)


@dataclass
class _Target:
    """Where a reply goes: the interaction's message while its token lives (until `deadline`), else the channel;
    its edits paced (`_Pacer`). `on_message` is told the reply's message id by the first edit that returns it."""

    surface: _Surface
    deadline: datetime
    pacer: _Pacer
    expired: bool = False
    on_message: Callable[[int], Awaitable[None]] | None = None

    def token_alive(self) -> bool:
        return not self.expired and datetime.now(UTC) < self.deadline - timedelta(seconds=TOKEN_SAFETY_S)

    def due(self) -> bool:
        return self.pacer.due()

    async def edit(self, **kwargs: Any) -> discord.Message | None:
        if not self.token_alive():
            return None
        try:
            async with self.pacer.turn():
                message = await self.surface.edit_original(allowed_mentions=NO_PINGS, **kwargs)
        except (discord.NotFound, discord.Forbidden) as exc:
            log.info("the reply to %s can no longer be edited (%s); falling back to the channel", self.surface.label,
                     exc)
            self.expired = True
            return None
        except discord.HTTPException as exc:
            if exc.status == 401 or getattr(exc, "code", 0) == 50027:  # invalid webhook token
                self.expired = True
                return None
            raise
        if self.on_message is not None and message is not None:
            told, self.on_message = self.on_message, None
            await told(message.id)
        return message

    async def finish(self, embeds: list[discord.Embed], command: str,
                     files: Sequence[Attachment] = ()) -> list[discord.Message]:
        """The final reply; `files` go with its first message (where an embed can show them as
        `attachment://name`)."""
        groups = pack_embeds(embeds)
        sent: list[discord.Message] = []
        first = await self.edit(content=None, embeds=groups[0], **({"attachments": make_files(files)} if files else {}))
        if first is not None:
            sent.append(first)
            for group in groups[1:]:
                sent.append(await self.surface.followup(embeds=group, allowed_mentions=NO_PINGS))
            return sent
        channel = self.surface.channel
        if channel is None or not hasattr(channel, "send"):
            return sent
        note = f"{self.surface.mention}, here is your /{command} (the original request had expired)."
        for i, group in enumerate(groups):
            content = note if i == 0 else None
            if i == 0 and files:
                sent.append(await channel.send(content=content, embeds=group, files=make_files(files),
                                               allowed_mentions=NO_PINGS))
            else:
                sent.append(await channel.send(content=content, embeds=group, allowed_mentions=NO_PINGS))
        return sent

    async def error(self, message: str, *, placeholder: str = "⚠️ This request did not finish.",
                    prefix: str = "⚠️ ") -> None:
        """Tell the member privately; remove the public placeholder."""
        if not self.token_alive():
            log.info("could not tell %s (token expired): %s", self.surface.label, message)
            return
        try:
            # the placeholder is edited first: after a "thinking" defer, the first follow-up would replace it
            # (publicly) instead of being a private message of its own
            async with self.pacer.turn():
                await self.surface.edit_original(content=placeholder, embeds=[], allowed_mentions=NO_PINGS)
            await self.surface.followup(content=f"{prefix}{message}", ephemeral=True, allowed_mentions=NO_PINGS)
            await self.surface.delete_original()
        except discord.HTTPException:
            log.exception("could not report an error to %s", self.surface.label)


Renderer = Callable[[TaskReply], list[discord.Embed]]


async def _logged(work: Coroutine[Any, Any, None], what: str) -> None:
    """`work` in a background task: an exception is logged, never lost."""
    try:
        await work
    except Exception:
        log.exception("%s failed", what)


@dataclass(frozen=True)
class Resumption:
    """A stored request made ready to run again after a restart: the job, and how its reply is shown (as `run`
    takes them; `render` None: the default, with the stored author line)."""

    job: Prepared
    render: Renderer | None = None
    files: Sequence[Attachment] = ()
    preview: Sequence[discord.Embed] = ()


# a command's way to make a stored request ready again (a cog that renders its reply itself registers one)
Resumer = Callable[["JobRow"], Awaitable[Resumption | None]]
RESUME_ATTEMPTS = 2  # a request that was being written through this many crashes is not tried again


def _default_render(job: Prepared, author: str | None) -> Renderer:
    """The job's title over the reply's text; the footer says where the facts come from and the job's figures."""
    def render(reply: TaskReply) -> list[discord.Embed]:
        footer = f"{job.source}\n{footer_for(reply)}" if job.source else footer_for(reply)
        return text_embeds(job.title, reply.text, colour=COLOURS[job.command], footer=footer, author=author)

    return render


class TaskFlow:
    """Runs task commands for the cogs: checks, queue, streaming, final reply, storage, reactions."""

    def __init__(self, store: Store, queue: JobQueue, settings: Settings, *, model_name: str = "",
                 learner: Learner | None = None) -> None:
        self.store = store
        self.queue = queue
        self.settings = settings
        self.model_name = model_name
        self.learner = learner or Learner(store)
        self._last_use: OrderedDict[tuple[int, int, str], float] = OrderedDict()
        self._recent: OrderedDict[int, deque[float]] = OrderedDict()
        self.in_flight: set[asyncio.Task[Any]] = set()
        self.resumers: dict[str, Resumer] = {}  # command -> how its cog makes a stored request ready again

    # -- checks -------------------------------------------------------------------------------------
    async def check(self, interaction: discord.Interaction, command: str) -> str | None:
        """A friendly refusal, or None when the member may run `command` here now."""
        guild = interaction.guild
        if guild is None:
            return "cinebot's commands work in servers, not in direct messages."
        store = self.store
        channel_id, category_id = scope_of(interaction.channel)
        if not await store.command_enabled(guild.id, command, channel_id=channel_id, category_id=category_id):
            return await self.where_enabled(guild.id, command)
        now = time.monotonic()
        cooldown = await store.cooldown(guild.id, command)
        last = self._last_use.get((guild.id, interaction.user.id, command))
        if cooldown and last is not None and now - last < cooldown:
            wait = math.ceil(cooldown - (now - last))
            return f"You can use /{command} again in {wait} s (this server's cooldown for /{command} is {cooldown} s)."
        count, window = self.settings.user_rate
        recent = self._recent.get(interaction.user.id, deque())
        while recent and now - recent[0] > window:
            recent.popleft()
        if len(recent) >= count:
            wait = math.ceil(window - (now - recent[0]))
            return f"You're sending requests faster than I can keep up with. Please try again in {wait} s."
        return None

    async def where_enabled(self, guild_id: int, command: str) -> str:
        """The refusal where `command` is switched off, naming the places where it works (or saying it works
        nowhere), as the moderators' own `/cinebot` answers do."""
        settings = await self.store.guild_settings(guild_id)
        return f"The moderators have switched /{command} off here. {where_it_works(command, settings.rules)}"

    async def style(self, guild_id: int | None, user_id: int, command: str) -> str | None:
        """How the replies this server liked most for `command` are written (for /review: this member's own, to
        keep their voice), as a description that carries none of their words (`runner.describe_style`)."""
        if guild_id is None or command == "mood":
            return None
        liked = await self.store.liked_examples(guild_id, command, limit=20)
        if command == "review":
            liked = [job for job in liked if job.user_id == user_id]
        return runner.describe_style([job.output for job in liked[:STYLE_EXAMPLES] if job.output])

    async def start(self, job: Prepared, *, guild_id: int | None, user_id: int) -> runner.TaskRun:
        """Queue `job` as this server's community would have it: in the variant its reactions favour
        (`bot.learning`), guided by the style of its liked replies. Raises `QueueFull`/`JobError` at once."""
        style = await self.style(guild_id, user_id, job.command)
        variant = await self.learner.choose(guild_id if self.settings.adapt == "on" else None, job.command)
        return runner.submit(self.queue, job.spec, job.inp, style=style, variant=variant)

    def mark_used(self, interaction: discord.Interaction, command: str) -> None:
        """Count a use of `command` by this member: its cooldown and the member's rate limit start now."""
        now = time.monotonic()
        guild_id = interaction.guild.id if interaction.guild else 0
        key = (guild_id, interaction.user.id, command)
        self._last_use[key] = now
        self._last_use.move_to_end(key)
        recent = self._recent.setdefault(interaction.user.id, deque())
        recent.append(now)
        self._recent.move_to_end(interaction.user.id)
        for table in (self._last_use, self._recent):
            while len(table) > _MEMORY:
                table.popitem(last=False)  # type: ignore[call-arg]

    # -- running --------------------------------------------------------------------------------------
    async def refuse(self, interaction: discord.Interaction, message: str) -> None:
        """An ephemeral answer, whether or not the interaction was already answered (or deferred)."""
        if not interaction.response.is_done():
            await interaction.response.send_message(message, ephemeral=True, allowed_mentions=NO_PINGS)
        elif interaction.response.type is discord.InteractionResponseType.deferred_channel_message:
            # a "thinking" placeholder: say it privately and take the placeholder away
            await self._target(interaction).error(message, placeholder="…", prefix="")
        else:
            await interaction.followup.send(message, ephemeral=True, allowed_mentions=NO_PINGS)

    async def defer(self, interaction: discord.Interaction) -> bool:
        """Show the public "thinking…" placeholder now, for a command that needs time before `run`.
        False when Discord would not take it (the interaction is gone)."""
        try:
            await interaction.response.defer(thinking=True)
        except discord.HTTPException:
            log.warning("could not defer interaction %s", interaction.id)
            return False
        return True

    async def run(self, interaction: discord.Interaction, job: Prepared, *, render: Renderer | None = None,
                  author: str | None = None, files: Sequence[Attachment] = (),
                  preview: Sequence[discord.Embed] = (), checked: bool = False) -> None:
        """Run one prepared job (`bot.services`) for an interaction, start to finish.

        `render` makes the final embeds from the reply (default: the job's title, the text, and a footer with
        the job's source and figures; `author` above the title). `files` are sent with the final reply.
        `preview`: embeds (with the files) shown as soon as the job is queued, below the streamed text, until
        the final reply replaces them. `checked`: the command ran `check` itself just before (it had work to do
        first, such as reading a channel), so it is not checked twice.
        """
        current = asyncio.current_task()
        if current is not None:
            self.in_flight.add(current)
            current.add_done_callback(self.in_flight.discard)
        await self._run(interaction, job, render=render or _default_render(job, author), files=files,
                        preview=preview, checked=checked, author=author)

    async def show(self, interaction: discord.Interaction, embeds: Sequence[discord.Embed],
                   files: Sequence[Attachment] = ()) -> None:
        """Show what is ready in the deferred reply before its job is queued (/mood's figures and chart while the
        model reads the quoted messages again); `run` shows its `preview` again when the job starts."""
        try:
            await self._target(interaction).edit(embeds=list(embeds),
                                                 **({"attachments": make_files(files)} if files else {}))
        except discord.HTTPException:
            log.warning("could not show the figures for interaction %s", interaction.id, exc_info=True)

    async def drain(self, timeout_s: float) -> None:
        """Wait (up to `timeout_s`) for the replies in flight to be delivered, at shutdown."""
        pending = [t for t in self.in_flight if t is not asyncio.current_task()]
        if pending:
            await asyncio.wait(pending, timeout=timeout_s)

    def _target(self, interaction: discord.Interaction) -> _Target:
        return _Target(_InteractionSurface(interaction), token_deadline(interaction),
                       _Pacer(self.settings.edit_interval_s))

    async def _run(self, interaction: discord.Interaction, job: Prepared, *, render: Renderer,
                   files: Sequence[Attachment], preview: Sequence[discord.Embed], checked: bool,
                   author: str | None = None) -> None:
        command = job.command
        refusal = None if checked else await self.check(interaction, command)
        if refusal:
            await self.refuse(interaction, refusal)
            return
        try:
            run = await self.start(job, guild_id=interaction.guild_id, user_id=interaction.user.id)
        except QueueFull as exc:
            await self.refuse(interaction, str(exc))
            return
        except JobError as exc:
            await self.refuse(interaction, str(exc))
            return
        self.mark_used(interaction, command)
        if not interaction.response.is_done() and not await self.defer(interaction):
            run.cancel()  # the interaction is gone: nobody would see the reply
            return
        target = self._target(interaction)
        channel_id, _ = scope_of(interaction.channel)
        job_id = await self._open_job(run, job, guild_id=interaction.guild_id, channel_id=channel_id,
                                      user_id=interaction.user.id)
        # what a later process needs to finish this reply if this one stops before it is delivered
        await self.store.open_request(job_id, application_id=interaction.application_id, token=interaction.token,
                                      expires=target.deadline, author=author)
        await self._write(run, job_id, command, target, render=render, files=files, preview=preview,
                          guild_id=interaction.guild_id)

    # -- after a restart -------------------------------------------------------------------------------
    async def resume(self, client: discord.Client, rebuild: Callable[[str, dict[str, Any]], Prepared | None]) -> int:
        """Take up every request a previous process left unfinished, before any new work: each is queued again
        now (or, if it was written, delivered) and finished in the background in its original message, streamed
        and paced as usual. A request whose token has run out is ended and its member told in the channel; one
        that was being written through `RESUME_ATTEMPTS` crashes fails with a message. `rebuild` prepares a
        stored request again from its options (`bot.commands.prepare`); a command registered in `resumers` is
        made ready by its cog. Returns how many requests were found."""
        found = await self.store.unfinished_requests()
        for request, job in found:
            try:
                work = await self._resume_one(client, request, job, rebuild)
            except Exception:  # one broken record never keeps the bot from starting
                log.exception("could not resume job %s", job.id)
                work = self._tell_lost(client, request, job, "something went wrong on my side")
            task = asyncio.create_task(_logged(work, f"resuming job {job.id}"), name=f"resume-{job.id}")
            self.in_flight.add(task)
            task.add_done_callback(self.in_flight.discard)
        if found:
            log.info("resuming %d request(s) a previous process left unfinished", len(found))
        return len(found)

    async def _resume_one(self, client: discord.Client, request: RequestRow, job: JobRow,
                          rebuild: Callable[[str, dict[str, Any]], Prepared | None]) -> Coroutine[Any, Any, None]:
        """What finishes one stored request (already queued again when it must be written again)."""
        surface = _WebhookSurface(client, request, job.channel_id, job.user_id)
        target = _Target(surface, request.expires_at(), _Pacer(self.settings.edit_interval_s))
        if not target.token_alive():
            return self._tell_lost(client, request, job, "Discord no longer lets me edit that reply")
        if request.state == "running" and request.attempts >= RESUME_ATTEMPTS:
            return self._give_up(job, target)
        resumer = self.resumers.get(job.command)
        ready = await resumer(job) if resumer is not None else None
        if ready is None and resumer is None:
            prepared = rebuild(job.command, job.inputs)
            ready = Resumption(prepared) if prepared is not None else None
        if ready is None:
            return self._tell_lost(client, request, job, "I can't prepare that request again")
        render = ready.render or _default_render(ready.job, request.author)
        if request.state == "written" and request.written is not None:
            return self._deliver(job.id, job.command, target, reply_from(request.written), render=render,
                                 files=ready.files, guild_id=job.guild_id, another_take=False)
        await self.store.reopen_job(job.id)
        run = runner.submit(self.queue, ready.job.spec, ready.job.inp,
                            style=await self.style(job.guild_id, job.user_id, job.command),
                            variant=variant_named(job.command, job.variant) if job.variant else None)
        return self._write(run, job.id, job.command, target, render=render, files=ready.files,
                           preview=ready.preview, guild_id=job.guild_id)

    async def _tell_lost(self, client: discord.Client, request: RequestRow, job: JobRow, why: str) -> None:
        """A stored request that cannot be finished: ended as expired, its member told in its channel (named,
        never pinged)."""
        await self.store.fail_job(job.id, status="failed", error=f"not resumed: {why}")
        await self.store.end_request(job.id, "expired")
        if job.channel_id is None:
            return
        when = int(datetime.fromisoformat(job.created_at).timestamp())
        try:
            await client.get_partial_messageable(job.channel_id).send(
                f"⚠️ <@{job.user_id}>, I restarted before your /{job.command} from <t:{when}:R> was finished, and "
                f"{why}. Please run it again.", allowed_mentions=NO_PINGS)
        except discord.HTTPException:
            log.warning("could not tell the member of job %s that it was not resumed", job.id)

    async def _give_up(self, job: JobRow, target: _Target) -> None:
        """A request that was being written through `RESUME_ATTEMPTS` crashes: failed, with a message."""
        await self._end(job.id, "failed", f"stopped the bot {RESUME_ATTEMPTS} times while being written")
        await target.error(f"The bot stopped {RESUME_ATTEMPTS} times while writing this reply, so I won't try it "
                           "again. Please try again, perhaps with shorter or different input.")

    async def _write(self, run: runner.TaskRun, job_id: int, command: str, target: _Target, *, render: Renderer,
                     files: Sequence[Attachment], preview: Sequence[discord.Embed], guild_id: int | None) -> None:
        """Stream a queued request's reply into its message, keep it written, deliver it. A stop of the bot
        (`WorkerStopped`) leaves the request to the next start."""
        target.on_message = lambda message_id: self.store.request_message(job_id, message_id)
        if preview:
            try:
                await target.edit(embeds=list(preview), **({"attachments": make_files(files)} if files else {}))
            except discord.HTTPException:
                log.warning("could not show the preview of job %s", job_id, exc_info=True)
        watcher = asyncio.create_task(self._show_position(run, target))
        try:
            reply = await self._stream(run, target, watcher, job_id=job_id)
        except WorkerStopped:
            log.info("job %s left to the next start: the bot is stopping", job_id)
            with contextlib.suppress(discord.HTTPException):
                await target.edit(content=RESTARTING, embeds=[])
            return
        except JobError as exc:
            status = "cancelled" if isinstance(exc, JobCancelled) else "failed"
            await self._end(job_id, status, str(exc))
            await target.error(str(exc))
            return
        except Exception:
            log.exception("job %s for /%s failed", job_id, command)
            run.cancel()
            await self._end(job_id, "failed", "internal error")
            await target.error("Something went wrong on my side. Please try again in a moment.")
            return
        finally:
            watcher.cancel()
        await self.store.request_written(job_id, written(reply))
        await self._deliver(job_id, command, target, reply, render=render, files=files, guild_id=guild_id,
                            another_take=bool(run.variant_name))

    async def _deliver(self, job_id: int, command: str, target: _Target, reply: TaskReply, *, render: Renderer,
                       files: Sequence[Attachment], guild_id: int | None, another_take: bool) -> None:
        """The written reply as its final message(s), stored with the job, with the reactions members answer."""
        try:
            messages = await target.finish(render(reply), command, files)
        except discord.HTTPException:
            log.exception("could not deliver the reply to job %s", job_id)
            await self._end(job_id, "failed", "reply could not be delivered")
            await target.error("I wrote your reply but Discord would not take it. Please try again.")
            return
        await self._close_job(job_id, reply)
        await self.store.end_request(job_id, "delivered" if messages else "expired")
        for part, message in enumerate(messages):
            await self.store.add_reply(message_id=message.id, job_id=job_id, channel_id=message.channel.id,
                                       guild_id=guild_id, part=part)
        if messages:
            await self._add_feedback_reactions(messages[-1], another_take=another_take)

    async def _end(self, job_id: int, status: str, error: str) -> None:
        """A job that will not be written: failed (or cancelled), its request too."""
        await self.store.fail_job(job_id, status=status, error=error)
        await self.store.end_request(job_id, "failed")

    async def another_take(self, channel: discord.abc.Messageable, reply_to: discord.PartialMessage, first: JobRow,
                           job: Prepared, *, author: str | None = None) -> int | None:
        """🔁 on a reply: the same request written in another variant, posted below the first in the channel
        (streamed like any reply), stored as a second take; when members then rate one above the other, the pair
        is their preference (`Store.settle_take`). Returns the new job's id (None if it could not be written)."""
        variant = await self.learner.choose(first.guild_id, first.command, besides=first.variant)
        try:
            run = runner.submit(self.queue, job.spec, job.inp, variant=variant)
        except JobError as exc:  # QueueFull too
            await channel.send(f"⚠️ {exc}", reference=reply_to, mention_author=False, allowed_mentions=NO_PINGS)
            return None
        message = await channel.send(f"{ANOTHER_TAKE} *writing another take…*", reference=reply_to,
                                     mention_author=False, allowed_mentions=NO_PINGS)
        job_id = await self._open_job(run, job, guild_id=first.guild_id, channel_id=first.channel_id,
                                      user_id=first.user_id, parent_job=first.id)
        await self.store.add_take(first_job=first.id, second_job=job_id, user_id=first.user_id)
        target = _Take(message, _Pacer(self.settings.edit_interval_s))
        try:
            reply = replace(await self._stream(run, target), variant="")  # no third take: no 🔁 in its footer
            embeds = _default_render(job, author)(reply)
            await target.edit(content=None, embeds=embeds[:EMBEDS_PER_MESSAGE])
        except (JobError, discord.HTTPException) as exc:
            await self.store.fail_job(job_id, status="failed", error=str(exc))
            await target.edit(content=f"⚠️ {exc if isinstance(exc, JobError) else 'Another take did not finish.'}")
            return None
        await self._close_job(job_id, reply)
        await self.store.add_reply(message_id=message.id, job_id=job_id, channel_id=message.channel.id,
                                   guild_id=first.guild_id)
        await self._add_feedback_reactions(message)
        return job_id

    async def _open_job(self, run: runner.TaskRun, job: Prepared, *, guild_id: int | None, channel_id: int | None,
                        user_id: int, parent_job: int | None = None) -> int:
        """Store a queued job: its request as sent, and the variant it is written in."""
        return await self.store.create_job(
            guild_id=guild_id, channel_id=channel_id, user_id=user_id, command=job.command, inputs=job.inputs,
            prompt=list(run.request.messages),
            settings={"max_new_tokens": run.request.max_new_tokens, "decoding": "greedy"},
            model=self.model_name, variant=run.variant_name or None, parent_job=parent_job)

    async def _close_job(self, job_id: int, reply: TaskReply) -> None:
        r = reply.result
        await self.store.finish_job(
            job_id, output=reply.text, raw_output=reply.raw, prompt_tokens=r.prompt_tokens,
            completion_tokens=r.completion_tokens, queue_s=r.queue_s, generate_s=r.generate_s, model=r.model)

    async def send_card(self, interaction: discord.Interaction, command: str, embed: discord.Embed, *,
                        inputs: dict[str, Any], output: str) -> None:
        """A reply made without the language model (/film, /recommend): sent at once, counted for the cooldown,
        stored as a job with its reply, and given 👍/👎 like every other reply."""
        await interaction.response.send_message(embed=embed, allowed_mentions=NO_PINGS)
        self.mark_used(interaction, command)
        message = await interaction.original_response()
        channel_id, _ = scope_of(interaction.channel)
        job_id = await self.store.create_job(
            guild_id=interaction.guild_id, channel_id=channel_id, user_id=interaction.user.id, command=command,
            inputs=inputs, prompt=[], settings={}, model="film catalog")
        await self.store.finish_job(job_id, output=output, raw_output=output, prompt_tokens=0, completion_tokens=0,
                                    queue_s=0.0, generate_s=0.0, model="film catalog")
        await self.store.add_reply(message_id=message.id, job_id=job_id, channel_id=message.channel.id,
                                   guild_id=interaction.guild_id)
        await self._add_feedback_reactions(message)

    async def _stream(self, run: runner.TaskRun, target: _Target | _Take,
                      watcher: asyncio.Task[None] | None = None, job_id: int | None = None) -> TaskReply:
        async for view in run.snapshots():
            if watcher is not None:
                watcher.cancel()
            if job_id is not None:  # the model began writing it: an attempt (two crashes while writing: no third)
                await self.store.request_running(job_id)
                job_id = None
            if target.due():  # else skip this snapshot: a later one (or the final reply) shows it
                shown = view if len(view) <= CONTENT_LIMIT - len(WRITING) else \
                    "…" + view[-(CONTENT_LIMIT - len(WRITING) - 1):]
                await target.edit(content=neutralize_mentions(shown) + WRITING)
        return await run.reply()

    async def _show_position(self, run: runner.TaskRun, target: _Target) -> None:
        """While the job waits, show its place in the queue (edited when it changes)."""
        shown = -1
        try:
            await asyncio.sleep(POSITION_GRACE_S)  # most jobs start at once: no "#1 in the queue" flash
            while not run.handle.done:
                position = run.position()
                if position == 0:
                    if shown != 0 and shown != -1:
                        await target.edit(content="✍️ *writing…*")
                    return
                if position != shown:
                    ahead = position - 1
                    await target.edit(content=f"⏳ You're #{position} in the queue "
                                      f"({ahead} request{'s' if ahead != 1 else ''} ahead of yours).")
                    shown = position
                await asyncio.sleep(2.0)
        except asyncio.CancelledError:
            pass
        except discord.HTTPException:
            log.debug("could not show queue position", exc_info=True)

    async def _add_feedback_reactions(self, message: discord.Message, *, another_take: bool = False) -> None:
        for emoji in (*FEEDBACK_EMOJI, ANOTHER_TAKE) if another_take else FEEDBACK_EMOJI:
            try:
                await message.add_reaction(emoji)
            except discord.HTTPException:
                log.info("could not add %s to %s", emoji, message.id)
                return
