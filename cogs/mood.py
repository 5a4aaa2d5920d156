"""/mood: the sentiment and emotions of a text, a message, or a channel's or thread's recent discussion.

Also the "Mood" message context menu (Apps > Mood). The shipped classifier (`bot.mood`, `models.mood.classifier`)
gives the verdict; the language model adds a line on why (a text) or on what people liked and disliked (a discussion),
through the queue like every task, so that it streams and gets 👍/👎. History is read only where both the member
and the bot may read it; bots' messages, empty ones and commands ("/…", "!…") are skipped.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.commands import COLOURS
from bot.core import CineBot
from bot.flow import Resumption, footer_for, locale_of
from bot.i18n import ENGLISH, t
from bot.services.mood import MoodService, Said, Topic, emotion_names, sentiment_names, trend_name
from cogs._common import CommandCog, film_titles, server_command
from models.mood.report import MoodReport, Scored, warm_charts
from models.tasks import InputError
from models.tasks.mood import TEXT_LIMIT
from models.tasks.runner import TaskReply
from models.text import neutralize_mentions

if TYPE_CHECKING:
    from bot.desk import JobRow

log = logging.getLogger(__name__)

LINK = re.compile(r"https://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/channels/(\d+|@me)/(\d+)/(\d+)")
HISTORY_MAX = 500
CHART = "mood.png"
SENTIMENT_COLOURS = {"positive": 0x2FAE7E, "negative": 0xD9534F, "mixed": 0xE0A526, "neutral": 0x8A8F98}
SENTIMENT_MARKS = {"positive": "🟢", "negative": "🔴", "mixed": "🟡", "neutral": "⚪"}
COMMAND_PREFIXES = ("/", "!")
WRITING_SUMMARY = "✍️ *Summing up what people liked and disliked…*"  # msgids (`bot.i18n.t`)
WRITING_REASON = "✍️ *Putting the reason into words…*"


def can_read(channel: Any, member: Any) -> bool:
    perms = channel.permissions_for(member)
    return bool(perms.view_channel and perms.read_message_history)


def usable(message: discord.Message) -> bool:
    """A member's message with words in it: not a bot's, not empty, not a command."""
    content = message.clean_content.strip()
    return not message.author.bot and bool(content) and not content.startswith(COMMAND_PREFIXES)


def emotion_scores(score: Any, locale: str = ENGLISH) -> str:
    """Every emotion's probability, strongest first; the detected ones in bold (named in `locale`)."""
    ranked = sorted(score.emotions.items(), key=lambda item: -item[1])
    names = emotion_names(locale)
    shown = [(names.get(name, name), name in score.detected, p) for name, p in ranked]
    return " · ".join(f"**{name} {p:.0%}**" if detected else f"{name} {p:.0%}" for name, detected, p in shown)


def _link(message: Scored, locale: str = ENGLISH) -> str:
    name = discord.utils.escape_markdown(neutralize_mentions(message.author))[:80]
    return f"[{t('message by {name}', locale, name=name)}]({message.jump_url})"


def report_embed(report: MoodReport, *, title: str, summary: str, read_note: str, footer: str,
                 locale: str = ENGLISH) -> discord.Embed:
    """The channel report: the model's summary, shares, emotion mix, trend, extremes (links only) and the chart; its
    headings and words in `locale`."""
    top = max(report.shares, key=lambda label: report.shares[label])
    embed = discord.Embed(title=neutralize_mentions(title)[:256], colour=SENTIMENT_COLOURS.get(top, COLOURS["mood"]))
    summary = neutralize_mentions(summary) or t("(no summary this time)", locale)
    embed.description = f"{summary}\n\n{read_note}"[:4096]
    labels, emotion = sentiment_names(locale), emotion_names(locale)
    embed.add_field(name=t("Sentiment", locale), inline=False, value=" · ".join(
        f"{SENTIMENT_MARKS[label]} {labels.get(label, label)} {share:.0%}" for label, share in report.shares.items()))
    mix = [(name, share) for name, share in sorted(report.emotions.items(), key=lambda item: -item[1]) if share > 0]
    emotions = " · ".join(f"{emotion.get(name, name)} {share:.0%}" for name, share in mix)
    embed.add_field(name=t("Emotions (share of messages)", locale), inline=False,
                    value=t("{emotions} · no clear emotion {share}", locale, emotions=emotions,
                            share=f"{report.no_emotion:.0%}") if mix
                    else t("no clear emotion in any message", locale))
    if len(report.trend) >= 2:
        first, last = report.trend[0], report.trend[-1]
        trend = t("{trend}: {first} → {last} positive from the first to the last of {count} stretches", locale,
                  trend=trend_name(report.trend_word, locale), first=f"{(first.warmth + 1) / 2:.0%}",
                  last=f"{(last.warmth + 1) / 2:.0%}", count=len(report.trend))
    else:
        trend = t("too few messages to tell", locale)
    embed.add_field(name=t("Trend", locale), value=trend, inline=False)
    best, worst = report.most_positive, report.most_negative
    embed.add_field(name=t("Most positive", locale),
                    value=t("{link} · {share} positive", locale, link=_link(best, locale),
                            share=f"{best.score.positive:.0%}") if best
                    else t("none reads positive", locale))
    embed.add_field(name=t("Most negative", locale),
                    value=t("{link} · {share} negative", locale, link=_link(worst, locale),
                            share=f"{1 - worst.score.positive:.0%}") if worst
                    else t("none reads negative", locale))
    embed.set_image(url=f"attachment://{CHART}")
    embed.set_footer(text=footer[:2048])
    return embed


def read_note_for(count: int, total: int, channel: str, film: str, locale: str = ENGLISH) -> str:
    """"Read 12 messages from members among the last 100 in #film-talk." (`film`: only those that mention it)."""
    if film:
        if count == 1:
            return t("Read 1 message from members that mention {film} among the last {total} in {channel}.", locale,
                     film=film, total=total, channel=channel)
        return t("Read {count} messages from members that mention {film} among the last {total} in {channel}.",
                 locale, count=count, film=film, total=total, channel=channel)
    if count == 1:
        return t("Read 1 message from members among the last {total} in {channel}.", locale, total=total,
                 channel=channel)
    return t("Read {count} messages from members among the last {total} in {channel}.", locale, count=count,
             total=total, channel=channel)


class Mood(CommandCog):
    def __init__(self, bot: CineBot) -> None:
        super().__init__(bot)
        self.menu = app_commands.ContextMenu(name="Mood", callback=self.mood_menu)

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.menu)
        self.bot.flow.resumers["mood"] = self._resume
        await asyncio.to_thread(warm_charts)  # the first chart would otherwise pay for importing matplotlib

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)
        self.bot.flow.resumers.pop("mood", None)

    # -- one text ---------------------------------------------------------------------------------------------------

    async def _linked(self, interaction: discord.Interaction, link: str, locale: str) -> tuple[str, str]:
        match = LINK.search(link)
        guild = interaction.guild
        if not match or guild is None or match.group(1) != str(guild.id):
            raise InputError("That isn't a link to a message in this server. Right-click a message > Copy Message "
                             "Link, then paste it here.")
        channel = guild.get_channel_or_thread(int(match.group(2)))
        if channel is None or not can_read(channel, interaction.user) or not can_read(channel, guild.me):
            raise InputError("I can't read that message (it may be in a channel you or I can't see).")
        try:
            message = await channel.fetch_message(int(match.group(3)))  # type: ignore[union-attr]
        except discord.NotFound:
            raise InputError("That message no longer exists.") from None
        return message.clean_content, t("a message by {name} in {channel}", locale,
                                        name=neutralize_mentions(message.author.display_name), channel=channel.mention)

    async def _one(self, interaction: discord.Interaction, text: str, source: str) -> None:
        """The classifier's figures at once; the model's sentence on why follows, streamed above them."""
        ready = await self._reading(text, source, locale_of(interaction))
        await self.bot.flow.run(interaction, ready.job, render=ready.render, preview=ready.preview)

    async def _reading(self, text: str, source: str, locale: str = ENGLISH) -> Resumption:
        """One text's job, and how its reply shows: the figures, then the model's sentence on why (its words in
        `locale`; `source` is in it already)."""
        read = await self.bot.services.mood.read(text, source, locale)
        score = read.score

        def embed(explanation: str, footer: str) -> discord.Embed:
            card = discord.Embed(title=read.job.title, colour=SENTIMENT_COLOURS.get(score.label, COLOURS["mood"]))
            read_from = t("Read from {source}.", locale, source=source)  # a channel link is safe
            card.description = f"{explanation}\n\n{read_from}"
            card.add_field(name=t("Emotion scores (bold: detected)", locale),
                           value=emotion_scores(score, locale)[:1024], inline=False)
            card.set_footer(text=footer[:2048])
            return card

        def render(reply: TaskReply) -> list[discord.Embed]:
            return [embed(neutralize_mentions(reply.text or t("(no explanation this time)", locale)),
                          t("mood classifier + {figures}", locale, figures=footer_for(reply, locale)))]

        preview = embed(t(WRITING_REASON, locale), t("mood classifier · the reason is being written", locale))
        return Resumption(read.job, render, preview=[preview])

    async def _resume(self, job: JobRow, locale: str = ENGLISH) -> Resumption | None:
        """A /mood a previous process left unfinished, made ready again (in its member's `locale`): one text from
        what was stored; a channel's discussion read again as it stood when the member asked."""
        inputs = job.inputs
        if "text" in inputs:
            return await self._reading(inputs["text"], inputs.get("source") or t("your text", locale), locale)
        channel_id = inputs.get("channel_id")
        if channel_id is None:
            return None
        topic = self.bot.services.mood.topic(inputs["film"]) if inputs.get("film") else None
        channel = self.bot.get_channel(channel_id) or self.bot.get_partial_messageable(channel_id)
        before = datetime.fromisoformat(job.created_at)
        made = await self._reading_of(channel, last=int(inputs.get("last", 100)), limit=int(inputs.get("limit", 100)),
                                      cap=int(inputs.get("limit", 100)), topic=topic, before=before,
                                      place=inputs.get("place"), locale=locale)
        return made if isinstance(made, Resumption) else None

    # -- a discussion -----------------------------------------------------------------------------------------------

    async def _discussion(self, interaction: discord.Interaction, channel: Any, last: int,
                          film: str | None) -> None:
        guild = interaction.guild
        assert guild is not None
        flow = self.bot.flow
        if not can_read(channel, interaction.user):
            await flow.refuse(interaction, t("You can't read the history of {channel}, so I won't read it for you.",
                                             locale_of(interaction), channel=channel.mention))
            return
        if not can_read(channel, guild.me):
            await flow.refuse(interaction, t("I can't read the history of {channel}; ask a moderator to give me View "
                                             "Channel and Read Message History there.", locale_of(interaction),
                                             channel=channel.mention))
            return
        topic = self.bot.services.mood.topic(film) if film is not None else None

        async def read() -> Resumption | str:
            cap = min(await self.bot.desk.mood_cap(guild.id), HISTORY_MAX)
            return await self._reading_of(channel, last=last, limit=min(last, cap), cap=cap, topic=topic,
                                          show=lambda preview, files: flow.show(interaction, preview, files),
                                          locale=locale_of(interaction))

        await flow.run_read(interaction, "mood", read)

    async def _reading_of(self, channel: Any, *, last: int, limit: int, cap: int, topic: Topic | None,
                          before: datetime | None = None, place: str | None = None,
                          show: Callable[[list[discord.Embed], list[tuple[str, bytes]]], Awaitable[None]] | None = None,
                          locale: str = ENGLISH) -> Resumption | str:
        """A channel's discussion read (its last `limit` messages, `before` a time when given), classified and
        charted: the summary's job and how its reply shows, or a refusal for the member (in `locale`). `show` gets
        the figures as soon as they are ready, before the model reads the quoted messages again."""
        started = time.perf_counter()
        try:
            history = [m async for m in channel.history(limit=limit, before=before)]
        except discord.Forbidden:
            return t("Discord wouldn't let me read the history of {channel}.", locale, channel=channel.mention)
        said = [Said(m.id, m.jump_url, m.author.display_name, m.created_at, m.clean_content.strip())
                for m in history if usable(m)]
        picked = MoodService.about(said, topic)
        film = neutralize_mentions(topic.name) if topic else ""
        if not history:
            return t("{channel} has no messages yet.", locale, channel=channel.mention)
        if not picked:
            if topic:
                return t("I found no messages from members that mention {film} in the last {count} messages of "
                         "{channel}.", locale, film=film, count=len(history), channel=channel.mention)
            return t("I found no messages from members in the last {count} messages of {channel}.", locale,
                     count=len(history), channel=channel.mention)
        read = time.perf_counter()
        name = getattr(channel, "name", None)
        discussion = await self.bot.services.mood.discussion(picked, place=place or f"#{name}", topic=topic,
                                                             locale=locale)
        report = discussion.report
        log.info("/mood on %s: read %d messages in %.2f s, classified %d and charted in %.2f s", channel.id,
                 len(history), read - started, len(picked), time.perf_counter() - read)
        read_note = read_note_for(report.count, len(history), channel.mention, film, locale)
        if last > cap:
            read_note += " " + t("(You asked for {asked}; this server reads at most {cap}.)", locale, asked=last,
                                 cap=cap)
        heading = discussion.job.title  # neutralised by report_embed

        def render(reply: TaskReply) -> list[discord.Embed]:
            return [report_embed(report, title=heading, summary=reply.text, read_note=read_note, locale=locale,
                                 footer=t("mood classifier + {figures}", locale, figures=footer_for(reply, locale)))]

        # the classifier's figures show at once; the model's summary of likes and dislikes follows
        preview = report_embed(report, title=heading, summary=t(WRITING_SUMMARY, locale), read_note=read_note,
                               footer=t("mood classifier · the summary is being written", locale), locale=locale)
        files = [(CHART, discussion.chart)]
        if show is not None:
            await show([preview], files)
        # the model reads the quoted messages again, so the summary puts nothing on the wrong side
        summary = await self.bot.services.mood.second_reading(discussion, self.bot.desk.queue)
        job = replace(summary, inputs={**summary.inputs, "channel_id": channel.id, "last": last, "limit": limit})
        return Resumption(job, render, files, [preview])

    # -- the command and the menu -----------------------------------------------------------------------------------

    @server_command(
        "mood",
        text=f"A review or message to read (up to {TEXT_LIMIT:,} characters)",
        message="A message link (right-click a message > Copy Message Link)",
        channel="A channel whose recent discussion to read", thread="A thread whose recent discussion to read",
        last=f"How many recent messages to read from the channel or thread (default 100, at most {HISTORY_MAX})",
        film="Only the channel's or thread's messages that mention this film",
    )
    @app_commands.autocomplete(film=film_titles)
    async def mood(self, interaction: discord.Interaction,
                   text: app_commands.Range[str, 1, TEXT_LIMIT] | None = None,
                   message: str | None = None,
                   channel: discord.TextChannel | None = None,
                   thread: discord.Thread | None = None,
                   last: app_commands.Range[int, 1, HISTORY_MAX] = 100,
                   film: app_commands.Range[str, 1, 200] | None = None) -> None:
        """The sentiment and emotions of a text, a message, or a channel's or thread's discussion."""
        sources = [s for s in (text, message, channel, thread) if s is not None]
        if len(sources) != 1:
            await self.bot.flow.refuse(interaction, t("Give me exactly one of: text, message, channel or thread.",
                                                      locale_of(interaction)))
            return
        if film is not None and channel is None and thread is None:
            await self.bot.flow.refuse(interaction, t("The film option picks messages from a channel or thread: add "
                                                      "channel or thread too.", locale_of(interaction)))
            return
        if text is not None:
            await self._one(interaction, text, t("your text", locale_of(interaction)))
            return
        if message is not None:
            body, source = await self._linked(interaction, message, locale_of(interaction))
            await self._one(interaction, body, source)
            return
        await self._discussion(interaction, channel or thread, last, film)

    async def mood_menu(self, interaction: discord.Interaction, message: discord.Message) -> None:
        await self._one(interaction, message.clean_content,
                        t("a message by {name}", locale_of(interaction),
                          name=neutralize_mentions(message.author.display_name)))


async def setup(bot: CineBot) -> None:
    await bot.add_cog(Mood(bot))
