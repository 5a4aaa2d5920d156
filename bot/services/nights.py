"""Film nights (/filmnight), without Discord: when, which films, who won, what is due when.

A night is planned for a time and a place; up to ten candidates go into a native poll: the films members suggested
(`/filmnight suggest`, the oldest first, those carried over from lost polls among them), then the catalog's picks for
the night's theme or mood and the films this server's members liked (`/recommend`'s recommender, nudged by their
liked reviews), never a film the server already watched together. When the poll closes the film with the most votes
wins; a tie goes to the film higher on the ballot (suggestions come first, then the picks in their order), and the
announcement says so. The winner becomes a scheduled event; the losing suggestions stay for the next poll.

Times: `when` is read in the server's time zone (`CINEBOT_NIGHT_TIMEZONE`) and shown to members as Discord
timestamps, which each member's client writes in their own time zone.
"""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.services.base import required
from bot.services.films import SERVER_REVIEWS, no_catalog
from bot.store import CandidateRow, NightRow, Store
from models.film.catalog import Catalog, Film
from models.film.recommend import parse_mood, recommend
from models.tasks import InputError

if TYPE_CHECKING:
    from bot.settings import Settings

NightBook = Store  # what `NightService.book` gives the cog: the store, whose film-night methods alone it calls
__all__ = ["NightBook", "NightRow", "NightService"]  # the cog reads nights through this module, never the store

BALLOT = 10  # Discord's most answers in a poll
ANSWER_CHARS = 55  # and the most characters in one
MAX_POLL_HOURS = 768  # Discord's longest poll: 32 days
PLANNED_AHEAD = timedelta(days=60)  # the latest a night may be planned for
TIE_RULE = "higher on the ballot"

_WEEKDAYS = {name: i for i, names in enumerate((
    ("mon", "monday"), ("tue", "tues", "tuesday"), ("wed", "wednesday"), ("thu", "thur", "thurs", "thursday"),
    ("fri", "friday"), ("sat", "saturday"), ("sun", "sunday"))) for name in names}
_CLOCK = r"(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?\s*(?P<half>am|pm)?"
_WHEN_DATE = re.compile(rf"^(?P<date>\d{{4}}-\d{{1,2}}-\d{{1,2}})(?:[ T]+{_CLOCK})?$", re.IGNORECASE)
_WHEN_DAY = re.compile(rf"^(?P<day>today|tonight|tomorrow|[a-z]+)\s+(?:at\s+)?{_CLOCK}$", re.IGNORECASE)
_WHEN_STAMP = re.compile(r"^<t:(?P<unix>\d{9,11})(?::[tTdDfFR])?>$|^(?P<bare>\d{10})$")


def parse_when(text: str, zone: str, now: datetime) -> datetime:
    """A time a member typed, as an aware UTC datetime: "2026-12-12 20:00", "friday 8pm", "tomorrow 20:30", "tonight
    9pm", or a Discord timestamp ("<t:1765569600:F>"). Read in `zone`; InputError when it cannot be read."""
    raw = " ".join(text.strip().split())
    tz = ZoneInfo(zone)
    local_now = now.astimezone(tz)
    if m := _WHEN_STAMP.match(raw):
        return datetime.fromtimestamp(int(m.group("unix") or m.group("bare")), UTC)
    day = None
    if m := _WHEN_DATE.match(raw):
        try:
            day = datetime.strptime(m.group("date"), "%Y-%m-%d").date()
        except ValueError:
            raise _bad_when(text) from None
    elif m := _WHEN_DAY.match(raw):
        word = m.group("day").casefold()
        if word in ("today", "tonight"):
            day = local_now.date()
        elif word == "tomorrow":
            day = local_now.date() + timedelta(days=1)
        elif word in _WEEKDAYS:
            ahead = (_WEEKDAYS[word] - local_now.weekday()) % 7
            day = local_now.date() + timedelta(days=ahead)
    if m is None or day is None:
        raise _bad_when(text)
    hour, minute = int(m.group("hour") or 20), int(m.group("minute") or 0)
    if (half := (m.group("half") or "").casefold()) and not 1 <= hour <= 12:
        raise _bad_when(text)
    if half == "pm" and hour != 12:
        hour += 12
    elif half == "am" and hour == 12:
        hour = 0
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise _bad_when(text)
    moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)
    if m.re is _WHEN_DAY and m.group("day").casefold() in _WEEKDAYS and moment <= local_now:
        moment += timedelta(days=7)  # "friday 8pm" on a Friday at 9pm: next Friday
    return moment.astimezone(UTC)


def _bad_when(text: str) -> InputError:
    return InputError("I can't read the time {when}. Write it like 2026-12-12 20:00, friday 8pm or tomorrow 20:30.",
                      when=repr(text[:40]))


def answer_text(film: Film) -> str:
    """The film as a poll answer: "Title (Year)" in at most 55 characters, the year kept."""
    whole = film.title_year()
    if len(whole) <= ANSWER_CHARS:
        return whole
    tail = f" ({film.year})" if film.year else ""
    return film.title[: ANSWER_CHARS - len(tail) - 1].rstrip() + "…" + tail


@dataclass(frozen=True)
class Candidate:
    film: Film
    suggested_by: int | None  # None: the bot's pick


@dataclass(frozen=True)
class Outcome:
    """The poll's result: the winning answer, the counts (answer id -> votes), and whether a tie was broken."""

    winner: CandidateRow
    votes: dict[int, int]
    tied: bool

    @property
    def total(self) -> int:
        return sum(self.votes.values())


def outcome(candidates: Sequence[CandidateRow], votes: dict[int, int]) -> Outcome:
    """The film with the most votes; among equals the one higher on the ballot (the lower answer id)."""
    if not candidates:
        raise ValueError("a poll without answers has no winner")
    counts = {c.answer_id: int(votes.get(c.answer_id, 0)) for c in candidates}
    best = max(counts.values())
    leaders = [c for c in candidates if counts[c.answer_id] == best]
    winner = min(leaders, key=lambda c: c.answer_id)
    return Outcome(winner, counts, tied=len(leaders) > 1)


@dataclass(frozen=True)
class Schedule:
    """When each step of a night is due (UTC)."""

    remind_vote: datetime | None
    close_poll: datetime
    remind_night: datetime | None
    recap: datetime

    def timers(self) -> dict[str, datetime]:
        steps = {"remind_vote": self.remind_vote, "close_poll": self.close_poll,
                 "remind_night": self.remind_night, "recap": self.recap}
        return {kind: due for kind, due in steps.items() if due is not None}


def schedule(now: datetime, poll_ends_at: datetime, starts_at: datetime, settings: Settings,
             runtime_min: int = 150) -> Schedule:
    """The night's steps: a reminder `night_remind_vote_min` before voting closes (none when that is already past),
    the close, a reminder `night_remind_min` before the night, the recap `night_recap_min` after the film would end
    (the longest candidate's runtime; the event's end moves it when the event ends sooner)."""
    vote = poll_ends_at - timedelta(minutes=settings.night_remind_vote_min)
    night = starts_at - timedelta(minutes=settings.night_remind_min)
    return Schedule(
        remind_vote=vote if settings.night_remind_vote_min and vote > now else None,
        close_poll=poll_ends_at,
        remind_night=night if settings.night_remind_min and night > poll_ends_at else None,
        recap=starts_at + timedelta(minutes=runtime_min + settings.night_recap_min),
    )


class NightService:
    """See the module's docstring."""

    def __init__(self, catalog: Catalog | None, store: Store | None, settings: Settings) -> None:
        self.catalog = catalog
        self.store = store
        self.settings = settings

    @property
    def book(self) -> NightBook:
        """The nights' records (the store's film-night methods: nights, ballots, suggestions, timers, reminders), the
        cog's only way to them; it never reads the rest of the store."""
        return required(self.store, lambda: InputError("Film nights need the bot's database."))

    def when(self, text: str, poll_hours: int, now: datetime) -> tuple[datetime, datetime]:
        """(the night's start, the poll's end), checked: in the future, not too far, after voting closes."""
        starts = parse_when(text, self.settings.night_timezone, now)
        if starts <= now:
            raise InputError("That time has already passed. Pick a time in the future.")
        if starts - now > PLANNED_AHEAD:
            raise InputError("Film nights can be planned up to {days} days ahead.", days=PLANNED_AHEAD.days)
        if not 1 <= poll_hours <= MAX_POLL_HOURS:
            raise InputError("A poll can stay open from 1 to {hours} hours.", hours=MAX_POLL_HOURS)
        ends = now + timedelta(hours=poll_hours)
        if ends > starts:
            raise InputError("Voting would still be open when the night starts: pick a shorter poll (at most {hours} "
                             "hours) or a later time.", hours=max(0, int((starts - now).total_seconds() // 3600)))
        return starts, ends

    async def candidates(self, guild_id: int, *, theme: str | None, like: Film | None) -> list[Candidate]:
        """Up to ten films for the poll: the suggestions, then the catalog's picks for `theme` (mood words or
        genres) and `like` (see the module's docstring)."""
        catalog = required(self.catalog, no_catalog)
        store = self.book
        watched = await store.watched_films(guild_id)
        suggested = [(catalog.get(film_id), user) for film_id, user in await store.film_suggestions(guild_id)]
        ballot = [Candidate(film, user) for film, user in suggested if film is not None and film.id not in watched]
        ballot = ballot[:BALLOT]
        words = theme or ""
        parsed = parse_mood(words or None)
        if words and not parsed.known and like is None and not ballot:
            raise InputError("I don't know the mood {mood}. Try a few words such as cozy, dark and funny, or a genre "
                             "(sci-fi, western…).", mood=repr(words))
        jobs = await store.liked_examples(guild_id, "review", limit=SERVER_REVIEWS)
        favourites: dict[int, float] = defaultdict(float)
        for job in jobs:
            if isinstance(film_id := job.inputs.get("catalog_id"), int):
                favourites[film_id] += 1.0
        taken = {c.film.id for c in ballot} | watched
        wanted = BALLOT - len(ballot)
        picks = await asyncio.to_thread(recommend, catalog, like, parsed, dict(favourites),
                                        limit=wanted + len(taken)) if wanted else []
        ballot += [Candidate(p.film, None) for p in picks if p.film.id not in taken][:wanted]
        if not ballot:
            raise InputError("I couldn't find films for that night. Try another mood, or suggest some films first.")
        return ballot
