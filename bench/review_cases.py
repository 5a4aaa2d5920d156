"""The /review cases of bench/review_quality.py: a film, a member's notes, a rating, written the way members write.

The cases are the rows of review_cases.tsv. Films are well known and in the shipped catalog (1940-2014), except the
few after a line `# not in the catalog` (later films, and one invented title). Notes are short and vague about
people ("the lead", "the villain", "the old guy"); some name a character or an actor themselves, and then the
review may name them too. Ratings are on both scales
(`scale` 5 or 10), about a third negative (<= 40% of the scale), a third mixed and a third positive (>= 70%), with
decimals and a few cases with no rating at all; the notes agree with the rating. /review takes a bare number and
reads one up to 5 as out of 5, so every x/10 here is above 5 (a member cannot give 3/10) and the negative ratings
are out of 5.

The order mixes ratings, scales and unknown films, so that `--films 20` is a fair sample of the whole. This module
imports nothing from the bot: bench/review_quality.py also reads it from a child process that runs older code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Case:
    film: str  # what the member typed: a title and its year, e.g. "Fargo 1996"
    notes: str
    rating: float | None = None
    scale: int | None = None  # 5 or 10 when rating is set
    tone: str | None = None

    @property
    def share(self) -> float | None:
        """The rating as a share of its scale (0..1), or None without a rating."""
        return None if self.rating is None or self.scale is None else self.rating / self.scale


def _number(text: str) -> float | None:
    return float(text) if text.strip() else None


CASES_TSV = Path(__file__).with_name("review_cases.tsv")


def load(path: Path = CASES_TSV) -> tuple[Case, ...]:
    """The cases of a TSV with the columns film, notes, rating, scale, tone (empty: none); `#` lines are notes."""
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()[1:]
            if line.strip() and not line.startswith("#")]
    return tuple(Case(film, notes, _number(rating), int(scale) if scale.strip() else None, tone.strip() or None)
                 for film, notes, rating, scale, tone in rows)


CASES: tuple[Case, ...] = load()
