"""/scene: a vivid scene description from a script excerpt, pasted or attached (.fountain or .txt)."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot.core import CineBot
from bot.flow import locale_of
from bot.i18n import t
from bot.services import scene as scene_service
from cogs._common import CommandCog, server_command
from models.tasks import InputError
from models.tasks.scene import EXCERPT_LIMIT

log = logging.getLogger(__name__)


class Scene(CommandCog):
    @server_command(
        "scene",
        excerpt=f"A script excerpt (up to {EXCERPT_LIMIT:,} characters), or attach a file instead",
        attachment="A .fountain or .txt script (100 KB by default); long scripts: the scenes that fit",
        start="With an attached script: the scene to start from (default 1)",
    )
    async def scene(self, interaction: discord.Interaction,
                    excerpt: app_commands.Range[str, 1, EXCERPT_LIMIT] | None = None,
                    attachment: discord.Attachment | None = None,
                    start: app_commands.Range[int, 1, 999] | None = None) -> None:
        """Describe a scene from a script excerpt: setting, blocking, light, sound, camera."""
        file: tuple[str, bytes] | None = None
        max_bytes = self.bot.settings.max_attachment_kb * 1024
        if attachment is not None:
            scene_service.check_file(attachment.filename, attachment.size, max_bytes, excerpt=excerpt)  # first
            try:
                file = (attachment.filename, await attachment.read())
            except discord.HTTPException:
                raise InputError("I couldn't download that attachment; please try again.") from None
        job = scene_service.prepare(excerpt=excerpt, file=file, start=start, max_bytes=max_bytes)
        await self.bot.flow.run(interaction, job, author=t("for {member}", locale_of(interaction),
                                                           member=interaction.user.display_name))


async def setup(bot: CineBot) -> None:
    await bot.add_cog(Scene(bot))
