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
from discord import app_commands
from discord.ext import commands

from bot.commands import MODERATED_COMMANDS
from bot.core import CineBot
from bot.desk import DEFAULT_MOOD_CAP, MAX_COOLDOWN_S, MOOD_CAP_RANGE, CommandRule
from bot.flow import NO_PINGS
from bot.learning import Standing
from bot.rules import place_name, where_it_works
from models.language import LANGUAGES
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


def rule_lines(command: str, rules: list[CommandRule]) -> list[str]:
    return [
        f"{'✅ on' if r.enabled else '⛔ off'} in {place_name(r.scope, r.scope_id)}"
        for r in rules
        if r.command == command
    ]


def _clip_lines(lines: list[str], limit: int) -> str:
    """Join lines, dropping the tail (with a note) so that the text fits in `limit` characters."""
    out: list[str] = []
    room = limit - 20  # leaves space for the note
    for i, line in enumerate(lines):
        if sum(len(x) + 1 for x in out) + len(line) > room:
            out.append(f"… and {len(lines) - i} more")
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
    """The /cinebot settings group."""

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
        if interaction.guild is None:
            await self._answer(interaction, "cinebot's settings are per server; use /cinebot in a server.")
            return False
        if not is_moderator(interaction):
            log.info("refused /cinebot to %s in guild %s: no Manage Server", interaction.user.id, interaction.guild.id)
            await self._answer(
                interaction,
                "Only members with the **Manage Server** permission can see or "
                "change cinebot's settings. Nothing was changed.",
            )
            return False
        return True

    async def cog_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        if isinstance(error, app_commands.CheckFailure):
            return  # interaction_check already told the member
        if isinstance(error, app_commands.TransformerError):
            await self._answer(
                interaction,
                "I can't use that channel here: pick a text channel, a forum or a "
                "thread that I can see. Nothing was changed.",
            )
            return
        log.exception("/cinebot failed in guild %s", interaction.guild_id, exc_info=error)
        await self._answer(
            interaction,
            "Something went wrong on my side, so I may not have saved that. Check with `/cinebot show` and try again.",
        )

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
        if channel is not None and category is not None:
            raise Refusal("Pick a channel **or** a category, not both. Nothing was changed.")
        if category is not None:
            return "category", category.id, ""
        if isinstance(channel, discord.Thread):
            parent = channel.parent_id
            return (
                "channel",
                parent,
                (
                    f"Threads follow their parent channel, so this applies to <#{parent}> "
                    f"and all its threads, including {channel.mention}."
                ),
            )
        if isinstance(channel, discord.ForumChannel):
            return "channel", channel.id, f"It applies to every post in {channel.mention}."
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
                raise Refusal(f"I don't have a /{command} command. Pick one of the choices.")
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
        state = "**on**" if enabled else "**off**"
        lines = [f"Done: /{command} is now {state} in {place_name(scope, scope_id)}."]
        if note:
            lines.append(note)
        lines.append(where_it_works(command, await self._rules(guild_id)))
        if scope != "guild":
            lines.append("-# A channel's rule beats its category's, which beats the server-wide one.")
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
        target = await self._target(interaction, command, channel, category)
        if target is None:
            return
        scope, scope_id, note = target
        removed = await self.bot.desk.clear_command_scope(guild_id, command, scope, scope_id)
        where = place_name(scope, scope_id)
        if removed:
            log.info(
                "guild %s: %s removed the /%s rule for %s %s", guild_id, interaction.user.id, command, scope, scope_id
            )
            lines = [f"Done: removed the /{command} rule for {where}; the broader rule (or the default, on) applies."]
        else:
            lines = [f"There was no /{command} rule for {where}, so nothing changed."]
        if note:
            lines.append(note)
        lines.append(where_it_works(command, await self._rules(guild_id)))
        await self._answer(interaction, "\n".join(lines))

    async def _forget(self, interaction: discord.Interaction, command: str) -> None:
        assert interaction.guild is not None
        if len(variants_for(command)) < 2:
            await self._answer(interaction, f"/{command} has only one way of writing its replies: nothing to forget.")
            return
        await self.bot.desk.forget_learning(interaction.guild.id, command)
        log.info("guild %s: %s made /%s forget what it learned", interaction.guild.id, interaction.user.id, command)
        await self._answer(interaction, f"Done: /{command} has forgotten what it learned from reactions; its next "
                           "replies try every way of writing again.")

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
        if command not in MODERATED_COMMANDS:
            await self._answer(interaction, f"I don't have a /{command} command. Pick one of the choices.")
            return
        if not 0 <= seconds <= MAX_COOLDOWN_S:  # Discord enforces the range; this guards a client that doesn't
            await self._answer(
                interaction,
                f"A cooldown is 0 to {MAX_COOLDOWN_S:,} seconds (one day); 0 turns it off. Nothing was changed.",
            )
            return
        await self.bot.desk.set_cooldown(interaction.guild.id, command, seconds)
        log.info(
            "guild %s: %s set the /%s cooldown to %d s", interaction.guild.id, interaction.user.id, command, seconds
        )
        if seconds == 0:
            await self._answer(interaction, f"Done: /{command} has no cooldown now.")
        else:
            await self._answer(
                interaction, f"Done: each member now waits {seconds:,} s between two uses of /{command} in this server."
            )

    @cinebot.command(name="moodcap")
    @app_commands.describe(
        messages=f"At most this many recent messages, {MOOD_CAP_MIN}-{MOOD_CAP_MAX} (default {DEFAULT_MOOD_CAP})",
    )
    async def moodcap(
        self, interaction: discord.Interaction, messages: app_commands.Range[int, MOOD_CAP_MIN, MOOD_CAP_MAX]
    ) -> None:
        """Set how many recent messages /mood may read from a channel or thread."""
        assert interaction.guild is not None
        if not MOOD_CAP_MIN <= messages <= MOOD_CAP_MAX:  # Discord enforces the range; this guards anything else
            await self._answer(
                interaction,
                f"The /mood cap is {MOOD_CAP_MIN} to {MOOD_CAP_MAX} messages "
                f"(the default is {DEFAULT_MOOD_CAP}). Nothing was changed.",
            )
            return
        await self.bot.desk.set_mood_cap(interaction.guild.id, messages)
        log.info("guild %s: %s set the /mood cap to %d", interaction.guild.id, interaction.user.id, messages)
        await self._answer(
            interaction,
            f"Done: /mood now reads at most {messages} recent message"
            f"{'s' if messages != 1 else ''} of a channel or thread.",
        )

    @cinebot.command(name="language")
    @app_commands.describe(language="The language replies are written in, or each member's own",
                           channel=IN_CHANNEL)
    @app_commands.choices(language=LANGUAGE_CHOICES)
    async def language(self, interaction: discord.Interaction, language: str, channel: Place | None = None) -> None:
        """Pin the language cinebot's replies are written in, server-wide or in one channel."""
        assert interaction.guild is not None
        if language != MEMBERS_OWN and language not in LANGUAGES:
            await self._answer(interaction, "I don't write in that language yet. Pick one of the choices.")
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
        where = place_name(scope, scope_id)
        lines = [f"Done: replies in {where} are now written in **{LANGUAGES[pinned].native}** "
                 f"({LANGUAGES[pinned].english}), whatever language a member writes in." if pinned else
                 f"Done: replies in {where} follow each member again: the language of their own words, else "
                 "their Discord language."]
        if note:
            lines.append(note)
        if scope != "guild":
            lines.append("-# A channel's language beats the server-wide one.")
        await self._answer(interaction, "\n".join(lines))

    async def _backend_line(self) -> str:
        """One line on the language model (reachable or not); never fails /cinebot show."""
        try:
            async with asyncio.timeout(BACKEND_STATUS_TIMEOUT_S):
                status = await self.bot.engine.status()
        except TimeoutError:
            log.warning("the language model's status took over %.0f s", BACKEND_STATUS_TIMEOUT_S)
            return f"NOT reachable (no answer within {BACKEND_STATUS_TIMEOUT_S:g} s)"
        except Exception:
            log.exception("could not get the language model's status")
            return "status unknown (the check failed)"
        return status.line()[:512] if status is not None else "status unknown"

    @cinebot.command(name="show")
    async def show(self, interaction: discord.Interaction) -> None:
        """Show this server's cinebot settings: where each command works, cooldowns, /mood cap, feedback."""
        guild = interaction.guild
        assert guild is not None
        settings = await self.bot.desk.guild_settings(guild.id)
        feedback = await self.bot.desk.feedback_summary(guild.id)
        cap = settings.mood_cap
        embed = discord.Embed(
            title=f"cinebot settings for {guild.name}"[:256],
            colour=COLOUR,
            description=(
                "Commands work everywhere unless a rule says otherwise. A channel's rule beats its "
                "category's, which beats the server-wide one; threads follow their parent channel.\n"
                f"**/mood history cap:** {cap} messages"
                + (" (default)" if cap == DEFAULT_MOOD_CAP else "")
                + f"\n**Replies' language:** {language_line(await self.bot.desk.language_pins(guild.id))}"
                + f"\n**Language model:** {await self._backend_line()}"
            ),
        )
        for command in MODERATED_COMMANDS:
            seconds = settings.cooldowns.get(command, 0)
            stats = feedback.get(command)
            head = [
                where_it_works(command, settings.rules),
                f"**Cooldown:** {f'{seconds:,} s per member' if seconds else 'none'}",
                "**Feedback:** "
                + (
                    f"{stats['jobs']} repl{'ies' if stats['jobs'] != 1 else 'y'} · "
                    f"👍 {stats['up']} · 👎 {stats['down']}"
                    if stats
                    else "no finished replies yet"
                ),
            ]
            learned = await self.bot.desk.standings(guild.id, command)
            if len(learned) > 1:
                head.append(learned_line(learned))
            rules = rule_lines(command, settings.rules)
            lines = [*head, "**Rules:**" if rules else "**Rules:** none", *rules]
            embed.add_field(name=f"/{command}", value=_clip_lines(lines, FIELD_LIMIT), inline=False)
        await self._answer(interaction, embed=embed)


def language_line(pins: dict[tuple[str, int], str]) -> str:
    """"each member's own" or the pinned languages: "日本語 server-wide · English in <#5>"."""
    if not pins:
        return "each member's own (the language of their words, else their Discord language)"
    ordered = sorted(pins.items(), key=lambda item: (item[0][0] != "guild", item[0][1]))
    return " · ".join(f"{LANGUAGES[locale].native if locale in LANGUAGES else locale} "
                      f"{'server-wide' if scope == 'guild' else 'in ' + place_name(scope, scope_id)}"
                      for (scope, scope_id), locale in ordered)


def learned_line(standings: Sequence[Standing]) -> str:
    """"**Learned** (12 rated replies): brief 👍 8 👎 1 · standard 👍 2 👎 3 · lively (dropped) 👍 0 👎 4"."""
    rated = sum(s.rated for s in standings)
    if not rated:
        return "**Learned:** nothing yet (no rated replies); every way of writing is tried"
    ranked = sorted(standings, key=lambda s: -s.mean)
    parts = [f"{s.variant.name}{' (dropped)' if s.retired else ''} 👍 {s.liked} 👎 {s.disliked}" for s in ranked]
    return f"**Learned** ({rated} rated repl{'ies' if rated != 1 else 'y'}; best first): " + " · ".join(parts)


async def setup(bot: CineBot) -> None:
    await bot.add_cog(Admin(bot))
