"""The /mood channel report: shares, emotion mix, trend, extremes, film mentions and the chart, on fake scores."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from models.mood.report import (
    MAX_STRETCHES,
    Scored,
    build_report,
    chart_png,
    stretches,
    title_matcher,
    trend_of,
    warmth,
)

START = datetime(2024, 5, 1, 20, 0, tzinfo=UTC)


@dataclass(frozen=True)
class FakeScore:
    """What `models.mood.classifier.MoodScore` carries, without loading the classifier."""

    positive: float
    label: str
    confidence: float = 0.9
    emotions: dict[str, float] = field(default_factory=dict)
    detected: tuple[str, ...] = ()


def scored(i: int, positive: float, label: str | None = None, detected: tuple[str, ...] = (),
           minutes: float | None = None) -> Scored:
    if label is None:
        label = "positive" if positive >= 0.7 else "negative" if positive <= 0.3 else "mixed"
    when = START + timedelta(minutes=i if minutes is None else minutes)
    return Scored(message_id=1000 + i, jump_url=f"https://discord.com/channels/1/2/{1000 + i}", author=f"member{i}",
                  created_at=when, text=f"message {i}",
                  score=FakeScore(positive, label, max(positive, 1 - positive), {}, detected))  # type: ignore[arg-type]


def test_shares_sum_to_one_and_count_labels() -> None:
    messages = [scored(0, 0.95), scored(1, 0.9), scored(2, 0.05), scored(3, 0.5, "neutral"), scored(4, 0.6, "mixed")]
    report = build_report(messages)
    assert report.count == 5
    assert report.shares == {"positive": 0.4, "negative": 0.2, "mixed": 0.2, "neutral": 0.2}
    assert sum(report.shares.values()) == pytest.approx(1.0)


def test_emotion_mix_is_the_share_of_messages_and_neutral_is_apart() -> None:
    messages = [scored(0, 0.9, detected=("joy", "surprise")), scored(1, 0.9, detected=("joy",)),
                scored(2, 0.1, detected=("anger", "disgust")), scored(3, 0.5, "neutral", detected=("neutral",))]
    report = build_report(messages)
    assert report.emotions["joy"] == 0.5 and report.emotions["anger"] == 0.25 and report.emotions["fear"] == 0.0
    assert "neutral" not in report.emotions
    assert report.no_emotion == 0.25  # the neutral one


def test_extremes_are_the_most_positive_and_most_negative_messages() -> None:
    messages = [scored(0, 0.8), scored(1, 0.99), scored(2, 0.02), scored(3, 0.3)]
    report = build_report(messages)
    assert report.most_positive is not None and report.most_positive.message_id == 1001
    assert report.most_negative is not None and report.most_negative.message_id == 1002
    assert [m.message_id for m in report.liked(5)] == [1001, 1000]
    assert [m.message_id for m in report.disliked(1)] == [1002]


def test_no_most_negative_when_everyone_is_glowing() -> None:
    report = build_report([scored(i, 0.9 + i / 100) for i in range(5)])
    assert report.most_positive is not None and report.most_positive.message_id == 1004
    assert report.most_negative is None and report.disliked(5) == []


def test_ties_go_to_the_newer_message() -> None:
    report = build_report([scored(0, 0.9), scored(1, 0.9)])
    assert report.most_positive is not None and report.most_positive.message_id == 1001


def test_messages_are_ordered_by_time_whatever_the_input_order() -> None:
    messages = [scored(i, 0.9) for i in range(6)][::-1]
    report = build_report(messages)
    assert [m.message_id for m in report.messages] == [1000 + i for i in range(6)]


def test_trend_warms_up_cools_and_holds() -> None:
    angry_then_glowing = [scored(i, 0.05) for i in range(12)] + [scored(12 + i, 0.95) for i in range(12)]
    report = build_report(angry_then_glowing)
    assert len(report.trend) == MAX_STRETCHES and sum(s.count for s in report.trend) == 24
    assert report.trend_word == "warmed up" and report.trend_change > 1.0
    assert report.trend[0].warmth == pytest.approx(warmth(0.05)) and report.trend[-1].warmth == pytest.approx(0.9)
    cooled = build_report([scored(i, 0.95) for i in range(12)] + [scored(12 + i, 0.05) for i in range(12)])
    assert cooled.trend_word == "cooled" and cooled.trend_change < -1.0
    steady = build_report([scored(i, 0.9 if i % 2 else 0.1) for i in range(24)])
    assert steady.trend_word == "steady"


def test_few_messages_make_fewer_stretches() -> None:
    assert len(stretches([scored(i, 0.9) for i in range(2)])) == 1
    assert len(stretches([scored(i, 0.9) for i in range(7)])) == 2
    assert [s.count for s in stretches([scored(i, 0.9) for i in range(500)])] == [63, 63, 63, 63, 62, 62, 62, 62]
    assert trend_of(stretches([scored(0, 0.1)])) == ("steady", 0.0)


def test_an_empty_report_is_an_error() -> None:
    with pytest.raises(ValueError):
        build_report([])


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        ("Alien", "ALIEN still holds up!", True),
        ("Alien", "aliens is the better sequel", False),
        ("Amélie", "amelie made me cry", True),
        ("The Dark Knight", "dark knight's score though", True),
        ("The Thing", "the thing is, I was bored", True),
        ("The Thing", "one thing I liked", False),
        ("Rocky II", "rocky 2 > rocky", True),
        ("Rocky II", "Rocky II was fine", True),
        ("Se7en", "se7en's ending", True),
        ("Mad Max: Fury Road", "mad max fury road is perfect", True),
        ("Mad Max: Fury Road", "mad max was ok", False),
    ],
)
def test_title_matcher(title: str, text: str, expected: bool) -> None:
    assert title_matcher(title)(text) is expected


def _image(png: bytes) -> tuple[int, int]:
    from matplotlib import image

    pixels = image.imread(io.BytesIO(png), format="png")
    return pixels.shape[1], pixels.shape[0]


def test_chart_is_a_png_of_about_800_by_400() -> None:
    messages = [scored(i, 0.05 if i < 20 else 0.95, detected=("anger",) if i < 20 else ("joy",), minutes=i * 30)
                for i in range(40)]
    png = chart_png(build_report(messages))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert _image(png) == (800, 400)


def test_chart_of_one_message_without_emotions() -> None:
    png = chart_png(build_report([scored(0, 0.5, "neutral")]))
    assert png.startswith(b"\x89PNG") and _image(png) == (800, 400)


def test_trend_ticks_name_hours_within_a_few_days() -> None:
    from datetime import timedelta

    from models.mood.report import _time_format

    assert _time_format(timedelta(hours=5)) == "%H:%M"
    assert _time_format(timedelta(days=2)) == "%a %H:%M"
    assert _time_format(timedelta(days=40)) == "%d %b"
    assert _time_format(timedelta(days=400)) == "%b %Y"
