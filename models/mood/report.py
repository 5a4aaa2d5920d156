"""/mood on a channel or thread: classified messages in, a report and a chart out. Pure functions, no Discord.

The cog reads the history, classifies every message with the shipped classifier (`models.mood.classifier`) and hands the
messages here as :class:`Scored` rows; :func:`build_report` turns them into a :class:`MoodReport` and
:func:`chart_png` draws it.

- **Shares**: the share of messages per classifier label (positive, negative, mixed, neutral); they sum to 1.
- **Emotion mix**: for each of Ekman's six emotions, the share of messages in which the classifier detected it
  (over its tuned threshold; one message can show several, so the mix does not sum to 1). Neutral is not part of
  the mix: it is reported apart, as ``no_emotion``, the share of messages in which none of the six was detected.
- **Trend**: the messages in time order, split into up to :data:`MAX_STRETCHES` stretches of (nearly) equal
  count, at least :data:`MIN_PER_STRETCH` messages each. A stretch's *warmth* is the mean of
  ``(P(positive) - 0.5) * 2``: -1 when every message is surely negative, +1 when every one is surely positive.
  The discussion "warmed up" or "cooled" when the least-squares line through the stretches rises or falls by
  more than :data:`TREND_THRESHOLD` from the first stretch to the last; otherwise it held "steady".
- **Extremes**: the most positive message (only if one reads positive, P > 0.5) and the most negative one (only
  if one reads negative, P < 0.5); ties go to the newer message.

Also :func:`title_matcher`, which picks the messages that mention a film by its title.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from models.film.catalog import normalise_words
from models.tasks.mood import EMOTIONS, SENTIMENTS

if TYPE_CHECKING:
    from models.mood.classifier import MoodScore

log = logging.getLogger(__name__)

MAX_STRETCHES = 8
MIN_PER_STRETCH = 3
TREND_THRESHOLD = 0.2  # change in warmth (-1..1) from the first stretch to the last that counts as a trend
TRENDS = ("warmed up", "cooled", "steady")
_ARTICLES = ("the", "a", "an")

# the chart: a dark card (Discord's dark theme), readable on the light theme too
CHART_SIZE = (8.0, 4.0)  # inches at 100 dpi: 800 x 400 pixels
_BACKGROUND = "#2b2d31"
_PANEL = "#313338"
_TEXT = "#dbdee1"
_MUTED = "#949ba4"
_GRID = "#4e5058"
_POSITIVE = "#57f287"
_NEGATIVE = "#ed4245"
EMOTION_COLOURS = {
    "anger": "#ed4245",
    "disgust": "#3ba55d",
    "fear": "#9b59b6",
    "joy": "#fee75c",
    "sadness": "#5865f2",
    "surprise": "#eb459e",
}
# Fonts for the chart's words in Chinese, Japanese and Korean (matplotlib's DejaVu has none of their glyphs): subsets
# of Noto Sans CJK (SIL OFL 1.1, Debian's fonts-noto-cjk) holding only the characters of the chart's texts in the
# catalogs (`scripts/chart_fonts.py` makes them; `CHART_FONTS` names the one per catalog locale).
FONT_DIR = Path(__file__).resolve().parents[1] / "weights" / "fonts"
CHART_FONTS = {"zh_CN": "chart-sc.otf", "zh_TW": "chart-tc.otf", "ja": "chart-jp.otf", "ko": "chart-kr.otf"}


def chart_font(locale: str) -> Path | None:
    """The font the chart's words in `locale` are drawn in (None: matplotlib's own, for Latin-script locales)."""
    name = CHART_FONTS.get(locale)
    return FONT_DIR / name if name else None


@dataclass(frozen=True)
class ChartLabels:
    """The chart's words, already in the member's language and filled with the report's figures (the caller
    translates; None: English), and the font to draw them in (None: matplotlib's DejaVu Sans). `numeric_dates`: tick
    labels without month or day names (strftime's are English)."""

    emotions: dict[str, str] = field(default_factory=lambda: {name: name for name in EMOTIONS})
    mix_title: str = "Emotions (share of messages)"
    negative: str = "negative"
    positive: str = "positive"
    no_emotion: str | None = None  # "no clear emotion: 12%"
    trend_title: str | None = None  # "Trend: warmed up"
    count: str | None = None  # "20 messages"
    font: Path | None = None
    numeric_dates: bool = False


@dataclass(frozen=True)
class Scored:
    """One member's message and the classifier's verdict on it."""

    message_id: int
    jump_url: str
    author: str
    created_at: datetime
    text: str
    score: MoodScore


@dataclass(frozen=True)
class Stretch:
    """A run of consecutive messages and their warmth (-1..1)."""

    start: datetime
    end: datetime
    count: int
    warmth: float


@dataclass(frozen=True)
class MoodReport:
    messages: tuple[Scored, ...]  # oldest first
    shares: dict[str, float]  # positive / negative / mixed / neutral -> share of messages
    emotions: dict[str, float]  # each of the six emotions -> share of messages it was detected in
    no_emotion: float  # share of messages with none of the six detected
    warmth: float  # mean warmth of all messages, -1..1
    trend: tuple[Stretch, ...]
    trend_word: str  # "warmed up" | "cooled" | "steady"
    trend_change: float  # fitted warmth of the last stretch minus that of the first
    most_positive: Scored | None
    most_negative: Scored | None

    @property
    def count(self) -> int:
        return len(self.messages)

    def liked(self, n: int) -> list[Scored]:
        """Up to `n` messages that read positive, most positive first."""
        ranked = sorted(self.messages, key=lambda m: (-m.score.positive, -m.message_id))
        return [m for m in ranked if m.score.positive > 0.5][:n]

    def disliked(self, n: int) -> list[Scored]:
        """Up to `n` messages that read negative, most negative first."""
        ranked = sorted(self.messages, key=lambda m: (m.score.positive, -m.message_id))
        return [m for m in ranked if m.score.positive < 0.5][:n]


def warmth(positive: float) -> float:
    """P(positive) 0..1 as warmth -1..1."""
    return (positive - 0.5) * 2.0


def _chunks(n: int) -> list[tuple[int, int]]:
    """[start, end) index ranges splitting `n` items into up to MAX_STRETCHES nearly equal runs."""
    k = max(1, min(MAX_STRETCHES, n // MIN_PER_STRETCH))
    base, extra = divmod(n, k)
    ranges, start = [], 0
    for i in range(k):
        size = base + (1 if i < extra else 0)
        ranges.append((start, start + size))
        start += size
    return ranges


def stretches(messages: Sequence[Scored]) -> tuple[Stretch, ...]:
    """The trend: `messages` (oldest first) in up to MAX_STRETCHES runs with their mean warmth."""
    out = []
    for start, end in _chunks(len(messages)):
        run = messages[start:end]
        mean = sum(warmth(m.score.positive) for m in run) / len(run)
        out.append(Stretch(run[0].created_at, run[-1].created_at, len(run), mean))
    return tuple(out)


def trend_of(runs: Sequence[Stretch]) -> tuple[str, float]:
    """("warmed up" | "cooled" | "steady", the fitted change in warmth from the first stretch to the last)."""
    k = len(runs)
    if k < 2:
        return "steady", 0.0
    mean_x = (k - 1) / 2
    mean_y = sum(r.warmth for r in runs) / k
    slope = sum((i - mean_x) * (r.warmth - mean_y) for i, r in enumerate(runs)) / sum(
        (i - mean_x) ** 2 for i in range(k))
    change = slope * (k - 1)
    if change > TREND_THRESHOLD:
        return "warmed up", change
    if change < -TREND_THRESHOLD:
        return "cooled", change
    return "steady", change


def build_report(messages: Iterable[Scored]) -> MoodReport:
    """The report on `messages` (any order). Raises ValueError when there are none."""
    ordered = tuple(sorted(messages, key=lambda m: (m.created_at, m.message_id)))
    if not ordered:
        raise ValueError("no messages to report on")
    n = len(ordered)
    shares = {label: sum(m.score.label == label for m in ordered) / n for label in SENTIMENTS}
    emotions = {name: sum(name in m.score.detected for m in ordered) / n for name in EMOTIONS}
    no_emotion = sum(not any(e in EMOTIONS for e in m.score.detected) for m in ordered) / n
    runs = stretches(ordered)
    word, change = trend_of(runs)
    newest_first = ordered[::-1]  # max/min keep the first of equals: the newer message
    top = max(newest_first, key=lambda m: m.score.positive)
    bottom = min(newest_first, key=lambda m: m.score.positive)
    return MoodReport(
        messages=ordered,
        shares=shares,
        emotions=emotions,
        no_emotion=no_emotion,
        warmth=sum(warmth(m.score.positive) for m in ordered) / n,
        trend=runs,
        trend_word=word,
        trend_change=change,
        most_positive=top if top.score.positive > 0.5 else None,
        most_negative=bottom if bottom.score.positive < 0.5 else None,
    )


# -- film mentions ---------------------------------------------------------------------------------------------


_POSSESSIVE = re.compile(r"['’]s\b", re.IGNORECASE)


def _forms(text: str) -> set[str]:
    """`text`'s words, case-, accent- and punctuation-folded, with numbers as written and as digits, and with
    possessives as written and without ("Alien's" is also "Alien")."""
    return {" ".join(normalise_words(variant, numbers=numbers))
            for variant in {text, _POSSESSIVE.sub("", text)} for numbers in (False, True)}


def title_matcher(title: str) -> Callable[[str], bool]:
    """A test for "does this message mention the film": its title as whole words, ignoring case, accents and
    punctuation ("Amélie" in "amelie!!", "Alien" not in "Aliens"); numbers match as written or as digits
    ("Rocky II", "rocky 2"); a leading article may be left out when two or more words remain ("dark knight")."""
    wanted = {form for form in _forms(title) if form}
    for form in list(wanted):
        words = form.split()
        if len(words) >= 3 and words[0] in _ARTICLES:
            wanted.add(" ".join(words[1:]))

    def mentions(text: str) -> bool:
        haystacks = [f" {form} " for form in _forms(text)]
        return any(f" {w} " in hay for w in wanted for hay in haystacks)

    return mentions


# -- the chart ---------------------------------------------------------------------------------------------------


def _time_format(span: timedelta, numeric: bool = False) -> str:
    """The tick labels' strftime format for a chart spanning `span`; `numeric`: digits only (no English month or
    day names)."""
    if span < timedelta(days=1):
        return "%H:%M"
    if span < timedelta(days=6):  # a few days: the day and the hour, so two ticks on one day differ
        return "%m/%d %H:%M" if numeric else "%a %H:%M"
    if span < timedelta(days=300):
        return "%m/%d" if numeric else "%d %b"
    return "%Y-%m" if numeric else "%b %Y"


def warm_charts() -> None:
    """Import matplotlib's Agg canvas ahead of the first chart (half a second on a small machine)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    del FigureCanvasAgg, Figure


def chart_png(report: MoodReport, labels: ChartLabels | None = None) -> bytes:
    """Two panels, 800x400 PNG on a dark card: the emotion mix (bars) and the trend (warmth per stretch), worded
    by `labels` (English by default).

    Uses a `Figure` with the Agg canvas directly (no pyplot, no global state), so it is safe in a thread.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    words = labels or ChartLabels()
    font: dict[str, Any] = {"fontproperties": FontProperties(fname=words.font)} if words.font is not None else {}

    fig = Figure(figsize=CHART_SIZE, dpi=100, facecolor=_BACKGROUND)
    canvas = FigureCanvasAgg(fig)
    mix, trend = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.0, 1.35]})
    for ax in (mix, trend):
        ax.set_facecolor(_PANEL)
        ax.tick_params(colors=_TEXT, labelsize=9)
        for side in ax.spines.values():
            side.set_color(_GRID)

    names = list(EMOTIONS)[::-1]  # anger at the top
    values = [report.emotions[name] for name in names]
    bars = mix.barh(names, values, color=[EMOTION_COLOURS[name] for name in names], height=0.65)
    mix.set_yticks(range(len(names)), [words.emotions.get(name, name) for name in names], **font)
    top = max([*values, 0.05]) * 1.3
    mix.set_xlim(0, top)
    mix.xaxis.set_visible(False)
    for bar, value in zip(bars, values, strict=True):
        mix.text(bar.get_width() + top * 0.02, bar.get_y() + bar.get_height() / 2, f"{value:.0%}",
                 va="center", color=_TEXT, fontsize=9)
    mix.set_title(words.mix_title, color=_TEXT, fontsize=11, loc="left", **font)
    mix.text(0.0, -0.08, words.no_emotion or f"no clear emotion: {report.no_emotion:.0%}", transform=mix.transAxes,
             color=_MUTED, fontsize=9, va="top", **font)

    xs = list(range(len(report.trend)))
    ys = [s.warmth for s in report.trend]
    trend.axhline(0.0, color=_GRID, linewidth=1)
    trend.fill_between(xs, ys, 0.0, where=[y >= 0 for y in ys], interpolate=True, color=_POSITIVE, alpha=0.25)
    trend.fill_between(xs, ys, 0.0, where=[y < 0 for y in ys], interpolate=True, color=_NEGATIVE, alpha=0.25)
    trend.plot(xs, ys, color=_TEXT, linewidth=2, marker="o", markersize=5)
    trend.set_ylim(-1.08, 1.08)
    trend.set_yticks([-1.0, 0.0, 1.0], [words.negative, "0", words.positive], **font)
    trend.set_xlim(-0.3, max(xs) + 0.3 if len(xs) > 1 else 0.3)
    first, last = report.trend[0], report.trend[-1]
    fmt = _time_format(last.end - first.start, words.numeric_dates)
    step = 1 if len(xs) <= 4 else 2
    trend.set_xticks(xs[::step], [s.end.strftime(fmt) for s in report.trend][::step], **font)
    trend.grid(axis="y", color=_GRID, linewidth=0.5)
    trend.set_title(words.trend_title or f"Trend: {report.trend_word}", color=_TEXT, fontsize=11, loc="left",
                    **font)
    fig.text(0.99, 0.01, words.count or f"{report.count} messages", color=_MUTED, fontsize=8, ha="right",
             va="bottom", **font)

    fig.tight_layout(rect=(0, 0.03, 1, 1))
    buffer = io.BytesIO()
    canvas.print_png(buffer)
    return buffer.getvalue()
