"""Film recommendations from the catalog: films like one a member liked, shaped by a mood and by what the server
enjoyed.

`recommend(catalog, like, mood, liked_ids)` scores every film in the catalog at once (numpy over a cached feature
table) and returns the best few, each with a one-line reason built from what matched:

- similarity to the liked film: shared genres (cosine over genre vectors weighted by rarity, so sharing "Sci-Fi"
  counts for more than sharing "Drama"), the same director (strong), shared cast members (medium), and era
  (closeness of release years);
- a mood (`parse_mood`): free words ("cozy", "dark", "funny", "not scary", "sci-fi"; or in the members' other
  languages, "轻松", "gemütlich": `models.film.mood_words`) mapped to genre preferences; words it doesn't know are
  ignored and reported back (`Mood.unknown`);
- critics' scores as a quality prior (Metacritic and the Rotten Tomatoes meter, shrunk towards the average for
  films with few reviews) and a little popularity;
- `liked_ids`: films this server reacted well to (a weight per film id) are boosted a little, as are films whose
  genres and director resemble them.

The liked film itself and any other entry with the same title and year are never recommended. Results are
deterministic (ties go to the lower film id). The feature table is built on first use for each catalog (about
0.5 s; `Catalog.warm` builds it off the event loop), kept by the catalog (`Catalog.derived`), and rebuilt when a
server adds films; a call then takes 3-5 ms on the shipped 17,472 films.
Nothing here imports discord.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from models.film import mood_words
from models.film.catalog import Catalog, Film, normalise, normalise_words

log = logging.getLogger(__name__)

# -- weights ----------------------------------------------------------------------------------------------------
# With a liked film, similarity dominates; mood and quality shape the order among similar films.
W_GENRE = 1.0  # times the genre cosine (0..1)
W_DIRECTOR = 0.8  # same director
W_CAST = 0.15  # per shared cast member, up to MAX_CAST
MAX_CAST = 3
W_ERA = 0.25  # times exp(-years apart / ERA_SCALE)
ERA_SCALE = 12.0
W_MOOD_LIKE = 0.6  # times the mood match (about -1.5..1.5) when a film was named
W_QUALITY_LIKE = 0.6  # times the critics' prior (about -0.45..0.4)
W_POPULAR_LIKE = 0.2  # times popularity (0..1)
# Without a liked film, the mood and the critics decide.
W_MOOD = 1.0
W_QUALITY = 1.0
W_POPULAR = 0.35
# What this server's members liked: a modest nudge, never enough to outrank a strong match.
W_SERVER = 0.3  # the film itself, times its weight relative to the server's favourite
W_SERVER_SIMILAR = 0.12  # films like the server's favourites (genre cosine, same director)
SERVER_FAVOURITES = 20  # at most this many of the server's films shape the "similar" boost

CRITIC_PRIOR = 55.0  # the score a film with no critics' data is assumed to have, out of 100
CRITIC_SHRINK = 15.0  # a film needs about this many reviews before its own score counts for half
DIRECTOR_CAP = 3  # at most this many picks by one director (or, with a liked film, its director)
POOL = 20  # candidates taken from the scores into the final (greedy, de-duplicated) selection, per pick
REASON_LIMIT = 200
SERVER_REASON = "popular with this server's reviewers"

# -- moods ------------------------------------------------------------------------------------------------------
GENRES = (
    "Drama", "Comedy", "Romance", "Action", "Crime", "Thriller", "Horror", "Documentary", "Sci-Fi", "Fantasy",
    "Adventure", "Musical", "Biography", "Mystery", "War", "Family", "Animation", "Western", "Sport", "History",
    "Music",
)  # fmt: skip

_CHEERFUL = {"Comedy": 1.0, "Family": 0.7, "Musical": 0.6, "Romance": 0.5, "Sport": 0.4, "Music": 0.4,
             "Horror": -1.0, "War": -0.7, "Crime": -0.4}
_SAD = {"Drama": 1.0, "Romance": 0.6, "War": 0.5, "Biography": 0.3, "Comedy": -0.7, "Action": -0.3}
_WEIRD = {"Fantasy": 1.0, "Sci-Fi": 0.9, "Mystery": 0.6, "Animation": 0.3}
_LIGHT = {"Comedy": 1.0, "Family": 0.6, "Animation": 0.6, "Romance": 0.5, "Horror": -1.0, "War": -0.8,
          "Thriller": -0.5, "Crime": -0.3}
_TRUE = {"Biography": 1.0, "Documentary": 0.9, "History": 0.8}

MOODS: dict[str, dict[str, float]] = {
    "cozy": {"Comedy": 1.0, "Family": 1.0, "Romance": 0.7, "Animation": 0.7, "Musical": 0.5, "Horror": -1.0,
             "War": -0.7, "Thriller": -0.5, "Crime": -0.4},
    "dark": {"Crime": 1.0, "Thriller": 1.0, "Horror": 0.7, "Mystery": 0.6, "Drama": 0.4, "War": 0.4,
             "Family": -1.0, "Animation": -0.7, "Musical": -0.7, "Comedy": -0.4},
    "funny": {"Comedy": 1.0, "Animation": 0.4, "Family": 0.3, "Horror": -0.5, "War": -0.5, "Documentary": -0.3},
    "tense": {"Thriller": 1.0, "Mystery": 0.8, "Crime": 0.7, "Horror": 0.5, "Action": 0.5, "War": 0.4,
              "Comedy": -0.6, "Family": -0.8, "Musical": -0.8},
    "sad": _SAD,
    "romantic": {"Romance": 1.0, "Musical": 0.4, "Comedy": 0.3, "Drama": 0.2, "Horror": -0.8, "War": -0.5},
    "scary": {"Horror": 1.0, "Thriller": 0.6, "Mystery": 0.4, "Family": -1.0, "Comedy": -0.5, "Musical": -0.8,
              "Animation": -0.6},
    "thoughtful": {"Drama": 1.0, "Documentary": 0.7, "Biography": 0.6, "History": 0.6, "Sci-Fi": 0.3,
                   "Action": -0.6, "Horror": -0.4},
    "epic": {"Adventure": 1.0, "War": 0.8, "History": 0.8, "Fantasy": 0.7, "Action": 0.6, "Western": 0.5,
             "Sci-Fi": 0.4},
    "exciting": {"Action": 1.0, "Adventure": 0.8, "Thriller": 0.6, "Sci-Fi": 0.4, "Documentary": -0.5},
    "uplifting": _CHEERFUL,
    "feel good": _CHEERFUL,
    "weird": _WEIRD,
    "mind bending": {"Sci-Fi": 1.0, "Mystery": 0.9, "Thriller": 0.6, "Fantasy": 0.5},
    "mysterious": {"Mystery": 1.0, "Crime": 0.6, "Thriller": 0.6},
    "adventurous": {"Adventure": 1.0, "Fantasy": 0.6, "Action": 0.6, "Western": 0.4},
    "light": _LIGHT,
    "inspiring": {"Biography": 1.0, "Sport": 0.8, "Drama": 0.5, "History": 0.5, "Horror": -0.8},
    "gritty": {"Crime": 1.0, "War": 0.8, "Western": 0.6, "Thriller": 0.6, "Drama": 0.3, "Family": -1.0,
               "Musical": -0.8, "Animation": -0.8},
    "nostalgic": {"Family": 0.8, "Musical": 0.8, "Western": 0.6, "Animation": 0.6, "Adventure": 0.5},
    "true story": _TRUE,
    "romcom": {"Romance": 1.0, "Comedy": 1.0},
}
# Genre names are moods too ("sci-fi", "horror", "westerns").
MOODS.update({normalise(g): {g: 1.0} for g in GENRES})
_SYNONYMS = {
    "cosy": "cozy", "comfy": "cozy", "comforting": "cozy", "warm": "cozy", "snug": "cozy",
    "bleak": "dark", "grim": "dark", "gloomy": "dark", "noir": "dark", "disturbing": "dark",
    "hilarious": "funny", "comic": "funny", "silly": "funny", "goofy": "funny", "laugh": "funny", "fun": "funny",
    "suspense": "tense", "suspenseful": "tense", "nervy": "tense", "edgy": "tense", "gripping": "tense",
    "thrilling": "exciting", "intense": "tense",
    "melancholy": "sad", "melancholic": "sad", "emotional": "sad", "tearjerker": "sad", "weepy": "sad",
    "heartbreaking": "sad", "moving": "sad",
    "love": "romantic", "romcoms": "romcom",
    "spooky": "scary", "creepy": "scary", "frightening": "scary", "terrifying": "scary", "chilling": "scary",
    "deep": "thoughtful", "reflective": "thoughtful", "cerebral": "thoughtful", "philosophical": "thoughtful",
    "smart": "thoughtful", "serious": "thoughtful", "meditative": "thoughtful",
    "grand": "epic", "sweeping": "epic", "spectacular": "epic",
    "fast": "exciting", "thrill": "exciting", "adrenaline": "exciting",
    "happy": "uplifting", "cheerful": "uplifting", "heartwarming": "uplifting", "wholesome": "uplifting",
    "hopeful": "uplifting", "feelgood": "feel good", "joyful": "uplifting",
    "strange": "weird", "surreal": "weird", "trippy": "weird", "quirky": "weird", "odd": "weird",
    "mindbending": "mind bending", "twisty": "mind bending", "puzzling": "mysterious", "mystery": "mystery",
    "adventure": "adventure", "chill": "light", "relaxed": "light", "relaxing": "light", "easy": "light",
    "lighthearted": "light", "breezy": "light", "inspirational": "inspiring", "rousing": "inspiring",
    "harsh": "gritty", "raw": "gritty", "retro": "nostalgic", "classic": "nostalgic",
    "real": "true story", "based on a true story": "true story",
    "scifi": "sci fi", "science fiction": "sci fi", "sf": "sci fi", "space": "sci fi", "futuristic": "sci fi",
    "doc": "documentary", "docs": "documentary", "nonfiction": "documentary",
    "biopic": "biography", "biopics": "biography", "animated": "animation", "cartoon": "animation",
    "cartoons": "animation", "kids": "family", "children": "family", "sports": "sport", "historical": "history",
    "period": "history", "cowboy": "western", "cowboys": "western", "musicals": "musical", "singing": "musical",
    "magic": "fantasy", "magical": "fantasy", "action packed": "action", "crime": "crime", "heist": "crime",
    "gangster": "crime", "war": "war", "battle": "war", "detective": "mystery", "whodunit": "mystery",
    "slasher": "horror", "monster": "horror", "ghost": "horror", "zombie": "horror",
}  # fmt: skip
# The words offered as the member types a mood (autocomplete), most useful first.
MOOD_WORDS: tuple[str, ...] = (
    "cozy", "dark", "funny", "tense", "sad", "romantic", "scary", "thoughtful", "epic", "exciting", "uplifting",
    "feel-good", "weird", "mind-bending", "mysterious", "adventurous", "light", "inspiring", "gritty", "nostalgic",
    "true story", "romcom", *(g.lower() for g in GENRES),
)  # fmt: skip
_NEGATIONS = frozenset({"not", "no", "non", "without", "nothing", "never", "less", "avoid", "dont"})
# Filler that says nothing about a mood; dropped without a mention.
_FILLER = frozenset(
    "a an the and or but something some very really bit little kind sort of mood movie movies film films for i im "
    "me my we us want wanna need feel feeling in to with like more most quite super night tonight today evening "
    "watch watching please that this is its it be please lots lot vibe vibes type genre genres one ones too so "
    "maybe perhaps also just pretty rather somewhat".split()
)
_MAX_PHRASE = 5
ENGLISH = "en"


def _fold(word: str) -> str:
    """A word as `parse_mood` reads it (`normalise_words`: case and accents folded)."""
    return " ".join(normalise_words(word, numbers=False))


# the other languages' mood words (`models.film.mood_words`), folded -> the English term they mean
_FOREIGN = {_fold(word): term for words in mood_words.WORDS.values() for word, term in words.items()}
_NEGATIONS_ABROAD = frozenset(_fold(word) for word in mood_words.NEGATIONS)
_FILLER_ABROAD = frozenset(_fold(word) for word in mood_words.FILLER)
# what a run of Chinese, Japanese or Korean characters is cut into, longest first
_PIECES = sorted({w for w in (*_FOREIGN, *_NEGATIONS_ABROAD, *_FILLER_ABROAD) if " " not in w}, key=len, reverse=True)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
# locale -> the English term -> how it is shown there: the first word its list gives for the term
_SHOWN = {locale: {term: word for word, term in reversed(words.items())} for locale, words in mood_words.WORDS.items()}


def mood_name(term: str, locale: str = ENGLISH) -> str:
    """An English mood term or genre ("light", "sci fi", "comedy") as `locale` names it ("轻松", "科幻", "喜剧");
    in English (or where the locale has no name for it) as `parse_mood` shows it ("sci-fi")."""
    shown = _SHOWN.get(locale, {}).get(term)
    if shown is not None:
        return shown
    return term.replace(" ", "-") if term in ("feel good", "mind bending", "sci fi") else term


def _cut(word: str) -> list[str]:
    """A folded word in Chinese, Japanese or Korean characters cut into the mood words, negations and filler it
    holds, longest first ("轻松又搞笑" -> "轻松", "又", "搞笑"); characters between them stay together as one word."""
    if not _CJK.search(word):
        return [word]
    out: list[str] = []
    rest = ""
    i = 0
    while i < len(word):
        piece = next((p for p in _PIECES if word.startswith(p, i)), None)
        if piece is None:
            rest += word[i]
            i += 1
            continue
        if rest:
            out.append(rest)
            rest = ""
        out.append(piece)
        i += len(piece)
    return [*out, rest] if rest else out


@dataclass(frozen=True)
class Mood:
    """A parsed mood: the terms it understood (with "not " before negated ones), the words it didn't, and the
    genre preferences they add up to (-1..1 per genre). `names`: each term's English name and whether it is
    negated, to show it in another language (`label`)."""

    text: str
    terms: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()
    prefs: Mapping[str, float] = field(default_factory=dict)
    names: tuple[tuple[str, bool], ...] = ()

    @property
    def known(self) -> bool:
        """Did any word shape the genre preferences?"""
        return bool(self.prefs)

    def label(self, locale: str = ENGLISH) -> str:
        """ "cozy", "dark, funny", "sci-fi, not scary": the understood terms; in `locale`'s words elsewhere
        ("温馨、不要恐怖")."""
        if locale == ENGLISH or locale not in mood_words.WORDS:
            return ", ".join(self.terms)
        shown = [mood_words.NOT[locale].format(mood_name(name, locale)) if negated else mood_name(name, locale)
                 for name, negated in self.names]
        return ("、" if locale in ("zh_CN", "zh_TW", "ja") else ", ").join(shown)

    def positive(self) -> list[str]:
        """The genres this mood asks for, strongest first."""
        return [g for g, w in sorted(self.prefs.items(), key=lambda kv: (-kv[1], kv[0])) if w > 0]


def _lookup(phrase: str) -> tuple[str, dict[str, float]] | None:
    """The canonical mood term and its preferences for a normalised phrase, or None."""
    for candidate in (phrase, phrase.replace(" ", "")):
        name = _SYNONYMS.get(candidate, candidate)
        if name in MOODS:
            return name, MOODS[name]
        if candidate.endswith("s") and len(candidate) > 3 and candidate[:-1] in MOODS:  # "westerns", "thrillers"
            return candidate[:-1], MOODS[candidate[:-1]]
    term = _FOREIGN.get(phrase)  # another language's word ("轻松", "gemutlich"): the English term it means
    if term is not None:
        return term, MOODS[term]
    return None


def parse_mood(text: str | None) -> Mood:
    """Read free words as a mood: "cozy", "dark and funny", "not scary", "feel-good sci-fi". Longer phrases win
    ("true story", "mind-bending"); "not"/"no"/"without" turn the next term's wishes into things to avoid; filler
    ("something", "a bit") is dropped; other words are `unknown`. The members' other languages read the same way
    (`models.film.mood_words`: "轻松又搞笑", "不要恐怖片", "sin terror")."""
    if not text or not text.strip():
        return Mood(text="")
    words = [piece for word in normalise_words(text, numbers=False) for piece in _cut(word)]
    terms: list[str] = []
    names: list[tuple[str, bool]] = []
    unknown: list[str] = []
    prefs: dict[str, float] = {}
    negate = False
    i = 0
    while i < len(words):
        found: tuple[int, str, dict[str, float]] | None = None
        for size in range(min(_MAX_PHRASE, len(words) - i), 0, -1):
            hit = _lookup(" ".join(words[i : i + size]))
            if hit is not None:
                found = (size, *hit)
                break
        if found is None:
            word = words[i]
            if word in _NEGATIONS or word in _NEGATIONS_ABROAD:
                negate = True
            elif word not in _FILLER and word not in _FILLER_ABROAD and word not in unknown:
                unknown.append(word)
            i += 1
            continue
        size, name, wishes = found
        shown = name.replace(" ", "-") if name in ("feel good", "mind bending", "sci fi") else name
        term = f"not {shown}" if negate else shown
        if term not in terms:
            terms.append(term)
            names.append((name, negate))
            for genre, weight in wishes.items():
                if negate:  # "not scary": avoid what "scary" asks for; what it avoids says nothing
                    if weight > 0:
                        prefs[genre] = prefs.get(genre, 0.0) - weight
                else:
                    prefs[genre] = prefs.get(genre, 0.0) + weight
        negate = False
        i += size
    clipped = {g: max(-1.0, min(1.0, w)) for g, w in prefs.items() if abs(w) > 1e-9}
    return Mood(text=text.strip(), terms=tuple(terms), unknown=tuple(unknown), prefs=clipped, names=tuple(names))


def mood_suggestions(current: str, limit: int = 25) -> list[str]:
    """Completions for a mood being typed: the last word completed from `MOOD_WORDS`, the earlier ones kept
    ("cozy fu" -> "cozy funny")."""
    if current[-1:].isspace():  # "cozy " -> offer a second word after it
        head, prefix = current.strip(), ""
    else:
        head, _, prefix = current.strip().rpartition(" ")
        head, prefix = head.strip(), prefix.casefold()
    if head and not prefix:
        picks = [w for w in MOOD_WORDS if w not in head.casefold().split()]
    else:
        picks = [w for w in MOOD_WORDS if w.startswith(prefix)] + [
            w for w in MOOD_WORDS if prefix and prefix in w and not w.startswith(prefix)
        ]
    out = [f"{head} {w}".strip() if head else w for w in picks]
    return [o for o in out if len(o) <= 100][:limit]


# -- the feature table ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One piece of a pick's reason, for saying it in another language: `kind` is what it says ("directed", "cast",
    "also_cast", "genres_like", "decade", "fits", "fits_mood", "server", "server_similar", "metacritic",
    "rotten_tomatoes", "genre_pick", "well_reviewed"), with its people or genres (`names`, as the catalog has them),
    the liked film's `title`, a `number` (a decade, a score) or the `mood`'s term (English)."""

    kind: str
    names: tuple[str, ...] = ()
    title: str = ""
    number: int = 0
    mood: tuple[str, bool] | None = None


@dataclass(frozen=True)
class Recommendation:
    """One pick: the film, its score (for ordering; no fixed scale) and a one-line reason (English; `parts` says it
    piece by piece)."""

    film: Film
    score: float
    reason: str
    parts: tuple[Part, ...] = ()


class _Table:
    """Every film's features as arrays, plus who directed and acted in what. Kept by the catalog (see `Recommender`)."""

    def __init__(self, rows: Iterable[tuple[Any, ...]]) -> None:
        self.films: list[Film] = []
        reviews: list[int] = []
        for row in sorted(rows, key=lambda r: r[0]):
            self.films.append(Film.from_row(row))
            reviews.append(max(int(row[12] or 0), 0))
        n = len(self.films)
        self.ids = np.fromiter((f.id for f in self.films), dtype=np.int64, count=n)
        self.position = {f.id: i for i, f in enumerate(self.films)}
        self.genre_col = {g: j for j, g in enumerate(GENRES)}
        extra = sorted({g for f in self.films for g in f.genres if g not in self.genre_col})
        for g in extra:  # a server's own film may bring a genre of its own
            self.genre_col[g] = len(self.genre_col)
        self.has_genre = np.zeros((n, len(self.genre_col)), dtype=np.float32)
        for i, f in enumerate(self.films):
            for g in f.genres:
                self.has_genre[i, self.genre_col[g]] = 1.0
        df = self.has_genre.sum(axis=0)
        self.idf = np.log((n + 1.0) / (df + 1.0)).astype(np.float32) + 0.1
        weighted = self.has_genre * self.idf
        norms = np.linalg.norm(weighted, axis=1, keepdims=True)
        self.genre_unit = np.divide(weighted, norms, out=np.zeros_like(weighted), where=norms > 0)
        self.genre_count = self.has_genre.sum(axis=1)
        self.years = np.array([f.year if f.year is not None else np.nan for f in self.films], dtype=np.float32)
        counts = np.asarray(reviews, dtype=np.float32)
        critic = np.array([_critic_score(f) for f in self.films], dtype=np.float32)
        has_critic = ~np.isnan(critic)
        critic = np.where(has_critic, critic, CRITIC_PRIOR)
        weight = np.where(has_critic, counts, 0.0)
        shrunk = (weight * critic + CRITIC_SHRINK * CRITIC_PRIOR) / (weight + CRITIC_SHRINK)
        self.quality = ((shrunk - CRITIC_PRIOR) / 100.0).astype(np.float32)
        top = math.log1p(float(counts.max())) if n else 1.0
        self.popularity = (np.log1p(counts) / (top or 1.0)).astype(np.float32)
        self.by_director: dict[str, list[int]] = {}
        self.by_cast: dict[str, list[int]] = {}
        for i, f in enumerate(self.films):
            for name in f.directors:
                self.by_director.setdefault(name, []).append(i)
            for name in f.cast:
                self.by_cast.setdefault(name, []).append(i)
        self._keys: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self.films)

    def key(self, i: int) -> str:
        """The film's normalised title (for "same title and year"), computed on demand."""
        key = self._keys.get(i)
        if key is None:
            key = self._keys[i] = normalise(self.films[i].title)
        return key

    def genre_vector(self, film: Film) -> np.ndarray:
        """The film's unit genre vector (also for a film that isn't in the table)."""
        i = self.position.get(film.id)
        if i is not None and self.films[i] == film:
            return self.genre_unit[i]
        vec = np.zeros(len(self.genre_col), dtype=np.float32)
        for g in film.genres:
            j = self.genre_col.get(g)
            if j is not None:
                vec[j] = self.idf[j]
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm > 0 else vec


def _critic_score(film: Film) -> float:
    scores = [s for s in (film.metacritic, film.rt_meter) if s is not None]
    return sum(scores) / len(scores) if scores else math.nan


def _feature_table(catalog: Catalog) -> _Table:
    table = _Table(catalog.all_rows())
    log.info("recommend: feature table built for %d films", len(table))
    return table


class Recommender:
    """Recommendations over one catalog, from the feature table the catalog keeps (built on first use, again when
    films are added). Thread-safe: calls may come from several worker threads."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def table(self) -> _Table:
        return self.catalog.derived("recommend.table", _feature_table)

    def warm(self) -> None:
        """Build the feature table now rather than on the first call."""
        self.table()

    def recommend(self, like: Film | None = None, mood: str | Mood | None = None,
                  liked_ids: Mapping[int, float] | None = None, limit: int = 5) -> list[Recommendation]:
        """Up to `limit` films, best first (see the module docstring)."""
        table = self.table()
        n = len(table)
        if n == 0 or limit <= 0:
            return []
        parsed = mood if isinstance(mood, Mood) else parse_mood(mood)
        score = np.zeros(n, dtype=np.float32)
        genre_sim = None
        if like is not None:
            genre_sim = table.genre_unit @ table.genre_vector(like)
            director = np.zeros(n, dtype=np.float32)
            for name in like.directors:
                director[table.by_director.get(name, [])] = 1.0
            cast = np.zeros(n, dtype=np.float32)
            for name in like.cast:
                cast[table.by_cast.get(name, [])] += 1.0
            score += W_GENRE * genre_sim + W_DIRECTOR * director + W_CAST * np.minimum(cast, MAX_CAST)
            if like.year is not None:
                gap = np.abs(table.years - like.year)
                score += W_ERA * np.nan_to_num(np.exp(-gap / ERA_SCALE), nan=0.0)
            score += W_QUALITY_LIKE * table.quality + W_POPULAR_LIKE * table.popularity
        else:
            score += W_QUALITY * table.quality + W_POPULAR * table.popularity
        mood_fit = None
        if parsed.known:
            mood_fit = self._mood_fit(table, parsed)
            score += (W_MOOD_LIKE if like is not None else W_MOOD) * mood_fit
        server = np.zeros(n, dtype=np.float32)
        if liked_ids:
            server = self._server_boost(table, liked_ids, exclude=like)
            score += server
        allowed = np.ones(n, dtype=bool)
        if mood_fit is not None and like is None and parsed.positive():
            allowed &= mood_fit > 0  # a mood alone: only films that fit it
        if like is not None:
            allowed &= table.ids != like.id
        score = np.where(allowed, score, -np.inf)
        picks = self._select(table, score, like, limit)
        return [self._explain(table, i, float(score[i]), like, parsed, genre_sim, server, liked_ids) for i in picks]

    @staticmethod
    def _mood_fit(table: _Table, mood: Mood) -> np.ndarray:
        """Per film: the mood's wishes among its genres (spread over how many it has) minus what it avoids."""
        pos = np.zeros(len(table.genre_col), dtype=np.float32)
        neg = np.zeros(len(table.genre_col), dtype=np.float32)
        for genre, weight in mood.prefs.items():
            j = table.genre_col.get(genre)
            if j is not None:
                (pos if weight > 0 else neg)[j] = weight
        spread = np.sqrt(np.maximum(table.genre_count, 1.0))
        return (table.has_genre @ pos) / spread + table.has_genre @ neg

    @staticmethod
    def _server_boost(table: _Table, liked_ids: Mapping[int, float], exclude: Film | None) -> np.ndarray:
        n = len(table)
        boost = np.zeros(n, dtype=np.float32)
        known = [(fid, w) for fid, w in liked_ids.items() if w > 0 and fid in table.position]
        if not known:
            return boost
        top = max(w for _, w in known)
        known.sort(key=lambda kv: (-kv[1], kv[0]))
        profile = np.zeros(len(table.genre_col), dtype=np.float32)
        directed = np.zeros(n, dtype=np.float32)
        total = 0.0
        for fid, w in known[:SERVER_FAVOURITES]:
            i = table.position[fid]
            rel = w / top
            boost[i] += W_SERVER * rel
            profile += rel * table.genre_unit[i]
            for name in table.films[i].directors:
                theirs = table.by_director.get(name, [])
                directed[theirs] = np.maximum(directed[theirs], rel)
            total += rel
        similar = (table.genre_unit @ (profile / total)) * 0.5 + directed * 0.5
        return boost + W_SERVER_SIMILAR * similar

    @staticmethod
    def _select(table: _Table, score: np.ndarray, like: Film | None, limit: int) -> list[int]:
        """The best films by score (ties: lower id), skipping the liked film's other entries (same title and
        year), duplicate entries of one film, and a director's films beyond `DIRECTOR_CAP`."""
        finite = int(np.isfinite(score).sum())
        take = min(finite, max(limit * POOL, 50))
        if take <= 0:
            return []
        top = np.argpartition(-score, take - 1)[:take] if take < len(score) else np.arange(len(score))
        top = top[np.isfinite(score[top])]
        order = top[np.lexsort((table.ids[top], -score[top]))]
        banned = {(normalise(like.title), like.year)} if like is not None else set()
        seen: set[tuple[str, int | None]] = set()
        per_director: dict[str, int] = {}
        picks: list[int] = []
        for i in (int(x) for x in order):
            film = table.films[i]
            key = (table.key(i), film.year)
            if key in banned or key in seen:
                continue
            if any(per_director.get(d, 0) >= DIRECTOR_CAP for d in film.directors):
                continue
            seen.add(key)
            for d in film.directors:
                per_director[d] = per_director.get(d, 0) + 1
            picks.append(i)
            if len(picks) == limit:
                break
        return picks

    def _explain(self, table: _Table, i: int, score: float, like: Film | None, mood: Mood, genre_sim: np.ndarray | None,
                 server: np.ndarray, liked_ids: Mapping[int, float] | None) -> Recommendation:
        """The pick with a one-line reason: what it shares with the liked film, how it fits the mood, the
        server's liking, the critics."""
        film = table.films[i]
        parts: list[str] = []
        said: list[Part] = []
        if like is not None:
            shared_directors = [d for d in film.directors if d in like.directors]
            if shared_directors:
                parts.append(f"Also directed by {_names(shared_directors)}")
                said.append(Part("directed", tuple(shared_directors[:2])))
            # the same facts as a review's: only someone in the principal cast of one of the two is named
            principal = {*self.catalog.principal_cast(film), *self.catalog.principal_cast(like)}
            shared_cast = [c for c in like.cast if c in film.cast and c in principal and c not in shared_directors]
            if shared_cast:  # the cast is listed A-Z: name the best-known (most filmed) first
                shared_cast.sort(key=lambda c: (-len(table.by_cast.get(c, ())), c))
                parts.append(f"{'with' if shared_directors else 'Also with'} {_names(shared_cast)}")
                said.append(Part("cast" if shared_directors else "also_cast", tuple(shared_cast[:2])))
            shared_genres = [g for g in like.genres if g in film.genres]
            if shared_genres and genre_sim is not None and float(genre_sim[i]) >= 0.3:
                parts.append(f"{genre_phrase(shared_genres)} like {like.title}")
                said.append(Part("genres_like", tuple(defining_genres(shared_genres)), title=like.title))
            if like.year is not None and film.year is not None and len(parts) < 2:
                if film.year // 10 == like.year // 10:
                    parts.append(f"also from the {film.year // 10 * 10}s")
                    said.append(Part("decade", number=film.year // 10 * 10))
        if mood.known:
            fits = [g for g in mood.positive() if g in film.genres][:2]
            if fits:
                label = mood.label()
                one = len(mood.terms) == 1
                named = f"{'an' if label[:1] in 'aeiou' else 'a'} {label} mood" if one else "the mood"
                parts.append(f"fits {named} ({', '.join(g.lower() for g in fits)})")
                said.append(Part("fits" if one else "fits_mood", tuple(fits), mood=mood.names[0] if one else None))
        if liked_ids and liked_ids.get(film.id, 0) > 0:
            parts.append(SERVER_REASON)
            said.append(Part("server"))
        elif liked_ids and float(server[i]) >= W_SERVER_SIMILAR * 0.75:
            parts.append("close to films this server's reviewers liked")
            said.append(Part("server_similar"))
        if len(parts) < 2 or like is None:
            critics = _critics(film)
            if critics:
                parts.append(critics)
                loved_by_metacritic = film.metacritic is not None and film.metacritic >= 75  # as `_critics` says
                said.append(Part("metacritic", number=film.metacritic or 0) if loved_by_metacritic
                            else Part("rotten_tomatoes", number=film.rt_meter or 0))
        if not parts:
            parts.append(f"a {genre_phrase(film.genres)} pick" if film.genres else "a well-reviewed pick")
            said.append(Part("genre_pick", tuple(defining_genres(film.genres))) if film.genres
                        else Part("well_reviewed"))
        reason = "; ".join(parts)
        reason = reason[:1].upper() + reason[1:]
        if len(reason) > REASON_LIMIT:
            reason = reason[: REASON_LIMIT - 1].rstrip() + "…"
        return Recommendation(film=film, score=round(score, 4), reason=reason, parts=tuple(said))


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{names[0]} and {names[1]}"


# Which genres say most about a film, for naming two of them ("sci-fi horror", not "action adventure").
_DEFINING = ("Horror", "Sci-Fi", "Western", "War", "Animation", "Musical", "Documentary", "Crime", "Romance",
             "Comedy", "Fantasy", "Thriller", "Mystery", "Biography", "Sport", "Family", "Adventure", "Action",
             "History", "Music", "Drama")
# In a two-genre phrase the earlier one is the modifier ("crime thriller", "romantic comedy", "war drama").
_MODIFIER_FIRST = ("Sci-Fi", "Fantasy", "Animation", "Crime", "Mystery", "War", "History", "Biography", "Sport",
                   "Music", "Family", "Romance", "Western", "Musical", "Action", "Comedy", "Horror", "Adventure",
                   "Thriller", "Documentary", "Drama")
_AS_MODIFIER = {"Animation": "animated", "Romance": "romantic", "Biography": "biographical",
                "History": "historical", "Sport": "sports"}


def _rank(order: tuple[str, ...], genre: str) -> int:
    return order.index(genre) if genre in order else len(order)


def defining_genres(genres: Iterable[str]) -> list[str]:
    """The two genres that say most about a film, the modifier first: ("Action", "Horror", "Sci-Fi") -> ["Sci-Fi",
    "Horror"]."""
    picked = sorted(dict.fromkeys(genres), key=lambda g: (_rank(_DEFINING, g), g))[:2]
    return sorted(picked, key=lambda g: (_rank(_MODIFIER_FIRST, g), g))


def genre_phrase(genres: Iterable[str]) -> str:
    """Two genres that say most about a film, as a phrase: ("Action", "Horror", "Sci-Fi") -> "sci-fi horror"."""
    picked = defining_genres(genres)
    if len(picked) == 2:
        return f"{_AS_MODIFIER.get(picked[0], picked[0].lower())} {picked[1].lower()}"
    return picked[0].lower() if picked else ""


def _critics(film: Film) -> str:
    if film.metacritic is not None and film.metacritic >= 75:
        return f"critics loved it (Metacritic {film.metacritic})"
    if film.rt_meter is not None and film.rt_meter >= 90:
        return f"critics loved it (Rotten Tomatoes {film.rt_meter}%)"
    return ""


def recommender_for(catalog: Catalog) -> Recommender:
    """The catalog's recommender (cheap to make: the catalog keeps its feature table)."""
    return Recommender(catalog)


def recommend(catalog: Catalog, like: Film | None = None, mood: str | Mood | None = None,
              liked_ids: Mapping[int, float] | None = None, limit: int = 5) -> list[Recommendation]:
    """Up to `limit` catalog films for a member who liked `like` (or None) in the mood `mood` (free words, or
    None), nudged towards what this server liked (`liked_ids`: film id -> weight > 0). Best first; never `like`
    itself or another entry with its title and year. Synchronous (3-5 ms once warm, about 0.5 s for the first
    call on a catalog), so run it in a thread from the event loop."""
    return recommender_for(catalog).recommend(like, mood, liked_ids, limit)
