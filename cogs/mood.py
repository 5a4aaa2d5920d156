"""/mood: the sentiment and emotions of a text, a message, or a channel's or thread's recent discussion.

Also the "Mood" message context menu (Apps > Mood). The shipped classifier (`bot.mood`, `models.mood`) gives the
verdict; the language model adds a line on why (a text) or on what people liked and disliked (a discussion),
through the queue like every task, so that it streams and gets 👍/👎. History is read only where both the member
and the bot may read it; bots' messages, empty ones and commands ("/…", "!…") are skipped.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import replace
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import CineBot
from bot.flow import COLOURS, footer_for
from cogs.film import film_choices
from models.catalog import Film, split_picked, unresolved_message
from models.grounding import Grounding
from models.mood_report import MoodReport, Scored, build_report, chart_png, title_matcher, warm_charts
from models.runner import TaskReply
from models.tasks import DiscussionInput, ExplainInput, InputError
from models.tasks.mood import CHANNEL_TASK, QUOTES, TEXT_LIMIT
from models.tasks.text import clean_text, neutralize_mentions

log = logging.getLogger(__name__)

LINK = re.compile(r"https://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/channels/(\d+|@me)/(\d+)/(\d+)")
HISTORY_MAX = 500
CHART = "mood.png"
SENTIMENT_COLOURS = {"positive": 0x2FAE7E, "negative": 0xD9534F, "mixed": 0xE0A526, "neutral": 0x8A8F98}
SENTIMENT_MARKS = {"positive": "🟢", "negative": "🔴", "mixed": "🟡", "neutral": "⚪"}
COMMAND_PREFIXES = ("/", "!")
WRITING_SUMMARY = "✍️ *Summing up what people liked and disliked…*"


def can_read(channel: Any, member: Any) -> bool:
    perms = channel.permissions_for(member)
    return bool(perms.view_channel and perms.read_message_history)


def usable(message: discord.Message) -> bool:
    """A member's message with words in it: not a bot's, not empty, not a command."""
    content = message.clean_content.strip()
    return not message.author.bot and bool(content) and not content.startswith(COMMAND_PREFIXES)


def emotion_scores(score: Any) -> str:
    """Every emotion's probability, strongest first; the detected ones in bold."""
    ranked = sorted(score.emotions.items(), key=lambda item: -item[1])
    return " · ".join(f"**{name} {p:.0%}**" if name in score.detected else f"{name} {p:.0%}" for name, p in ranked)


def _link(message: Scored) -> str:
    name = discord.utils.escape_markdown(neutralize_mentions(message.author))[:80]
    return f"[message by {name}]({message.jump_url})"


def report_embed(report: MoodReport, *, title: str, summary: str, read_note: str, footer: str) -> discord.Embed:
    """The channel report: the model's summary, shares, emotion mix, trend, extremes (links only) and the chart."""
    top = max(report.shares, key=lambda label: report.shares[label])
    embed = discord.Embed(title=neutralize_mentions(title)[:256], colour=SENTIMENT_COLOURS.get(top, COLOURS["mood"]))
    embed.description = f"{neutralize_mentions(summary) or '(no summary this time)'}\n\n{read_note}"[:4096]
    embed.add_field(name="Sentiment", inline=False, value=" · ".join(
        f"{SENTIMENT_MARKS[label]} {label} {share:.0%}" for label, share in report.shares.items()))
    mix = [(name, share) for name, share in sorted(report.emotions.items(), key=lambda item: -item[1]) if share > 0]
    emotions = " · ".join(f"{name} {share:.0%}" for name, share in mix)
    embed.add_field(name="Emotions (share of messages)", inline=False,
                    value=f"{emotions} · no clear emotion {report.no_emotion:.0%}" if mix
                    else "no clear emotion in any message")
    if len(report.trend) >= 2:
        first, last = report.trend[0], report.trend[-1]
        trend = (f"{report.trend_word}: {(first.warmth + 1) / 2:.0%} → {(last.warmth + 1) / 2:.0%} positive "
                 f"from the first to the last of {len(report.trend)} stretches")
    else:
        trend = "too few messages to tell"
    embed.add_field(name="Trend", value=trend, inline=False)
    best, worst = report.most_positive, report.most_negative
    embed.add_field(name="Most positive", value=f"{_link(best)} · {best.score.positive:.0%} positive" if best
                    else "none reads positive")
    embed.add_field(name="Most negative", value=f"{_link(worst)} · {1 - worst.score.positive:.0%} negative" if worst
                    else "none reads negative")
    embed.set_image(url=f"attachment://{CHART}")
    embed.set_footer(text=footer[:2048])
    return embed


class Mood(commands.Cog):
    def __init__(self, bot: CineBot) -> None:
        self.bot = bot
        self.menu = app_commands.ContextMenu(name="Mood", callback=self.mood_menu)

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.menu)
        await asyncio.to_thread(warm_charts)  # the first chart would otherwise pay for importing matplotlib

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)

    # -- one text ---------------------------------------------------------------------------------------------------

    async def _linked(self, interaction: discord.Interaction, link: str) -> tuple[str, str]:
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
        return message.clean_content, f"a message by {neutralize_mentions(message.author.display_name)} in " \
                                      f"{channel.mention}"

    async def _one(self, interaction: discord.Interaction, text: str, source: str) -> None:
        """Classify one text, then let the model explain the verdict in a sentence."""
        assert self.bot.mood is not None
        body = clean_text(text)[:TEXT_LIMIT]
        if not body:
            await self.bot.flow.refuse(interaction, "That message has no text for me to read.")
            return
        try:
            (score,) = await self.bot.mood.aclassify([body])
        except Exception:
            log.exception("the mood classifier failed")
            await self.bot.flow.refuse(interaction, "Something went wrong on my side. Please try again in a moment.")
            return
        emotions = tuple(e for e in score.detected if e != "neutral")
        inp = ExplainInput.create(text=body, label=score.label, positive=score.positive, emotions=emotions)

        def render(reply: TaskReply) -> list[discord.Embed]:
            embed = discord.Embed(title=f"Mood: {score.verdict}",
                                  colour=SENTIMENT_COLOURS.get(score.label, COLOURS["mood"]))
            explanation = reply.text or "(no explanation this time)"
            embed.description = f"{neutralize_mentions(explanation)}\n\nRead from {source}."  # a channel link is safe
            embed.add_field(name="Emotion scores (bold: detected)", value=emotion_scores(score)[:1024], inline=False)
            embed.set_footer(text=f"mood classifier + {footer_for(reply)}")
            return [embed]

        inputs = {"text": body, "source": source, "label": score.label, "positive": score.positive,
                  "emotions": score.emotions, "detected": list(score.detected)}
        await self.bot.flow.run(interaction, "mood", inp, inputs=inputs, render=render)

    # -- a discussion -----------------------------------------------------------------------------------------------

    def _film(self, film: str) -> tuple[str, str | None, Film | None]:
        """(the title to look for, the catalog's label for the film, the catalog's film); the last two are None for
        a film the catalog does not know; InputError when ambiguous."""
        query = film.strip()
        typed, year = split_picked(query, None)
        if self.bot.catalog is None:
            return typed, None, None
        resolution = self.bot.catalog.resolve(f"{typed} {year}" if year else query)
        if resolution.ambiguous:
            raise InputError(unresolved_message(query, resolution))
        known = resolution.film
        if known is None:
            return typed, None, None
        return known.title, f"{known.title} ({known.year})" if known.year else known.title, known

    async def _discussion(self, interaction: discord.Interaction, channel: Any, last: int,
                          film: str | None) -> None:
        guild = interaction.guild
        assert guild is not None and self.bot.mood is not None
        flow = self.bot.flow
        if not can_read(channel, interaction.user):
            await flow.refuse(interaction, f"You can't read the history of {channel.mention}, so I won't read it "
                              "for you.")
            return
        if not can_read(channel, guild.me):
            await flow.refuse(interaction, f"I can't read the history of {channel.mention}; ask a moderator to give "
                              "me View Channel and Read Message History there.")
            return
        title, label, known = None, None, None
        if film is not None:
            try:
                title, label, known = self._film(film)
            except InputError as exc:
                await flow.refuse(interaction, str(exc))
                return
        refusal = await flow.check(interaction, "mood")
        if refusal:
            await flow.refuse(interaction, refusal)
            return
        cap = min(await self.bot.store.mood_cap(guild.id), HISTORY_MAX)
        limit = min(last, cap)
        if not await flow.defer(interaction):  # reading and classifying can take longer than Discord waits
            return
        try:
            await self._report(interaction, channel, last=last, limit=limit, cap=cap, title=title, label=label,
                               known=known)
        except Exception:
            log.exception("/mood on %s failed", getattr(channel, "id", channel))
            await flow.refuse(interaction, "Something went wrong on my side. Please try again in a moment.")

    async def _report(self, interaction: discord.Interaction, channel: Any, *, last: int, limit: int, cap: int,
                      title: str | None, label: str | None, known: Film | None = None) -> None:
        assert self.bot.mood is not None
        flow = self.bot.flow
        started = time.perf_counter()
        try:
            history = [m async for m in channel.history(limit=limit)]
        except discord.Forbidden:
            await flow.refuse(interaction, f"Discord wouldn't let me read the history of {channel.mention}.")
            return
        picked = [m for m in history if usable(m)]
        about = ""
        if title is not None:
            mentions = title_matcher(title)
            picked = [m for m in picked if mentions(m.clean_content)]
            about = f" that mention {neutralize_mentions(label or title)}"
        if not history:
            await flow.refuse(interaction, f"{channel.mention} has no messages yet.")
            return
        if not picked:
            await flow.refuse(interaction, f"I found no messages from members{about} in the last {len(history)} "
                              f"messages of {channel.mention}.")
            return
        texts = [m.clean_content.strip() for m in picked]
        read = time.perf_counter()
        scores = await self.bot.mood.aclassify(texts)
        classified = time.perf_counter()
        report = build_report(
            Scored(m.id, m.jump_url, m.author.display_name, m.created_at, text, score)
            for m, text, score in zip(picked, texts, scores, strict=True)
        )
        chart = await asyncio.to_thread(chart_png, report)
        log.info("/mood on %s: read %d messages in %.2f s, classified %d in %.2f s, chart in %.2f s", channel.id,
                 len(history), read - started, len(texts), classified - read, time.perf_counter() - classified)
        where = f"#{channel.name}"
        inp = DiscussionInput.create(
            place=where, count=report.count, positive_share=report.shares["positive"],
            negative_share=report.shares["negative"], liked=[m.text for m in report.liked(4 * QUOTES)],
            disliked=[m.text for m in report.disliked(4 * QUOTES)], film=label or title,  # repeats are dropped
        )
        if title is not None and self.bot.catalog is not None:
            # About a named film: the summary gets the catalog's facts, and a sentence that credits someone the
            # catalog contradicts (and the members did not name) is removed, as in /review.
            grounding = await asyncio.to_thread(Grounding.for_film, self.bot.catalog, known,
                                                "\n".join(inp.liked + inp.disliked), None, "the messages")
            inp = replace(inp, grounding=grounding)
        count = report.count
        read_note = (f"Read {count} message{'s' if count != 1 else ''} from members{about} among the last "
                     f"{len(history)} in {channel.mention}.")
        if last > cap:
            read_note += f" (You asked for {last}; this server reads at most {cap}.)"
        heading = f"Mood of {where}" + (f": {label or title}" if title else "")  # neutralised by report_embed

        def render(reply: TaskReply) -> list[discord.Embed]:
            return [report_embed(report, title=heading, summary=reply.text, read_note=read_note,
                                 footer=f"mood classifier + {footer_for(reply)}")]

        # the classifier's figures show at once; the model's summary of likes and dislikes follows
        preview = report_embed(report, title=heading, summary=WRITING_SUMMARY, read_note=read_note,
                               footer="mood classifier · the summary is being written")
        inputs = {"channel_id": channel.id, "last": last, "limit": limit, "film": label or title, "count": count,
                  "shares": report.shares, "emotions": report.emotions, "trend": report.trend_word}
        await flow.run(interaction, "mood", inp, task=CHANNEL_TASK, inputs=inputs, render=render,
                       files=[(CHART, chart)], preview=[preview])

    # -- the command and the menu -----------------------------------------------------------------------------------

    @app_commands.command(name="mood")
    @app_commands.guild_only()
    @app_commands.describe(
        text=f"A review or message to read (up to {TEXT_LIMIT:,} characters)",
        message="A message link (right-click a message > Copy Message Link)",
        channel="A channel whose recent discussion to read",
        thread="A thread whose recent discussion to read",
        last=f"How many recent messages to read from the channel or thread (default 100, at most {HISTORY_MAX})",
        film="Only the channel's or thread's messages that mention this film",
    )
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
            await self.bot.flow.refuse(interaction, "Give me exactly one of: text, message, channel or thread.")
            return
        if film is not None and channel is None and thread is None:
            await self.bot.flow.refuse(interaction, "The film option picks messages from a channel or thread: "
                                       "add channel or thread too.")
            return
        if self.bot.mood is None:
            await self.bot.flow.refuse(interaction, "The mood classifier isn't loaded on this bot.")
            return
        if text is not None:
            await self._one(interaction, text, "your text")
            return
        if message is not None:
            try:
                body, source = await self._linked(interaction, message)
            except InputError as exc:
                await self.bot.flow.refuse(interaction, str(exc))
                return
            await self._one(interaction, body, source)
            return
        await self._discussion(interaction, channel or thread, last, film)

    @mood.autocomplete("film")
    async def film_autocomplete(self, interaction: discord.Interaction,
                                current: str) -> list[app_commands.Choice[str]]:
        return film_choices(self.bot, current)

    async def mood_menu(self, interaction: discord.Interaction, message: discord.Message) -> None:
        if self.bot.mood is None:
            await self.bot.flow.refuse(interaction, "The mood classifier isn't loaded on this bot.")
            return
        await self._one(interaction, message.clean_content,
                        f"a message by {neutralize_mentions(message.author.display_name)}")


async def setup(bot: CineBot) -> None:
    await bot.add_cog(Mood(bot))
