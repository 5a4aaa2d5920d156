"""/cinebot end to end: moderators switch commands on and off by channel, category and server, set cooldowns and
the /mood cap, and read it all back; members without Manage Server change nothing. Runs on the fake model."""

from __future__ import annotations

import re
from typing import Any

import discord
import pytest

from bot.commands import MODERATED_COMMANDS
from bot.core import CineBot
from bot.store import DEFAULT_MOOD_CAP, MAX_COOLDOWN_S, CommandRule
from tests.e2e.conftest import BotFactory

from .fake_discord import (
    CALLBACK_MESSAGE,
    CHANNEL_CATEGORY,
    CHANNEL_FORUM,
    CHANNEL_PUBLIC_THREAD,
    CHANNEL_TEXT,
    OPT_CHANNEL,
    OPT_INTEGER,
    OPT_SUB_COMMAND,
    PERM_MANAGE_GUILD,
    FakeChannel,
    FakeDiscord,
    FakeMember,
    FakeMessage,
    InteractionHandle,
)

pytestmark = pytest.mark.asyncio

PREMISE = "a projectionist finds a reel that shows tomorrow's audience"


async def settle(handle: InteractionHandle) -> FakeMessage:
    """The ephemeral answer of a /cinebot call (or a refusal), checked to be ephemeral."""
    message = await handle.original()
    assert handle.response_type == CALLBACK_MESSAGE, handle
    assert handle.ephemeral and message.ephemeral
    return message


async def cinebot(fake: FakeDiscord, sub: str, options: dict[str, Any] | None = None, *,
                  user: FakeMember | None = None) -> str:
    """Run /cinebot <sub> as the moderator (or `user`) and return its ephemeral answer's text."""
    handle = await fake.send_slash(f"cinebot {sub}", options or {}, user=user or fake.moderator)
    return (await settle(handle)).content


async def pitch(fake: FakeDiscord, channel: FakeChannel, user: FakeMember | None = None) -> InteractionHandle:
    return await fake.send_slash("pitch", {"premise": PREMISE}, user=user or fake.member, channel=channel)


async def assert_runs(handle: InteractionHandle) -> FakeMessage:
    """The task command was accepted: deferred publicly, then finished with an embed and feedback reactions."""
    await handle.deferred()
    assert not handle.ephemeral
    original = await handle.original(edits=1)
    await handle.fake.wait_for(lambda: original.embeds and original.reaction_users("👎"),
                               what="the final embed with feedback reactions")
    return original


async def assert_refused(handle: InteractionHandle, *phrases: str) -> str:
    message = await settle(handle)
    for phrase in phrases:
        assert phrase in message.content, message.content
    return message.content


async def new_channel(fake: FakeDiscord, bot: CineBot, name: str, **kwargs: Any) -> FakeChannel:
    channel = fake.add_channel(name, **kwargs)
    await fake.wait_for(lambda: bot.get_channel(channel.id), what=f"#{name} to reach the bot")
    return channel


async def rules(bot: CineBot, fake: FakeDiscord) -> list[CommandRule]:
    return (await bot.store.guild_settings(fake.guild.id)).rules


# -- registration -------------------------------------------------------------------------------------------------


async def test_group_is_registered_for_manage_server_only(make_bot: BotFactory, fake: FakeDiscord) -> None:
    await make_bot()
    cmd = fake.registered_command("cinebot", guild=fake.guild)
    assert cmd is not None
    # discord.py sends the bitfield as a number; Discord answers with the string "32" (the fake keeps what it got)
    assert str(cmd["default_member_permissions"]) == str(PERM_MANAGE_GUILD) == "32"
    subs = {o["name"]: o for o in cmd["options"]}
    assert set(subs) == {"enable", "disable", "reset", "cooldown", "moodcap", "language", "show"}
    languages = {o["name"]: o for o in subs["language"]["options"]}["language"]["choices"]
    assert [c["value"] for c in languages][:3] == ["members", "en", "zh_CN"] and len(languages) == 10
    assert all(o["type"] == OPT_SUB_COMMAND and o["description"] for o in subs.values())
    for name in ("enable", "disable", "reset", "cooldown"):
        options = {o["name"]: o for o in subs[name]["options"]}
        assert [c["value"] for c in options["command"]["choices"]] == list(MODERATED_COMMANDS)
        assert all(o["description"] for o in options.values())
    for name in ("enable", "disable", "reset"):
        options = {o["name"]: o for o in subs[name]["options"]}
        assert options["channel"]["type"] == OPT_CHANNEL and not options["channel"].get("required")
        assert {CHANNEL_TEXT, CHANNEL_PUBLIC_THREAD, CHANNEL_FORUM} <= set(options["channel"]["channel_types"])
        assert CHANNEL_CATEGORY not in options["channel"]["channel_types"]
        assert options["category"]["channel_types"] == [CHANNEL_CATEGORY]
    seconds = next(o for o in subs["cooldown"]["options"] if o["name"] == "seconds")
    assert (seconds["type"], seconds["min_value"], seconds["max_value"]) == (OPT_INTEGER, 0, MAX_COOLDOWN_S)
    messages = subs["moodcap"]["options"][0]
    assert (messages["name"], messages["min_value"], messages["max_value"]) == ("messages", 1, 500)


# -- where a command works -----------------------------------------------------------------------------------------


async def test_pitch_off_in_general_is_refused_there_and_names_where_it_works(
        make_bot: BotFactory, fake: FakeDiscord) -> None:
    bot = await make_bot()
    answer = await cinebot(fake, "disable", {"command": "pitch", "channel": fake.general})
    assert f"/pitch is now **off** in <#{fake.general.id}>" in answer
    assert f"works everywhere in this server except in <#{fake.general.id}>" in answer
    assert await rules(bot, fake) == [CommandRule("pitch", "channel", fake.general.id, False)]

    refusal = await assert_refused(await pitch(fake, fake.general), "switched /pitch off here")
    assert f"/pitch works everywhere in this server except in <#{fake.general.id}>." in refusal

    bots = await new_channel(fake, bot, "bot-corner")
    await cinebot(fake, "disable", {"command": "pitch"})
    await assert_refused(await pitch(fake, bots), "/pitch is switched off everywhere in this server.")
    answer = await cinebot(fake, "enable", {"command": "pitch", "channel": bots})
    assert f"/pitch works only in <#{bots.id}>" in answer

    await assert_refused(await pitch(fake, fake.general), "switched /pitch off here",
                         f"/pitch works only in <#{bots.id}>.")
    elsewhere = await new_channel(fake, bot, "off-topic")
    await assert_refused(await pitch(fake, elsewhere), f"/pitch works only in <#{bots.id}>.")
    await assert_runs(await pitch(fake, bots))
    review = await fake.send_slash("review", {"film": "Cinema Paradiso", "notes": "the kissing reel"},
                                   user=fake.member, channel=fake.general)
    job = await bot.store.job_for_message((await assert_runs(review)).id)
    assert job is not None and job.command == "review" and job.channel_id == fake.general.id
    fake.assert_no_unknown_calls()


async def test_category_rule_applies_to_its_channels_and_a_channel_rule_beats_it(
        make_bot: BotFactory, fake: FakeDiscord) -> None:
    bot = await make_bot()
    outside = await new_channel(fake, bot, "lobby")
    answer = await cinebot(fake, "disable", {"command": "pitch", "category": fake.category})
    assert f"/pitch is now **off** in the channels in <#{fake.category.id}>" in answer
    await assert_refused(await pitch(fake, fake.general), "switched /pitch off here",
                         f"/pitch works everywhere in this server except in the channels in <#{fake.category.id}>.")
    await assert_runs(await pitch(fake, outside))

    answer = await cinebot(fake, "enable", {"command": "pitch", "channel": fake.general})
    assert f"(it stays on in <#{fake.general.id}>)" in answer
    await assert_runs(await pitch(fake, fake.general))
    assert set(await rules(bot, fake)) == {CommandRule("pitch", "category", fake.category.id, False),
                                           CommandRule("pitch", "channel", fake.general.id, True)}

    answer = await cinebot(fake, "reset", {"command": "pitch", "channel": fake.general})
    assert "removed the /pitch rule" in answer
    await assert_refused(await pitch(fake, fake.general), "switched /pitch off here")
    answer = await cinebot(fake, "reset", {"command": "pitch", "channel": fake.general})
    assert "nothing changed" in answer

    answer = await cinebot(fake, "disable", {"command": "pitch", "channel": outside, "category": fake.category})
    assert "not both" in answer and "Nothing was changed" in answer
    assert await rules(bot, fake) == [CommandRule("pitch", "category", fake.category.id, False)]


async def test_a_thread_follows_its_parent_channel(make_bot: BotFactory, fake: FakeDiscord) -> None:
    bot = await make_bot()
    general = bot.get_channel(fake.general.id)
    assert isinstance(general, discord.TextChannel)
    thread = await general.create_thread(name="Stalker (1979)", type=discord.ChannelType.public_thread)
    await fake.wait_for(lambda: bot.get_channel(thread.id), what="the thread to reach the bot")

    answer = await cinebot(fake, "disable", {"command": "pitch", "channel": fake.channels[thread.id]})
    assert f"Threads follow their parent channel, so this applies to <#{fake.general.id}>" in answer
    assert await rules(bot, fake) == [CommandRule("pitch", "channel", fake.general.id, False)]
    await assert_refused(await pitch(fake, fake.channels[thread.id]), "switched /pitch off here")


# -- who may change settings ----------------------------------------------------------------------------------------


async def test_member_without_manage_server_is_refused_and_nothing_changes(
        make_bot: BotFactory, fake: FakeDiscord) -> None:
    bot = await make_bot()
    attempts: list[tuple[str, dict[str, Any]]] = [("disable", {"command": "pitch", "channel": fake.general}),
                                                  ("cooldown", {"command": "pitch", "seconds": 600}),
                                                  ("moodcap", {"messages": 5}),
                                                  ("show", {})]
    for sub, options in attempts:
        answer = await cinebot(fake, sub, options, user=fake.member)
        assert "Manage Server" in answer and "Nothing was changed" in answer
    settings = await bot.store.guild_settings(fake.guild.id)
    assert settings.rules == [] and settings.cooldowns == {} and settings.mood_cap == DEFAULT_MOOD_CAP
    await assert_runs(await pitch(fake, fake.general))

    manager = fake.add_member("projection_lead", permissions=PERM_MANAGE_GUILD)
    answer = await cinebot(fake, "disable", {"command": "pitch", "channel": fake.general}, user=manager)
    assert "/pitch is now **off**" in answer
    assert await rules(bot, fake) == [CommandRule("pitch", "channel", fake.general.id, False)]


# -- cooldowns and the mood cap -----------------------------------------------------------------------------------


async def test_cooldown_refuses_a_second_pitch_with_the_seconds_left(make_bot: BotFactory, fake: FakeDiscord) -> None:
    bot = await make_bot()
    answer = await cinebot(fake, "cooldown", {"command": "pitch", "seconds": 90})
    assert "90 s between two uses of /pitch" in answer
    assert await bot.store.cooldown(fake.guild.id, "pitch") == 90

    await assert_runs(await pitch(fake, fake.general))
    refusal = await assert_refused(await pitch(fake, fake.general), "You can use /pitch again in")
    match = re.search(r"again in (\d+) s", refusal)
    assert match is not None and 85 <= int(match.group(1)) <= 90
    await assert_runs(await pitch(fake, fake.general, user=fake.moderator))  # per member
    review = await fake.send_slash("review", {"film": "Heat", "year": 1995, "notes": "the diner scene"},
                                   user=fake.member)
    await assert_runs(review)  # per command

    assert "no cooldown now" in await cinebot(fake, "cooldown", {"command": "pitch", "seconds": 0})
    await assert_runs(await pitch(fake, fake.general))


async def test_moodcap_is_saved_and_out_of_range_values_change_nothing(
        make_bot: BotFactory, fake: FakeDiscord) -> None:
    bot = await make_bot()
    assert "at most 40 recent messages" in await cinebot(fake, "moodcap", {"messages": 40})
    assert await bot.store.mood_cap(fake.guild.id) == 40
    # Discord enforces the registered range (1-500, checked above); the fake does not, so this reaches the bot's
    # own guard.
    for value in (0, 501, 100_000):
        answer = await cinebot(fake, "moodcap", {"messages": value})
        assert "1 to 500" in answer and "Nothing was changed" in answer
    answer = await cinebot(fake, "cooldown", {"command": "mood", "seconds": MAX_COOLDOWN_S + 1})
    assert "Nothing was changed" in answer
    assert await bot.store.mood_cap(fake.guild.id) == 40
    assert await bot.store.cooldown(fake.guild.id, "mood") == 0


# -- show ---------------------------------------------------------------------------------------------------------


async def test_show_lists_rules_cooldowns_mood_cap_and_feedback(make_bot: BotFactory, fake: FakeDiscord) -> None:
    bot = await make_bot()
    original = await assert_runs(await pitch(fake, fake.general))
    assert await bot.store.record_reaction(message_id=original.id, user_id=fake.member.id, emoji="👍", score=1,
                                           added=True)
    await cinebot(fake, "disable", {"command": "review", "category": fake.category})
    await cinebot(fake, "enable", {"command": "review", "channel": fake.general})
    await cinebot(fake, "disable", {"command": "scene"})
    await cinebot(fake, "cooldown", {"command": "pitch", "seconds": 45})
    await cinebot(fake, "moodcap", {"messages": 250})

    handle = await fake.send_slash("cinebot show", {}, user=fake.moderator)
    message = await settle(handle)
    assert len(message.embeds) == 1
    embed = message.embeds[0]
    assert fake.guild.name in embed["title"]
    assert "/mood history cap:** 250 messages" in embed["description"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert list(fields) == [f"/{name}" for name in MODERATED_COMMANDS]
    review = fields["/review"]
    assert f"⛔ off in the channels in <#{fake.category.id}>" in review
    assert f"✅ on in <#{fake.general.id}>" in review
    assert f"except in the channels in <#{fake.category.id}> (it stays on in <#{fake.general.id}>)" in review
    assert "switched off everywhere" in fields["/scene"] and "⛔ off in the whole server" in fields["/scene"]
    assert "**Cooldown:** 45 s per member" in fields["/pitch"]
    assert "**Feedback:** 1 reply · 👍 1 · 👎 0" in fields["/pitch"]
    assert "works everywhere in this server" in fields["/mood"] and "**Rules:** none" in fields["/mood"]
    assert "**Cooldown:** none" in fields["/mood"] and "no finished replies yet" in fields["/mood"]
