"""Film titles in other languages: the Chinese, Japanese and Spanish titles members type for catalog films.

`data/catalog/titles_local.tsv` (film_id, lang, title) is built by `scripts/build_local_titles.py` from Chinese
Wikipedia's film-title conversion table (mainland, Taiwan, Hong Kong, Singapore titles; CC BY-SA 4.0) and Wikidata's
Japanese and Spanish labels (CC0): see data/catalog/LICENSE.md. The catalog indexes each title beside the English
ones (`Catalog._read_titles`), so `resolve` and `autocomplete` find a film by its local title with the same typo
and prefix matching.

Chinese is written in two scripts: a title is indexed, and a query is read, in simplified characters (`fold`,
by OpenCC's traditional-to-simplified tables), so "霸王別姬" and "霸王别姬", "鐵達尼號" and "铁达尼号" are one
key. Text with no Han character is left as it is, so English matching is exactly what it was.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

LOCAL_TITLES_FILE = "titles_local.tsv"  # beside the catalog file
# Han (CJK unified ideographs and extension A, compatibility ideographs), kana, halfwidth kana, hangul
_LOCAL_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\uac00-\ud7af]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# A member's locale (`bot.i18n.locale_for`) -> the title languages to show first, best first.
LOCALE_LANGS = {
    "zh_CN": ("zh-cn", "zh-hans", "zh", "zh-sg", "zh-my"),
    "zh_TW": ("zh-tw", "zh-hant", "zh-hk", "zh-mo", "zh"),
    "ja": ("ja",),
    "es_ES": ("es",),
}


def has_local_script(text: str) -> bool:
    """Whether `text` has a Chinese, Japanese or Korean character (the titles that need a local-title lookup)."""
    return _LOCAL_SCRIPT.search(text) is not None


@functools.cache  # (built under the catalog's lock by `Catalog._local_keys`, before any query is folded)
def _converter(config: str = "t2s") -> Any:
    from opencc import OpenCC  # opencc-python-reimplemented: OpenCC's tables in pure Python (Apache-2.0)

    converter = OpenCC(config)
    converter.convert("繁體")  # it reads its tables on first use: do it here, once, not in two threads at a time
    return converter


def fold(text: str) -> str:
    """`text` with traditional Chinese characters made simplified; text without Han characters unchanged."""
    if _HAN.search(text) is None:
        return text
    return str(_converter().convert(text))


def fold_title(text: str) -> str:
    """A title as the catalog keys it: simplified characters and mainland words for Taiwan's (OpenCC's tw2sp:
    "社交網路" and "社交网络" are one key, as "駭客任務" and "黑客任务" are). Text without Han characters unchanged."""
    if _HAN.search(text) is None:
        return text
    return str(_converter("tw2sp").convert(text))


@dataclass(frozen=True, slots=True)
class LocalTitle:
    """One title of a film in another language: `lang` as Wikipedia/Wikidata name it (zh-cn, zh-tw, zh-hk, ja, es)."""

    lang: str
    title: str


def read_local_titles(path: Path | None) -> dict[int, tuple[LocalTitle, ...]]:
    """film_id -> its local titles, from the titles file (empty when there is none)."""
    if path is None:
        return {}
    found: dict[int, list[LocalTitle]] = {}
    try:
        with path.open(encoding="utf-8") as fh:
            next(fh, None)  # header
            for line in fh:
                parts = line.rstrip("\n").split("\t")
                if len(parts) != 3 or not parts[2].strip():
                    continue
                found.setdefault(int(parts[0]), []).append(LocalTitle(parts[1], parts[2].strip()))
    except FileNotFoundError:
        log.warning("no local titles file at %s: films are found by their English titles only", path)
        return {}
    return {film_id: tuple(titles) for film_id, titles in found.items()}


def pick(titles: Iterable[LocalTitle], typed: str, keys_of: Any, locale: str | None = None) -> str | None:
    """The title to show a member who typed `typed`: one whose key starts with what was typed (or contains it),
    written as typed where one is (the traditional title for traditional input), else the member's locale's.
    `keys_of(title)` gives a title's match keys. None when no title fits what was typed."""
    typed_keys = {k for k in keys_of(typed) if k}
    if not typed_keys:
        return None
    order = LOCALE_LANGS.get(locale or "", ())
    best: tuple[tuple[int, int, int], str] | None = None
    for item in titles:
        keys = set(keys_of(item.title))
        if keys & typed_keys:
            fit = 0
        elif any(k.startswith(q) for k in keys for q in typed_keys):
            fit = 1
        elif any(q in k for k in keys for q in typed_keys if len(q) >= 2):
            fit = 2
        else:
            continue
        as_typed = 0 if typed.strip() and typed.strip() in item.title else 1
        rank = (fit, as_typed, order.index(item.lang) if item.lang in order else len(order))
        if best is None or rank < best[0]:
            best = (rank, item.title)
    return best[1] if best else None


def choice_name(local: str | None, label: str, limit: int = 100) -> str:
    """An autocomplete choice's name: "肖申克的救赎 · The Shawshank Redemption (1994), Frank Darabont", cut to `limit`
    characters (Discord's limit for a choice's name); the label alone without a local title."""
    name = f"{local} · {label}" if local and local != label else label
    return name if len(name) <= limit else name[: limit - 1] + "…"
