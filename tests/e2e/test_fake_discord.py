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

import discord
import pytest
import pytest_asyncio
from discord import app_commands
from discord.ext import commands

from .fake_discord import (
    CALLBACK_DEFERRED_MESSAGE,
    CALLBACK_MESSAGE,
    FLAG_EPHEMERAL,
    FakeDiscord,
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
