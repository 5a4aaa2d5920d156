"""An independent judge of /review replies: plain rules written from the film catalog's data.

The judge shares no code with what it judges: it reads the catalog through `models.film.catalog` (data access only) and
the sentiment of a reply through the shipped mood classifier (`models.mood.classifier`), and never imports the bot's own
post-checks (`models.film.grounding`, the review task's postprocess, or any later review check). Every rule below is
its own, written from the catalog's data and from what a member's notes say.

Each reply gets flags, one per (check, sentence), each with a reason; a reply is clean when it has none.

role_errors       a sentence that pairs a person with a role the catalog contradicts or cannot know: "X plays the
                  villain", "the villain, played by X", "X as <Name>", "X's portrayal of <character>" (the catalog
                  has cast lists, never characters: unknowable unless the notes name both), "directed by X" / "X's
                  direction" where X is not a director of the film, "written by X" where X is not a writer,
                  "composed by X" / "X's score" / "shot by X" (the catalog has no composers or crew: unknowable
                  unless the notes name X), and a director or writer of the film named as an actor ("the lead
                  actor, Alfred Hitchcock"). Role statements the notes make are allowed, and parts the film's
                  plot line gives ("It stars Jodie Foster as Clarice Starling").
minor_cast        a catalog person named in full who is not principal cast of this film (a bit player), or not
                  credited on it at all (a wrong person), and whom neither the notes nor the plot line name. For a
                  film the catalog does not know, every catalog person the notes do not name. Principal cast: see
                  `principal_cast`.
invented_names    capitalised name-like words that neither the notes nor the catalog give: not in the notes, not in
                  the title or the film's plot line, not a credit of this film, not a catalog person (those are
                  minor_cast's), not a place, language, country or genre, not a catalog film title, not on the small
                  allow-list of capitalised common words (I, God, Oscar, Hollywood, months, days, titles like Mr or
                  Detective), and not a common English word (sentence-initial words only count when they are not
                  one).
rating_mismatch   the classifier's mean P(positive) over the review's sentences contradicts the rating: rating >=
                  70% of its scale and P < 0.5, or rating <= 40% and P > 0.5 (ratings in between are not judged);
                  or the review states a different number ("8/10" for a 4.5/5), or a score the member never gave.
broken_numbers    a decimal rating broken by the model's tokeniser or a line break: "4. 5/5", "7. 5/10".
loops             the same sentence twice, or a run of 8 or more words repeated.
leaks             the prompt showing through ("my notes", "as instructed", "rewrite", "polished review", "the
                  writer's", "catalog", "Here is", "Output", "word count"), a refusal, or an empty reply.
story             a sentence that tells the story (a premise: "follows", "tells the story of", "revolves around",
                  "set in"; a scene: "the opening scene", "the scene where"; a character, a pronoun or a name doing
                  things: "where the heroes fought") with content words that neither the notes, the film's plot line
                  (`Subject.plot`), the title nor the catalog's facts hold; a place in such a sentence, or a period
                  anywhere ("the 1950s", "1927", "Victorian"), that they do not hold.
opinion           a judgement ("top-notch", "well done", "predictable", "falls short") of an aspect the notes never
                  mention (acting, music, pacing, dialogue, ending, visuals, direction, effects, design, characters,
                  plot, humour, action), or one against the notes and the rating: a criticism at >= 70% of the scale
                  the notes do not make, praise at <= 40% they do not give. "I loved it" at 9/10 is no opinion of this.
orphans           a sentence whose pronoun has nothing to stand for ("It was catchy and memorable" after a sentence
                  with no music in it; "He"/"They" with nobody before), and cast filler that names nobody ("The cast
                  is a perfect example of the film's strengths").

The words and rules of the last three are in bench/story_judge_rules.py (lexical, no model): see its docstring for
what counts as support, as a judgement and as an antecedent.

The mean over sentences (not one score for the whole text) is used for the rating check because the classifier
reads at most 128 tokens of a text (its head and tail): a 200-word review would be judged by its first and last
lines only. The whole-text score is kept beside it in `Verdict.positive_whole` for comparison.

Names are compared accent-, case- and punctuation-insensitively ("Amélie" == "amelie"). Common English words are
learnt from the lowercase words of the GoEmotions, UCI and SST-2 sentences in ../shared/data (names there are
masked or capitalised); without those files the judge still runs, and then judges no sentence-initial word.
"""

from __future__ import annotations

import math
import re
import unicodedata
import zoneinfo
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.story_judge_rules import MemberNotes, Sources, opinion_reasons, orphan_reason, point_reasons, story_reason
from models.film.catalog import Catalog, Film

DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
PRINCIPAL_CAST = 5  # the top of a film's cast by catalog prominence (see `principal_cast`)
POSITIVE_SHARE = 0.7  # a rating at or above this share of its scale must read positive
NEGATIVE_SHARE = 0.4  # at or below this, negative
LOOP_WORDS = 8  # a repeated run of this many words is a loop
REFRAIN_WORDS, REFRAIN_TIMES = 5, 3  # and so is a run of 5 words said 3 times
CHECKS = ("role_errors", "minor_cast", "invented_names", "rating_mismatch", "broken_numbers", "loops", "leaks", "story",
          "opinion", "orphans")

PositiveFn = Callable[[Sequence[str]], Iterable[float]]  # MoodClassifier.positive: texts -> P(positive) each

# -- text helpers ------------------------------------------------------------------------------------------------

_FOLD = str.maketrans({"æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ß": "ss"})
_NON_WORD = re.compile(r"[^\w]+")
_POSSESSIVE = re.compile(r"['’]s?$")


def fold(text: str) -> str:
    """Accents, case and punctuation away: "Amélie Poulain's" -> "amelie poulain s"."""
    text = unicodedata.normalize("NFKD", text.replace("&", " and "))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold().translate(_FOLD)
    return " ".join(_NON_WORD.sub(" ", text.replace("'", "").replace("’", "")).split())


def fold_words(text: str) -> list[str]:
    return fold(text).split()


# -- the notes' points a review keeps (a count of its own, beside the flags) -------------------------------------------

_POINT_BREAK = re.compile(r"[,;\n]+|[.!?]+\s+|\s+-\s+|\s+but\s+", re.IGNORECASE)
_POINT_STOP = frozenset("""
the a an and or but of to in on at by for with is was are were be been it its this that so too very really just
my me i not no than then as from about all any some one his her their our your who what
""".split())


def points_kept(notes: str, text: str) -> tuple[int, int]:
    """(kept, total): the notes' points (split at commas, semicolons, stops, dashes and "but") of which the review
    says at least one word (three letters or more, no function word; compared by its first five letters)."""
    said = {w[:5] for w in fold_words(text)}
    kept = total = 0
    for point in _POINT_BREAK.split(notes):
        words = [w for w in fold_words(point) if (len(w) >= 3 or w.isdigit()) and w not in _POINT_STOP]
        if not words:
            continue
        total += 1
        kept += any(w[:5] in said for w in words)
    return kept, total


_ABBREVIATIONS = frozenset("mr mrs ms dr st jr sr vs mt no vol ft lt col gen sgt capt prof rev fig approx etc".split())
# The shortest run of a line that ends at . ! ? or … (with closing quotes or brackets) before a space, or the
# line's end.
_PIECE = re.compile(r"(?=\S).*?(?:[.!?…]+[\"'”’)\]]*(?=\s)|$)")
_LAST_STOP = re.compile(r"(\S*?)\s*([.!?…]+)[\"'”’)\]]*$")  # the word before the final stop, and the stop


def _goes_on(sentence: str) -> bool:
    """Does this sentence so far end at an abbreviation or an initial ("Mr.", "J."), so that it goes on?"""
    stop = _LAST_STOP.search(sentence)
    if stop is None or not stop.group(2).startswith("."):
        return False
    word = stop.group(1).casefold()
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def split_sentences(text: str) -> list[str]:
    """Sentences and lines of `text`; "Mr. Smith", "J. J. Abrams" and "Samuel L. Jackson" are not split."""
    sentences: list[str] = []
    for line in text.split("\n"):
        start: int | None = None  # where the sentence being read began
        for piece in _PIECE.finditer(line):
            start = piece.start() if start is None else start
            sentence = line[start : piece.end()].strip()
            if not _goes_on(sentence):
                sentences.append(sentence)
                start = None
        if start is not None:
            sentences.append(line[start:].strip())
    return sentences


# A capitalised word (with apostrophes and hyphens: "O'Brien", "Jean-Pierre", "DiCaprio"), or an initial ("J.").
_CAP = r"(?:[A-ZÀ-ÖØ-Þ][\w'’\-]*|[A-Z]\.)"
_PARTICLE = r"(?:de|del|della|der|di|da|van|von|le|la|du|bin|al|dos|das|ten|ter)"
_NAME_RUN = rf"{_CAP}(?:\s+(?:{_PARTICLE}\s+)?{_CAP}){{0,4}}"
_RUN = re.compile(_NAME_RUN)
_WORD = re.compile(r"[^\W\d_][\w'’\-]*")


# -- data ------------------------------------------------------------------------------------------------------

_ALLOWED_CAPITALISED = """
i i'm i've i'd i'll ok okay tv dvd vhs cgi imax fbi cia nasa kgb nypd lapd us usa uk un ussr wwii ww2 ai
ii iii iv vi vii viii ix xi xii 3d
god gods heaven hell satan devil lord jesus christ bible biblical christmas easter halloween thanksgiving valentine
monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
september october november december
earth mars moon sun universe internet web mafia mob holocaust world war wars depression prohibition revolution
civil cold wild west western east eastern north northern south southern midwestern pacific atlantic mediterranean
northwest northeast southwest southeast midwest
arctic antarctic alps everest sahara amazon
american americans british european asian african australian canadian mexican latin latino hispanic jewish
christian catholic protestant muslim islamic arab nazi nazis soviet communist confederate yankee roman romans
greek egyptian persian victorian edwardian elizabethan gothic baroque renaissance parisian texan californian
hollywood bollywood broadway technicolor cinemascope cinerama oscar oscars academy award awards golden globe globes
cannes palme d'or sundance bafta emmy grammy best picture actor actress director supporting screenplay score
feature festival film films movie cinema noir new old
mr mrs ms miss dr sir dame madame monsieur captain colonel general major sergeant lieutenant detective agent
officer inspector sheriff judge father mother sister brother uncle aunt grandma grandpa mom dad mama papa king
queen prince princess emperor president senator governor mayor professor doctor count baron duke lady pope saint
st jr sr
act part chapter episode volume vol
"""
_STARTERS = """additionally furthermore moreover notably stylistically however therefore thus hence meanwhile
consequently likewise similarly conversely nonetheless regardless besides afterwards eventually finally firstly
secondly thirdly lastly overall altogether essentially basically undoubtedly undeniably arguably clearly evidently
ultimately initially personally honestly frankly admittedly instead otherwise perhaps indeed certainly"""
# Zone names that are also people's names: never let them hide an invented name.
_NOT_PLACES = frozenset("sydney adelaide victoria regina darwin hobart dawson knox howe lord beulah marengo vevay "
                        "winamac center tell salem louisville petersburg".split())
_US_STATES = """alabama alaska arizona arkansas california colorado connecticut delaware florida georgia hawaii idaho
illinois indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota mississippi missouri
montana nebraska nevada hampshire jersey mexico york carolina dakota ohio oklahoma oregon pennsylvania rhode island
tennessee texas utah vermont virginia washington wisconsin wyoming manhattan brooklyn bronx queens harlem vegas
francisco boston seattle miami chicago hollywood malibu hamptons vienna venice rome paris london berlin tokyo
"""


def _places() -> frozenset[str]:
    words: set[str] = set(_US_STATES.split())
    for zone in zoneinfo.available_timezones():
        city = zone.rsplit("/", 1)[-1].replace("_", " ")
        for word in fold_words(city):
            if word not in _NOT_PLACES and len(word) > 2:
                words.add(word)
    return frozenset(words)


def _lowercase_words(paths: Iterable[Path], column: int = 0) -> Counter[str]:
    counts: Counter[str] = Counter()
    for path in paths:
        if not path.is_file():
            continue
        with path.open(encoding="utf-8", errors="replace") as handle:
            for line in handle:
                text = line.split("\t")[column] if "\t" in line else line
                counts.update(w for w in re.findall(r"[a-z][a-z']*", text) if w.islower())
    return counts


def common_words(first_names: Iterable[str] = (), name_words: Iterable[str] = (), one_word_titles: Iterable[str] = (),
                 data_dir: Path = DATA_DIR) -> frozenset[str]:
    """Lowercase English words: seen at least 3 times in lowercase in Reddit comments (GoEmotions, where names are
    masked) and review sentences (UCI yelp/amazon), or 10 times in SST-2 (lowercased throughout, so only words that
    are no part of any catalog person's name and no one-word film title count: not "bourne", "goodfellas"), and a
    few sentence openers ("Furthermore"). A common first name ("jack", "grace") counts only when it is very frequent
    in lowercase ("will", "hope"). Empty without the data files."""
    cased = _lowercase_words([data_dir / "emotions" / f"{part}.tsv" for part in ("train", "dev", "test")]
                             + [data_dir / "sentiment" / f"{name}_labelled.txt" for name in ("yelp", "amazon_cells")])
    firsts = frozenset(first_names)
    words = {w for w, n in cased.items() if n >= 3 and (w not in firsts or n >= 50)}
    names = frozenset(name_words) | frozenset(one_word_titles)
    sst = _lowercase_words([data_dir / "sentiment" / "sst2_train.tsv"])
    words.update(w for w, n in sst.items() if n >= 10 and w not in firsts and w not in names)
    if words:
        words.update(_STARTERS.split())
    return frozenset(w.replace("'", "") for w in words)


@dataclass(frozen=True)
class CatalogFacts:
    """What the judge knows from the catalog: every credited person, each actor's prominence, and the words of
    countries, languages, genres and titles (all folded)."""

    people: frozenset[str]  # folded full names (two words or more) of every director, writer and cast member
    prominence: dict[str, float]  # folded actor name -> prominence (see `principal_cast`)
    vocabulary: frozenset[str]  # folded words of countries, languages and genres
    titles: frozenset[str]  # folded titles of two words or more, and one-word titles of the most reviewed films
    one_word_titles: frozenset[str]  # every folded one-word title
    first_names: frozenset[str]  # first words of people's names used by at least 3 people
    name_words: frozenset[str]  # every word of every person's name

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> CatalogFacts:
        """One pass over the catalog (about a second)."""
        people: set[str] = set()
        prominence: defaultdict[str, float] = defaultdict(float)
        vocabulary: set[str] = set()
        titles: set[str] = set()
        single: list[tuple[int, str]] = []
        firsts: Counter[str] = Counter()
        for row in catalog.all_rows():
            film, reviews = Film.from_row(row), int(row[12] or 0)
            for name in (*film.directors, *film.writers, *film.cast):
                key = fold(name)
                if " " in key and key not in people:
                    people.add(key)
                    firsts[key.split()[0]] += 1
            for value in (*film.countries, *film.languages, *film.genres):
                vocabulary.update(fold_words(value))
            title = fold(film.title)
            if " " in title:
                titles.add(title)
            elif title:
                single.append((reviews, title))
            if film.cast and "Documentary" not in film.genres:
                weight = (reviews + 1) / math.sqrt(len(film.cast))
                for name in film.cast:
                    prominence[fold(name)] += weight
        single.sort(reverse=True)
        titles.update(title for _, title in single[:2000])
        return cls(frozenset(people), dict(prominence), frozenset(vocabulary), frozenset(titles),
                   frozenset(t for _, t in single), frozenset(w for w, n in firsts.items() if n >= 3),
                   frozenset(w for k in people for w in k.split()))

    def principal_cast(self, film: Film, top: int = PRINCIPAL_CAST) -> frozenset[str]:
        """The film's principal cast (folded names): the `top` members of its cast by prominence across the whole
        catalog. The catalog lists cast alphabetically, not in billing order, so prominence stands in for billing:
        each non-documentary film an actor is in adds (its Rotten Tomatoes review count + 1) / sqrt(its cast size),
        so big films count most and a long, exhaustive cast list counts less per name. A stand-in only: on 26 films
        with hand-picked leads, 64% of those leads are in their film's top 5; a prolific character actor can outrank a
        lead, most of all in the 1940s (Casablanca's top 5 holds Alberto Morin, not Claude Rains), and a star's cameo
        counts as principal (Kurt Russell in Forrest Gump). The reason of each minor_cast flag gives the rank."""
        ranked = sorted(film.cast, key=lambda name: (-self.prominence.get(fold(name), 0.0), name))
        return frozenset(fold(name) for name in ranked[:top])


# -- what one reply is about -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Subject:
    """The member's input for one review: the film (None when the catalog does not know it), its title as typed,
    the notes and the rating; and the film's plot line where one is known (what a review may tell of its story)."""

    title: str
    notes: str
    film: Film | None = None
    rating: float | None = None
    scale: int | None = None
    plot: str = ""

    @property
    def share(self) -> float | None:
        return None if self.rating is None or not self.scale else self.rating / self.scale


@dataclass(frozen=True)
class Flag:
    check: str
    sentence: str
    reason: str


@dataclass
class Verdict:
    flags: list[Flag] = field(default_factory=list)
    positive: float | None = None  # mean P(positive) over the sentences
    positive_whole: float | None = None  # P(positive) of the whole text (the classifier reads its head and tail)

    @property
    def clean(self) -> bool:
        return not self.flags

    def of(self, check: str) -> list[Flag]:
        return [f for f in self.flags if f.check == check]


# -- role claims -------------------------------------------------------------------------------------------------

_P = rf"(?P<person>{_NAME_RUN})"
_ROLE_TEXT = r"(?P<role>[\w'’\-]+(?:\s+[\w'’\-]+){0,5})"
_AS_ROLE = rf"(?P<role>{_NAME_RUN}|(?:the|a|an|his|her|their)\s+[\w'’\-]+(?:\s+[\w'’\-]+){{0,2}})"
_ROLE_NOUN = (r"(?:villain|lead|leading man|leading lady|hero|heroine|protagonist|antagonist|main character|"
              r"title character|killer|narrator|antihero|anti-hero|star)")
_ADVERB = r"(?:[a-z]+ly\s+)?"

# (kind, pattern). Kinds: "role" pairs a person with a part; "cast" says the person acts in the film;
# "director", "writer": the credit must be the catalog's; "crew": composer, cinematographer, editor, producer.
_CLAIMS: list[tuple[str, re.Pattern[str]]] = [(kind, re.compile(pattern)) for kind, pattern in [
    ("role", rf"{_P}\s+{_ADVERB}(?i:plays|played|playing|portrays|portrayed|portraying|embodies|embodied|"
             rf"stars as|starred as|starring as|is cast as|was cast as|takes on the role of|took on the role of)"
             rf"\s+{_ROLE_TEXT}"),
    ("role", rf"{_P}(?:['’]s?)?\s+(?:[a-z]+\s+){{0,2}}(?i:portrayal|performance|turn|depiction|interpretation|"
             rf"rendition|take)\s+(?:of|as)\s+{_ROLE_TEXT}"),
    ("role", rf"{_P}\s+as\s+{_AS_ROLE}"),
    ("role", rf"{_P}\s+(?:is|was)\s+(?:[a-z]+\s+){{1,2}}as\s+{_AS_ROLE}"),
    ("role", rf"(?P<role>[\w'’\-]+(?:\s+[\w'’\-]+){{0,3}}),?\s+(?:who\s+is\s+|who\s+was\s+)?"
             rf"(?i:played|portrayed|brought to life|embodied|voiced)\s+by\s+{_P}"),
    ("role", rf"(?i:the\s+)(?P<role>{_ROLE_NOUN})(?:\s+(?i:actor|actress|role|character))?,?\s+{_P}"),
    ("role", rf"{_P},\s+(?:who\s+plays\s+)?(?i:the\s+)(?P<role>{_ROLE_NOUN})\b"),
    ("role", rf"{_P}\s+(?i:in the role of|in the part of|in the title role)\s*{_ROLE_TEXT}?"),
    ("director", rf"(?i:directed|helmed|directed and written|written and directed|directed and co-written)\s+"
                 rf"(?i:by)\s+{_P}"),
    ("director", rf"(?i:director|filmmaker|auteur),?\s+{_P}"),
    ("director", rf"{_P}(?:['’]s?)\s+(?:[a-z]+\s+)?(?i:direction|directing|directorial)"),
    ("director", rf"{_P}\s+{_ADVERB}(?i:directed|directs|helmed|helms)\b"),
    ("director", rf"{_P},\s+(?i:the\s+)?(?i:director|filmmaker)\b"),
    ("writer", rf"(?i:written|penned|scripted|co-written|written and directed)\s+(?i:by)\s+{_P}"),
    ("writer", rf"(?i:screenplay|script)\s+(?i:by|from)\s+{_P}"),
    ("writer", rf"(?i:writer|screenwriter|scribe),?\s+{_P}"),
    ("writer", rf"{_P}(?:['’]s?)\s+(?:[a-z]+\s+)?(?i:script|screenplay|writing)\b"),
    ("writer", rf"{_P}\s+{_ADVERB}(?i:wrote|writes|co-wrote)\b"),
    ("crew", rf"(?i:composed|scored|shot|photographed|lensed|edited|produced|orchestrated)\s+(?i:by)\s+{_P}"),
    ("crew", rf"(?i:score|music|soundtrack|theme|cinematography|photography|editing)\s+(?i:is\s+|was\s+)?"
             rf"(?i:by|from)\s+{_P}"),
    ("crew", rf"(?i:composer|cinematographer|editor|producer|dp),?\s+{_P}"),
    ("crew", rf"{_P}(?:['’]s?)\s+(?:[a-z]+\s+){{0,2}}(?i:score|music|soundtrack|compositions?|cinematography|"
             rf"camera ?work|photography|editing)\b"),
    ("crew", rf"{_P},?\s+(?i:the\s+)?(?i:composer|cinematographer)\b"),
    ("crew", rf"{_P}\s+{_ADVERB}(?i:composed|scored)\b"),
    ("cast", rf"(?i:starring|stars|starred|featuring|features|co-stars|costars|actor|actress|cast member),?\s+{_P}"),
    ("cast", rf"{_P}(?:['’]s?)\s+(?:[a-z]+\s+){{0,2}}(?i:performance|acting|portrayal|role|character|turn)\b"),
    ("cast", rf"{_P}\s+{_ADVERB}(?i:stars|starred|acts|acted|co-stars)\b"),
]]
_ROLE_CUT = frozenset("with and in who that which to is was for but while as at on by from it this were are "
                      "has had have gives gave brings brought delivers makes made".split())
_ROLE_EMPTY = frozenset("the a an his her their its role roles part parts character characters himself herself him "
                        "it this that here there one own every perfectly well key pivotal major minor small big "
                        "crucial central important supporting memorable great good strong significant vital "
                        "integral".split())
_CREW_WORDS = {"crew": "composer or crew credit", "director": "director", "writer": "writer"}


def _role_words(role: str) -> list[str]:
    words: list[str] = []
    for word in fold_words(role):
        if word in _ROLE_CUT:
            break
        words.append(word)
    return [w for w in words if w not in _ROLE_EMPTY and not w.endswith("ly")]


# -- leaks, numbers ----------------------------------------------------------------------------------------------

_LEAKS = [re.compile(p, re.IGNORECASE | re.MULTILINE) for p in (
    r"\b(?:my|the|your|these|those|his|her|their|writer['’]s) notes\b(?!\s+of\b)",
    r"\bas instructed\b", r"\binstructions?\b", r"\bas requested\b", r"\bper your request\b",
    r"\b(?:the|these|those|your|my|following) rules\b(?!\s+of\b)", r"\brules? (?:for|of) (?:this|the|my) review\b",
    r"\bcatalog(?:ue)?\b", r"\bthe writer['’]s\b", r"\brewrit(?:e|es|ten|ing)\b", r"\bpolished\s+review\b",
    r"\bmatch(?:es|ed|ing)?\s+(?:its|the|my|your|their)\s+enthusiasm\b", r"\bas it matches\b",
    r"^\W*here(?:\s+is|['’]s|\s+are)\b", r"\bhere(?:\s+is|['’]s)\s+(?:my|the|a|your)\s+(?:review|rewrite|version)",
    r"\boutputs?\b", r"\bword count\b", r"\b\d{2,3}(?:\s*(?:-|to)\s*\d{2,3})?\s+words\b",
    r"\bI['’]?m sorry\b", r"\bI am sorry\b", r"\bI can(?:['’]t|not)\s+(?:assist|help|comply|write|provide|fulfil)",
    r"\bas an AI\b", r"\blanguage model\b", r"\bfirst[- ]person\b", r"\breview page\b", r"\bfilm club['’]s\b",
    r"\bspoilers?\s*(?::|are|is)?\s*(?:not\s+)?allowed\b",
    r"^\s*(?:film|tone|my rating|rating|spoilers|my notes|notes|rules)\s*:",
    r"\bthe user\b", r"\bprompt\b", r"\bthe review (?:is|was|must|should|will)\b", r"\benthusiastic throughout\b",
    # the verdict's words of the prompt, said of the film ("its warm and enthusiastic tone")
    r"\bwarm and enthusiastic\b", r"\benthusiastic (?:review|tone)\b", r"\bclearly (?:positive|negative)\b",
    r"\bweighs the good and the bad\b",
    r"\bwith at most a small (?:reservation|good word)\b", r"\breal strengths against real flaws\b",
    r"\bverdict,? which\b", r"\bevery sentence\b", r"\bthe facts above\b", r"\bname nobody\b",
    r"\bmention(?:ed|ing)? (?:the|my) rating\b",
)]
_BROKEN = [
    re.compile(r"(?<![\d.])\d{1,2}\.\s+\d{1,2}\s*(?:/|out of)\s*(?:5|10)\b"),  # "4. 5/5", "7. 5 out of 10"
    re.compile(r"\d\.?[ \t]*\n\s*\.?\d+\s*(?:/|out of)\s*(?:5|10)\b"),  # a rating split across a line break
    re.compile(r"\d\s*/\s*\n\s*\d"),  # "4.5/\n5"
]
_STATED = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,2})?)\s*(?:/|out of)\s*(5|10|100)\b")
_STARS = re.compile(r"(?<![\d./])(\d(?:\.\d)?)\s*(?:-\s*)?stars?\b", re.IGNORECASE)


# -- the judge ---------------------------------------------------------------------------------------------------

class Judge:
    """Judges replies against the catalog and the member's input. Build once (`Judge.build`), then call `judge`."""

    def __init__(self, facts: CatalogFacts, positive: PositiveFn | None = None,
                 common: frozenset[str] | None = None) -> None:
        self.facts = facts
        self.positive = positive
        self.common = common if common is not None else frozenset()
        self.places = _places()
        self.allowed = frozenset(fold_words(_ALLOWED_CAPITALISED)) | self.places | facts.vocabulary

    @classmethod
    def build(cls, catalog: Catalog, positive: PositiveFn | None = None) -> Judge:
        facts = CatalogFacts.from_catalog(catalog)
        return cls(facts, positive, common_words(facts.first_names, facts.name_words, facts.one_word_titles))

    # -- entry points ------------------------------------------------------------------------------------------

    def judge(self, subject: Subject, text: str) -> Verdict:
        return self.judge_many([(subject, text)])[0]

    def judge_many(self, items: Sequence[tuple[Subject, str]]) -> list[Verdict]:
        """Judge many replies; the sentiment of all their sentences is scored in one batch."""
        verdicts = [self._judge_text(subject, text) for subject, text in items]
        if self.positive is not None:
            sentences = [[s for s in split_sentences(text) if len(s.split()) >= 3] or [text or " "]
                         for _, text in items]
            flat = [s for group in sentences for s in group] + [text or " " for _, text in items]
            scores = [float(p) for p in self.positive(flat)]
            at = 0
            for verdict, group in zip(verdicts, sentences, strict=True):
                verdict.positive = sum(scores[at:at + len(group)]) / len(group)
                at += len(group)
            for verdict, whole in zip(verdicts, scores[at:], strict=True):
                verdict.positive_whole = whole
            for (subject, text), verdict in zip(items, verdicts, strict=True):
                verdict.flags.extend(self._sentiment(subject, text, verdict.positive))
        return verdicts

    # -- per reply ---------------------------------------------------------------------------------------------

    def _judge_text(self, subject: Subject, text: str) -> Verdict:
        verdict = Verdict()
        if not text.strip() or text.startswith("[no reply"):
            verdict.flags.append(Flag("leaks", text.strip() or "(empty)", "no reply (empty, failed or refused)"))
            return verdict
        ctx = _Context.make(self, subject)
        sentences = split_sentences(text)
        flags: list[Flag] = []
        previous: str | None = None
        for sentence in sentences:
            flags.extend(self._roles(ctx, sentence))
            flags.extend(self._people(ctx, sentence))
            flags.extend(self._invented(ctx, sentence))
            flags.extend(self._leaks(sentence))
            flags.extend(self._story(ctx, sentence))
            flags.extend(self._opinion(ctx, sentence))
            flags.extend(self._orphans(ctx, sentence, previous))
            previous = sentence
        flags.extend(self._numbers(subject, text, sentences))
        flags.extend(self._loops(sentences))
        seen: set[tuple[str, str]] = set()
        for flag in flags:  # one flag per (check, sentence): several reasons are joined
            key = (flag.check, flag.sentence)
            if key in seen:
                i = next(i for i, f in enumerate(verdict.flags) if (f.check, f.sentence) == key)
                old = verdict.flags[i]
                if flag.reason not in old.reason:
                    verdict.flags[i] = Flag(old.check, old.sentence, f"{old.reason}; {flag.reason}")
                continue
            seen.add(key)
            verdict.flags.append(flag)
        return verdict

    def _roles(self, ctx: _Context, sentence: str) -> list[Flag]:
        flags = []
        for kind, pattern in _CLAIMS:
            for m in pattern.finditer(sentence):
                person = _strip_possessive(m.group("person"))
                who = ctx.resolve(person)
                if who is None and kind != "crew" and m.start("person") == m.start():
                    continue  # "Chigurh's performance": a name we do not know, maybe a character, as the subject
                reason = self._role_reason(ctx, kind, person, who, m.groupdict().get("role") or "")
                if reason:
                    flags.append(Flag("role_errors", sentence, reason))
        return flags

    def _role_reason(self, ctx: _Context, kind: str, person: str, who: str | None, role: str) -> str | None:
        film = ctx.subject.film
        in_notes = ctx.named_in_notes(person, who)
        if kind == "role":
            words = _role_words(role)
            if not words:  # "X plays his role with ...": only says X acts in it
                return self._role_reason(ctx, "cast", person, who, "")
            if in_notes and any(w in ctx.notes_words for w in words):
                return None
            if ctx.named_in_plot(person, who) and any(w in ctx.plot_words for w in words):
                return None  # the plot line gives the part: "It stars Jodie Foster as Clarice Starling"
            if who is not None and film is not None and who not in ctx.cast and who in ctx.crew:
                return f"{person} is credited as director/writer, not cast, yet paired with the role {role.strip()!r}"
            return f"pairs {person} with the role {' '.join(words)!r}: the catalog has no characters, the notes do " \
                   "not say it"
        if in_notes:
            return None
        if kind == "crew" and ctx.named_in_plot(person, who):
            return None  # the plot line's own words: "Italian composer Antonio Salieri" is a character (Amadeus)
        if kind == "crew":
            return f"names {person} as composer/crew: the catalog has no such credits and the notes do not name them"
        if film is None:
            return f"credits {person} as {kind} of a film the catalog does not know, and the notes do not say it"
        if kind == "director" and who not in ctx.directors:
            return f"{person} is not a director of this film (catalog: {', '.join(film.directors) or 'none'})"
        if kind == "writer" and who not in ctx.writers:
            return f"{person} is not a writer of this film (catalog: {', '.join(film.writers[:4]) or 'none'})"
        if kind == "cast" and who is not None and who not in ctx.cast and who in ctx.crew:
            return f"{person} is named as an actor but is credited only as director/writer"
        return None

    def _people(self, ctx: _Context, sentence: str) -> list[Flag]:
        reasons = []
        for name, key in ctx.catalog_people(sentence):
            if ctx.named_in_notes(name, key) or ctx.named_in_plot(name, key) or set(key.split()) <= ctx.title_words:
                continue
            film = ctx.subject.film
            if film is None:
                reasons.append(f"{name}: a catalog person, the film is not in the catalog and the notes do not "
                               "name them")
            elif key in ctx.directors or key in ctx.writers or key in ctx.principal:
                continue
            elif key in ctx.cast:
                rank = ctx.cast_rank.get(key, 0)
                reasons.append(f"{name}: a bit player (#{rank + 1} of {len(ctx.cast_rank)} in the cast by prominence)")
            else:
                reasons.append(f"{name}: not credited on this film")
        return [Flag("minor_cast", sentence, "; ".join(reasons))] if reasons else []

    def _invented(self, ctx: _Context, sentence: str) -> list[Flag]:
        names = []
        for m in _RUN.finditer(sentence):
            words = [_strip_possessive(w) for w in m.group(0).split()]
            initial = _is_initial(sentence, m.start())
            if fold(" ".join(words)) in self.facts.titles and len(words) > 1:
                continue  # another film's title: "like The Shining"
            people = {k for _, k in ctx.catalog_people(m.group(0))}
            person_words = {w for k in people for w in k.split()}
            unknown, strong = [], False
            for i, word in enumerate(words):
                key = fold(word)
                parts = key.split()  # "Sci-Fi", "Extra-Terrestrial": known when each part is; "Westerns" as "Western"
                if not key or len(key) == 1 or all(k in person_words or ctx.allowed(k) or (k.endswith("s")
                                                   and k[:-1] in self.facts.vocabulary) for k in parts):
                    continue
                if i == 0 and initial and (key in self.common or not self.common):
                    continue  # a sentence's first word: judged only when it is no common word
                unknown.append(word)
                strong = strong or key not in self.common  # "Red" alone is a colour; "Red Wilson" a name
            title = fold(words[0])  # "like Jaws": a popular one-word title, unless it is also a name ("Hannibal")
            if strong and not (len(words) == 1 and title in self.facts.titles and title not in self.facts.name_words):
                names.append(" ".join(unknown))
        if not names:
            return []
        return [Flag("invented_names", sentence, f"names not in the notes or the catalog: {', '.join(names)}")]

    def _story(self, ctx: _Context, sentence: str) -> list[Flag]:
        reason = story_reason(sentence, ctx.sources, self.places)
        return [Flag("story", sentence, reason)] if reason else []

    @staticmethod
    def _opinion(ctx: _Context, sentence: str) -> list[Flag]:
        subject = ctx.subject
        rating = f"{subject.rating:g}/{subject.scale}" if subject.share is not None else "no rating"
        reasons = opinion_reasons(sentence, ctx.member, subject.share, rating, POSITIVE_SHARE, NEGATIVE_SHARE)
        reasons += point_reasons(sentence, ctx.member, subject.title)
        return [Flag("opinion", sentence, "; ".join(reasons))] if reasons else []

    @staticmethod
    def _orphans(ctx: _Context, sentence: str, previous: str | None) -> list[Flag]:
        film = ctx.subject.film
        reason = orphan_reason(sentence, previous, " ".join([ctx.subject.title, film.title if film else ""]))
        return [Flag("orphans", sentence, reason)] if reason else []

    @staticmethod
    def _leaks(sentence: str) -> list[Flag]:
        hits = [m.group(0).strip() for p in _LEAKS for m in p.finditer(sentence)]
        return [Flag("leaks", sentence, f"prompt words: {', '.join(hits)}")] if hits else []

    @staticmethod
    def _numbers(subject: Subject, text: str, sentences: list[str]) -> list[Flag]:
        flags = []
        for pattern in _BROKEN:
            for m in pattern.finditer(text):
                flags.append(Flag("broken_numbers", _around(text, m.start(), m.end()),
                                  f"broken number {m.group(0)!r}"))
        for sentence in sentences:
            for value, scale in _stated(sentence):
                if subject.rating is None or not subject.scale:
                    flags.append(Flag("rating_mismatch", sentence, f"states {value:g}/{scale}: the member gave no "
                                                                   "rating"))
                elif abs(value / scale - subject.rating / subject.scale) > 0.005:
                    flags.append(Flag("rating_mismatch", sentence, f"states {value:g}/{scale}, the member gave "
                                                                   f"{subject.rating:g}/{subject.scale}"))
        return flags

    @staticmethod
    def _sentiment(subject: Subject, text: str, positive: float | None) -> list[Flag]:
        share = subject.share
        if share is None or positive is None or not text.strip():
            return []
        rating = f"{subject.rating:g}/{subject.scale}"
        if share >= POSITIVE_SHARE and positive < 0.5:
            return [Flag("rating_mismatch", "(whole review)", f"reads negative (P={positive:.2f}) for {rating}")]
        if share <= NEGATIVE_SHARE and positive > 0.5:
            return [Flag("rating_mismatch", "(whole review)", f"reads positive (P={positive:.2f}) for {rating}")]
        return []

    @staticmethod
    def _loops(sentences: list[str]) -> list[Flag]:
        flags = []
        seen: set[str] = set()
        grams: dict[tuple[str, ...], tuple[int, int]] = {}
        for index, sentence in enumerate(sentences):
            words = fold_words(sentence)
            key = " ".join(words)
            if len(words) >= 4 and key in seen:
                flags.append(Flag("loops", sentence, "the same sentence again"))
                continue
            seen.add(key)
            for i in range(len(words) - LOOP_WORDS + 1):
                gram = tuple(words[i:i + LOOP_WORDS])
                if gram in grams and grams[gram] != (index, i):
                    flags.append(Flag("loops", sentence, f"repeats {' '.join(gram)!r}"))
                    break
                grams.setdefault(gram, (index, i))
        # a refrain: a shorter run of words that keeps coming back ("questioning the nature of reality itself")
        refrains: Counter[tuple[str, ...]] = Counter()
        for sentence in sentences:
            words = fold_words(sentence)
            runs = {tuple(words[i:i + REFRAIN_WORDS]) for i in range(len(words) - REFRAIN_WORDS + 1)}
            refrains.update(runs)
            again = sorted(r for r in runs if refrains[r] == REFRAIN_TIMES)
            if again and not any(f.sentence == sentence for f in flags):
                flags.append(Flag("loops", sentence, f"says {' '.join(again[0])!r} a {REFRAIN_TIMES}rd time"))
        return flags


def _strip_possessive(word: str) -> str:
    return _POSSESSIVE.sub("", word) if re.search(r"['’]s?$", word) else word


def _is_initial(sentence: str, start: int) -> bool:
    """A word at the start of a sentence, a quote, a parenthesis or after a colon or dash."""
    before = sentence[:start].rstrip()
    return not before or before[-1] in "\"'“‘(:;—–-*_[" or bool(re.search(r"[.!?]$", before))


def _around(text: str, start: int, end: int) -> str:
    left = max(text.rfind(".", 0, max(0, start - 1)), text.rfind("\n", 0, start)) + 1
    right = min([i for i in (text.find(".", end), text.find("\n", end)) if i >= 0] or [len(text)])
    return " ".join(text[left:right + 1].split())


def _stated(sentence: str) -> list[tuple[float, int]]:
    found = [(float(a), int(b)) for a, b in _STATED.findall(sentence)]
    found += [(float(a), 5) for a in _STARS.findall(sentence)]
    return [(v, s) for v, s in found if 0 <= v <= s]


@dataclass
class _Context:
    """One subject's allowed names and credits, folded."""

    judge: Judge
    subject: Subject
    notes_text: str
    notes_words: frozenset[str]
    title_words: frozenset[str]
    directors: frozenset[str]
    writers: frozenset[str]
    cast: frozenset[str]
    principal: frozenset[str]
    cast_rank: dict[str, int]
    credit_words: dict[str, str]  # a word of a credited name -> that name, e.g. "hopkins" -> "anthony hopkins"
    plot_text: str  # the film's plot line, folded: the names and roles it gives are given
    plot_words: frozenset[str]
    sources: Sources  # what the story may be told from: notes, plot line, title, catalog facts
    member: MemberNotes  # what the notes say of each aspect (acting, music ...)

    @classmethod
    def make(cls, judge: Judge, subject: Subject) -> _Context:
        film = subject.film
        directors = frozenset(fold(n) for n in film.directors) if film else frozenset()
        writers = frozenset(fold(n) for n in film.writers) if film else frozenset()
        cast = frozenset(fold(n) for n in film.cast) if film else frozenset()
        principal = judge.facts.principal_cast(film) if film else frozenset()
        ranked = sorted(film.cast, key=lambda n: (-judge.facts.prominence.get(fold(n), 0.0), n)) if film else []
        credit_words: dict[str, str] = {}
        for key in sorted(directors | writers | cast):
            for word in key.split():
                if len(word) > 2:
                    credit_words.setdefault(word, key)
        title = " ".join([subject.title, film.title if film else ""])
        facts = (*film.genres, *film.languages, *film.directors, *film.writers, *film.cast) if film else ()
        sources = Sources.build(subject.notes, subject.plot, title, facts, film.countries if film else (),
                                film.year if film else None)
        member = MemberNotes.read(subject.notes, film.cast if film else (), film.directors if film else ())
        return cls(judge, subject, fold(subject.notes), frozenset(fold_words(subject.notes)),
                   frozenset(fold_words(title)), directors, writers, cast, principal,
                   {fold(n): i for i, n in enumerate(ranked)}, credit_words, fold(subject.plot),
                   frozenset(fold_words(subject.plot)), sources, member)

    @property
    def crew(self) -> frozenset[str]:
        return self.directors | self.writers

    def allowed(self, key: str) -> bool:
        return (key in self.notes_words or key in self.title_words or key in self.credit_words
                or key in self.plot_words or key in self.judge.allowed)

    def resolve(self, name: str) -> str | None:
        """The folded full name of the person `name` means: a catalog person ("Anthony Hopkins"), or a credited
        person of this film by one word of the name ("Hopkins"); None for a name we do not know."""
        key = fold(name)
        if key in self.judge.facts.people:
            return key
        people = [k for _, k in self.catalog_people(name)]
        if people:
            return people[0]
        words = key.split()
        if words and words[-1] in self.credit_words:
            return self.credit_words[words[-1]]
        if words and words[0] in self.credit_words and len(words) == 1:
            return self.credit_words[words[0]]
        return None

    def catalog_people(self, text: str) -> list[tuple[str, str]]:
        """(as written, folded) for each catalog person named in full in `text`, longest match first."""
        found = []
        for m in _RUN.finditer(text):
            words = [_strip_possessive(w).rstrip(".") for w in m.group(0).split()]
            i = 0
            while i < len(words) - 1:
                for j in range(min(len(words), i + 5), i + 1, -1):
                    key = fold(" ".join(words[i:j]))
                    if key in self.judge.facts.people:
                        found.append((" ".join(words[i:j]), key))
                        i = j
                        break
                else:
                    i += 1
        return found

    def named_in_notes(self, name: str, key: str | None) -> bool:
        """The notes name this person: in full, or by a word of the name that is no common word ("Hopkins",
        "Keanu", "Cillian")."""
        return self._named(name, key, self.notes_text, self.notes_words)

    def named_in_plot(self, name: str, key: str | None) -> bool:
        """The film's plot line names this person (as the notes would: in full, or by an uncommon word)."""
        return bool(self.plot_text) and self._named(name, key, self.plot_text, self.plot_words)

    def _named(self, name: str, key: str | None, text: str, text_words: frozenset[str]) -> bool:
        full = key or fold(name)
        if full and re.search(rf"\b{re.escape(full)}\b", text):
            return True
        words = set(full.split()) | set(fold_words(name))
        return any(w in text_words and len(w) > 2 and w not in self.judge.common for w in words)
