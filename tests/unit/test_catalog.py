"""The film catalog: the shipped file, title matching, autocomplete, a server's own films, the build script."""

from __future__ import annotations

import csv
import importlib.util
import random
import sqlite3
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from models.film import catalog as catalog_module
from models.film import indexes
from models.film.catalog import DEFAULT_PATH, Catalog, CatalogError, Film, normalise, split_year, title_keys

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def films() -> Iterator[Catalog]:
    with Catalog.open() as cat:
        indexes.warm(cat)
        yield cat


def _build_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_catalog", ROOT / "scripts" / "build_catalog.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    fields = ["ID", "Title", "Year", "Runtime", "Genre", "Director", "Writer", "Cast", "Metacritic", "Language"]
    fields += ["Country", "Meter", "Reviews"]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in fields})
    return path


SMALL = [
    {"ID": "7", "Title": "Heat", "Year": "1995", "Director": "Michael Mann", "Reviews": "80.0", "Runtime": "170.0"},
    {"ID": "3", "Title": "Heat", "Year": "1972", "Director": "Paul Morrissey", "Reviews": "5.0"},
    {"ID": "5", "Title": "Léon: The Professional", "Year": "1994", "Director": "Luc Besson", "Genre": "Crime, Drama"},
]


# -- normalising ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Amélie", "amelie"),
        ("The Godfather: Part II", "the godfather part 2"),
        ("godfather part two", "godfather part 2"),
        ("Fast & Furious", "fast and furious"),
        ("Schindler’s List", "schindlers list"),
        ("Kick-Ass", "kick ass"),
        ("Twelve Angry Men", "12 angry men"),
        ("V for Vendetta", "v for vendetta"),  # a roman numeral only after the first word
        ("Ærø Øresund", "aero oresund"),
    ],
)
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected


def test_title_keys_drop_article_and_part() -> None:
    keys = title_keys("The Godfather Part II")
    assert (keys.full, keys.noart, keys.core, keys.spelled) == (
        "thegodfatherpart2",
        "godfatherpart2",
        "godfather2",
        "thegodfatherpartii",
    )
    assert title_keys("$").full == "$"  # punctuation-only titles stay findable


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Crash (2004)", ("Crash", 2004)),
        ("crash 1996", ("crash", 1996)),
        ("Heat, 1995", ("Heat", 1995)),
        ("1984", ("1984", None)),
        ("Arrival", ("Arrival", None)),
    ],
)
def test_split_year(query: str, expected: tuple[str, int | None]) -> None:
    assert split_year(query) == expected


def test_edit_distance_agrees_with_dynamic_programming() -> None:
    def reference(a: str, b: str) -> int:
        row = list(range(len(b) + 1))
        for i, ca in enumerate(a, 1):
            prev, row[0] = row[:], i
            for j, cb in enumerate(b, 1):
                row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (ca != cb))
        return row[-1]

    rng = random.Random(7)
    for _ in range(3000):
        a = "".join(rng.choice("abc") for _ in range(rng.randint(0, 9)))
        b = "".join(rng.choice("abc") for _ in range(rng.randint(0, 9)))
        got, want = catalog_module._osa_distance(a, b), reference(a, b)
        assert got == want or (got == 1 and want == 2 and sorted(a) == sorted(b)), (a, b, got, want)
    assert catalog_module._osa_distance("godfahter", "godfather") == 1  # a swap is one typo


# -- the shipped catalog -------------------------------------------------------------------------------


def test_shipped_catalog_opens_offline(films: Catalog) -> None:
    assert DEFAULT_PATH.is_file()
    assert DEFAULT_PATH.stat().st_size < 8_000_000
    assert len(films) == 17472
    film = films.get(595)
    assert film is not None and film.title == "The Intouchables" and film.year == 2011
    assert film.directors == ("Olivier Nakache", "Éric Toledano")
    assert film.runtime == 112 and film.metacritic == 57 and film.rt_meter == 76
    assert films.get(-1) is None and films.get(1) is None


def test_shipped_catalog_matches_the_normaliser() -> None:
    """Every stored title key is what `title_keys` makes today: a changed normaliser needs a rebuild."""
    conn = sqlite3.connect(f"{DEFAULT_PATH.as_uri()}?mode=ro", uri=True)
    try:
        stored: dict[int, set[str]] = {}
        for key, film_id in conn.execute("SELECT key, film_id FROM title_key"):
            stored.setdefault(film_id, set()).add(key)
        titles = dict(conn.execute("SELECT id, title FROM film"))
    finally:
        conn.close()
    stale = [t for i, t in titles.items() if stored.get(i) != set(title_keys(t).by_kind())]
    assert not stale, f"{len(stale)} titles with stale keys (e.g. {stale[:3]}): run scripts/build_catalog.py"


def test_label_and_facts_line(films: Catalog) -> None:
    film = films.get(595)
    assert film is not None
    assert film.label() == "The Intouchables (2011), Olivier Nakache & Éric Toledano"
    assert film.facts_line() == (
        "The Intouchables (2011) · dir. Olivier Nakache & Éric Toledano · 112 min · Biography, Comedy, Drama"
        " · French · France · Metacritic 57 · Rotten Tomatoes 76%"
    )
    bare = Film(id=-1, title="Home Movie")
    assert bare.label() == "Home Movie" and bare.facts_line() == "Home Movie"
    many = Film(id=-2, title="Paris, je t'aime", year=2006, directors=("A", "B", "C"))
    assert many.label() == "Paris, je t'aime (2006), A et al."


# -- resolving -----------------------------------------------------------------------------------------


def _top(films: Catalog, query: str) -> Film:
    res = films.resolve(query)
    assert res.candidates, query
    return res.candidates[0].film


@pytest.mark.parametrize("query", ["12 Angry Men", "12 angry men", "twelve angry men", "  12 ANGRY MEN "])
def test_exact_title_any_case(films: Catalog, query: str) -> None:
    res = films.resolve(query)
    assert res.exact and not res.ambiguous
    assert res.film is not None and res.film.id == 2345


def test_accents_are_optional(films: Catalog) -> None:
    res = films.resolve("Amelie")
    assert res.exact and res.film is not None
    assert res.film.label() == "Amélie (2001), Jean-Pierre Jeunet"


@pytest.mark.parametrize(
    ("query", "year", "director"),
    [("Crash (1996)", 1996, "David Cronenberg"), ("crash 2004", 2004, "Paul Haggis"), ("Crash [2004]", 2004, None)],
)
def test_year_in_the_query_picks_the_film(films: Catalog, query: str, year: int, director: str | None) -> None:
    res = films.resolve(query)
    assert res.exact and not res.ambiguous
    assert res.film is not None and res.film.year == year
    if director:
        assert res.film.directors == (director,)


def test_year_that_belongs_to_the_title(films: Catalog) -> None:
    film = _top(films, "Death Race 2000")
    assert (film.title, film.year) == ("Death Race 2000", 1975)


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("the godfathr", "The Godfather"),
        ("pulp fictoin", "Pulp Fiction"),
        ("amelei", "Amélie"),
        ("apocalypse nwo", "Apocalypse Now"),
        ("thipteen days", "Thirteen Days"),  # a typo in a number word
    ],
)
def test_typos(films: Catalog, query: str, title: str) -> None:
    res = films.resolve(query)
    assert not res.exact
    assert res.film is not None and res.film.title == title


@pytest.mark.parametrize(
    ("query", "title"),
    [("spiderman", "Spider-Man"), ("kick ass", "Kick-Ass"), ("8 1/2", "8½"), ("the intouchables", "The Intouchables")],
)
def test_spacing_and_punctuation_do_not_matter(films: Catalog, query: str, title: str) -> None:
    res = films.resolve(query)
    assert res.exact and res.film is not None and res.film.title == title


@pytest.mark.parametrize(
    "query", ["the godfather part 2", "The Godfather: Part II", "godfather part two", "godfather 2", "Godfather II"]
)
def test_godfather_part_two(films: Catalog, query: str) -> None:
    res = films.resolve(query)
    assert res.film is not None and (res.film.title, res.film.year) == ("The Godfather Part II", 1974)


def test_ambiguous_title_asks(films: Catalog) -> None:
    res = films.resolve("Crash")
    assert res.ambiguous and res.exact
    assert res.film is None  # never guess silently
    crashes = [m.film for m in res.candidates if m.film.title == "Crash"]
    assert {f.year for f in crashes} == {1996, 2004}
    assert {f.directors for f in crashes} == {("David Cronenberg",), ("Paul Haggis",)}


def test_several_heats_and_a_swapped_letter(films: Catalog) -> None:
    res = films.resolve("haet")
    assert res.ambiguous and res.film is None
    assert {m.film.year for m in res.candidates[:3]} == {1972, 1987, 1995}
    assert all(m.film.title == "Heat" for m in res.candidates[:3])


def test_part_of_a_title_is_never_taken_as_the_film(films: Catalog) -> None:
    res = films.resolve("star wars")
    assert res.film is None
    assert any(m.film.title.startswith("Star Wars") for m in res.candidates)


def test_nonsense_finds_nothing(films: Catalog) -> None:
    res = films.resolve("zzqxzzqx")
    assert res.candidates == [] and res.film is None and not res.ambiguous


def test_limit(films: Catalog) -> None:
    assert len(films.resolve("the", limit=3).candidates) <= 3
    assert len(films.resolve("heat", limit=1).candidates) == 1
    assert films.resolve("heat", limit=1).ambiguous  # still flagged when only one is returned


# -- autocomplete ----------------------------------------------------------------------------------------


def test_autocomplete_labels(films: Catalog) -> None:
    labels = [f.label() for f in films.autocomplete("the godf")[:3]]
    assert labels == [
        "The Godfather (1972), Francis Ford Coppola",
        "The Godfather Part II (1974), Francis Ford Coppola",
        "The Godfather Part III (1990), Francis Ford Coppola",
    ]
    assert films.autocomplete("amel")[0].label() == "Amélie (2001), Jean-Pierre Jeunet"
    assert films.autocomplete("godf")[0].title == "The Godfather"  # the article is optional
    assert films.autocomplete("pulp fictoin")[0].title == "Pulp Fiction"  # typos fall back to fuzzy matches


def test_autocomplete_limits_and_empty_prefix(films: Catalog) -> None:
    popular = films.autocomplete("")
    assert len(popular) == 25 and len({f.id for f in popular}) == 25
    assert len(films.autocomplete("t", limit=10)) == 10
    assert films.autocomplete("crash 1996")[0].directors == ("David Cronenberg",)
    assert films.autocomplete("zzqxzzqx") == []


def test_autocomplete_is_fast(films: Catalog) -> None:
    times = []
    for prefix in ["t", "the", "the g", "the godf", "crash", "amel", "star w", "pulp fictoin", "heat 1995"]:
        started = time.perf_counter()
        films.autocomplete(prefix)
        times.append(time.perf_counter() - started)
    assert statistics.median(times) < 0.1  # Discord waits 3 s; typically a few ms


def test_search_person(films: Catalog) -> None:
    found = films.search_person("cronenberg", limit=50)
    assert any(f.title == "Crash" and f.year == 1996 for f in found)
    assert films.search_person("x") == []


# -- a server's own films ------------------------------------------------------------------------------


def test_added_films_are_found_and_kept(tmp_path: Path) -> None:
    extra = tmp_path / "user_films.sqlite3"
    with Catalog.open(extra_path=extra) as cat:
        film = cat.add("Arrival", 2016, directors=["Denis Villeneuve"], genres=["Sci-Fi", "Drama"], runtime=116)
        assert film.id < 0 and film.user_added
        assert cat.get(film.id) == film
        res = cat.resolve("Arrival 2016")
        assert res.film == film and res.exact
        res = cat.resolve("arrival")  # "The Arrival" (1996) is shipped: ask
        assert res.ambiguous and {m.film.year for m in res.candidates[:2]} == {1996, 2016}
        assert film in cat.autocomplete("arriv")
        assert cat.add("Arrival", 2016) == film  # no duplicate
        shipped = cat.add("Crash", 2004)  # already in the catalog: the shipped film, nothing written
        assert not shipped.user_added and shipped.directors == ("Paul Haggis",)
        second = cat.add("Arrival", 2017)
        assert second.id == film.id - 1
    with Catalog.open(extra_path=extra) as cat:
        assert cat.get(film.id) == film
        assert len(cat) == 17472 + 2


def test_a_film_another_process_adds_is_found_without_a_restart(tmp_path: Path) -> None:
    extra = tmp_path / "user_films.sqlite3"
    with Catalog.open(extra_path=extra, refresh_s=0) as running:
        indexes.warm(running)  # the bot's indexes, built before the film exists
        assert running.resolve("Quiet Harbour Lights 2013").film is None
        with Catalog.open(extra_path=extra) as cli:  # `cinebot catalog add` while the bot runs
            added = cli.add("Quiet Harbour Lights", 2013, directors=["Ottilie Fairweather"], genres=["Drama"])
        assert running.resolve("Quiet Harbour Lights 2013").film == added
        assert added in running.autocomplete("quiet harbo")


def test_the_check_for_added_films_is_rate_limited(tmp_path: Path) -> None:
    extra = tmp_path / "user_films.sqlite3"
    with Catalog.open(extra_path=extra, refresh_s=3600) as running:
        indexes.warm(running)
        with Catalog.open(extra_path=extra) as cli:
            added = cli.add("Quiet Harbour Lights", 2013)
        assert running.resolve("Quiet Harbour Lights 2013").film is None  # not looked for again yet
        running.refresh_s = 0
        assert running.refresh() and not running.refresh()  # changed once, then nothing new
        assert running.resolve("Quiet Harbour Lights 2013").film == added


def test_derived_is_built_once_and_again_after_films_are_added(tmp_path: Path) -> None:
    builds: list[int] = []

    def size(cat: Catalog) -> int:
        builds.append(len(cat))
        return builds[-1]

    with Catalog.open(extra_path=tmp_path / "user_films.sqlite3", refresh_s=0) as cat:
        assert cat.derived("test.size", size) == cat.derived("test.size", size) == 17472
        cat.add("Quiet Harbour Lights", 2013)
        assert cat.derived("test.size", size) == 17473
    assert builds == [17472, 17473]


def test_import_csv(tmp_path: Path) -> None:
    source = _write_csv(
        tmp_path / "ours.csv",
        [
            {"Title": "Our Little Film", "Year": "2023", "Director": "Ann Lee, Bo Chen", "Genre": "Comedy"},
            {"Title": "Crash", "Year": "1996", "Director": "David Cronenberg"},  # already shipped
            {"Title": "", "Year": "2020"},
        ],
    )
    with Catalog.open(extra_path=tmp_path / "extra.sqlite3") as cat:
        imported = cat.import_csv(source)
        assert [f.title for f in imported] == ["Our Little Film", "Crash"]
        assert imported[0].user_added and imported[0].directors == ("Ann Lee", "Bo Chen")
        assert not imported[1].user_added
        assert cat.resolve("our litle film").film == imported[0]
        bad = tmp_path / "bad.csv"
        bad.write_text("Name,Year\nX,2000\n", encoding="utf-8")
        with pytest.raises(CatalogError, match="Title"):
            cat.import_csv(bad)


def test_adding_needs_an_extra_file(films: Catalog) -> None:
    with pytest.raises(CatalogError, match="extra_path"):
        films.add("Anything", 2020)


# -- building and opening ------------------------------------------------------------------------------


def test_build_is_deterministic_and_opens(tmp_path: Path) -> None:
    build = _build_script()
    source = _write_csv(tmp_path / "small.csv", SMALL)
    assert build.build(source, tmp_path / "a.sqlite3") == 3
    assert build.build(source, tmp_path / "b.sqlite3") == 3
    assert (tmp_path / "a.sqlite3").read_bytes() == (tmp_path / "b.sqlite3").read_bytes()
    with Catalog.open(tmp_path / "a.sqlite3") as cat:
        assert [f.id for f in cat.autocomplete("")] == [7, 3, 5]  # by review count
        res = cat.resolve("heat")
        assert res.ambiguous and [m.film.year for m in res.candidates] == [1995, 1972]
        leon = cat.resolve("leon the professional").film
        assert leon is not None and leon.genres == ("Crime", "Drama") and leon.runtime is None


def test_missing_or_stale_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="build_catalog"):
        Catalog.open(tmp_path / "nope.sqlite3")
    build = _build_script()
    path = tmp_path / "old.sqlite3"
    build.build(_write_csv(tmp_path / "small.csv", SMALL), path)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE meta SET value = 'old' WHERE key = 'norm_version'")
    conn.close()
    with pytest.raises(CatalogError, match="Rebuild"):
        Catalog.open(path)
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database" * 100)
    with pytest.raises(CatalogError):
        Catalog.open(junk)
    with pytest.raises(CatalogError, match="added films"):
        Catalog.open(extra_path=junk)
