"""Moderator settings: placeholder until the settings group lands (see issue 3)."""

from __future__ import annotations

from discord.ext import commands


async def setup(bot: commands.Bot) -> None:
    return None
