"""Discord's side of every request: the interaction in, the reply's message out; the desk (`bot.desk`) decides.

check (the desk: channel rules, cooldown, rate limit) → queue (the desk; a full queue answers at once) → defer →
the desk's record → queue position → streamed edits (at most one per `edit_interval_s`, with a "still writing"
marker) → final embeds split at Discord's limits → the desk stores the reply → 👍/👎. `_Reply` is the desk's
`Delivery` on Discord. Problems are told to the member ephemerally; nothing ever pings. If the interaction token has
expired (15 minutes), the reply is posted in the channel instead. A command that needs time before its job exists
(reading a channel's history) runs through `run_read`: checked, deferred, read, then run; a refusal after the defer
replaces the public placeholder privately.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import discord

from bot.commands import COLOURS
from bot.desk import RESUME_ATTEMPTS, NotDelivered, Place, RequestDesk, Sent, Ticket, reply_from, streamed
from bot.i18n import ENGLISH, command_name, locale_for, t
from bot.learning import Learner
from bot.services import Prepared
from models.llm.jobs import JobError
from models.tasks.runner import TaskReply
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
WRITING = "✍️ *still writing…*"  # msgids (`bot.i18n.t`); the marker follows the text after an empty line
RESTARTING = "⏳ *cinebot is restarting: your reply will follow in a moment.*"
DID_NOT_FINISH = "⚠️ This request did not finish."  # the public placeholder, once the member is told privately
Attachment = tuple[str, bytes]  # (file name, data): a file sent with the final reply
FEEDBACK_EMOJI = ("👍", "👎")
# a request a restart could not finish, told in its channel (msgids; `member` names the member without a ping)
LOST_BROKEN = ("⚠️ {member}, I restarted before your /{command} from {when} was finished, and something went wrong "
               "on my side. Please run it again.")
LOST_EXPIRED = ("⚠️ {member}, I restarted before your /{command} from {when} was finished, and Discord no longer "
                "lets me edit that reply. Please run it again.")
LOST_UNPREPARED = ("⚠️ {member}, I restarted before your /{command} from {when} was finished, and I can't prepare "
                   "that request again. Please run it again.")
GAVE_UP = ("The bot stopped {attempts} times while writing this reply, so I won't try it again. Please try again, "
           "perhaps with shorter or different input.")
ANOTHER_TAKE = "🔁"  # a member's reaction asking for the reply written another way


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


def footer_for(reply: TaskReply, locale: str = ENGLISH) -> str:
    """The reply's figures and the invitation to react, in `locale`."""
    r = reply.result
    line = t("{model} · {tokens} tokens · {seconds} s · react 👍 or 👎 to tell me how I did", locale, model=r.model,
             tokens=r.completion_tokens, seconds=f"{r.generate_s:.1f}")
    return line + (" · " + t("🔁 for another take", locale) if reply.variant else "")


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

    async def progress(self, text: str) -> None:
        await _show_progress(self, text, ENGLISH)  # a reaction's take: no interaction, no member's language


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

    async def error(self, message: str, *, placeholder: str = DID_NOT_FINISH,
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


@dataclass(frozen=True)
class Card:
    """A reply made without the language model (/film, /recommend): its embed, the options and the text stored
    with it."""

    embed: discord.Embed
    inputs: dict[str, Any]
    output: str


# a command's way to make a stored request ready again (a cog that renders its reply itself registers one), given
# the catalog its member reads the bot's words in
Resumer = Callable[["JobRow", str], Awaitable[Resumption | None]]


def _default_render(job: Prepared, author: str | None, locale: str = ENGLISH) -> Renderer:
    """The job's title over the reply's text; the footer says where the facts come from and the job's figures (in
    `locale`)."""
    def render(reply: TaskReply) -> list[discord.Embed]:
        figures = footer_for(reply, locale)
        footer = f"{job.source}\n{figures}" if job.source else figures
        return text_embeds(job.title, reply.text, colour=COLOURS[job.command], footer=footer, author=author)

    return render


@dataclass
class _Reply:
    """A request's reply on Discord as the desk drives it (`bot.desk.Delivery`): its message (`_Target`: paced
    edits, the channel once the token expired), rendered by `render` with `files`, then 👍/👎 (and 🔁)."""

    target: _Target
    command: str
    render: Renderer
    files: Sequence[Attachment] = ()
    locale: str = ENGLISH  # the member's catalog (`Place.locale`)
    _last: discord.Message | None = None

    async def queued(self, position: int) -> None:
        try:
            if position == 0:
                await self.target.edit(content=t("✍️ *writing…*", self.locale))
            elif position == 2:
                await self.target.edit(content=t("⏳ You're #2 in the queue (1 request ahead of yours).", self.locale))
            else:
                waiting = t("⏳ You're #{position} in the queue ({ahead} requests ahead of yours).", self.locale,
                            position=position, ahead=position - 1)
                await self.target.edit(content=waiting)
        except discord.HTTPException:
            log.debug("could not show queue position", exc_info=True)

    async def progress(self, text: str) -> None:
        await _show_progress(self.target, text, self.locale)

    async def finish(self, reply: TaskReply) -> list[Sent]:
        try:
            messages = await self.target.finish(self.render(reply), self.command, self.files)
        except discord.HTTPException as exc:
            raise NotDelivered(str(exc)) from exc
        self._last = messages[-1] if messages else None
        return [Sent(m.id, m.channel.id) for m in messages]

    async def done(self, *, another_take: bool) -> None:
        if self._last is not None:
            await add_feedback_reactions(self._last, another_take=another_take)

    async def error(self, message: str) -> None:
        await self.target.error(message, placeholder=t(DID_NOT_FINISH, self.locale))

    async def stopping(self) -> None:
        with contextlib.suppress(discord.HTTPException):
            await self.target.edit(content=t(RESTARTING, self.locale), embeds=[])


async def _show_progress(target: _Target | _Take, text: str, locale: str) -> None:
    """The reply so far with the "still writing" marker (in `locale`), if an edit is due (else a later one shows
    it)."""
    if target.due():
        marker = "\n\n" + t(WRITING, locale)
        shown = text if len(text) <= CONTENT_LIMIT - len(marker) else "…" + text[-(CONTENT_LIMIT - len(marker) - 1):]
        await target.edit(content=neutralize_mentions(shown) + marker)


async def add_feedback_reactions(message: discord.Message, *, another_take: bool = False) -> None:
    """👍/👎 (and 🔁) on a delivered reply."""
    for emoji in (*FEEDBACK_EMOJI, ANOTHER_TAKE) if another_take else FEEDBACK_EMOJI:
        try:
            await message.add_reaction(emoji)
        except discord.HTTPException:
            log.info("could not add %s to %s", emoji, message.id)
            return


def locale_of(interaction: discord.Interaction) -> str:
    """The catalog a member is answered from: their client's language, else their server's, else English."""
    guild_locale = interaction.guild_locale
    return locale_for(interaction.locale.value if interaction.locale else None,
                      guild_locale.value if guild_locale else None)


def place_of(interaction: discord.Interaction) -> Place:
    """Who asks where, as the desk keeps it: the member, the server, the channel and category its rules apply to,
    and the member's language."""
    channel_id, category_id = scope_of(interaction.channel)
    guild_id = interaction.guild.id if interaction.guild is not None else None
    return Place(interaction.user.id, guild_id, channel_id, category_id, locale_of(interaction))


def _lost(job: JobRow, locale: str) -> dict[str, str]:
    """The fields of a message about a request a restart could not finish: the member (a mention that
    `NO_PINGS` keeps silent), the command as their client names it, and when they asked."""
    when = int(datetime.fromisoformat(job.created_at).timestamp())
    return {"member": f"<@{job.user_id}>", "command": command_name(job.command, locale), "when": f"<t:{when}:R>"}


class TaskFlow:
    """Discord's side of every request: the interaction's checks and refusals, the placeholder, the reply's message
    as the desk (`bot.desk.RequestDesk`) writes it, embeds, reactions, another take, cards, and what a restart left.
    Built on the desk it makes from the store, the queue and the settings (`self.desk`)."""

    def __init__(self, store: Store, queue: JobQueue, settings: Settings, *, model_name: str = "",
                 learner: Learner | None = None) -> None:
        self.desk = RequestDesk(store, queue, settings, model_name=model_name, learner=learner)
        self.settings = settings
        self.in_flight: set[asyncio.Task[Any]] = set()
        self.resumers: dict[str, Resumer] = {}  # command -> how its cog makes a stored request ready again

    async def check(self, interaction: discord.Interaction, command: str) -> str | None:
        """A friendly refusal, or None when the member may run `command` here now (`RequestDesk.check`)."""
        return await self.desk.check(place_of(interaction), command)

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

    async def _defer(self, interaction: discord.Interaction) -> bool:
        """Show the public "thinking…" placeholder. False when Discord would not take it (the interaction is
        gone)."""
        try:
            await interaction.response.defer(thinking=True)
        except discord.HTTPException:
            log.warning("could not defer interaction %s", interaction.id)
            return False
        return True

    async def run(self, interaction: discord.Interaction, job: Prepared, *, render: Renderer | None = None,
                  author: str | None = None, files: Sequence[Attachment] = (),
                  preview: Sequence[discord.Embed] = ()) -> None:
        """Run one prepared job (`bot.services`) for an interaction, start to finish.

        `render` makes the final embeds from the reply (default: the job's title, the text, and a footer with
        the job's source and figures; `author` above the title). `files` are sent with the final reply.
        `preview`: embeds (with the files) shown as soon as the job is queued, below the streamed text, until
        the final reply replaces them.
        """
        self._track()
        await self._run(interaction, job, render=render or _default_render(job, author, locale_of(interaction)),
                        files=files, preview=preview, check=True, author=author)

    async def run_read(self, interaction: discord.Interaction, command: str,
                       read: Callable[[], Awaitable[Resumption | str]]) -> None:
        """A command that must read before its job exists (a channel's /mood): checked, the public placeholder
        shown at once (reading can take longer than Discord waits), then `read` makes the job and how its reply
        shows (or a refusal for the member), which runs as `run` runs it, not checked twice."""
        self._track()
        refusal = await self.check(interaction, command)
        if refusal:
            await self.refuse(interaction, refusal)
            return
        if not await self._defer(interaction):
            return
        made = await read()
        if isinstance(made, str):
            await self.refuse(interaction, made)
            return
        render = made.render or _default_render(made.job, None, locale_of(interaction))
        await self._run(interaction, made.job, render=render, files=made.files, preview=made.preview, check=False)

    def _track(self) -> None:
        """The running command is in flight until it ends (`drain` waits for it at shutdown)."""
        current = asyncio.current_task()
        if current is not None:
            self.in_flight.add(current)
            current.add_done_callback(self.in_flight.discard)

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
                   files: Sequence[Attachment], preview: Sequence[discord.Embed], check: bool,
                   author: str | None = None) -> None:
        ticket = await self.desk.open(job, place_of(interaction), check=check)
        if isinstance(ticket, str):
            await self.refuse(interaction, ticket)
            return
        if not interaction.response.is_done() and not await self._defer(interaction):
            assert ticket.run is not None
            ticket.run.cancel()  # the interaction is gone: nobody would see the reply
            return
        target = self._target(interaction)
        await self.desk.record(ticket, application_id=interaction.application_id, token=interaction.token,
                               expires=target.deadline, author=author)
        await self._write(ticket, target, render=render, files=files, preview=preview)

    async def _write(self, ticket: Ticket, target: _Target, *, render: Renderer, files: Sequence[Attachment],
                     preview: Sequence[discord.Embed]) -> None:
        """The preview, then the desk writes the reply into the message (`_Reply`)."""
        job_id = ticket.job_id
        target.on_message = lambda message_id: self.desk.request_message(job_id, message_id)
        if preview:
            try:
                await target.edit(embeds=list(preview), **({"attachments": make_files(files)} if files else {}))
            except discord.HTTPException:
                log.warning("could not show the preview of job %s", job_id, exc_info=True)
        await self.desk.write(ticket, _Reply(target, ticket.command, render, files, ticket.place.locale))

    # -- after a restart -------------------------------------------------------------------------------
    async def resume(self, client: discord.Client, rebuild: Callable[[str, dict[str, Any]], Prepared | None]) -> int:
        """Take up every request a previous process left unfinished, before any new work: each is queued again
        now (or, if it was written, delivered) and finished in the background in its original message, streamed
        and paced as usual. A request whose token has run out is ended and its member told in the channel; one
        that was being written through `RESUME_ATTEMPTS` crashes fails with a message. `rebuild` prepares a
        stored request again from its options (`bot.commands.prepare`); a command registered in `resumers` is
        made ready by its cog. Returns how many requests were found."""
        found = await self.desk.unfinished()
        for request, job in found:
            try:
                work = await self._resume_one(client, request, job, rebuild)
            except Exception:  # one broken record never keeps the bot from starting
                log.exception("could not resume job %s", job.id)
                told = t(LOST_BROKEN, request.locale, **_lost(job, request.locale))
                work = self._tell_lost(client, job, told, "internal error")
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
            told = t(LOST_EXPIRED, request.locale, **_lost(job, request.locale))
            return self._tell_lost(client, job, told, "the token ran out")
        if self.desk.worn_out(request):
            return self._give_up(job, target, request.locale)
        resumer = self.resumers.get(job.command)
        ready = await resumer(job, request.locale) if resumer is not None else None
        if ready is None and resumer is None:
            prepared = rebuild(job.command, job.inputs)
            ready = Resumption(prepared) if prepared is not None else None
        if ready is None:
            told = t(LOST_UNPREPARED, request.locale, **_lost(job, request.locale))
            return self._tell_lost(client, job, told, "it could not be prepared again")
        render = ready.render or _default_render(ready.job, request.author, request.locale)
        ticket = self.desk.resumed(job, ready.job, request.locale)
        if request.state == "written" and request.written is not None:
            return self.desk.deliver(ticket, reply_from(request.written), _Reply(target, job.command, render,
                                     ready.files), another_take=False)
        await self.desk.requeue(ticket, job)
        return self._write(ticket, target, render=render, files=ready.files, preview=ready.preview)

    async def _tell_lost(self, client: discord.Client, job: JobRow, message: str, why: str) -> None:
        """A stored request that cannot be finished: ended as expired (`why` is stored), its member told in its
        channel (`message`, in their language; named, never pinged)."""
        await self.desk.lose(job.id, why)
        if job.channel_id is None:
            return
        try:
            await client.get_partial_messageable(job.channel_id).send(message, allowed_mentions=NO_PINGS)
        except discord.HTTPException:
            log.warning("could not tell the member of job %s that it was not resumed", job.id)

    async def _give_up(self, job: JobRow, target: _Target, locale: str) -> None:
        """A request that was being written through `RESUME_ATTEMPTS` crashes: failed, with a message."""
        await self.desk.end(job.id, "failed", f"stopped the bot {RESUME_ATTEMPTS} times while being written")
        await target.error(t(GAVE_UP, locale, attempts=RESUME_ATTEMPTS))

    # -- another take, cards -------------------------------------------------------------------------------------
    async def another_take(self, channel: discord.abc.Messageable, reply_to: discord.PartialMessage, first: JobRow,
                           job: Prepared, *, author: str | None = None) -> int | None:
        """🔁 on a reply: the same request written in another variant, posted below the first in the channel
        (streamed like any reply), stored as a second take (`RequestDesk.another_take`). Returns the new job's
        id (None if it could not be written)."""
        try:
            ticket = await self.desk.another_take(first, job)
        except JobError as exc:  # QueueFull too
            await channel.send(f"⚠️ {exc}", reference=reply_to, mention_author=False, allowed_mentions=NO_PINGS)
            return None
        message = await channel.send(f"{ANOTHER_TAKE} *writing another take…*", reference=reply_to,
                                     mention_author=False, allowed_mentions=NO_PINGS)
        assert ticket.run is not None
        job_id = await self.desk.record_take(ticket, first)
        target = _Take(message, _Pacer(self.settings.edit_interval_s))
        try:
            reply = replace(await streamed(ticket.run, target), variant="")  # no third take: no 🔁 in it
            embeds = _default_render(job, author)(reply)
            await target.edit(content=None, embeds=embeds[:EMBEDS_PER_MESSAGE])
        except (JobError, discord.HTTPException) as exc:
            await self.desk.take_failed(ticket, str(exc))
            await target.edit(content=f"⚠️ {exc if isinstance(exc, JobError) else 'Another take did not finish.'}")
            return None
        await self.desk.close_take(ticket, reply, Sent(message.id, message.channel.id))
        await add_feedback_reactions(message)
        return job_id

    async def send_card(self, interaction: discord.Interaction, command: str,
                        make: Callable[[], Awaitable[Card]]) -> None:
        """A reply made without the language model (/film, /recommend): checked, then `make` builds it (from the
        catalog), sent at once, counted for the cooldown, stored as a job with its reply (`RequestDesk.card`), and
        given 👍/👎 like every other reply."""
        refusal = await self.check(interaction, command)
        if refusal:
            await self.refuse(interaction, refusal)
            return
        card = await make()
        await interaction.response.send_message(embed=card.embed, allowed_mentions=NO_PINGS)
        place = place_of(interaction)
        self.desk.mark_used(place, command)
        message = await interaction.original_response()
        await self.desk.card(command, place, Sent(message.id, message.channel.id), inputs=card.inputs,
                             output=card.output)
        await add_feedback_reactions(message)
