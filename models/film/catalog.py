"""Film facts: a read-only catalog of 17,472 films (1940-2014) and a resolver for what members type.

The catalog is a SQLite file built by `scripts/build_catalog.py` from the CC0 Wikidata film table (see
`data/catalog/LICENSE.md`). A server's own additions go to a second, writable file (`extra_path`), so the
shipped file is never written to.

Matching works on normalised titles (`normalise`): accents stripped, case folded, punctuation dropped,
"&" read as "and", number words and roman numerals read as digits ("part ii" == "part 2" == "part two").
Each title is stored in the `title_key` table under up to four compact keys (spaces removed, see
`TitleKeys`): the full title, the title without a leading article ("the godfather" -> "godfather"), that
without "part"/"vol."/"episode" before a number ("godfather 2"), and the full title with its numbers as
written. `resolve` finds candidates whose keys are equal to, one edit away from, or share the most trigrams
with the query's, scores them by edit distance, reads a trailing year ("Crash 2004", "Crash (2004)") as a
filter, and breaks ties by popularity (the number of Rotten Tomatoes reviews). Several films close to the top
score make the result `ambiguous`: the caller must ask which one was meant, never pick silently;
`Resolution.film` is the one film meant, or None.

A film's titles in other languages (`titles_local.tsv` beside the catalog file: Chinese, Japanese, Spanish; see
`models.film.local_titles`) are keyed the same way, traditional Chinese read as simplified, and indexed beside its
English title, so "肖申克的救赎", "刺激1995" and "鐵達尼號" resolve like "The Shawshank Redemption"; `local_title` tells
autocomplete which one to show.

Lookups are synchronous and take a few milliseconds; the first one builds an in-memory index of the title
keys (about 0.2 s, plus about 0.5 s for the local titles). The catalog keeps that index and everything else
built from all its films (`Catalog.derived`: the actors' prominence, the grounding check's people, the
recommender's feature table); `models.film.indexes.warm` builds them all at startup, off the event loop (the
modules that derive them import this one, never the reverse). Films added while the bot runs, by `add` or by
another process (`cinebot catalog add`, seen by `refresh` within a few seconds), make them be built again on next
use. Nothing here imports discord.
"""

from __future__ import annotations

import bisect
import csv
import logging
import math
import re
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar, cast

import numpy as np

from models.film import local_titles as local
from models.film.local_titles import LocalTitle
from models.text import InputError

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "data" / "catalog" / "films.sqlite3"
SCHEMA_VERSION = 1  # PRAGMA user_version of a catalog file
NORM_VERSION = "1"  # bump when `normalise` or `title_keys` change: the shipped file must then be rebuilt
LIST_SEP = "|"
PRINCIPAL_CAST = 5  # how many actors of a film count as its principal cast
STORIES_FILE = "plots.tsv"  # beside the catalog file: plot lines and billed leads (see `Story`)
REFRESH_S = 2.0  # how often, at most, a catalog checks whether another process added films

KEY_FULL, KEY_NOART, KEY_CORE, KEY_SPELLED = 1, 2, 4, 8
# A match on the title without its article or "part" counts a little less than one on the full title, so
# "the actress" prefers "The Actress" to "Actress" (both stay within the ambiguity margin).
_KIND_WEIGHT = {KEY_FULL: 1.0, KEY_SPELLED: 1.0, KEY_NOART: 0.985, KEY_CORE: 0.975}

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS film (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    year INTEGER,
    runtime INTEGER,
    genres TEXT NOT NULL DEFAULT '',
    directors TEXT NOT NULL DEFAULT '',
    writers TEXT NOT NULL DEFAULT '',
    "cast" TEXT NOT NULL DEFAULT '',
    languages TEXT NOT NULL DEFAULT '',
    countries TEXT NOT NULL DEFAULT '',
    metacritic INTEGER,
    rt_meter INTEGER,
    reviews INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS title_key (
    key TEXT NOT NULL,
    film_id INTEGER NOT NULL,
    kinds INTEGER NOT NULL,
    PRIMARY KEY (key, film_id)
) WITHOUT ROWID;
"""

FILM_COLUMNS = (
    'id, title, year, runtime, genres, directors, writers, "cast", languages, countries, metacritic, rt_meter, reviews'
)

# Trailing year: "Crash 2004", "Crash (2004)", "Crash [2004]", "Crash, 2004".
_YEAR_RE = re.compile(r"^(?P<title>.*?)[\s,(\[]*\b(?P<year>1[89]\d\d|20\d\d)\b[)\]]?\s*$")
_APOSTROPHES = re.compile(r"['’‘`´]")
_NON_WORD = re.compile(r"[\W_]+")
_ROMAN = re.compile(r"^(x{0,3})(ix|iv|v?i{0,3})$")
_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10}
_NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen twenty".split()
    )
}
_FOLD = str.maketrans({"æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"})
_ARTICLES = frozenset({"the", "a", "an", "le", "la", "les", "el", "il"})
_PART_WORDS = frozenset({"part", "pt", "chapter", "vol", "volume", "episode", "ep"})

# Scoring.
_POPULARITY_WEIGHT = 0.01  # a tie-break only: never outweighs a character of difference
_AMBIGUOUS_MARGIN = 0.02  # runner-up this close to the top: ask
_CONFIDENT = 0.8  # below this the top candidate is a guess, not a match
_PLAUSIBLE = 0.6  # below this nothing fits: the film is not in the catalog, there is nothing to choose between
_MIN_SCORE = 0.35  # candidates below this are not returned
_WRONG_YEAR = 0.3  # the query names a year and the film is from another one
_NEAR_YEAR = 0.05  # one year off: release dates differ between countries
_AUTOCOMPLETE_FUZZY = 0.5  # typo matches offered after the titles that start with what was typed
_FUZZY_POOL = 48
_EDITS1_MAX = 10  # keys up to this long also look up every key one edit away
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"  # keys taken from the trigram stage into the edit-distance stage


class CatalogError(RuntimeError):
    """The catalog file is missing, unreadable or out of date; the message says how to fix it."""


def _roman(token: str) -> str:
    if token in ("", "i") or not _ROMAN.match(token):
        return token
    total = 0
    for i, ch in enumerate(token):
        value = _ROMAN_VALUES[ch]
        nxt = _ROMAN_VALUES[token[i + 1]] if i + 1 < len(token) else 0
        total += -value if value < nxt else value
    return str(total)


def normalise_words(text: str, numbers: bool = True) -> list[str]:
    """The words of `text`, accent- and case-folded, punctuation dropped; with `numbers`, number words and
    roman numerals (after the first word: "Rocky II", not "X" or "V for Vendetta") as digits."""
    text = unicodedata.normalize("NFKD", text.replace("&", " and "))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold().translate(_FOLD)
    text = _NON_WORD.sub(" ", _APOSTROPHES.sub("", text))
    words = text.split()
    if not numbers:
        return words
    words = [_NUMBER_WORDS.get(w, w) for w in words]
    return words[:1] + [_roman(w) for w in words[1:]]


def normalise(text: str) -> str:
    """`normalise("The Godfather: Part II")` == "the godfather part 2"; `normalise("Amélie")` == "amelie"."""
    return " ".join(normalise_words(text))


@dataclass(frozen=True, slots=True)
class TitleKeys:
    """The compact forms (spaces removed) a title is stored and matched under: `full`; `noart`, without a
    leading article; `core`, also without "part"/"vol."/"episode" before a number; `spelled`, the full title
    with its numbers as written, so that a typo in "Thirteen Days" still lands near it."""

    full: str
    noart: str
    core: str
    spelled: str

    def by_kind(self) -> dict[str, int]:
        """Each distinct key with the bitmask of the kinds it stands for."""
        kinds: dict[str, int] = {}
        for key, kind in self.pairs():
            if key:
                kinds[key] = kinds.get(key, 0) | kind
        return kinds

    def pairs(self) -> tuple[tuple[str, int], ...]:
        """(key, kind) for each of the four forms."""
        return ((self.full, KEY_FULL), (self.noart, KEY_NOART), (self.core, KEY_CORE), (self.spelled, KEY_SPELLED))


def title_keys(title: str) -> TitleKeys:
    """The compact keys of a title (see `TitleKeys`)."""
    words = normalise_words(title)
    if not words:  # a title of punctuation only ("$"): keep it findable as typed
        raw = "".join(title.split()).casefold()
        return TitleKeys(raw, raw, raw, raw)
    noart = words[1:] if len(words) > 1 and words[0] in _ARTICLES else words
    core = [
        w
        for i, w in enumerate(noart)
        if not (w in _PART_WORDS and i + 1 < len(noart) and noart[i + 1].isdigit() and i > 0)
    ]
    return TitleKeys("".join(words), "".join(noart), "".join(core), "".join(normalise_words(title, numbers=False)))


def split_year(query: str) -> tuple[str, int | None]:
    """("Crash (2004)") -> ("Crash", 2004); a query that is only a year ("1984") keeps it as the title."""
    m = _YEAR_RE.match(query.strip())
    if m and m.group("title").strip(" ,([-"):
        return m.group("title").strip(" ,([-"), int(m.group("year"))
    return query.strip(), None


def _split_list(value: str) -> tuple[str, ...]:
    return tuple(v for v in value.split(LIST_SEP) if v) if value else ()


def _join_list(values: Iterable[str]) -> str:
    return LIST_SEP.join(v.strip().replace(LIST_SEP, "/") for v in values if v and v.strip())


@dataclass(frozen=True, slots=True)
class Film:
    """One film. Cast is in the source's order (alphabetical by first name), not billing order. Slotted, as are
    the catalog's other values: indexes over the whole catalog keep one per film."""

    id: int
    title: str
    year: int | None = None
    runtime: int | None = None
    genres: tuple[str, ...] = ()
    directors: tuple[str, ...] = ()
    writers: tuple[str, ...] = ()
    cast: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    metacritic: int | None = None
    rt_meter: int | None = None

    @property
    def user_added(self) -> bool:
        """Added by a server (kept in the extra file), not from the shipped catalog."""
        return self.id < 0

    def _directed_by(self) -> str:
        if len(self.directors) > 2:
            return f"{self.directors[0]} et al."
        return " & ".join(self.directors)

    def title_year(self) -> str:
        """ "Title (Year)", or the title alone when the year is unknown."""
        return f"{self.title} ({self.year})" if self.year else self.title

    def label(self) -> str:
        """ "Title (Year), Director", as shown in autocomplete and when asking which film was meant."""
        text = self.title_year()
        director = self._directed_by()
        return f"{text}, {director}" if director else text

    def facts_line(self) -> str:
        """One compact line of facts for prompts and footers; fields that are unknown are left out."""
        parts = [self.title_year()]
        if self.directors:
            parts.append(f"dir. {self._directed_by()}")
        if self.runtime:
            parts.append(f"{self.runtime} min")
        if self.genres:
            parts.append(", ".join(self.genres[:3]))
        if self.languages:
            parts.append(", ".join(self.languages[:2]))
        if self.countries:
            parts.append(", ".join(self.countries[:2]))
        if self.metacritic is not None:
            parts.append(f"Metacritic {self.metacritic}")
        if self.rt_meter is not None:
            parts.append(f"Rotten Tomatoes {self.rt_meter}%")
        return " · ".join(parts)

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Film:
        """A film from a `SELECT {FILM_COLUMNS}` row."""
        return cls(
            id=row[0],
            title=row[1],
            year=row[2],
            runtime=row[3],
            genres=_split_list(row[4]),
            directors=_split_list(row[5]),
            writers=_split_list(row[6]),
            cast=_split_list(row[7]),
            languages=_split_list(row[8]),
            countries=_split_list(row[9]),
            metacritic=row[10],
            rt_meter=row[11],
        )

    def to_row(self, reviews: int = 0) -> tuple[Any, ...]:
        """The values for an `INSERT INTO film ({FILM_COLUMNS})`."""
        return (
            self.id,
            self.title,
            self.year,
            self.runtime,
            _join_list(self.genres),
            _join_list(self.directors),
            _join_list(self.writers),
            _join_list(self.cast),
            _join_list(self.languages),
            _join_list(self.countries),
            self.metacritic,
            self.rt_meter,
            reviews,
        )


@dataclass(frozen=True, slots=True)
class Match:
    """A candidate film and how well it fits the query (1.0 = the title exactly, about)."""

    film: Film
    score: float


@dataclass(frozen=True, slots=True)
class Resolution:
    """Ranked candidates for a query. `ambiguous`: several fit about equally, ask the member which one."""

    query: str
    candidates: list[Match] = field(default_factory=list)
    ambiguous: bool = False
    exact: bool = False

    @property
    def film(self) -> Film | None:
        """The one film meant, or None when there is no candidate, several fit, or the best is a guess."""
        if not self.candidates or self.ambiguous or self.candidates[0].score < _CONFIDENT:
            return None
        return self.candidates[0].film


def _float(value: str) -> float | None:
    try:
        return float(value) if value.strip() else None
    except ValueError:
        return None


def _int(value: str) -> int | None:
    number = _float(value)
    return round(number) if number is not None and math.isfinite(number) else None


def _csv_list(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


def film_from_csv(row: dict[str, str], film_id: int) -> tuple[Film, int]:
    """A film and its review count from a row of the Wikidata CSV (columns Title, Year, Director, ...)."""
    film = Film(
        id=film_id,
        title=(row.get("Title") or "").strip(),
        year=_int(row.get("Year") or ""),
        runtime=_int(row.get("Runtime") or ""),
        genres=_csv_list(row.get("Genre") or ""),
        directors=_csv_list(row.get("Director") or ""),
        writers=_csv_list(row.get("Writer") or ""),
        cast=_csv_list(row.get("Cast") or ""),
        languages=_csv_list(row.get("Language") or ""),
        countries=_csv_list(row.get("Country") or ""),
        metacritic=_int(row.get("Metacritic") or ""),
        rt_meter=_int(row.get("Meter") or ""),
    )
    return film, _int(row.get("Reviews") or "") or 0


def insert_film(conn: sqlite3.Connection, film: Film, reviews: int = 0) -> None:
    """Write a film and its title keys (used by the build script and by `Catalog.add`)."""
    conn.execute(f"INSERT INTO film ({FILM_COLUMNS}) VALUES ({', '.join('?' * 13)})", film.to_row(reviews))
    conn.executemany(
        "INSERT INTO title_key (key, film_id, kinds) VALUES (?, ?, ?)",
        [(key, film.id, kinds) for key, kinds in sorted(title_keys(film.title).by_kind().items())],
    )


def init_schema(conn: sqlite3.Connection) -> None:
    """Create the tables of a catalog file and stamp its versions."""
    conn.executescript(SCHEMA)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION:d}")
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('norm_version', ?)", (NORM_VERSION,))


def _osa_distance(a: str, b: str) -> int:
    """Levenshtein distance (Myers' bit-parallel algorithm), with one adjacent swap counted as one edit."""
    if a == b:
        return 0
    if not a or not b:
        return len(a) or len(b)
    peq: dict[str, int] = {}
    for i, ch in enumerate(a):
        peq[ch] = peq.get(ch, 0) | (1 << i)
    m = len(a)
    full = (1 << m) - 1
    top = 1 << (m - 1)
    pv, mv, score = full, 0, m
    for ch in b:
        eq = peq.get(ch, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = mv | ~(xh | pv)
        mh = pv & xh
        if ph & top:
            score += 1
        elif mh & top:
            score -= 1
        ph = (ph << 1) | 1
        mh <<= 1
        pv = (mh | ~(xv | ph)) & full
        mv = ph & xv & full
    if score == 2 and len(a) == len(b):  # one adjacent transposition?
        i = next(i for i in range(len(a)) if a[i] != b[i])
        if i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]:
            return 1
    return score


def _similarity(q: str, t: str) -> float:
    """How well query key `q` fits title key `t`: 1.0 equal, about 0.9 one typo in ten letters."""
    if not q or not t:
        return 0.0
    if q == t:
        return 1.0
    longest = max(len(q), len(t))
    if abs(len(q) - len(t)) >= longest:
        return 0.0
    sim = 1.0 - _osa_distance(q, t) / longest
    if len(q) >= 3:  # a member typed the beginning of a longer title, or a distinctive part of it
        ratio = len(q) / len(t)
        if t.startswith(q):  # kept below _CONFIDENT: part of a title is never taken as the film itself
            sim = max(sim, 0.7 + 0.05 * min(len(q), 12) / 12 + 0.04 * ratio)
        elif q in t:
            sim = max(sim, 0.55 + 0.14 * ratio)
    return sim


def _edits1(key: str) -> set[str]:
    """`key` and every string one deletion, swap, replacement or insertion (of a-z, 0-9) away from it."""
    splits = [(key[:i], key[i:]) for i in range(len(key) + 1)]
    out = {key}
    out.update(a + b[1:] for a, b in splits if b)
    out.update(a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1)
    out.update(a + c + b[1:] for a, b in splits if b for c in _ALPHABET)
    out.update(a + c + b for a, b in splits for c in _ALPHABET)
    return out


def _trigrams(key: str) -> set[str]:
    padded = f"\x02{key}\x03"
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


class _TitleIndex:
    """Every title key in memory: trigram postings for the candidate stage of typo matching, and each
    film's keys, year and popularity for scoring. About 0.2 s to build for the shipped catalog."""

    def __init__(self, keys: Iterable[tuple[str, int, int]], films: Iterable[tuple[int, int | None, int]]) -> None:
        self.keys: list[str] = []
        self.films: list[int] = []
        self.by_film: dict[int, list[tuple[str, int]]] = {}
        self.by_key: dict[str, list[int]] = {}
        postings: dict[str, list[int]] = {}
        sizes: list[int] = []
        for key, film_id, kinds in keys:
            idx = len(self.keys)
            self.keys.append(key)
            self.films.append(film_id)
            self.by_film.setdefault(film_id, []).append((key, kinds))
            self.by_key.setdefault(key, []).append(film_id)
            grams = _trigrams(key)
            sizes.append(len(grams))
            for gram in grams:
                postings.setdefault(gram, []).append(idx)
        self.sizes = np.asarray(sizes, dtype=np.float32)
        self.postings = {gram: np.asarray(ids, dtype=np.int32) for gram, ids in postings.items()}
        self.years: dict[int, int | None] = {}
        reviews: dict[int, int] = {}
        for film_id, year, count in films:
            self.years[film_id] = year
            reviews[film_id] = max(count or 0, 0)
        top = math.log1p(max(reviews.values(), default=0)) or 1.0
        self.popularity = {film_id: math.log1p(n) / top for film_id, n in reviews.items()}

    def candidates(self, query_keys: Iterable[str], pool: int) -> set[int]:
        """Film ids with a key equal to a query key or one edit away from it (short keys, where one typo
        leaves few trigrams in common), and those sharing the most trigrams with it (Dice coefficient)."""
        found: set[int] = set()
        for key in set(query_keys):
            for near in _edits1(key) if len(key) <= _EDITS1_MAX else (key,):
                found.update(self.by_key.get(near, ()))
            query_grams = _trigrams(key)
            grams = [self.postings[g] for g in query_grams if g in self.postings]
            if not grams:
                continue
            counts = np.bincount(np.concatenate(grams), minlength=len(self.keys))
            dice = 2.0 * counts / (self.sizes + len(query_grams))
            take = min(pool, len(self.keys))
            best = np.argpartition(-dice, take - 1)[:take]
            found.update(self.films[int(i)] for i in best if dice[i] > 0)
        return found


class _LocalPrefix:
    """The local titles' keys in order, for autocomplete's "starts with" (the English ones are in SQLite)."""

    def __init__(self, keys: Iterable[tuple[int, str, int]]) -> None:
        pairs = sorted({(key, film_id) for film_id, key, _ in keys})
        self.keys = [key for key, _ in pairs]
        self.films = [film_id for _, film_id in pairs]

    def starting(self, prefix: str, limit: int = 2000) -> list[tuple[int, str]]:
        """(film_id, key) for the keys that start with `prefix`."""
        if not prefix:
            return []
        out: list[tuple[int, str]] = []
        i = bisect.bisect_left(self.keys, prefix)
        while i < len(self.keys) and self.keys[i].startswith(prefix) and len(out) < limit:
            out.append((self.films[i], self.keys[i]))
            i += 1
        return out


@dataclass(frozen=True, slots=True)
class Story:
    """What the catalog knows of a film's story: its plot line (the opening sentences of its Wikipedia plot
    section), its leads in billing order and the page they come from (data/catalog/plots.tsv, CC BY-SA 4.0: see
    data/catalog/LICENSE.md)."""

    plot: str  # "" when only the leads are known
    leads: tuple[str, ...] = ()
    source: str = ""


def read_stories(path: Path) -> dict[int, Story]:
    """The plot lines file (`film_id, title, year, plot, leads, source`, tab-separated; a row may have leads and no
    plot): film id -> Story. A missing file is no stories."""
    stories: dict[int, Story] = {}
    try:
        with path.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                plot = (row.get("plot") or "").strip()
                names = row.get("leads") or ""
                leads = tuple(n.strip() for n in names.split(LIST_SEP if LIST_SEP in names else ", ") if n.strip())
                if (plot or leads) and (row.get("film_id") or "").lstrip("-").isdigit():
                    stories[int(row["film_id"])] = Story(plot, leads, (row.get("source") or "").strip())
    except FileNotFoundError:
        return {}
    return stories


class Catalog:
    """The shipped film catalog (read-only) plus, optionally, a server's own films in a writable file."""

    def __init__(self, conn: sqlite3.Connection, extra: sqlite3.Connection | None = None, *,
                 refresh_s: float = REFRESH_S, stories: Path | None = None, local_titles: Path | None = None) -> None:
        self._conns = [conn] if extra is None else [conn, extra]
        self._extra = extra
        self._stories_path = stories
        self._stories: dict[int, Story] | None = None
        self._local_path = local_titles
        self._local: dict[int, tuple[LocalTitle, ...]] | None = None
        self._local_key_rows: list[tuple[int, str, int]] | None = None  # the shipped file's: built once
        self._lock = threading.RLock()
        self._derived: dict[str, Any] = {}  # see `derived`
        self._popular: list[Film] | None = None
        self.refresh_s = refresh_s
        self._checked = time.monotonic()
        self._version = self._data_version()

    # -- opening and closing -------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path | None = None, extra_path: str | Path | None = None, *,
             refresh_s: float = REFRESH_S) -> Catalog:
        """Open the catalog read-only (default: the shipped file) and, if given, a writable extra file (checked for
        films other processes added at most every `refresh_s` seconds, see `refresh`)."""
        path = Path(path) if path is not None else DEFAULT_PATH
        if not path.is_file():
            raise CatalogError(f"The film catalog {path} is missing. Build it with `python scripts/build_catalog.py`.")
        uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        try:
            _check_versions(conn, path)
        except BaseException:
            conn.close()
            raise
        stories = path.parent / STORIES_FILE
        titles = path.parent / local.LOCAL_TITLES_FILE
        if extra_path is None:
            return cls(conn, refresh_s=refresh_s, stories=stories, local_titles=titles)
        try:
            return cls(conn, _open_extra(Path(extra_path)), refresh_s=refresh_s, stories=stories, local_titles=titles)
        except BaseException:
            conn.close()
            raise

    def close(self) -> None:
        """Close the files."""
        with self._lock:
            for conn in self._conns:
                conn.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        with self._lock:
            return sum(conn.execute("SELECT count(*) FROM film").fetchone()[0] for conn in self._conns)

    def ids(self) -> list[int]:
        """Every film id, in order."""
        return sorted(self._titles().years)

    def all_rows(self) -> list[tuple[Any, ...]]:
        """Every film row, shipped and added (`SELECT {FILM_COLUMNS}` order, with the review count last): one
        read-only query per file, for callers that index the whole catalog once (`Film.from_row` reads them)."""
        rows: list[tuple[Any, ...]] = []
        with self._lock:
            for conn in self._conns:
                rows.extend(conn.execute(f"SELECT {FILM_COLUMNS} FROM film"))
        return rows

    # -- reading -------------------------------------------------------------------------------------

    def _conn_for(self, film_id: int) -> sqlite3.Connection | None:
        if film_id < 0:
            return self._extra
        return self._conns[0]

    def get(self, film_id: int) -> Film | None:
        """The film with this id, or None."""
        conn = self._conn_for(film_id)
        if conn is None:
            return None
        with self._lock:
            row = conn.execute(f"SELECT {FILM_COLUMNS} FROM film WHERE id = ?", (film_id,)).fetchone()
        return Film.from_row(row) if row else None

    def _films(self, film_ids: Iterable[int]) -> dict[int, Film]:
        ids = sorted(set(film_ids))
        found: dict[int, Film] = {}
        with self._lock:
            for conn, part in ((self._extra, [i for i in ids if i < 0]), (self._conns[0], [i for i in ids if i >= 0])):
                if conn is None or not part:
                    continue
                for chunk in range(0, len(part), 500):
                    batch = part[chunk : chunk + 500]
                    sql = f"SELECT {FILM_COLUMNS} FROM film WHERE id IN ({', '.join('?' * len(batch))})"
                    for row in conn.execute(sql, batch):
                        found[row[0]] = Film.from_row(row)
        return found

    def _titles(self) -> _TitleIndex:
        return self.derived("catalog.titles", Catalog._read_titles)

    def _read_titles(self) -> _TitleIndex:
        keys: list[tuple[str, int, int]] = []
        films: list[tuple[int, int | None, int]] = []
        with self._lock:
            for conn in self._conns:
                keys.extend(conn.execute("SELECT key, film_id, kinds FROM title_key ORDER BY film_id, key"))
                films.extend(conn.execute("SELECT id, year, reviews FROM film"))
        known = {(key, film_id) for key, film_id, _ in keys}
        for film_id, key, kinds in self._local_keys():  # a film's Chinese, Japanese, Spanish titles beside its own
            if (key, film_id) not in known:
                keys.append((key, film_id, kinds))
        return _TitleIndex(keys, films)

    # -- titles in other languages (see models.film.local_titles) ------------------------------------

    def local_titles(self, film: Film) -> tuple[LocalTitle, ...]:
        """The film's titles in other languages (Chinese, Japanese, Spanish) that the titles file has."""
        if film.user_added:
            return ()
        with self._lock:
            if self._local is None:
                self._local = local.read_local_titles(self._local_path)
            return self._local.get(film.id, ())

    def _local_keys(self) -> list[tuple[int, str, int]]:
        """(film_id, key, kinds) for every local title, keyed like an English title after `local.fold` (about 0.4 s
        for the shipped file, once: the titles file never changes while the bot runs)."""
        with self._lock:
            if self._local_key_rows is not None:
                return self._local_key_rows
            if self._local is None:
                self._local = local.read_local_titles(self._local_path)
            out: list[tuple[int, str, int]] = []
            for film_id, items in self._local.items():
                kinds: dict[str, int] = {}
                for item in items:
                    for key, kind in title_keys(local.fold_title(item.title)).by_kind().items():
                        kinds[key] = kinds.get(key, 0) | kind
                out.extend((film_id, key, kind) for key, kind in kinds.items())
            self._local_key_rows = out
            return out

    def _local_prefix(self) -> _LocalPrefix:
        return self.derived("catalog.local_prefix", lambda cat: _LocalPrefix(cat._local_keys()))

    def local_title(self, film: Film, typed: str, locale: str | None = None) -> str | None:
        """The film's local title to show a member who typed `typed` ("肖申克", "刺激", "Cadena perpetua"): the one
        that fits what was typed, in the script it was typed in, else in the member's `locale` (`bot.i18n`). None
        when what was typed fits the English title (or the film has no local title)."""
        titles = self.local_titles(film)
        text, _ = split_year(typed)
        typed_keys = {k for k in title_keys(local.fold_title(text)).by_kind() if k}
        if not titles or not typed_keys:
            return None
        english = title_keys(film.title).by_kind()
        if any(key.startswith(q) for key in english for q in typed_keys):
            return None
        return local.pick(titles, text, lambda t: title_keys(local.fold_title(t)).by_kind(), locale)

    # -- what is built from every film ---------------------------------------------------------------

    def derived(self, key: str, build: Callable[[Catalog], T]) -> T:
        """A structure built from all the films (`warm` lists them): `build(self)` on first use, kept under `key`,
        and built again on the next use after films were added (by `add`, or by another process: see `refresh`).
        Built under the catalog's lock, so once per change however many threads ask."""
        self.refresh()
        with self._lock:
            if key not in self._derived:
                self._derived[key] = build(self)
            return cast(T, self._derived[key])

    def warm(self, *builders: Callable[[Catalog], object]) -> None:
        """Build the catalog's own indexes now rather than on first use, which may be on the event loop (the title
        index, the actors' prominence), then each of `builders` (what other modules derive from the films and keep
        here: `models.film.indexes.BUILDERS`, about 2 s together). Cheap when they are built already: calling it from a
        thread now and then also rebuilds them off the event loop after films were added."""
        self._titles()
        self._local_prefix()
        self._prominent()
        for build in builders:
            build(self)

    def refresh(self) -> bool:
        """Notice films that another process added to the extra file (`cinebot catalog add` while the bot runs):
        at most every `refresh_s` seconds, ask SQLite whether another connection wrote to it (`PRAGMA
        data_version`; cheap, and unlike the file's time it also sees writes still in the WAL). If so, forget the
        title index and everything `derived`, to be built again on next use. True when the films changed."""
        if self._extra is None:
            return False
        with self._lock:
            now = time.monotonic()
            if now - self._checked < self.refresh_s:
                return False
            self._checked = now
            version = self._data_version()
            if version == self._version:
                return False
            self._version = version
            self._forget()
        log.info("catalog: another process added films; the indexes are built again on next use")
        return True

    def _data_version(self) -> int | None:
        if self._extra is None:
            return None
        with self._lock:
            return int(self._extra.execute("PRAGMA data_version").fetchone()[0])

    def resolve(self, query: str, limit: int = 5) -> Resolution:
        """Films that `query` may mean ("arrival", "Crash (2004)", "the godfather part 2", "amelie"), best first."""
        self.refresh()
        text, year = split_year(query)
        readings: list[tuple[str, int | None]] = [(text, year)]
        if year is not None:
            readings.append((query.strip(), None))  # "Death Race 2000": the year may be part of the title
        index = self._titles()
        scores: dict[int, tuple[float, bool]] = {}
        for reading, want_year in readings:
            keys = title_keys(local.fold_title(reading))  # traditional Chinese is matched as simplified
            pairs = keys.pairs()
            ids = index.candidates((k for k, _ in pairs), _FUZZY_POOL)
            scored = {film_id: (sim, exact) for film_id, sim, exact in self._title_scores(index, ids, pairs)}
            for film_id, film in self._films(ids).items():  # "Star Wars", "Episode IV", "Raiders": a short name
                short = _short_name_score(film.title, {k for k, _ in pairs})
                for item in self.local_titles(film):  # "黑客帝国2" for "黑客帝国2：重装上阵"
                    short = max(short, _short_name_score(local.fold_title(item.title), {k for k, _ in pairs}))
                if short > scored.get(film_id, (0.0, False))[0]:
                    scored[film_id] = (short, False)
            for film_id, (sim, exact) in scored.items():
                if want_year is not None:
                    film_year = index.years.get(film_id)
                    gap = abs(film_year - want_year) if film_year is not None else None
                    if gap is None or gap > 1:
                        sim -= _WRONG_YEAR
                        exact = False
                    elif gap == 1:
                        sim -= _NEAR_YEAR
                        exact = False
                score = sim + _POPULARITY_WEIGHT * index.popularity.get(film_id, 0.0)
                if film_id not in scores or score > scores[film_id][0]:
                    scores[film_id] = (score, exact)
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1][0], kv[0]))
        ranked = [kv for kv in ranked if kv[1][0] >= _MIN_SCORE][: max(limit, 2)]
        films = self._films(film_id for film_id, _ in ranked)
        matches = [Match(films[film_id], round(score, 4)) for film_id, (score, _) in ranked if film_id in films]
        ambiguous = (len(matches) > 1 and matches[0].score >= _PLAUSIBLE
                     and matches[1].score >= matches[0].score - _AMBIGUOUS_MARGIN)
        exact = bool(ranked) and ranked[0][1][1]
        return Resolution(query=query, candidates=matches[:limit], ambiguous=ambiguous, exact=exact)

    @staticmethod
    def _title_scores(
        index: _TitleIndex, film_ids: set[int], pairs: Sequence[tuple[str, int]]
    ) -> Iterator[tuple[int, float, bool]]:
        for film_id in film_ids:
            best, exact = 0.0, False
            for title_key, kinds in index.by_film.get(film_id, ()):
                for query_key, kind in pairs:
                    if kinds & kind:
                        best = max(best, _similarity(query_key, title_key) * _KIND_WEIGHT[kind])
                        exact = exact or query_key == title_key
            yield film_id, best, exact

    def autocomplete(self, prefix: str, limit: int = 25) -> list[Film]:
        """Films for a slash-command option as the member types: titles starting with `prefix`, popular first,
        then close fuzzy matches. An empty prefix gives the most reviewed films."""
        self.refresh()
        text = prefix.strip()
        if not text:
            return self._most_popular(limit)
        _, year = split_year(text)
        popularity = self._titles().popularity  # (built first: it also readies the Chinese converter)
        keys = title_keys(local.fold_title(text))
        hits: dict[int, tuple[int, float]] = {}
        if year is None:
            found_keys: list[tuple[int, str]] = []
            with self._lock:
                for conn in self._conns:
                    for key in {keys.full, keys.noart, keys.core, keys.spelled}:
                        rows = conn.execute(
                            "SELECT film_id, key FROM title_key WHERE key >= ? AND key < ? LIMIT 2000",
                            (key, key + "\U0010ffff"),
                        )
                        found_keys.extend((film_id, found) for film_id, found in rows)
            for key in {keys.full, keys.noart, keys.core, keys.spelled}:
                found_keys.extend(self._local_prefix().starting(key))
            for film_id, found in found_keys:
                rank = (0 if found in {keys.full, keys.noart, keys.core, keys.spelled} else 1,
                        -popularity.get(film_id, 0.0))
                hits[film_id] = min(hits.get(film_id, rank), rank)
        ordered = [film_id for film_id, _ in sorted(hits.items(), key=lambda kv: (kv[1], kv[0]))][:limit]
        if len(ordered) < limit and len(keys.full) >= 3:
            for match in self.resolve(text, limit=limit).candidates:
                if match.film.id not in hits and match.score >= _AUTOCOMPLETE_FUZZY:
                    ordered.append(match.film.id)
                    hits[match.film.id] = (2, 0.0)
        films = self._films(ordered)
        return [films[i] for i in ordered[:limit] if i in films]

    def _most_popular(self, limit: int) -> list[Film]:
        with self._lock:
            if self._popular is None or len(self._popular) < limit:
                rows: list[tuple[Any, ...]] = []
                for conn in self._conns:
                    sql = f"SELECT {FILM_COLUMNS} FROM film ORDER BY reviews DESC, id LIMIT ?"
                    rows.extend(conn.execute(sql, (max(limit, 25),)))
                rows.sort(key=lambda r: (-r[12], r[0]))
                self._popular = [Film.from_row(r) for r in rows[: max(limit, 25)]]
            return self._popular[:limit]

    def story(self, film: Film) -> Story | None:
        """The film's plot line and billed leads, when the plot lines file has them (read on first use)."""
        with self._lock:
            if self._stories is None:
                self._stories = read_stories(self._stories_path) if self._stories_path is not None else {}
            return self._stories.get(film.id) if not film.user_added else None

    def billed_cast(self, film: Film, limit: int = PRINCIPAL_CAST) -> tuple[str, ...]:
        """The film's billed leads from the plot lines file, or () where it has none (a server's own film: its cast
        in the order the server gave). What a reply may call the
        film's stars: on 100 well-known films the billed leads hold 96% of their stars and name a star first in all
        78 films they cover, where the prominence guess names one first in 60 of 100 (`bench/leads_check.py`)."""
        if film.user_added:  # a server's own film: its cast as the server entered it
            return film.cast[:limit]
        story = self.story(film)
        return story.leads[:limit] if story is not None else ()

    def principal_cast(self, film: Film, limit: int = PRINCIPAL_CAST) -> tuple[str, ...]:
        """The few actors a film is known for: its billed leads where the plot lines file has them (Wikipedia's
        billing order), else a guess from the catalog alone (its cast lists are alphabetical and have no billing):
        see `_Prominence`, built by `warm` (about 0.4 s), and again after films are added."""
        story = self.story(film)
        if story is not None and story.leads:
            return story.leads[:limit]
        return self._prominent().principal(film, limit)

    def _prominent(self) -> _Prominence:
        return self.derived("catalog.prominence", _Prominence.of)

    def search_person(self, name: str, limit: int = 10) -> list[Film]:
        """Films that `name` directed, wrote or appears in (a substring match, ASCII case-insensitive),
        most reviewed first."""
        name = name.strip()
        if len(name) < 2:
            return []
        pattern = "%" + name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows: list[tuple[Any, ...]] = []
        with self._lock:
            for conn in self._conns:
                sql = (
                    f"SELECT {FILM_COLUMNS} FROM film WHERE directors LIKE ?1 ESCAPE '\\' "
                    "OR writers LIKE ?1 ESCAPE '\\' OR \"cast\" LIKE ?1 ESCAPE '\\' ORDER BY reviews DESC, id LIMIT ?2"
                )
                rows.extend(conn.execute(sql, (pattern, limit)))
        rows.sort(key=lambda r: (-r[12], r[0]))
        return [Film.from_row(r) for r in rows[:limit]]

    # -- a server's own films ------------------------------------------------------------------------

    def add(
        self,
        title: str,
        year: int | None = None,
        *,
        runtime: int | None = None,
        genres: Sequence[str] = (),
        directors: Sequence[str] = (),
        writers: Sequence[str] = (),
        cast: Sequence[str] = (),
        languages: Sequence[str] = (),
        countries: Sequence[str] = (),
        metacritic: int | None = None,
        rt_meter: int | None = None,
    ) -> Film:
        """Add a film to the extra file and return it (with a negative id). A film with the same title and
        year already in the catalog is returned instead of a duplicate."""
        films = self._add_many(
            [
                Film(
                    id=0,
                    title=title.strip(),
                    year=year,
                    runtime=runtime,
                    genres=tuple(genres),
                    directors=tuple(directors),
                    writers=tuple(writers),
                    cast=tuple(cast),
                    languages=tuple(languages),
                    countries=tuple(countries),
                    metacritic=metacritic,
                    rt_meter=rt_meter,
                )
            ]
        )
        return films[0]

    def import_csv(self, path: str | Path) -> list[Film]:
        """Add the films of a CSV with the Wikidata table's column names (at least Title; Year, Director,
        Writer, Cast, Genre, Runtime, Language, Country, Metacritic and Meter if present). Returns the films,
        existing ones for rows that were already in the catalog."""
        with Path(path).open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames or "Title" not in reader.fieldnames:
                raise CatalogError(f"{path} has no Title column; use the column names of the Wikidata film table.")
            films = [film_from_csv(row, 0)[0] for row in reader]
        return self._add_many([f for f in films if f.title])

    def _add_many(self, films: list[Film]) -> list[Film]:
        if self._extra is None:
            raise CatalogError("This catalog has no file for added films; open it with extra_path=...")
        if any(not f.title for f in films):
            raise ValueError("A film needs a title.")
        out: list[Film] = []
        with self._lock, self._extra:
            next_id = min(self._extra.execute("SELECT min(id) FROM film").fetchone()[0] or 0, 0) - 1
            for film in films:
                existing = self._same_film(film)
                if existing is not None:
                    out.append(existing)
                    continue
                film = replace(film, id=next_id)
                next_id -= 1
                insert_film(self._extra, film)
                out.append(film)
            self._forget()
        log.info("catalog: %d film(s) added", sum(1 for f in out if f.user_added))
        return out

    def _forget(self) -> None:
        """The films changed: drop what was built from them."""
        with self._lock:
            self._derived.clear()
            self._popular = None

    def _same_film(self, film: Film) -> Film | None:
        full = title_keys(film.title).full
        for conn in self._conns:
            for (film_id,) in conn.execute("SELECT film_id FROM title_key WHERE key = ?", (full,)):
                found = self.get(film_id)
                if found is not None and found.year == film.year:
                    return found
        return None


class _Prominence:
    """How prominent each actor is across the catalog, to pick a film's principal cast.

    An actor scores, for every fiction film they appear in (documentaries list archive footage), the film's
    review count shared out over its cast: stars are in many much-reviewed films and in the short cast lists of
    lesser ones, while extras appear mostly in the long, exhaustive lists of famous films. On 38 well-known films
    this finds 63 of their 74 leads among the top five (56 in the top four; plain film counts: 47 in four). A
    director who acts in few films of others (fewer than half as many as they direct) is not principal cast of
    their own: Hitchcock's and Spielberg's cameos. It is
    a guess: a prolific actor in a small part can outrank a lead (Samuel L. Jackson in Goodfellas; Joe Pesci
    misses its five), and the source's lists miss people.
    """

    def __init__(self, films: Iterable[tuple[Film, int]]) -> None:
        self.score: dict[str, float] = {}
        self.acted: dict[str, int] = {}  # films a person acts in that they did not direct
        self.directed: dict[str, int] = {}
        for film, reviews in films:
            for director in film.directors:
                self.directed[director] = self.directed.get(director, 0) + 1
            if "Documentary" in film.genres or not film.cast:
                continue
            weight = max(reviews, 0) / len(film.cast)
            for actor in film.cast:
                self.score[actor] = self.score.get(actor, 0.0) + weight
                if actor not in film.directors:
                    self.acted[actor] = self.acted.get(actor, 0) + 1

    @classmethod
    def of(cls, catalog: Catalog) -> _Prominence:
        return cls((Film.from_row(row), row[12] or 0) for row in catalog.all_rows())

    def principal(self, film: Film, limit: int) -> tuple[str, ...]:
        # a director in their own film's cast is a cameo unless they often act in others' films (Clint Eastwood)
        cast = [a for a in film.cast
                if a not in film.directors or self.acted.get(a, 0) >= max(3, self.directed.get(a, 0) / 2)]
        ranked = sorted(range(len(cast)), key=lambda i: (-self.score.get(cast[i], 0.0), i))
        return tuple(cast[i] for i in ranked[:limit])


_TITLE_PARTS = re.compile(r"\s*(?:[:：]|\s[–—-]\s|\s\(|\)\s*|[（）])\s*")  # "：（）": Chinese titles' colon, brackets
_PART_NAME = 0.97  # the query is a whole part of the title ("Star Wars", "Episode IV", "Terminator 2")
_LEADING_WORDS = 0.85  # the query is the title's first words ("Raiders" for "Raiders of the Lost Ark")


def _short_name_score(title: str, query_keys: set[str]) -> float:
    """How well a short name matches a long title: a whole part of it (split at a colon or a dash: "Star Wars:
    Episode IV – A New Hope" has the parts "Star Wars", "Episode IV" and "A New Hope"), or its first words. 0 when
    neither. Below an exact match of the whole title, so "Star Wars" alone still asks which film is meant."""
    parts = [p for p in _TITLE_PARTS.split(title) if p.strip()]
    if len(parts) > 1 and any(key in query_keys for part in parts for key, _ in title_keys(part).pairs()):
        return _PART_NAME
    words = normalise_words(title)
    for n in range(1, len(words)):
        lead = words[:n]
        if len("".join(lead)) >= 4 and {"".join(lead), "".join(lead[1:]) if lead[0] in _ARTICLES else ""} & query_keys:
            return _LEADING_WORDS
    return 0.0


PICKED = re.compile(r"^(.*\S)\s*\((\d{4})\)$")  # an autocomplete suggestion's value: "Title (Year)"


def unresolved(query: str, resolution: Resolution) -> InputError:
    """What to tell a member whose film title matched nothing, or several films (never guess silently). "Which
    film" only when there are real candidates; otherwise: not in the catalog, and how a server adds it."""
    close = [m for m in resolution.candidates if m.score >= _PLAUSIBLE]
    if not close:
        return InputError("{query} isn't in my film catalog (it has 17,000 films from 1940 to 2014, plus the ones "
                          "this server's bot owner adds with `cinebot catalog add`). Check the spelling, or pick one "
                          "of the suggestions as you type.", query=repr(query))
    _, year = split_year(query)
    top = close[0].film
    films = "\n".join(f"- {m.film.label()}" for m in close[:5])
    if year is None and top.year:
        return InputError("Which film do you mean? Pick a suggestion or add the year, e.g. \"{example}\".\n{films}",
                          example=f"{top.title} {top.year}", films=films)
    return InputError("Which film do you mean? Pick a suggestion.\n{films}", films=films)


def split_picked(title: str, year: int | None) -> tuple[str, int | None]:
    """A title and year from what the member sent: "Heat (1995)" (a suggestion they picked) or the two options."""
    picked = PICKED.match(title.strip())
    if picked and year is None:
        return picked.group(1), int(picked.group(2))
    return title, year


def _open_extra(path: Path) -> sqlite3.Connection:
    """The writable file for a server's own films, created on first use."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, check_same_thread=False)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        with conn:
            if conn.execute("PRAGMA user_version").fetchone()[0] == 0:
                init_schema(conn)
        _check_versions(conn, path)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise CatalogError(f"{path} is not a file of added films ({exc}).") from None
    except BaseException:
        conn.close()
        raise
    return conn


def _check_versions(conn: sqlite3.Connection, path: Path) -> None:
    try:
        schema = conn.execute("PRAGMA user_version").fetchone()[0]
        row = conn.execute("SELECT value FROM meta WHERE key = 'norm_version'").fetchone()
    except sqlite3.DatabaseError as exc:
        raise CatalogError(f"{path} is not a film catalog ({exc}).") from None
    if schema != SCHEMA_VERSION or row is None or row[0] != NORM_VERSION:
        raise CatalogError(
            f"{path} was built by another version of cinebot (schema {schema}, normaliser "
            f"{row[0] if row else '?'}; this one needs {SCHEMA_VERSION} and {NORM_VERSION}). "
            "Rebuild it with `python scripts/build_catalog.py`."
        )
