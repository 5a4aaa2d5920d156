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
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sqlite3
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.film.catalog import DEFAULT_PATH, title_keys  # noqa: E402
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


def catalog_films(path: Path) -> list[tuple[int, str, int | None, int]]:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return list(conn.execute("SELECT id, title, year, reviews FROM film ORDER BY id"))
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


def from_cgroup(path: Path, films: list[tuple[int, str, int | None, int]]) -> tuple[set[Row], dict[str, int]]:
    """(film_id, lang, title) rows from the CGroup module, and counts of what joined."""
    by_key: dict[str, list[tuple[int, int | None, int]]] = defaultdict(list)
    for film_id, title, year, reviews in films:
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


def from_wikidata(folder: Path, imdb_ids: dict[str, int]) -> tuple[set[Row], list[Case]]:
    """Japanese and Spanish labels to index, and the Chinese labels and aliases to test on."""
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
                if kind == "label" and lang in INDEXED_WIKIDATA_LANGS:
                    indexed.add((film_id, lang, title))
                if lang in ZH_LANGS and has_local_script(title):
                    # one case per film and distinct string: the first language that has it
                    cases.setdefault((film_id, title), (film_id, lang, kind, title, qid))
    return indexed, sorted(cases.values())


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
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV, help="the catalog's Wikidata film table (imdbID)")
    parser.add_argument("--catalog", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--cases", type=Path, default=DEFAULT_CASES)
    args = parser.parse_args(argv)
    films = catalog_films(args.catalog)
    zh_rows, stats = from_cgroup(args.cgroup, films)
    wd_rows, cases = from_wikidata(args.wikidata, imdb_map(args.csv))
    rows = sorted(zh_rows | wd_rows)
    write_tsv(args.out, ["film_id", "lang", "title"], list(rows))
    write_tsv(args.cases, ["film_id", "lang", "kind", "title", "wikidata"], list(cases))
    print(f"CGroup: {stats}; {len({r[0] for r in zh_rows})} films, {len(zh_rows)} Chinese titles")
    print(f"Wikidata: {len({r[0] for r in wd_rows})} films with ja/es labels ({len(wd_rows)} titles); "
          f"{len(cases)} held-out Chinese titles of {len({c[0] for c in cases})} films")
    print(f"{args.out}: {len(rows)} rows; {args.cases}: {len(cases)} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
