"""/review: my notes on a film (and my rating) turned into a review in my voice."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot.core import CineBot
from bot.flow import locale_of
from bot.i18n import t
from cogs._common import CommandCog, film_titles, server_command, words_like
from models.tasks.review import FILM_LIMIT, NOTES_LIMIT, TONE_LIMIT

log = logging.getLogger(__name__)

TONES = ["casual", "enthusiastic", "wry", "critical", "poetic", "academic", "deadpan"]


class Review(CommandCog):
    @server_command(
        "review",
        film=f"The film's title: pick from the suggestions or type it (up to {FILM_LIMIT} characters)",
        notes=f"Your notes: what you liked, what you didn't (up to {NOTES_LIMIT} characters)",
        rating="Your rating, 0-5 or 0-10 (e.g. 4 or 8.5)",
        scale="Out of 5 or out of 10 (default: out of 5 for a rating up to 5)",
        year="The film's release year, if the title is ambiguous",
        tone=f"How it should sound, e.g. wry or enthusiastic (up to {TONE_LIMIT} characters)",
        spoilers="Allow spoilers (default: no spoilers)",
    )
    @app_commands.autocomplete(film=film_titles, tone=words_like(TONES))
    @app_commands.choices(scale=[app_commands.Choice(name="out of 5", value=5),
                                 app_commands.Choice(name="out of 10", value=10)])
    async def review(self, interaction: discord.Interaction, film: app_commands.Range[str, 1, FILM_LIMIT],
                     notes: app_commands.Range[str, 1, NOTES_LIMIT],
                     rating: app_commands.Range[float, 0, 10] | None = None,
                     scale: app_commands.Choice[int] | None = None,
                     year: app_commands.Range[int, 1870, 2100] | None = None,
                     tone: app_commands.Range[str, 1, TONE_LIMIT] | None = None,
                     spoilers: bool = False) -> None:
        """Turn your notes on a film into a review in your voice."""
        job = self.bot.services.review.prepare(film=film, notes=notes, rating=rating,
                                               scale=scale.value if scale else None, year=year, tone=tone,
                                               spoilers=spoilers)
        await self.bot.flow.run(interaction, job, author=t("{member}'s review", locale_of(interaction),
                                                           member=interaction.user.display_name))


async def setup(bot: CineBot) -> None:
    await bot.add_cog(Review(bot))
