"""/pitch: a title, a logline and a short synopsis from a premise, genre and tone."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot.core import CineBot
from bot.flow import locale_of
from bot.i18n import t
from cogs._common import CommandCog, server_command, words_like
from models.tasks import pitch as pitch_task
from models.tasks.pitch import GENRE_LIMIT, PREMISE_LIMIT, TONE_LIMIT

log = logging.getLogger(__name__)

GENRES = ["Action", "Adventure", "Animation", "Comedy", "Crime", "Documentary", "Drama", "Fantasy", "Horror",
          "Musical", "Mystery", "Noir", "Romance", "Science fiction", "Thriller", "War", "Western"]


class Pitch(CommandCog):
    @server_command(
        "pitch",
        premise=f"Your idea in a sentence or two (10-{PREMISE_LIMIT} characters)",
        genre="A genre, e.g. Thriller (pick or type your own)",
        tone=f"The tone, e.g. darkly comic, hopeful, tense (up to {TONE_LIMIT} characters)",
    )
    @app_commands.autocomplete(genre=words_like(GENRES))
    async def pitch(self, interaction: discord.Interaction, premise: app_commands.Range[str, 1, PREMISE_LIMIT],
                    genre: app_commands.Range[str, 1, GENRE_LIMIT] | None = None,
                    tone: app_commands.Range[str, 1, TONE_LIMIT] | None = None) -> None:
        """Turn a premise into a film pitch: title, logline and synopsis."""
        job = pitch_task.prepare(premise=premise, genre=genre, tone=tone)
        await self.bot.flow.run(interaction, job, author=t("for {member}", locale_of(interaction),
                                                           member=interaction.user.display_name))


async def setup(bot: CineBot) -> None:
    await bot.add_cog(Pitch(bot))
