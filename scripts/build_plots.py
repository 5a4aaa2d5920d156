"""Build short plot lines and billed leads for the catalog (data/catalog/plots.tsv) from Wikipedia-derived sets.

    python scripts/build_plots.py SOURCE [SOURCE ...] [--catalog FILMS.sqlite3] [--out PLOTS.tsv]

Each SOURCE is one of (the kind is told by the file name; nothing is downloaded):

- `movies-1940s.json` ... `movies-2010s.json`: the decade files of prust/wikipedia-movie-data (American films from
  Wikipedia's "List of American films of YEAR" pages, with the cast in the list's order and the article's lead
  paragraph as `extract`). The plot line is the lead's first one or two sentences that tell the story
  ("tells the story of", "X stars as Y, a ...", "follows"); the sentences about genre, crew, release and awards are
  skipped, and a film whose lead tells no story gets no plot line.
- `movies.rda`: the British subset of the Wikipedia Movie Plots set (Kaggle, 3,670 films), as shipped in the R
  package qacData 1.0.1 (commit d995787 of rkabacoff/qacData). Read with the small R-serialisation reader below.
- `*.csv` with the Wikipedia Movie Plots columns (`Release Year, Title, Director, Cast, Wiki Page, Plot`), e.g. the
  full `wiki_movie_plots_deduped.csv`, if a complete copy is at hand.

For the two Plot-section sources the plot line is the opening one or two sentences of the plot (whole sentences,
at most about 45 words, citation marks removed); a Plot-section line wins over a lead line for the same film.

A source film joins a catalog film on the normalised title (accents, case, punctuation, "&"/"and" and a leading
article ignored) and a year within one; where both sides name a director they must share one (a lead that says
"directed" must name a catalog director, and a lead whose "is a 1947 film" is off by more than a year is another
film's article); otherwise at least one billed actor must be in the catalog cast, or the year must be exact. A title
that matches only without its subtitle ("Star Wars" for "Star Wars: Episode IV – A New Hope") needs a shared actor
and the exact year. A catalog film with two candidates left, or a source film that fits two catalog films, is
skipped. `leads` are the source's first four billed actors that are also in the catalog film's cast (catalog
spelling), "" where the source has no cast.
"""

from __future__ import annotations

import argparse
import csv
import json
import lzma
import re
import sqlite3
import struct
import sys
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CATALOG = ROOT / "data" / "catalog" / "films.sqlite3"
DEFAULT_OUT = ROOT / "data" / "catalog" / "plots.tsv"
WIKI = "https://en.wikipedia.org/wiki/"

MAX_WORDS = 45  # two sentences only if together within this
MAX_ONE = 55  # a single opening sentence may run a little longer ("~45 words")
MIN_WORDS = 6
MAX_LEADS = 4
TOP = 1000  # the catalog films with the most Rotten Tomatoes reviews, counted apart

PLOT = "plot"  # the text is a Plot section: take its opening
LEAD = "lead"  # the text is an article's lead: take its story sentences


@dataclass
class SourceFilm:
    title: str
    year: int
    text: str
    kind: str
    url: str
    cast: list[str] = field(default_factory=list)
    directors: list[str] = field(default_factory=list)


@dataclass
class CatalogFilm:
    id: int
    title: str
    year: int
    directors: list[str]
    cast: dict[str, str]  # normalised name -> catalog spelling
    reviews: int


# ---------------------------------------------------------------- normalising


def fold(text: str) -> str:
    """Lower case, accents and punctuation gone, '&' as 'and', single spaces."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = text.replace("&", " and ").replace("'", "").replace("\u2019", "")
    return " ".join(re.sub(r"[^\w\s]|_", " ", text).split())


def title_keys(title: str) -> set[str]:
    key = fold(title)
    keys = {key}
    for article in ("the ", "a ", "an "):
        if key.startswith(article):
            keys.add(key[len(article) :])
    return {k for k in keys if k}


def split_names(text: str) -> list[str]:
    """A cast or director cell: names split on commas, slashes, ' and ', new lines."""
    text = re.sub(r"\[[^\]]*\]|\([^)]*\)", " ", text or "")
    parts = re.split(r"\s*(?:,|/|;|\n|\r|\band\b|&)\s*", text)
    names = [" ".join(p.split()) for p in parts]
    return [n for n in names if n and n.lower() not in {"unknown", "jr.", "jr", "sr."}]


# ---------------------------------------------------------------- sentences

ABBREV = set(
    "mr mrs ms dr st jr sr lt capt col gen sgt prof rev fr mt vs no co inc ltd bros gov sen rep pvt cpl maj adm "
    "cmdr det insp supt messrs mme mlle ft ave e.g i.e etc approx u.s u.k d.c".split()
)
CITATION = re.compile(
    r"\[(?:\d+|[a-z]|note \d+|nb \d+|citation needed|clarification needed|when\?|who\?|by whom\?)\]", re.I
)


def alt(*parts: str) -> str:
    """One regex alternation of the parts, in a non-capturing group."""
    return "(?:" + "|".join(parts) + ")"


def clean(text: str) -> str:
    text = CITATION.sub("", text or "")
    text = text.replace("\u00a0", " ")
    return " ".join(text.split())


def sentences(text: str) -> list[str]:
    """Split on . ! ? followed by a space and a capital (or quote), except after abbreviations and initials."""
    out: list[str] = []
    start = 0
    for m in re.finditer(r"[.!?][\"'\u201d\u2019)]*\s+(?=[\"'\u201c\u2018(]?[A-Z0-9])", text):
        before = text[start : m.start() + 1]
        word = re.search(r"([\w.]+)\.$", before)
        if word and text[m.start()] == ".":
            w = word.group(1).lower()
            if w in ABBREV or re.fullmatch(r"[a-z]", w) or re.fullmatch(r"(?:[a-z]\.)+[a-z]", w):
                continue
        out.append(before.strip())
        start = m.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


def words(sentence: str) -> int:
    return len(sentence.split())


# A second sentence with one of these may give the ending away: the line stops after the first.
ENDING = re.compile(
    r"\b"
    + alt(
        "ends?",
        "ending",
        "ended",
        "finally",
        "eventually",
        "ultimately",
        r"tragic\w*",
        "dies",
        "killed",
        "kills",
        "death",
        "later",
    )
    + r"\b",
    re.I,
)
ENDS = (".", "!", "?", '"', "\u201d")


def opening(sents: list[str]) -> str:
    """The first one or two sentences, whole, within the word limits; '' if the first is too long or short."""
    if not sents or not MIN_WORDS <= words(sents[0]) <= MAX_ONE or not sents[0].endswith(ENDS):
        return ""
    line = sents[0]
    if (
        len(sents) > 1
        and words(line) + words(sents[1]) <= MAX_WORDS
        and sents[1].endswith(ENDS)
        and not ENDING.search(sents[1])
    ):
        line += " " + sents[1]
    return line


VERB = alt(
    "follows",
    "concerns",
    "centers",
    "centres",
    "focuses",
    "revolves",
    "depicts",
    "portrays",
    "chronicles",
    "is about",
    "deals with",
    "tells",
)
ROLE = alt(
    "who",
    "whose",
    "working",
    "trying",
    "seeking",
    "searching",
    "living",
    "struggling",
    "forced",
    "caught",
    "hired",
    "sent",
    "on the run",
    "in search",
    "determined",
)
LIFE = r"(?:loosely |partly )?based on the (?:true )?" + alt(
    "life", "lives", "story", "experiences", "exploits", "events", "career"
)
# A lead sentence tells the story if it has one of these ...
STORY = re.compile(
    r"\b"
    + alt(
        r"tells? (?:the )?(?:story|tale)",
        r"tells? (?:\w+ ){0,2}(?:stories|tales?) (?:of|about)",
        r"(?:in )?a (?:true )?story (?:of|about)",
        r"the (?:true )?story (?:of|follows|centers|centres|concerns|revolves|is about)",
        r"(?:film|story|plot|movie|picture|narrative|storyline) " + VERB,
        r"[Ii]t " + VERB,
        r"chronicling (?:the|a|an)\b",
        r"depiction of\b",
        r"follows? (?:a|an|the|two|three|four|five|several|\w+'s|[A-Z])",
        r"the plot\b",
        LIFE + r"\b",
        r"[A-Z][\w']+ (?:portrays|plays) an? [^,.;]{3,60}? who\b",
        r"(?:is|was) about (?:a|an|the|two|three|four|\w+'s|[A-Z])",
        r"stars? [A-Z][^,]{2,40}? as [^,]{2,60}?, (?:a|an|the|who|whose)\b",
        r"stars? as [^,]{2,60}?, (?:a|an|the|who|whose)\b",
        r"as (?:an?|the|two|three|four) [^,.;]{3,80}?\b" + ROLE + r"\b",
    )
    + r"|^In the film,"
)
# ... and none of these (reception, fame) ...
NOT_STORY = re.compile(
    r"\b"
    + alt(
        "box office",
        "box-office",
        "grossed",
        r"gross(?:ing)?",
        "academy awards?",
        "oscars?",
        r"nominat\w+",
        "golden globe",
        "premiered?",
        r"critic\w*",
        "reviews?",
        "acclaim",
        "budget",
        "national film registry",
        "cult (?:film|following)",
        "originally titled",
        "working title",
        "considered (?:one|among)",
        "ranked",
        "afi's",
        "the (?:first|second|final) film",
    )
    + r"\b",
    re.I,
)
# ... nor one of these after the story begins ("The film, distributed by UA, stars De Niro as ..." is fine).
NOT_STORY_AFTER = re.compile(
    r"\b"
    + alt(
        "was released",
        "released (?:by|in|on|theatrical)",
        "filming",
        "filmed",
        "principal photography",
        "remake of",
        "sequel to",
        "distributed by",
        "produced by",
        "screenplay",
        "soundtrack",
    )
    + r"\b",
    re.I,
)
# The defining first sentence ("X is a 1968 American film directed by ...") counts only with one of these.
FIRST_STORY = re.compile(
    r"\b"
    + alt(
        "about",
        "that follows",
        "which follows",
        "tells the story",
        "centered on",
        "centred on",
        "in which",
        "(?<!short )(?<!same )story of (?!the same)",
        LIFE,
        r"as an? [^,.;]{3,80}?\b" + ROLE,
    )
    + r"\b"
)
# A second story sentence that names the cast or the making is left out.
NOT_SECOND = re.compile(
    r"\b"
    + alt(
        "stars?",
        "starring",
        "co-stars?",
        "cast",
        "features",
        "directed",
        "written",
        "film",
        "movie",
        "premise",
        "roles?",
        "debut",
        "this was",
        "it was",
        "novel",
        "play",
        "adaptation",
        "adapted",
        "version",
    )
    + r"\b",
    re.I,
)


def tells_story(sent: str, first: bool) -> bool:
    m = (FIRST_STORY if first else STORY).search(sent)
    return m is not None and not NOT_STORY.search(sent) and not NOT_STORY_AFTER.search(sent, m.start())


def story_line(text: str) -> str:
    """The lead's first one or two story sentences (the defining first sentence only if it says 'about' ...)."""
    sents = sentences(clean(text))
    for i, sent in enumerate(sents):
        if not tells_story(sent, i == 0):
            continue
        line = opening(sents[i:])
        if line and line != sent:
            # a second sentence is kept only if it too tells the story
            second = sents[i + 1]
            if NOT_STORY.search(second) or NOT_STORY_AFTER.search(second) or NOT_SECOND.search(second):
                line = sent if words(sent) <= MAX_ONE else ""
        return line
    return ""


def plot_line(film: SourceFilm) -> str:
    if film.kind == PLOT:
        return opening(sentences(clean(film.text)))
    return story_line(film.text)


# ---------------------------------------------------------------- readers


def read_prust(path: Path) -> list[SourceFilm]:
    films = []
    for m in json.loads(path.read_text(encoding="utf-8")):
        if not m.get("title") or not m.get("year"):
            continue
        href = m.get("href") or ""
        films.append(
            SourceFilm(
                title=m["title"],
                year=int(m["year"]),
                text=m.get("extract") or "",
                kind=LEAD,
                url=WIKI + href if href else "",
                cast=[c for c in m.get("cast") or [] if isinstance(c, str)],
            )
        )
    return films


def read_wmp_csv(path: Path) -> list[SourceFilm]:
    csv.field_size_limit(1 << 30)
    films = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            films.extend(
                wmp_film(
                    row.get("Title"),
                    row.get("Release Year"),
                    row.get("Director"),
                    row.get("Cast"),
                    row.get("Wiki Page"),
                    row.get("Plot"),
                )
            )
    return films


def wmp_film(title, year, director, cast, url, plot) -> list[SourceFilm]:  # type: ignore[no-untyped-def]
    try:
        year = int(float(year))
    except (TypeError, ValueError):
        return []
    if not title or not plot:
        return []
    return [
        SourceFilm(
            title=str(title).strip(),
            year=year,
            text=str(plot),
            kind=PLOT,
            url=str(url or ""),
            cast=split_names(str(cast or "")),
            directors=split_names(str(director or "")),
        )
    ]


class _RReader:
    """Just enough of R's XDR serialisation (format 2) to read a data frame of strings and numbers."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0
        self.refs: list[object] = []

    def int(self) -> int:
        (v,) = struct.unpack_from(">i", self.data, self.pos)
        self.pos += 4
        return v

    def item(self):  # type: ignore[no-untyped-def]
        flags = self.int()
        kind, has_attr, has_tag = flags & 0xFF, flags & (1 << 9), flags & (1 << 10)
        if kind in (254, 242, 241, 253, 252, 251, 247):  # NULL and the special environments
            return None
        if kind == 255:  # reference
            index = flags >> 8 or self.int()
            return self.refs[index - 1]
        if kind == 1:  # symbol
            name = self.item()
            self.refs.append(name)
            return name
        if kind in (2, 3, 5, 6, 17):  # pairlist-like: [attr] [tag] car cdr
            out = []
            while True:
                attr = self.item() if has_attr else None
                tag = self.item() if has_tag else None
                out.append((tag, self.item()))
                del attr
                flags = self.int()
                kind, has_attr, has_tag = flags & 0xFF, flags & (1 << 9), flags & (1 << 10)
                if kind != 2:
                    self.pos -= 4
                    self.item()
                    return out
        if kind == 9:  # CHARSXP
            n = self.int()
            if n == -1:
                return None
            raw = self.data[self.pos : self.pos + n]
            self.pos += n
            return raw.decode("latin-1" if flags & (1 << 14) else "utf-8", errors="replace")
        if kind in (10, 13, 14, 16, 19, 20):
            n = self.int()
            if n == -1:
                n = (self.int() << 32) + self.int()
            if kind in (10, 13):
                value = list(struct.unpack_from(f">{n}i", self.data, self.pos))
                self.pos += 4 * n
                value = [None if v == -(2**31) else v for v in value]
            elif kind == 14:
                value = list(struct.unpack_from(f">{n}d", self.data, self.pos))
                self.pos += 8 * n
            else:
                value = [self.item() for _ in range(n)]
            attrs = dict(self.item() or []) if has_attr else {}
            return RVector(value, attrs)
        raise ValueError(f"R object type {kind} is not supported")


@dataclass
class RVector:
    value: list
    attrs: dict


def read_rda(path: Path) -> list[SourceFilm]:
    data = path.read_bytes()
    if data[:2] == b"\xfd7" or data[:6] == b"\xfd7zXZ\x00":
        data = lzma.decompress(data)
    elif data[:2] == b"\x1f\x8b":
        import gzip

        data = gzip.decompress(data)
    if not data.startswith(b"RDX2\nX\n"):
        raise ValueError(f"{path}: not an XDR .rda file (format 2)")
    reader = _RReader(data[7:])
    reader.pos += 12  # format version, writer and reader R versions
    films = []
    for _name, frame in reader.item():
        columns = {name: col.value for name, col in zip(frame.attrs["names"].value, frame.value, strict=True)}
        for i in range(len(columns["title"])):
            films.extend(
                wmp_film(
                    columns["title"][i],
                    columns["year"][i],
                    columns["director"][i],
                    columns["cast"][i],
                    columns["url"][i],
                    columns["plot"][i],
                )
            )
    return films


def read_source(path: Path) -> list[SourceFilm]:
    if path.suffix == ".json":
        return read_prust(path)
    if path.suffix in (".rda", ".RData", ".rdata"):
        return read_rda(path)
    if path.suffix == ".csv":
        return read_wmp_csv(path)
    raise SystemExit(f"{path}: unknown source kind (expected .json, .rda or .csv)")


# ---------------------------------------------------------------- joining


def split_cell(text: str) -> list[str]:
    sep = "|" if "|" in text else ", "
    return [p.strip() for p in text.split(sep) if p.strip()]


def load_catalog(path: Path) -> list[CatalogFilm]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute('SELECT id, title, year, directors, "cast", reviews FROM film ORDER BY id').fetchall()
    finally:
        conn.close()
    return [
        CatalogFilm(
            id=r[0],
            title=r[1],
            year=r[2] or 0,
            directors=split_cell(r[3] or ""),
            cast={fold(n): n for n in split_cell(r[4] or "")},
            reviews=r[5] or 0,
        )
        for r in rows
    ]


def name_tokens(name: str) -> set[str]:
    """A director's names after the first ('Rodrigo García Márquez' -> garcia, marquez), or the one name."""
    parts = fold(re.sub(r",?\s+(?:Jr|Sr|II|III)\.?$", "", name.strip())).split()
    return {p for p in (parts[1:] or parts) if len(p) > 1}


def lead_year(text: str) -> int | None:
    """The year in a lead's defining sentence ('X is a 1947 American film'), if it has one."""
    m = re.search(r"\b(?:is|was) an? (?:[\w-]+ )?((?:19|20)\d\d)\b", text[:300])
    return int(m.group(1)) if m else None


def confirmed(src: SourceFilm, film: CatalogFilm) -> bool:
    """Director where both sides name one; else a shared actor or the exact year."""
    cat_names = set().union(*(name_tokens(d) for d in film.directors)) if film.directors else set()
    if src.kind == PLOT and src.directors and cat_names:
        return bool(cat_names & set().union(*(name_tokens(d) for d in src.directors)))
    if src.kind == LEAD:
        year = lead_year(src.text)
        if year is not None and abs(year - film.year) > 1:
            return False  # the list linked another film's article
        if cat_names and re.search(r"\bdirected\b", src.text):
            lead = fold(src.text)
            squeezed = lead.replace(" ", "")
            return any(re.search(rf"\b{re.escape(n)}\b", lead) or (len(n) > 5 and n in squeezed) for n in cat_names)
    return shares_actor(src, film) or src.year == film.year


def short_keys(title: str) -> set[str]:
    """Keys of the title before a subtitle ('Star Wars: Episode IV – A New Hope' -> 'star wars'), if it has one."""
    head = re.split(r"\s*:\s+|\s+[\u2013\u2014-]\s+", title, maxsplit=1)[0]
    return title_keys(head) - title_keys(title) if head != title else set()


def shares_actor(src: SourceFilm, film: CatalogFilm) -> bool:
    return any(fold(name) in film.cast for name in src.cast)


def join(sources: list[SourceFilm], catalog: list[CatalogFilm]) -> dict[int, list[SourceFilm]]:
    by_key: dict[str, list[CatalogFilm]] = defaultdict(list)
    by_short: dict[str, list[CatalogFilm]] = defaultdict(list)
    for film in catalog:
        for key in title_keys(film.title):
            by_key[key].append(film)
        for key in short_keys(film.title):
            by_short[key].append(film)
    matches: dict[int, list[SourceFilm]] = defaultdict(list)
    for src in sources:
        keys = title_keys(src.title)
        cands = {f.id: f for key in keys for f in by_key.get(key, ()) if abs(f.year - src.year) <= 1}
        fits = [f for f in cands.values() if confirmed(src, f)]
        if not cands:  # a title with or without its subtitle: also needs a shared actor and the exact year
            loose = [f for key in keys for f in by_short.get(key, ())]
            loose += [f for key in short_keys(src.title) for f in by_key.get(key, ())]
            cands = {f.id: f for f in loose if abs(f.year - src.year) <= 1}
            fits = [f for f in cands.values() if f.year == src.year and confirmed(src, f) and shares_actor(src, f)]
        if len(fits) > 1:  # two catalog films fit: keep the exact year, if only one has it
            fits = [f for f in fits if f.year == src.year]
        if len(fits) == 1:
            matches[fits[0].id].append(src)
    return matches


def pick(film: CatalogFilm, cands: list[SourceFilm]) -> tuple[SourceFilm | None, SourceFilm | None]:
    """(the source of the plot line, the source of the leads) for one catalog film, or None where ambiguous."""
    unique: dict[tuple[str, str], SourceFilm] = {}
    for src in cands:
        unique.setdefault((src.kind, src.url or src.title + str(src.year)), src)
    chosen: dict[str, SourceFilm | None] = {}
    for kind in (PLOT, LEAD):
        of_kind = [s for s in unique.values() if s.kind == kind]
        if len(of_kind) > 1:
            of_kind = [s for s in of_kind if s.year == film.year]
        chosen[kind] = of_kind[0] if len(of_kind) == 1 else None
    plot_src = next((s for s in (chosen[PLOT], chosen[LEAD]) if s and plot_line(s)), None)
    lead_src = next((s for s in (chosen[LEAD], chosen[PLOT]) if s and s.cast), None)
    return plot_src, lead_src


def leads_of(src: SourceFilm | None, film: CatalogFilm) -> list[str]:
    if src is None:
        return []
    out: list[str] = []
    for name in src.cast:
        spelt = film.cast.get(fold(name))
        if spelt and spelt not in out:
            out.append(spelt)
        if len(out) == MAX_LEADS:
            break
    return out


def tsv_safe(text: str) -> str:
    return " ".join(text.replace("\t", " ").split())


def build(sources: list[SourceFilm], catalog: list[CatalogFilm], out: Path) -> list[tuple[CatalogFilm, str]]:
    matches = join(sources, catalog)
    written: list[tuple[CatalogFilm, str]] = []
    rows = []
    for film in catalog:
        if film.id not in matches:
            continue
        plot_src, lead_src = pick(film, matches[film.id])
        leads = leads_of(lead_src, film)
        if plot_src is None:  # no story sentence: the billed leads alone, when there are any
            if leads and lead_src is not None:
                rows.append([film.id, film.title, film.year, "", ", ".join(leads), lead_src.url])
            continue
        line = plot_line(plot_src)
        rows.append([film.id, film.title, film.year, tsv_safe(line), ", ".join(leads), plot_src.url])
        written.append((film, line))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter="\t", lineterminator="\n")
        writer.writerow(["film_id", "title", "year", "plot", "leads", "source"])
        writer.writerows(rows)
    tmp.replace(out)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", type=Path, nargs="+", help="decade .json files, movies.rda, or a plots .csv")
    parser.add_argument("--catalog", type=Path, default=DEFAULT_CATALOG, help="the catalog to join to")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the TSV to write")
    args = parser.parse_args(argv)
    sources: list[SourceFilm] = []
    for path in args.sources:
        if not path.is_file():
            parser.error(f"{path} not found")
        got = read_source(path)
        print(f"{path.name}: {len(got)} films", file=sys.stderr)
        sources.extend(got)
    catalog = load_catalog(args.catalog)
    written = build(sources, catalog, args.out)
    top = {f.id for f in sorted(catalog, key=lambda f: (-f.reviews, f.id))[:TOP]}
    in_top = sum(1 for film, _ in written if film.id in top)
    with_leads = 0
    with args.out.open(encoding="utf-8", newline="") as fh:
        with_leads = sum(1 for row in csv.DictReader(fh, delimiter="\t") if row["leads"])
    print(
        f"{args.out}: {len(written)} of {len(catalog)} catalog films have a plot line ({with_leads} with leads); "
        f"{in_top} of the {TOP} most-reviewed; {args.out.stat().st_size / 1e6:.1f} MB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
