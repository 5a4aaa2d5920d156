"""Grounding replies about a film in the catalog: the facts a prompt gives, and the check of what a reply says.

A small model writes fluently about films and invents what it does not know: Morgan Freeman as Lecter, "the
villain, played by Bruce Willis", "the score, composed by Hans Zimmer", a character called Agnieszka Wagner,
a bit player from an alphabetical cast list as the star, a premise, a period, stock opinions. The catalog knows
each film's directors, writers and cast (alphabetical, no roles), and for about 9,000 films the billed leads and
for about 4,300 a plot line (`Catalog.story`, from Wikipedia). So:

- the prompt gets the directors, the writers, the billed leads and the plot line, and is told what is *not* known
  (who played whom, characters' names, the music, the story beyond the notes and the plot line);
- the check drops each sentence of a reply that says more than that: a catalog person not credited on the
  film, a cast member who is not a billed lead (a film without billing: any the notes do not name), a role claim
  (who played whom, who is the lead or the villain, who composed, directed or wrote) that the catalog contradicts
  or cannot back, a character's name that neither the notes, the plot line nor the catalog give, a rating other
  than the member's, words of the prompt leaking ("my notes", "the catalog"), a sentence already said, story and
  opinions the member's sources do not give (`models.film.fidelity`), and a sentence that leaned on one removed
  just before it ("It was catchy", an orphan). Names and roles the member's notes give are theirs to use.

A name written in Chinese or Japanese that the names table gives a catalog person (`models.film.local_names`: "张国荣"
is Leslie Cheung) is that person: the prompt says so beside the catalog's spelling and role where the film credits
them ("张国荣 = Leslie Cheung (cast)"), and the check reads it, in the notes and in a reply, as the catalog's name.

Every rule is plain text matching on catalog data; `bench/review_quality.py` judges replies with its own,
separately written rules.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from models.film.catalog import Catalog, Film
from models.film.fidelity import LEANING_START, OPINION_REASONS, Fidelity, aspects_in, without_judgement
from models.film.fidelity_zh import MENDED, is_chinese, mend
from models.film.fidelity_zh import reason as fidelity_reason
from models.film.local_names import Found, LocalNames, shipped
from models.film.local_titles import LOCALE_LANGS, LocalTitle, has_local_script
from models.text import split_sentences

log = logging.getLogger(__name__)

# A letter of a Latin-script name: \w but no Chinese, Japanese or Korean character, so that a name starts and ends
# where a Chinese reply runs on into it without a space ("我喜欢Leslie Cheung的表演").
_LETTER = r"[^\W\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]"
# Two to four capitalised words, with name particles and initials: "Morgan Freeman", "Guillermo del Toro",
# "Jean-Pierre Jeunet", "J. J. Abrams", "Lupita Nyong'o".
_WORD = rf"(?:[A-Z](?:{_LETTER}|['’\-])*\.?|(?:de|del|della|der|di|da|van|von|le|la|du|bin|al)(?=\s+[A-Z]))"
_NAME = re.compile(rf"(?<!{_LETTER}){_WORD}(?:\s+{_WORD}){{1,3}}")
_POSSESSIVE = re.compile(r"['’]s$")
_CAPITALISED = re.compile(r"\b[A-Z][a-zà-öø-ÿ'’\-]+(?:['’]s)?\b")

# A sentence that gives someone a part: who plays whom, who the lead or the villain is.
_ROLE_CUE = re.compile(
    r"\b(?:play(?:s|ed|ing)?|portray\w*|role|roles|character|characters|villain\w*|hero\w*|antagonist|"
    r"protagonist|lead|leads|leading|led by|title role|cast as|stars? as|starring as|as the|as a|as an)\b",
    re.IGNORECASE,
)
# notes about the writing: only then are the writers worth their tokens in the prompt
_ABOUT_WRITING = re.compile(r"\b(?:writ\w*|script\w*|screenplay\w*|dialog\w*|lines)\b", re.IGNORECASE)
_AS_NAME = re.compile(r"\bas\s+(?:[A-Z][\w'’\-]+)")  # "... as Lecter"
_ROLE_NOUN = r"(?:villain|hero|heroine|antagonist|protagonist|lead|star)s?"  # "The villain, X," / "X, the hero"
_PART = re.compile(f"(?i:{_ROLE_CUE.pattern})|{_AS_NAME.pattern}")
# a part set beside a name: "the hero, Benjamin Braddock," / "Braddock, the hero" / "the lead (Hoffman)"
_ROLE_APPOSITIVE = (
    re.compile(rf"(?i:\b(?:the|our|its|a|an)\s+(?:[\w\-]+\s+)?(?P<role>{_ROLE_NOUN}))\s*[,(]\s*"
               rf"(?P<name>[A-Z][\w'’\-]+)"),
    re.compile(rf"\b(?P<name>[A-Z][\w'’\-]+)\s*,\s*(?i:(?:the|our|its|a|an)\s+(?:[\w\-]+\s+)?"
               rf"(?P<role>{_ROLE_NOUN}))\b"),
)
_MUSIC_CUE = re.compile(r"\b(?:compos\w*|score[ds]?|music|soundtrack|musical|"
                        # crew the catalog does not list either
                        r"cinematograph\w*|photograph\w*|shot by|edit(?:ed|ing|or) by|editor|costume\w*|"
                        r"production design\w*|effects|produc(?:ed|er|ers))\b", re.IGNORECASE)
_DIRECT_CUE = re.compile(r"\b(?:direct\w*|helm\w*|filmmaker\w*)\b", re.IGNORECASE)
_WRITE_CUE = re.compile(r"\b(?:writ\w*|wrote|screenplay\w*|script\w*|penned)\b", re.IGNORECASE)
_ACT_CUE = re.compile(r"\b(?:act(?:s|ed|ing|or|ors|ress|resses)?|perform\w*|play(?:s|ed|ing)?|portray\w*|star\w*|"
                      r"cast)\b", re.IGNORECASE)
# Someone named: "a young girl named Anna", "a man called Harry Lime", "the character of Rick".
_CREDIT_BY = re.compile(r"\bby\s+[A-Z][\w.'’\-]*(?:\s+[A-Z][\w.'’\-]*)*")  # "composed by D. M. Marshman"
_NAMED_CUE = re.compile(r"\b(?:named|called|character of|characters?),?\s+(?:(?:Mr|Mrs|Ms|Dr|Miss|Sir)\.?\s+)?"
                       r"([A-Z][\w'’\-]+(?:\s+[A-Z][\w'’\-]+)?)")
_RATING = re.compile(r"\b(\d{1,2}(?:\.\d{1,2})?)\s*(?:/|out of)\s*(5|10|five|ten)\b", re.IGNORECASE)
_BROKEN_DECIMAL = re.compile(r"\b(\d{1,2})\.\s+(\d{1,2}\s*(?:/|out of)\s*(?:5|10|five|ten)\b)", re.IGNORECASE)
_LEAK = re.compile(
    r"\b(?:(?:my|the|your|these|writer'?s?) (?:rough )?notes|notes (?:say|said|mention\w*|suggest\w*)|catalog\w*|"
    r"as instructed|instructions?|the rules?|the prompt|the writer\b|the reviewer\b|word count|polished review|"
    r"match(?:es|ing)? (?:the|its|my) enthusiasm|here is (?:my|the|a) review|rewrit\w*|"
    r"(?:the|this|my) review (?:is|was|should|will)\b|"
    # the verdict's words in the prompt (models/tasks/review.py), copied instead of followed
    r"(?:enthusiastic|negative) throughout|with at most a small|weighs real strengths|my verdict|"
    r"warm and enthusiastic|enthusiastic (?:review|tone)|clearly (?:positive|negative)|the good and the bad that)",
    re.IGNORECASE,
)
# a sentence that leans on the one before it ("It was catchy", "They steal the show"), unless it speaks of the film
_ORPHAN = re.compile(rf"^\W*(?:{LEANING_START})\b", re.IGNORECASE)
# a first sentence that leans on a person no sentence before it named ("His deteriorating mental state ...")
_NOBODY_BEFORE = re.compile(r"^\W*(?:he|his|him|she|her|they|their|them|both|the latter|the former)\b",
                            re.IGNORECASE)
_ABOUT_FILM = re.compile(r"^\W*(?:(?:this|that) (?:film|movie|picture)|it(?:['’]s| is| was) (?:a|an|one|the)\b"
                         r"(?! (?:perfect|great|good|fine|standout|highlight|example)\b))", re.IGNORECASE)
_PLOT_STARS_AS = re.compile(r"\b([A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*)*)\s+(?:stars|starring|stars as|plays)\s+as\s+"
                            r"(?:[\w-]+\s+){0,4}?([A-Z][\w'’-]*(?:\s+[\"“]?[A-Z][\w'’\"”-]*)*)")
_PLOT_STARRING = re.compile(r"\b(?:stars|starring|starred)\s+([A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*)*)\s+as\s+"
                            r"(?:[\w-]+\s+){0,4}?([A-Z][\w'’-]*(?:\s+[\"“]?[A-Z][\w'’\"”-]*)*)")
_PLOT_PAREN = re.compile(r"\b([A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*)\s+\(([A-Z][\w'’-]+)\)")
CAST_LIST = 3  # a sentence naming this many people the notes do not is a pasted cast list, not a review
PROMPT_CAST = 3  # the prompt names the first few of the principal cast (the check allows all of it)
SOFTENED_WORDS = 5  # a sentence without its judging words is kept only when this many words are left
LOOP_WORDS = 7  # a sentence that repeats this many words in a row from an earlier one is a loop
PHRASE_WORDS, PHRASE_TIMES = 5, 3  # so is one that says a 5-word phrase for the third time


_CLAUSE_BREAK = re.compile(r",\s+and\s+|;\s+")  # where a sentence may be cut into clauses that stand alone
_SEMICOLON = re.compile(r";\s+")
_SERIAL_LIST = re.compile(r",[^,;.!?]+,\s+and\s+")  # "hope, friendship, and the escape": a list's last item


def _word_keys(text: str) -> frozenset[str]:
    """The first five letters of each word of four letters or more, folded."""
    return frozenset(w.casefold()[:5] for w in re.findall(r"[A-Za-z]{4,}", text))


def _runs(sentence: str) -> tuple[set[tuple[str, ...]], set[tuple[str, ...]]]:
    """The sentence's runs of LOOP_WORDS words and of PHRASE_WORDS words. Chinese and Japanese write no spaces: each
    of their characters counts as a word, and a run is twice as many of them (a word is one or two characters)."""
    key = name_key(sentence)
    if _CJK_CHAR.search(key):
        words = tuple(_CJK_TOKEN.findall(key))
        loop, phrase = 2 * LOOP_WORDS, 2 * PHRASE_WORDS
    else:
        words, loop, phrase = tuple(key.split()), LOOP_WORDS, PHRASE_WORDS
    return ({words[i:i + loop] for i in range(max(1, len(words) - loop + 1))},
            {words[i:i + phrase] for i in range(len(words) - phrase + 1)})


_CJK_CHAR = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
_CJK_TOKEN = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]|[^\s\u3040-\u30ff\u4e00-\u9fff]+")
# A reply in Chinese or Japanese that names someone in its own script: a transliterated name ("詹姆斯·卡梅隆") or a
# half-transliterated one ("陈凯ige"). The catalog spells people in Latin letters, so no check could confirm it;
# unless the member wrote it so, the sentence goes (the prompt asks for names as the facts spell them).
_CJK_NAME = re.compile(r"[\u30a0-\u30ff\u4e00-\u9fff]{1,6}[·・•][\u30a0-\u30ff\u4e00-\u9fff]{1,8}"
                       r"|[\u4e00-\u9fff]{1,4}[a-z]{2,}\b")
def _written_by_member(found: str, notes: str) -> bool:
    """Whether a name `_CJK_NAME` found is one the member wrote: the match may run over the words around the name
    ("喜欢希斯·莱杰的表演"), so a name of the notes inside it counts ("希斯·莱杰")."""
    if found in notes:
        return True
    left, dot, right = next((found.partition(mark) for mark in "·・•" if mark in found), (found, "", ""))
    return bool(dot) and any(f"{left[-i:]}{dot}{right[:k]}" in notes
                             for i in range(1, len(left) + 1) for k in range(1, len(right) + 1) if i + k >= 3)


# The prompt's words in Chinese, Japanese and Korean (notes, catalog, instructions, rules)
_CJK_LEAK = re.compile(r"笔记|筆記|目录|目錄|カタログ|メモ|指示|说明|規則|规则|ルール|提示|노트|카탈로그|규칙|지시|"
                       r"只说一次|只說一次|说一次评分|按照要求|根据要求|好的和坏的|好的和不好的|"
                       r"(?:没有|并未|未|没)(?:提及|提到)")
# (the rule said back: "我只说一次评分"; the prompt's verdict "mixed: the good and the bad" as "混合了好的和坏的"; what
# the notes did not mention, said of them: "虽然续集没有提及" for "续集就不说了")
# Capitalised words that are not names of people in a film (checked after the film's own words and the notes).
_COMMON = frozenset("""
i i'm i've i'd i'll it it's the a an and but or so yet if as at by for from in into of on onto to with without
this that these those there here then than when while where what which who whom whose why how overall though
although however ultimately additionally moreover meanwhile still even also both each every all some many much
my me we our you your he she they his her their its him them one two three four five six seven eight nine ten
first second third final finally no not yes oh wow well just only yes despite after before during since until
english american british french german italian spanish japanese chinese korean indian russian european
hollywood oscar oscars academy award awards cannes christmas god lord sir mr mrs ms dr miss
monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
september october november december netflix imax dvd tv act part chapter film movie cinema
paris king queen prince princess summer winter autumn spring big will art hope grace faith joy rich sunny christian
hunter earl duke sky river dakota georgia carolina virginia jersey austin houston dallas florence sydney victoria
""".split())


def name_key(name: str) -> str:
    """A person's name for comparison: no accents, case or punctuation ("Amélie" ~ "amelie")."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


class PeopleIndex:
    """Every person the catalog credits (directors, writers, cast), by `name_key`, and the first names they
    carry (to tell "Jack" the invented character from "Jaws" the shark); `local`: their names in Chinese and
    Japanese ("张国荣" is Leslie Cheung, `models.film.local_names`)."""

    def __init__(self, names: Iterable[str], local: LocalNames | None = None) -> None:
        keys = {k for k in (name_key(n) for n in names) if " " in k}
        self.keys = frozenset(keys)
        firsts = Counter(k.split()[0] for k in keys)
        self.first_names = frozenset(n for n, count in firsts.items() if count >= 3 and len(n) > 2) - _COMMON
        self.local = local if local is not None else LocalNames(())

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> PeopleIndex:
        names: set[str] = set()
        for row in catalog.all_rows():
            film = Film.from_row(row)
            names.update(film.directors, film.writers, film.cast)
        return cls(names, shipped())

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


def people_of(catalog: Catalog) -> PeopleIndex:
    """The catalog's people index: kept by the catalog, built once (about a second; `Catalog.warm` does it) and
    again after films are added."""
    return catalog.derived("grounding.people", PeopleIndex.from_catalog)


@dataclass(frozen=True)
class Removed:
    """A sentence the check dropped, and why."""

    sentence: str
    reason: str


@dataclass(frozen=True)
class Checked:
    """A reply after the check: the text to show and what was dropped."""

    text: str
    removed: tuple[Removed, ...] = ()


def _words(text: str) -> set[str]:
    return {w.casefold() for w in re.findall(r"[\w'’\-]+", text)}


_LATIN_WORDS = re.compile(r"[A-Za-z]{2,}")


def _english_only(sentence: str) -> bool:
    """A sentence with three Latin words or more and no Chinese, Japanese or Korean in it ("**Title:** Batman & Robin
    (1997)" at the end of a Chinese review)."""
    return not has_local_script(sentence) and len(_LATIN_WORDS.findall(sentence)) >= 3


@dataclass(frozen=True)
class Grounding:
    """What a reply about one film may say of its people: the film's credits and principal cast (if the catalog
    knows the film) and whatever the member's own text (notes, or the messages summed up) says."""

    film: Film | None
    people: PeopleIndex
    notes: str = ""
    principal: tuple[str, ...] = ()
    rating: str | None = None  # "4.5/5": the only score a reply may give (None: none)
    source: str = "my notes"  # what the prompt calls the member's text ("the messages" for a discussion)
    plot: str = ""  # the film's plot line (`Catalog.story`), the only story a reply may tell beyond the notes
    local_titles: tuple[LocalTitle, ...] = ()  # the film's titles in other languages (`Catalog.local_titles`)

    @classmethod
    def build(cls, film: Film | None, notes: str, people: PeopleIndex, principal: Iterable[str] = (),
              rating: str | None = None, source: str = "my notes", plot: str = "",
              local_titles: Iterable[LocalTitle] = ()) -> Grounding:
        return cls(film, people, notes, tuple(principal), rating, source, plot, tuple(local_titles))

    @classmethod
    def for_film(cls, catalog: Catalog, film: Film | None, notes: str, rating: str | None = None,
                 source: str = "my notes") -> Grounding:
        """The grounding for a reply about `film` (None: a film the catalog does not know)."""
        principal = catalog.billed_cast(film) if film is not None else ()  # a guess at stars is no fact
        story = catalog.story(film) if film is not None else None
        return cls.build(film, notes, people_of(catalog), principal, rating, source, story.plot if story else "",
                         catalog.local_titles(film) if film is not None else ())

    def title_in(self, locale: str) -> str | None:
        """The film's title in `locale`'s language, as the catalog knows it (None: none known): a reply in Chinese
        names the film by it, not by a translation of its own ("《阿凡达》" for Alien)."""
        order = LOCALE_LANGS.get(locale, ())
        for lang in order:
            titles = {t.title for t in self.local_titles if t.lang == lang}
            if titles:  # two titles in one language: a sequel's joined to the film too (Alien's are Romulus's)
                return titles.pop() if len(titles) == 1 else None
        return None

    @cached_property
    def fidelity(self) -> Fidelity:
        """The check of story and opinion against the notes, the catalog's facts and the plot line."""
        f = self.film
        facts = " ".join((f.title, str(f.year or ""), *f.genres, *f.countries, *f.languages, *f.directors,
                          *f.writers, *f.cast)) if f else ""
        share = None
        if self.rating:
            given, _, scale = self.rating.partition("/")
            share = float(given) / float(scale) if scale else None
        note_words = set(name_key(self.notes).split())
        cast = (*(f.cast if f else ()), *self.principal)
        names_actor = bool(self.notes_people) or any(name_key(n).split()[-1] in note_words for n in cast if n.strip())
        return Fidelity(self.notes, facts, self.plot, share, notes_name_actor=names_actor, title=f.title if f else "",
                        local_titles=tuple(t.title for t in self.local_titles))

    @cached_property
    def speaks_of_actors(self) -> bool:
        """The notes name an actor of the film or speak of the acting ("Hopkins barely blinks", "the cast"): only
        then does the prompt name the stars. Named unasked, they end up in a review that never mentioned them
        ("I didn't know who Haley Joel Osment was", Forrest Gump, where the billed leads were wrong too)."""
        return self.fidelity.notes_name_actor or "acting" in aspects_in(self.notes)

    # -- the prompt ----------------------------------------------------------------------------------

    def prompt_facts(self, unknowns: bool = True) -> str:
        """The facts block for the prompt: what is known, and (`unknowns`, unless the system prompt says it) what
        is not."""
        unknown = ("\nNot known, so do not mention it: which actor plays which part, who the lead or the villain is, "
                   f"any character's name (unless {self.source} give it), who wrote the music, and any plot or "
                   f"trivia beyond {self.source}.") if unknowns else ""
        if self.film is None:
            return ("This film is not in our catalog. Name no people at all (no actors, directors or "
                    f"characters) unless {self.source} name them.{unknown}")
        f = self.film
        about = ", ".join(x for x in (f"{f.runtime} min" if f.runtime else "", "/".join(f.genres[:3])) if x)
        lines = [f"Catalog: {about}." if about else ""]  # the title is the prompt's own first line
        if self.plot:
            lines.append(f"Plot: {self.plot}")
        if f.directors:
            lines.append(f"Directed by: {', '.join(f.directors)}.")
        if f.writers and _ABOUT_WRITING.search(self.notes):
            lines.append(f"Written by: {', '.join(f.writers[:4])}.")
        if self.principal and self.speaks_of_actors:
            lines.append(f"Starring: {', '.join(self.principal[:PROMPT_CAST])}.")
        if self._notes_local_credited:  # "张国荣" is Leslie Cheung: the praise goes to whom the member meant
            lines.append(f"Named in {self.source}: " + "; ".join(
                f"{written} = {person} ({self._roles(person)})" for written, person in self._notes_local_credited)
                + ".")
        return "\n".join(line for line in lines if line) + unknown

    def _roles(self, name: str) -> str:
        """What `name` did on the film: "director, writer", "cast"."""
        return ", ".join(role for role, yes in zip(("director", "writer", "cast"), self._credited(name), strict=True)
                         if yes)

    @cached_property
    def _notes_local_credited(self) -> tuple[tuple[str, str], ...]:
        """(as written, catalog name) of each person the notes name in Chinese or Japanese who is credited on the
        film, once each."""
        seen: dict[str, tuple[str, str]] = {}
        for found in self._notes_local:
            if any(self._credited(found.person)):
                seen.setdefault(name_key(found.person), (found.written, found.person))
        return tuple(seen.values())

    # -- the check -----------------------------------------------------------------------------------

    def wrong_names(self, text: str) -> list[str]:
        """Catalog people named in `text` that this film's credits, principal cast and the notes do not give."""
        return [n for n in self.people.find(text) if name_key(n) not in self.allowed]

    # What the check compares against, worked out once per grounding (it runs on every streamed snapshot).

    @cached_property
    def notes_people(self) -> frozenset[str]:
        """The catalog people the notes name (`name_key`s), in the catalog's spelling or in Chinese or Japanese."""
        return (frozenset(name_key(n) for n in self.people.find(self.notes))
                | frozenset(name_key(f.person) for f in self._notes_local))

    def _local_people(self, text: str) -> list[Found]:
        """The catalog people `text` names in Chinese or Japanese; a name that is a common word too ("成龙", "张扬")
        only where the film credits that person."""
        return [f for f in self.people.local.find(text) if not f.common or any(self._credited(f.person))]

    @cached_property
    def _notes_local(self) -> tuple[Found, ...]:
        return tuple(self._local_people(self.notes))

    @cached_property
    def allowed(self) -> frozenset[str]:
        """Who a reply may name: the film's directors, writers and principal cast, and the notes' people."""
        credits = (*self.film.directors, *self.film.writers, *self.principal) if self.film else ()
        return frozenset(name_key(n) for n in credits) | self.notes_people

    @cached_property
    def _credits(self) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
        """The `name_key`s of the film's directors, writers and cast."""
        f = self.film
        directors, writers, cast = (f.directors, f.writers, f.cast) if f else ((), (), ())
        return (frozenset(map(name_key, directors)), frozenset(map(name_key, writers)),
                frozenset(map(name_key, cast)))

    def _credited(self, name: str) -> tuple[bool, bool, bool]:
        """Is `name` a director, a writer, a cast member of the film?"""
        key = name_key(name)
        directors, writers, cast = self._credits
        return key in directors, key in writers, key in cast

    def _in_notes_with(self, name: str, cue: re.Pattern[str]) -> bool:
        """The notes say this themselves: a clause of the notes names the person and has the same cue."""
        surname = name_key(name).split()[-1]  # "Foster as Clarice" names Jodie Foster
        return any(surname in name_key(part).split() and cue.search(part)
                   for part in re.split(r"[.;,!?\n]| - ", self.notes))

    @cached_property
    def _plot_parts(self) -> dict[str, frozenset[str]]:
        """The parts the plot line gives, by the actor's surname: "Kevin Spacey stars as Lester Burnham" and
        "John McClane (Willis)" -> {"spacey": {"lester", "burnham"}, "willis": {"john", "mcclane"}}."""
        parts: dict[str, frozenset[str]] = {}
        for actor, character in (*_PLOT_STARS_AS.findall(self.plot), *_PLOT_STARRING.findall(self.plot)):
            parts[name_key(actor).split()[-1]] = frozenset(name_key(character).split())
        for character, actor in _PLOT_PAREN.findall(self.plot):
            parts[name_key(actor).split()[-1]] = frozenset(name_key(character).split())
        return parts

    def _part_from_plot(self, sentence: str, name: str) -> bool:
        """The sentence gives `name` the part the plot line gives them (naming that character)."""
        character = self._plot_parts.get(name_key(name).split()[-1])
        return bool(character and character & set(name_key(sentence).split()))

    @cached_property
    def _known_words(self) -> set[str]:
        """Capitalised words that are no invented name: the notes', the plot line's (its characters and places),
        the film's title, genres, languages and countries, and common words."""
        words = _words(self.notes) | _words(self.plot) | _COMMON
        if self.film is not None:
            f = self.film
            words |= _words(" ".join((f.title, *f.genres, *f.languages, *f.countries)))
        return words

    def reason(self, sentence: str) -> str | None:
        """Why `sentence` must go, or None when it may stay."""
        if _LEAK.search(sentence) or _CJK_LEAK.search(sentence):
            return "the prompt's words"
        for found in _CJK_NAME.finditer(sentence):
            if not _written_by_member(found.group(0), self.notes) and not self._known_local(found.group(0)):
                return f"a name the catalog cannot confirm in that script: {found.group(0)}"
        for found in _RATING.finditer(sentence):
            said = f"{found.group(1)}/{ {'five': '5', 'ten': '10'}.get(found.group(2).lower(), found.group(2))}"
            if self.rating is None or said.replace(" ", "") != self.rating:
                return f"a rating the member did not give: {said}"
        named = self.people.find(sentence)
        # this film's people by surname alone ("Hopkins's character"), for the role rules below
        surnames = self._surnames
        title = set(name_key(self.film.title).split()) if self.film else set()  # "Butch Cassidy" is no Ted Cassidy
        by_surname = [surnames[w] for w in re.findall(r"[^\W\d_]+", name_key(sentence))
                      if w in surnames and w not in self._shared_surnames and w not in title]
        local = self._local_people(sentence)  # "巩俐" is Gong Li: the same rules as her name in the catalog's spelling
        for name, shown in (*((n, n) for n in named), *((f.person, f"{f.written} ({f.person})") for f in local)):
            key = name_key(name)
            if key not in self.allowed:
                directs, writes, acts = self._credited(name)
                if acts:
                    return f"not among the principal cast: {shown}"
                return f"not credited on this film: {shown}"
        known = self._known_words
        named_keys = {name_key(n) for n in named} | {name_key(f.person) for f in local}
        if len(named_keys - self.notes_people) >= CAST_LIST:
            return f"a list of names: {', '.join(named)}"
        credit = _CREDIT_BY.search(sentence)
        if credit and _MUSIC_CUE.search(sentence) and name_key(credit.group(0)[3:]) not in name_key(self.notes):
            return f"a music or crew credit the catalog does not have: {credit.group(0)[3:]}"
        for name in dict.fromkeys([*named, *by_surname]):
            directs, writes, acts = self._credited(name)
            if self._near(sentence, name, _MUSIC_CUE) and not self._in_notes_with(name, _MUSIC_CUE):
                return f"a music or crew credit the catalog does not have: {name}"
            if _DIRECT_CUE.search(sentence) and not directs and self._near(sentence, name, _DIRECT_CUE):
                return f"not a director of this film: {name}"
            if _WRITE_CUE.search(sentence) and not writes and self._near(sentence, name, _WRITE_CUE):
                return f"not a writer of this film: {name}"
            if self.film is not None and not acts and _ACT_CUE.search(sentence) and self._near(sentence, name,
                                                                                               _ACT_CUE):
                return f"not in the cast of this film: {name}"
            if _PART.search(sentence) and (acts or self.film is None) and not self._in_notes_with(name, _PART) \
                    and not self._part_from_plot(sentence, name):
                return f"a part the catalog does not give: {name}"
            if self.film is not None and not acts and (directs or writes) and self._given_a_part(sentence, name):
                return f"not in the cast of this film: {name}"
        words = set(name_key(sentence).split())
        for surname in self._plot_parts:  # actors the plot line names beside their part, "Carl (Asner)"
            if surname in words and _PART.search(sentence) and not self._in_notes_with(surname, _PART) \
                    and not self._part_from_plot(sentence, surname):
                return f"a part the plot line does not give: {surname.title()}"
        for m in (m for pattern in _ROLE_APPOSITIVE for m in pattern.finditer(sentence)):
            role, name = m.group("role"), m.group("name")  # "the hero, Benjamin Braddock": one source says both
            if name.casefold() in _COMMON:
                continue
            said_by = [source for source in (self.notes, self.plot)
                       if re.search(rf"\b{role}", source, re.IGNORECASE) and re.search(rf"\b{name}\b", source)]
            if not said_by:
                return f"a part nobody gave: {m.group(0)}"
        invented = self._invented(sentence, known, named_keys)
        if invented:
            return f"a name that neither the notes nor the catalog give: {invented}"
        return fidelity_reason(self.fidelity, sentence)

    def _given_a_part(self, sentence: str, name: str) -> bool:
        """A part (the villain, the lead) given to `name`: "The villain, Bill Finger, ...", "Finger, the hero, ...",
        "Finger was the perfect villain"; not "Nolan's hero" (the film's) nor what the notes say."""
        surname = re.escape(name.split()[-1])
        if re.search(rf"\b{surname}['’]s\b", sentence) or self._in_notes_with(name, _ROLE_CUE):
            return False
        part = (rf"(?i:\b{_ROLE_NOUN})\s*,\s*(?:[A-Z][\w.'’\-]*\s+)*{surname}\b|"  # the villain, Bill Finger
                rf"\b{surname}(?:\s*,|\s+(?i:is|was|becomes|became|makes|made))\s+"  # Finger, the / Finger was the
                rf"(?i:(?:the|a|an|our|its|this film's)\s+(?:[\w\-]+\s+){{0,2}}{_ROLE_NOUN})\b")
        return re.search(part, sentence) is not None

    @staticmethod
    def _near(sentence: str, name: str, cue: re.Pattern[str]) -> bool:
        """The cue is within a few words of the name (in the same clause)."""
        surname = name_key(name).split()[-1]
        for clause in re.split(r"[;,:—–()]| and | while | but | with ", sentence):
            if surname in name_key(clause).split() and cue.search(clause):
                return True
        return False

    def _invented(self, sentence: str, known: set[str], named_keys: set[str]) -> str | None:
        """A character's or person's name that nobody gave: after "named"/"called", or a capitalised word that
        is a common first name among the catalog's people ("Jack", "Andy Dufresne")."""
        cued = _NAMED_CUE.search(sentence)
        if cued and not {w.casefold() for w in cued.group(1).split()} <= known:
            return cued.group(1)
        gives_part = bool(_PART.search(sentence))
        for m in _CAPITALISED.finditer(sentence):
            word = _POSSESSIVE.sub("", m.group(0))
            low = word.casefold()
            if low in known or any(low in k.split() for k in named_keys) or low in self._surnames:
                continue
            if low in self.people.first_names:
                return word  # "Jack", "Andy Dufresne": a first name that the notes and the catalog don't give
            if gives_part and m.start() > 0 and low not in _COMMON:
                return word  # "The girl, Clarice, is portrayed…": a name in a sentence about parts
        return None

    @cached_property
    def _surnames(self) -> dict[str, str]:
        """The last word of each credited person of the film (and the notes' people): "hopkins" -> the name."""
        return {name_key(n).split()[-1]: n for n in self._credited_people if len(name_key(n).split()[-1]) > 3}

    @cached_property
    def _shared_surnames(self) -> set[str]:
        """Surnames two of those people share (Christopher and Jonathan Nolan): alone, they name nobody."""
        shared = Counter(key.split()[-1] for key in {name_key(n) for n in self._credited_people})
        return {surname for surname, count in shared.items() if count > 1}

    @cached_property
    def _credited_people(self) -> list[str]:
        return [*(self.film.directors + self.film.writers + self.film.cast if self.film else ()),
                *self.people.find(self.notes), *(f.person for f in self._notes_local)]

    def _known_local(self, found: str) -> bool:
        """A name in Chinese or Japanese script (`_CJK_NAME`, "汤姆·克鲁斯") that the names table gives a catalog
        person, the dot inside it: the person rules decide, as for that name in the catalog's spelling."""
        return any(any(mark in f.written for mark in "·・•") for f in self._local_people(found))

    def _mend(self, sentence: str, why: str) -> str:
        """What of a sentence that must go can stay: a point of the member's notes without the judgement they did
        not make ("a powerful and moving story about hope" -> "a story about hope"), or the clauses of it ("X, and
        Y"; "X; Y") that stand alone; "" when nothing can."""
        def stands(part: str) -> bool:
            return (len(part.split()) >= SOFTENED_WORDS and self._carries_notes(part)
                    and not self.reason(part))

        if why.startswith(MENDED):  # "《吃喝男人女人》" -> "《Eat Drink Man Woman》", "我太烂了" -> "这部电影太烂了"
            mended = mend(self.fidelity, sentence)
            return mended if mended != sentence and not self.reason(mended) else ""

        if why.startswith(OPINION_REASONS) and (softer := without_judgement(sentence)) != sentence and stands(softer):
            return softer
        # "X, Y, and Z ..." is a list, not clauses: cut there, it leaves "The film's themes of hope, friendship."
        breaks = _CLAUSE_BREAK if not _SERIAL_LIST.search(sentence) else _SEMICOLON
        parts = [p.strip().rstrip(".!?;, ") for p in breaks.split(sentence) if p.strip()]
        kept = [p for p in parts if stands(p + ".")]
        if 0 < len(kept) < len(parts):
            return " ".join(f"{p[0].upper()}{p[1:]}." for p in kept)
        return ""

    def _carries_notes(self, sentence: str) -> bool:
        """`sentence` says one of the notes' words (four letters or more, by its first five): a point of theirs."""
        return bool(_word_keys(sentence) & self._notes_keys)

    @cached_property
    def _notes_keys(self) -> frozenset[str]:
        return _word_keys(self.notes)

    def check(self, text: str) -> Checked:
        """`text` without the sentences that say what the catalog and the notes do not back, without repeats,
        with "4. 5/5" mended."""
        text = _BROKEN_DECIMAL.sub(r"\1.\2", text)
        removed: list[Removed] = []
        said: set[tuple[str, ...]] = set()  # every run of LOOP_WORDS words kept so far
        phrases: Counter[tuple[str, ...]] = Counter()  # how often each run of PHRASE_WORDS words was kept
        kept_lines: list[str] = []
        after_removal = False  # the sentence before was removed: one that leans on it goes too (an orphan)
        chinese = is_chinese(text)  # a Chinese reply: a sentence of English words in it is the model's own
        for line in text.split("\n"):
            parts: list[str] = []
            for sentence in split_sentences(line):
                runs, short = _runs(sentence)
                again = runs & said or any(phrases[p] >= PHRASE_TIMES - 1 for p in short)
                why = "said before" if again else self.reason(sentence)
                if not why and chinese and _english_only(sentence):
                    why = "English in a Chinese reply"
                if why and why != "said before" and (mended := self._mend(sentence, why)):
                    log.debug("grounding mended %r to %r (%s)", sentence, mended, why)
                    sentence, why = mended, None
                    runs, short = _runs(sentence)
                if not why and after_removal and _ORPHAN.match(sentence) and not _ABOUT_FILM.match(sentence):
                    why = "its subject was in a sentence removed before it"
                if not why and not parts and not any(kept_lines) and _NOBODY_BEFORE.match(sentence):
                    why = "its subject was named in no sentence before it"
                after_removal = bool(why)
                if why:
                    removed.append(Removed(sentence, why))
                    continue
                said |= runs
                phrases.update(short)
                parts.append(sentence)
            kept_lines.append(" ".join(parts))
        cleaned = re.sub(r"\n{3,}", "\n\n", "\n".join(kept_lines)).strip()
        if removed:
            log.debug("grounding removed %d sentence(s): %s", len(removed), "; ".join(r.reason for r in removed))
        return Checked(cleaned, tuple(removed))
