"""Grounding replies in the film catalog: find people's names in a reply that the catalog contradicts.

A small model invents credits: asked about The Silence of the Lambs it may cast Morgan Freeman as Lecter. The
catalog knows every director, writer and cast member of its 17k films. A name in a reply that belongs to such a
person, but not to this film's credits and not to the member's own notes, is a wrong credit: the sentence that
carries it is removed. For a film the catalog does not know, any catalog person the notes do not name is removed.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from models.catalog import Catalog, Film

log = logging.getLogger(__name__)

# Two to four capitalised words, with name particles and initials: "Morgan Freeman", "Guillermo del Toro",
# "Jean-Pierre Jeunet", "J. J. Abrams", "Lupita Nyong'o".
_WORD = r"(?:[A-Z][\w'’\-]*\.?|(?:de|del|della|der|di|da|van|von|le|la|du|bin|al)(?=\s+[A-Z]))"
_NAME = re.compile(rf"\b{_WORD}(?:\s+{_WORD}){{1,3}}")
_POSSESSIVE = re.compile(r"['’]s$")
_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+[\"'”’)]*|\n|$)")


def name_key(name: str) -> str:
    """A person's name for comparison: no accents, case or punctuation ("Amélie" ~ "amelie")."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


class PeopleIndex:
    """Every person the catalog credits (directors, writers, cast), by `name_key`."""

    def __init__(self, names: Iterable[str]) -> None:
        self.keys = frozenset(k for k in (name_key(n) for n in names) if " " in k)

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> PeopleIndex:
        names: set[str] = set()
        for row in catalog.all_rows():
            film = Film.from_row(row)
            names.update(film.directors, film.writers, film.cast)
        return cls(names)

    def __contains__(self, name: str) -> bool:
        return name_key(name) in self.keys

    def find(self, text: str) -> list[str]:
        """The catalog people named in `text`, as written (longest match within each capitalised run)."""
        found = []
        for match in _NAME.finditer(text):
            words = [_POSSESSIVE.sub("", word) for word in match.group(0).split()]  # "Spielberg's" -> "Spielberg"
            i = 0
            while i < len(words) - 1:
                for j in range(min(len(words), i + 4), i + 1, -1):
                    candidate = " ".join(words[i:j])
                    if name_key(candidate) in self.keys:
                        found.append(candidate)
                        i = j
                        break
                else:
                    i += 1
        return found


_people: PeopleIndex | None = None
_people_lock = threading.Lock()


def people_of(catalog: Catalog) -> PeopleIndex:
    """The people index for the shipped catalog, built once (about a second) and shared."""
    global _people
    with _people_lock:
        if _people is None:
            _people = PeopleIndex.from_catalog(catalog)
        return _people


@dataclass(frozen=True)
class Grounding:
    """What a reply about one film may name: its credits (if the catalog knows the film) and the notes' names."""

    film: Film | None
    allowed: frozenset[str]
    people: PeopleIndex

    @classmethod
    def build(cls, film: Film | None, notes: str, people: PeopleIndex) -> Grounding:
        credits = (*film.directors, *film.writers, *film.cast) if film else ()
        allowed = {name_key(n) for n in credits} | {name_key(n) for n in people.find(notes)}
        return cls(film, frozenset(allowed), people)

    def wrong_names(self, text: str) -> list[str]:
        return [n for n in self.people.find(text) if name_key(n) not in self.allowed]

    def check(self, text: str) -> tuple[str, list[str]]:
        """`text` without the sentences that name a person wrongly, and the names removed."""
        removed: list[str] = []
        kept: list[str] = []
        for paragraph in text.split("\n"):
            parts = []
            for sentence in _SENTENCE.findall(paragraph):
                wrong = self.wrong_names(sentence)
                if wrong:
                    removed.extend(wrong)
                    continue
                parts.append(sentence.strip())
            kept.append(" ".join(p for p in parts if p))
        cleaned = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
        if removed:
            log.info("grounding removed sentences naming %s", ", ".join(sorted(set(removed))))
        return cleaned, removed

    def prompt_facts(self) -> str:
        """The facts block for the prompt."""
        if self.film is None:
            return ("This film is not in our catalog. Name no people at all (no actors, directors or characters' "
                    "actors) unless my notes name them.")
        f = self.film
        lines = [f"Facts from our film catalog (use only these; name no other people): {f.facts_line()}."]
        if f.directors:
            lines.append(f"Directed by: {', '.join(f.directors)}.")
        if f.writers:
            lines.append(f"Written by: {', '.join(f.writers[:6])}.")
        if f.cast:
            lines.append(f"Cast (alphabetical, not billing order): {', '.join(f.cast[:15])}.")
        return "\n".join(lines)
