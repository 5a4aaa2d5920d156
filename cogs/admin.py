"""/cinebot: moderators choose where each task command works, its cooldown, and how far /mood reads back.

Only members with Manage Server see the group (``default_member_permissions``), and every subcommand checks the
permission again when it runs, because a server's admins can override who sees a command. Every answer is
ephemeral. Rules live in the store: a channel's rule beats its category's, which beats the server-wide one, which
beats the default (on). A thread follows its parent channel, so a rule "for a thread" is set on the parent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import TypeVar

import discord
from babel import Locale
from discord import app_commands
from discord.ext import commands

from bot.commands import MODERATED_COMMANDS
from bot.core import CineBot
from bot.desk import DEFAULT_MOOD_CAP, MAX_COOLDOWN_S, MOOD_CAP_RANGE, CommandRule
from bot.flow import NO_PINGS, locale_of
from bot.i18n import ENGLISH, command_name, t
from bot.learning import Standing
from bot.rules import place_name, where_it_works
from models.language import LANGUAGES
from models.llm.protocol import BackendStatus
from models.tasks.variants import variants_for

log = logging.getLogger(__name__)

COMMAND_CHOICES = [app_commands.Choice(name=f"/{name}", value=name) for name in MODERATED_COMMANDS]
MEMBERS_OWN = "members"  # /cinebot language's choice that takes a pin away: each member's own language again
LANGUAGE_CHOICES = [app_commands.Choice(name="Each member's own language", value=MEMBERS_OWN)] + [
    app_commands.Choice(name=language.native, value=locale) for locale, language in LANGUAGES.items()]
COLOUR = 0x4F545C
FIELD_LIMIT = 1024
BACKEND_STATUS_TIMEOUT_S = 2.5  # /cinebot show answers within Discord's 3 s, so it waits no longer for the status
MOOD_CAP_MIN, MOOD_CAP_MAX = MOOD_CAP_RANGE
IN_CHANNEL = "Only in this channel (a thread counts as its parent channel)"  # the option help of enable and disable
IN_CATEGORY = "Only in the channels of this category"

Place = discord.TextChannel | discord.ForumChannel | discord.Thread
T = TypeVar("T")


class Refusal(Exception):
    """A friendly reason to change nothing; the message is shown to the moderator as is."""


# -- wording ------------------------------------------------------------------------------------------------------


def rule_lines(command: str, rules: list[CommandRule], locale: str = ENGLISH) -> list[str]:
    """One line per rule on `command`: "✅ on in <#5>", in `locale`."""
    return [
        t("✅ on in {where}", locale, where=place_name(r.scope, r.scope_id, locale)) if r.enabled
        else t("⛔ off in {where}", locale, where=place_name(r.scope, r.scope_id, locale))
        for r in rules
        if r.command == command
    ]


def _clip_lines(lines: list[str], limit: int, locale: str = ENGLISH) -> str:
    """Join lines, dropping the tail (with a note, in `locale`) so that the text fits in `limit` characters."""
    out: list[str] = []
    room = limit - 20  # leaves space for the note
    for i, line in enumerate(lines):
        if sum(len(x) + 1 for x in out) + len(line) > room:
            out.append(t("… and {count} more", locale, count=len(lines) - i))
            break
        out.append(line)
    return "\n".join(out)


def rule_options(command: str, channel: str, category: str) -> Callable[[T], T]:
    """The options of /cinebot enable, disable and reset: a command from the choices, and a channel or a category."""

    def apply(callback: T) -> T:
        described = app_commands.describe(command=command, channel=channel, category=category)(callback)
        return app_commands.choices(command=COMMAND_CHOICES)(described)

    return apply


def is_moderator(interaction: discord.Interaction) -> bool:
    """Manage Server (or Administrator), from the interaction's resolved permissions or the member's roles."""
    perms = interaction.permissions
    if perms.manage_guild or perms.administrator:
        return True
    user = interaction.user
    return isinstance(user, discord.Member) and (
        user.guild_permissions.manage_guild or user.guild_permissions.administrator
    )


# -- the cog ------------------------------------------------------------------------------------------------------


class Admin(commands.Cog):
    """The /cinebot settings group. Every answer is in the moderator's language (`bot.flow.locale_of`)."""

    cinebot = app_commands.Group(
        name="cinebot",
        description="Moderators: choose where cinebot's commands work, cooldowns and the /mood history cap",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(self, bot: CineBot) -> None:
        self.bot = bot

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Checked at run time as well: admins can let anyone see the group, but only moderators change settings."""
        locale = locale_of(interaction)
        if interaction.guild is None:
            await self._answer(interaction, t("cinebot's settings are per server; use /cinebot in a server.", locale))
            return False
        if not is_moderator(interaction):
            log.info("refused /cinebot to %s in guild %s: no Manage Server", interaction.user.id, interaction.guild.id)
            await self._answer(interaction, t("Only members with the **Manage Server** permission can see or change "
                                              "cinebot's settings. Nothing was changed.", locale))
            return False
        return True

    async def cog_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        if isinstance(error, app_commands.CheckFailure):
            return  # interaction_check already told the member
        locale = locale_of(interaction)
        if isinstance(error, app_commands.TransformerError):
            await self._answer(interaction, t("I can't use that channel here: pick a text channel, a forum or a "
                                              "thread that I can see. Nothing was changed.", locale))
            return
        log.exception("/cinebot failed in guild %s", interaction.guild_id, exc_info=error)
        await self._answer(interaction, t("Something went wrong on my side, so I may not have saved that. Check with "
                                          "`/cinebot show` and try again.", locale))

    @staticmethod
    async def _answer(
        interaction: discord.Interaction, content: str | None = None, *, embed: discord.Embed | None = None
    ) -> None:
        """An ephemeral answer that pings nobody, whether or not the interaction was answered already."""
        embeds = [embed] if embed is not None else []
        if interaction.response.is_done():
            await interaction.followup.send(content or "", embeds=embeds, ephemeral=True, allowed_mentions=NO_PINGS)
        else:
            await interaction.response.send_message(content, embeds=embeds, ephemeral=True, allowed_mentions=NO_PINGS)

    @staticmethod
    def _scope(
        interaction: discord.Interaction, channel: Place | None, category: discord.CategoryChannel | None
    ) -> tuple[str, int, str]:
        """(scope, scope_id, a note for the answer); a thread's rule goes on its parent channel."""
        assert interaction.guild is not None
        locale = locale_of(interaction)
        if channel is not None and category is not None:
            raise Refusal(t("Pick a channel **or** a category, not both. Nothing was changed.", locale))
        if category is not None:
            return "category", category.id, ""
        if isinstance(channel, discord.Thread):
            parent = channel.parent_id
            return "channel", parent, t("Threads follow their parent channel, so this applies to {parent} and all "
                                        "its threads, including {thread}.", locale, parent=f"<#{parent}>",
                                        thread=channel.mention)
        if isinstance(channel, discord.ForumChannel):
            return "channel", channel.id, t("It applies to every post in {forum}.", locale, forum=channel.mention)
        if channel is not None:
            return "channel", channel.id, ""
        return "guild", interaction.guild.id, ""

    async def _rules(self, guild_id: int) -> list[CommandRule]:
        return (await self.bot.desk.guild_settings(guild_id)).rules

    async def _target(
        self,
        interaction: discord.Interaction,
        command: str,
        channel: Place | None,
        category: discord.CategoryChannel | None,
    ) -> tuple[str, int, str] | None:
        """`_scope` for a rule on `command`; None (with the reason told) for an unknown command or both places."""
        try:
            if command not in MODERATED_COMMANDS:
                raise Refusal(unknown_command(command, locale_of(interaction)))
            return self._scope(interaction, channel, category)
        except Refusal as exc:
            await self._answer(interaction, str(exc))
            return None

    async def _switch(
        self,
        interaction: discord.Interaction,
        command: str,
        channel: Place | None,
        category: discord.CategoryChannel | None,
        *,
        enabled: bool,
    ) -> None:
        assert interaction.guild is not None
        guild_id = interaction.guild.id
        locale = locale_of(interaction)
        target = await self._target(interaction, command, channel, category)
        if target is None:
            return
        scope, scope_id, note = target
        await self.bot.desk.set_command_scope(guild_id, command, scope=scope, scope_id=scope_id, enabled=enabled)
        log.info(
            "guild %s: %s switched /%s %s in %s %s",
            guild_id,
            interaction.user.id,
            command,
            "on" if enabled else "off",
            scope,
            scope_id,
        )
        name, where = command_name(command, locale), place_name(scope, scope_id, locale)
        lines = [t("Done: /{command} is now **on** in {where}.", locale, command=name, where=where) if enabled
                 else t("Done: /{command} is now **off** in {where}.", locale, command=name, where=where)]
        if note:
            lines.append(note)
        lines.append(where_it_works(command, await self._rules(guild_id), locale))
        if scope != "guild":
            lines.append(t("-# A channel's rule beats its category's, which beats the server-wide one.", locale))
        await self._answer(interaction, "\n".join(lines))

    # -- subcommands ------------------------------------------------------------------------------------------------
    async def _toggle(
        self,
        interaction: discord.Interaction,
        command: str,
        channel: Place | None = None,
        category: discord.CategoryChannel | None = None,
    ) -> None:
        """/cinebot enable and /cinebot disable: one callback, told apart by the command's name."""
        on = interaction.command is not None and interaction.command.name == "enable"
        await self._switch(interaction, command, channel, category, enabled=on)

    enable = cinebot.command(
        name="enable", description="Switch a command on in a channel, a category, or (with neither) the whole server."
    )(rule_options("The command to switch on", IN_CHANNEL, IN_CATEGORY)(_toggle))
    disable = cinebot.command(
        name="disable", description="Switch a command off in a channel, a category, or (with neither) the whole server."
    )(rule_options("The command to switch off", IN_CHANNEL, IN_CATEGORY)(_toggle))

    @cinebot.command(name="reset")
    @rule_options(
        "The command whose rule to remove",
        "The channel's rule (a thread counts as its parent channel)",
        "The category's rule",
    )
    @app_commands.describe(learned="Instead: forget what the command learned from reactions (how its replies are "
                                   "written)")
    async def reset(
        self,
        interaction: discord.Interaction,
        command: str,
        channel: Place | None = None,
        category: discord.CategoryChannel | None = None,
        learned: bool = False,
    ) -> None:
        """Remove the rule for a command in a channel, a category, or (with neither) the whole server."""
        assert interaction.guild is not None
        guild_id = interaction.guild.id
        if learned:
            await self._forget(interaction, command)
            return
        locale = locale_of(interaction)
        target = await self._target(interaction, command, channel, category)
        if target is None:
            return
        scope, scope_id, note = target
        removed = await self.bot.desk.clear_command_scope(guild_id, command, scope, scope_id)
        name, where = command_name(command, locale), place_name(scope, scope_id, locale)
        if removed:
            log.info(
                "guild %s: %s removed the /%s rule for %s %s", guild_id, interaction.user.id, command, scope, scope_id
            )
            lines = [t("Done: removed the /{command} rule for {where}; the broader rule (or the default, on) "
                       "applies.", locale, command=name, where=where)]
        else:
            lines = [t("There was no /{command} rule for {where}, so nothing changed.", locale, command=name,
                       where=where)]
        if note:
            lines.append(note)
        lines.append(where_it_works(command, await self._rules(guild_id), locale))
        await self._answer(interaction, "\n".join(lines))

    async def _forget(self, interaction: discord.Interaction, command: str) -> None:
        assert interaction.guild is not None
        locale = locale_of(interaction)
        name = command_name(command, locale)
        if len(variants_for(command)) < 2:
            await self._answer(interaction, t("/{command} has only one way of writing its replies: nothing to "
                                              "forget.", locale, command=name))
            return
        await self.bot.desk.forget_learning(interaction.guild.id, command)
        log.info("guild %s: %s made /%s forget what it learned", interaction.guild.id, interaction.user.id, command)
        await self._answer(interaction, t("Done: /{command} has forgotten what it learned from reactions; its next "
                                          "replies try every way of writing again.", locale, command=name))

    @cinebot.command(name="cooldown")
    @app_commands.describe(
        command="The command to set the cooldown for",
        seconds=f"Seconds a member waits between two uses, 0-{MAX_COOLDOWN_S} (0 = no cooldown)",
    )
    @app_commands.choices(command=COMMAND_CHOICES)
    async def cooldown(
        self, interaction: discord.Interaction, command: str, seconds: app_commands.Range[int, 0, MAX_COOLDOWN_S]
    ) -> None:
        """Set how long each member waits between two uses of a command in this server."""
        assert interaction.guild is not None
        locale = locale_of(interaction)
        if command not in MODERATED_COMMANDS:
            await self._answer(interaction, unknown_command(command, locale))
            return
        if not 0 <= seconds <= MAX_COOLDOWN_S:  # Discord enforces the range; this guards a client that doesn't
            await self._answer(interaction, t("A cooldown is 0 to {limit} seconds (one day); 0 turns it off. Nothing "
                                              "was changed.", locale, limit=f"{MAX_COOLDOWN_S:,}"))
            return
        await self.bot.desk.set_cooldown(interaction.guild.id, command, seconds)
        log.info(
            "guild %s: %s set the /%s cooldown to %d s", interaction.guild.id, interaction.user.id, command, seconds
        )
        name = command_name(command, locale)
        if seconds == 0:
            await self._answer(interaction, t("Done: /{command} has no cooldown now.", locale, command=name))
        else:
            await self._answer(interaction, t("Done: each member now waits {seconds} s between two uses of /{command} "
                                              "in this server.", locale, seconds=f"{seconds:,}", command=name))

    @cinebot.command(name="moodcap")
    @app_commands.describe(
        messages=f"At most this many recent messages, {MOOD_CAP_MIN}-{MOOD_CAP_MAX} (default {DEFAULT_MOOD_CAP})",
    )
    async def moodcap(
        self, interaction: discord.Interaction, messages: app_commands.Range[int, MOOD_CAP_MIN, MOOD_CAP_MAX]
    ) -> None:
        """Set how many recent messages /mood may read from a channel or thread."""
        assert interaction.guild is not None
        locale = locale_of(interaction)
        if not MOOD_CAP_MIN <= messages <= MOOD_CAP_MAX:  # Discord enforces the range; this guards anything else
            await self._answer(interaction, t("The /mood cap is {low} to {high} messages (the default is {default}). "
                                              "Nothing was changed.", locale, low=MOOD_CAP_MIN, high=MOOD_CAP_MAX,
                                              default=DEFAULT_MOOD_CAP))
            return
        await self.bot.desk.set_mood_cap(interaction.guild.id, messages)
        log.info("guild %s: %s set the /mood cap to %d", interaction.guild.id, interaction.user.id, messages)
        mood = command_name("mood", locale)
        await self._answer(interaction, t("Done: /{command} now reads at most 1 recent message of a channel or "
                                          "thread.", locale, command=mood) if messages == 1
                           else t("Done: /{command} now reads at most {count} recent messages of a channel or "
                                  "thread.", locale, command=mood, count=messages))

    @cinebot.command(name="language")
    @app_commands.describe(language="The language replies are written in, or each member's own",
                           channel=IN_CHANNEL)
    @app_commands.choices(language=LANGUAGE_CHOICES)
    async def language(self, interaction: discord.Interaction, language: str, channel: Place | None = None) -> None:
        """Pin the language cinebot's replies are written in, server-wide or in one channel."""
        assert interaction.guild is not None
        locale = locale_of(interaction)
        if language != MEMBERS_OWN and language not in LANGUAGES:
            await self._answer(interaction, t("I don't write in that language yet. Pick one of the choices.", locale))
            return
        try:
            scope, scope_id, note = self._scope(interaction, channel, None)
        except Refusal as exc:
            await self._answer(interaction, str(exc))
            return
        pinned = None if language == MEMBERS_OWN else language
        await self.bot.desk.pin_language(interaction.guild.id, scope, scope_id, pinned)
        log.info("guild %s: %s pinned the replies' language in %s %s to %s", interaction.guild.id,
                 interaction.user.id, scope, scope_id, pinned)
        where = place_name(scope, scope_id, locale)
        lines = [t("Done: replies in {where} are now written in **{native}** ({language}), whatever language a member "
                   "writes in.", locale, where=where, native=LANGUAGES[pinned].native,
                   language=language_name(pinned, locale)) if pinned else
                 t("Done: replies in {where} follow each member again: the language of their own words, else their "
                   "Discord language.", locale, where=where)]
        if note:
            lines.append(note)
        if scope != "guild":
            lines.append(t("-# A channel's language beats the server-wide one.", locale))
        await self._answer(interaction, "\n".join(lines))

    async def _backend_line(self, locale: str = ENGLISH) -> str:
        """One line on the language model (reachable or not), in `locale`; never fails /cinebot show."""
        try:
            async with asyncio.timeout(BACKEND_STATUS_TIMEOUT_S):
                status = await self.bot.engine.status()
        except TimeoutError:
            log.warning("the language model's status took over %.0f s", BACKEND_STATUS_TIMEOUT_S)
            return t("NOT reachable (no answer within {seconds} s)", locale, seconds=f"{BACKEND_STATUS_TIMEOUT_S:g}")
        except Exception:
            log.exception("could not get the language model's status")
            return t("status unknown (the check failed)", locale)
        return status_line(status, locale)[:512] if status is not None else t("status unknown", locale)

    @cinebot.command(name="show")
    async def show(self, interaction: discord.Interaction) -> None:
        """Show this server's cinebot settings: where each command works, cooldowns, /mood cap, feedback."""
        guild = interaction.guild
        assert guild is not None
        locale = locale_of(interaction)
        settings = await self.bot.desk.guild_settings(guild.id)
        feedback = await self.bot.desk.feedback_summary(guild.id)
        cap = settings.mood_cap
        mood = command_name("mood", locale)
        embed = discord.Embed(
            title=t("cinebot settings for {server}", locale, server=guild.name)[:256],
            colour=COLOUR,
            description="\n".join([
                t("Commands work everywhere unless a rule says otherwise. A channel's rule beats its category's, "
                  "which beats the server-wide one; threads follow their parent channel.", locale),
                t("**/{command} history cap:** {count} messages (default)", locale, command=mood, count=cap)
                if cap == DEFAULT_MOOD_CAP else
                t("**/{command} history cap:** {count} messages", locale, command=mood, count=cap),
                t("**Replies' language:** {languages}", locale,
                  languages=language_line(await self.bot.desk.language_pins(guild.id), locale)),
                t("**Language model:** {status}", locale, status=await self._backend_line(locale)),
            ]),
        )
        for command in MODERATED_COMMANDS:
            seconds = settings.cooldowns.get(command, 0)
            head = [
                where_it_works(command, settings.rules, locale),
                t("**Cooldown:** {seconds} s per member", locale, seconds=f"{seconds:,}") if seconds
                else t("**Cooldown:** none", locale),
                feedback_line(feedback.get(command), locale),
            ]
            learned = await self.bot.desk.standings(guild.id, command)
            if len(learned) > 1:
                head.append(learned_line(learned, locale))
            rules = rule_lines(command, settings.rules, locale)
            lines = [*head, t("**Rules:**", locale) if rules else t("**Rules:** none", locale), *rules]
            embed.add_field(name=f"/{command_name(command, locale)}", value=_clip_lines(lines, FIELD_LIMIT, locale),
                            inline=False)
        await self._answer(interaction, embed=embed)


def unknown_command(command: str, locale: str = ENGLISH) -> str:
    return t("I don't have a /{command} command. Pick one of the choices.", locale, command=command)


def language_name(locale_code: str, locale: str = ENGLISH) -> str:
    """A reply language's name in the moderator's language: "Japanese" (`LANGUAGES`' English name) for English,
    Babel's CLDR name elsewhere ("日语" for zh_CN)."""
    if locale == ENGLISH:
        return LANGUAGES[locale_code].english
    return Locale.parse(locale_code).get_display_name(locale) or LANGUAGES[locale_code].english


def status_line(status: BackendStatus, locale: str = ENGLISH) -> str:
    """`BackendStatus.line` in `locale`: the backend and the model by name, its state in words (the detail is the
    backend's own, a place or an error)."""
    state = (t("{backend} · {model} · ready", locale, backend=status.backend, model=status.model) if status.reachable
             else t("{backend} · {model} · NOT reachable", locale, backend=status.backend, model=status.model))
    return state + (f" ({status.detail})" if status.detail else "")


def feedback_line(stats: dict[str, int] | None, locale: str = ENGLISH) -> str:
    """"**Feedback:** 3 replies · 👍 2 · 👎 1" for one command, in `locale`."""
    if not stats:
        return t("**Feedback:** no finished replies yet", locale)
    if stats["jobs"] == 1:
        return t("**Feedback:** 1 reply · 👍 {up} · 👎 {down}", locale, up=stats["up"], down=stats["down"])
    return t("**Feedback:** {count} replies · 👍 {up} · 👎 {down}", locale, count=stats["jobs"], up=stats["up"],
             down=stats["down"])


def language_line(pins: dict[tuple[str, int], str], locale: str = ENGLISH) -> str:
    """"each member's own" or the pinned languages: "日本語 server-wide · English in <#5>" (in `locale`)."""
    if not pins:
        return t("each member's own (the language of their words, else their Discord language)", locale)
    ordered = sorted(pins.items(), key=lambda item: (item[0][0] != "guild", item[0][1]))
    parts = []
    for (scope, scope_id), code in ordered:
        name = LANGUAGES[code].native if code in LANGUAGES else code
        parts.append(t("{language} server-wide", locale, language=name) if scope == "guild"
                     else t("{language} in {where}", locale, language=name, where=place_name(scope, scope_id, locale)))
    return " · ".join(parts)


def learned_line(standings: Sequence[Standing], locale: str = ENGLISH) -> str:
    """"**Learned** (12 rated replies): brief 👍 8 👎 1 · standard 👍 2 👎 3 · lively (dropped) 👍 0 👎 4" (the ways
    of writing by their names; the rest in `locale`)."""
    rated = sum(s.rated for s in standings)
    if not rated:
        return t("**Learned:** nothing yet (no rated replies); every way of writing is tried", locale)
    ranked = sorted(standings, key=lambda s: -s.mean)
    parts = [(t("{variant} (dropped)", locale, variant=s.variant.name) if s.retired else s.variant.name)
             + f" 👍 {s.liked} 👎 {s.disliked}" for s in ranked]
    if rated == 1:
        return t("**Learned** (1 rated reply; best first): {ways}", locale, ways=" · ".join(parts))
    return t("**Learned** ({count} rated replies; best first): {ways}", locale, count=rated, ways=" · ".join(parts))


async def setup(bot: CineBot) -> None:
    await bot.add_cog(Admin(bot))
