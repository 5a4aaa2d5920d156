"""Film resolver accuracy and speed: 200 noisy queries made from catalog titles, top-1 accuracy and median time.

Each query starts from a film drawn from the shipped catalog (fixed seed) and gets, independently:
lower-case (p = 0.7), accents dropped (p = 0.7), one typo (p = 0.7: a letter deleted, inserted, replaced or
swapped with its neighbour; only in titles of at least four letters, as a typo in "Up" makes another word),
and the film's year appended as "title 2004" or "title (2004)" (p = 0.5).

A query counts as correct when the top candidate is the film it was made from. When several films share the
title and the query carries no year, nothing can tell them apart: the query then counts as correct when the
resolution is flagged ambiguous (the bot asks the member) and the film is among the candidates.

    python bench/resolver.py                 # last line: top1 X median_ms Y
    python bench/resolver.py --n 1000 --seed 1
"""

from __future__ import annotations

import argparse
import random
import statistics
import string
import sys
import time
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.film.catalog import Catalog, Film, title_keys


def strip_accents(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def typo(text: str, rng: random.Random) -> str:
    letters = [i for i, ch in enumerate(text) if ch.isalpha()]
    i = rng.choice(letters)
    op = rng.choice(("delete", "insert", "replace", "swap"))
    new = rng.choice(string.ascii_lowercase)
    if op == "delete":
        return text[:i] + text[i + 1 :]
    if op == "insert":
        return text[:i] + new + text[i:]
    if op == "replace":
        others = [c for c in string.ascii_lowercase if c != text[i].lower()]
        return text[:i] + rng.choice(others) + text[i + 1 :]
    j = i + 1 if i + 1 < len(text) else i - 1
    lo, hi = min(i, j), max(i, j)
    if text[lo] == text[hi]:  # swapping equal letters changes nothing: replace instead
        return text[:i] + new + text[i + 1 :]
    return text[:lo] + text[hi] + text[lo] + text[hi + 1 :]


def make_query(film: Film, rng: random.Random) -> tuple[str, set[str]]:
    text, noise = film.title, set[str]()
    if rng.random() < 0.7:
        text, noise = text.lower(), noise | {"lower"}
    if rng.random() < 0.7 and strip_accents(text) != text:
        text, noise = strip_accents(text), noise | {"accents"}
    if rng.random() < 0.7 and sum(ch.isalpha() for ch in text) >= 4:
        text, noise = typo(text, rng), noise | {"typo"}
    if rng.random() < 0.5 and film.year:
        text = f"{text} {film.year}" if rng.random() < 0.5 else f"{text} ({film.year})"
        noise |= {"year"}
    return text, noise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="number of queries")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--catalog", type=Path, default=None, help="catalog file (default: the shipped one)")
    parser.add_argument("--show", action="store_true", help="print every miss")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    catalog = Catalog.open(args.catalog)
    catalog.warm()
    print(f"open + index: {(time.perf_counter() - started) * 1000:.0f} ms, {len(catalog)} films")

    rng = random.Random(args.seed)
    ids = catalog.ids()
    films = [f for f in (catalog.get(i) for i in rng.sample(ids, args.n)) if f is not None]
    correct, times, misses = 0, [], []
    by_noise: dict[str, list[int]] = {}
    for film in films:
        query, noise = make_query(film, rng)
        t0 = time.perf_counter()
        res = catalog.resolve(query)
        times.append((time.perf_counter() - t0) * 1000)
        top = res.candidates[0].film if res.candidates else None
        ok = top is not None and top.id == film.id
        if not ok and top is not None and "year" not in noise:
            same_title = title_keys(top.title).full == title_keys(film.title).full
            listed = any(m.film.id == film.id for m in res.candidates)
            ok = same_title and res.ambiguous and listed
        correct += ok
        for name in noise or {"none"}:
            by_noise.setdefault(name, [0, 0])[0] += ok
            by_noise[name][1] += 1
        if not ok:
            misses.append(f"  {query!r} -> {top.label() if top else None!r} (wanted {film.label()!r})")
    for name, (good, total) in sorted(by_noise.items()):
        print(f"{name:8} {good}/{total}")
    if args.show or len(misses) <= 20:
        print("misses:", *misses, sep="\n")
    # autocomplete as a member types: every prefix of 2+ characters of the same noisy queries
    typing_ms = []
    for film in films[:50]:
        query, _ = make_query(film, rng)
        for end in range(2, len(query) + 1):
            t0 = time.perf_counter()
            catalog.autocomplete(query[:end], limit=25)
            typing_ms.append((time.perf_counter() - t0) * 1000)
    typing_ms.sort()
    print(f"autocomplete: {len(typing_ms)} keystrokes, median {statistics.median(typing_ms):.2f} ms, "
          f"p99 {typing_ms[int(0.99 * (len(typing_ms) - 1))]:.2f} ms, max {typing_ms[-1]:.2f} ms "
          "(Discord's deadline: 3000 ms)")
    print(f"top1 {correct / len(films):.3f} median_ms {statistics.median(times):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
