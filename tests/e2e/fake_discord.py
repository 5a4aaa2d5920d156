"""A fake Discord (gateway websocket + REST v10) on loopback, for end-to-end tests.

The real discord.py client talks to it unchanged: :func:`patched_endpoints` points
``discord.http.Route.BASE`` (which the webhook and interaction follow-up routes are built
from too) and ``DiscordWebSocket.DEFAULT_GATEWAY`` at the fake. The fake keeps a small
world model (guilds, channels, roles, members, messages), answers the REST routes that a
bot uses, dispatches the gateway events Discord would send back, and records every call
so that tests can assert on what the bot did.

Typical use::

    async with fake_discord() as fake:
        bot = MyBot(intents=..., guild_ready_timeout=0.05)
        async with running_bot(bot, fake):
            handle = await fake.send_slash("review", {"title": "Alien"}, user=fake.member)
            await handle.deferred()
            message = await handle.original(edits=2)

Polls and scheduled events (modelled on discord.com/developers/docs: resources/poll, resources/message,
resources/guild-scheduled-event, topics/permissions, events/gateway-events)::

    sent = await channel.send(poll=poll)                # discord.Poll; checked against Discord's limits
    await fake.vote(fake.messages[sent.id], 1, fake.member)   # MESSAGE_POLL_VOTE_ADD
    result = await fake.end_poll(sent.id)               # or: await sent.end_poll(), or await fake.advance(hours * 3600)
    event = fake.add_event("Film night", start, channel=voice)  # or the bot's guild.create_scheduled_event(...)
    await fake.interested(event, fake.member)           # GUILD_SCHEDULED_EVENT_USER_ADD
    await fake.start_event(event); await fake.end_event(event)

The fake keeps its own clock (:meth:`FakeDiscord.now`): the real one plus what :meth:`FakeDiscord.advance` added.
Moving it ends polls whose expiry passed and runs Discord's scheduled-event automation.

Only loopback is used; nothing here reaches the network.
"""

# The test-driving API takes explicit timeouts (``await handle.deferred(timeout=...)``) by design.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import datetime
import fnmatch
import hashlib
import itertools
import json
import logging
import re
import secrets
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import discord
import yarl
from aiohttp import WSMsgType, web
from discord.gateway import DiscordWebSocket

log = logging.getLogger(__name__)

T = TypeVar("T")

API_VERSION = 10
API_PREFIX = f"/api/v{API_VERSION}"
GATEWAY_PATH = "/gateway"
DISCORD_EPOCH_MS = 1420070400000

# Gateway opcodes.
OP_DISPATCH = 0
OP_HEARTBEAT = 1
OP_IDENTIFY = 2
OP_PRESENCE = 3
OP_VOICE_STATE = 4
OP_RESUME = 6
OP_RECONNECT = 7
OP_REQUEST_MEMBERS = 8
OP_INVALID_SESSION = 9
OP_HELLO = 10
OP_HEARTBEAT_ACK = 11

# Gateway intents.
INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_GUILD_MESSAGE_REACTIONS = 1 << 10
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_DIRECT_MESSAGE_REACTIONS = 1 << 13
INTENT_MESSAGE_CONTENT = 1 << 15
INTENT_GUILD_SCHEDULED_EVENTS = 1 << 16
INTENT_GUILD_MESSAGE_POLLS = 1 << 24
INTENT_DIRECT_MESSAGE_POLLS = 1 << 25

# Channel types.
CHANNEL_TEXT = 0
CHANNEL_DM = 1
CHANNEL_VOICE = 2
CHANNEL_CATEGORY = 4
CHANNEL_NEWS = 5
CHANNEL_PUBLIC_THREAD = 11
CHANNEL_PRIVATE_THREAD = 12
CHANNEL_STAGE = 13
CHANNEL_FORUM = 15
THREAD_TYPES = (10, CHANNEL_PUBLIC_THREAD, CHANNEL_PRIVATE_THREAD)

# Permission bits used by the default world.
PERM_ADD_REACTIONS = 1 << 6
PERM_ADMINISTRATOR = 1 << 3
PERM_MANAGE_CHANNELS = 1 << 4
PERM_MANAGE_GUILD = 1 << 5
PERM_VIEW_CHANNEL = 1 << 10
PERM_SEND_MESSAGES = 1 << 11
PERM_MANAGE_MESSAGES = 1 << 13
PERM_EMBED_LINKS = 1 << 14
PERM_ATTACH_FILES = 1 << 15
PERM_READ_MESSAGE_HISTORY = 1 << 16
PERM_USE_EXTERNAL_EMOJIS = 1 << 18
PERM_CONNECT = 1 << 20
PERM_MUTE_MEMBERS = 1 << 22
PERM_MOVE_MEMBERS = 1 << 24
PERM_USE_APPLICATION_COMMANDS = 1 << 31
PERM_MANAGE_EVENTS = 1 << 33
PERM_CREATE_PUBLIC_THREADS = 1 << 35
PERM_SEND_MESSAGES_IN_THREADS = 1 << 38
PERM_CREATE_EVENTS = 1 << 44
PERM_SEND_POLLS = 1 << 49
PERM_ALL = discord.Permissions.all().value

EVERYONE_PERMISSIONS = (
    PERM_VIEW_CHANNEL
    | PERM_SEND_MESSAGES
    | PERM_READ_MESSAGE_HISTORY
    | PERM_ADD_REACTIONS
    | PERM_EMBED_LINKS
    | PERM_ATTACH_FILES
    | PERM_USE_EXTERNAL_EMOJIS
    | PERM_USE_APPLICATION_COMMANDS
    | PERM_CREATE_PUBLIC_THREADS
    | PERM_SEND_MESSAGES_IN_THREADS
    | PERM_CONNECT
    | PERM_SEND_POLLS
)
# The bot is invited with what cinebot asks for: Manage Messages, and Create Events for film nights.
BOT_ROLE_PERMISSIONS = EVERYONE_PERMISSIONS | PERM_MANAGE_MESSAGES | PERM_CREATE_EVENTS

# Message flags.
FLAG_SUPPRESS_EMBEDS = 1 << 2
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7
FLAG_COMPONENTS_V2 = 1 << 15

# Interaction types and callback types.
INTERACTION_PING = 1
INTERACTION_APPLICATION_COMMAND = 2
INTERACTION_MESSAGE_COMPONENT = 3
INTERACTION_AUTOCOMPLETE = 4
INTERACTION_MODAL_SUBMIT = 5

CALLBACK_PONG = 1
CALLBACK_MESSAGE = 4
CALLBACK_DEFERRED_MESSAGE = 5
CALLBACK_DEFERRED_UPDATE = 6
CALLBACK_UPDATE_MESSAGE = 7
CALLBACK_AUTOCOMPLETE = 8
CALLBACK_MODAL = 9
DEFER_CALLBACKS = (CALLBACK_DEFERRED_MESSAGE, CALLBACK_DEFERRED_UPDATE)

# Application command types and option types.
COMMAND_CHAT_INPUT = 1
COMMAND_USER = 2
COMMAND_MESSAGE = 3
OPT_SUB_COMMAND = 1
OPT_SUB_COMMAND_GROUP = 2
OPT_STRING = 3
OPT_INTEGER = 4
OPT_BOOLEAN = 5
OPT_USER = 6
OPT_CHANNEL = 7
OPT_ROLE = 8
OPT_MENTIONABLE = 9
OPT_NUMBER = 10
OPT_ATTACHMENT = 11

ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024

# Polls (developers/resources/poll, and message.mdx for the result message).
MESSAGE_TYPE_POLL_RESULT = 46
POLL_QUESTION_MAX = 300
POLL_ANSWER_TEXT_MAX = 55
POLL_ANSWERS_MAX = 10
POLL_HOURS_MAX = 768  # "up to 32 days"
POLL_HOURS_DEFAULT = 24
POLL_LAYOUT_DEFAULT = 1
VOTER_PAGE_DEFAULT = 25

# Guild scheduled events (developers/resources/guild-scheduled-event).
EVENT_STAGE_INSTANCE = 1
EVENT_VOICE = 2
EVENT_EXTERNAL = 3
EVENT_SCHEDULED = 1
EVENT_ACTIVE = 2
EVENT_COMPLETED = 3
EVENT_CANCELED = 4
EVENT_PRIVACY_GUILD_ONLY = 2
EVENT_TRANSITIONS = frozenset(
    {(EVENT_SCHEDULED, EVENT_ACTIVE), (EVENT_ACTIVE, EVENT_COMPLETED), (EVENT_SCHEDULED, EVENT_CANCELED)}
)
EVENTS_OPEN_MAX = 100  # SCHEDULED or ACTIVE events a guild may hold at once
EVENT_USERS_PAGE_MAX = 100
_IMAGE_DATA = re.compile(r"^data:image/(png|jpeg|gif|webp);base64,([A-Za-z0-9+/=]+)$")
_COMMAND_NAME = re.compile(r"^[-_'\w]{1,32}$")
_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")
_CUSTOM_EMOJI = re.compile(r"^<?a?:?([\w~]{1,32}):(\d{15,25})>?$")


# --------------------------------------------------------------------------- snowflakes


class SnowflakeFactory:
    """Makes increasing snowflakes whose timestamp part is the current time."""

    def __init__(self, worker_id: int = 1, process_id: int = 0, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._worker = worker_id & 0x1F
        self._process = process_id & 0x1F
        self._last_ms = 0
        self._increment = 0

    def __call__(self) -> int:
        now_ms = int(self._clock() * 1000) - DISCORD_EPOCH_MS
        if now_ms <= self._last_ms:
            now_ms = self._last_ms
            self._increment += 1
            if self._increment > 0xFFF:
                now_ms += 1
                self._increment = 0
        else:
            self._increment = 0
        self._last_ms = now_ms
        return (now_ms << 22) | (self._worker << 17) | (self._process << 12) | self._increment


def snowflake_time(snowflake: int) -> datetime.datetime:
    """The creation time encoded in a snowflake."""
    ms = (snowflake >> 22) + DISCORD_EPOCH_MS
    return datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.UTC)


def _iso(when: datetime.datetime) -> str:
    return when.isoformat()


def _now_iso() -> str:
    return _iso(datetime.datetime.now(datetime.UTC))


# --------------------------------------------------------------------------- world model


@dataclass(eq=False)
class FakeUser:
    id: int
    name: str
    bot: bool = False
    global_name: str | None = None

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    def to_payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.name,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
            "flags": 0,
        }


@dataclass(eq=False)
class FakeRole:
    id: int
    guild_id: int
    name: str
    permissions: int = 0
    position: int = 0
    managed: bool = False
    mentionable: bool = False
    hoist: bool = False
    color: int = 0

    @property
    def mention(self) -> str:
        return f"<@&{self.id}>"

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": self.color,
            "hoist": self.hoist,
            "managed": self.managed,
            "mentionable": self.mentionable,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }
        if self.managed:
            payload["tags"] = {}
        return payload


@dataclass(eq=False)
class FakeMember:
    """A user's membership in one guild. ``id``/``name``/``mention`` read through to the user."""

    user: FakeUser
    guild_id: int
    roles: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: str = field(default_factory=_now_iso)

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def name(self) -> str:
        return self.user.name

    @property
    def bot(self) -> bool:
        return self.user.bot

    @property
    def mention(self) -> str:
        return self.user.mention

    def to_payload(self, *, with_user: bool = True) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "roles": [str(r) for r in self.roles],
            "joined_at": self.joined_at,
            "nick": self.nick,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "premium_since": None,
            "avatar": None,
        }
        if with_user:
            payload["user"] = self.user.to_payload()
        return payload


@dataclass(eq=False)
class FakeChannel:
    id: int
    type: int
    name: str
    guild_id: int | None = None
    parent_id: int | None = None
    position: int = 0
    topic: str | None = None
    nsfw: bool = False
    overwrites: list[dict[str, Any]] = field(default_factory=list)
    owner_id: int | None = None  # threads
    recipients: list[int] = field(default_factory=list)  # DMs
    archived: bool = False
    locked: bool = False
    auto_archive_duration: int = 1440
    rate_limit_per_user: int = 0
    last_message_id: int | None = None
    message_count: int = 0

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"

    @property
    def is_thread(self) -> bool:
        return self.type in THREAD_TYPES


@dataclass(eq=False)
class FakeGuild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, FakeRole] = field(default_factory=dict)
    channels: dict[int, FakeChannel] = field(default_factory=dict)
    members: dict[int, FakeMember] = field(default_factory=dict)

    @property
    def everyone(self) -> FakeRole:
        return self.roles[self.id]


@dataclass(frozen=True)
class FakeFile:
    """A file a test attaches to a slash command option or to a member's message."""

    filename: str
    data: bytes
    content_type: str = "application/octet-stream"
    description: str | None = None


@dataclass(eq=False)
class FakeAttachment:
    id: int
    filename: str
    data: bytes
    url: str
    content_type: str | None = None
    description: str | None = None
    ephemeral: bool = False

    @property
    def size(self) -> int:
        return len(self.data)

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "id": str(self.id),
            "filename": self.filename,
            "size": self.size,
            "url": self.url,
            "proxy_url": self.url,
            "content_type": self.content_type,
        }
        if self.description is not None:
            payload["description"] = self.description
        if self.ephemeral:
            payload["ephemeral"] = True
        return payload


@dataclass(eq=False)
class FakeReaction:
    emoji: dict[str, Any]
    user_ids: list[int] = field(default_factory=list)


@dataclass(eq=False)
class FakeMessage:
    """A stored message. ``allowed_mentions`` is what the sender asked for (``None`` if absent)."""

    id: int
    channel_id: int
    guild_id: int | None
    author: FakeUser
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[FakeAttachment] = field(default_factory=list)
    flags: int = 0
    type: int = 0
    tts: bool = False
    allowed_mentions: dict[str, Any] | None = None
    mentions: list[int] = field(default_factory=list)
    mention_roles: list[int] = field(default_factory=list)
    mention_everyone: bool = False
    edited_timestamp: str | None = None
    webhook_id: int | None = None
    application_id: int | None = None
    interaction_id: int | None = None
    interaction_metadata: dict[str, Any] | None = None
    message_reference: dict[str, Any] | None = None
    nonce: str | int | None = None
    reactions: dict[str, FakeReaction] = field(default_factory=dict)
    deleted: bool = False
    history: list[dict[str, Any]] = field(default_factory=list)  # every create/edit payload received
    poll: FakePoll | None = None

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & FLAG_EPHEMERAL)

    @property
    def loading(self) -> bool:
        return bool(self.flags & FLAG_LOADING)

    @property
    def created_at(self) -> datetime.datetime:
        return snowflake_time(self.id)

    def reaction_users(self, emoji: str) -> list[int]:
        reaction = self.reactions.get(_emoji_key(emoji))
        return list(reaction.user_ids) if reaction else []


@dataclass(eq=False)
class FakePoll:
    """A message's poll. ``votes`` maps each answer_id to its voters' ids in the order they voted."""

    question: str
    answers: list[dict[str, Any]]  # [{"answer_id": 1, "poll_media": {"text": ..., "emoji"?: ...}}, ...]
    expiry: datetime.datetime
    allow_multiselect: bool = False
    layout_type: int = POLL_LAYOUT_DEFAULT
    votes: dict[int, list[int]] = field(default_factory=dict)
    ended: bool = False  # past its expiry or ended early; the fake finalizes the tally at once
    result_message_id: int | None = None

    def answer(self, answer_id: int) -> dict[str, Any] | None:
        return next((a for a in self.answers if a["answer_id"] == answer_id), None)

    def count(self, answer_id: int) -> int:
        return len(self.votes.get(answer_id, []))

    @property
    def total_votes(self) -> int:
        return sum(len(v) for v in self.votes.values())

    @property
    def victor_answer_id(self) -> int | None:
        """The answer with strictly the most votes; None with no votes or a tie."""
        counts = sorted(((self.count(a["answer_id"]), a["answer_id"]) for a in self.answers), reverse=True)
        if not counts or counts[0][0] == 0 or (len(counts) > 1 and counts[1][0] == counts[0][0]):
            return None
        return counts[0][1]

    def to_payload(self) -> dict[str, Any]:
        return {
            "question": {"text": self.question},
            "answers": self.answers,
            "expiry": _iso(self.expiry),
            "allow_multiselect": self.allow_multiselect,
            "layout_type": self.layout_type,
            "results": {
                "is_finalized": self.ended,
                # "If answer_counts does not contain an entry for a particular answer, then there are no votes
                # for that answer." Apps cannot vote, so me_voted is always false for the bot.
                "answer_counts": [
                    {"id": a["answer_id"], "count": self.count(a["answer_id"]), "me_voted": False}
                    for a in self.answers
                    if self.count(a["answer_id"])
                ],
            },
        }


@dataclass(eq=False)
class FakeScheduledEvent:
    """A guild scheduled event. ``user_ids`` are the members interested in it, in the order they joined."""

    id: int
    guild_id: int
    name: str
    creator_id: int
    scheduled_start_time: datetime.datetime
    entity_type: int
    privacy_level: int = EVENT_PRIVACY_GUILD_ONLY
    status: int = EVENT_SCHEDULED
    channel_id: int | None = None
    description: str | None = None
    scheduled_end_time: datetime.datetime | None = None
    location: str | None = None
    image: str | None = None  # the cover image's hash
    user_ids: list[int] = field(default_factory=list)
    deleted: bool = False

    @property
    def user_count(self) -> int:
        return len(self.user_ids)

    @property
    def open(self) -> bool:
        return self.status in (EVENT_SCHEDULED, EVENT_ACTIVE) and not self.deleted


# --------------------------------------------------------------------------- records


@dataclass
class MultipartPart:
    name: str
    filename: str | None
    content_type: str | None
    data: bytes

    def text(self) -> str:
        return self.data.decode("utf-8")


@dataclass
class RecordedCall:
    """One REST request the client made. ``json`` is the JSON body, or ``payload_json`` of a multipart body."""

    index: int
    method: str
    path: str  # relative to /api/v10, e.g. "/channels/1/messages"
    query: dict[str, str]
    json: Any
    parts: list[MultipartPart]
    time: float  # loop.time() when the request arrived
    status: int | None = None
    reason: str | None = None  # X-Audit-Log-Reason
    response: Any = None

    @property
    def files(self) -> list[MultipartPart]:
        return [p for p in self.parts if p.filename is not None]

    def matches(self, method: str | None = None, path: str | None = None) -> bool:
        if method is not None and self.method != method.upper():
            return False
        return path is None or fnmatch.fnmatchcase(self.path, path)


@dataclass
class GatewayEvent:
    session_id: str
    seq: int
    name: str
    data: dict[str, Any]
    time: float


@dataclass
class CallbackRecord:
    type: int
    data: dict[str, Any]
    time: float


# --------------------------------------------------------------------------- interactions


class InteractionHandle:
    """What the fake saw of one interaction it dispatched.

    Timings use the event loop clock: ``dispatched_at`` when INTERACTION_CREATE was queued,
    ``callback_latency`` from there to the interaction callback.
    """

    def __init__(self, fake: FakeDiscord, payload: dict[str, Any], user: FakeUser, channel: FakeChannel) -> None:
        self.fake = fake
        self.payload = payload
        self.id = int(payload["id"])
        self.token: str = payload["token"]
        self.type: int = payload["type"]
        self.user = user
        self.channel = channel
        self.dispatched_at = asyncio.get_running_loop().time()
        self.callbacks: list[CallbackRecord] = []
        self.original_message: FakeMessage | None = None
        self.followups: list[FakeMessage] = []
        self.edits: list[dict[str, Any]] = []  # payloads PATCHed to the original response, in order
        self.edit_times: list[float] = []  # seconds since dispatch, one per edit
        self.choices: list[dict[str, Any]] | None = None  # autocomplete result
        self.modal: dict[str, Any] | None = None  # modal the bot opened
        self.rejections: list[str] = []  # requests the fake refused for this interaction
        self.last_activity = self.dispatched_at

    def __repr__(self) -> str:
        return f"<InteractionHandle id={self.id} type={self.type} callbacks={[c.type for c in self.callbacks]}>"

    @property
    def command_name(self) -> str | None:
        return self.payload.get("data", {}).get("name")

    @property
    def acknowledged(self) -> bool:
        return bool(self.callbacks)

    @property
    def response_type(self) -> int | None:
        return self.callbacks[0].type if self.callbacks else None

    @property
    def callback_latency(self) -> float | None:
        return self.callbacks[0].time - self.dispatched_at if self.callbacks else None

    @property
    def ephemeral(self) -> bool:
        if self.original_message is not None and self.response_type in (CALLBACK_MESSAGE, CALLBACK_DEFERRED_MESSAGE):
            return self.original_message.ephemeral
        if self.callbacks:
            return bool(self.callbacks[0].data.get("flags", 0) & FLAG_EPHEMERAL)
        return False

    @property
    def messages(self) -> list[FakeMessage]:
        out = [self.original_message] if self.original_message is not None else []
        out.extend(m for m in self.followups if m not in out)
        return out

    async def responded(self, timeout: float = 3.0) -> CallbackRecord:
        """Wait for the interaction callback (any type)."""
        await self.fake.wait_for(lambda: self.callbacks, timeout, what=f"a callback for {self!r}")
        return self.callbacks[0]

    async def deferred(self, timeout: float = 3.0) -> CallbackRecord:
        """Wait for the callback and check that it was a defer (type 5 or 6)."""
        record = await self.responded(timeout)
        if record.type not in DEFER_CALLBACKS:
            raise AssertionError(f"expected a deferred response (5 or 6), got callback type {record.type}")
        return record

    async def original(self, timeout: float = 5.0, *, edits: int = 0) -> FakeMessage:
        """The original response message once it is no longer "thinking" (a deferred response
        stops thinking at its first edit or follow-up) and has had at least ``edits`` edits."""

        def ready() -> bool:
            msg = self.original_message
            return msg is not None and not msg.loading and len(self.edits) >= edits

        await self.fake.wait_for(ready, timeout, what=f"the original response of {self!r}")
        assert self.original_message is not None
        return self.original_message

    async def followup(self, index: int = 0, timeout: float = 5.0) -> FakeMessage:
        """Wait for the ``index``-th follow-up message."""
        await self.fake.wait_for(lambda: len(self.followups) > index, timeout, what=f"follow-up #{index} of {self!r}")
        return self.followups[index]

    async def done(self, idle: float = 0.15, timeout: float = 5.0) -> None:
        """Wait until the interaction was answered and nothing touched it for ``idle`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        await self.responded(timeout)
        while True:
            quiet_for = loop.time() - self.last_activity
            if quiet_for >= idle:
                return
            if loop.time() + (idle - quiet_for) > deadline:
                raise TimeoutError(f"{self!r} was still active after {timeout}s")
            await asyncio.sleep(idle - quiet_for)


# --------------------------------------------------------------------------- gateway plumbing


@dataclass(eq=False)
class _Connection:
    ws: web.WebSocketResponse
    queue: asyncio.Queue[str | None] = field(default_factory=asyncio.Queue)
    writer: asyncio.Task[None] | None = None
    session: _Session | None = None
    received: list[dict[str, Any]] = field(default_factory=list)


@dataclass(eq=False)
class _Session:
    id: str
    user_id: int
    intents: int
    seq: int = 0
    buffer: deque[tuple[int, str]] = field(default_factory=lambda: deque(maxlen=5000))
    conn: _Connection | None = None


_CALL_KEY: Any = web.RequestKey("call", RecordedCall) if hasattr(web, "RequestKey") else "call"


class _Reject(Exception):
    """Raised inside a handler to answer with a Discord-style error."""

    def __init__(self, status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors


def _form_error(field_name: str, message: str, code: str = "BASE_TYPE_INVALID") -> _Reject:
    errors = {field_name: {"_errors": [{"code": code, "message": message}]}}
    return _Reject(400, 50035, "Invalid Form Body", errors)


def _invalid(path: Sequence[str | int], message: str, code: str = "BASE_TYPE_INVALID") -> _Reject:
    """400 / 50035 with Discord's nested ``errors`` tree: ``("poll", "answers", 0, "poll_media", "text")`` gives
    ``{"poll": {"answers": {"0": {"poll_media": {"text": {"_errors": [{"code": ..., "message": ...}]}}}}}}``."""
    errors: dict[str, Any] = {"_errors": [{"code": code, "message": message}]}
    for key in reversed(path):
        errors = {str(key): errors}
    return _Reject(400, 50035, "Invalid Form Body", errors)


def _query_bool(value: str | None) -> bool:
    """Discord's boolean query strings: true/false, True/False or 1/0."""
    return (value or "").lower() in ("true", "1")


def _parse_iso(value: Any, path: Sequence[str | int]) -> datetime.datetime:
    if not isinstance(value, str):
        raise _invalid(path, "Could not parse the timestamp.", "DATE_TIME_TYPE_PARSE")
    try:
        when = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _invalid(path, f"Could not parse {value}. Should be ISO8601.", "DATE_TIME_TYPE_PARSE") from None
    return when if when.tzinfo is not None else when.replace(tzinfo=datetime.UTC)


def _json_response(data: Any, status: int = 200) -> web.Response:
    # discord.py only decodes JSON when the header is exactly "application/json".
    return web.Response(status=status, body=json.dumps(data).encode(), headers={"Content-Type": "application/json"})


def _error_response(status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"message": message, "code": code}
    if errors:
        body["errors"] = errors
    return _json_response(body, status)


def _parse_multipart(body: bytes, content_type: str) -> list[MultipartPart]:
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if match is None:
        return []
    delimiter = b"--" + match.group(1).encode()
    parts: list[MultipartPart] = []
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        if chunk.startswith(b"\r\n"):
            chunk = chunk[2:]
        head, _, data = chunk.partition(b"\r\n\r\n")
        if data.endswith(b"\r\n"):
            data = data[:-2]
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        name = re.search(r'\bname="([^"]*)"', disposition)
        filename = re.search(r'\bfilename="([^"]*)"', disposition)
        parts.append(
            MultipartPart(
                name=name.group(1) if name else "",
                filename=filename.group(1) if filename else None,
                content_type=headers.get("content-type"),
                data=data,
            )
        )
    return parts


def _emoji_key(emoji: str) -> str:
    """Normalise "👍", "name:id" and "<:name:id>" to the key Discord uses in URLs."""
    match = _CUSTOM_EMOJI.match(emoji)
    if match:
        return f"{match.group(1)}:{match.group(2)}"
    return emoji


def _emoji_payload(key: str) -> dict[str, Any]:
    match = _CUSTOM_EMOJI.match(key)
    if match:
        return {"id": match.group(2), "name": match.group(1), "animated": False}
    return {"id": None, "name": key}


def _embed_length(embed: Mapping[str, Any]) -> int:
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    total += len((embed.get("footer") or {}).get("text") or "")
    total += len((embed.get("author") or {}).get("name") or "")
    for fld in embed.get("fields") or []:
        total += len(fld.get("name") or "") + len(fld.get("value") or "")
    return total


def _as_id(obj: Any) -> int:
    if isinstance(obj, int):
        return obj
    if isinstance(obj, str):
        return int(obj)
    return int(obj.id)


# --------------------------------------------------------------------------- the fake


class FakeDiscord:
    """A fake Discord API and gateway bound to 127.0.0.1.

    The constructor builds a default world: one guild ``guild`` ("Cinema Club") with a
    category ``category`` ("Film Talk"), a text channel ``general`` and a forum ``forum``
    ("reviews", thread-capable) in it; members ``owner`` (guild owner), ``moderator`` (role
    "Moderators" with Manage Server), ``member`` (no extra role) and ``other_bot``; and the bot
    user ``bot_user`` with a managed role (Manage Messages and Create Events beside what @everyone has, which
    includes Connect and Send Polls as on Discord).

    ``scheduled_events`` holds the guilds' scheduled events by id; a message's poll is ``message.poll``.
    """

    def __init__(
        self,
        *,
        token: str = "fake-bot-token",
        bot_name: str = "CineBot",
        guild_name: str = "Cinema Club",
        heartbeat_interval_ms: int = 41250,
        callback_deadline: float | None = 3.0,
        application_flags: int = 0,
    ) -> None:
        self.token = token
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.callback_deadline = callback_deadline
        self.application_flags = application_flags
        self.clock_offset = 0.0  # seconds :meth:`advance` moved the fake's clock past the real one
        self.snowflake = SnowflakeFactory(clock=self.time)
        # Discord cancels a SCHEDULED event that never started "a few hours" after its start time (the docs give
        # no number); :meth:`advance` does it after this many seconds.
        self.event_auto_cancel_after = 3 * 3600.0

        self.users: dict[int, FakeUser] = {}
        self.guilds: dict[int, FakeGuild] = {}
        self.channels: dict[int, FakeChannel] = {}
        self.messages: dict[int, FakeMessage] = {}
        self._channel_messages: dict[int, list[FakeMessage]] = {}
        self._attachments: dict[int, FakeAttachment] = {}
        self.scheduled_events: dict[int, FakeScheduledEvent] = {}

        # Recorded traffic.
        self.heartbeats: list[tuple[int, float]] = []  # (connection, when it arrived): how late a client beats
        self.calls: list[RecordedCall] = []
        self.unknown_calls: list[RecordedCall] = []
        self.internal_errors: list[str] = []
        self.gateway_events: list[GatewayEvent] = []
        self.gateway_received: list[dict[str, Any]] = []
        self.presence_updates: list[dict[str, Any]] = []
        self.connection_count = 0
        self.identify_count = 0
        self.resume_count = 0

        # Application commands: key None holds global commands, a guild id that guild's.
        self.commands: dict[int | None, list[dict[str, Any]]] = {}
        self.interactions: list[InteractionHandle] = []
        self._interactions_by_token: dict[str, InteractionHandle] = {}
        self._interactions_by_id: dict[int, InteractionHandle] = {}
        self._expired_tokens: set[str] = set()  # interaction tokens past their 15 minutes

        self._sessions: dict[str, _Session] = {}
        self._connections: set[_Connection] = set()
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

        self.bot_user = self._new_user(bot_name, bot=True)
        self.application_id = self.bot_user.id
        self.guild = self.add_guild(guild_name)
        self.owner = self.guild.members[self.guild.owner_id]
        self.category = self.add_channel("Film Talk", type=CHANNEL_CATEGORY)
        self.general = self.add_channel("general", parent=self.category, topic="Talk about films")
        self.forum = self.add_channel("reviews", type=CHANNEL_FORUM, parent=self.category)
        self.moderators_role = self.add_role("Moderators", PERM_MANAGE_GUILD)
        self.moderator = self.add_member("mod_mia", roles=[self.moderators_role.id])
        self.member = self.add_member("film_fan")
        self.other_bot = self.add_member("OtherBot", bot=True)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024 * 1024)
        self._add_routes(app.router)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]
        log.debug("fake Discord listening on %s", self.url)

    async def close(self) -> None:
        for conn in list(self._connections):
            with contextlib.suppress(Exception):
                await conn.ws.close(code=1001, message=b"fake discord closing")
        for conn in list(self._connections):
            if conn.writer is not None:
                conn.writer.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def url(self) -> str:
        if self._port is None:
            raise RuntimeError("FakeDiscord is not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_base(self) -> str:
        return self.url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self._port}{GATEWAY_PATH}"

    # ------------------------------------------------------------------ the fake's clock

    def time(self) -> float:
        """The fake's clock in epoch seconds: the real clock plus what :meth:`advance` added."""
        return time.time() + self.clock_offset

    def now(self) -> datetime.datetime:
        """The fake's clock as an aware UTC datetime (poll expiry, event start times and new snowflakes use it)."""
        return datetime.datetime.fromtimestamp(self.time(), tz=datetime.UTC)

    # ------------------------------------------------------------------ world building

    def _new_user(self, name: str, *, bot: bool = False, user_id: int | None = None) -> FakeUser:
        user = FakeUser(id=user_id or self.snowflake(), name=name, bot=bot)
        self.users[user.id] = user
        return user

    def add_guild(self, name: str, *, guild_id: int | None = None, owner: FakeUser | None = None) -> FakeGuild:
        """Add a guild with @everyone, the bot (with a managed role) and an owner member."""
        guild_id = guild_id or self.snowflake()
        owner = owner or self._new_user("projectionist")
        guild = FakeGuild(id=guild_id, name=name, owner_id=owner.id)
        guild.roles[guild_id] = FakeRole(
            id=guild_id, guild_id=guild_id, name="@everyone", permissions=EVERYONE_PERMISSIONS
        )
        self.guilds[guild_id] = guild
        bot_role = FakeRole(
            id=self.snowflake(),
            guild_id=guild_id,
            name=self.bot_user.name,
            permissions=BOT_ROLE_PERMISSIONS,
            position=1,
            managed=True,
        )
        guild.roles[bot_role.id] = bot_role
        guild.members[owner.id] = FakeMember(user=owner, guild_id=guild_id)
        guild.members[self.bot_user.id] = FakeMember(user=self.bot_user, guild_id=guild_id, roles=[bot_role.id])
        if self._sessions:
            self.dispatch("GUILD_CREATE", self.guild_create_payload(guild), intent=INTENT_GUILDS)
        return guild

    def add_role(self, name: str, permissions: int = 0, *, guild: FakeGuild | int | None = None) -> FakeRole:
        g = self._guild(guild)
        role = FakeRole(id=self.snowflake(), guild_id=g.id, name=name, permissions=permissions, position=len(g.roles))
        g.roles[role.id] = role
        if self._sessions:
            self.dispatch("GUILD_ROLE_CREATE", {"guild_id": str(g.id), "role": role.to_payload()}, intent=INTENT_GUILDS)
        return role

    def add_channel(
        self,
        name: str,
        *,
        type: int = CHANNEL_TEXT,
        guild: FakeGuild | int | None = None,
        parent: FakeChannel | int | None = None,
        topic: str | None = None,
        overwrites: Sequence[Mapping[str, Any]] = (),
        channel_id: int | None = None,
    ) -> FakeChannel:
        """Add a guild channel (text by default). ``overwrites`` are raw permission overwrite dicts."""
        g = self._guild(guild)
        channel = FakeChannel(
            id=channel_id or self.snowflake(),
            type=type,
            name=name,
            guild_id=g.id,
            parent_id=_as_id(parent) if parent is not None else None,
            position=sum(1 for c in g.channels.values() if not c.is_thread),
            topic=topic,
            overwrites=[dict(o) for o in overwrites],
        )
        self._store_channel(g, channel)
        if self._sessions:
            self.dispatch("CHANNEL_CREATE", self.channel_payload(channel), intent=INTENT_GUILDS)
        return channel

    def add_member(
        self,
        name: str,
        *,
        user_id: int | None = None,
        permissions: int = 0,
        roles: Iterable[FakeRole | int] = (),
        bot: bool = False,
        guild: FakeGuild | int | None = None,
        nick: str | None = None,
    ) -> FakeMember:
        """Add a member. ``permissions`` (if any) are granted through a new role named after the member."""
        g = self._guild(guild)
        user = self.users.get(user_id) if user_id else None
        if user is None:
            user = self._new_user(name, bot=bot, user_id=user_id)
        role_ids = [_as_id(r) for r in roles]
        if permissions:
            role_ids.append(self.add_role(f"{name} role", permissions, guild=g).id)
        member = FakeMember(user=user, guild_id=g.id, roles=role_ids, nick=nick)
        g.members[user.id] = member
        if self._sessions:
            payload = member.to_payload() | {"guild_id": str(g.id)}
            self.dispatch("GUILD_MEMBER_ADD", payload, intent=INTENT_GUILD_MEMBERS)
        return member

    def _store_channel(self, guild: FakeGuild | None, channel: FakeChannel) -> None:
        self.channels[channel.id] = channel
        self._channel_messages.setdefault(channel.id, [])
        if guild is not None:
            guild.channels[channel.id] = channel

    def _guild(self, guild: FakeGuild | int | None) -> FakeGuild:
        if guild is None:
            return self.guild
        if isinstance(guild, FakeGuild):
            return guild
        return self.guilds[int(guild)]

    def _channel(self, channel: FakeChannel | int | str | None) -> FakeChannel:
        if channel is None:
            return self.general
        if isinstance(channel, FakeChannel):
            return channel
        return self.channels[_as_id(channel)]

    def _user(self, user: FakeUser | FakeMember | int | None) -> FakeUser:
        if user is None:
            return self.member.user
        if isinstance(user, FakeMember):
            return user.user
        if isinstance(user, FakeUser):
            return user
        return self.users[int(user)]

    def _message(self, message: FakeMessage | int) -> FakeMessage:
        if isinstance(message, FakeMessage):
            return message
        return self.messages[int(message)]

    def member_of(self, guild_id: int | None, user: FakeUser | FakeMember | int) -> FakeMember | None:
        if guild_id is None:
            return None
        g = self.guilds.get(guild_id)
        return g.members.get(_as_id(user)) if g else None

    def permissions_for(self, member: FakeMember, channel: FakeChannel | None = None) -> int:
        """Discord's permission computation: @everyone | roles, admin, then channel overwrites."""
        g = self.guilds[member.guild_id]
        if member.id == g.owner_id:
            return PERM_ALL
        perms = g.everyone.permissions
        for role_id in member.roles:
            role = g.roles.get(role_id)
            if role is not None:
                perms |= role.permissions
        if perms & PERM_ADMINISTRATOR:
            return PERM_ALL
        if channel is not None and channel.is_thread and channel.parent_id:
            channel = self.channels.get(channel.parent_id, channel)
        if channel is None or not channel.overwrites:
            return perms
        by_id = {int(o["id"]): o for o in channel.overwrites}
        everyone = by_id.get(g.id)
        if everyone:
            perms = (perms & ~int(everyone.get("deny", 0))) | int(everyone.get("allow", 0))
        allow = deny = 0
        for role_id in member.roles:
            o = by_id.get(role_id)
            if o and int(o.get("type", 0)) == 0:
                allow |= int(o.get("allow", 0))
                deny |= int(o.get("deny", 0))
        perms = (perms & ~deny) | allow
        own = by_id.get(member.id)
        if own and int(own.get("type", 1)) == 1:
            perms = (perms & ~int(own.get("deny", 0))) | int(own.get("allow", 0))
        return perms

    # ------------------------------------------------------------------ queries for tests

    def channel_messages(
        self, channel: FakeChannel | int | None = None, *, include_ephemeral: bool = True, include_deleted: bool = False
    ) -> list[FakeMessage]:
        """Messages of a channel, oldest first."""
        msgs = self._channel_messages.get(self._channel(channel).id, [])
        return [m for m in msgs if (include_ephemeral or not m.ephemeral) and (include_deleted or not m.deleted)]

    def calls_to(self, method: str | None = None, path: str | None = None) -> list[RecordedCall]:
        """Recorded calls matching a method and an fnmatch pattern such as "/channels/*/messages"."""
        return [c for c in self.calls if c.matches(method, path)]

    def events(self, name: str | None = None) -> list[GatewayEvent]:
        return [e for e in self.gateway_events if name is None or e.name == name]

    def registered_command(
        self, name: str, *, guild: FakeGuild | int | None = None, type: int = COMMAND_CHAT_INPUT
    ) -> dict[str, Any] | None:
        key = None if guild is None else _as_id(guild)
        for cmd in self.commands.get(key, []):
            if cmd["name"] == name and cmd.get("type", 1) == type:
                return cmd
        return None

    def assert_no_unknown_calls(self) -> None:
        if self.unknown_calls:
            routes = ", ".join(f"{c.method} {c.path}" for c in self.unknown_calls)
            raise AssertionError(f"the client hit routes the fake does not know: {routes}")
        if self.internal_errors:
            raise AssertionError(f"the fake failed internally: {self.internal_errors}")

    # ------------------------------------------------------------------ waiting

    def _notify(self) -> None:
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    async def wait_for(self, predicate: Callable[[], T | None], timeout: float = 5.0, *, what: str | None = None) -> T:
        """Wait until ``predicate()`` is truthy (re-checked whenever the fake records something)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = ", ".join(f"{c.method} {c.path}" for c in self.calls[-8:]) or "none"
                raise TimeoutError(
                    f"timed out after {timeout}s waiting for {what or predicate!r}; last calls: {recent}"
                )
            changed = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), min(remaining, 0.25))

    async def wait_for_call(
        self,
        method: str | None = None,
        path: str | None = None,
        *,
        predicate: Callable[[RecordedCall], bool] | None = None,
        start: int = 0,
        timeout: float = 5.0,
    ) -> RecordedCall:
        """The first recorded call (from index ``start``) with that method/path glob that satisfies ``predicate``."""

        def find() -> RecordedCall | None:
            for call in itertools.islice(self.calls, start, None):
                if call.status is not None and call.matches(method, path) and (predicate is None or predicate(call)):
                    return call
            return None

        return await self.wait_for(find, timeout, what=f"a call {method or '*'} {path or '*'}")

    async def wait_for_message(
        self,
        channel: FakeChannel | int | None = None,
        *,
        predicate: Callable[[FakeMessage], bool] | None = None,
        author: FakeUser | FakeMember | int | None = None,
        timeout: float = 5.0,
    ) -> FakeMessage:
        """The first message (in ``channel`` if given, by ``author`` if given) that satisfies ``predicate``."""
        channel_id = None if channel is None else self._channel(channel).id
        author_id = None if author is None else _as_id(author)

        def find() -> FakeMessage | None:
            for msg in self.messages.values():
                if channel_id is not None and msg.channel_id != channel_id:
                    continue
                if author_id is not None and msg.author.id != author_id:
                    continue
                if msg.deleted or (predicate is not None and not predicate(msg)):
                    continue
                return msg
            return None

        return await self.wait_for(find, timeout, what="a matching message")

    # ------------------------------------------------------------------ gateway

    def dispatch(self, event: str, data: dict[str, Any], *, intent: int | None = None) -> None:
        """Send a DISPATCH to every session whose intents cover ``intent`` (buffered while disconnected)."""
        loop = asyncio.get_running_loop()
        for session in list(self._sessions.values()):
            if intent is not None and not session.intents & intent:
                continue
            payload = self._filter_for_session(session, event, data)
            session.seq += 1
            frame = json.dumps({"op": OP_DISPATCH, "t": event, "s": session.seq, "d": payload})
            session.buffer.append((session.seq, frame))
            self.gateway_events.append(GatewayEvent(session.id, session.seq, event, payload, loop.time()))
            if session.conn is not None:
                session.conn.queue.put_nowait(frame)
        self._notify()

    def _filter_for_session(self, session: _Session, event: str, data: dict[str, Any]) -> dict[str, Any]:
        if event not in ("MESSAGE_CREATE", "MESSAGE_UPDATE") or session.intents & INTENT_MESSAGE_CONTENT:
            return data
        if "guild_id" not in data or data.get("author", {}).get("id") == str(session.user_id):
            return data
        if any(u.get("id") == str(session.user_id) for u in data.get("mentions", [])):
            return data
        # Without MESSAGE_CONTENT "poll will be omitted" too (developers/resources/message).
        hidden = {k: v for k, v in data.items() if k != "poll"}
        return hidden | {"content": "", "embeds": [], "attachments": [], "components": []}

    async def request_reconnect(self, *, wait: bool = True, timeout: float = 5.0) -> None:
        """Send op 7 RECONNECT to every connected session; by default wait until the client is back."""
        connected = [s for s in self._sessions.values() if s.conn is not None]
        if not connected:
            raise RuntimeError("no client is connected to the fake gateway")
        before = self.resume_count + self.identify_count
        old = {s.conn for s in connected}
        for session in connected:
            assert session.conn is not None
            session.conn.queue.put_nowait(json.dumps({"op": OP_RECONNECT, "d": None}))
        if wait:
            await self.wait_for(
                lambda: (
                    self.resume_count + self.identify_count > before
                    and any(s.conn is not None and s.conn not in old for s in self._sessions.values())
                ),
                timeout,
                what="the client to reconnect",
            )

    async def drop_connections(self, code: int = 4000) -> None:
        """Close every gateway socket from the server side (the client should RESUME)."""
        for conn in list(self._connections):
            await conn.ws.close(code=code)

    async def invalidate_sessions(self) -> None:
        """Send op 9 (not resumable); the client should IDENTIFY again."""
        for session in list(self._sessions.values()):
            if session.conn is not None:
                session.conn.queue.put_nowait(json.dumps({"op": OP_INVALID_SESSION, "d": False}))
            self._sessions.pop(session.id, None)

    def heartbeat_lateness(self) -> float:
        """The most seconds any heartbeat arrived after the interval since the one before it on its connection
        (0.0 with fewer than two): how late the client beat, as Discord sees it."""
        last: dict[int, float] = {}
        late = 0.0
        for conn, at in self.heartbeats:
            if conn in last:
                late = max(late, at - last[conn] - self.heartbeat_interval_ms / 1000)
            last[conn] = at
        return late

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        conn = _Connection(ws=ws)
        conn.writer = asyncio.create_task(self._writer(conn))
        self._connections.add(conn)
        self.connection_count += 1
        conn.queue.put_nowait(json.dumps({"op": OP_HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}}))
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._on_gateway_message(conn, json.loads(msg.data))
                elif msg.type is WSMsgType.ERROR:
                    break
        except Exception:
            log.exception("fake gateway failed")
            self.internal_errors.append("gateway handler crashed")
        finally:
            if conn.session is not None and conn.session.conn is conn:
                conn.session.conn = None
            conn.queue.put_nowait(None)
            self._connections.discard(conn)
            self._notify()
        return ws

    async def _writer(self, conn: _Connection) -> None:
        while True:
            frame = await conn.queue.get()
            if frame is None or conn.ws.closed:
                return
            try:
                await conn.ws.send_str(frame)
            except (ConnectionError, RuntimeError):
                return

    async def _on_gateway_message(self, conn: _Connection, msg: dict[str, Any]) -> None:
        op = msg.get("op")
        data: Any = msg.get("d")
        conn.received.append(msg)
        self.gateway_received.append(msg)
        if op == OP_HEARTBEAT:
            self.heartbeats.append((id(conn), time.monotonic()))
            conn.queue.put_nowait(json.dumps({"op": OP_HEARTBEAT_ACK}))
        elif op == OP_IDENTIFY:
            await self._identify(conn, data)
        elif op == OP_RESUME:
            await self._resume(conn, data)
        elif op == OP_PRESENCE:
            self.presence_updates.append(data)
        elif op == OP_REQUEST_MEMBERS:
            self._send_member_chunk(conn, data)
        elif op == OP_VOICE_STATE:
            pass
        else:
            log.warning("fake gateway got unknown op %s", op)
        self._notify()

    async def _identify(self, conn: _Connection, data: dict[str, Any]) -> None:
        if data.get("token") != self.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        # Sessions nobody is attached to any more cannot be resumed by this client.
        for stale in [s for s in self._sessions.values() if s.conn is None]:
            del self._sessions[stale.id]
        session = _Session(id=secrets.token_hex(16), user_id=self.bot_user.id, intents=int(data.get("intents", 0)))
        self._sessions[session.id] = session
        conn.session = session
        session.conn = conn
        self.identify_count += 1
        ready = {
            "v": API_VERSION,
            "user": self.bot_user.to_payload() | {"verified": True, "mfa_enabled": False},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in self.guilds.values()],
            "session_id": session.id,
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.application_id), "flags": self.application_flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "user_settings": {},
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "_trace": ["fake-discord"],
        }
        if data.get("shard"):
            ready["shard"] = data["shard"]
        self._dispatch_to(session, "READY", ready)
        for guild in self.guilds.values():
            if session.intents & INTENT_GUILDS:
                self._dispatch_to(session, "GUILD_CREATE", self.guild_create_payload(guild))

    def _dispatch_to(self, session: _Session, event: str, data: dict[str, Any]) -> None:
        session.seq += 1
        frame = json.dumps({"op": OP_DISPATCH, "t": event, "s": session.seq, "d": data})
        session.buffer.append((session.seq, frame))
        self.gateway_events.append(
            GatewayEvent(session.id, session.seq, event, data, asyncio.get_running_loop().time())
        )
        if session.conn is not None:
            session.conn.queue.put_nowait(frame)

    async def _resume(self, conn: _Connection, data: dict[str, Any]) -> None:
        session = self._sessions.get(str(data.get("session_id")))
        if session is None or data.get("token") != self.token:
            conn.queue.put_nowait(json.dumps({"op": OP_INVALID_SESSION, "d": False}))
            return
        old = session.conn
        session.conn = conn
        conn.session = session
        if old is not None and old is not conn:
            old.session = None
            with contextlib.suppress(Exception):
                await old.ws.close(code=4009)
        last_seen = int(data.get("seq") or 0)
        for seq, frame in list(session.buffer):
            if seq > last_seen:
                conn.queue.put_nowait(frame)
        self.resume_count += 1
        self._dispatch_to(session, "RESUMED", {"_trace": ["fake-discord"]})

    def _send_member_chunk(self, conn: _Connection, data: dict[str, Any]) -> None:
        if conn.session is None:
            return
        guild_ids: Any = data.get("guild_id")
        for gid in guild_ids if isinstance(guild_ids, list) else [guild_ids]:
            guild = self.guilds.get(int(gid))
            if guild is None:
                continue
            wanted = {int(u) for u in data.get("user_ids") or []}
            members = [m for m in guild.members.values() if not wanted or m.id in wanted]
            query = (data.get("query") or "").lower()
            members = [m for m in members if m.name.lower().startswith(query)]
            limit = int(data.get("limit") or 0)
            if limit:
                members = members[:limit]
            chunk = {
                "guild_id": str(guild.id),
                "members": [m.to_payload() for m in members],
                "chunk_index": 0,
                "chunk_count": 1,
                "not_found": [str(u) for u in wanted - {m.id for m in members}],
            }
            if data.get("nonce") is not None:
                chunk["nonce"] = data["nonce"]
            self._dispatch_to(conn.session, "GUILD_MEMBERS_CHUNK", chunk)

    # ------------------------------------------------------------------ payload builders

    def channel_payload(self, channel: FakeChannel) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "id": str(channel.id),
            "type": channel.type,
            "name": channel.name,
            "flags": 0,
            "last_message_id": str(channel.last_message_id) if channel.last_message_id else None,
        }
        if channel.type == CHANNEL_DM:
            payload["recipients"] = [self.users[u].to_payload() for u in channel.recipients]
            payload.pop("name")
            return payload
        payload |= {
            "guild_id": str(channel.guild_id),
            "position": channel.position,
            "permission_overwrites": channel.overwrites,
            "parent_id": str(channel.parent_id) if channel.parent_id else None,
            "nsfw": channel.nsfw,
            "rate_limit_per_user": channel.rate_limit_per_user,
        }
        if channel.type in (CHANNEL_TEXT, CHANNEL_NEWS, CHANNEL_FORUM):
            payload["topic"] = channel.topic
            payload["default_auto_archive_duration"] = 1440
        if channel.type in (CHANNEL_VOICE, CHANNEL_STAGE):
            payload |= {"bitrate": 64000, "user_limit": 0, "rtc_region": None, "video_quality_mode": 1}
        if channel.type == CHANNEL_FORUM:
            payload |= {
                "available_tags": [],
                "default_reaction_emoji": None,
                "default_sort_order": None,
                "default_forum_layout": 0,
                "default_thread_rate_limit_per_user": 0,
            }
        if channel.is_thread:
            payload |= {
                "owner_id": str(channel.owner_id),
                "message_count": channel.message_count,
                "member_count": 1,
                "total_message_sent": channel.message_count,
                "thread_metadata": {
                    "archived": channel.archived,
                    "auto_archive_duration": channel.auto_archive_duration,
                    "archive_timestamp": _iso(snowflake_time(channel.id)),
                    "locked": channel.locked,
                    "create_timestamp": _iso(snowflake_time(channel.id)),
                },
            }
        return payload

    def guild_create_payload(self, guild: FakeGuild) -> dict[str, Any]:
        channels = [self.channel_payload(c) for c in guild.channels.values() if not c.is_thread]
        threads = [self.channel_payload(c) for c in guild.channels.values() if c.is_thread and not c.archived]
        for payload in channels + threads:
            payload.pop("guild_id", None)
        return self.guild_payload(guild) | {
            "joined_at": _iso(snowflake_time(guild.id)),
            "large": False,
            "unavailable": False,
            "member_count": len(guild.members),
            "members": [m.to_payload() for m in guild.members.values()],
            "channels": channels,
            "threads": threads,
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [
                self.event_payload(e) for e in self.scheduled_events.values() if e.guild_id == guild.id and e.open
            ],
            "soundboard_sounds": [],
        }

    def guild_payload(self, guild: FakeGuild) -> dict[str, Any]:
        return {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": str(guild.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "roles": [r.to_payload() for r in guild.roles.values()],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "approximate_member_count": len(guild.members),
            "approximate_presence_count": len(guild.members),
        }

    def message_payload(self, msg: FakeMessage) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "id": str(msg.id),
            "channel_id": str(msg.channel_id),
            "author": msg.author.to_payload(),
            "content": msg.content,
            "timestamp": _iso(msg.created_at),
            "edited_timestamp": msg.edited_timestamp,
            "tts": msg.tts,
            "mention_everyone": msg.mention_everyone,
            "mentions": [self.users[u].to_payload() for u in msg.mentions if u in self.users],
            "mention_roles": [str(r) for r in msg.mention_roles],
            "attachments": [a.to_payload() for a in msg.attachments],
            "embeds": msg.embeds,
            "components": msg.components,
            "pinned": False,
            "type": msg.type,
            "flags": msg.flags,
        }
        if msg.guild_id is not None:
            payload["guild_id"] = str(msg.guild_id)
        if msg.reactions:
            payload["reactions"] = [
                {
                    "emoji": r.emoji,
                    "count": len(r.user_ids),
                    "count_details": {"normal": len(r.user_ids), "burst": 0},
                    "me": self.bot_user.id in r.user_ids,
                    "me_burst": False,
                    "burst_colors": [],
                }
                for r in msg.reactions.values()
                if r.user_ids
            ]
        if msg.poll is not None:
            payload["poll"] = msg.poll.to_payload()
        if msg.nonce is not None:
            payload["nonce"] = msg.nonce
        if msg.webhook_id is not None:
            payload["webhook_id"] = str(msg.webhook_id)
        if msg.application_id is not None:
            payload["application_id"] = str(msg.application_id)
        if msg.interaction_metadata is not None:
            payload["interaction_metadata"] = msg.interaction_metadata
            payload["interaction"] = {
                "id": msg.interaction_metadata["id"],
                "type": msg.interaction_metadata["type"],
                "name": msg.interaction_metadata.get("name", ""),
                "user": msg.interaction_metadata["user"],
            }
        if msg.message_reference is not None:
            payload["message_reference"] = msg.message_reference
            ref = self.messages.get(int(msg.message_reference.get("message_id", 0) or 0))
            if ref is not None and msg.type == 19:
                ref_payload = self.message_payload(ref) if not ref.deleted else None
                if ref_payload is not None:
                    ref_payload.pop("referenced_message", None)
                payload["referenced_message"] = ref_payload
        return payload

    def _gateway_message_payload(self, msg: FakeMessage) -> dict[str, Any]:
        payload = self.message_payload(msg)
        member = self.member_of(msg.guild_id, msg.author) if msg.webhook_id is None else None
        if member is not None:
            payload["member"] = member.to_payload(with_user=False)
        return payload

    def _dispatch_message(self, event: str, msg: FakeMessage) -> None:
        if msg.ephemeral:
            return  # Discord never sends ephemeral messages over the gateway
        intent = INTENT_GUILD_MESSAGES if msg.guild_id is not None else INTENT_DIRECT_MESSAGES
        self.dispatch(event, self._gateway_message_payload(msg), intent=intent)

    # ------------------------------------------------------------------ message storage

    def _new_message(self, channel: FakeChannel, author: FakeUser, **fields: Any) -> FakeMessage:
        msg = FakeMessage(
            id=fields.pop("id", None) or self.snowflake(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author=author,
            **fields,
        )
        self.messages[msg.id] = msg
        self._channel_messages.setdefault(channel.id, []).append(msg)
        channel.last_message_id = msg.id
        channel.message_count += 1
        return msg

    def _make_attachment(self, channel_id: int, file: FakeFile, *, ephemeral: bool = False) -> FakeAttachment:
        attachment_id = self.snowflake()
        attachment = FakeAttachment(
            id=attachment_id,
            filename=file.filename,
            data=file.data,
            url=f"{self.url}/attachments/{channel_id}/{attachment_id}/{file.filename}",
            content_type=file.content_type,
            description=file.description,
            ephemeral=ephemeral,
        )
        self._attachments[attachment_id] = attachment
        return attachment

    def _apply_mentions(self, msg: FakeMessage) -> None:
        allowed = msg.allowed_mentions
        parse = set(allowed.get("parse", [])) if allowed is not None else {"users", "roles", "everyone"}
        users = {int(u) for u in allowed.get("users", [])} if allowed is not None else set()
        roles = {int(r) for r in allowed.get("roles", [])} if allowed is not None else set()
        found_users = [int(u) for u in _USER_MENTION.findall(msg.content)]
        found_roles = [int(r) for r in _ROLE_MENTION.findall(msg.content)]
        msg.mentions = [u for u in dict.fromkeys(found_users) if "users" in parse or u in users]
        msg.mention_roles = [r for r in dict.fromkeys(found_roles) if "roles" in parse or r in roles]
        msg.mention_everyone = "everyone" in parse and ("@everyone" in msg.content or "@here" in msg.content)
        if allowed is not None and allowed.get("replied_user") and msg.message_reference:
            ref = self.messages.get(int(msg.message_reference.get("message_id", 0) or 0))
            if ref is not None and ref.author.id not in msg.mentions:
                msg.mentions.append(ref.author.id)
        elif allowed is None and msg.message_reference:
            ref = self.messages.get(int(msg.message_reference.get("message_id", 0) or 0))
            if ref is not None and ref.author.id not in msg.mentions:
                msg.mentions.append(ref.author.id)

    @staticmethod
    def _validate_message(fields: Mapping[str, Any], *, has_files: bool, editing: FakeMessage | None = None) -> None:
        content = fields.get("content")
        if content is not None and len(content) > 2000:
            raise _form_error("content", "Must be 2000 or fewer in length.", "BASE_TYPE_MAX_LENGTH")
        embeds = fields.get("embeds")
        if embeds:
            if len(embeds) > 10:
                raise _form_error("embeds", "Must be 10 or fewer in length.", "BASE_TYPE_MAX_LENGTH")
            for i, embed in enumerate(embeds):
                limits = [("title", 256), ("description", 4096)]
                for key, limit in limits:
                    if len(embed.get(key) or "") > limit:
                        raise _form_error(
                            f"embeds.{i}.{key}", f"Must be {limit} or fewer in length.", "BASE_TYPE_MAX_LENGTH"
                        )
                if len(embed.get("fields") or []) > 25:
                    raise _form_error(f"embeds.{i}.fields", "Must be 25 or fewer in length.", "BASE_TYPE_MAX_LENGTH")
                for j, fld in enumerate(embed.get("fields") or []):
                    if (
                        not fld.get("name")
                        or len(fld["name"]) > 256
                        or not fld.get("value")
                        or len(fld["value"]) > 1024
                    ):
                        raise _form_error(f"embeds.{i}.fields.{j}", "Field name 1-256, value 1-1024 characters.")
                if len((embed.get("footer") or {}).get("text") or "") > 2048:
                    raise _form_error(f"embeds.{i}.footer.text", "Must be 2048 or fewer in length.")
            if sum(_embed_length(e) for e in embeds) > 6000:
                raise _form_error("embeds", "Embed size exceeds maximum size of 6000", "MAX_EMBED_SIZE_EXCEEDED")
        flags = int(fields.get("flags") or (editing.flags if editing else 0))
        if flags & FLAG_COMPONENTS_V2 and (fields.get("content") or fields.get("embeds")):
            raise _form_error("content", "Cannot send content or embeds with IS_COMPONENTS_V2")
        if flags & FLAG_COMPONENTS_V2 and fields.get("poll"):
            raise _invalid(("poll",), "Cannot send a poll with IS_COMPONENTS_V2")

        def present(key: str) -> bool:
            if key in fields:
                return bool(fields[key])
            return editing is not None and bool(getattr(editing, key))

        nonempty = any(present(k) for k in ("content", "embeds", "components", "attachments")) or has_files
        nonempty = nonempty or bool(fields.get("sticker_ids") or fields.get("poll"))
        if not nonempty:
            raise _Reject(400, 50006, "Cannot send an empty message")

    def _attachments_from(
        self,
        channel: FakeChannel,
        fields: Mapping[str, Any],
        parts: Sequence[MultipartPart],
        existing: Sequence[FakeAttachment],
        *,
        ephemeral: bool = False,
    ) -> list[FakeAttachment] | None:
        """The attachment list after a create/edit, or None if the request does not touch attachments."""
        uploads = {p.name: p for p in parts if p.filename is not None}
        if "attachments" not in fields and not uploads:
            return None
        result: list[FakeAttachment] = []
        by_id = {a.id: a for a in existing}
        described = fields.get("attachments")
        if described is None:
            described = [{"id": i, "filename": p.filename} for i, p in enumerate(uploads.values())]
        for entry in described:
            raw_id = entry.get("id")
            upload = uploads.get(f"files[{raw_id}]")
            if upload is not None:
                file = FakeFile(
                    entry.get("filename") or upload.filename or "file",
                    upload.data,
                    upload.content_type or "application/octet-stream",
                    entry.get("description"),
                )
                result.append(self._make_attachment(channel.id, file, ephemeral=ephemeral))
            elif raw_id is not None and int(raw_id) in by_id:
                result.append(by_id[int(raw_id)])
            else:
                raise _form_error("attachments", f"Unknown attachment {raw_id!r}")
        return result

    def _create_message(
        self,
        channel: FakeChannel,
        author: FakeUser,
        fields: Mapping[str, Any],
        parts: Sequence[MultipartPart],
        **extra: Any,
    ) -> FakeMessage:
        flags = int(fields.get("flags") or 0) | int(extra.pop("flags", 0))
        has_files = any(p.filename is not None for p in parts)
        self._validate_message(fields, has_files=has_files)
        poll = self._validate_poll(fields["poll"]) if fields.get("poll") is not None else None
        reference = fields.get("message_reference")
        msg_type = extra.pop("type", 0)
        if reference:
            ref_id = int(reference.get("message_id", 0) or 0)
            ref = self.messages.get(ref_id)
            if ref is None and reference.get("fail_if_not_exists", True):
                raise _form_error("message_reference", "Unknown message", "MESSAGE_REFERENCE_UNKNOWN_MESSAGE")
            reference = {
                "type": 0,
                "message_id": str(ref_id),
                "channel_id": str(reference.get("channel_id") or channel.id),
            }
            if channel.guild_id is not None:
                reference["guild_id"] = str(channel.guild_id)
            if msg_type == 0:
                msg_type = 19
        msg = self._new_message(
            channel,
            author,
            content=fields.get("content") or "",
            embeds=list(fields.get("embeds") or []),
            components=list(fields.get("components") or []),
            flags=flags,
            type=msg_type,
            tts=bool(fields.get("tts")),
            allowed_mentions=fields.get("allowed_mentions"),
            nonce=fields.get("nonce"),
            message_reference=reference or None,
            **extra,
        )
        msg.attachments = self._attachments_from(channel, fields, parts, [], ephemeral=msg.ephemeral) or []
        if poll is not None:
            msg.poll = self._make_poll(msg, poll)
        msg.history.append(dict(fields))
        self._apply_mentions(msg)
        return msg

    @staticmethod
    def _validate_poll(raw: Any) -> dict[str, Any]:
        """Check a poll create request object as Discord does; the normalised fields, or a 400 / 50035."""
        if not isinstance(raw, Mapping):
            raise _invalid(("poll",), "Must be an object.", "MODEL_TYPE_CONVERT")
        question = raw.get("question")
        text = question.get("text") if isinstance(question, Mapping) else None
        if not isinstance(text, str) or not text:
            raise _invalid(("poll", "question", "text"), "This field is required", "BASE_TYPE_REQUIRED")
        if len(text) > POLL_QUESTION_MAX:
            raise _invalid(
                ("poll", "question", "text"),
                f"Must be {POLL_QUESTION_MAX} or fewer in length.",
                "BASE_TYPE_MAX_LENGTH",
            )
        answers = raw.get("answers")
        if not isinstance(answers, list) or not 1 <= len(answers) <= POLL_ANSWERS_MAX:
            raise _invalid(
                ("poll", "answers"), f"Must be between 1 and {POLL_ANSWERS_MAX} in length.", "BASE_TYPE_BAD_LENGTH"
            )
        stored: list[dict[str, Any]] = []
        for i, answer in enumerate(answers, start=1):
            media = answer.get("poll_media") if isinstance(answer, Mapping) else None
            where = ("poll", "answers", i - 1, "poll_media")
            if not isinstance(media, Mapping):
                raise _invalid(where, "This field is required", "BASE_TYPE_REQUIRED")
            answer_text = media.get("text")
            if not isinstance(answer_text, str) or not answer_text:
                raise _invalid((*where, "text"), "This field is required", "BASE_TYPE_REQUIRED")
            if len(answer_text) > POLL_ANSWER_TEXT_MAX:
                raise _invalid(
                    (*where, "text"), f"Must be {POLL_ANSWER_TEXT_MAX} or fewer in length.", "BASE_TYPE_MAX_LENGTH"
                )
            poll_media: dict[str, Any] = {"text": answer_text}
            emoji = media.get("emoji")
            if emoji:
                # "one only needs to send either the id (custom emoji) or name (default emoji)".
                if not isinstance(emoji, Mapping) or not (emoji.get("id") or emoji.get("name")):
                    raise _invalid((*where, "emoji"), "Invalid emoji", "BASE_TYPE_INVALID")
                poll_media["emoji"] = {"id": emoji.get("id"), "name": emoji.get("name")}
            stored.append({"answer_id": i, "poll_media": poll_media})
        hours: Any = raw.get("duration")
        if hours is None:
            hours = POLL_HOURS_DEFAULT
        # discord.py sends hours as a float (24.0); a whole number is what Discord takes.
        if isinstance(hours, bool) or not isinstance(hours, (int, float)) or hours != int(hours):
            raise _invalid(("poll", "duration"), f'Value "{hours}" is not int.', "NUMBER_TYPE_COERCE")
        if not 1 <= hours <= POLL_HOURS_MAX:
            bound = "greater than or equal to 1" if hours < 1 else f"less than or equal to {POLL_HOURS_MAX}"
            code = "NUMBER_TYPE_MIN" if hours < 1 else "NUMBER_TYPE_MAX"
            raise _invalid(("poll", "duration"), f"int value should be {bound}.", code)
        multiselect = raw.get("allow_multiselect", False)
        if not isinstance(multiselect, bool):
            raise _invalid(("poll", "allow_multiselect"), "Must be either true or false.", "BASE_TYPE_BOOLEAN")
        layout = raw.get("layout_type", POLL_LAYOUT_DEFAULT)
        if layout is None:
            layout = POLL_LAYOUT_DEFAULT
        if layout != POLL_LAYOUT_DEFAULT:
            raise _invalid(("poll", "layout_type"), "Value must be one of {1}.", "BASE_TYPE_CHOICES")
        return {
            "question": text,
            "answers": stored,
            "hours": int(hours),
            "allow_multiselect": multiselect,
            "layout_type": layout,
        }

    def _make_poll(self, msg: FakeMessage, spec: Mapping[str, Any]) -> FakePoll:
        return FakePoll(
            question=spec["question"],
            answers=spec["answers"],
            expiry=msg.created_at + datetime.timedelta(hours=spec["hours"]),
            allow_multiselect=spec["allow_multiselect"],
            layout_type=spec["layout_type"],
        )

    def _edit_message(self, msg: FakeMessage, fields: Mapping[str, Any], parts: Sequence[MultipartPart]) -> None:
        has_files = any(p.filename is not None for p in parts)
        self._validate_message(fields, has_files=has_files, editing=msg)
        was_loading = msg.loading
        if fields.get("poll") is not None:
            # A deferred interaction response gets its poll from the first follow-up or edit; any other
            # message "cannot be edited" to add or change one.
            if not was_loading or msg.poll is not None:
                raise _Reject(400, 520003, "Cannot edit a poll message")
            msg.poll = self._make_poll(msg, self._validate_poll(fields["poll"]))
        for key in ("content", "embeds", "components"):
            if key in fields:
                value = fields[key]
                setattr(msg, key, (value or "") if key == "content" else list(value or []))
        if "flags" in fields and fields["flags"] is not None:
            keep = msg.flags & (FLAG_EPHEMERAL | FLAG_COMPONENTS_V2)
            msg.flags = keep | (int(fields["flags"]) & ~FLAG_EPHEMERAL)
        msg.flags &= ~FLAG_LOADING
        if "allowed_mentions" in fields:
            msg.allowed_mentions = fields["allowed_mentions"]
        channel = self.channels[msg.channel_id]
        attachments = self._attachments_from(channel, fields, parts, msg.attachments, ephemeral=msg.ephemeral)
        if attachments is not None:
            msg.attachments = attachments
        if not was_loading:
            msg.edited_timestamp = _now_iso()
        msg.history.append(dict(fields))
        self._apply_mentions(msg)

    def _delete_message(self, msg: FakeMessage) -> None:
        msg.deleted = True
        if not msg.ephemeral:
            payload: dict[str, Any] = {"id": str(msg.id), "channel_id": str(msg.channel_id)}
            intent = INTENT_GUILD_MESSAGES
            if msg.guild_id is not None:
                payload["guild_id"] = str(msg.guild_id)
            else:
                intent = INTENT_DIRECT_MESSAGES
            self.dispatch("MESSAGE_DELETE", payload, intent=intent)

    def _react(self, msg: FakeMessage, user: FakeUser, emoji_key: str, *, add: bool) -> bool:
        """Add or remove one reaction; dispatch the gateway event. False if nothing changed."""
        reaction = msg.reactions.get(emoji_key)
        if add:
            if reaction is None:
                reaction = msg.reactions[emoji_key] = FakeReaction(emoji=_emoji_payload(emoji_key))
            if user.id in reaction.user_ids:
                return False
            reaction.user_ids.append(user.id)
        else:
            if reaction is None or user.id not in reaction.user_ids:
                return False
            reaction.user_ids.remove(user.id)
        payload: dict[str, Any] = {
            "user_id": str(user.id),
            "channel_id": str(msg.channel_id),
            "message_id": str(msg.id),
            "emoji": _emoji_payload(emoji_key),
            "burst": False,
            "type": 0,
        }
        intent = INTENT_DIRECT_MESSAGE_REACTIONS
        if msg.guild_id is not None:
            intent = INTENT_GUILD_MESSAGE_REACTIONS
            payload["guild_id"] = str(msg.guild_id)
            member = self.member_of(msg.guild_id, user)
            if add and member is not None:
                payload["member"] = member.to_payload()
        if add:
            payload["message_author_id"] = str(msg.author.id)
            payload["burst_colors"] = []
        self.dispatch("MESSAGE_REACTION_ADD" if add else "MESSAGE_REACTION_REMOVE", payload, intent=intent)
        return True

    # ------------------------------------------------------------------ REST plumbing

    def _add_routes(self, router: web.UrlDispatcher) -> None:
        p = API_PREFIX
        routes: list[tuple[str, str, Callable[[web.Request], Any]]] = [
            ("GET", "/gateway", self._get_gateway),
            ("GET", "/gateway/bot", self._get_gateway_bot),
            ("GET", "/users/@me", self._get_me),
            ("POST", "/users/@me/channels", self._create_dm),
            ("GET", "/users/{user_id}", self._get_user),
            ("GET", "/applications/@me", self._get_application),
            ("GET", "/oauth2/applications/@me", self._get_application),
            ("GET", "/applications/{app_id}/commands", self._get_commands),
            ("PUT", "/applications/{app_id}/commands", self._put_commands),
            ("GET", "/applications/{app_id}/guilds/{guild_id}/commands", self._get_commands),
            ("PUT", "/applications/{app_id}/guilds/{guild_id}/commands", self._put_commands),
            ("GET", "/channels/{channel_id}", self._get_channel),
            ("POST", "/channels/{channel_id}/typing", self._typing),
            ("GET", "/channels/{channel_id}/messages", self._get_messages),
            ("POST", "/channels/{channel_id}/messages", self._post_message),
            ("POST", "/channels/{channel_id}/messages/bulk-delete", self._bulk_delete),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self._get_message),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self._patch_message),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self._delete_message_route),
            ("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me", self._put_reaction),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me", self._delete_own_reaction),
            ("GET", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}", self._get_reactions),
            (
                "DELETE",
                "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/{user_id}",
                self._delete_user_reaction,
            ),
            ("GET", "/channels/{channel_id}/polls/{message_id}/answers/{answer_id}", self._get_answer_voters),
            ("POST", "/channels/{channel_id}/polls/{message_id}/expire", self._expire_poll),
            ("POST", "/channels/{channel_id}/messages/{message_id}/threads", self._thread_from_message),
            ("POST", "/channels/{channel_id}/threads", self._thread_without_message),
            ("PUT", "/channels/{channel_id}/thread-members/@me", self._no_content),
            ("DELETE", "/channels/{channel_id}/thread-members/@me", self._no_content),
            ("GET", "/guilds/{guild_id}", self._get_guild),
            ("GET", "/guilds/{guild_id}/channels", self._get_guild_channels),
            ("GET", "/guilds/{guild_id}/roles", self._get_roles),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self._get_member),
            ("GET", "/guilds/{guild_id}/scheduled-events", self._list_events),
            ("POST", "/guilds/{guild_id}/scheduled-events", self._create_event),
            ("GET", "/guilds/{guild_id}/scheduled-events/{event_id}", self._get_event),
            ("PATCH", "/guilds/{guild_id}/scheduled-events/{event_id}", self._patch_event),
            ("DELETE", "/guilds/{guild_id}/scheduled-events/{event_id}", self._delete_event),
            ("GET", "/guilds/{guild_id}/scheduled-events/{event_id}/users", self._get_event_users),
            ("POST", "/interactions/{interaction_id}/{token}/callback", self._interaction_callback),
            ("POST", "/webhooks/{app_id}/{token}", self._webhook_execute),
            ("GET", "/webhooks/{app_id}/{token}/messages/{message_id}", self._webhook_get),
            ("PATCH", "/webhooks/{app_id}/{token}/messages/{message_id}", self._webhook_edit),
            ("DELETE", "/webhooks/{app_id}/{token}/messages/{message_id}", self._webhook_delete),
        ]
        for method, path, handler in routes:
            router.add_route(method, p + path, handler)
        router.add_route("GET", GATEWAY_PATH, self._gateway)
        router.add_route("GET", GATEWAY_PATH + "/", self._gateway)
        router.add_route("GET", "/attachments/{channel_id}/{attachment_id}/{filename}", self._download)
        router.add_route("*", p + "/{tail:.*}", self._unknown)

    @staticmethod
    def _needs_auth(path: str) -> bool:
        return not (path.startswith("/interactions/") or path.startswith("/webhooks/") or path == "/gateway")

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
        if not request.path.startswith(API_PREFIX + "/"):
            return await handler(request)
        body = await request.read()
        content_type = request.headers.get("Content-Type", "")
        parts: list[MultipartPart] = []
        payload: Any = None
        if content_type.startswith("multipart/"):
            parts = _parse_multipart(body, content_type)
            for part in parts:
                if part.name == "payload_json":
                    payload = json.loads(part.data)
        elif body:
            try:
                payload = json.loads(body)
            except ValueError:
                payload = body.decode("utf-8", "replace")
        call = RecordedCall(
            index=len(self.calls),
            method=request.method,
            path=request.path[len(API_PREFIX) :],
            query=dict(request.query),
            json=payload,
            parts=parts,
            time=asyncio.get_running_loop().time(),
            reason=request.headers.get("X-Audit-Log-Reason"),
        )
        self.calls.append(call)
        request[_CALL_KEY] = call
        try:
            if self._needs_auth(call.path) and request.headers.get("Authorization") != f"Bot {self.token}":
                raise _Reject(401, 0, "401: Unauthorized")
            response = await handler(request)
        except _Reject as exc:
            response = _error_response(exc.status, exc.code, exc.message, exc.errors)
        except (KeyError, ValueError, TypeError) as exc:
            log.exception("fake Discord could not handle %s %s", request.method, call.path)
            self.internal_errors.append(f"{request.method} {call.path}: {exc!r}")
            response = _error_response(400, 0, f"fake Discord could not handle the request: {exc!r}")
        call.status = response.status
        if (
            isinstance(response, web.Response)
            and response.body is not None
            and response.content_type == "application/json"
        ):
            with contextlib.suppress(ValueError, TypeError):
                call.response = json.loads(response.body)  # type: ignore[arg-type]
        self._notify()
        return response

    @staticmethod
    def _body(request: web.Request) -> tuple[dict[str, Any], list[MultipartPart]]:
        call: RecordedCall = request[_CALL_KEY]
        body = call.json if isinstance(call.json, dict) else {}
        return body, call.parts

    def _channel_or_404(self, request: web.Request) -> FakeChannel:
        channel = self.channels.get(int(request.match_info["channel_id"]))
        if channel is None:
            raise _Reject(404, 10003, "Unknown Channel")
        return channel

    def _message_or_404(self, request: web.Request) -> tuple[FakeChannel, FakeMessage]:
        channel = self._channel_or_404(request)
        msg = self.messages.get(int(request.match_info["message_id"]))
        if msg is None or msg.channel_id != channel.id or msg.deleted or msg.ephemeral:
            raise _Reject(404, 10008, "Unknown Message")
        return channel, msg

    def _check_app(self, request: web.Request) -> None:
        if int(request.match_info["app_id"]) != self.application_id:
            raise _Reject(403, 50001, "Missing Access")

    async def _unknown(self, request: web.Request) -> web.Response:
        self.unknown_calls.append(request[_CALL_KEY])
        log.warning("fake Discord has no route for %s %s", request.method, request.path)
        return _error_response(404, 0, "404: Not Found")

    async def _no_content(self, request: web.Request) -> web.Response:
        return web.Response(status=204)

    async def _download(self, request: web.Request) -> web.Response:
        attachment = self._attachments.get(int(request.match_info["attachment_id"]))
        if attachment is None:
            return web.Response(status=404)
        return web.Response(
            body=attachment.data, headers={"Content-Type": attachment.content_type or "application/octet-stream"}
        )

    # ------------------------------------------------------------------ REST: identity

    async def _get_gateway(self, request: web.Request) -> web.Response:
        return _json_response({"url": self.gateway_url})

    async def _get_gateway_bot(self, request: web.Request) -> web.Response:
        return _json_response(
            {
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1},
            }
        )

    async def _get_me(self, request: web.Request) -> web.Response:
        return _json_response(self.bot_user.to_payload() | {"verified": True, "mfa_enabled": False})

    async def _get_user(self, request: web.Request) -> web.Response:
        user = self.users.get(int(request.match_info["user_id"]))
        if user is None:
            raise _Reject(404, 10013, "Unknown User")
        return _json_response(user.to_payload())

    async def _get_application(self, request: web.Request) -> web.Response:
        return _json_response(
            {
                "id": str(self.application_id),
                "name": self.bot_user.name,
                "icon": None,
                "description": "",
                "rpc_origins": [],
                "bot_public": False,
                "bot_require_code_grant": False,
                "bot": self.bot_user.to_payload(),
                "owner": self.owner.user.to_payload(),
                "team": None,
                "verify_key": "0" * 64,
                "flags": self.application_flags,
                "summary": "",
                "tags": [],
            }
        )

    async def _create_dm(self, request: web.Request) -> web.Response:
        body, _ = self._body(request)
        user = self.users.get(int(body["recipient_id"]))
        if user is None:
            raise _Reject(404, 10013, "Unknown User")
        for channel in self.channels.values():
            if channel.type == CHANNEL_DM and channel.recipients == [user.id]:
                return _json_response(self.channel_payload(channel))
        channel = FakeChannel(id=self.snowflake(), type=CHANNEL_DM, name="", recipients=[user.id])
        self._store_channel(None, channel)
        return _json_response(self.channel_payload(channel))

    # ------------------------------------------------------------------ REST: commands

    async def _get_commands(self, request: web.Request) -> web.Response:
        self._check_app(request)
        key = int(request.match_info["guild_id"]) if "guild_id" in request.match_info else None
        return _json_response(self.commands.get(key, []))

    async def _put_commands(self, request: web.Request) -> web.Response:
        self._check_app(request)
        guild_id = int(request.match_info["guild_id"]) if "guild_id" in request.match_info else None
        if guild_id is not None and guild_id not in self.guilds:
            raise _Reject(404, 10004, "Unknown Guild")
        call: RecordedCall = request[_CALL_KEY]
        if not isinstance(call.json, list):
            raise _form_error("_root", "Expected a list of commands")
        self._validate_commands(call.json)
        previous = {(c["name"], c.get("type", 1)): c for c in self.commands.get(guild_id, [])}
        registered = []
        for raw in call.json:
            kind = raw.get("type", COMMAND_CHAT_INPUT)
            old = previous.get((raw["name"], kind))
            cmd = {
                "id": old["id"] if old else str(self.snowflake()),
                "application_id": str(self.application_id),
                "version": str(self.snowflake()),
                "type": kind,
                "name": raw["name"],
                "description": raw.get("description", ""),
                "options": raw.get("options", []),
                "default_member_permissions": raw.get("default_member_permissions"),
                "dm_permission": raw.get("dm_permission", True),
                "nsfw": raw.get("nsfw", False),
                "contexts": raw.get("contexts"),
                "integration_types": raw.get("integration_types", [0]),
                "name_localizations": raw.get("name_localizations"),
                "description_localizations": raw.get("description_localizations"),
            }
            if guild_id is not None:
                cmd["guild_id"] = str(guild_id)
            registered.append(cmd)
        self.commands[guild_id] = registered
        return _json_response(registered)

    @staticmethod
    def _validate_commands(commands: list[dict[str, Any]]) -> None:
        seen: set[tuple[str, int]] = set()
        counts = {COMMAND_CHAT_INPUT: 0, COMMAND_USER: 0, COMMAND_MESSAGE: 0}
        for i, cmd in enumerate(commands):
            kind = cmd.get("type", COMMAND_CHAT_INPUT)
            name = cmd.get("name", "")
            counts[kind] = counts.get(kind, 0) + 1
            if (name, kind) in seen:
                raise _form_error(
                    f"{i}.name",
                    f"Application command names must be unique ({name!r})",
                    "APPLICATION_COMMANDS_DUPLICATE_NAME",
                )
            seen.add((name, kind))
            if kind == COMMAND_CHAT_INPUT:
                if not _COMMAND_NAME.match(name) or name != name.lower():
                    raise _form_error(
                        f"{i}.name", f"Invalid chat input command name {name!r}", "APPLICATION_COMMAND_INVALID_NAME"
                    )
                if not 1 <= len(cmd.get("description") or "") <= 100:
                    raise _form_error(f"{i}.description", "Must be between 1 and 100 in length.")
                FakeDiscord._validate_options(cmd.get("options") or [], f"{i}.options")
            elif not 1 <= len(name) <= 32:
                raise _form_error(f"{i}.name", "Must be between 1 and 32 in length.")
        if counts[COMMAND_CHAT_INPUT] > 100 or counts[COMMAND_USER] > 5 or counts[COMMAND_MESSAGE] > 5:
            raise _Reject(400, 30032, "Maximum number of application commands reached")

    @staticmethod
    def _validate_options(options: list[dict[str, Any]], where: str) -> None:
        if len(options) > 25:
            raise _form_error(where, "Must be 25 or fewer in length.")
        names: set[str] = set()
        optional_seen = False
        for j, opt in enumerate(options):
            name = opt.get("name", "")
            if not _COMMAND_NAME.match(name) or name != name.lower() or name in names:
                raise _form_error(f"{where}.{j}.name", f"Invalid or duplicate option name {name!r}")
            names.add(name)
            if not 1 <= len(opt.get("description") or "") <= 100:
                raise _form_error(f"{where}.{j}.description", "Must be between 1 and 100 in length.")
            if len(opt.get("choices") or []) > 25:
                raise _form_error(f"{where}.{j}.choices", "Must be 25 or fewer in length.")
            if opt.get("type") in (OPT_SUB_COMMAND, OPT_SUB_COMMAND_GROUP):
                FakeDiscord._validate_options(opt.get("options") or [], f"{where}.{j}.options")
                continue
            if opt.get("required"):
                if optional_seen:
                    raise _form_error(
                        f"{where}.{j}.required",
                        "Required options must be placed before non-required options",
                        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    )
            else:
                optional_seen = True

    # ------------------------------------------------------------------ REST: channels and messages

    async def _get_channel(self, request: web.Request) -> web.Response:
        return _json_response(self.channel_payload(self._channel_or_404(request)))

    async def _typing(self, request: web.Request) -> web.Response:
        self._channel_or_404(request)
        return web.Response(status=204)

    async def _get_messages(self, request: web.Request) -> web.Response:
        channel = self._channel_or_404(request)
        query = request.query
        limit = max(1, min(100, int(query.get("limit", 50))))
        msgs = [m for m in self._channel_messages.get(channel.id, []) if not m.deleted and not m.ephemeral]
        if "around" in query:
            around = int(query["around"])
            older = [m for m in msgs if m.id <= around][-((limit + 1) // 2) :]
            newer = [m for m in msgs if m.id > around][: limit - len(older)]
            picked = older + newer
        elif "after" in query:
            picked = [m for m in msgs if m.id > int(query["after"])][:limit]
        else:
            before = int(query["before"]) if "before" in query else None
            picked = [m for m in msgs if before is None or m.id < before][-limit:]
        picked.sort(key=lambda m: m.id, reverse=True)  # Discord returns newest first
        return _json_response([self.message_payload(m) for m in picked])

    async def _get_message(self, request: web.Request) -> web.Response:
        _, msg = self._message_or_404(request)
        return _json_response(self.message_payload(msg))

    async def _post_message(self, request: web.Request) -> web.Response:
        channel = self._channel_or_404(request)
        if channel.type in (CHANNEL_CATEGORY, CHANNEL_FORUM):
            raise _Reject(400, 50008, "Cannot send messages in a non-text channel")
        body, parts = self._body(request)
        if body.get("poll") is not None:
            self._check_can_send_poll(channel)
        msg = self._create_message(channel, self.bot_user, body, parts)
        self._dispatch_message("MESSAGE_CREATE", msg)
        return _json_response(self.message_payload(msg))

    def _check_can_send_poll(self, channel: FakeChannel) -> None:
        """A poll needs SEND_POLLS beside the right to send messages (SEND_MESSAGES_IN_THREADS in a thread)."""
        if channel.guild_id is None:
            return
        bot_member = self.member_of(channel.guild_id, self.bot_user)
        perms = self.permissions_for(bot_member, channel) if bot_member is not None else 0
        send = PERM_SEND_MESSAGES_IN_THREADS if channel.is_thread else PERM_SEND_MESSAGES
        if not perms & PERM_VIEW_CHANNEL:
            raise _Reject(403, 50001, "Missing Access")
        if not perms & send or not perms & PERM_SEND_POLLS:
            raise _Reject(403, 50013, "Missing Permissions")

    async def _patch_message(self, request: web.Request) -> web.Response:
        _, msg = self._message_or_404(request)
        body, parts = self._body(request)
        if msg.author.id != self.bot_user.id and set(body) - {"flags"}:
            raise _Reject(403, 50005, "Cannot edit a message authored by another user")
        self._edit_message(msg, body, parts)
        self._dispatch_message("MESSAGE_UPDATE", msg)
        return _json_response(self.message_payload(msg))

    async def _delete_message_route(self, request: web.Request) -> web.Response:
        channel, msg = self._message_or_404(request)
        if msg.author.id != self.bot_user.id:
            bot_member = self.member_of(channel.guild_id, self.bot_user)
            if bot_member is None or not self.permissions_for(bot_member, channel) & PERM_MANAGE_MESSAGES:
                raise _Reject(403, 50013, "Missing Permissions")
        self._delete_message(msg)
        return web.Response(status=204)

    async def _bulk_delete(self, request: web.Request) -> web.Response:
        channel = self._channel_or_404(request)
        body, _ = self._body(request)
        ids = [int(i) for i in body.get("messages", [])]
        if not 2 <= len(ids) <= 100:
            raise _form_error("messages", "Must be between 2 and 100 in length.")
        for msg_id in ids:
            msg = self.messages.get(msg_id)
            if msg is not None and msg.channel_id == channel.id:
                msg.deleted = True
        payload: dict[str, Any] = {"ids": [str(i) for i in ids], "channel_id": str(channel.id)}
        if channel.guild_id is not None:
            payload["guild_id"] = str(channel.guild_id)
        self.dispatch("MESSAGE_DELETE_BULK", payload, intent=INTENT_GUILD_MESSAGES)
        return web.Response(status=204)

    def _emoji_from_url(self, request: web.Request) -> str:
        key = _emoji_key(request.match_info["emoji"])
        if not _CUSTOM_EMOJI.match(key) and (key.isascii() or not key.strip()):
            raise _Reject(400, 10014, "Unknown Emoji")
        return key

    async def _put_reaction(self, request: web.Request) -> web.Response:
        _, msg = self._message_or_404(request)
        self._react(msg, self.bot_user, self._emoji_from_url(request), add=True)
        return web.Response(status=204)

    async def _delete_own_reaction(self, request: web.Request) -> web.Response:
        _, msg = self._message_or_404(request)
        self._react(msg, self.bot_user, self._emoji_from_url(request), add=False)
        return web.Response(status=204)

    async def _delete_user_reaction(self, request: web.Request) -> web.Response:
        channel, msg = self._message_or_404(request)
        bot_member = self.member_of(channel.guild_id, self.bot_user)
        if bot_member is None or not self.permissions_for(bot_member, channel) & PERM_MANAGE_MESSAGES:
            raise _Reject(403, 50013, "Missing Permissions")
        user = self.users.get(int(request.match_info["user_id"]))
        if user is not None:
            self._react(msg, user, self._emoji_from_url(request), add=False)
        return web.Response(status=204)

    async def _get_reactions(self, request: web.Request) -> web.Response:
        _, msg = self._message_or_404(request)
        users = msg.reaction_users(self._emoji_from_url(request))
        after = int(request.query.get("after", 0))
        limit = int(request.query.get("limit", 25))
        picked = sorted(u for u in users if u > after)[:limit]
        return _json_response([self.users[u].to_payload() for u in picked])

    def _new_thread(
        self,
        parent: FakeChannel,
        name: str,
        body: Mapping[str, Any],
        *,
        thread_id: int | None = None,
        type: int = CHANNEL_PUBLIC_THREAD,
    ) -> FakeChannel:
        if not 1 <= len(name) <= 100:
            raise _form_error("name", "Must be between 1 and 100 in length.")
        thread = FakeChannel(
            id=thread_id or self.snowflake(),
            type=type,
            name=name,
            guild_id=parent.guild_id,
            parent_id=parent.id,
            owner_id=self.bot_user.id,
            auto_archive_duration=int(body.get("auto_archive_duration") or 1440),
            rate_limit_per_user=int(body.get("rate_limit_per_user") or 0),
        )
        self._store_channel(self.guilds.get(parent.guild_id or 0), thread)
        return thread

    def _dispatch_thread_create(self, thread: FakeChannel) -> None:
        payload = self.channel_payload(thread) | {"newly_created": True}
        self.dispatch("THREAD_CREATE", payload, intent=INTENT_GUILDS)

    async def _thread_from_message(self, request: web.Request) -> web.Response:
        channel, msg = self._message_or_404(request)
        if channel.type not in (CHANNEL_TEXT, CHANNEL_NEWS):
            raise _Reject(400, 50024, "Cannot execute action on this channel type")
        if msg.id in self.channels:
            raise _Reject(400, 160004, "A thread has already been created for this message")
        body, _ = self._body(request)
        thread = self._new_thread(channel, body.get("name", ""), body, thread_id=msg.id)
        self._dispatch_thread_create(thread)
        return _json_response(self.channel_payload(thread))

    async def _thread_without_message(self, request: web.Request) -> web.Response:
        channel = self._channel_or_404(request)
        body, parts = self._body(request)
        if channel.type == CHANNEL_FORUM:
            thread = self._new_thread(channel, body.get("name", ""), body)
            starter = self._create_message(thread, self.bot_user, body.get("message") or {}, parts, id=thread.id)
            self._dispatch_thread_create(thread)
            self._dispatch_message("MESSAGE_CREATE", starter)
            return _json_response(self.channel_payload(thread) | {"message": self.message_payload(starter)})
        if channel.type not in (CHANNEL_TEXT, CHANNEL_NEWS):
            raise _Reject(400, 50024, "Cannot execute action on this channel type")
        kind = int(body.get("type") or CHANNEL_PRIVATE_THREAD)
        thread = self._new_thread(channel, body.get("name", ""), body, type=kind)
        self._dispatch_thread_create(thread)
        return _json_response(self.channel_payload(thread))

    # ------------------------------------------------------------------ REST: guilds

    def _guild_or_404(self, request: web.Request) -> FakeGuild:
        guild = self.guilds.get(int(request.match_info["guild_id"]))
        if guild is None:
            raise _Reject(404, 10004, "Unknown Guild")
        return guild

    async def _get_guild(self, request: web.Request) -> web.Response:
        return _json_response(self.guild_payload(self._guild_or_404(request)))

    async def _get_guild_channels(self, request: web.Request) -> web.Response:
        guild = self._guild_or_404(request)
        return _json_response([self.channel_payload(c) for c in guild.channels.values() if not c.is_thread])

    async def _get_roles(self, request: web.Request) -> web.Response:
        guild = self._guild_or_404(request)
        return _json_response([r.to_payload() for r in guild.roles.values()])

    async def _get_member(self, request: web.Request) -> web.Response:
        guild = self._guild_or_404(request)
        member = guild.members.get(int(request.match_info["user_id"]))
        if member is None:
            raise _Reject(404, 10007, "Unknown Member")
        return _json_response(member.to_payload())

    # ------------------------------------------------------------------ REST: polls

    async def _get_answer_voters(self, request: web.Request) -> web.Response:
        _, msg = self._message_or_404(request)
        if msg.poll is None:
            raise _Reject(404, 10008, "Unknown Message")
        answer_id = int(request.match_info["answer_id"])
        if msg.poll.answer(answer_id) is None:
            raise _invalid(("answer_id",), f"Unknown answer {answer_id}.")
        limit = self._query_int(request, "limit", VOTER_PAGE_DEFAULT, 1, 100)
        after = int(request.query.get("after") or 0)
        voters = sorted(u for u in msg.poll.votes.get(answer_id, []) if u > after)[:limit]
        return _json_response({"users": [self.users[u].to_payload() for u in voters]})

    async def _expire_poll(self, request: web.Request) -> web.Response:
        _, msg = self._message_or_404(request)
        if msg.poll is None:
            raise _Reject(400, 520006, "Cannot expire a non-poll message")
        if msg.author.id != self.bot_user.id:  # "You cannot end polls from other users."
            raise _Reject(403, 50013, "Missing Permissions")
        if msg.poll.ended:
            raise _Reject(400, 520001, "Poll expired")
        self._end_poll(msg)
        return _json_response(self.message_payload(msg))

    @staticmethod
    def _query_int(request: web.Request, key: str, default: int, low: int, high: int) -> int:
        raw = request.query.get(key)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise _invalid((key,), f'Value "{raw}" is not int.', "NUMBER_TYPE_COERCE") from None
        if value < low:
            raise _invalid((key,), f"int value should be greater than or equal to {low}.", "NUMBER_TYPE_MIN")
        if value > high:
            raise _invalid((key,), f"int value should be less than or equal to {high}.", "NUMBER_TYPE_MAX")
        return value

    def _end_poll(self, msg: FakeMessage) -> FakeMessage:
        """End ``msg``'s poll with its tally final: MESSAGE_UPDATE for the poll, then the result message
        (type 46, a ``poll_result`` embed, a reference to the poll, its author mentioned) as MESSAGE_CREATE."""
        poll = msg.poll
        assert poll is not None
        poll.ended = True
        self._dispatch_message("MESSAGE_UPDATE", msg)
        victor = poll.victor_answer_id
        top = max((poll.count(a["answer_id"]) for a in poll.answers), default=0)
        fields = [
            ("poll_question_text", poll.question),
            ("victor_answer_votes", str(top)),
            ("total_votes", str(poll.total_votes)),
        ]
        if victor is not None:
            media = (poll.answer(victor) or {})["poll_media"]
            fields += [("victor_answer_id", str(victor)), ("victor_answer_text", media["text"])]
            emoji = media.get("emoji") or {}
            if emoji.get("id"):
                fields += [("victor_answer_emoji_id", str(emoji["id"])), ("victor_answer_emoji_animated", "false")]
            if emoji.get("name"):
                fields.append(("victor_answer_emoji_name", emoji["name"]))
        reference: dict[str, Any] = {"type": 0, "message_id": str(msg.id), "channel_id": str(msg.channel_id)}
        if msg.guild_id is not None:
            reference["guild_id"] = str(msg.guild_id)
        result = self._new_message(
            self.channels[msg.channel_id],
            msg.author,
            embeds=[{"type": "poll_result", "fields": [{"name": n, "value": v, "inline": False} for n, v in fields]}],
            type=MESSAGE_TYPE_POLL_RESULT,
            message_reference=reference,
            mentions=[msg.author.id],
        )
        poll.result_message_id = result.id
        self._dispatch_message("MESSAGE_CREATE", result)
        return result

    def _dispatch_vote(self, msg: FakeMessage, user: FakeUser, answer_id: int, *, add: bool) -> None:
        payload: dict[str, Any] = {
            "user_id": str(user.id),
            "channel_id": str(msg.channel_id),
            "message_id": str(msg.id),
            "answer_id": answer_id,
        }
        intent = INTENT_DIRECT_MESSAGE_POLLS
        if msg.guild_id is not None:
            payload["guild_id"] = str(msg.guild_id)
            intent = INTENT_GUILD_MESSAGE_POLLS
        self.dispatch("MESSAGE_POLL_VOTE_ADD" if add else "MESSAGE_POLL_VOTE_REMOVE", payload, intent=intent)

    # ------------------------------------------------------------------ REST: guild scheduled events

    def event_payload(self, event: FakeScheduledEvent, *, with_user_count: bool = False) -> dict[str, Any]:
        """A guild scheduled event object; ``user_count`` only where the request asked ``with_user_count``."""
        creator = self.users.get(event.creator_id)
        payload: dict[str, Any] = {
            "id": str(event.id),
            "guild_id": str(event.guild_id),
            "channel_id": str(event.channel_id) if event.channel_id is not None else None,
            "creator_id": str(event.creator_id),
            "name": event.name,
            "description": event.description,
            "scheduled_start_time": _iso(event.scheduled_start_time),
            "scheduled_end_time": _iso(event.scheduled_end_time) if event.scheduled_end_time else None,
            "privacy_level": event.privacy_level,
            "status": event.status,
            "entity_type": event.entity_type,
            "entity_id": None,
            "entity_metadata": {"location": event.location} if event.entity_type == EVENT_EXTERNAL else None,
            "image": event.image,
            "recurrence_rule": None,
        }
        if creator is not None:
            payload["creator"] = creator.to_payload()
        if with_user_count:
            payload["user_count"] = event.user_count
        return payload

    def _event_or_404(self, request: web.Request) -> tuple[FakeGuild, FakeScheduledEvent]:
        guild = self._guild_or_404(request)
        event = self.scheduled_events.get(int(request.match_info["event_id"]))
        if event is None or event.deleted or event.guild_id != guild.id:
            raise _Reject(404, 10070, "Unknown Guild Scheduled Event")
        return guild, event

    def _event_spec(
        self, guild: FakeGuild, body: Mapping[str, Any], current: FakeScheduledEvent | None
    ) -> dict[str, Any]:
        """Validate a create (``current`` None) or modify body; the event's fields after it, or a 400 / 50035."""
        if current is None:
            for key in ("name", "privacy_level", "scheduled_start_time", "entity_type"):
                if body.get(key) is None:
                    raise _invalid((key,), "This field is required", "BASE_TYPE_REQUIRED")
            spec: dict[str, Any] = {"description": None, "scheduled_end_time": None, "channel_id": None}
            spec |= {"location": None, "image": None}
        else:
            spec = {
                "name": current.name,
                "description": current.description,
                "privacy_level": current.privacy_level,
                "scheduled_start_time": current.scheduled_start_time,
                "scheduled_end_time": current.scheduled_end_time,
                "entity_type": current.entity_type,
                "channel_id": current.channel_id,
                "location": current.location,
                "image": current.image,
            }
        if "name" in body:
            name = body["name"]
            if not isinstance(name, str) or not 1 <= len(name) <= 100:
                raise _invalid(("name",), "Must be between 1 and 100 in length.", "BASE_TYPE_BAD_LENGTH")
            spec["name"] = name
        if "description" in body:
            description = body["description"]
            if description is not None and (not isinstance(description, str) or len(description) > 1000):
                raise _invalid(("description",), "Must be 1000 or fewer in length.", "BASE_TYPE_MAX_LENGTH")
            spec["description"] = description or None
        if "privacy_level" in body:
            if body["privacy_level"] != EVENT_PRIVACY_GUILD_ONLY:
                raise _invalid(("privacy_level",), "Value must be one of {2}.", "BASE_TYPE_CHOICES")
            spec["privacy_level"] = EVENT_PRIVACY_GUILD_ONLY
        if "entity_type" in body:
            if body["entity_type"] not in (EVENT_STAGE_INSTANCE, EVENT_VOICE, EVENT_EXTERNAL):
                raise _invalid(("entity_type",), "Value must be one of {1, 2, 3}.", "BASE_TYPE_CHOICES")
            spec["entity_type"] = body["entity_type"]
        if "scheduled_start_time" in body:
            start = _parse_iso(body["scheduled_start_time"], ("scheduled_start_time",))
            if start <= self.now():
                raise _invalid(
                    ("scheduled_start_time",),
                    "Cannot schedule event in the past.",
                    "GUILD_SCHEDULED_EVENT_SCHEDULE_PAST",
                )
            spec["scheduled_start_time"] = start
        if "scheduled_end_time" in body:
            end = body["scheduled_end_time"]
            spec["scheduled_end_time"] = _parse_iso(end, ("scheduled_end_time",)) if end is not None else None
        if "channel_id" in body:
            spec["channel_id"] = int(body["channel_id"]) if body["channel_id"] is not None else None
        if "image" in body:
            spec["image"] = self._image_hash(body["image"])
        metadata = body.get("entity_metadata")
        if spec["entity_type"] == EVENT_EXTERNAL:
            if spec["channel_id"] is not None:
                if current is not None and current.entity_type != EVENT_EXTERNAL:
                    raise _invalid(("channel_id",), "Must be null for an external event.", "BASE_TYPE_INVALID")
                spec["channel_id"] = None  # ignored on create, as Discord does
            if "entity_metadata" in body or current is None or current.entity_type != EVENT_EXTERNAL:
                spec["location"] = (metadata or {}).get("location") if isinstance(metadata or {}, Mapping) else None
            location = spec["location"]
            if not location:
                raise _invalid(("entity_metadata", "location"), "This field is required", "BASE_TYPE_REQUIRED")
            if len(location) > 100:
                raise _invalid(
                    ("entity_metadata", "location"), "Must be between 1 and 100 in length.", "BASE_TYPE_BAD_LENGTH"
                )
            if spec["scheduled_end_time"] is None:
                raise _invalid(("scheduled_end_time",), "This field is required", "BASE_TYPE_REQUIRED")
        else:
            if current is None and isinstance(metadata, Mapping) and metadata.get("location"):
                raise _invalid(("entity_metadata",), "Must be null for a voice or stage event.", "BASE_TYPE_INVALID")
            spec["location"] = None  # "silently discards entity_metadata for non-EXTERNAL events"
            wanted = CHANNEL_VOICE if spec["entity_type"] == EVENT_VOICE else CHANNEL_STAGE
            if spec["channel_id"] is None:
                raise _invalid(("channel_id",), "This field is required", "BASE_TYPE_REQUIRED")
            channel = guild.channels.get(spec["channel_id"])
            if channel is None or channel.type != wanted:
                kind = "voice" if wanted == CHANNEL_VOICE else "stage"
                raise _invalid(("channel_id",), f"Channel must be a {kind} channel.", "CHANNEL_TYPE_INVALID")
        end = spec["scheduled_end_time"]
        if end is not None and end <= spec["scheduled_start_time"]:
            raise _invalid(
                ("scheduled_end_time",),
                "Cannot schedule event to end before starting.",
                "GUILD_SCHEDULED_EVENT_END_BEFORE_START",
            )
        return spec

    @staticmethod
    def _image_hash(raw: Any) -> str | None:
        if raw is None:
            return None
        match = _IMAGE_DATA.match(raw) if isinstance(raw, str) else None
        if match is None:
            raise _invalid(("image",), "Invalid image data", "IMAGE_INVALID")
        try:
            data = base64.b64decode(match.group(2), validate=True)
        except binascii.Error:
            raise _invalid(("image",), "Invalid image data", "IMAGE_INVALID") from None
        return hashlib.md5(data).hexdigest()

    def _check_event_permissions(
        self, guild: FakeGuild, entity_type: int, channel_id: int | None, creator_id: int | None
    ) -> None:
        """Discord's "Guild Scheduled Event Permissions Requirements": CREATE_EVENTS to create; to modify or
        delete, CREATE_EVENTS or MANAGE_EVENTS on the bot's own events and MANAGE_EVENTS on others'; computed in
        the event's channel (VIEW_CHANNEL and CONNECT for voice; MANAGE_CHANNELS, MUTE_MEMBERS and MOVE_MEMBERS
        for a stage), at guild level for an external event."""
        bot_member = guild.members.get(self.bot_user.id)
        if bot_member is None:
            raise _Reject(403, 50001, "Missing Access")
        channel = self.channels.get(channel_id) if entity_type != EVENT_EXTERNAL and channel_id else None
        perms = self.permissions_for(bot_member, channel)
        if creator_id is None:
            allowed = bool(perms & PERM_CREATE_EVENTS)
        elif creator_id == self.bot_user.id:
            allowed = bool(perms & (PERM_CREATE_EVENTS | PERM_MANAGE_EVENTS))
        else:
            allowed = bool(perms & PERM_MANAGE_EVENTS)
        needs = 0
        if entity_type == EVENT_VOICE:
            needs = PERM_VIEW_CHANNEL | PERM_CONNECT
        elif entity_type == EVENT_STAGE_INSTANCE:
            needs = PERM_MANAGE_CHANNELS | PERM_MUTE_MEMBERS | PERM_MOVE_MEMBERS
        if not allowed or perms & needs != needs:
            raise _Reject(403, 50013, "Missing Permissions")

    def _dispatch_event(self, name: str, event: FakeScheduledEvent) -> None:
        self.dispatch(name, self.event_payload(event), intent=INTENT_GUILD_SCHEDULED_EVENTS)

    def _set_event_status(self, event: FakeScheduledEvent, status: int) -> None:
        event.status = status
        self._dispatch_event("GUILD_SCHEDULED_EVENT_UPDATE", event)

    async def _list_events(self, request: web.Request) -> web.Response:
        guild = self._guild_or_404(request)
        with_count = _query_bool(request.query.get("with_user_count"))
        events = [e for e in self.scheduled_events.values() if e.guild_id == guild.id and not e.deleted]
        return _json_response([self.event_payload(e, with_user_count=with_count) for e in events])

    async def _get_event(self, request: web.Request) -> web.Response:
        _, event = self._event_or_404(request)
        with_count = _query_bool(request.query.get("with_user_count"))
        return _json_response(self.event_payload(event, with_user_count=with_count))

    async def _create_event(self, request: web.Request) -> web.Response:
        guild = self._guild_or_404(request)
        body, _ = self._body(request)
        spec = self._event_spec(guild, body, None)
        self._check_event_permissions(guild, spec["entity_type"], spec["channel_id"], None)
        if sum(1 for e in self.scheduled_events.values() if e.guild_id == guild.id and e.open) >= EVENTS_OPEN_MAX:
            raise _Reject(400, 30038, "Maximum number of uncompleted guild scheduled events reached (100)")
        event = FakeScheduledEvent(id=self.snowflake(), guild_id=guild.id, creator_id=self.bot_user.id, **spec)
        self.scheduled_events[event.id] = event
        self._dispatch_event("GUILD_SCHEDULED_EVENT_CREATE", event)
        return _json_response(self.event_payload(event))

    async def _patch_event(self, request: web.Request) -> web.Response:
        guild, event = self._event_or_404(request)
        body, _ = self._body(request)
        if not event.open:
            raise _Reject(400, 180000, "Cannot update a finished event")
        spec = self._event_spec(guild, body, event)
        status = body.get("status", event.status)
        if status != event.status and (event.status, status) not in EVENT_TRANSITIONS:
            raise _invalid(
                ("status",),
                f"Cannot change a scheduled event's status from {event.status} to {status}.",
                "GUILD_SCHEDULED_EVENT_INVALID_STATUS_TRANSITION",
            )
        self._check_event_permissions(guild, event.entity_type, event.channel_id, event.creator_id)
        if (spec["entity_type"], spec["channel_id"]) != (event.entity_type, event.channel_id):
            self._check_event_permissions(guild, spec["entity_type"], spec["channel_id"], event.creator_id)
        for key, value in spec.items():
            setattr(event, key, value)
        event.status = status
        self._dispatch_event("GUILD_SCHEDULED_EVENT_UPDATE", event)
        return _json_response(self.event_payload(event))

    async def _delete_event(self, request: web.Request) -> web.Response:
        guild, event = self._event_or_404(request)
        self._check_event_permissions(guild, event.entity_type, event.channel_id, event.creator_id)
        event.deleted = True
        self._dispatch_event("GUILD_SCHEDULED_EVENT_DELETE", event)
        return web.Response(status=204)

    async def _get_event_users(self, request: web.Request) -> web.Response:
        guild, event = self._event_or_404(request)
        limit = self._query_int(request, "limit", EVENT_USERS_PAGE_MAX, 1, EVENT_USERS_PAGE_MAX)
        with_member = _query_bool(request.query.get("with_member"))
        users = sorted(event.user_ids)  # "always returned in ascending order by user_id"
        if request.query.get("before"):  # "If both before and after are provided, only before is respected."
            users = [u for u in users if u < int(request.query["before"])][-limit:]
        else:
            users = [u for u in users if u > int(request.query.get("after") or 0)][:limit]
        out = []
        for user_id in users:
            entry: dict[str, Any] = {
                "guild_scheduled_event_id": str(event.id),
                "user": self.users[user_id].to_payload(),
            }
            member = guild.members.get(user_id)
            if with_member and member is not None:
                entry["member"] = member.to_payload(with_user=False)
            out.append(entry)
        return _json_response(out)

    # ------------------------------------------------------------------ REST: interactions

    def _handle_for_webhook(self, request: web.Request) -> InteractionHandle:
        if int(request.match_info["app_id"]) != self.application_id:
            raise _Reject(404, 10015, "Unknown Webhook")
        handle = self._interactions_by_token.get(request.match_info["token"])
        if handle is None:
            raise _Reject(404, 10015, "Unknown Webhook")
        if not handle.acknowledged:
            handle.rejections.append(f"{request.method} {request.path} before the interaction was acknowledged")
            raise _Reject(404, 10015, "Unknown Webhook")
        if handle.token in self._expired_tokens:
            handle.rejections.append(f"{request.method} {request.path} with an expired token")
            raise _Reject(401, 50027, "Invalid Webhook Token")
        handle.last_activity = asyncio.get_running_loop().time()
        return handle

    def _interaction_message_fields(self, handle: InteractionHandle) -> dict[str, Any]:
        metadata: dict[str, Any] = {
            "id": str(handle.id),
            "type": handle.type,
            "user": handle.user.to_payload(),
            "authorizing_integration_owners": handle.payload.get("authorizing_integration_owners", {}),
        }
        data = handle.payload.get("data", {})
        if "name" in data:
            metadata["name"] = data["name"]
            metadata["command_type"] = data.get("type", COMMAND_CHAT_INPUT)
        return {
            "webhook_id": self.application_id,
            "application_id": self.application_id,
            "interaction_id": handle.id,
            "interaction_metadata": metadata,
        }

    def _original_type(self, handle: InteractionHandle) -> int:
        if handle.type == INTERACTION_APPLICATION_COMMAND:
            return 20 if handle.payload["data"].get("type", 1) == COMMAND_CHAT_INPUT else 23
        return 0

    async def _interaction_callback(self, request: web.Request) -> web.Response:
        loop = asyncio.get_running_loop()
        handle = self._interactions_by_id.get(int(request.match_info["interaction_id"]))
        if handle is None or handle.token != request.match_info["token"]:
            raise _Reject(404, 10062, "Unknown interaction")
        now = loop.time()
        if self.callback_deadline is not None and now - handle.dispatched_at > self.callback_deadline:
            handle.rejections.append(
                f"callback after {now - handle.dispatched_at:.2f}s (deadline {self.callback_deadline}s)"
            )
            raise _Reject(404, 10062, "Unknown interaction")
        if handle.acknowledged:
            handle.rejections.append("second callback")
            raise _Reject(400, 40060, "Interaction has already been acknowledged.")
        body, parts = self._body(request)
        kind = int(body.get("type", 0))
        data = body.get("data") or {}
        allowed = {
            INTERACTION_APPLICATION_COMMAND: (CALLBACK_MESSAGE, CALLBACK_DEFERRED_MESSAGE, CALLBACK_MODAL),
            INTERACTION_MESSAGE_COMPONENT: (
                CALLBACK_MESSAGE,
                CALLBACK_DEFERRED_MESSAGE,
                CALLBACK_DEFERRED_UPDATE,
                CALLBACK_UPDATE_MESSAGE,
                CALLBACK_MODAL,
            ),
            INTERACTION_AUTOCOMPLETE: (CALLBACK_AUTOCOMPLETE,),
            INTERACTION_MODAL_SUBMIT: (
                CALLBACK_MESSAGE,
                CALLBACK_DEFERRED_MESSAGE,
                CALLBACK_DEFERRED_UPDATE,
                CALLBACK_UPDATE_MESSAGE,
            ),
        }
        if kind not in allowed.get(handle.type, ()):
            handle.rejections.append(f"callback type {kind} not valid for interaction type {handle.type}")
            raise _form_error("type", f"Callback type {kind} is not valid for interaction type {handle.type}")
        channel = handle.channel
        message: FakeMessage | None = None
        if kind == CALLBACK_MESSAGE:
            message = self._create_message(
                channel,
                self.bot_user,
                data,
                parts,
                type=self._original_type(handle),
                **self._interaction_message_fields(handle),
            )
        elif kind == CALLBACK_DEFERRED_MESSAGE:
            flags = FLAG_LOADING | (int(data.get("flags") or 0) & FLAG_EPHEMERAL)
            message = self._new_message(
                channel,
                self.bot_user,
                flags=flags,
                type=self._original_type(handle),
                **self._interaction_message_fields(handle),
            )
        elif kind == CALLBACK_UPDATE_MESSAGE:
            message = self._component_message(handle)
            self._edit_message(message, data, parts)
        elif kind == CALLBACK_DEFERRED_UPDATE:
            message = self._component_message(handle)
        elif kind == CALLBACK_AUTOCOMPLETE:
            choices = data.get("choices") or []
            if len(choices) > 25:
                raise _form_error("data.choices", "Must be 25 or fewer in length.")
            handle.choices = choices
        elif kind == CALLBACK_MODAL:
            handle.modal = data
        handle.callbacks.append(CallbackRecord(kind, data, now))
        handle.last_activity = now
        if message is not None:
            handle.original_message = message
            if kind in (CALLBACK_MESSAGE, CALLBACK_DEFERRED_MESSAGE):
                self._dispatch_message("MESSAGE_CREATE", message)
            elif kind == CALLBACK_UPDATE_MESSAGE:
                self._dispatch_message("MESSAGE_UPDATE", message)
        self._notify()
        interaction_info: dict[str, Any] = {
            "id": str(handle.id),
            "type": handle.type,
            "response_message_loading": kind == CALLBACK_DEFERRED_MESSAGE,
            "response_message_ephemeral": bool(message is not None and message.ephemeral),
        }
        resource: dict[str, Any] = {"type": kind}
        if message is not None and kind != CALLBACK_DEFERRED_UPDATE:
            interaction_info["response_message_id"] = str(message.id)
            resource["message"] = self.message_payload(message)
        return _json_response({"interaction": interaction_info, "resource": resource})

    def _component_message(self, handle: InteractionHandle) -> FakeMessage:
        raw = handle.payload.get("message")
        msg = self.messages.get(int(raw["id"])) if raw else None
        if msg is None:
            raise _form_error("type", "This callback type needs an interaction on a message")
        return msg

    async def _webhook_execute(self, request: web.Request) -> web.Response:
        handle = self._handle_for_webhook(request)
        body, parts = self._body(request)
        channel = handle.channel
        if "thread_id" in request.query:
            channel = self.channels[int(request.query["thread_id"])]
        original = handle.original_message
        if original is not None and original.loading and handle.response_type == CALLBACK_DEFERRED_MESSAGE:
            # Discord turns the first follow-up after a "thinking" defer into the original response.
            self._edit_message(original, body, parts)
            message = original
            self._dispatch_message("MESSAGE_UPDATE", message)
        else:
            message = self._create_message(
                channel, self.bot_user, body, parts, **self._interaction_message_fields(handle)
            )
            self._dispatch_message("MESSAGE_CREATE", message)
        handle.followups.append(message)
        self._notify()
        if request.query.get("wait") in ("1", "true", "True"):
            return _json_response(self.message_payload(message))
        return web.Response(status=204)

    def _webhook_message(self, request: web.Request, handle: InteractionHandle) -> FakeMessage:
        message_id = request.match_info["message_id"]
        if message_id == "@original":
            msg = handle.original_message
        else:
            msg = next((m for m in handle.messages if m.id == int(message_id)), None)
        if msg is None or msg.deleted:
            raise _Reject(404, 10008, "Unknown Message")
        return msg

    async def _webhook_get(self, request: web.Request) -> web.Response:
        handle = self._handle_for_webhook(request)
        return _json_response(self.message_payload(self._webhook_message(request, handle)))

    async def _webhook_edit(self, request: web.Request) -> web.Response:
        handle = self._handle_for_webhook(request)
        msg = self._webhook_message(request, handle)
        body, parts = self._body(request)
        self._edit_message(msg, body, parts)
        if request.match_info["message_id"] == "@original" or msg is handle.original_message:
            handle.edits.append(body)
            handle.edit_times.append(asyncio.get_running_loop().time() - handle.dispatched_at)
        self._dispatch_message("MESSAGE_UPDATE", msg)
        self._notify()
        return _json_response(self.message_payload(msg))

    async def _webhook_delete(self, request: web.Request) -> web.Response:
        handle = self._handle_for_webhook(request)
        msg = self._webhook_message(request, handle)
        self._delete_message(msg)
        return web.Response(status=204)

    # ------------------------------------------------------------------ driving API: interactions

    def _require_session(self) -> None:
        if not self._sessions:
            raise RuntimeError("no bot has identified with the fake gateway yet")

    def _interaction_payload(
        self,
        kind: int,
        data: dict[str, Any] | None,
        user: FakeUser,
        channel: FakeChannel,
        message: FakeMessage | None = None,
        locale: str = "en-US",
    ) -> dict[str, Any]:
        interaction_id = self.snowflake()
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(self.application_id),
            "type": kind,
            "token": f"fake-interaction-{interaction_id}-{secrets.token_hex(12)}",
            "version": 1,
            "locale": locale,
            "entitlements": [],
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
            "channel_id": str(channel.id),
        }
        if data is not None:
            payload["data"] = data
        member = self.member_of(channel.guild_id, user)
        if channel.guild_id is not None:
            if member is None:
                raise ValueError(f"{user.name} is not a member of guild {channel.guild_id}")
            bot_member = self.member_of(channel.guild_id, self.bot_user)
            payload |= {
                "guild_id": str(channel.guild_id),
                "guild": {"id": str(channel.guild_id), "locale": "en-US", "features": []},
                "guild_locale": "en-US",
                "member": member.to_payload() | {"permissions": str(self.permissions_for(member, channel))},
                "app_permissions": str(self.permissions_for(bot_member, channel) if bot_member else 0),
                "authorizing_integration_owners": {"0": str(channel.guild_id)},
                "context": 0,
                "channel": self.channel_payload(channel) | {"permissions": str(self.permissions_for(member, channel))},
            }
        else:
            payload |= {
                "user": user.to_payload(),
                "app_permissions": str(EVERYONE_PERMISSIONS),
                "authorizing_integration_owners": {"1": str(user.id)},
                "context": 1,
                "channel": self.channel_payload(channel),
            }
        if message is not None:
            payload["message"] = self.message_payload(message)
        return payload

    def _dispatch_interaction(
        self,
        kind: int,
        data: dict[str, Any] | None,
        *,
        user: FakeUser | FakeMember | int | None,
        channel: FakeChannel | int | None,
        message: FakeMessage | None = None,
        locale: str = "en-US",
    ) -> InteractionHandle:
        self._require_session()
        u = self._user(user)
        ch = self._channel(channel)
        payload = self._interaction_payload(kind, data, u, ch, message, locale)
        handle = InteractionHandle(self, payload, u, ch)
        self.interactions.append(handle)
        self._interactions_by_token[handle.token] = handle
        self._interactions_by_id[handle.id] = handle
        self.dispatch("INTERACTION_CREATE", payload)
        return handle

    def _find_command(
        self, name: str, kind: int, guild_id: int | None, guild_command: bool | None
    ) -> tuple[dict[str, Any] | None, int | None]:
        """The registered command (guild first, then global) and the guild id to put in the data."""
        if guild_id is not None and guild_command is not False:
            cmd = self.registered_command(name, guild=guild_id, type=kind)
            if cmd is not None:
                return cmd, guild_id
        cmd = self.registered_command(name, type=kind)
        if cmd is not None and not guild_command:
            return cmd, None
        return None, guild_id if guild_command else None

    def _resolve_value(
        self, opt_type: int, value: Any, resolved: dict[str, dict[str, Any]], guild_id: int | None, channel: FakeChannel
    ) -> Any:
        if opt_type == OPT_STRING:
            return str(value)
        if opt_type == OPT_INTEGER:
            return int(value)
        if opt_type == OPT_BOOLEAN:
            return bool(value)
        if opt_type == OPT_NUMBER:
            return float(value)
        if opt_type == OPT_MENTIONABLE:
            opt_type = OPT_ROLE if isinstance(value, FakeRole) else OPT_USER
        if opt_type == OPT_USER:
            user = self._user(value)
            resolved.setdefault("users", {})[str(user.id)] = user.to_payload()
            member = self.member_of(guild_id, user)
            if member is not None:
                resolved.setdefault("members", {})[str(user.id)] = member.to_payload(with_user=False) | {
                    "permissions": str(self.permissions_for(member, channel))
                }
            return str(user.id)
        if opt_type == OPT_CHANNEL:
            target = self._channel(value)
            payload = self.channel_payload(target)
            member = self.member_of(target.guild_id, self.bot_user)
            payload["permissions"] = str(self.permissions_for(member, target) if member else 0)
            resolved.setdefault("channels", {})[str(target.id)] = payload
            return str(target.id)
        if opt_type == OPT_ROLE:
            role = value if isinstance(value, FakeRole) else self.guilds[guild_id or 0].roles[_as_id(value)]
            resolved.setdefault("roles", {})[str(role.id)] = role.to_payload()
            return str(role.id)
        if opt_type == OPT_ATTACHMENT:
            if isinstance(value, FakeAttachment):
                attachment = value
            else:
                file = value if isinstance(value, FakeFile) else FakeFile(*value)
                attachment = self._make_attachment(channel.id, file, ephemeral=True)
            resolved.setdefault("attachments", {})[str(attachment.id)] = attachment.to_payload()
            return str(attachment.id)
        raise ValueError(f"unsupported option type {opt_type}")

    @staticmethod
    def _infer_type(value: Any) -> int:
        if isinstance(value, bool):
            return OPT_BOOLEAN
        if isinstance(value, int):
            return OPT_INTEGER
        if isinstance(value, float):
            return OPT_NUMBER
        if isinstance(value, str):
            return OPT_STRING
        if isinstance(value, (FakeUser, FakeMember)):
            return OPT_USER
        if isinstance(value, FakeChannel):
            return OPT_CHANNEL
        if isinstance(value, FakeRole):
            return OPT_ROLE
        if isinstance(value, (FakeFile, FakeAttachment, tuple)):
            return OPT_ATTACHMENT
        raise TypeError(f"cannot infer an option type for {value!r}; register the command or pass raw options")

    def _build_options(
        self,
        options: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None,
        schema: list[dict[str, Any]] | None,
        guild_id: int | None,
        channel: FakeChannel,
        *,
        focused: str | None = None,
        resolve: bool = True,
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        resolved: dict[str, dict[str, Any]] = {}
        if options is None:
            options = {}
        if not isinstance(options, Mapping):
            return [dict(o) for o in options], resolved
        specs = {o["name"]: o for o in schema or []}
        if schema is not None:
            unknown = set(options) - set(specs)
            if unknown:
                raise ValueError(f"options {sorted(unknown)} are not in the registered command (has {sorted(specs)})")
            missing = [n for n, o in specs.items() if o.get("required") and n not in options and n != focused]
            if missing and focused is None:
                raise ValueError(f"required options {missing} are missing")
        built: list[dict[str, Any]] = []
        names = list(options)
        if focused is not None and focused not in options:
            names.append(focused)
        for name in names:
            value = options.get(name, "")
            spec = specs.get(name)
            opt_type = spec["type"] if spec else self._infer_type(value)
            if name == focused:
                built.append({"type": opt_type, "name": name, "value": str(value), "focused": True})
                continue
            if focused is not None and opt_type in (OPT_USER, OPT_CHANNEL, OPT_ROLE, OPT_MENTIONABLE, OPT_ATTACHMENT):
                built.append({"type": opt_type, "name": name, "value": str(_as_id(value))})
                continue
            scratch: dict[str, dict[str, Any]] = {}
            raw = self._resolve_value(opt_type, value, scratch, guild_id, channel)
            if resolve:
                for key, entries in scratch.items():
                    resolved.setdefault(key, {}).update(entries)
            built.append({"type": opt_type, "name": name, "value": raw})
        return built, resolved

    def _command_data(
        self,
        name: str,
        options: Any,
        *,
        subcommand: str | None,
        group: str | None,
        attachments: Mapping[str, Any] | None,
        channel: FakeChannel,
        guild_command: bool | None,
        focused: str | None = None,
    ) -> dict[str, Any]:
        words = name.split()
        root, path = words[0], words[1:]
        if group is not None:
            path += [group]
        if subcommand is not None:
            path += [subcommand]
        if attachments:
            options = dict(options or {}) | dict(attachments)
        cmd, data_guild = self._find_command(root, COMMAND_CHAT_INPUT, channel.guild_id, guild_command)
        schema: list[dict[str, Any]] | None = cmd.get("options", []) if cmd else None
        for step in path:
            if schema is None:
                break
            sub = next((o for o in schema if o["name"] == step and o["type"] in (1, 2)), None)
            if sub is None:
                raise ValueError(f"{step!r} is not a subcommand or group of the registered {root!r}")
            schema = sub.get("options", [])
        built, resolved = self._build_options(
            options, schema, channel.guild_id, channel, focused=focused, resolve=focused is None
        )
        for i, step in reversed(list(enumerate(path))):
            kind = OPT_SUB_COMMAND if i == len(path) - 1 else OPT_SUB_COMMAND_GROUP
            built = [{"type": kind, "name": step, "options": built}]
        data: dict[str, Any] = {
            "id": cmd["id"] if cmd else str(self.snowflake()),
            "name": root,
            "type": COMMAND_CHAT_INPUT,
            "options": built,
        }
        if resolved:
            data["resolved"] = resolved
        if data_guild is not None:
            data["guild_id"] = str(data_guild)
        return data

    async def send_slash(
        self,
        name: str,
        options: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        *,
        user: FakeUser | FakeMember | int | None = None,
        channel: FakeChannel | int | None = None,
        subcommand: str | None = None,
        group: str | None = None,
        attachments: Mapping[str, FakeFile | tuple[str, bytes] | tuple[str, bytes, str]] | None = None,
        locale: str = "en-US",
        guild_command: bool | None = None,
    ) -> InteractionHandle:
        """Dispatch a slash command (INTERACTION_CREATE type 2) and return its handle.

        ``name`` may hold the whole path ("film review add") or use ``group``/``subcommand``.
        ``options`` maps option names to values: str/int/float/bool, FakeUser/FakeMember,
        FakeChannel, FakeRole, or FakeFile/(filename, bytes[, content type]) for attachments
        (``attachments`` is a shortcut for the latter); a list is sent as raw option dicts.
        Types come from the registered command when it was synced, else from the values. The
        command is sent as a guild command (``data.guild_id``) when it is registered for the
        channel's guild, or when ``guild_command`` is True.
        """
        ch = self._channel(channel)
        data = self._command_data(
            name,
            options,
            subcommand=subcommand,
            group=group,
            attachments=attachments,
            channel=ch,
            guild_command=guild_command,
        )
        return self._dispatch_interaction(INTERACTION_APPLICATION_COMMAND, data, user=user, channel=ch, locale=locale)

    async def send_autocomplete(
        self,
        name: str,
        options: Mapping[str, Any] | None,
        focused: str,
        *,
        user: FakeUser | FakeMember | int | None = None,
        channel: FakeChannel | int | None = None,
        subcommand: str | None = None,
        group: str | None = None,
        guild_command: bool | None = None,
        timeout: float = 3.0,
    ) -> list[dict[str, Any]]:
        """Dispatch an autocomplete interaction (type 4) for option ``focused`` and return the choices."""
        ch = self._channel(channel)
        data = self._command_data(
            name,
            options,
            subcommand=subcommand,
            group=group,
            attachments=None,
            channel=ch,
            guild_command=guild_command,
            focused=focused,
        )
        handle = self._dispatch_interaction(INTERACTION_AUTOCOMPLETE, data, user=user, channel=ch)
        await handle.responded(timeout)
        return handle.choices or []

    async def send_context_menu(
        self,
        name: str,
        target: FakeMessage | FakeUser | FakeMember,
        *,
        user: FakeUser | FakeMember | int | None = None,
        channel: FakeChannel | int | None = None,
        guild_command: bool | None = None,
    ) -> InteractionHandle:
        """Dispatch a message or user context menu command (type 2, data.type 3 or 2)."""
        is_message = isinstance(target, FakeMessage)
        if channel is None and isinstance(target, FakeMessage):
            channel = target.channel_id
        ch = self._channel(channel)
        kind = COMMAND_MESSAGE if is_message else COMMAND_USER
        cmd, data_guild = self._find_command(name, kind, ch.guild_id, guild_command)
        resolved: dict[str, dict[str, Any]] = {}
        if isinstance(target, FakeMessage):
            resolved["messages"] = {str(target.id): self.message_payload(target)}
        else:
            self._resolve_value(OPT_USER, target, resolved, ch.guild_id, ch)
        data: dict[str, Any] = {
            "id": cmd["id"] if cmd else str(self.snowflake()),
            "name": name,
            "type": kind,
            "target_id": str(target.id),
            "resolved": resolved,
        }
        if data_guild is not None:
            data["guild_id"] = str(data_guild)
        return self._dispatch_interaction(INTERACTION_APPLICATION_COMMAND, data, user=user, channel=ch)

    async def click_component(
        self,
        message: FakeMessage | int,
        custom_id: str,
        *,
        user: FakeUser | FakeMember | int | None = None,
        component_type: int = 2,
        values: Sequence[str] | None = None,
    ) -> InteractionHandle:
        """Dispatch a component interaction (type 3): a button click, or a select with ``values``."""
        msg = self._message(message)
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            data["values"] = list(values)
        return self._dispatch_interaction(
            INTERACTION_MESSAGE_COMPONENT, data, user=user, channel=msg.channel_id, message=msg
        )

    async def submit_modal(
        self,
        modal: InteractionHandle | str,
        values: Mapping[str, str],
        *,
        user: FakeUser | FakeMember | int | None = None,
        channel: FakeChannel | int | None = None,
    ) -> InteractionHandle:
        """Dispatch a modal submit (type 5). ``modal`` is the handle that opened it, or its custom_id."""
        if isinstance(modal, InteractionHandle):
            if modal.modal is None:
                raise ValueError(f"{modal!r} did not open a modal")
            custom_id = modal.modal["custom_id"]
            layout = modal.modal.get("components", [])
            user = user if user is not None else modal.user
            channel = channel if channel is not None else modal.channel
        else:
            custom_id, layout = modal, []
        components: list[dict[str, Any]] = []
        used: set[str] = set()
        for row in layout:
            inner = row.get("components") or ([row["component"]] if "component" in row else [])
            for comp in inner:
                cid = comp.get("custom_id")
                if cid in values:
                    used.add(cid)
                    item = {"type": comp.get("type", 4), "custom_id": cid, "value": values[cid]}
                    if row.get("type") == 18:
                        components.append({"type": 18, "component": item})
                    else:
                        components.append({"type": 1, "components": [item]})
        for cid, value in values.items():
            if cid not in used:
                components.append({"type": 1, "components": [{"type": 4, "custom_id": cid, "value": value}]})
        data = {"custom_id": custom_id, "components": components}
        return self._dispatch_interaction(INTERACTION_MODAL_SUBMIT, data, user=user, channel=channel)

    def expire_interaction(self, handle: InteractionHandle) -> None:
        """Let ``handle``'s token run out, as Discord does 15 minutes after the interaction.

        From now on every webhook call with that token (follow-ups, and getting, editing or deleting
        the original response or a follow-up) is answered 401 with code 50027 "Invalid Webhook Token".
        """
        self._expired_tokens.add(handle.token)

    # ------------------------------------------------------------------ driving API: members act

    async def post_message(
        self,
        channel: FakeChannel | int | None,
        author: FakeUser | FakeMember | int,
        content: str = "",
        *,
        embeds: Sequence[Mapping[str, Any]] = (),
        files: Sequence[FakeFile] = (),
        reply_to: FakeMessage | int | None = None,
        poll: Mapping[str, Any] | None = None,
    ) -> FakeMessage:
        """A user writes in a channel: store the message and dispatch MESSAGE_CREATE.

        ``poll`` is a poll create request object (``{"question": {"text": ...}, "answers": [{"poll_media":
        {"text": ...}}], "duration": 24}``), checked against Discord's limits as the bot's polls are.
        """
        ch = self._channel(channel)
        user = self._user(author)
        reference = None
        if reply_to is not None:
            reference = {"message_id": str(_as_id(reply_to)), "channel_id": str(ch.id)}
        fields: dict[str, Any] = {
            "content": content,
            "embeds": [dict(e) for e in embeds],
            "message_reference": reference,
        }
        if poll is not None:
            fields["poll"] = dict(poll)
        msg = self._create_message(
            ch,
            user,
            fields,
            [MultipartPart(f"files[{i}]", f.filename, f.content_type, f.data) for i, f in enumerate(files)],
        )
        self._dispatch_message("MESSAGE_CREATE", msg)
        return msg

    async def edit_message(self, message: FakeMessage | int, content: str) -> FakeMessage:
        """The author edits their message: MESSAGE_UPDATE."""
        msg = self._message(message)
        self._edit_message(msg, {"content": content}, [])
        self._dispatch_message("MESSAGE_UPDATE", msg)
        return msg

    async def delete_message(self, message: FakeMessage | int) -> None:
        """The message disappears: MESSAGE_DELETE."""
        self._delete_message(self._message(message))

    async def add_reaction(self, message: FakeMessage | int, user: FakeUser | FakeMember | int, emoji: str) -> None:
        """A user reacts: MESSAGE_REACTION_ADD (with guild_id, member, type 0, burst false)."""
        self._react(self._message(message), self._user(user), _emoji_key(emoji), add=True)

    async def remove_reaction(self, message: FakeMessage | int, user: FakeUser | FakeMember | int, emoji: str) -> None:
        """A user removes a reaction: MESSAGE_REACTION_REMOVE."""
        self._react(self._message(message), self._user(user), _emoji_key(emoji), add=False)

    # ------------------------------------------------------------------ driving API: polls

    def _poll_of(self, message: FakeMessage | int) -> tuple[FakeMessage, FakePoll]:
        msg = self._message(message)
        if msg.poll is None or msg.deleted:
            raise ValueError(f"message {msg.id} has no poll")
        return msg, msg.poll

    def _voter(self, msg: FakeMessage, user: FakeUser | FakeMember | int | None) -> FakeUser:
        voter = self._user(user)
        if voter.bot:
            raise ValueError(f"{voter.name} is a bot; apps are not allowed to vote on polls")
        channel = self.channels[msg.channel_id]
        if msg.guild_id is not None and self.member_of(msg.guild_id, voter) is None:
            raise ValueError(f"{voter.name} is not a member of guild {msg.guild_id}")
        if msg.guild_id is None and voter.id not in channel.recipients:
            raise ValueError(f"{voter.name} is not in the DM {channel.id}")
        return voter

    async def vote(
        self, message: FakeMessage | int, answer_id: int, user: FakeUser | FakeMember | int | None = None
    ) -> None:
        """A member votes for ``answer_id``: the count goes up and MESSAGE_POLL_VOTE_ADD is dispatched (intent
        GUILD_MESSAGE_POLLS, DIRECT_MESSAGE_POLLS in a DM).

        As in Discord's client, a vote can only be cast on an open poll, once per answer; in a single-choice poll
        a member who voted must :meth:`unvote` before voting for another answer (a ValueError otherwise), and a
        multiple-choice poll takes one call (and one event) per answer.
        """
        msg, poll = self._poll_of(message)
        voter = self._voter(msg, user)
        if poll.ended or self.now() >= poll.expiry:
            raise ValueError(f"the poll of message {msg.id} has ended")
        if poll.answer(answer_id) is None:
            raise ValueError(f"the poll of message {msg.id} has no answer {answer_id}")
        mine = [a for a, voters in poll.votes.items() if voter.id in voters]
        if answer_id in mine:
            raise ValueError(f"{voter.name} already voted for answer {answer_id}")
        if mine and not poll.allow_multiselect:
            raise ValueError(f"{voter.name} already voted for answer {mine[0]} in a single-choice poll; unvote first")
        poll.votes.setdefault(answer_id, []).append(voter.id)
        self._dispatch_vote(msg, voter, answer_id, add=True)

    async def unvote(
        self, message: FakeMessage | int, answer_id: int, user: FakeUser | FakeMember | int | None = None
    ) -> None:
        """A member takes back their vote for ``answer_id``: MESSAGE_POLL_VOTE_REMOVE."""
        msg, poll = self._poll_of(message)
        voter = self._voter(msg, user)
        if poll.ended or self.now() >= poll.expiry:
            raise ValueError(f"the poll of message {msg.id} has ended")
        if voter.id not in poll.votes.get(answer_id, []):
            raise ValueError(f"{voter.name} has no vote for answer {answer_id}")
        poll.votes[answer_id].remove(voter.id)
        self._dispatch_vote(msg, voter, answer_id, add=False)

    async def end_poll(self, message: FakeMessage | int) -> FakeMessage:
        """End a poll as if its expiry had passed (its author need not ask); returns the poll result message.

        The fake finalizes the tally at once: MESSAGE_UPDATE with ``results.is_finalized`` true, then the
        result message (type 46) as MESSAGE_CREATE. POST .../polls/{message.id}/expire does the same.
        """
        msg, poll = self._poll_of(message)
        if poll.ended:
            raise ValueError(f"the poll of message {msg.id} has already ended")
        return self._end_poll(msg)

    async def advance(self, seconds: float) -> None:
        """Let the fake's clock run ``seconds`` ahead of the real one (it stays ahead; snowflakes follow it),
        then do what Discord does when that time passes:

        - every poll whose expiry passed ends, in expiry order (see :meth:`end_poll`);
        - an EXTERNAL event becomes ACTIVE at its start time and COMPLETED at its end time;
        - a SCHEDULED event nobody started is CANCELED ``event_auto_cancel_after`` seconds after its start time.

        Voice and stage events only start and end when someone starts or ends them (:meth:`start_event`,
        :meth:`end_event`, or the bot's PATCH); Discord's ending of an ACTIVE voice event minutes after its
        channel empties is not modelled (the fake has no voice states).
        """
        if seconds < 0:
            raise ValueError("the fake's clock only runs forward")
        self.clock_offset += seconds
        now = self.now()
        due = [m for m in self.messages.values() if m.poll and not m.poll.ended and not m.deleted]
        for msg in sorted(due, key=lambda m: (m.poll.expiry if m.poll else now, m.id)):
            if msg.poll is not None and msg.poll.expiry <= now:
                self._end_poll(msg)
        for event in sorted(self.scheduled_events.values(), key=lambda e: (e.scheduled_start_time, e.id)):
            if not event.open:
                continue
            if event.entity_type == EVENT_EXTERNAL:
                if event.status == EVENT_SCHEDULED and event.scheduled_start_time <= now:
                    self._set_event_status(event, EVENT_ACTIVE)
                end = event.scheduled_end_time
                if event.status == EVENT_ACTIVE and end is not None and end <= now:
                    self._set_event_status(event, EVENT_COMPLETED)
            if event.status == EVENT_SCHEDULED:
                overdue = (now - event.scheduled_start_time).total_seconds()
                if overdue >= self.event_auto_cancel_after:
                    self._set_event_status(event, EVENT_CANCELED)

    # ------------------------------------------------------------------ driving API: scheduled events

    def _event(self, event: FakeScheduledEvent | int) -> FakeScheduledEvent:
        found = event if isinstance(event, FakeScheduledEvent) else self.scheduled_events.get(_as_id(event))
        if found is None or found.deleted:
            raise ValueError(f"no scheduled event {event!r}")
        return found

    def add_event(
        self,
        name: str,
        start: datetime.datetime,
        *,
        channel: FakeChannel | int | None = None,
        location: str | None = None,
        end: datetime.datetime | None = None,
        creator: FakeUser | FakeMember | int | None = None,
        description: str | None = None,
        guild: FakeGuild | int | None = None,
    ) -> FakeScheduledEvent:
        """A member (the owner by default) creates a scheduled event in Discord's client: a VOICE or STAGE event
        in ``channel``, or an EXTERNAL one at ``location`` (which needs ``end``). Checked as the REST route checks
        the bot's; GUILD_SCHEDULED_EVENT_CREATE is dispatched once a client is connected."""
        g = self._guild(guild)
        body: dict[str, Any] = {
            "name": name,
            "privacy_level": EVENT_PRIVACY_GUILD_ONLY,
            "scheduled_start_time": _iso(start),
            "description": description,
        }
        if location is not None:
            body |= {"entity_type": EVENT_EXTERNAL, "entity_metadata": {"location": location}}
        else:
            ch = self._channel(channel)
            body |= {"entity_type": EVENT_STAGE_INSTANCE if ch.type == CHANNEL_STAGE else EVENT_VOICE}
            body["channel_id"] = ch.id
        if end is not None:
            body["scheduled_end_time"] = _iso(end)
        try:
            spec = self._event_spec(g, body, None)
        except _Reject as exc:
            raise ValueError(f"Discord would refuse this event: {exc.errors or exc.message}") from None
        who = self._user(creator) if creator is not None else self.users[g.owner_id]
        event = FakeScheduledEvent(id=self.snowflake(), guild_id=g.id, creator_id=who.id, **spec)
        self.scheduled_events[event.id] = event
        if self._sessions:
            self._dispatch_event("GUILD_SCHEDULED_EVENT_CREATE", event)
        return event

    def _interest(self, event: FakeScheduledEvent | int, user: FakeUser | FakeMember | int | None, add: bool) -> None:
        ev = self._event(event)
        who = self._user(user)
        if self.member_of(ev.guild_id, who) is None:
            raise ValueError(f"{who.name} is not a member of guild {ev.guild_id}")
        if not ev.open:
            raise ValueError(f"event {ev.id} has finished (status {ev.status})")
        if add == (who.id in ev.user_ids):
            raise ValueError(f"{who.name} is {'already' if add else 'not'} interested in event {ev.id}")
        if add:
            ev.user_ids.append(who.id)
        else:
            ev.user_ids.remove(who.id)
        payload = {"guild_scheduled_event_id": str(ev.id), "user_id": str(who.id), "guild_id": str(ev.guild_id)}
        name = "GUILD_SCHEDULED_EVENT_USER_ADD" if add else "GUILD_SCHEDULED_EVENT_USER_REMOVE"
        self.dispatch(name, payload, intent=INTENT_GUILD_SCHEDULED_EVENTS)

    async def interested(
        self, event: FakeScheduledEvent | int, user: FakeUser | FakeMember | int | None = None
    ) -> None:
        """A member clicks "Interested": GUILD_SCHEDULED_EVENT_USER_ADD (intent GUILD_SCHEDULED_EVENTS)."""
        self._interest(event, user, add=True)

    async def uninterested(
        self, event: FakeScheduledEvent | int, user: FakeUser | FakeMember | int | None = None
    ) -> None:
        """A member takes back "Interested": GUILD_SCHEDULED_EVENT_USER_REMOVE."""
        self._interest(event, user, add=False)

    def _move_event(self, event: FakeScheduledEvent | int, status: int) -> FakeScheduledEvent:
        ev = self._event(event)
        if (ev.status, status) not in EVENT_TRANSITIONS:
            raise ValueError(f"event {ev.id} cannot go from status {ev.status} to {status}")
        self._set_event_status(ev, status)
        return ev

    async def start_event(self, event: FakeScheduledEvent | int) -> FakeScheduledEvent:
        """A moderator starts the event (SCHEDULED → ACTIVE): GUILD_SCHEDULED_EVENT_UPDATE."""
        return self._move_event(event, EVENT_ACTIVE)

    async def end_event(self, event: FakeScheduledEvent | int) -> FakeScheduledEvent:
        """The event ends (ACTIVE → COMPLETED), by a moderator or as Discord ends it: GUILD_SCHEDULED_EVENT_UPDATE."""
        return self._move_event(event, EVENT_COMPLETED)

    async def cancel_event(self, event: FakeScheduledEvent | int) -> FakeScheduledEvent:
        """A moderator cancels the event (SCHEDULED → CANCELED): GUILD_SCHEDULED_EVENT_UPDATE."""
        return self._move_event(event, EVENT_CANCELED)


# --------------------------------------------------------------------------- test helpers


@contextlib.contextmanager
def patched_endpoints(fake: FakeDiscord) -> Iterator[None]:
    """Point discord.py's REST base (also used for webhooks/interactions) and gateway at ``fake``."""
    old_base = discord.http.Route.BASE
    old_gateway = DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = fake.api_base
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    try:
        yield
    finally:
        discord.http.Route.BASE = old_base
        DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


@contextlib.asynccontextmanager
async def fake_discord(**kwargs: Any) -> AsyncIterator[FakeDiscord]:
    """Start a :class:`FakeDiscord` and patch discord.py to use it for the duration."""
    async with FakeDiscord(**kwargs) as fake:
        with patched_endpoints(fake):
            yield fake


@contextlib.asynccontextmanager
async def running_bot(
    client: discord.Client, fake: FakeDiscord, *, token: str | None = None, timeout: float = 10.0
) -> AsyncIterator[discord.Client]:
    """Run ``client.start(token)`` in a task until it is ready; close it cleanly on exit.

    Build the client with ``guild_ready_timeout=0.05`` (or similar): discord.py otherwise
    waits two seconds after the last GUILD_CREATE before it fires ``on_ready``.
    """
    task = asyncio.create_task(client.start(token or fake.token), name="fake-discord-bot")
    ready = asyncio.create_task(client.wait_until_ready())
    try:
        done, _ = await asyncio.wait({task, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            task.result()  # raises the start-up error
            raise RuntimeError("the client stopped before it became ready")
        if ready not in done:
            raise TimeoutError(f"the client was not ready after {timeout}s")
        yield client
    finally:
        ready.cancel()
        await client.close()
        try:
            await asyncio.wait_for(task, timeout=5.0)
        except (asyncio.CancelledError, discord.DiscordException, TimeoutError):
            log.debug("bot task ended with an error while closing", exc_info=True)
