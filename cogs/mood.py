"""/mood: the sentiment and emotions of a text, a message, or a channel's or thread's recent discussion.

Also the "Mood" message context menu (Apps > Mood). History is read only where both the member and the bot
may read it; bots' messages are skipped.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import CineBot
from bot.flow import COLOURS
from models.runner import TaskReply
from models.tasks import InputError, MoodInput
from models.tasks.mood import TEXT_LIMIT
from models.tasks.text import neutralize_mentions

log = logging.getLogger(__name__)

LINK = re.compile(r"https://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/channels/(\d+|@me)/(\d+)/(\d+)")
HISTORY_MAX = 500
SENTIMENT_COLOURS = {"positive": 0x2FAE7E, "negative": 0xD9534F, "mixed": 0xE0A526, "neutral": 0x8A8F98}


def can_read(channel: Any, member: Any) -> bool:
    perms = channel.permissions_for(member)
    return bool(perms.view_channel and perms.read_message_history)


def discussion_text(messages: list[discord.Message]) -> tuple[str, int]:
    """The newest messages that fit the text limit, oldest first, as "name: text" lines; and how many."""
    lines: list[str] = []
    size = 0
    for message in messages:  # newest first
        content = message.clean_content.strip()
        if message.author.bot or not content or content.startswith("/"):
            continue
        line = f"{message.author.display_name}: {content}"
        if size + len(line) + 1 > TEXT_LIMIT:
            break
        lines.append(line)
        size += len(line) + 1
    return "\n".join(reversed(lines)), len(lines)


class Mood(commands.Cog):
    def __init__(self, bot: CineBot) -> None:
        self.bot = bot
        self.menu = app_commands.ContextMenu(name="Mood", callback=self.mood_menu)

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)

    async def _history(self, interaction: discord.Interaction, channel: Any, last: int) -> tuple[str, str]:
        guild = interaction.guild
        assert guild is not None
        member = interaction.user
        if not can_read(channel, member):
            raise InputError(f"You can't read the history of {channel.mention}, so I won't read it for you.")
        if not can_read(channel, guild.me):
            raise InputError(f"I can't read the history of {channel.mention}; ask a moderator to give me "
                             "View Channel and Read Message History there.")
        cap = min(await self.bot.store.mood_cap(guild.id), HISTORY_MAX)
        limit = min(last, cap)
        messages = [m async for m in channel.history(limit=limit)]
        text, used = discussion_text(messages)
        if not text:
            raise InputError(f"I found no messages from members in the last {limit} messages of {channel.mention}.")
        return text, f"{used} recent message{'s' if used != 1 else ''} in {channel.mention}"

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
        return message.clean_content, f"a message by {message.author.display_name} in {channel.mention}"

    @app_commands.command(name="mood")
    @app_commands.guild_only()
    @app_commands.describe(
        text=f"A review or message to read (up to {TEXT_LIMIT:,} characters)",
        message="A message link (right-click a message > Copy Message Link)",
        channel="A channel whose recent discussion to read",
        thread="A thread whose recent discussion to read",
        last=f"How many recent messages to read from the channel or thread (default 100, at most {HISTORY_MAX})",
    )
    async def mood(self, interaction: discord.Interaction,
                   text: app_commands.Range[str, 1, TEXT_LIMIT] | None = None,
                   message: str | None = None,
                   channel: discord.TextChannel | None = None,
                   thread: discord.Thread | None = None,
                   last: app_commands.Range[int, 1, HISTORY_MAX] = 100) -> None:
        """The sentiment and emotions of a text, a message, or a channel's or thread's discussion."""
        sources = [s for s in (text, message, channel, thread) if s is not None]
        if len(sources) != 1:
            await self.bot.flow.refuse(interaction, "Give me exactly one of: text, message, channel or thread.")
            return
        try:
            if text is not None:
                body, source = text, "your text"
            elif message is not None:
                body, source = await self._linked(interaction, message)
            else:
                body, source = await self._history(interaction, channel or thread, last)
            inp = MoodInput.create(text=body)
        except InputError as exc:
            await self.bot.flow.refuse(interaction, str(exc))
            return
        await self._run(interaction, inp, source)

    async def mood_menu(self, interaction: discord.Interaction, message: discord.Message) -> None:
        try:
            inp = MoodInput.create(text=message.clean_content)
        except InputError:
            await self.bot.flow.refuse(interaction, "That message has no text for me to read.")
            return
        await self._run(interaction, inp, f"a message by {message.author.display_name}")

    async def _run(self, interaction: discord.Interaction, inp: MoodInput, source: str) -> None:
        def render(reply: TaskReply) -> list[discord.Embed]:
            mood = reply.mood
            assert mood is not None
            embed = discord.Embed(title=f"Mood: {mood.sentiment}",
                                  colour=SENTIMENT_COLOURS.get(mood.sentiment, COLOURS["mood"]))
            embed.description = neutralize_mentions(f"Read from {source}.")
            if mood.sentiment != "unclear":
                embed.add_field(name="Confidence", value=f"{mood.confidence:.0%}")
                embed.add_field(name="Emotions", value=", ".join(mood.emotions) or "none in particular")
            else:
                embed.add_field(name="Unclear", value="I couldn't read a clear mood; try a longer text.")
            r = reply.result
            embed.set_footer(text=f"{r.model} · {r.generate_s:.1f} s · react 👍 or 👎 to tell me how I did")
            return [embed]

        await self.bot.flow.run(interaction, "mood", inp, inputs={"text": inp.text, "source": source},
                                render=render)


async def setup(bot: CineBot) -> None:
    await bot.add_cog(Mood(bot))


