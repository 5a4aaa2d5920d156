"""People's names in Chinese and Japanese: which catalog person a member means by "张国荣" (Leslie Cheung).

`data/catalog/names_local.tsv` (name, lang, person, common, source, gloss) is built by
`scripts/build_local_names.py` from CC-CEDICT's people (Chinese, both scripts; CC BY-SA 4.0) and ENAMDICT's full
names (Japanese; CC BY-SA 3.0): see data/catalog/LICENSE.md. `person` is spelled as the catalog spells them, so what
a name here finds, the review check (`models.film.grounding`) reads as that catalog name. A name that is also a
common word ("成龙" is Jackie Chan, and "to become somebody"; `common`) is only a hint: the check reads it as the
person where the film credits them.

A name is keyed by `name_key_local`: traditional characters folded to simplified (`local_titles.fold`, OpenCC's
table) and the dots between its parts left out, so "張國榮" and "张国荣", "汤姆·克鲁斯" and "汤姆克鲁斯" are one key. In
running text a name is found only where jieba (MIT), cutting the text into words, starts and ends a word there:
"紧张震撼的场面" holds "张震" (Chang Chen) across two words, and names nobody.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from models.film.local_titles import fold
from models.text import chinese_words

log = logging.getLogger(__name__)

LOCAL_NAMES_FILE = "names_local.tsv"  # beside the catalog file
DEFAULT_PATH = Path(__file__).resolve().parents[2] / "data" / "catalog" / LOCAL_NAMES_FILE
_SEPARATORS = "·・•‧･ "
_LOCAL = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")
MAX_NAME = 16  # characters of the longest key looked for


def name_key_local(name: str) -> str:
    """A Chinese or Japanese name for comparison: simplified, without the dots between its parts."""
    return "".join(c for c in fold(name.strip()) if c not in _SEPARATORS)


@dataclass(frozen=True, slots=True)
class Found:
    """A name found in a text: as written there, and the catalog person it means."""

    written: str
    person: str
    common: bool = False  # the name is a common word too: the person only where the context says so


def _word_edges(text: str) -> set[int]:
    """The offsets in `text` where jieba starts or ends a word."""
    edges = {0, len(text)}
    for _, start, end in chinese_words().tokenize(text, HMM=False):
        edges.update((start, end))
    return edges


class LocalNames:
    """Chinese and Japanese names of catalog people, by `name_key_local`."""

    def __init__(self, rows: Iterable[tuple[str, str, bool]]) -> None:
        """`rows`: (name, catalog person, whether the name is a common word too). A key two rows give to two people
        names neither."""
        people: dict[str, set[str]] = {}
        common: set[str] = set()
        for name, person, is_common in rows:
            key = name_key_local(name)
            if len(key) >= 2 and person.strip():
                people.setdefault(key, set()).add(person.strip())
                if is_common:
                    common.add(key)
        self._people = {key: next(iter(found)) for key, found in people.items() if len(found) == 1}
        self._common = frozenset(common)
        self._longest = min(MAX_NAME, max(map(len, self._people), default=0))

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> LocalNames:
        """The names file (none: no names, with a warning)."""
        rows: list[tuple[str, str, bool]] = []
        try:
            with path.open(encoding="utf-8") as fh:
                next(fh, None)  # header
                for line in fh:
                    parts = line.rstrip("\n").split("\t")
                    if len(parts) >= 4:
                        rows.append((parts[0], parts[2], parts[3] == "1"))
        except FileNotFoundError:
            log.warning("no local names file at %s: names written in Chinese or Japanese name nobody", path)
        return cls(rows)

    def __len__(self) -> int:
        return len(self._people)

    def person(self, name: str) -> str | None:
        """The catalog person `name` (the whole of it) means, or None."""
        return self._people.get(name_key_local(name))

    def find(self, text: str) -> list[Found]:
        """The names of catalog people in `text`, left to right, the longest at each place, each where jieba's words
        start and end. Nothing for a text without Chinese or Japanese characters."""
        if not self._people or _LOCAL.search(text) is None:
            return []
        folded = fold(text)
        if len(folded) != len(text):  # a phrase converted to another length: fold character by character
            folded = "".join(fold(c)[:1] or c for c in text)
        # the text without separators, and where each of its characters was
        kept = [i for i, c in enumerate(folded) if c not in _SEPARATORS]
        bare = "".join(folded[i] for i in kept)
        edges: set[int] | None = None
        found: list[Found] = []
        i = 0
        while i < len(bare):
            for j in range(min(len(bare), i + self._longest), i + 1, -1):
                key = bare[i:j]
                person = self._people.get(key)
                if person is None:
                    continue
                start, end = kept[i], kept[j - 1] + 1
                if edges is None:
                    edges = _word_edges(folded)
                if start in edges and end in edges:
                    found.append(Found(text[start:end], person, key in self._common))
                    i = j
                    break
            else:
                i += 1
        return found


@functools.cache
def shipped() -> LocalNames:
    """The shipped names file, read once."""
    return LocalNames.load()
