"""What a review may say beyond its people: the story only as far as its sources tell it, opinions only the member's.

A review is the member's own words in public. Its sources are the member's notes, the catalog's facts about the film
and the film's plot line (a sentence or two from Wikipedia, when the catalog has one). A small model writes fluently
past them: it invents a premise ("a crop duster pilot navigating a mysterious mountain range"), a period ("the
essence of the 1950s"), a scene, and stock opinions the member never gave ("the acting was top-notch", "the pacing is
uneven"). `Fidelity.reason` names what is wrong with one sentence, or returns None:

story     the sentence tells the story with words no source gives: it has a story frame ("the film follows",
          "set in", "the opening scene", ", where they ...") and one such word, or two such words of which one is a
          story word. A word counts when it is not a function word, not a reviewer's or everyday word and not found
          in the sources (compared by a crude stem and by its first six letters: "escaped" ~ "escape"); a story
          word is one that plot summaries use far more than reviews, or that reviews hardly use at all
          (models/weights/word_roles.tsv, built by scripts/build_word_roles.py from 25,000 IMDB reviews and 5,669
          Wikipedia plots). A reviewer's stock phrase ("poorly executed", "fans of") is no story. A period or year
          no source gives ("the 1950s", "set in 1912") is enough alone.
opinion   an evaluation of an aspect (acting, music, pacing, dialogue, ending, look, direction, effects, script,
          characters, plot, humour) that the notes never mention; or a criticism in a review the member rated 70% or
          more whose notes criticise nothing (a 4/5 that "falls short"), or praise of an aspect at 40% or less
          whose notes praise nothing. A general verdict ("I loved it", "a must-see") follows from the rating and
          is never flagged.

A sentence written in Chinese is read by `models.film.fidelity_zh` (whose `reason` reads any sentence, in either
language) against the same sources (its words glossed in
English by CC-CEDICT to meet the English plot line and facts). The judge of these replies (bench/review_judge.py,
and bench/languages.py for Chinese) shares no code with these modules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

WORD_ROLES_FILE = Path(__file__).resolve().parents[1] / "weights" / "word_roles.tsv"
POSITIVE_SHARE = 0.7  # a rating at or above this share of its scale: criticism must come from the notes
NEGATIVE_SHARE = 0.4  # at or below: praise of an aspect must come from the notes
STORY_WORDS = 2  # unsupported words that make a sentence a story claim, one of them a story word (1 with a frame)
_PREFIX = 6  # words that share their first 6 letters are one word to the check ("biographical" ~ "biography")

_TOKEN = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ]+(?:['’][A-Za-z]+)?|\d{4}s|\d+")

# function words, pronouns, auxiliaries and the commonest verbs: never evidence of a story claim
FUNCTION_WORDS = frozenset("""
a about above across after again against all almost along already also although always am among an and another any
anyone anything are around as at away back be became because become becomes been before being below beside besides
between beyond both but by can cannot could did do does doing done down during each either else enough even ever
every everyone everything far few for from further get gets getting give given gives go goes going gone got had has
have having he her here hers herself him himself his how however i if in indeed into is it its itself just least
less let like made make makes making many may me might mine more most much must my myself near neither never nor not
nothing now of off often on once one only onto or other others otherwise our ours ourselves out over own perhaps
quite rather really said same say says see seen seem seemed seems shall she should since so some someone something
sometimes still such than that the their theirs them themselves then there these they thing things this those though
through throughout thus till to too toward towards under until up upon us very via was way we well were what whatever
when where whether which while who whom whose why will with within without would yet you your yours yourself
ain't aren't can't couldn't didn't doesn't don't hadn't hasn't haven't isn't it's i'm i've i'd i'll let's she's he's
that's there's they're they've we're we've wasn't weren't won't wouldn't shouldn't what's who's you're you've
film films movie movies picture story stories scene scenes character characters plot viewer viewers audience
audiences watch watched watching time times moment moments part parts way ways kind sort lot bit end
""".split())

# Aspects of a film a review can judge, each a pattern of the words that name it (whole words)
ASPECTS: dict[str, str] = {
    "acting": r"act(?:s|ed|ing|or|ors|ress|resses)?|perform(?:s|ed|ing|ance|ances|er|ers)?|cast(?:ing)?|"
              r"portray(?:s|ed|al|als)?|chemistry|delivery|turns? as",
    "music": r"music(?:al numbers?)?|score[sd]?|soundtracks?|songs?|sing(?:s|ing)?|sung|tunes?|melod(?:y|ies)|"
             r"composer|orchestra\w*",
    "pacing": r"pac(?:e|ed|ing)|runtime|running time|length|drag(?:s|ged|ging)?|too long|overlong|brisk",
    "dialogue": r"dialogue|dialog|lines|script(?:s|ed)?|screenplay|writing|written|accents?",
    "ending": r"ending|endings|finale|climax|conclusion|final act|last act|third act",
    "look": r"cinematograph\w*|visuals?|visually|photograph\w*|camera(?:work)?|shots?|imagery|looks?|colou?rs?|"
            r"lighting|framing|composition|set design|production design|costumes?",
    "direction": r"direction|directing|directed|director|directs|film-?making|craftsmanship",
    "effects": r"effects|cgi|fx|stunts?|make-?up",
    "characters": r"characters?|characteri[sz]ations?|protagonists?|villains?|heroes|hero|heroine|leads",
    "plot": r"plot|plots|storyline|narrative|story|storytelling|twists?|premise",
    "action": r"action(?:-packed)?|fight scenes?|car chases?|shoot-?outs?|set pieces?",
    "humour": r"humou?r|humorous|hilarious\w*|jokes?|funny|comedy|comic|comedic|gags?|laugh(?:s|ter)?|wit|witty",
    "editing": r"editing|edited|montages?",
    "sound": r"sound design|sound mix|sound effects",
}
_ASPECT_RE = {aspect: re.compile(rf"\b(?:{words})\b", re.IGNORECASE) for aspect, words in ASPECTS.items()}

# evaluation words: what turns naming an aspect into judging it
_PRAISE = re.compile(
    r"\b(?:great|good|fine|nice|excellent|superb|outstanding|brilliant\w*|top[- ]notch|well[- ]\w+|amazing|"
    r"incredibl[ey]|impressive|fantastic|wonderful\w*|perfect\w*|masterful\w*|stunning\w*|beautiful\w*|"
    r"captivating|compelling|convincing\w*|memorable|strong|solid|stellar|standout|stand[- ]out|exceptional\w*|"
    r"remarkabl[ey]|powerful\w*|effective\w*|engaging|gripping|nuanced|noteworthy|praise\w*|shine[sd]?|shining|"
    r"elevate[sd]?|highlights?|strengths?|breathtaking|flawless\w*|spot[- ]on|nail(?:s|ed)|catchy|lovely|"
    r"delightful\w*|charming|enchanting|haunting\w*|terrific|phenomenal|crisp|witty|clever|iconic|unforgettable|"
    r"enhanc\w*|adds? to|added to|complement\w*|chilling|riveting|electric|magnetic|mesmeri[sz]\w*|hypnotic|"
    r"masterclass|masterpiece|triumph\w*|satisfying|balanced|developed|relatable|believable|realistic|authentic|"
    r"moving|touching|heartfelt|poignant|exciting|thrilling|suspenseful|entertaining|enjoyable|fun|creative|"
    r"original|fresh|unique|smart|intelligent|thoughtful|rich|layered|depth|impactful|emotional|intense|"
    r"seamless\w*|superior|vivid|striking|gorgeous|lush|spectacular|epic|excell\w*|heart-?warming|hilarious\w*|"
    r"admir\w*|uplifting|inspiring|inspirational)\b",
    re.IGNORECASE)
_CRITICISM = re.compile(
    r"\b(?:bad|poor\w*|weak\w*|falls? flat|fell flat|dull|boring|bored|tedious|uneven\w*|predictabl[ey]|"
    r"clich[eé]\w*|cheesy|forgettable|mediocre|lacklustre|lackluster|lack(?:s|ed|ing)?|falls? short|fell short|"
    r"disappoint\w*|let ?down|a bit off|off-putting|difficult to follow|hard to follow|confusing|confused|muddled|"
    r"messy|drag(?:s|ged|ging)?|overlong|too long|too slow|sluggish|bloated|wooden|stiff|awkward\w*|"
    r"(?:difficult|hard) to (?:understand|care)|mean[- ]spirited|nuisance|"
    r"unconvincing|unnecessary|overdone|overwrought|heavy-handed|clumsy|clumsily|shallow|paper-thin|thin|"
    r"underdeveloped|underwhelming|annoying|grating|jarring|failed|fails?|flaw(?:s|ed)?|shortcomings?|"
    r"struggles? to|detract\w*|marred|miss(?:es|ed)? the mark|could have been|inconsistent|rushed|"
    r"over-the-top|unappealing|unsatisfying|unfocused|slow|not (?:as|very|quite|so|that|great|good|enough)|"
    r"didn't work|doesn't work|terrible|awful|worst|mess|pointless|lifeless|stale|bland|generic|forced|"
    r"contrived|disjointed|unwatchable|incoherent|choppy|laughable|excruciating|tiresome|exhausting|"
    r"cringe-?worthy|clunky|sentimental|mawkish|schmaltzy|saccharine)\b",
    re.IGNORECASE)
# a reviewer's stock phrases: a judgement, never a story ("poorly executed", "fails to capture", "fans of")
_STOCK = re.compile(
    r"\b(?:(?:well|poorly|beautifully|expertly|brilliantly|masterfully|skil+ful+y|superbly|finely)[- ]\w+|"
    r"(?:fails?|failed) to \w+|captur\w+ the \w+|anyone who (?:\w+ )?(?:loves?|likes?|enjoys?|wants?)|"
    r"fans? of|a good \w+|edge of (?:my|your|their) seats?|from start to finish|must[- ]see|must[- ]watch)\b",
    re.IGNORECASE)
# words in the notes that show the member criticised something (beyond _CRITICISM itself)
_NOTES_CRITICAL = re.compile(
    r"\b(?:but|though|although|too|not|no|never|meh|hated?|dislike\w*|worse|ugh|yawn|silly|dumb|stupid|"
    r"cringe\w*|overrated|long|loud|cold|cheap|whiny|lazy|mean|mess|annoy\w*|dated|badly|so bad|fizzl\w*|lost me|"
    r"painful|pointless|weird|odd|"
    r"(?:ca|do|wo|is|was|does|did)nt)\b|n't\b", re.IGNORECASE)
_NOTES_PRAISING = re.compile(
    r"\b(?:love[ds]?|loving|best|wow|liked?|enjoy\w*|decent|genius|slaps|joy|holds? up|delight\w*|"
    r"riot|quotable)\b", re.IGNORECASE)

# a sentence that frames the story (premise, setting, events, scenes)
_STORY_FRAME = re.compile(
    r"\b(?:follows|following the|tells (?:the|a) story|the story of|story (?:is|was) about|revolves around|"
    r"cent(?:er|re)s? (?:on|around)|is about|was about|set (?:in|during|against|amid)|takes place|took place|"
    r"opening (?:scene|sequence|shot)|final (?:scene|sequence|shot)|the scene (?:where|in which|when)|"
    r"in the end|ends with|ended with|begins with|began with|starts with|journey|embarks?|flee[s]?|fled|"
    r"escape[sd]?|navigat\w+|the (?:protagonist|main character)s?\b|, where (?:the|a|an|he|she|they)\b)",
    re.IGNORECASE)
_PERIOD = re.compile(
    r"\b(?:(?:1[6-9]|20)\d0s|(?:the\s+)?(?:nineteen[- ])?(?:twenties|thirties|forties|fifties|sixties|seventies|"
    r"eighties|nineties)|(?:1[5-9]|20)(?:st|nd|rd|th)[- ]century|(?:fifteenth|sixteenth|seventeenth|eighteenth|"
    r"nineteenth|twentieth)[- ]century|victorian|medieval|middle ages|renaissance|post-war|pre-war|wartime|"
    r"the (?:great )?depression|the civil war|world war (?:i|ii|one|two|1|2))\b",
    re.IGNORECASE)
# an aspect as the sentence's subject: "The pacing was fast-paced", "The film's visuals were ..."
_ASPECT_SUBJECT = re.compile(
    r"^\W*(?:overall,?\s+)?(?:the|its|this film's|the film's|the movie's)\s+((?:[\w-]+\s+){0,2}?[\w-]+)\s+"
    r"(?:was|were|is|are|felt|feels|seemed|seems|kept|keeps|made|makes|added|adds|brought|brings|left|leaves|"
    r"could|had|has)\b", re.IGNORECASE)
# how the film ends, or that it turns: a claim about the story and a judgement at once, the member's to make
# ("In conclusion, ..." is a reviewer's phrase, not the ending)
_ENDING = re.compile(r"\b(?:ending|endings|finale|climax|twists?|(?:final|last|third) act|(?<!in )conclusion|"
                     r"ends with|ended with)\b", re.IGNORECASE)
# what the film is "about" in a reviewer's frame: "a haunting exploration of the human psyche", "a tale of love,
# loss and the power of friendship"; the words of its object are a theme, which a source must give
_THEME = re.compile(r"\b(?:exploration|study|meditation|portrait|examination|tale|reflection|commentary|critique|"
                    r"celebration|parable|allegory|story)\s+(?:of|about|on)\s+([^.;:!?]*)", re.IGNORECASE)
_THEME_STOP = re.compile(r",?\s+\b(?:that|which|who|where|while|but|as|with|set|in|through|against|is|was|are|were|"
                         r"felt|feels|seems|seemed|makes|made|leaves|left|gives|gave|keeps|kept)\b", re.IGNORECASE)
THEME_WORDS = 8  # the words after "a tale of" that name its theme
_YEAR = re.compile(r"\b(?:1[5-9]\d\d|20\d\d)\b(?![/.]\d)")
# advice against the film: with no rating, only notes that criticise something give it
_DISSUADES = re.compile(r"\b(?:would|could|can|do|will)(?:\s+not|n['’]t)\s+(?:\w+\s+)?recommend\w*|"
                        r"\bnot worth (?:watching|seeing|the time|your time)|\bsteer clear\b", re.IGNORECASE)
# a verdict on the whole film, which follows from the rating and may stay
_WHOLE = re.compile(r"^\W*(?:it|this film|this movie|the film|the movie|overall|all in all|in short|"
                    r"i (?:loved|liked|enjoyed|hated|disliked|adored|recommend))\b", re.IGNORECASE)


# how a sentence that leans on the one before it starts ("It was catchy", "They steal the show"): the grounding
# check's orphans, and the sentences a review's two drafts do not trade
LEANING_START = (r"it|its|it's|this|that|these|those|they|their|them|he|his|him|she|her|both|such|also|each|either|"
                 r"neither|the latter|the former|another")

OPINION_REASONS = ("an opinion the notes do not give", "a criticism the member did not make",
                   "praise the member did not give", "the member's criticism moved", "praise of what the member")
# a judging word before the noun it qualifies, after its determiner: "a gripping drama", "its powerful and moving
# story" (the word after it is no function word: "the highlights of" stays)
_DEGREE = r"(?:(?:very|truly|particularly|incredibly|really|so|quite|deeply|utterly|genuinely|most)\s+)?"
_JUDGING = rf"{_DEGREE}(?:{_PRAISE.pattern}|{_CRITICISM.pattern})"
_ATTRIBUTIVE = re.compile(
    rf"\b(a|an|the|its|this|his|her|their|my)\s+{_JUDGING}(?:,?\s+(?:and\s+)?{_JUDGING})*\s+"
    r"(?=(?!(?:of|to|in|on|at|and|or|but|that|which|who|for|with|as|is|was|are|were|by|from)\b)[a-z])",
    re.IGNORECASE)

_COPULA_BEFORE = re.compile(r"\b(?:is|was|are|were|be|been|being|became|becomes|remains?|remained|seems?|seemed|"
                            r"['’]s)\s*$", re.IGNORECASE)

_BARE_NOUN = re.compile(r"[\w'’-]+\s*(?:[,.;:!?]|$|and\b|but\b)")


def without_judgement(sentence: str) -> str:
    """`sentence` without the judging words set before a noun ("a gripping drama" -> "a drama"), its article
    mended ("an incredible story" -> "a story"); the sentence itself when it has none."""
    def strip(m: re.Match[str]) -> str:  # a bare predicate keeps it: "were a perfect cast" is no "were a cast"
        bare = _COPULA_BEFORE.search(sentence, 0, m.start()) and _BARE_NOUN.match(sentence, m.end())
        return m.group(0) if bare else f"{m.group(1)} "

    out = _ATTRIBUTIVE.sub(strip, sentence)
    if out == sentence:
        return sentence
    out = re.sub(r"\b([Aa])n\s+(?=[^aeiouAEIOU\W])", r"\1 ", out)
    return re.sub(r"\b([Aa])\s+(?=[aeiouAEIOU])", r"\1n ", out)


# where one point of the notes ends and the next starts: a comma or a stop, a dash between words, and before "but"
# (which starts a criticism: "the history stuff, but sooo sentimental")
_NOTE_BREAK = re.compile(r"[,;.!?\n]+|\s+-+\s+|(?=\bbut\b)", re.IGNORECASE)
# where a sentence turns from one thing to another ("The hallway fight was intense, but the music was cold")
_TURN = re.compile(r";|\s+[—–]\s+|,\s+and\b|,?\s+(?:but|while|whereas|although|though|however|yet)\b|"
                   r"\s+and\s+(?=(?:the|its|his|her|their)\s)", re.IGNORECASE)
_NEGATED = re.compile(r"\bnot\s+(?:as|very|quite|so|that|particularly|really|too)?\s*$", re.IGNORECASE)
_BARE_FAULTS = frozenset("but though although too not no never so".split())  # critical, but name no fault
# words that name no thing of a film in a point of the notes ("the plot makes no sense and I dont care")
_NO_THING = frozenset("sense care dont feel felt think know mean want need work works stuff much really overall "
                      "times".split())
# the film's parts that FUNCTION_WORDS holds (no story claim) but that a point of the notes is about
_THING_WORDS = frozenset("story stories plot character characters end".split())
_KEY_PREFIX = 7  # two words that share their first 7 letters name one thing ("sentimentality" ~ "sentimental")


@dataclass(frozen=True)
class NotePoint:
    """One point of the member's notes ("the ice villain", "so loud and so long"): the stems of the words that name
    what it is about, of its critical words, and whether it criticises or praises."""

    things: frozenset[str]
    faults: frozenset[str]
    critical: bool
    praising: bool


def _names(keys: frozenset[str], other: frozenset[str]) -> frozenset[str]:
    """The keys of `keys` that name a thing of `other`: the same stem, or the same first 7 letters."""
    prefixes = {k[:_KEY_PREFIX] for k in other if len(k) >= _KEY_PREFIX}
    return frozenset(k for k in keys if k in other or (len(k) >= _KEY_PREFIX and k[:_KEY_PREFIX] in prefixes))


def _judging_words(text: str) -> frozenset[str]:
    """The stems of the words of `text` that judge (praise or criticise)."""
    found = (m.group(0) for p in (_PRAISE, _CRITICISM, _NOTES_CRITICAL, _NOTES_PRAISING) for m in p.finditer(text))
    return frozenset(stem(w) for phrase in found for w in _TOKEN.findall(phrase))


def _content_keys(text: str) -> list[str]:
    """The stems of the words of `text` that can name a thing or judge it, in order: no function word (but "the
    story", "the end"), four letters or more (or "bad", "odd")."""
    return [stem(w) for w in (t.casefold().replace("’", "'") for t in _TOKEN.findall(text))
            if (len(w) >= 4 or w in ("bad", "odd")) and (w not in FUNCTION_WORDS or w in _THING_WORDS)
            and w not in _NO_THING]


def _said(text: str, keys: set[str] | frozenset[str]) -> str:
    """The words of `text` whose stems are `keys`, as it writes them, in order."""
    words = [t for t in _TOKEN.findall(text) if stem(t.casefold().replace("’", "'")) in keys]
    return " ".join(dict.fromkeys(words))


def stem(word: str) -> str:
    """A crude stem, enough to tell that "escaped", "escapes" and "escape" are one word."""
    w = word.casefold().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    for suffix, keep in (("ies", "y"), ("ied", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", ""), ("ly", "")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: len(w) - len(suffix)] + keep
            break
    return w.rstrip("e") if len(w) > 4 else w


@dataclass(frozen=True)
class WordRoles:
    """Which words are a reviewer's or everyday words (`review`), which tell a story (`story`), and which are in
    between (`mid`); a word in none is too rare in reviews to be anything but a film's own (a story word)."""

    review: frozenset[str]
    mid: frozenset[str]

    @classmethod
    def load(cls, path: Path = WORD_ROLES_FILE) -> WordRoles:
        review: set[str] = set()
        mid: set[str] = set()
        try:
            lines = path.read_text(encoding="utf-8").splitlines()[1:]
        except OSError:
            lines = []
        for line in lines:
            word, _, role = line.partition("\t")
            (review if role == "review" else mid if role == "mid" else set()).add(word)
        return cls(frozenset(review), frozenset(mid))

    def reviewers(self, word: str) -> bool:
        return word in self.review or stem(word) in self.review

    def telling(self, word: str) -> bool:
        """A story word: plot summaries use it far more than reviews, or reviews hardly ever."""
        return not self.reviewers(word) and word not in self.mid and stem(word) not in self.mid


_ROLES: WordRoles | None = None


def word_roles() -> WordRoles:
    """The shipped word roles (read once)."""
    global _ROLES
    if _ROLES is None:
        _ROLES = WordRoles.load()
    return _ROLES


def aspects_in(text: str) -> list[str]:
    """The aspects `text` names, in ASPECTS order."""
    return [aspect for aspect, pattern in _ASPECT_RE.items() if pattern.search(text)]


@dataclass(frozen=True)
class Fidelity:
    """The sources a review may draw on, and the per-sentence check against them (see the module's docstring).

    `notes`: the member's text; `facts`: the catalog's words about the film (title, year, genres, countries,
    languages, people); `plot`: the film's plot line ("" when none); `share`: the rating as a share of its scale
    (None: no rating); `notes_name_actor`: the notes name one of the film's actors (they speak of acting); `title`:
    the film's title, whose words name no point of the notes.
    """

    notes: str
    facts: str = ""
    plot: str = ""
    share: float | None = None
    notes_name_actor: bool = False
    title: str = ""
    local_titles: tuple[str, ...] = ()  # the film's titles in other languages ("霸王别姬")

    @cached_property
    def _known(self) -> frozenset[str]:
        words = _TOKEN.findall(f"{self.notes} {self.facts} {self.plot}")
        low = [w.casefold().replace("’", "'") for w in words]
        return frozenset(low) | frozenset(map(stem, low)) | frozenset(w[:_PREFIX] for w in low if len(w) >= _PREFIX)

    def _supported(self, word: str) -> bool:
        known = self._known
        return word in known or stem(word) in known or (len(word) >= _PREFIX and word[:_PREFIX] in known)

    @cached_property
    def _notes_aspects(self) -> frozenset[str]:
        found = set(aspects_in(self.notes))
        if self.notes_name_actor:
            found.add("acting")
        return frozenset(found)

    @cached_property
    def _notes_critical(self) -> bool:
        return bool(_CRITICISM.search(self.notes) or _NOTES_CRITICAL.search(self.notes))

    @cached_property
    def _notes_praising(self) -> bool:
        return bool(_PRAISE.search(self.notes) or _NOTES_PRAISING.search(self.notes))

    def unsupported(self, sentence: str) -> list[str]:
        """The sentence's words that no source gives and that are not a reviewer's, in order, each once."""
        roles = word_roles()
        found: list[str] = []
        plain = _STOCK.sub(" ", _CRITICISM.sub(" ", _PRAISE.sub(" ", sentence)))  # judgements, not story
        for word in _TOKEN.findall(plain):
            low = word.casefold().replace("’", "'")
            if len(low) < 3 or low.isdigit() or low in FUNCTION_WORDS or roles.reviewers(low) or self._supported(low):
                continue
            if low not in found:
                found.append(low)
        return found

    def story_reason(self, sentence: str) -> str | None:
        sources = f"{self.notes} {self.plot} {self.facts}"
        period = _PERIOD.search(sentence)
        if period and not _PERIOD.search(f"{self.notes} {self.plot}") and period.group(0).casefold() not in \
                sources.casefold():
            return f"a period no source gives: {period.group(0)}"
        for year in _YEAR.findall(sentence):
            if year not in sources:
                return f"a period no source gives: {year}"
        theme = self.theme_unsupported(sentence)
        if theme:
            return f"story the notes and the plot line do not give: a theme, {', '.join(theme[:4])}"
        words = self.unsupported(sentence)
        telling = [w for w in words if word_roles().telling(w)]
        framed = bool(_STORY_FRAME.search(sentence))
        if (framed and words) or (len(words) >= STORY_WORDS and telling):
            shown = telling + [w for w in words if w not in telling]
            return f"story the notes and the plot line do not give: {', '.join(shown[:4])}"
        return None

    def theme_unsupported(self, sentence: str) -> list[str]:
        """The words no source gives in what the sentence says the film is a tale, study or exploration of."""
        found: list[str] = []
        for m in _THEME.finditer(sentence):
            phrase = _THEME_STOP.split(m.group(1), maxsplit=1)[0]
            for word in _TOKEN.findall(phrase)[:THEME_WORDS]:
                low = word.casefold().replace("’", "'")
                if len(low) >= 4 and low not in FUNCTION_WORDS and not self._supported(low) and low not in found:
                    found.append(low)
        return found

    @cached_property
    def _critical_points(self) -> list[frozenset[str]]:
        """The words of each point of the notes that criticises something ("kinda dated now", "too long")."""
        points = [p for p in re.split(r"[,;.\n]+|\s+-\s+|\bbut\b", self.notes) if p.strip()]
        return [frozenset(stem(w.casefold()) for w in _TOKEN.findall(p) if w.casefold() not in FUNCTION_WORDS)
                for p in points if _CRITICISM.search(p) or _NOTES_CRITICAL.search(p)]

    def _criticised(self, sentence: str) -> bool:
        """The sentence's criticism is one the notes make: it shares a word with a critical point of theirs."""
        words = {stem(w.casefold()) for w in _TOKEN.findall(sentence) if w.casefold() not in FUNCTION_WORDS}
        return any(words & point for point in self._critical_points)

    @cached_property
    def _title_keys(self) -> frozenset[str]:
        """The title's words, which name no point of the notes."""
        return frozenset(_content_keys(self.title))

    @cached_property
    def points(self) -> tuple[NotePoint, ...]:
        """The notes' points, each with what it names and how it judges it."""
        title = self._title_keys
        points = []
        for part in _NOTE_BREAK.split(self.notes):
            judging = _judging_words(part)
            keys = frozenset(_content_keys(part)) - title
            # "but" turns a point either way ("chaotic but the mom and daughter stuff got me"): no criticism alone
            critical = bool(_CRITICISM.search(part) or _NOTES_CRITICAL.search(re.sub(r"\bbut\b", " ", part)))
            faults = frozenset(judging & keys) | frozenset(
                stem(w) for m in (*_CRITICISM.finditer(part), *_NOTES_CRITICAL.finditer(part))
                for w in _TOKEN.findall(m.group(0).casefold()))
            faults = (faults - _BARE_FAULTS) if critical else frozenset()
            things = keys - judging
            if critical and not faults:  # "too much explaining": the whole point is the fault, it names no thing
                faults, things = things, frozenset()
            if keys or faults:
                points.append(NotePoint(things, faults, critical,
                                        bool(_PRAISE.search(part) or _NOTES_PRAISING.search(part))))
        return tuple(points)

    def turned_reason(self, sentence: str) -> str | None:
        """A judgement turned against the notes' own points, in a part of the sentence: praise of what only
        critical points of the notes name ("the film's sentimentality ... touching" for "but sooo sentimental"),
        or a critical point's fault put on a thing that only the notes' other points name ("The ice villain was too
        loud" for "the ice villain, ..., so loud and so long")."""
        points = self.points
        critical_things = frozenset().union(*(p.things for p in points if p.critical))
        title = self._title_keys
        for part in _TURN.split(sentence):
            order = [k for k in _content_keys(part) if k not in title]
            keys = frozenset(order)
            praised, criticised = _PRAISE.search(part), _CRITICISM.search(part) or _NOTES_CRITICAL.search(part)
            if praised and _NEGATED.search(part, 0, praised.start()):  # "not as engaging as it could be"
                praised = None
            if praised and not criticised:
                named = [p for p in points if _names(keys, p.things | p.faults)]
                if named and all(p.critical and not p.praising for p in named):
                    what = set().union(*(_names(keys, p.things | p.faults) for p in named))
                    return f"praise of what the member criticised: {_said(part, what)}"
            elif criticised and not praised:
                for point in points:
                    moved = _names(keys, point.faults)
                    if not moved or _names(keys, point.things):
                        continue
                    # what the fault is put on comes before it: "The ice villain was too loud", not "The film was
                    # loud and dumb, with oil drillers in space"
                    before = frozenset(order[:min(order.index(k) for k in moved)])
                    onto = {k for p in points if not p.critical for k in _names(before, p.things)}
                    onto -= _names(frozenset(onto), critical_things)
                    if onto:
                        return (f"the member's criticism moved onto what they did not criticise: "
                                f"{_said(part, moved)} put on {_said(part, onto)}")
                # a criticism of its own put on what the notes only name, where the rating does not call for one
                # ("the music is not as engaging as it could be", Gladiator 3/5, notes "..., the music")
                found = _CRITICISM.search(part)
                if found and (self.share is None or self.share > NEGATIVE_SHARE):
                    before = frozenset(k for k in _content_keys(part[:found.start()]) if k not in title)
                    onto = {k for p in points if not p.critical for k in _names(before, p.things)}
                    onto -= _names(frozenset(onto), critical_things)
                    if onto:
                        return (f"a criticism the member did not make: {found.group(0)} put on "
                                f"{_said(part, onto)}")
        return None

    def opinion_reason(self, sentence: str) -> str | None:
        if self.share is None and not self._notes_critical and (dissuades := _DISSUADES.search(sentence)):
            return f"a criticism the member did not make: {dissuades.group(0)}"
        subject = _ASPECT_SUBJECT.match(sentence)
        if subject:  # "The pacing was ...", "The visuals were ...": a judgement, whatever the adjective
            named = [a for a in aspects_in(subject.group(1)) if a not in self._notes_aspects]
            if named:
                return f"an opinion the notes do not give: the {named[0]}"
        ending = _ENDING.search(sentence)
        if ending and not _ENDING.search(self.notes) and "ending" not in self._notes_aspects:
            return "an opinion the notes do not give: the ending"
        praise, criticism = _PRAISE.search(sentence), _CRITICISM.search(sentence)
        if not praise and not criticism:
            return None
        judged = aspects_in(sentence)
        if _WHOLE.search(sentence) and not judged:
            return None  # a verdict on the film as a whole
        missing = [a for a in judged if a not in self._notes_aspects]
        if missing:
            return f"an opinion the notes do not give: the {missing[0]}"
        if criticism and self.share is not None and self.share >= POSITIVE_SHARE and not self._criticised(sentence):
            return f"a criticism the member did not make: {criticism.group(0)}"
        if praise and self.share is not None and self.share <= NEGATIVE_SHARE and not self._notes_praising:
            return f"praise the member did not give: {praise.group(0)}"
        return None

    def reason(self, sentence: str) -> str | None:
        """Why the English `sentence` must go, or None (`models.film.fidelity_zh.reason` reads any sentence, a
        Chinese one by its own check)."""
        return self.story_reason(sentence) or self.opinion_reason(sentence) or self.turned_reason(sentence)
