"""End-to-end tests of the fake Discord, driven by a real discord.py ``commands.Bot``.

The ``fake`` and ``bot`` fixtures below are the pattern for other end-to-end tests: a
``fake_discord()`` context (server + patched discord.py endpoints) and ``running_bot()``
(start, wait for ready, close). Moving them to ``tests/e2e/conftest.py`` shares them.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import discord
import pytest
import pytest_asyncio
from discord import app_commands
from discord.ext import commands

from .fake_discord import (
    CALLBACK_DEFERRED_MESSAGE,
    CALLBACK_MESSAGE,
    CHANNEL_VOICE,
    FLAG_EPHEMERAL,
    PERM_CONNECT,
    PERM_CREATE_EVENTS,
    PERM_MANAGE_EVENTS,
    PERM_SEND_POLLS,
    FakeDiscord,
    FakeRole,
    fake_discord,
    running_bot,
)

log = logging.getLogger(__name__)

pytestmark = pytest.mark.asyncio

GENRES = ("Horror", "Heist", "Western", "Noir")


class FilmCog(commands.Cog):
    """A tiny cog exercising the interaction paths the real cogs use."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        self.raw_reactions: list[discord.RawReactionActionEvent] = []
        self.gate = asyncio.Event()
        self.ponder_delay = 0.0
        self.errors: list[Exception] = []

    @app_commands.command(name="review")
    @app_commands.describe(title="The film to review")
    async def review(self, interaction: discord.Interaction, title: str) -> None:
        """Review a film in a few visible steps."""
        await interaction.response.defer(thinking=True)
        await interaction.edit_original_response(content=f"Watching {title}…")
        await interaction.edit_original_response(content=f"Writing about {title}…")
        embed = discord.Embed(title=title, description="Two thumbs up.")
        message = await interaction.followup.send(embed=embed, wait=True)
        await message.add_reaction("👍")

    @app_commands.command(name="secret")
    async def secret(self, interaction: discord.Interaction) -> None:
        """Answer only to the caller."""
        await interaction.response.send_message("Only you can see this.", ephemeral=True)

    @app_commands.command(name="brew")
    async def brew(self, interaction: discord.Interaction) -> None:
        """Defer, wait until the test opens the gate, then answer."""
        await interaction.response.defer()
        await self.gate.wait()
        await interaction.edit_original_response(content="done")

    @app_commands.command(name="ponder")
    async def ponder(self, interaction: discord.Interaction) -> None:
        """Think for a while before answering (too long, on purpose)."""
        await asyncio.sleep(self.ponder_delay)
        try:
            await interaction.response.send_message("Hmm.")
        except discord.HTTPException as exc:
            self.errors.append(exc)

    @app_commands.command(name="genre")
    @app_commands.describe(name="A film genre")
    async def genre(self, interaction: discord.Interaction, name: str) -> None:
        """Pick a genre."""
        await interaction.response.send_message(f"You picked {name}")

    @genre.autocomplete("name")
    async def genre_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=g, value=g.lower()) for g in GENRES if g.lower().startswith(current.lower())]

    @app_commands.command(name="poll")
    async def poll(self, interaction: discord.Interaction) -> None:
        """Start a one-button poll."""
        await interaction.response.send_message("Votes: 0", view=VoteView())

    @app_commands.command(name="suggest")
    async def suggest(self, interaction: discord.Interaction) -> None:
        """Suggest a film through a form."""
        await interaction.response.send_modal(SuggestModal())

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        self.raw_reactions.append(payload)


class VoteView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)
        self.votes = 0

    @discord.ui.button(label="Upvote", custom_id="vote:up")
    async def upvote(self, interaction: discord.Interaction, button: discord.ui.Button[VoteView]) -> None:
        self.votes += 1
        await interaction.response.edit_message(content=f"Votes: {self.votes}", view=self)


class SuggestModal(discord.ui.Modal, title="Suggest a film"):
    film: discord.ui.TextInput[SuggestModal] = discord.ui.TextInput(label="Film", custom_id="film")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"Noted: {self.film.value}", ephemeral=True)


async def quote(interaction: discord.Interaction, message: discord.Message) -> None:
    await interaction.response.send_message(f"> {message.content}\n— {message.author.name}")


class FilmBot(commands.Bot):
    def __init__(self) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.guild_messages = True
        intents.message_content = True
        intents.guild_reactions = True
        super().__init__(command_prefix="!", intents=intents, help_command=None, guild_ready_timeout=0.05)
        self.cog = FilmCog(self)

    async def setup_hook(self) -> None:
        await self.add_cog(self.cog)
        self.tree.add_command(app_commands.ContextMenu(name="Quote", callback=quote))


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with fake_discord() as server:
        yield server


@pytest_asyncio.fixture
async def bot(fake: FakeDiscord) -> AsyncIterator[FilmBot]:
    client = FilmBot()
    async with running_bot(client, fake):
        yield client


async def test_ready_caches_guild_and_channels(bot: FilmBot, fake: FakeDiscord) -> None:
    guild = bot.get_guild(fake.guild.id)
    assert guild is not None and guild.name == "Cinema Club"
    assert bot.user is not None and bot.user.id == fake.bot_user.id
    general = guild.get_channel(fake.general.id)
    assert isinstance(general, discord.TextChannel)
    assert general.category is not None and general.category.name == "Film Talk"
    assert isinstance(guild.get_channel(fake.forum.id), discord.ForumChannel)
    assert guild.me is not None and guild.me.guild_permissions.send_messages
    assert guild.member_count == len(fake.guild.members)
    # Without the members intent only guild.me is cached; other members come over REST.
    moderator = await guild.fetch_member(fake.moderator.id)
    assert moderator.guild_permissions.manage_guild
    assert not (await guild.fetch_member(fake.member.id)).guild_permissions.manage_guild
    identify = next(m for m in fake.gateway_received if m["op"] == 2)
    assert identify["d"]["intents"] == bot.intents.value
    assert fake.identify_count == 1
    fake.assert_no_unknown_calls()


async def test_slash_command_defer_edits_followup_and_reaction(bot: FilmBot, fake: FakeDiscord) -> None:
    handle = await fake.send_slash("review", {"title": "Alien"}, user=fake.member)

    record = await handle.deferred()
    final = await handle.followup(0)
    await fake.wait_for(lambda: final.reaction_users("👍"), what="the bot's reaction")

    assert record.type == CALLBACK_DEFERRED_MESSAGE and not handle.ephemeral
    assert handle.callback_latency is not None and handle.callback_latency < 1.0
    assert [edit["content"] for edit in handle.edits] == ["Watching Alien…", "Writing about Alien…"]
    original = handle.original_message
    assert original is not None and original.content == "Writing about Alien…" and not original.loading
    assert final is not original and final.embeds[0]["title"] == "Alien"

    callback = fake.calls_to("POST", f"/interactions/{handle.id}/*/callback")
    edits = fake.calls_to("PATCH", f"/webhooks/*/{handle.token}/messages/@original")
    followups = fake.calls_to("POST", f"/webhooks/*/{handle.token}")
    reactions = fake.calls_to("PUT", f"/channels/{fake.general.id}/messages/{final.id}/reactions/*/@me")
    assert [len(callback), len(edits), len(followups), len(reactions)] == [1, 2, 1, 1]
    assert callback[0].json["type"] == CALLBACK_DEFERRED_MESSAGE
    assert callback[0].index < edits[0].index < edits[1].index < followups[0].index < reactions[0].index

    # The bot's own reaction is dispatched back over the gateway and reaches its listener.
    events = [e for e in fake.events("MESSAGE_REACTION_ADD") if e.data["user_id"] == str(fake.bot_user.id)]
    assert len(events) == 1 and events[0].data["message_id"] == str(final.id) and events[0].data["type"] == 0
    own = await fake.wait_for(lambda: [p for p in bot.cog.raw_reactions if p.user_id == fake.bot_user.id])
    assert str(own[0].emoji) == "👍"
    fake.assert_no_unknown_calls()


async def test_ephemeral_answer_is_flagged_and_not_broadcast(bot: FilmBot, fake: FakeDiscord) -> None:
    handle = await fake.send_slash("secret", user=fake.moderator)
    message = await handle.original()

    assert handle.response_type == CALLBACK_MESSAGE and handle.ephemeral
    assert message.flags & FLAG_EPHEMERAL and message.content == "Only you can see this."
    assert message not in fake.channel_messages(fake.general, include_ephemeral=False)
    assert not [e for e in fake.events("MESSAGE_CREATE") if e.data["id"] == str(message.id)]
    channel = bot.get_channel(fake.general.id)
    assert isinstance(channel, discord.TextChannel)
    assert message.id not in [m.id async for m in channel.history(limit=20)]


async def test_member_reaction_reaches_bot(bot: FilmBot, fake: FakeDiscord) -> None:
    message = await fake.post_message(fake.general, fake.member, "What a film!")
    await fake.add_reaction(message, fake.member, "🍿")

    payloads = await fake.wait_for(lambda: [p for p in bot.cog.raw_reactions if p.user_id == fake.member.id])
    payload = payloads[0]
    assert payload.message_id == message.id and payload.channel_id == fake.general.id
    assert payload.guild_id == fake.guild.id and str(payload.emoji) == "🍿"
    assert payload.member is not None and payload.member.id == fake.member.id
    assert payload.event_type == "REACTION_ADD" and payload.burst is False
    cached = discord.utils.get(bot.cached_messages, id=message.id)
    assert cached is not None and cached.content == "What a film!"


async def test_tree_sync_to_guild_is_recorded(bot: FilmBot, fake: FakeDiscord) -> None:
    guild = discord.Object(fake.guild.id)
    bot.tree.copy_global_to(guild=guild)
    synced = await bot.tree.sync(guild=guild)

    registered = fake.commands[fake.guild.id]
    assert {c["name"] for c in registered} == {c.name for c in synced}
    assert {"review", "secret", "brew", "poll", "suggest", "genre", "Quote"} <= {c["name"] for c in registered}
    assert None not in fake.commands  # nothing was synced globally
    review = fake.registered_command("review", guild=fake.guild)
    assert review is not None and review["options"][0]["name"] == "title" and review["options"][0]["required"]
    assert review["description"] == "Review a film in a few visible steps."

    handle = await fake.send_slash("secret", user=fake.member)
    assert handle.payload["data"]["guild_id"] == str(fake.guild.id)
    assert handle.payload["data"]["id"] == fake.registered_command("secret", guild=fake.guild)["id"]  # type: ignore[index]
    assert (await handle.original()).content == "Only you can see this."


async def test_reconnect_mid_flow_then_later_command(bot: FilmBot, fake: FakeDiscord) -> None:
    handle = await fake.send_slash("brew", user=fake.member)
    await handle.deferred()

    await fake.request_reconnect()
    assert fake.resume_count == 1 and fake.identify_count == 1 and fake.connection_count == 2
    resume = next(m for m in fake.gateway_received if m["op"] == 6)
    assert resume["d"]["session_id"] == fake.gateway_events[0].session_id

    bot.cog.gate.set()
    assert (await handle.original(edits=1)).content == "done"

    later = await fake.send_slash("secret", user=fake.member)
    assert (await later.original()).content == "Only you can see this."

    seqs = [e.seq for e in fake.gateway_events]
    assert seqs == sorted(set(seqs)) and seqs[0] == 1
    assert bot.ws is not None
    await fake.wait_for(lambda: bot.ws.sequence == seqs[-1], what="the client to see the last event")


async def test_allowed_mentions_none_is_recorded(bot: FilmBot, fake: FakeDiscord) -> None:
    channel = bot.get_channel(fake.general.id)
    assert isinstance(channel, discord.TextChannel)

    quiet = await channel.send(f"Hey {fake.member.mention}, no ping", allowed_mentions=discord.AllowedMentions.none())
    loud = await channel.send(f"Hey {fake.member.mention}, ping")

    assert fake.messages[quiet.id].allowed_mentions == {"parse": []}
    assert fake.messages[quiet.id].mentions == [] and quiet.mentions == []
    assert fake.messages[loud.id].allowed_mentions is None
    assert fake.messages[loud.id].mentions == [fake.member.id]
    call = fake.calls_to("POST", f"/channels/{fake.general.id}/messages")[0]
    assert call.json["allowed_mentions"] == {"parse": []}


async def test_files_history_and_fetch(bot: FilmBot, fake: FakeDiscord) -> None:
    channel = bot.get_channel(fake.general.id)
    assert isinstance(channel, discord.TextChannel)
    sent = await channel.send("poster", file=discord.File(io.BytesIO(b"poster bytes"), filename="poster.png"))

    stored = fake.messages[sent.id]
    assert [(a.filename, a.data) for a in stored.attachments] == [("poster.png", b"poster bytes")]
    call = fake.calls_to("POST", f"/channels/{fake.general.id}/messages")[0]
    assert [p.filename for p in call.files] == ["poster.png"] and call.json["content"] == "poster"
    assert await sent.attachments[0].read() == b"poster bytes"

    posted = [await fake.post_message(fake.general, fake.member, f"line {i}") for i in range(3)]
    newest = [m.content async for m in channel.history(limit=2)]
    assert newest == ["line 2", "line 1"]
    after = [m.content async for m in channel.history(after=posted[0], oldest_first=True)]
    assert after == ["line 1", "line 2"]
    fetched = await channel.fetch_message(posted[1].id)
    assert fetched.content == "line 1" and fetched.author.id == fake.member.id
    fake.assert_no_unknown_calls()


async def test_autocomplete_and_message_context_menu(bot: FilmBot, fake: FakeDiscord) -> None:
    choices = await fake.send_autocomplete("genre", {"name": "he"}, focused="name")
    assert choices == [{"name": "Heist", "value": "heist"}]

    target = await fake.post_message(fake.general, fake.member, "Quote me")
    handle = await fake.send_context_menu("Quote", target, user=fake.moderator)
    reply = await handle.original()
    assert reply.content == "> Quote me\n— film_fan"
    assert handle.payload["data"]["type"] == 3 and handle.payload["data"]["target_id"] == str(target.id)


async def test_fake_enforces_discord_rules(bot: FilmBot, fake: FakeDiscord) -> None:
    channel = bot.get_channel(fake.general.id)
    assert isinstance(channel, discord.TextChannel)
    with pytest.raises(discord.HTTPException) as too_long:
        await channel.send("x" * 2001)
    assert too_long.value.status == 400 and too_long.value.code == 50035

    fake.callback_deadline = 0.05
    bot.cog.ponder_delay = 0.15
    handle = await fake.send_slash("ponder", user=fake.member)
    await fake.wait_for(lambda: bot.cog.errors, what="the late callback to fail")
    assert isinstance(bot.cog.errors[0], discord.NotFound) and bot.cog.errors[0].code == 10062
    assert not handle.acknowledged and handle.rejections

    with pytest.raises(discord.NotFound):
        await bot.http.request(discord.http.Route("GET", "/no/such/route"))
    assert [(c.method, c.path) for c in fake.unknown_calls] == [("GET", "/no/such/route")]


async def test_button_click_and_modal_submit(bot: FilmBot, fake: FakeDiscord) -> None:
    poll = await fake.send_slash("poll", user=fake.member)
    message = await poll.original()
    assert message.components[0]["components"][0]["custom_id"] == "vote:up"

    click = await fake.click_component(message, "vote:up", user=fake.moderator)
    await click.responded()
    assert click.response_type == 7
    await fake.wait_for(lambda: message.content == "Votes: 1", what="the poll message to be updated")
    assert message.edited_timestamp is not None

    suggest = await fake.send_slash("suggest", user=fake.member)
    await suggest.responded()
    assert suggest.modal is not None and suggest.modal["title"] == "Suggest a film"
    submit = await fake.submit_modal(suggest, {"film": "Heat"})
    reply = await submit.original()
    assert reply.content == "Noted: Heat" and submit.ephemeral


async def test_threads_forum_posts_dms_edits_and_deletes(bot: FilmBot, fake: FakeDiscord) -> None:
    channel = bot.get_channel(fake.general.id)
    forum = bot.get_channel(fake.forum.id)
    assert isinstance(channel, discord.TextChannel) and isinstance(forum, discord.ForumChannel)

    starter = await channel.send("Discuss Alien")
    thread = await starter.create_thread(name="Alien (1979)")
    assert thread.id == starter.id and fake.channels[thread.id].parent_id == fake.general.id
    await thread.send("First!")
    assert [m.content for m in fake.channel_messages(thread.id)] == ["First!"]
    await fake.wait_for(lambda: bot.get_channel(thread.id), what="THREAD_CREATE to reach the bot")

    post = await forum.create_thread(name="Heat (1995)", content="Review thread")
    assert post.message is not None and post.message.id == post.thread.id
    assert fake.channel_messages(post.thread.id)[0].content == "Review thread"

    user = await bot.fetch_user(fake.member.id)
    dm = await user.send("Your review is ready")
    stored = fake.messages[dm.id]
    assert stored.guild_id is None and fake.channels[stored.channel_id].recipients == [fake.member.id]

    edited = await starter.edit(content="Discuss Alien (spoilers)")
    assert edited.content == fake.messages[starter.id].content == "Discuss Alien (spoilers)"
    await starter.delete()
    assert fake.messages[starter.id].deleted
    assert [e.data["id"] for e in fake.events("MESSAGE_DELETE")] == [str(starter.id)]

    theirs = await fake.post_message(fake.general, fake.member, "spam")
    await fake.delete_message(theirs)
    with pytest.raises(discord.NotFound):
        await channel.fetch_message(theirs.id)
    fake.assert_no_unknown_calls()


async def test_members_intent_gets_a_chunked_guild(fake: FakeDiscord) -> None:
    intents = discord.Intents.none()
    intents.guilds = True
    intents.members = True
    client = discord.Client(intents=intents, guild_ready_timeout=0.05)
    async with running_bot(client, fake, timeout=3.0):
        guild = client.get_guild(fake.guild.id)
        assert guild is not None and guild.chunked
        assert {m.id for m in guild.members} == set(fake.guild.members)
        newcomer = fake.add_member("late_viewer")
        await fake.wait_for(lambda: guild.get_member(newcomer.id), what="GUILD_MEMBER_ADD to reach the client")
    assert not [m for m in fake.gateway_received if m["op"] == 8]  # no chunk request was needed


async def test_wrong_token_fails_login(fake: FakeDiscord) -> None:
    client = FilmBot()
    try:
        with pytest.raises(discord.LoginFailure):
            await client.login("not-the-token")
    finally:
        await client.close()
    assert fake.calls[0].path == "/users/@me" and fake.calls[0].status == 401


async def test_heartbeat_lateness_is_the_longest_gap_past_the_interval_on_one_connection() -> None:
    fake = FakeDiscord(heartbeat_interval_ms=1000)
    assert fake.heartbeat_lateness() == 0.0
    fake.heartbeats += [(1, 10.0), (2, 10.5), (1, 11.2), (2, 11.5), (1, 13.0)]  # connection 1 late by 0.8 s at 13.0
    assert fake.heartbeat_lateness() == pytest.approx(0.8)
    fake.heartbeats.append((3, 100.0))  # a new connection's first beat is late for nothing
    assert fake.heartbeat_lateness() == pytest.approx(0.8)


# --------------------------------------------------------------------------- polls and scheduled events

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16  # enough for discord.py to recognise a PNG


class Watcher(discord.Client):
    """A client that records the poll, message and scheduled-event events it receives."""

    def __init__(self, *, polls: bool = True) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.members = True  # on_poll_vote_add needs the voter in the member cache
        intents.guild_messages = True
        intents.message_content = True
        intents.guild_polls = polls
        intents.guild_scheduled_events = True
        super().__init__(intents=intents, guild_ready_timeout=0.05)
        self.seen: list[tuple[str, Any]] = []

    def got(self, name: str) -> list[Any]:
        return [item for kind, item in self.seen if kind == name]

    async def on_raw_poll_vote_add(self, payload: discord.RawPollVoteActionEvent) -> None:
        self.seen.append(("raw_vote_add", payload))

    async def on_raw_poll_vote_remove(self, payload: discord.RawPollVoteActionEvent) -> None:
        self.seen.append(("raw_vote_remove", payload))

    async def on_poll_vote_add(self, user: discord.Member, answer: discord.PollAnswer) -> None:
        self.seen.append(("vote_add", (user.id, answer.id)))

    async def on_poll_vote_remove(self, user: discord.Member, answer: discord.PollAnswer) -> None:
        self.seen.append(("vote_remove", (user.id, answer.id)))

    async def on_message(self, message: discord.Message) -> None:
        self.seen.append(("message", message))

    async def on_scheduled_event_create(self, event: discord.ScheduledEvent) -> None:
        self.seen.append(("event_create", event))

    async def on_scheduled_event_update(self, before: discord.ScheduledEvent, after: discord.ScheduledEvent) -> None:
        self.seen.append(("event_update", after.status))  # discord.py updates one cached object in place

    async def on_scheduled_event_delete(self, event: discord.ScheduledEvent) -> None:
        self.seen.append(("event_delete", event))

    async def on_scheduled_event_user_add(self, event: discord.ScheduledEvent, user: discord.User) -> None:
        self.seen.append(("event_user_add", (event.id, user.id)))

    async def on_scheduled_event_user_remove(self, event: discord.ScheduledEvent, user: discord.User) -> None:
        self.seen.append(("event_user_remove", (event.id, user.id)))


def film_poll(*films: str, hours: int = 24, multiple: bool = False) -> discord.Poll:
    poll = discord.Poll(question="Film night: what do we watch?", duration=timedelta(hours=hours), multiple=multiple)
    for film in films:
        poll.add_answer(text=film)
    return poll


def text_channel(client: discord.Client, fake: FakeDiscord) -> discord.TextChannel:
    channel = client.get_channel(fake.general.id)
    assert isinstance(channel, discord.TextChannel)
    return channel


def bot_role(fake: FakeDiscord) -> FakeRole:
    return next(r for r in fake.guild.roles.values() if r.managed)


async def test_poll_votes_end_and_result_message(fake: FakeDiscord) -> None:
    async with running_bot(Watcher(), fake) as client:
        channel = text_channel(client, fake)
        poll = film_poll("Alien", "Heat")
        poll.add_answer(text="Ran", emoji="🏯")
        sent = await channel.send(poll=poll)

        stored = fake.messages[sent.id]
        assert stored.poll is not None and stored.poll.question == "Film night: what do we watch?"
        assert [(a["answer_id"], a["poll_media"]["text"]) for a in stored.poll.answers] == [
            (1, "Alien"),
            (2, "Heat"),
            (3, "Ran"),
        ]
        assert stored.poll.answers[2]["poll_media"]["emoji"]["name"] == "🏯"
        call = fake.calls_to("POST", f"/channels/{fake.general.id}/messages")[0]
        assert call.json["poll"]["duration"] == 24.0  # what discord.py sends: hours as a float
        assert sent.poll is not None and sent.poll.expires_at == sent.created_at + timedelta(hours=24)
        assert sent.poll.duration == timedelta(hours=24) and not sent.poll.is_finalized()

        await fake.vote(stored, 1, fake.member)
        await fake.vote(stored, 2, fake.moderator)
        await fake.vote(stored, 1, fake.owner)
        await fake.unvote(stored, 2, fake.moderator)
        await fake.vote(stored, 1, fake.moderator)
        with pytest.raises(ValueError, match="single-choice"):
            await fake.vote(stored, 2, fake.moderator)
        with pytest.raises(ValueError, match="apps are not allowed"):
            await fake.vote(stored, 2, fake.other_bot)

        await fake.wait_for(lambda: len(client.got("vote_add")) == 4, what="four votes to reach the client")
        assert client.got("vote_add") == [
            (fake.member.id, 1),
            (fake.moderator.id, 2),
            (fake.owner.id, 1),
            (fake.moderator.id, 1),
        ]
        assert client.got("vote_remove") == [(fake.moderator.id, 2)]
        raw = client.got("raw_vote_add")[0]
        assert (raw.message_id, raw.channel_id, raw.guild_id, raw.answer_id) == (
            sent.id,
            fake.general.id,
            fake.guild.id,
            1,
        )
        event = fake.events("MESSAGE_POLL_VOTE_ADD")[0].data
        assert set(event) == {"user_id", "channel_id", "message_id", "guild_id", "answer_id"}
        cached_msg = discord.utils.get(client.cached_messages, id=sent.id)
        assert cached_msg is not None and cached_msg.poll is not None
        assert [a.vote_count for a in cached_msg.poll.answers] == [3, 0, 0]

        alien = cached_msg.poll.get_answer(1)
        assert alien is not None
        assert sorted([u.id async for u in alien.voters()]) == sorted(
            [fake.member.id, fake.owner.id, fake.moderator.id]
        )
        voters = sorted([fake.member.id, fake.owner.id, fake.moderator.id])
        page = await client.http.get_poll_answer_voters(fake.general.id, sent.id, 1, limit=2)
        rest = await client.http.get_poll_answer_voters(fake.general.id, sent.id, 1, after=voters[1])
        assert [int(u["id"]) for u in page["users"]] == voters[:2]
        assert [int(u["id"]) for u in rest["users"]] == voters[2:]
        with pytest.raises(discord.HTTPException) as bad_limit:
            await client.http.get_poll_answer_voters(fake.general.id, sent.id, 1, limit=101)
        assert bad_limit.value.code == 50035

        ended = await sent.end_poll()
        assert ended.poll is not None and ended.poll.is_finalized()
        result = await fake.wait_for(
            lambda: next((m for m in client.got("message") if m.type is discord.MessageType.poll_result), None),
            what="the poll result message",
        )
        assert result.reference is not None and result.reference.message_id == sent.id
        assert result.author.id == fake.bot_user.id and [u.id for u in result.mentions] == [fake.bot_user.id]
        fields = {f.name: f.value for f in result.embeds[0].fields}
        assert result.embeds[0].type == "poll_result"
        assert fields == {
            "poll_question_text": "Film night: what do we watch?",
            "victor_answer_votes": "3",
            "total_votes": "3",
            "victor_answer_id": "1",
            "victor_answer_text": "Alien",
        }
        assert result.system_content == "CineBot's poll Film night: what do we watch? has closed."
        assert cached_msg.poll.victor_answer is not None and cached_msg.poll.victor_answer.text == "Alien"
        assert cached_msg.poll.total_votes == 3
        update = [e for e in fake.events("MESSAGE_UPDATE") if e.data["id"] == str(sent.id)]
        assert update[-1].data["poll"]["results"]["is_finalized"] is True

        fetched = await channel.fetch_message(sent.id)
        assert fetched.poll is not None and fetched.poll.is_finalized()
        assert [a.vote_count for a in fetched.poll.answers] == [3, 0, 0]
        with pytest.raises(discord.HTTPException) as again:
            await sent.end_poll()
        assert again.value.status == 400 and again.value.code == 520001
        with pytest.raises(ValueError, match="has ended"):
            await fake.vote(stored, 3, fake.member)
        fake.assert_no_unknown_calls()


async def test_poll_clock_multiselect_tie_and_the_polls_intent(fake: FakeDiscord) -> None:
    async with running_bot(Watcher(polls=False), fake) as client:
        channel = text_channel(client, fake)
        sent = await channel.send(poll=film_poll("Alien", "Heat", hours=1, multiple=True))
        stored = fake.messages[sent.id]
        await fake.vote(stored, 1, fake.member)
        await fake.vote(stored, 2, fake.member)  # a multiple-choice poll takes both

        await fake.advance(30 * 60)
        assert stored.poll is not None and not stored.poll.ended
        await fake.advance(30 * 60)
        assert stored.poll.ended and stored.poll.result_message_id is not None

        result = fake.messages[stored.poll.result_message_id]
        assert result.type == 46 and result.channel_id == fake.general.id
        fields = {f["name"]: f["value"] for f in result.embeds[0]["fields"]}
        # A tie has no victor: only the question, the top count and the total.
        assert fields == {
            "poll_question_text": "Film night: what do we watch?",
            "victor_answer_votes": "1",
            "total_votes": "2",
        }
        # Without GUILD_MESSAGE_POLLS the client is sent no vote events, but still the poll's end.
        assert not fake.events("MESSAGE_POLL_VOTE_ADD") and not client.got("raw_vote_add")
        await fake.wait_for(
            lambda: any(m.type is discord.MessageType.poll_result for m in client.got("message")),
            what="the result message",
        )

        # A member's poll: the bot may read it but not end it.
        theirs = await fake.post_message(
            fake.general,
            fake.member,
            poll={"question": {"text": "Popcorn?"}, "answers": [{"poll_media": {"text": "Yes"}}]},
        )
        assert theirs.poll is not None and theirs.poll.expiry == theirs.created_at + timedelta(hours=24)
        with pytest.raises(discord.Forbidden) as not_ours:
            await client.http.end_poll(fake.general.id, theirs.id)
        assert not_ours.value.code == 50013
        plain = await channel.send("no poll here")
        with pytest.raises(discord.HTTPException) as no_poll:
            await plain.end_poll()
        assert no_poll.value.code == 520006
        await fake.end_poll(theirs)
        assert theirs.poll.ended
        fake.assert_no_unknown_calls()


@pytest.mark.parametrize(
    ("poll", "where", "code"),
    [
        (film_poll(*[f"Film {i}" for i in range(11)]), ["poll", "answers"], "BASE_TYPE_BAD_LENGTH"),
        (film_poll("Alien", "x" * 56), ["poll", "answers", "1", "poll_media", "text"], "BASE_TYPE_MAX_LENGTH"),
        (film_poll("Alien", "Heat", hours=769), ["poll", "duration"], "NUMBER_TYPE_MAX"),
        (film_poll(), ["poll", "answers"], "BASE_TYPE_BAD_LENGTH"),
    ],
    ids=["11 answers", "56-char answer", "769 hours", "no answers"],
)
async def test_poll_limits_are_refused(fake: FakeDiscord, poll: discord.Poll, where: list[str], code: str) -> None:
    async with running_bot(Watcher(), fake) as client:
        with pytest.raises(discord.HTTPException) as refused:
            await text_channel(client, fake).send(poll=poll)
        assert refused.value.status == 400 and refused.value.code == 50035
        call = fake.calls_to("POST", f"/channels/{fake.general.id}/messages")[-1]
        errors = call.response["errors"]
        for key in where:
            errors = errors[key]
        assert errors["_errors"][0]["code"] == code
        assert not fake.channel_messages(fake.general)


async def test_poll_limits_at_the_edge_pass_and_send_polls_is_needed(fake: FakeDiscord) -> None:
    async with running_bot(Watcher(), fake) as client:
        channel = text_channel(client, fake)
        edge = discord.Poll(question="q" * 300, duration=timedelta(hours=768))
        for i in range(10):
            edge.add_answer(text=f"{i}" * 55)
        sent = await channel.send(poll=edge)
        assert sent.poll is not None and len(sent.poll.answers) == 10

        with pytest.raises(discord.HTTPException) as long_question:
            await channel.send(poll=discord.Poll(question="q" * 301, duration=timedelta(hours=1)).add_answer(text="a"))
        assert long_question.value.code == 50035

        overwrite = {"id": str(bot_role(fake).id), "type": 0, "allow": "0", "deny": str(PERM_SEND_POLLS)}
        fake.general.overwrites.append(overwrite)
        with pytest.raises(discord.Forbidden) as no_polls:
            await channel.send(poll=film_poll("Alien", "Heat"))
        assert no_polls.value.code == 50013
        await channel.send("plain messages still go through")  # only polls need SEND_POLLS


async def test_scheduled_events_voice_external_users_and_status(fake: FakeDiscord) -> None:
    screen = fake.add_channel("Screening Room", type=CHANNEL_VOICE, parent=fake.category)
    async with running_bot(Watcher(), fake) as client:
        guild = client.get_guild(fake.guild.id)
        assert guild is not None
        voice = guild.get_channel(screen.id)
        assert isinstance(voice, discord.VoiceChannel)
        start = discord.utils.utcnow() + timedelta(days=2)

        night = await guild.create_scheduled_event(
            name="Film night: Alien",
            start_time=start,
            channel=voice,
            privacy_level=discord.PrivacyLevel.guild_only,
            description="The winner of this week's poll",
            image=PNG,
        )
        assert night.entity_type is discord.EntityType.voice and night.channel_id == screen.id
        assert night.status is discord.EventStatus.scheduled and night.creator_id == fake.bot_user.id
        assert night.start_time == start and night.cover_image is not None
        stored = fake.scheduled_events[night.id]
        assert stored.image is not None and stored.description == "The winner of this week's poll"
        await fake.wait_for(lambda: client.got("event_create"), what="GUILD_SCHEDULED_EVENT_CREATE")
        assert guild.get_scheduled_event(night.id) is not None

        outing = await guild.create_scheduled_event(
            name="Alien at the Rex",
            start_time=start,
            end_time=start + timedelta(hours=3),
            entity_type=discord.EntityType.external,
            location="Le Grand Rex, Paris",
            privacy_level=discord.PrivacyLevel.guild_only,
        )
        assert outing.location == "Le Grand Rex, Paris" and outing.channel_id is None

        for user in (fake.member, fake.moderator, fake.owner):
            await fake.interested(stored, user)
        await fake.uninterested(stored, fake.owner)
        with pytest.raises(ValueError, match="already interested"):
            await fake.interested(stored, fake.member)
        await fake.wait_for(lambda: len(client.got("event_user_remove")) == 1, what="the user events")
        assert client.got("event_user_add") == [(night.id, u.id) for u in (fake.member, fake.moderator, fake.owner)]
        assert stored.user_count == 2

        users = [u.id async for u in night.users()]
        assert users == sorted([fake.member.id, fake.moderator.id])
        page = await client.http.get_scheduled_event_users(guild.id, night.id, limit=1, with_member=True)
        assert [int(e["user"]["id"]) for e in page] == users[:1]
        later = await client.http.get_scheduled_event_users(
            guild.id, night.id, limit=100, with_member=False, after=users[0]
        )
        earlier = await client.http.get_scheduled_event_users(
            guild.id, night.id, limit=100, with_member=False, before=users[1], after=users[1]
        )
        assert [int(e["user"]["id"]) for e in later] == users[1:] and "member" not in later[0]
        assert [int(e["user"]["id"]) for e in earlier] == users[:1]  # with both, only before counts
        assert page[0]["guild_scheduled_event_id"] == str(night.id) and "roles" in page[0]["member"]
        with pytest.raises(discord.HTTPException) as too_many:
            await client.http.get_scheduled_event_users(guild.id, night.id, limit=101, with_member=False)
        assert too_many.value.code == 50035
        counted = await guild.fetch_scheduled_event(night.id, with_counts=True)
        assert counted.user_count == 2
        listed = {e.id: e.user_count for e in await guild.fetch_scheduled_events()}
        assert listed == {night.id: 2, outing.id: 0}
        assert {e["id"] for e in fake.guild_create_payload(fake.guild)["guild_scheduled_events"]} == {
            str(night.id),
            str(outing.id),
        }

        # SCHEDULED -> ACTIVE -> COMPLETED; nothing else, and nothing after the end.
        with pytest.raises(discord.HTTPException) as skip:
            await client.http.edit_scheduled_event(guild.id, night.id, status=3)
        assert skip.value.status == 400 and skip.value.code == 50035
        started = await night.start()
        assert started.status is discord.EventStatus.active
        with pytest.raises(discord.HTTPException) as back:
            await client.http.edit_scheduled_event(guild.id, night.id, status=1)
        assert back.value.code == 50035
        ended = await started.end()
        assert ended.status is discord.EventStatus.completed
        with pytest.raises(discord.HTTPException) as finished:
            await client.http.edit_scheduled_event(guild.id, night.id, name="Encore")
        assert finished.value.code == 180000
        with pytest.raises(ValueError, match="has finished"):
            await fake.interested(stored, fake.member)

        cancelled = await outing.cancel()
        assert cancelled.status is discord.EventStatus.cancelled
        await fake.wait_for(lambda: len(client.got("event_update")) >= 3, what="the status updates")
        assert client.got("event_update") == [
            discord.EventStatus.active,
            discord.EventStatus.completed,
            discord.EventStatus.cancelled,
        ]

        spare = await guild.create_scheduled_event(
            name="Spare", start_time=start, channel=voice, privacy_level=discord.PrivacyLevel.guild_only
        )
        await spare.delete()
        assert fake.scheduled_events[spare.id].deleted
        await fake.wait_for(lambda: client.got("event_delete"), what="GUILD_SCHEDULED_EVENT_DELETE")
        with pytest.raises(discord.NotFound) as gone:
            await guild.fetch_scheduled_event(spare.id)
        assert gone.value.code == 10070
        fake.assert_no_unknown_calls()


async def test_scheduled_event_refusals(fake: FakeDiscord) -> None:
    screen = fake.add_channel("Screening Room", type=CHANNEL_VOICE)
    text = fake.general
    async with running_bot(Watcher(), fake) as client:
        guild = client.get_guild(fake.guild.id)
        assert guild is not None
        voice = guild.get_channel(screen.id)
        assert isinstance(voice, discord.VoiceChannel)
        soon = discord.utils.utcnow() + timedelta(hours=2)
        level = discord.PrivacyLevel.guild_only

        async def refused(**kwargs: Any) -> dict[str, Any]:
            with pytest.raises(discord.HTTPException) as caught:
                await guild.create_scheduled_event(**kwargs)
            assert caught.value.status == 400 and caught.value.code == 50035
            return fake.calls_to("POST", f"/guilds/{fake.guild.id}/scheduled-events")[-1].response["errors"]

        past = await refused(
            name="Late", start_time=discord.utils.utcnow() - timedelta(minutes=1), channel=voice, privacy_level=level
        )
        assert past["scheduled_start_time"]["_errors"][0]["code"] == "GUILD_SCHEDULED_EVENT_SCHEDULE_PAST"
        # discord.py sends no privacy_level unless asked; Discord requires it.
        unset = await refused(name="Alien", start_time=soon, channel=voice)
        assert unset["privacy_level"]["_errors"][0]["code"] == "BASE_TYPE_REQUIRED"
        long_name = await refused(name="x" * 101, start_time=soon, channel=voice, privacy_level=level)
        assert "name" in long_name
        backwards = await refused(
            name="Rex",
            start_time=soon,
            end_time=soon - timedelta(hours=1),
            entity_type=discord.EntityType.external,
            location="Le Grand Rex",
            privacy_level=level,
        )
        assert "scheduled_end_time" in backwards
        with pytest.raises(discord.HTTPException) as no_location:
            await client.http.create_guild_scheduled_event(
                guild.id,
                name="Rex",
                privacy_level=2,
                entity_type=3,
                scheduled_start_time=soon.isoformat(),
                scheduled_end_time=(soon + timedelta(hours=1)).isoformat(),
            )
        assert no_location.value.code == 50035
        with pytest.raises(discord.HTTPException) as not_voice:
            await client.http.create_guild_scheduled_event(
                guild.id,
                name="Alien",
                privacy_level=2,
                entity_type=2,
                channel_id=text.id,
                scheduled_start_time=soon.isoformat(),
            )
        assert not_voice.value.code == 50035

        # Permissions: CREATE_EVENTS to create; CONNECT in a voice channel; MANAGE_EVENTS for others' events.
        role = bot_role(fake)
        role.permissions &= ~PERM_CREATE_EVENTS
        with pytest.raises(discord.Forbidden) as cannot_create:
            await guild.create_scheduled_event(name="Alien", start_time=soon, channel=voice, privacy_level=level)
        assert cannot_create.value.code == 50013
        role.permissions |= PERM_CREATE_EVENTS
        screen.overwrites.append({"id": str(role.id), "type": 0, "allow": "0", "deny": str(PERM_CONNECT)})
        with pytest.raises(discord.Forbidden):
            await guild.create_scheduled_event(name="Alien", start_time=soon, channel=voice, privacy_level=level)
        screen.overwrites.clear()

        theirs = fake.add_event("Members' marathon", soon, location="Mia's place", end=soon + timedelta(hours=8))
        await fake.wait_for(lambda: guild.get_scheduled_event(theirs.id), what="the member's event to reach the client")
        with pytest.raises(discord.Forbidden):
            await client.http.edit_scheduled_event(guild.id, theirs.id, name="Our marathon")
        with pytest.raises(discord.Forbidden):
            await client.http.delete_scheduled_event(guild.id, theirs.id)
        role.permissions |= PERM_MANAGE_EVENTS
        renamed = await client.http.edit_scheduled_event(guild.id, theirs.id, name="Our marathon")
        assert renamed["name"] == "Our marathon" and renamed["creator_id"] == str(fake.owner.id)
        fake.assert_no_unknown_calls()


async def test_event_clock_starts_external_events_and_cancels_unstarted_ones(fake: FakeDiscord) -> None:
    screen = fake.add_channel("Screening Room", type=CHANNEL_VOICE)
    start = fake.now() + timedelta(hours=1)
    outing = fake.add_event("Alien at the Rex", start, location="Le Grand Rex", end=start + timedelta(hours=3))
    night = fake.add_event("Film night", start, channel=screen, creator=fake.moderator)
    async with running_bot(Watcher(), fake) as client:
        guild = client.get_guild(fake.guild.id)
        assert guild is not None and {e.id for e in guild.scheduled_events} == {outing.id, night.id}

        await fake.advance(3600)
        assert (outing.status, night.status) == (2, 1)  # an external event starts itself; a voice one waits
        await fake.advance(3 * 3600)
        assert (outing.status, night.status) == (3, 4)  # ended at its end time; never started, so canceled
        await fake.wait_for(lambda: len(client.got("event_update")) == 3, what="three status updates")
        with pytest.raises(ValueError, match="cannot go from"):
            await fake.start_event(night)

        later = fake.add_event("Heat", fake.now() + timedelta(days=1), channel=screen)
        await fake.start_event(later)
        await fake.end_event(later)
        assert later.status == 3
        # The fake's clock drives new snowflakes and the "in the future" check alike.
        message = await text_channel(client, fake).send("after the clock moved")
        assert abs((message.created_at - fake.now()).total_seconds()) < 5
        with pytest.raises(discord.HTTPException):
            await guild.create_scheduled_event(
                name="Too soon",
                start_time=discord.utils.utcnow() + timedelta(hours=2),
                channel=guild.get_channel(screen.id),  # type: ignore[arg-type]
                privacy_level=discord.PrivacyLevel.guild_only,
            )
