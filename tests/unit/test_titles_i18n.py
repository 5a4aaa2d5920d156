"""Titles in other languages: a Chinese (either script), Japanese or Spanish title finds the catalog film, and
autocomplete shows the title the member typed beside the English one. English matching is unchanged."""

from __future__ import annotations

import csv
import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

from models.film.catalog import Catalog
from models.film.local_titles import (
    LOCAL_TITLES_FILE,
    choice_name,
    fold,
    fold_title,
    has_local_script,
    read_local_titles,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def films() -> Iterator[Catalog]:
    with Catalog.open() as cat:
        yield cat


def _small_catalog(tmp: Path, titles: list[tuple[int, str, str]]) -> Path:
    spec = importlib.util.spec_from_file_location("build_catalog", ROOT / "scripts" / "build_catalog.py")
    assert spec is not None and spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    rows = [
        {"ID": "1", "Title": "Farewell My Concubine", "Year": "1993", "Director": "Chen Kaige", "Meter": "86"},
        {"ID": "2", "Title": "In the Mood for Love", "Year": "2000", "Director": "Wong Kar-wai"},
        {"ID": "3", "Title": "Heat", "Year": "1995", "Director": "Michael Mann", "Reviews": "80.0"},
    ]
    source = tmp / "films.csv"
    with source.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["ID", "Title", "Year", "Director", "Meter", "Reviews"])
        writer.writeheader()
        writer.writerows(rows)
    out = tmp / "films.sqlite3"
    build.build(source, out)
    with (tmp / LOCAL_TITLES_FILE).open("w", encoding="utf-8") as fh:
        fh.write("film_id\tlang\ttitle\n")
        fh.writelines(f"{film_id}\t{lang}\t{title}\n" for film_id, lang, title in titles)
    return out


def test_traditional_and_simplified_are_one_key() -> None:
    assert fold("霸王別姬") == fold("霸王别姬") == "霸王别姬"
    assert fold("鐵達尼號") == "铁达尼号"
    assert fold("The Godfather: Part II") == "The Godfather: Part II"  # no Han character: untouched
    assert has_local_script("花样年华") and has_local_script("ゴッドファーザー") and not has_local_script("Amélie")


def test_a_local_title_resolves_in_either_script(tmp_path: Path) -> None:
    titles = [(1, "zh-cn", "霸王别姬"), (2, "zh-hk", "花樣年華"), (3, "es", "Fuego contra fuego")]
    path = _small_catalog(tmp_path, titles)
    with Catalog.open(path) as cat:
        for typed in ("霸王别姬", "霸王別姬", "霸王别姬 1993", "《霸王別姬》"):
            assert cat.resolve(typed).film is not None, typed
            assert cat.resolve(typed).film.title == "Farewell My Concubine", typed  # type: ignore[union-attr]
        for typed in ("花样年华", "花樣年華"):  # shipped in traditional only; typed in either script
            film = cat.resolve(typed).film
            assert film is not None and film.title == "In the Mood for Love", typed
        spanish = cat.resolve("fuego contra fuego").film
        assert spanish is not None and spanish.title == "Heat"
        assert cat.resolve("霸王别姬 2010").film is None  # a year that does not fit is still a reason to ask
        # autocomplete: the film by the start of its local title, shown with it
        [first, *_] = cat.autocomplete("花样")
        assert first.title == "In the Mood for Love"
        assert cat.local_title(first, "花样") == "花樣年華"
        assert cat.autocomplete("heat")[0].title == "Heat"
        assert cat.local_title(cat.autocomplete("heat")[0], "heat") is None  # typed in English: no local title


def test_without_a_titles_file_local_titles_find_nothing(tmp_path: Path) -> None:
    path = _small_catalog(tmp_path, [])
    (tmp_path / LOCAL_TITLES_FILE).unlink()
    with Catalog.open(path) as cat:
        assert cat.resolve("霸王别姬").film is None
        assert cat.resolve("Farewell My Concubine").film is not None
    assert read_local_titles(tmp_path / "missing.tsv") == {}


def test_taiwan_wording_and_a_chinese_colon_are_read_as_the_title(tmp_path: Path) -> None:
    assert fold_title("社交網路") == fold_title("社交网络") == "社交网络"  # Taiwan's word for "network", mainland's
    assert fold("社交網路") == "社交网路"  # the plain fold keeps the words (names, the Chinese checks read it)
    assert fold_title("Heat") == "Heat"
    titles = [(1, "zh-cn", "霸王别姬：一个故事"), (2, "zh-cn", "社交网络"), (3, "zh-tw", "烈火悍將")]
    path = _small_catalog(tmp_path, titles)
    with Catalog.open(path) as cat:
        for typed, title in (("霸王别姬", "Farewell My Concubine"), ("社交網路", "In the Mood for Love")):
            film = cat.resolve(typed).film
            assert film is not None and film.title == title, typed
        assert cat.resolve("霸王别姬2").film is None  # a number the title lacks: asked about, as in English


def test_shipped_chinese_titles_resolve(films: Catalog) -> None:
    expected = {
        "肖申克的救赎": "The Shawshank Redemption",  # mainland title
        "刺激1995": "The Shawshank Redemption",  # Taiwan title
        "鐵達尼號": "Titanic",  # Taiwan/Hong Kong, traditional
        "铁达尼号": "Titanic",  # the same typed in simplified
        "教父2": "The Godfather Part II",
        "霸王别姬": "Farewell My Concubine",  # a Chinese-language film (CC-CEDICT)
        "臥虎藏龍": "Crouching Tiger, Hidden Dragon",
    }
    for typed, title in expected.items():
        film = films.resolve(typed).film
        assert film is not None and film.title == title, typed
    partial = films.resolve("肖申克")  # part of a title: a candidate to offer, never taken silently
    assert partial.film is None and partial.candidates[0].film.title == "The Shawshank Redemption"


def test_shipped_japanese_and_spanish_titles_resolve(films: Catalog) -> None:
    for typed, title in (("七人の侍", "Seven Samurai"), ("トレインスポッティング", "Trainspotting")):
        film = films.resolve(typed).film
        assert film is not None and film.title == title, typed
    [first, *_] = films.autocomplete("七人の")
    assert first.title == "Seven Samurai" and films.local_title(first, "七人の", "ja") == "七人の侍"


def test_shipped_autocomplete_shows_the_local_title(films: Catalog) -> None:
    [film, *_] = films.autocomplete("肖申克")
    assert film.title == "The Shawshank Redemption"
    local = films.local_title(film, "肖申克", "zh_CN")
    assert local == "肖申克的救赎"
    name = choice_name(local, film.label())
    assert name.startswith("肖申克的救赎 · The Shawshank Redemption (1994)") and len(name) <= 100
    traditional = films.autocomplete("鐵達尼")[0]
    assert traditional.title == "Titanic" and films.local_title(traditional, "鐵達尼") == "鐵達尼號"
    assert len(choice_name("長" * 80, film.label())) == 100


def test_english_resolution_is_unchanged(films: Catalog) -> None:
    shawshank = films.resolve("The Shawshank Redemption").film
    assert shawshank is not None and shawshank.year == 1994
    godfather = films.resolve("the godfather part 2").film
    assert godfather is not None and godfather.title == "The Godfather Part II"
    assert films.resolve("Titanic").ambiguous  # several films: still asks
    assert films.resolve("pulp fictoin").film is not None
    top = films.autocomplete("titanic")[0]
    assert top.title == "Titanic" and films.local_title(top, "titanic") is None
    assert choice_name(None, top.label()) == top.label()


async def test_the_film_option_autocomplete_shows_the_local_title() -> None:
    from types import SimpleNamespace

    import discord

    from bot.core import CineBot
    from bot.llm import Engine
    from bot.settings import Settings
    from cogs._common import film_titles
    from models.llm.jobs import JobQueue

    with Catalog.open() as cat:
        engine = Engine(queue=JobQueue(), worker=None, model_name="fake")  # type: ignore[arg-type]
        bot = CineBot(Settings.load(env={}, env_file=None), engine, store=None, catalog=cat)  # type: ignore[arg-type]
        try:
            member = SimpleNamespace(client=bot, locale=discord.Locale.taiwan_chinese, guild_locale=None)
            choices = await film_titles(member, "刺激19")  # type: ignore[arg-type]  ("刺激" alone is The Sting)
            assert choices[0].name == "刺激1995 · The Shawshank Redemption (1994), Frank Darabont"
            assert choices[0].value == "The Shawshank Redemption (1994)"  # what the command resolves
            assert all(len(c.name) <= 100 for c in choices)
            english = await film_titles(member, "shawshank")  # type: ignore[arg-type]
            assert english[0].name == "The Shawshank Redemption (1994), Frank Darabont"
        finally:
            await bot.close()
