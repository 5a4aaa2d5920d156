"""Reaction feedback: members' reactions on the bot's replies become scored rows in the store.

Guard clauses first (RoboDanny's cogs/stars.py): the raw events are used because the plain ones miss messages
that are no longer cached (every reply from before a restart). DMs, the bot's own reactions (👍/👎 it adds as
prompts) and other bots' reactions are dropped; then one write, `Store.record_reaction`, which itself ignores
messages that are not stored replies. The score comes from CINEBOT_REACTION_SCORES (0 for any other emoji).
"""

from __future__ import annotations

import logging

import discord
from discord.ext import commands

from bot.core import CineBot

log = logging.getLogger(__name__)


class Feedback(commands.Cog):
    def __init__(self, bot: CineBot) -> None:
        self.bot = bot

    def _is_bot(self, payload: discord.RawReactionActionEvent) -> bool:
        """Whether the reacting user is a bot, as far as is known without a request.

        An add carries the member; a removal does not, so look in the caches and, if the user is not there,
        proceed: a removal only ever deactivates a row that an add (which was checked) created.
        """
        if payload.member is not None:
            return payload.member.bot
        guild = self.bot.get_guild(payload.guild_id) if payload.guild_id is not None else None
        user = (guild.get_member(payload.user_id) if guild is not None else None) or self.bot.get_user(payload.user_id)
        return user is not None and user.bot

    async def _record(self, payload: discord.RawReactionActionEvent, *, added: bool) -> None:
        if payload.guild_id is None:  # a DM: the bot only replies in servers
            return
        if self.bot.user is not None and payload.user_id == self.bot.user.id:  # the 👍/👎 prompts the bot adds
            return
        if payload.message_author_id is not None and self.bot.user is not None \
                and payload.message_author_id != self.bot.user.id:  # only adds say whose message it is
            return
        if self._is_bot(payload):
            return
        emoji = str(payload.emoji)
        score = self.bot.settings.reaction_score(emoji)
        try:
            stored = await self.bot.store.record_reaction(message_id=payload.message_id, user_id=payload.user_id,
                                                          emoji=emoji, score=score, added=added)
        except Exception:
            log.exception("could not record %s %s by %s on message %s", "adding" if added else "removing", emoji,
                          payload.user_id, payload.message_id)
            return
        if stored:
            log.debug("%s %s (score %d) by %s on reply %s", "added" if added else "removed", emoji, score,
                      payload.user_id, payload.message_id)

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        await self._record(payload, added=True)

    @commands.Cog.listener()
    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        await self._record(payload, added=False)


async def setup(bot: CineBot) -> None:
    await bot.add_cog(Feedback(bot))
