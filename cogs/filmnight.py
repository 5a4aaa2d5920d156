"""/filmnight: a film night planned by a native poll of films the server will like, its event, reminders and recap.

`/filmnight plan` posts the poll (the candidates from `bot.services.nights`), `/filmnight suggest` puts a film
forward for the next poll, `/filmnight remind` asks for reminders, `/filmnight recap` and `/filmnight history` look
back. What happens later waits in the store's `night_timers` and runs from one loop here, so that a restart only
delays it: the poll's close (Discord's end of the poll, or its end time) makes the winner a scheduled event with the
film's card; the reminders go by direct message to the members who asked for them or marked the event
"Interested", never as a ping in the channel; the recap reads the channel's messages from the night's start and posts
their mood with a chart, and the film is marked watched.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.commands import COLOURS
from bot.core import CineBot
from bot.flow import NO_PINGS, locale_of
from bot.i18n import listed, t, t_error
from bot.services.mood import Said
from bot.services.nights import TIE_RULE, Candidate, NightBook, NightRow, answer_text, outcome, schedule
from cogs._common import CommandCog, film_titles
from cogs.film import film_card
from models import language as languages
from models.film.catalog import Film
from models.film.grounding import Grounding
from models.llm.jobs import JobError, QueueFull
from models.tasks import InputError, runner
from models.tasks import blurb as blurb_task
from models.tasks.base import Prepared
from models.text import neutralize_mentions

log = logging.getLogger(__name__)

# Discord's names of the permissions the bot needs to plan a night, as its client shows them
SEND_POLLS = "Send Polls"
SEND_MESSAGES = "Send Messages"
CREATE_EVENTS = "Create Events"
TICK_S = 60.0  # the longest the timer loop sleeps without looking at the store again
RETRY_S = (30, 120, 600, 1800)  # a step that failed runs again after these waits; then the night is marked failed
RECAP_MESSAGES = 500  # most messages a recap reads
HISTORY = 10
WRITE_S = 300.0  # the longest a step waits for the model's words (a busy queue: it goes on without them)


def _stamp(moment: datetime, style: str = "F") -> str:
    """A Discord timestamp: each member's client writes it in their own time zone."""
    return f"<t:{int(moment.timestamp())}:{style}>"


def _now() -> datetime:
    return datetime.now(UTC)


class FilmNight(CommandCog):
    group = app_commands.Group(name="filmnight", description="Film nights: a poll of films, the event, reminders and "
                               "the recap", guild_only=True)

    def __init__(self, bot: CineBot) -> None:
        super().__init__(bot)
        self._loop: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self.clock: Callable[[], datetime] = _now  # "now" for the timers (a test gives the fake Discord's clock)

    def wake(self) -> None:
        """Look at the timers now (a night was planned; in tests, the clock moved)."""
        self._wake.set()

    async def cog_load(self) -> None:
        self._loop = asyncio.create_task(self._run_timers(), name="filmnight-timers")

    async def cog_unload(self) -> None:
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop

    # -- commands -----------------------------------------------------------------------------------------------
    @group.command(name="plan")
    @app_commands.describe(
        when="When the night starts, e.g. 2026-12-12 20:00, friday 8pm, tomorrow 20:30",
        channel="The voice or stage channel where you watch together",
        location="Or a place outside Discord, e.g. the Rex cinema, screen 2",
        theme="A theme or mood for the candidates, e.g. cozy, 90s sci-fi, not scary",
        like="A film the server liked: candidates like it",
        poll_hours="How long voting stays open, in hours (default from the bot's settings)",
    )
    @app_commands.autocomplete(like=film_titles)
    async def plan(self, interaction: discord.Interaction, when: app_commands.Range[str, 1, 60],
                   channel: discord.VoiceChannel | discord.StageChannel | None = None,
                   location: app_commands.Range[str, 1, 100] | None = None,
                   theme: app_commands.Range[str, 1, 100] | None = None,
                   like: app_commands.Range[str, 1, 200] | None = None,
                   poll_hours: app_commands.Range[int, 1, 768] | None = None) -> None:
        """Plan a film night: a poll of films the server will like; the winner becomes an event."""
        locale = locale_of(interaction)
        refusal = await self.bot.flow.check(interaction, "filmnight")
        if refusal is None:
            refusal = self._cannot_plan(interaction, locale)
        if refusal is None and channel is None and location is None:
            refusal = t("Say where the night is: a voice or stage channel, or a location.", locale)
        if refusal:
            await self.bot.flow.refuse(interaction, refusal)
            return
        services = self.bot.services.nights
        now = self.clock()
        try:
            starts, ends = services.when(when, poll_hours or self.bot.settings.night_poll_hours, now)
            liked = self.bot.services.films.find(like) if like else None
            ballot = await services.candidates(interaction.guild_id or 0, theme=theme, like=liked)
        except InputError as exc:
            await self.bot.flow.refuse(interaction, t_error(exc, locale))
            return
        hours = max(1, round((ends - now).total_seconds() / 3600))
        longest = max((c.film.runtime or 0 for c in ballot), default=0) or 150
        steps = schedule(now, ends, starts, self.bot.settings, runtime_min=longest)
        night_id = await self._book().create_night(
            guild_id=interaction.guild_id or 0, channel_id=interaction.channel_id or 0, planned_by=interaction.user.id,
            starts_at=starts, place_channel_id=channel.id if channel else None,
            place=location if channel is None else None, theme=theme, mood=None,
            liked_film_id=liked.id if liked else None, poll_hours=hours, poll_ends_at=ends, locale=locale,
            candidates=[(c.film.id, c.suggested_by) for c in ballot], timers=steps.timers())
        question = t("Film night {date}: which film?", locale, date=starts.strftime("%Y-%m-%d"))
        poll = discord.Poll(question=question[:300], duration=timedelta(hours=hours), multiple=True)
        for candidate in ballot:
            poll.add_answer(text=answer_text(candidate.film))
        where = channel.mention if channel is not None else neutralize_mentions(location or "")
        text = t("🎬 **Film night** {when} in {where}. Vote for the film until {closes}; the winner becomes the "
                 "server's event. Suggest films for the next poll with /filmnight suggest.", locale,
                 when=_stamp(starts), where=where, closes=_stamp(ends, "R"))
        text += "\n" + _ballot_notes(ballot, locale)
        try:
            await interaction.response.send_message(text[:2000], poll=poll, allowed_mentions=NO_PINGS)
            message = await interaction.original_response()
        except discord.HTTPException as exc:
            log.warning("filmnight: the poll was not posted (%s)", exc)
            await self._book().end_night(night_id, "failed", note=f"the poll was not posted: {exc}")
            await self.bot.flow.refuse(interaction, t("I couldn't post the poll here. Check that I may send messages "
                                                      "and polls in this channel.", locale))
            return
        await self._book().set_night_poll(night_id, message.id)
        self.wake()

    @group.command(name="suggest")
    @app_commands.describe(film="A film for the next film night's poll")
    @app_commands.autocomplete(film=film_titles)
    async def suggest(self, interaction: discord.Interaction, film: app_commands.Range[str, 1, 200]) -> None:
        """Put a film forward for the next film night's poll."""
        locale = locale_of(interaction)
        refusal = await self.bot.flow.check(interaction, "filmnight")
        if refusal:
            await self.bot.flow.refuse(interaction, refusal)
            return
        try:
            found = self.bot.services.films.find(film)
        except InputError as exc:
            await self.bot.flow.refuse(interaction, t_error(exc, locale))
            return
        store, guild = self._book(), interaction.guild_id or 0
        if found.id in await store.watched_films(guild):
            message = t("This server already watched {film} together.", locale, film=found.title_year())
        else:
            added = await store.suggest_film(guild, found.id, interaction.user.id, self.bot.settings.night_suggestions)
            count = len(await store.film_suggestions(guild))
            message = {
                "added": t("{film} is on the list for the next film night's poll ({count} of {limit}).", locale,
                           film=found.title_year(), count=count, limit=self.bot.settings.night_suggestions),
                "already": t("{film} is already on the list for the next poll.", locale, film=found.title_year()),
                "full": t("The list for the next poll is full ({limit} films). Try again after the next film night.",
                          locale, limit=self.bot.settings.night_suggestions),
            }[added]
        await interaction.response.send_message(neutralize_mentions(message), ephemeral=True,
                                                allowed_mentions=NO_PINGS)

    @group.command(name="remind")
    @app_commands.describe(on="On: a direct message before voting closes and before each night; off: none")
    async def remind(self, interaction: discord.Interaction, on: bool) -> None:
        """Reminders of this server's film nights, by direct message."""
        await self._book().set_night_reminders(interaction.guild_id or 0, interaction.user.id, on)
        locale = locale_of(interaction)
        message = t("I'll send you a direct message before voting closes and before each film night.", locale) if on \
            else t("No more film night reminders from me.", locale)
        await interaction.response.send_message(message, ephemeral=True, allowed_mentions=NO_PINGS)

    @group.command(name="history")
    async def history(self, interaction: discord.Interaction) -> None:
        """This server's film nights: the films, how many were interested, the mood afterwards."""
        locale = locale_of(interaction)
        nights = await self._book().nights(interaction.guild_id or 0, limit=HISTORY)
        if not nights:
            await interaction.response.send_message(t("No film nights yet: plan one with /filmnight plan.", locale),
                                                    ephemeral=True, allowed_mentions=NO_PINGS)
            return
        lines = [self._history_line(n, locale) for n in nights]
        embed = discord.Embed(title=t("Film nights", locale), description=neutralize_mentions("\n".join(lines))[:4096],
                              colour=COLOURS["filmnight"])
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_PINGS)

    @group.command(name="recap")
    async def recap(self, interaction: discord.Interaction) -> None:
        """The recap of the last film night now: the mood of what was said about the film."""
        locale = locale_of(interaction)
        nights = [n for n in await self._book().nights(interaction.guild_id or 0, limit=HISTORY)
                  if n.status == "scheduled" and n.starts_at <= self.clock()]
        if not nights:
            await self.bot.flow.refuse(interaction, t("There is no film night to recap yet: a recap reads what was "
                                                      "said from the night's start.", locale))
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        posted = await self._recap(nights[0])
        await interaction.followup.send(t("The recap is posted.", locale) if posted else
                                        t("I couldn't post the recap; I'll try again later.", locale),
                                        ephemeral=True, allowed_mentions=NO_PINGS)

    # -- Discord's side of the event -----------------------------------------------------------------------------
    @commands.Cog.listener()
    async def on_scheduled_event_update(self, before: discord.ScheduledEvent, after: discord.ScheduledEvent) -> None:
        """The night's event ended (a moderator ended it, or Discord did): its recap comes
        `CINEBOT_NIGHT_RECAP_MIN` later, if that is sooner than planned."""
        if after.status is not discord.EventStatus.completed or before.status is discord.EventStatus.completed:
            return
        store = self._book()
        night = await store.night_of_event(after.guild_id, after.id)
        if night is None or night.status != "scheduled":
            return
        due = self.clock() + timedelta(minutes=self.bot.settings.night_recap_min)
        pending = [t for t in await store.due_timers(due) if t.night_id == night.id and t.kind == "recap"]
        if not pending:  # due later than that: move it forward
            await store.set_timer(night.id, "recap", due)
            self.wake()

    # -- checks -------------------------------------------------------------------------------------------------
    @staticmethod
    def _cannot_plan(interaction: discord.Interaction, locale: str) -> str | None:
        """Who may plan (Manage Events, the moderators' choice in the server's Integrations settings) and what the
        bot itself needs."""
        if not interaction.permissions.manage_events:
            return t("Planning a film night needs the Manage Events permission.", locale)
        mine = interaction.app_permissions
        needs = ((t(SEND_POLLS, locale), mine.send_polls), (t(SEND_MESSAGES, locale), mine.send_messages),
                 (t(CREATE_EVENTS, locale), mine.create_events))
        missing = [name for name, ok in needs if not ok]
        if missing:
            return t("I need these permissions here to plan a film night: {missing}.", locale,
                     missing=listed(missing, locale))
        return None

    def _book(self) -> NightBook:
        """The nights' records, through the night service (`NightService.book`)."""
        return self.bot.services.nights.book

    def _history_line(self, night: NightRow, locale: str) -> str:
        film = self._film(night.winner_film_id)
        status = {"voting": t("voting", locale), "scheduled": t("planned", locale), "done": t("watched", locale),
                  "canceled": t("canceled", locale), "failed": t("failed", locale)}.get(night.status, night.status)
        parts = [f"{_stamp(night.starts_at, 'D')} · **{film.title_year() if film else '—'}** · {status}"]
        if night.interested is not None:
            parts.append(t("{n} interested", locale, n=night.interested))
        if night.mood_summary:
            parts.append(night.mood_summary)
        return " · ".join(parts)

    def _film(self, film_id: int | None) -> Film | None:
        catalog = self.bot.services.catalog
        return catalog.get(film_id) if catalog is not None and film_id is not None else None

    # -- what waits: the timer loop -----------------------------------------------------------------------------
    async def _run_timers(self) -> None:
        await self.bot.wait_until_ready()
        while True:
            try:
                await self._tick()
            except Exception:
                log.exception("filmnight: the timer loop failed; trying again shortly")
            due = await self._book().next_timer()
            wait = TICK_S if due is None else max(0.0, min(TICK_S, (due - self.clock()).total_seconds()))
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)

    async def _tick(self) -> None:
        store = self._book()
        for timer in await store.due_timers(self.clock()):
            night = await store.night(timer.night_id)
            if night is None:
                continue
            step = {"remind_vote": self._remind_vote, "close_poll": self._close_poll,
                    "remind_night": self._remind_night, "recap": self._recap}[timer.kind]
            try:
                done = await step(night)
            except Exception:
                log.exception("filmnight: %s of night %d failed", timer.kind, night.id)
                done = False
            if done:
                await store.finish_timer(night.id, timer.kind)
            elif timer.tries < len(RETRY_S):
                await store.retry_timer(night.id, timer.kind, self.clock() + timedelta(seconds=RETRY_S[timer.tries]))
            else:
                await store.end_night(night.id, "failed", note=f"{timer.kind} failed {timer.tries + 1} times")

    async def _channel(self, channel_id: int) -> Any:
        channel = self.bot.get_channel(channel_id)
        return channel if channel is not None else await self.bot.fetch_channel(channel_id)

    async def _poll_message(self, night: NightRow) -> discord.Message | None:
        if night.poll_message_id is None:
            return None
        channel = await self._channel(night.channel_id)
        try:
            message: discord.Message = await channel.fetch_message(night.poll_message_id)
        except discord.NotFound:
            return None
        return message

    async def _tell(self, user_ids: set[int], text: str) -> int:
        """A direct message to each member (no ping anywhere); those who do not take them are skipped."""
        sent = 0
        for user_id in sorted(user_ids):
            try:
                user = self.bot.get_user(user_id) or await self.bot.fetch_user(user_id)
                await user.send(neutralize_mentions(text)[:2000], allowed_mentions=NO_PINGS)
                sent += 1
            except discord.HTTPException as exc:
                log.info("filmnight: no reminder for %s (%s)", user_id, exc)
        return sent

    async def _remind_vote(self, night: NightRow) -> bool:
        if night.status != "voting":
            return True
        message = await self._poll_message(night)
        if message is None or message.poll is None:
            return True
        voted: set[int] = set()
        for answer in message.poll.answers:
            async for voter in answer.voters():
                voted.add(voter.id)
        wanted = set(await self._book().night_reminded(night.guild_id)) - voted
        await self._tell(wanted, t("🗳️ Voting for the film night closes {closes}: {link}", night.locale,
                                   closes=_stamp(night.poll_ends_at, "R"), link=message.jump_url))
        return True

    async def _close_poll(self, night: NightRow) -> bool:
        if night.status != "voting":
            return True
        store, locale = self._book(), night.locale
        message = await self._poll_message(night)
        if message is None or message.poll is None:
            await store.end_night(night.id, "failed", note="the poll message is gone")
            return True
        if not message.poll.is_finalised():
            with contextlib.suppress(discord.HTTPException):  # Discord may have ended it a moment ago
                message = await message.end_poll()
        poll = message.poll
        assert poll is not None
        candidates = await store.night_candidates(night.id)
        result = outcome(candidates, {a.id: a.vote_count for a in poll.answers})
        await store.close_night_poll(night, result.votes, result.winner.film_id)
        film = self._film(result.winner.film_id)
        if film is None:
            await store.end_night(night.id, "failed", note="the winner is not in the catalog any more")
            return True
        blurb = await self._blurb(film, locale)
        event = await self._make_event(night, film, blurb)
        if event is not None:
            await store.set_night_event(night.id, event.id)
        channel = await self._channel(night.channel_id)
        said = t("🏆 **{film}** won the vote with {votes} of {total} votes.", locale, film=film.title_year(),
                 votes=result.votes[result.winner.answer_id], total=result.total)
        if result.tied:
            said += " " + t("It was a tie: the film {rule} won.", locale, rule=t(TIE_RULE, locale))
        said += " " + (t("The event: {link}", locale, link=f"https://discord.com/events/{night.guild_id}/{event.id}")
                       if event is not None else t("I couldn't create the event; I need the Create Events "
                                                   "permission.", locale))
        card = film_card(film, locale)
        if blurb:
            card.description = neutralize_mentions(blurb)[:4096]
        await channel.send(said, embed=card, allowed_mentions=NO_PINGS)
        return True

    async def _blurb(self, film: Film, locale: str) -> str:
        """The model's invitation to the film, checked as reviews are (`models.tasks.blurb`); "" when the checks
        leave nothing (or the model could not write it)."""
        catalog = self.bot.services.catalog
        if catalog is None:
            return ""
        grounding = await asyncio.to_thread(Grounding.for_film, catalog, film, "", None, "the facts above")
        return await self._write(blurb_task.prepare(film, grounding), locale)

    async def _write(self, job: Prepared, locale: str) -> str:
        """What the model writes for `job` (a film night's own text: the invitation, the recap's summary), in the
        language of the messages it reads, else the night's; "" when the queue is full or the model takes longer
        than `WRITE_S` (the step goes on without it)."""
        queue = self.bot.engine.queue
        if queue is None:
            return ""
        try:
            language = languages.detect(job.words, wait=False) if job.words else None  # what the members wrote in
            run = runner.submit(queue, job.spec, job.inp,
                                language=language or (locale if locale in languages.LANGUAGES else None))
            reply = await asyncio.wait_for(run.reply(), timeout=WRITE_S)
        except (QueueFull, JobError, TimeoutError) as exc:
            log.info("filmnight: %s not written (%s)", job.title, exc)
            return ""
        return reply.text

    async def _make_event(self, night: NightRow, film: Film, blurb: str = "") -> discord.ScheduledEvent | None:
        guild = self.bot.get_guild(night.guild_id)
        if guild is None:
            return None
        ends = night.starts_at + timedelta(minutes=film.runtime or 150)
        description = t("Film night: {film}. Voted by the server.", night.locale, film=film.title_year())
        if film.directors:
            description += " " + t("Directed by {names}.", night.locale, names=", ".join(film.directors[:3]))
        if blurb:
            description += "\n\n" + blurb
        kwargs: dict[str, Any] = {"name": t("Film night: {film}", night.locale, film=film.title_year())[:100],
                                  "start_time": night.starts_at, "end_time": ends,
                                  "description": neutralize_mentions(description)[:1000],
                                  "privacy_level": discord.PrivacyLevel.guild_only}
        if night.place_channel_id is not None:
            place = guild.get_channel(night.place_channel_id) or await self._channel(night.place_channel_id)
            kwargs["channel"] = place
            kwargs["entity_type"] = (discord.EntityType.stage_instance if isinstance(place, discord.StageChannel)
                                     else discord.EntityType.voice)
        else:
            kwargs["entity_type"] = discord.EntityType.external
            kwargs["location"] = (night.place or "")[:100] or "?"
        try:
            return await guild.create_scheduled_event(**kwargs)
        except discord.Forbidden:
            log.warning("filmnight: no permission to create the event of night %d", night.id)
            return None

    async def _remind_night(self, night: NightRow) -> bool:
        if night.status != "scheduled":
            return True
        film = self._film(night.winner_film_id)
        wanted = set(await self._book().night_reminded(night.guild_id))
        guild = self.bot.get_guild(night.guild_id)
        if guild is not None and night.event_id is not None:
            with contextlib.suppress(discord.HTTPException):
                event = await guild.fetch_scheduled_event(night.event_id)
                interested = [user.id async for user in event.users()]
                wanted |= set(interested)
                await self._book().set_night_interested(night.id, len(interested))
        where = f"<#{night.place_channel_id}>" if night.place_channel_id else (night.place or "")
        await self._tell(wanted, t("🎬 The film night starts {when}: {film}, {where}.", night.locale,
                                   when=_stamp(night.starts_at, "R"), film=film.title_year() if film else "?",
                                   where=where))
        return True

    async def _recap(self, night: NightRow) -> bool:
        """The mood of what was said in the night's channel from its start (the place's chat too), posted with its
        chart; the film marked watched."""
        if night.status != "scheduled":
            return True
        film = self._film(night.winner_film_id)
        store, locale = self._book(), night.locale
        said: list[Said] = []
        for channel_id in dict.fromkeys(c for c in (night.channel_id, night.place_channel_id) if c):
            try:
                channel = await self._channel(channel_id)
                async for m in channel.history(after=night.starts_at, limit=RECAP_MESSAGES, oldest_first=True):
                    if not m.author.bot and m.content.strip():
                        said.append(Said(m.id, m.jump_url, m.author.display_name, m.created_at, m.content))
            except (discord.HTTPException, AttributeError) as exc:
                log.info("filmnight: could not read channel %s for the recap (%s)", channel_id, exc)
        interested = night.interested
        guild = self.bot.get_guild(night.guild_id)
        if guild is not None and night.event_id is not None:
            with contextlib.suppress(discord.HTTPException):
                event = await guild.fetch_scheduled_event(night.event_id, with_counts=True)
                interested = event.user_count if event.user_count is not None else interested
        channel = await self._channel(night.channel_id)
        title = t("Recap: {film}", locale, film=film.title_year() if film else "?")
        summary = None
        if said:
            mood = self.bot.services.mood
            topic = mood.topic(film.title_year()) if film else None
            discussion = await mood.discussion(said, place=f"#{getattr(channel, 'name', 'film-night')}", topic=topic,
                                               locale=locale)
            shares = discussion.report.shares
            summary = t("{positive}% positive, {negative}% negative of {n} messages", locale,
                        positive=round(100 * shares["positive"]), negative=round(100 * shares["negative"]),
                        n=discussion.report.count)
            written = await self._write(discussion.job, locale)
            embed = discord.Embed(title=title[:256], description=neutralize_mentions(
                f"{summary}\n\n{written}" if written else summary)[:4096], colour=COLOURS["filmnight"])
            embed.set_image(url="attachment://recap.png")
            await channel.send(embed=embed, file=discord.File(io.BytesIO(discussion.chart), "recap.png"),
                               allowed_mentions=NO_PINGS)
        else:
            await channel.send(embed=discord.Embed(title=title[:256], description=t(
                "Nobody wrote about the film here after the night started, so there is no mood to show.", locale),
                colour=COLOURS["filmnight"]), allowed_mentions=NO_PINGS)
        if film is not None:
            await store.mark_watched(night.guild_id, film.id, night.id)
        await store.end_night(night.id, "done", interested=interested, mood_summary=summary)
        return True


def _ballot_notes(ballot: list[Candidate], locale: str) -> str:
    suggested = sum(1 for c in ballot if c.suggested_by is not None)
    if not suggested:
        return t("The candidates are the catalog's picks for this server.", locale)
    return t("{n} of the candidates were suggested by members; the rest are the catalog's picks for this server.",
             locale, n=suggested)


async def setup(bot: CineBot) -> None:
    await bot.add_cog(FilmNight(bot))
