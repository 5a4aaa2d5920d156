"""Film nights without Discord: reading a time, the ballot, the winner, the timers, and what the store keeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.services.nights import (
    ANSWER_CHARS,
    NightService,
    answer_text,
    outcome,
    parse_when,
    schedule,
)
from bot.settings import Settings
from bot.store import CandidateRow, Store
from models.film.catalog import Catalog, Film
from models.tasks import InputError

NOW = datetime(2026, 12, 9, 18, 30, tzinfo=UTC)  # a Wednesday


@pytest.mark.parametrize(("typed", "zone", "expected"), [
    ("2026-12-12 20:00", "UTC", datetime(2026, 12, 12, 20, 0, tzinfo=UTC)),
    ("2026-12-12T20:00", "Europe/Paris", datetime(2026, 12, 12, 19, 0, tzinfo=UTC)),
    ("friday 8pm", "UTC", datetime(2026, 12, 11, 20, 0, tzinfo=UTC)),
    ("Wednesday 8pm", "UTC", datetime(2026, 12, 9, 20, 0, tzinfo=UTC)),  # today, still ahead
    ("wed 6pm", "UTC", datetime(2026, 12, 16, 18, 0, tzinfo=UTC)),  # today's has passed: next week's
    ("tomorrow 20:30", "America/New_York", datetime(2026, 12, 11, 1, 30, tzinfo=UTC)),
    ("tonight 9pm", "UTC", datetime(2026, 12, 9, 21, 0, tzinfo=UTC)),
    ("<t:1765569600:F>", "UTC", datetime.fromtimestamp(1765569600, UTC)),
])
def test_a_time_is_read_in_the_servers_zone(typed: str, zone: str, expected: datetime) -> None:
    assert parse_when(typed, zone, NOW) == expected


@pytest.mark.parametrize("typed", ["next week", "2026-13-01 20:00", "friday 25:00", "friday 13pm", ""])
def test_a_time_that_cannot_be_read_is_a_friendly_error(typed: str) -> None:
    with pytest.raises(InputError) as raised:
        parse_when(typed, "UTC", NOW)
    assert "can't read the time" in str(raised.value)


def _settings(**env: str) -> Settings:
    return Settings.load(env=env, env_file=None)


def test_the_night_must_be_ahead_and_after_the_vote() -> None:
    service = NightService(None, None, _settings())
    with pytest.raises(InputError, match="already passed"):
        service.when("2026-12-01 20:00", 24, NOW)
    with pytest.raises(InputError, match="still be open"):
        service.when("tomorrow 20:00", 48, NOW)
    with pytest.raises(InputError, match="up to 60 days"):
        service.when("2027-06-01 20:00", 24, NOW)
    starts, ends = service.when("friday 8pm", 24, NOW)
    assert ends == NOW + timedelta(hours=24) and starts == datetime(2026, 12, 11, 20, 0, tzinfo=UTC)


def test_a_poll_answer_fits_discords_55_characters_and_keeps_the_year() -> None:
    long = Film(id=1, title="Dr. Strangelove or: How I Learned to Stop Worrying and Love the Bomb", year=1964)
    text = answer_text(long)
    assert len(text) <= ANSWER_CHARS and text.endswith("… (1964)")
    assert answer_text(Film(id=2, title="Alien", year=1979)) == "Alien (1979)"


def test_the_most_votes_win_and_a_tie_goes_to_the_film_higher_on_the_ballot() -> None:
    ballot = [CandidateRow(1, 10, None, None), CandidateRow(2, 20, 5, None), CandidateRow(3, 30, None, None)]
    won = outcome(ballot, {1: 2, 2: 4, 3: 1})
    assert won.winner.film_id == 20 and not won.tied and won.total == 7
    tie = outcome(ballot, {2: 3, 3: 3})
    assert tie.winner.film_id == 20 and tie.tied and tie.votes == {1: 0, 2: 3, 3: 3}
    assert outcome(ballot, {}).winner.answer_id == 1  # no votes: the first on the ballot


def test_the_steps_are_due_before_the_close_before_the_night_and_after_the_film() -> None:
    settings = _settings(CINEBOT_NIGHT_REMIND_VOTE_MIN="30", CINEBOT_NIGHT_REMIND_MIN="60",
                         CINEBOT_NIGHT_RECAP_MIN="45")
    ends, starts = NOW + timedelta(hours=24), NOW + timedelta(hours=48)
    steps = schedule(NOW, ends, starts, settings, runtime_min=120)
    assert steps.timers() == {"remind_vote": ends - timedelta(minutes=30), "close_poll": ends,
                              "remind_night": starts - timedelta(hours=1),
                              "recap": starts + timedelta(minutes=165)}
    none = schedule(NOW, ends, starts, _settings(CINEBOT_NIGHT_REMIND_VOTE_MIN="0", CINEBOT_NIGHT_REMIND_MIN="0"))
    assert set(none.timers()) == {"close_poll", "recap"}


async def test_the_ballot_puts_suggestions_first_and_never_a_watched_film(tmp_path: Path) -> None:
    catalog = Catalog.open()
    alien = catalog.resolve("Alien 1979").film
    heat = catalog.resolve("Heat 1995").film
    jaws = catalog.resolve("Jaws 1975").film
    assert alien and heat and jaws
    async with await Store.open(tmp_path / "nights.sqlite3") as store:
        service = NightService(catalog, store, _settings())
        assert await store.suggest_film(7, heat.id, 42, limit=2) == "added"
        assert await store.suggest_film(7, heat.id, 43, limit=2) == "already"
        assert await store.suggest_film(7, alien.id, 43, limit=2) == "added"
        assert await store.suggest_film(7, jaws.id, 44, limit=2) == "full"
        await store.mark_watched(7, alien.id, None)  # watched: out of the suggestions and of every ballot
        ballot = await service.candidates(7, theme="sci-fi", like=None)
        assert len(ballot) == 10 and ballot[0].film.id == heat.id and ballot[0].suggested_by == 42
        assert all(c.suggested_by is None for c in ballot[1:])
        assert alien.id not in {c.film.id for c in ballot} and len({c.film.id for c in ballot}) == 10
        with pytest.raises(InputError, match="don't know the mood"):
            await service.candidates(8, theme="zzqx", like=None)


async def test_a_night_is_kept_with_its_ballot_and_timers_and_closes_once(tmp_path: Path) -> None:
    async with await Store.open(tmp_path / "nights.sqlite3") as store:
        ends, starts = NOW + timedelta(hours=24), NOW + timedelta(hours=48)
        await store.suggest_film(7, 20, 5, limit=10)
        await store.suggest_film(7, 30, 6, limit=10)
        night_id = await store.create_night(
            guild_id=7, channel_id=70, planned_by=1, starts_at=starts, place_channel_id=71, place=None, theme="cozy",
            mood=None, liked_film_id=None, poll_hours=24, poll_ends_at=ends, locale="zh_CN",
            candidates=[(20, 5), (30, 6), (40, None)], timers={"close_poll": ends, "recap": starts})
        await store.set_night_poll(night_id, 700)
        night = await store.night(night_id)
        assert night is not None and night.poll_message_id == 700 and night.status == "voting"
        assert night.starts_at == starts and night.locale == "zh_CN"
        assert await store.due_timers(NOW) == [] and await store.next_timer() == ends
        due = await store.due_timers(ends)
        assert [(t.night_id, t.kind) for t in due] == [(night_id, "close_poll")]
        await store.close_night_poll(night, {1: 1, 2: 3, 3: 0}, 30)
        await store.finish_timer(night_id, "close_poll")
        closed = await store.night(night_id)
        assert closed is not None and closed.status == "scheduled" and closed.winner_film_id == 30 and closed.votes == 4
        assert [c.votes for c in await store.night_candidates(night_id)] == [1, 3, 0]
        assert await store.film_suggestions(7) == [(20, 5)]  # the winner leaves the list, the loser stays
        assert await store.due_timers(ends) == []
        await store.end_night(night_id, "done", interested=5, mood_summary="80% positive")
        assert await store.due_timers(starts + timedelta(days=1)) == []  # a finished night has nothing due
        assert [n.interested for n in await store.nights(7)] == [5]
