"""Names of catalog people in Chinese and Japanese: the shipped table, the lookup in text, and the build rules."""

from __future__ import annotations

import gzip
import importlib.util
import logging
import sqlite3
import sys
from pathlib import Path
from types import ModuleType

import pytest

from models.film.catalog import Catalog
from models.film.grounding import name_key, people_of
from models.film.local_names import DEFAULT_PATH as NAMES_PATH
from models.film.local_names import LocalNames, shipped

ROOT = Path(__file__).resolve().parents[2]


def _build_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_local_names", ROOT / "scripts" / "build_local_names.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_a_name_in_either_script_is_the_catalogs_person() -> None:
    names = shipped()
    assert names.person("张国荣") == names.person("張國榮") == "Leslie Cheung"
    assert names.person("陈凯歌") == names.person("陳凱歌") == "Chen Kaige"
    assert names.person("巩俐") == "Gong Li" and names.person("章子怡") == "Zhang Ziyi"
    assert names.person("汤姆·克鲁斯") == names.person("汤姆克鲁斯") == "Tom Cruise"  # a Western name written whole
    assert names.person("宮崎駿") == "Hayao Miyazaki"  # Japanese (ENAMDICT), "Miyazaki Hayao" in the catalog's order
    assert names.person("斯皮尔伯格") is None  # a surname alone: anyone of that name
    assert names.person("布什") is None  # two presidents
    assert names.person("张") is None and names.person("") is None


def test_names_are_found_where_the_words_of_the_text_start_and_end() -> None:
    names = shipped()
    found = names.find("京剧 两个人的一生 結局太悲傷 張國榮演得太好了，巩俐也好")
    assert [(f.written, f.person) for f in found] == [("張國榮", "Leslie Cheung"), ("巩俐", "Gong Li")]
    assert names.find("紧张震撼的场面") == []  # "张震" (Chang Chen) runs across two words
    assert names.find("Leslie Cheung was great") == []  # Latin names are the catalog's own business
    assert [f.written for f in names.find("我喜欢トム・ハンクス和汤姆·克鲁斯")] == ["トム・ハンクス", "汤姆·克鲁斯"]
    jackie = names.find("成龙的打戏很精彩")
    assert [(f.person, f.common) for f in jackie] == [("Jackie Chan", True)]  # "成龙" is also "to become somebody"
    assert names.find("望子成龙") == []


def test_a_name_two_rows_give_to_two_people_names_neither(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    names = LocalNames([("王五", "Wang Wu", False), ("王五", "Wu Wang", False), ("李四", "Li Si", False)])
    assert names.person("王五") is None and names.person("李四") == "Li Si" and len(names) == 1
    with caplog.at_level(logging.WARNING):
        assert len(LocalNames.load(tmp_path / "missing.tsv")) == 0
    assert "no local names file" in caplog.text


def test_every_name_in_the_shipped_table_is_a_catalog_person() -> None:
    people = people_of(Catalog.open())
    rows = [line.rstrip("\n").split("\t") for line in NAMES_PATH.read_text(encoding="utf-8").splitlines()[1:]]
    assert len(rows) > 1000
    missing = [row[2] for row in rows if name_key(row[2]) not in people.keys]
    assert not missing
    assert {row[1] for row in rows} == {"zh-hans", "zh-hant", "ja"}
    chinese = {row[2] for row in rows if row[1].startswith("zh")}
    assert len(chinese) >= 100


CEDICT = """\
# a few entries as CC-CEDICT writes them
張國榮 张国荣 [Zhang1 Guo2 rong2] /Leslie Cheung (1956-2003), Hong Kong singer and actor/
成龍 成龙 [Cheng2 Long2] /Jackie Chan (1954-), kungfu film and Cantopop star/
成龍 成龙 [cheng2 long2] /to succeed in life/to become somebody/
宮崎駿 宫崎骏 [Gong1 qi2 Jun4] /Miyazaki Hayao (1941-), Japanese director/
湯姆·克魯斯 汤姆·克鲁斯 [Tang1 mu3 · Ke4 lu3 si1] /Tom Cruise (1962-), film actor/
克魯斯 克鲁斯 [Ke4 lu3 si1] /Tom Cruise (1962-), film actor/
布什 布什 [Bu4 shi2] /Bush (name)/George W. Bush (1946-), US President 2000-2008/
高達 高达 [Gao1 da2] /Gundam, Japanese animation franchise/Jean-Luc Godard (1930-), French-Swiss film director/
張怡 张怡 [Zhang1 Yi2] /Zhang Yi (1608-1695), prolific author and poet/
王五 王五 [Wang2 Wu3] /Wang Wu or Li Si (1960-), Chinese actor/
"""
FILMS = [  # year, directors, writers, cast, languages, countries
    (1993, "Chen Kaige", "Lilian Lee", "Leslie Cheung|Gong Li|Zhang Yi|Wang Wu|Li Si", "Putonghua", "China"),
    (1995, "Jackie Chan", "", "Jackie Chan", "Cantonese", "Hong Kong"),
    (2001, "Hayao Miyazaki", "Hayao Miyazaki", "", "Japanese", "Japan"),
    (1996, "Brian De Palma", "", "Tom Cruise|George W. Bush", "English", "United States"),
    (1965, "Jean-Luc Godard", "Jean-Luc Godard", "", "French", "France"),
]


def test_the_build_joins_only_the_names_that_mean_one_catalog_person(tmp_path: Path) -> None:
    cedict = tmp_path / "cedict.txt.gz"
    cedict.write_bytes(gzip.compress(CEDICT.encode("utf-8")))
    catalog = tmp_path / "films.sqlite3"
    conn = sqlite3.connect(catalog)
    conn.execute('CREATE TABLE film (id INTEGER PRIMARY KEY, title TEXT, year INTEGER, directors TEXT, writers TEXT, '
                 '"cast" TEXT, languages TEXT, countries TEXT)')
    conn.executemany('INSERT INTO film (title, year, directors, writers, "cast", languages, countries) '
                     "VALUES ('t', ?, ?, ?, ?, ?, ?)", FILMS)
    conn.commit()
    conn.close()
    out, rejected = tmp_path / "names.tsv", tmp_path / "rejected.tsv"
    assert _build_script().main(["--cedict", str(cedict), "--catalog", str(catalog), "--out", str(out),
                       "--rejected", str(rejected)]) == 0
    rows = {tuple(line.split("\t")[:4]) for line in out.read_text(encoding="utf-8").splitlines()[1:]}
    assert rows == {
        ("张国荣", "zh-hans", "Leslie Cheung", ""), ("張國榮", "zh-hant", "Leslie Cheung", ""),
        ("成龙", "zh-hans", "Jackie Chan", "1"), ("成龍", "zh-hant", "Jackie Chan", "1"),  # a common word too
        ("宫崎骏", "zh-hans", "Hayao Miyazaki", ""), ("宮崎駿", "zh-hant", "Hayao Miyazaki", ""),  # the other order
        ("汤姆·克鲁斯", "zh-hans", "Tom Cruise", ""), ("湯姆·克魯斯", "zh-hant", "Tom Cruise", ""),  # written whole
    }
    why = dict(line.split("\t") for line in rejected.read_text(encoding="utf-8").splitlines()[1:])
    assert "names 2 catalog people" in why["王五"]  # "Wang Wu or Li Si": two of them
    assert "writer's gloss" in why["张怡"]  # the poet of 1608 is not the actor Zhang Yi
    assert "another sense" in why["布什"] and "another sense" in why["高达"]
    assert "克鲁斯" not in {r[0] for r in rows}  # a surname alone never counts
