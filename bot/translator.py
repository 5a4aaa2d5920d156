"""Discord's side of `bot.i18n`: the `app_commands.Translator` that serves every command's, group's, option's and
choice's name and description from the catalogs (installed in `CineBot.setup_hook`)."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.app_commands import TranslationContextLocation as Where

from bot.i18n import CHOICE, MENU, NAME, locale_for, translated

_NAMES = {Where.command_name, Where.group_name, Where.parameter_name}


class CatalogTranslator(app_commands.Translator):
    """Names and descriptions in the member's client language, where a catalog has them (None: Discord shows the
    English one). A choice that names a command (`/review`) shows that command's translated name."""

    async def translate(self, string: app_commands.locale_str, locale: discord.Locale,
                        context: app_commands.TranslationContextTypes) -> str | None:
        text, where = string.message, context.location
        catalog = locale_for(locale.value)
        if where is Where.command_name and isinstance(context.data, app_commands.ContextMenu):
            return translated(text, catalog, MENU)
        if where in _NAMES:
            return translated(text, catalog, NAME)
        if where is Where.choice_name:
            if text.startswith("/"):
                name = translated(text[1:], catalog, NAME)
                return f"/{name}" if name else None
            return translated(text, catalog, CHOICE)
        return translated(text, catalog)
