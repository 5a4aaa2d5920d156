"""Reaction feedback: members' reactions on the bot's replies become scored rows in the store.

Guard clauses first (RoboDanny's cogs/stars.py): the raw events are used because the plain ones miss messages
that are no longer cached (every reply from before a restart). DMs, the bot's own reactions (👍/👎 it adds as
prompts) and other bots' reactions are dropped; then one write, `RequestDesk.record_reaction`, which itself ignores
messages that are not stored replies. The score comes from CINEBOT_REACTION_SCORES (0 for any other emoji).
A reaction on one of two takes settles which the members prefer (`RequestDesk.settle_take`), and the learner reads the
scores when it picks the next reply's variant (`bot/learning.py`).

🔁 added by the member who asked for a reply (and only on a first take, once) asks for another take: the same
request written in another variant, posted below it (`TaskFlow.another_take`).
"""

from __future__ import annotations

import logging

import discord
from discord.ext import commands

from bot.commands import prepare
from bot.core import CineBot
from bot.desk import JobRow
from bot.flow import ANOTHER_TAKE
from models.tasks import InputError

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
            stored = await self.bot.desk.record_reaction(message_id=payload.message_id, user_id=payload.user_id,
                                                         emoji=emoji, score=score, added=added)
        except Exception:
            log.exception("could not record %s %s by %s on message %s", "adding" if added else "removing", emoji,
                          payload.user_id, payload.message_id)
            return
        if not stored:
            return
        log.debug("%s %s (score %d) by %s on reply %s", "added" if added else "removed", emoji, score,
                  payload.user_id, payload.message_id)
        job = await self.bot.desk.job_for_message(payload.message_id)
        if job is None:
            return
        if score:
            await self.bot.desk.settle_take(job.id)
        elif added and emoji == ANOTHER_TAKE:
            await self._another_take(payload, job)

    async def _another_take(self, payload: discord.RawReactionActionEvent, job: JobRow) -> None:
        if job.user_id != payload.user_id or job.parent_job is not None or not job.variant or job.status != "done":
            return  # only the member who asked, only on a first take that has variants
        if await self.bot.desk.has_take(job.id):
            return
        channel = self.bot.get_channel(payload.channel_id)
        if not isinstance(channel, discord.abc.Messageable) or not hasattr(channel, "get_partial_message"):
            return
        try:
            request = prepare(self.bot.services, job.command, job.inputs)
        except InputError as exc:  # e.g. the catalog changed so that the title is now ambiguous
            log.info("no other take of job %s: %s", job.id, exc)
            return
        if request is None:
            return
        member = payload.member.display_name if payload.member is not None else None
        author = f"{member}'s review" if member and job.command == "review" else f"for {member}" if member else None
        await self.bot.flow.another_take(channel, channel.get_partial_message(payload.message_id), job, request,
                                         author=author)

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        await self._record(payload, added=True)

    @commands.Cog.listener()
    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        await self._record(payload, added=False)


async def setup(bot: CineBot) -> None:
    await bot.add_cog(Feedback(bot))
