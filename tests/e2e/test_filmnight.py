"""A whole film night through the fake Discord: suggest → plan (a native poll of catalog films) → votes → a restart →
the reminder before voting closes → the poll closes → the event with the film's card → the reminder before the night
→ the recap with its chart → history; and every bad input answered privately. The bot's timers read the fake's clock,
which the test moves forward."""

from __future__ import annotations

import asyncio
import datetime
import re

from tests.e2e.conftest import BotFactory
from tests.e2e.fake_discord import (
    CHANNEL_DM,
    CHANNEL_VOICE,
    PERM_MANAGE_EVENTS,
    PERM_SEND_POLLS,
    FakeDiscord,
    FakeMessage,
    FakeUser,
)
from tests.fakes import ScriptedModel

HOUR = 3600.0


def dms_to(fake: FakeDiscord, user: FakeUser) -> list[FakeMessage]:
    """The direct messages the bot sent `user`."""
    channels = {c.id for c in fake.channels.values() if c.type == CHANNEL_DM and c.recipients == [user.id]}
    return [m for m in fake.messages.values() if m.channel_id in channels]


def no_pings(message: FakeMessage) -> bool:
    return message.allowed_mentions is not None and message.allowed_mentions.get("parse") == [] and not (
        message.mentions or message.mention_roles or message.mention_everyone)


async def private_answer(fake: FakeDiscord, name: str, options: dict[str, object], user: object) -> str:
    handle = await fake.send_slash(f"filmnight {name}", options, user=user)
    await handle.responded()
    message = await handle.original()
    assert handle.ephemeral, f"/filmnight {name} answered in public: {message.content}"
    return message.content


async def wake(bot: object, fake: FakeDiscord, seconds: float) -> None:
    """Move the fake's clock, and let the bot's timer loop look at it."""
    await fake.advance(seconds)
    bot.get_cog("FilmNight").wake()  # type: ignore[attr-defined]


def writer(prompt: str) -> str:
    """The model: the invitation to the film its prompt names, or a summary of what the members said."""
    if "Write the invitation" in prompt:
        title = re.search(r"Film: (.+)", prompt)
        return f"Join us for {title.group(1) if title else 'the film'} together."
    return "Most members loved the film, and one found the ending too long."


async def test_a_whole_film_night(make_bot: BotFactory, fake: FakeDiscord) -> None:
    bot = await make_bot(fake_model=ScriptedModel(writer))
    bot.get_cog("FilmNight").clock = fake.now  # type: ignore[union-attr]
    voice = fake.add_channel("screening-room", type=CHANNEL_VOICE)
    host = fake.add_member("host", permissions=PERM_MANAGE_EVENTS)
    voters = [fake.add_member(f"voter{i}") for i in range(3)]
    sleepy, curious = fake.add_member("sleepy"), fake.add_member("curious")

    said = await private_answer(fake, "suggest", {"film": "Heat 1995"}, voters[0])
    assert "Heat (1995) is on the list for the next film night's poll (1 of 10)" in said
    for member in (voters[2], sleepy):
        assert "direct message" in await private_answer(fake, "remind", {"on": True}, member)

    starts = fake.now().replace(second=0, microsecond=0) + datetime.timedelta(hours=48)
    handle = await fake.send_slash("filmnight plan", {"when": starts.strftime("%Y-%m-%d %H:%M"), "channel": voice,
                                                      "theme": "sci-fi", "poll_hours": 24}, user=host)
    poll_message = await handle.original()
    assert not handle.ephemeral and poll_message.poll is not None and no_pings(poll_message)
    answers = [a["poll_media"]["text"] for a in poll_message.poll.answers]
    assert len(answers) == 10 and answers[0] == "Heat (1995)" and len(set(answers)) == 10
    assert f"<t:{int(starts.timestamp())}:F>" in poll_message.content and voice.mention in poll_message.content

    await fake.vote(poll_message, 2, voters[0])
    await fake.vote(poll_message, 2, voters[1])
    await fake.vote(poll_message, 1, voters[2])

    # a restart while the poll is open: the next process picks the night up, and nobody sees a thing
    posted = len(fake.messages)
    await bot.close()
    bot = await make_bot(fake_model=ScriptedModel(writer))
    bot.get_cog("FilmNight").clock = fake.now  # type: ignore[union-attr]
    await wake(bot, fake, 1.0)
    await fake.wait_for(lambda: True, timeout=0.5)
    assert len(fake.messages) == posted

    # an hour before voting closes: those who asked and have not voted are reminded, by direct message only
    await wake(bot, fake, 23 * HOUR + 60)
    reminder = await fake.wait_for(lambda: dms_to(fake, sleepy.user) or None, what="the voting reminder")
    assert len(reminder) == 1 and "Voting for the film night closes" in reminder[0].content and no_pings(reminder[0])
    assert dms_to(fake, voters[2].user) == []  # asked for reminders, but voted already

    # the poll closes: the winner becomes the event, announced with its card
    await wake(bot, fake, HOUR)
    winner = answers[1]
    announced = await fake.wait_for(
        lambda: next((m for m in fake.channel_messages(poll_message.channel_id) if "won the vote" in m.content), None),
        timeout=20, what="the announcement")
    assert f"**{winner}** won the vote with 2 of 3 votes" in announced.content and no_pings(announced)
    assert announced.embeds and announced.embeds[0]["title"] == winner
    assert announced.embeds[0]["description"] == f"Join us for {winner} together."  # the model's, checked
    event = next(e for e in fake.scheduled_events.values() if not e.deleted)
    assert event.name == f"Film night: {winner}" and event.channel_id == voice.id
    assert event.scheduled_start_time == starts and f"/events/{fake.guild.id}/{event.id}" in announced.content

    # an hour before the night: the interested and those who asked for it
    await fake.interested(event, curious)
    await wake(bot, fake, 23 * HOUR)
    await fake.wait_for(lambda: dms_to(fake, curious.user) or None, what="the night's reminder")
    assert "The film night starts" in dms_to(fake, curious.user)[0].content
    assert any("The film night starts" in m.content for m in dms_to(fake, sleepy.user))

    # the night, and what was said about it; then the recap
    await wake(bot, fake, HOUR + 600)
    for member, text in ((voters[0], "What a film, loved every minute"), (voters[1], "so tense and so good"),
                         (curious, "the ending was boring and too long")):
        await fake.post_message(poll_message.channel_id, member, text)
    # the event ends (Discord, or a moderator): the recap comes CINEBOT_NIGHT_RECAP_MIN later, before the film's
    # planned end
    await fake.start_event(event)
    await fake.end_event(event)
    await asyncio.sleep(0.3)  # the gateway's update reaches the bot
    await wake(bot, fake, HOUR + 60)
    recap = await fake.wait_for(
        lambda: next((m for m in fake.channel_messages(poll_message.channel_id)
                      if m.embeds and m.embeds[0].get("title", "").startswith("Recap:")), None),
        timeout=20, what="the recap")
    assert "of 3 messages" in recap.embeds[0]["description"] and recap.attachments and no_pings(recap)
    assert "Most members loved the film" in recap.embeds[0]["description"]  # the model's summary

    for _ in range(100):  # the recap is posted, then the night is marked done
        if (await bot.store.nights(fake.guild.id))[0].status == "done":
            break
        await asyncio.sleep(0.05)
    history = await private_answer(fake, "history", {}, voters[1])
    assert history == ""  # an embed, not text
    card = (await (await fake.send_slash("filmnight history", {}, user=voters[1])).original()).embeds[0]
    assert winner in card["description"] and "watched" in card["description"] and "1 interested" in card["description"]

    # the film is watched: it is never a candidate again
    assert "already watched" in await private_answer(fake, "suggest", {"film": winner}, voters[0])
    fake.assert_no_unknown_calls()


async def test_bad_input_is_answered_privately(make_bot: BotFactory, fake: FakeDiscord) -> None:
    bot = await make_bot(night_suggestions=2)
    bot.get_cog("FilmNight").clock = fake.now  # type: ignore[union-attr]
    voice = fake.add_channel("screening-room", type=CHANNEL_VOICE)
    host = fake.add_member("host", permissions=PERM_MANAGE_EVENTS)
    member = fake.add_member("member")
    past = (fake.now() - datetime.timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    soon = (fake.now() + datetime.timedelta(hours=5)).strftime("%Y-%m-%d %H:%M")

    assert "already passed" in await private_answer(fake, "plan", {"when": past, "channel": voice}, host)
    assert "can't read the time" in await private_answer(fake, "plan", {"when": "someday", "channel": voice}, host)
    assert "still be open" in await private_answer(fake, "plan", {"when": soon, "channel": voice}, host)
    assert "Say where" in await private_answer(fake, "plan", {"when": soon}, host)
    assert "Manage Events" in await private_answer(fake, "plan", {"when": soon, "channel": voice}, member)
    assert "isn't in my film catalog" in await private_answer(fake, "suggest", {"film": "Qzxv Blorp 2031"}, member)
    for title in ("Heat 1995", "Jaws 1975"):
        await private_answer(fake, "suggest", {"film": title}, member)
    assert "is full" in await private_answer(fake, "suggest", {"film": "Alien 1979"}, member)
    assert fake.scheduled_events == {} and not any(m.poll for m in fake.messages.values())


async def test_without_send_polls_the_bot_says_what_it_needs(make_bot: BotFactory, fake: FakeDiscord) -> None:
    await make_bot()
    voice = fake.add_channel("screening-room", type=CHANNEL_VOICE)
    host = fake.add_member("host", permissions=PERM_MANAGE_EVENTS)
    for role in fake.guild.roles.values():  # neither @everyone nor the bot's own role may send polls
        role.permissions &= ~PERM_SEND_POLLS
    when = (fake.now() + datetime.timedelta(days=2)).strftime("%Y-%m-%d %H:%M")
    said = await private_answer(fake, "plan", {"when": when, "channel": voice}, host)
    assert "Send Polls" in said


async def test_a_recap_asked_for_comes_at_once_and_the_night_is_done(make_bot: BotFactory, fake: FakeDiscord) -> None:
    bot = await make_bot(fake_model=ScriptedModel(writer), night_remind_vote_min=0, night_remind_min=0)
    bot.get_cog("FilmNight").clock = fake.now  # type: ignore[union-attr]
    host = fake.add_member("host", permissions=PERM_MANAGE_EVENTS)
    starts = fake.now().replace(second=0, microsecond=0) + datetime.timedelta(hours=3)
    handle = await fake.send_slash("filmnight plan", {"when": starts.strftime("%Y-%m-%d %H:%M"),
                                                      "location": "the Rex, screen 2", "poll_hours": 1}, user=host)
    poll_message = await handle.original()
    await fake.vote(poll_message, 3, host)
    assert "There is no film night to recap yet" in await private_answer(fake, "recap", {}, host)
    await wake(bot, fake, HOUR + 60)
    announced = await fake.wait_for(
        lambda: next((m for m in fake.channel_messages(poll_message.channel_id) if "won the vote" in m.content), None),
        timeout=20, what="the announcement")
    event = next(e for e in fake.scheduled_events.values() if not e.deleted)
    assert event.location == "the Rex, screen 2" and event.scheduled_end_time is not None  # an external event
    await fake.advance(2 * HOUR + 300)
    await fake.post_message(poll_message.channel_id, host, "Loved it, what a ride")
    said = await private_answer(fake, "recap", {}, host)
    assert "recap is posted" in said
    recap = next(m for m in fake.channel_messages(poll_message.channel_id)
                 if m.embeds and m.embeds[0].get("title", "").startswith("Recap:"))
    assert "of 1 messages" in recap.embeds[0]["description"]
    assert announced.embeds[0]["title"] in recap.embeds[0]["title"]
    night = (await bot.store.nights(fake.guild.id))[0]
    assert night.status == "done" and night.winner_film_id is not None
    assert night.winner_film_id in await bot.store.watched_films(fake.guild.id)
