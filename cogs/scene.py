"""/scene: a vivid scene description from a script excerpt, pasted or attached (.fountain or .txt)."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import CineBot
from bot.flow import COLOURS, footer_for, text_embeds
from models.runner import TaskReply
from models.tasks import InputError, SceneInput
from models.tasks.scene import EXCERPT_LIMIT

log = logging.getLogger(__name__)


class Scene(commands.Cog):
    def __init__(self, bot: CineBot) -> None:
        self.bot = bot

    async def _input(self, excerpt: str | None, attachment: discord.Attachment | None) -> SceneInput:
        if (excerpt is None) == (attachment is None):
            raise InputError("Give me either an excerpt or a .fountain/.txt attachment (one of the two).")
        if attachment is None:
            return SceneInput.create(excerpt=excerpt)
        limit = self.bot.settings.max_attachment_kb * 1024
        if attachment.size > limit:
            raise InputError(f"{attachment.filename} is {attachment.size / 1024:,.0f} KB; the limit is "
                             f"{limit // 1024:,} KB. Attach a shorter excerpt.")
        if not attachment.filename.lower().endswith((".fountain", ".txt")):
            raise InputError(f"{attachment.filename} isn't a script I can read: attach a .fountain or .txt file.")
        try:
            data = await attachment.read()
        except discord.HTTPException:
            raise InputError("I couldn't download that attachment; please try again.") from None
        return SceneInput.from_attachment(attachment.filename, data, max_bytes=limit)

    @app_commands.command(name="scene")
    @app_commands.guild_only()
    @app_commands.describe(
        excerpt=f"A script excerpt (up to {EXCERPT_LIMIT:,} characters), or attach a file instead",
        attachment="A .fountain or .txt script excerpt (100 KB by default)",
    )
    async def scene(self, interaction: discord.Interaction,
                    excerpt: app_commands.Range[str, 1, EXCERPT_LIMIT] | None = None,
                    attachment: discord.Attachment | None = None) -> None:
        """Describe a scene from a script excerpt: setting, blocking, light, sound, camera."""
        try:
            inp = await self._input(excerpt, attachment)
        except InputError as exc:
            await self.bot.flow.refuse(interaction, str(exc))
            return

        def render(reply: TaskReply) -> list[discord.Embed]:
            title = "Scene" + (f" · {attachment.filename}" if attachment else "")
            return text_embeds(title, reply.text, colour=COLOURS["scene"], footer=footer_for(reply),
                               author=f"for {interaction.user.display_name}")

        inputs = {"excerpt": inp.excerpt, "attachment": attachment.filename if attachment else None}
        await self.bot.flow.run(interaction, "scene", inp, inputs=inputs, render=render)


async def setup(bot: CineBot) -> None:
    await bot.add_cog(Scene(bot))
