"""/pitch: a title, a logline and a short synopsis from a premise, genre and tone."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import CineBot
from bot.flow import COLOURS, footer_for, text_embeds
from models.runner import TaskReply
from models.tasks import InputError, PitchInput
from models.tasks.pitch import GENRE_LIMIT, PREMISE_LIMIT, TONE_LIMIT

log = logging.getLogger(__name__)

GENRES = ["Action", "Adventure", "Animation", "Comedy", "Crime", "Documentary", "Drama", "Fantasy", "Horror",
          "Musical", "Mystery", "Noir", "Romance", "Science fiction", "Thriller", "War", "Western"]


class Pitch(commands.Cog):
    def __init__(self, bot: CineBot) -> None:
        self.bot = bot

    @app_commands.command(name="pitch")
    @app_commands.guild_only()
    @app_commands.describe(
        premise=f"Your idea in a sentence or two (10-{PREMISE_LIMIT} characters)",
        genre="A genre, e.g. Thriller (pick or type your own)",
        tone=f"The tone, e.g. darkly comic, hopeful, tense (up to {TONE_LIMIT} characters)",
    )
    async def pitch(self, interaction: discord.Interaction, premise: app_commands.Range[str, 1, PREMISE_LIMIT],
                    genre: app_commands.Range[str, 1, GENRE_LIMIT] | None = None,
                    tone: app_commands.Range[str, 1, TONE_LIMIT] | None = None) -> None:
        """Turn a premise into a film pitch: title, logline and synopsis."""
        try:
            inp = PitchInput.create(premise=premise, genre=genre, tone=tone)
        except InputError as exc:
            await self.bot.flow.refuse(interaction, str(exc))
            return

        def render(reply: TaskReply) -> list[discord.Embed]:
            title = "Pitch" + (f" · {inp.genre}" if inp.genre else "")
            return text_embeds(title, reply.text, colour=COLOURS["pitch"], footer=footer_for(reply),
                               author=f"for {interaction.user.display_name}")

        await self.bot.flow.run(interaction, "pitch", inp,
                                inputs={"premise": inp.premise, "genre": inp.genre, "tone": inp.tone}, render=render)

    @pitch.autocomplete("genre")
    async def genre_autocomplete(self, interaction: discord.Interaction,
                                 current: str) -> list[app_commands.Choice[str]]:
        current = current.strip().lower()
        return [app_commands.Choice(name=g, value=g) for g in GENRES if current in g.lower()][:25]


async def setup(bot: CineBot) -> None:
    await bot.add_cog(Pitch(bot))
