"""/review: turn a member's rough notes on a film into a short review in their own voice."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from models.film.fidelity import FUNCTION_WORDS, LEANING_START, OPINION_REASONS
from models.tasks.base import Assessment, Message, TaskSpec
from models.text import InputError, optional_text, postprocess_text, require_text, split_sentences

if TYPE_CHECKING:
    from models.film.grounding import Grounding, Removed

log = logging.getLogger(__name__)

COMMAND = "review"
FILM_LIMIT = 200
NOTES_LIMIT = 4000
TONE_LIMIT = 100
YEAR_MIN = 1870
YEAR_MAX = 2100
MAX_NEW_TOKENS = 320
MIN_WORDS = 50  # fewer words left after the check: write it again (a variant may ask for fewer)
COVERAGE = 0.6  # a review that keeps less than this share of the notes' points is written again


def _format_number(x: float) -> str:
    """4.0 -> "4", 3.5 -> "3.5", 7.25 -> "7.25"."""
    return f"{x:g}" if x != int(x) else str(int(x))


@dataclass(frozen=True)
class ReviewInput:
    film: str
    notes: str
    year: int | None = None
    rating: float | None = None
    scale: int | None = None  # 5 or 10; set whenever rating is set
    tone: str | None = None
    spoilers: bool = False
    min_words: int = MIN_WORDS
    # the catalog's facts about the film and the post-check of names (None: no catalog, no check)
    grounding: Grounding | None = field(default=None, repr=False, compare=False)
    # P(positive) of a text, from the shipped mood classifier: checks that the review keeps the rating's verdict
    positive: Callable[[str], float] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def create(
        cls,
        film: str | None,
        notes: str | None,
        year: int | None = None,
        rating: float | None = None,
        scale: int | None = None,
        tone: str | None = None,
        spoilers: bool = False,
        grounding: Grounding | None = None,
        positive: Callable[[str], float] | None = None,
    ) -> ReviewInput:
        """Clean and validate the command's options; raises :class:`InputError` with a friendly message."""
        film_clean = " ".join(
            require_text(film, field="film", command=COMMAND, limit=FILM_LIMIT).split()
        )
        notes_clean = require_text(notes, field="notes", command=COMMAND, limit=NOTES_LIMIT)
        tone_clean = optional_text(tone, field="tone", command=COMMAND, limit=TONE_LIMIT)

        if year is not None and not (YEAR_MIN <= year <= YEAR_MAX):
            raise InputError("The year {year} doesn't look right: it must be between {first} and {last}. Fix it or "
                             "leave it out and try again.", year=year, first=YEAR_MIN, last=YEAR_MAX)

        if scale is not None and scale not in (5, 10):
            raise InputError("The rating scale must be 5 or 10, not {scale}. Pick one and try again.", scale=scale)
        if rating is not None:
            if not math.isfinite(rating) or rating < 0 or rating > 10:
                raise InputError("A rating of {rating:g} is out of range: give a number from 0 to 5 or from 0 to 10 "
                                 "and try again.", rating=rating)
            if scale is None:
                scale = 5 if rating <= 5 else 10
            elif rating > scale:
                raise InputError("A rating of {rating} is above the top of a {scale}-point scale. Give a rating from 0 "
                                 "to {scale} and try again.", rating=_format_number(rating), scale=scale)
        else:
            scale = None  # a scale without a rating says nothing

        return cls(
            film=film_clean,
            notes=notes_clean,
            year=year,
            rating=float(rating) if rating is not None else None,
            scale=scale,
            tone=tone_clean,
            spoilers=bool(spoilers),
            grounding=grounding,
            positive=positive,
        )

    @property
    def rating_text(self) -> str | None:
        """The rating as the member would write it, e.g. "4/5" or "7.5/10"."""
        if self.rating is None or self.scale is None:
            return None
        return f"{_format_number(self.rating)}/{self.scale}"

    @property
    def title(self) -> str:
        return f"{self.film} ({self.year})" if self.year else self.film

    @property
    def leaning(self) -> str | None:
        """The rating's verdict: "positive" (70% of the scale or more), "negative" (40% or less), "mixed"."""
        if self.rating is None or self.scale is None:
            return None
        share = self.rating / self.scale
        return "positive" if share >= 0.7 else "negative" if share <= 0.4 else "mixed"

    @property
    def verdict(self) -> str | None:
        """The rating in words, for the prompt."""
        if self.rating is None or self.scale is None:
            return None
        share = self.rating / self.scale
        if share >= 0.9:
            return "I loved it"
        if share >= 0.7:
            return "I liked it a lot"
        if share > 0.4:
            return "mixed: the good and the bad that my notes name"
        if share > 0.2:
            return "I did not like it"
        return "I disliked it strongly"


_SYSTEM = """\
You are an editor for a film club's review page. You rewrite a writer's rough notes on a film into a short, \
polished review in the writer's own first-person voice ("I").

Rules:
- It is the writer's review: say only what the notes say, in their words where you can. Keep every opinion in \
the notes and the writer's verdict; the review is as warm or as harsh as the rating.
- Add no opinions of your own: do not praise or criticise anything the notes do not mention (the acting, music, \
pacing, dialogue, visuals, direction, ending), and never criticise what the notes do not criticise.
- Tell no story the notes and the facts do not tell: no premise, setting, period, scene or event of your own. If \
the story is not given, do not summarise it.
- Do not invent facts: do not say which actor plays which part or who the lead or the villain is, give no \
character a name the notes do not give, do not say who wrote the music, and add no awards or release facts. Name \
only people the facts or the notes name, and do not recite the facts: use one only where a sentence needs it.
- No spoilers unless the writer allows them: do not reveal twists or the ending.
- In the writer's own tone, as the notes suggest, unless they name one.
- One to three paragraphs of plain prose, no title, no headings, no lists. Output only the review."""

# Worded with care: the default model refuses some phrasings of this (tested with Qwen2.5-Coder-1.5B).
_SPOILERS_OK = "Spoilers are allowed: you may discuss the plot, twists and ending if my notes do."


def _user_content(inp: ReviewInput) -> str:
    return f"Film: {inp.title}\nMy notes:\n{inp.notes}"


def _echo(inp: ReviewInput) -> str:
    """Header lines a small model may copy to the start of its answer, for post-processing to strip."""
    lines = [f"Film: {inp.title}", f"My rating: {inp.rating_text}" if inp.rating_text else "",
             f"Tone: {inp.tone}" if inp.tone else "", f"Spoilers: {'allowed' if inp.spoilers else 'not allowed'}",
             "My notes:", inp.notes]
    return "\n".join(line for line in lines if line)


_POINT = re.compile(r"[,;\n]+|[.!?]+\s+|\s+-\s+|\s+but\s+|[，、；。！？]+|"
                    r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")  # Chinese: its commas, and spaces between words


def note_points(notes: str) -> list[str]:
    """The points the notes make, in order: split at commas, semicolons, sentence ends, dashes, lines and "but"."""
    return [p.strip(" .!?") for p in _POINT.split(notes) if p.strip(" .!?")]


def target_words(notes: str) -> int:
    """How long a review the notes can carry without padding: about 18 words for each point they make, between 60
    and 200 (long notes carry their own length)."""
    return max(60, min(200, 30 + 18 * len(note_points(notes)), 40 + 2 * len(notes.split())))


def coverage(text: str, notes: str) -> tuple[float, list[str]]:
    """How much of the notes the review keeps: the share of their points whose words (any word of three letters or
    more that is no function word, "the" or "about", or a number) it says, and the points it leaves out."""
    said = {w.casefold() for w in _WORD.findall(text)}
    said |= {w[:5] for w in said if len(w) >= 5}
    pairs = _han_pairs(text)
    left: list[str] = []
    points = note_points(notes)
    for point in points:
        if _HAN.search(point):  # Chinese or Japanese: no spaces between words, so by pairs of characters
            if not _half_said(point, pairs):
                left.append(point)
            continue
        words = [w.casefold() for w in _WORD.findall(point)
                 if (len(w) >= 3 and w.casefold() not in FUNCTION_WORDS) or w.isdigit()]
        if words and not any(w in said or (len(w) >= 5 and w[:5] in said) for w in words):
            left.append(point)
    return (1.0 - len(left) / len(points) if points else 1.0), left


def build_messages(inp: ReviewInput) -> list[Message]:
    # The system prompt is the same for every review (the worker's prefix cache shares it); the user part is read
    # afresh for each, before its first token, so it says only what is this review's own (bench/backends.py counts
    # its tokens: first token at 8 streams grows with them).
    rating_rule = (f"My verdict: {inp.rating_text}, {inp.verdict}. Say the rating once, as {inp.rating_text}."
                   if inp.rating_text else "I gave no rating: do not invent a score.")
    length_rule = (f"About {target_words(inp.notes)} words: a sentence or two per point of my notes, in order, "
                   "nothing more." if len(note_points(inp.notes)) > 1 else
                   f"About {target_words(inp.notes)} words: what my notes say, nothing more.")
    rules = [_SPOILERS_OK if inp.spoilers else "", rating_rule, f"Tone: {inp.tone}." if inp.tone else "",
             length_rule]
    facts = f"\n\n{inp.grounding.prompt_facts(unknowns=False)}" if inp.grounding is not None else ""
    user = (_user_content(inp) + facts + "\n\n" + "\n".join(f"- {rule}" for rule in rules if rule)
            + '\n\nRewrite my notes as my review. Start with "I".')
    return [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": user}]


def postprocess(text: str, inp: ReviewInput) -> str:
    text = postprocess_text(text, echo=_echo(inp), strip_heading="Review")
    if inp.grounding is not None:  # drop what the catalog and the notes do not back (see models/film/grounding.py)
        text = inp.grounding.check(text).text
    return points_once(text, inp.notes)


_CLAUSE_END = re.compile(r"(?<=[，；,;])")
_LEANS_BACK = re.compile(r"^\s*(?:这|那|此|它)(?!部|个电影)")  # a clause about what the one before it said
_EVERYDAY = frozenset("的了很太是我在有就都也还真非常这那个一得地着过它他她们让把被给对而且但因为所以吗呢吧啊部")
_EVERYDAY_PAIRS = frozenset({"电影", "影片", "喜欢", "感觉", "觉得", "时候", "看了", "一部"})


def _content_pairs(text: str) -> set[str]:
    return {p for p in _han_pairs(text) if p not in _EVERYDAY_PAIRS and not (set(p) & _EVERYDAY)}


def _touches(clause: str, point: str) -> bool:
    """`clause` speaks of the Chinese `point`: it says half of it (`_says`), or shares a pair of its characters that
    is no everyday word ("音乐非常动听" speaks of "音乐好听", "辛巴爸爸去世时" of "辛巴爸爸死的时候哭了")."""
    return _says(clause, point) or bool(_content_pairs(clause) & _content_pairs(point))


def points_once(text: str, notes: str) -> str:
    """A Chinese review with each point of the Chinese notes said once: a clause that speaks only of points an
    earlier sentence said (half of them, `_says`) goes ("音乐很好听" and, two sentences on, "音乐非常动听"), with the
    clause after it that leans on it ("这让我……"); a sentence left with no clause goes. A point only touched ("让我
    热血沸腾" of "结尾越狱那段看得我热血沸腾") is not yet said. Other reviews are returned as they are (English
    repeats are the grounding's: runs of words said again)."""
    points = [p for p in note_points(notes) if _HAN.search(p) and _han_pairs(p)]
    if not points or not _HAN.search(text):
        return text
    said: set[str] = set()
    lines: list[str] = []
    for line in text.split("\n"):
        kept: list[str] = []
        for sentence in split_sentences(line.strip()):
            clauses = [c for c in _CLAUSE_END.split(sentence) if c]
            new: set[str] = set()
            left: list[str] = []
            dropped = False
            for clause in clauses:
                touched = {p for p in points if _touches(clause, p)}
                if (touched and touched <= said) or (dropped and _LEANS_BACK.match(clause)):
                    dropped = True  # said before, or it leans on a clause that was ("这让我感到非常开心")
                    continue
                dropped = False
                new |= {p for p in touched if _says(clause, p)}  # a point counts as said when half of it is
                left.append(clause)
            said |= new
            if len(left) == len(clauses):
                kept.append(sentence)
            elif left and len(_HAN.findall("".join(left))) >= 4:
                end = sentence.rstrip()[-1:] if sentence.rstrip()[-1:] in "。！？!?." else "。"
                kept.append("".join(left).rstrip("，；,;。！？!?. ") + end)
        lines.append(" ".join(kept))
    return _MIDWAY.sub("", "\n".join(lines).strip(), count=1)


# a Chinese review that starts mid-thought, its first sentence gone ("然而，故事确实有点空"): the word goes
_MIDWAY = re.compile(r"^(?:然而|但是|但|不过|而且|此外|另外|同时|可是)[，,]\s*")


_WORD = re.compile(r"[\w'’]+")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _han_pairs(text: str) -> set[str]:
    """The pairs of Han characters next to each other in `text` (a Chinese text's stand-in for its words)."""
    runs = re.findall(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+", text)
    return {run[i:i + 2] for run in runs for i in range(len(run) - 1)}


def _half_said(point: str, pairs: set[str]) -> bool:
    """A Chinese point of the notes is said when at least half of its pairs of characters are ("跑步那段很经典" by
    "跑步那段确实经典"), or half of those that hold no everyday character ("女主太迷人了": 女主 and 迷人, said by
    "女主角非常迷人")."""
    own = _han_pairs(point)
    content = _content_pairs(point)
    return not own or 2 * len(own & pairs) >= len(own) or (bool(content) and 2 * len(content & pairs) >= len(content))


def removed_by_check(raw: str, inp: ReviewInput) -> list[Removed]:
    """What the check removed from the model's text (repeats aside): each a sentence and why."""
    if inp.grounding is None:
        return []
    checked = inp.grounding.check(postprocess_text(raw, echo=_echo(inp), strip_heading="Review"))
    return [r for r in checked.removed if r.reason != "said before"]


_PROBLEM_NOTES = (
    ("story the notes", "it told story that my notes and the facts do not give ({detail}): tell none"),
    ("a period no source", "it gave the film a period nobody gave ({detail})"),
    ("an opinion the notes do not give", "it judged {detail}, which my notes do not mention"),
    ("a criticism the member did not make", "it criticised the film ({detail}) where my notes do not"),
    ("praise the member did not give", "it praised what my notes do not praise ({detail})"),
    ("the member's criticism moved", "it put my criticism on what I did not criticise ({detail})"),
    ("praise of what the member", "it praised what my notes criticise ({detail})"),
    ("its subject was", ""),
)


def problem_note(reason: str) -> str:
    """A removed sentence's reason as a line of the next prompt (the sentence itself is never quoted back: a small
    model copies what it is shown). Empty for a reason the prompt need not name."""
    head, _, detail = reason.partition(": ")
    for start, note in _PROBLEM_NOTES:
        if reason.startswith(start):
            return note.format(detail=detail) if note else ""
    return f"it said what is not known ({head}: {detail})" if detail else f"it said what is not known ({head})"




READ_WORDS = 40  # a window of the review read on its own: two or three sentences


def reading(text: str, positive: Callable[[str], float]) -> float:
    """P(positive) of the review, read in windows of whole sentences (up to `READ_WORDS` words each) weighted by their
    words. Read at once, a praising opening and verdict outweigh what lies between them, and the classifier sees only
    128 tokens (head and tail) of a long text: The Big Lebowski at 4/5 read 0.58 whole around three complaints the
    member never made, 0.46 in windows (on 142 saved replies of two bench runs, the only reading it turned)."""
    windows: list[list[str]] = []
    size = READ_WORDS
    for line in text.split("\n"):
        for sentence in split_sentences(line.strip()):
            words = len(sentence.split())
            if not words:
                continue
            if size + words > READ_WORDS:
                windows.append([])
                size = 0
            windows[-1].append(sentence)
            size += words
    if len(windows) <= 1:
        return positive(text)
    weights = [sum(len(s.split()) for s in window) for window in windows]
    scores = [positive(" ".join(window)) for window in windows]
    return sum(w * p for w, p in zip(weights, scores, strict=True)) / sum(weights)


def assess(text: str, raw: str, inp: ReviewInput) -> Assessment:
    """Nothing removed by the checks but a stand-alone opinion, enough left, the notes' points covered, and a
    sentiment (the shipped mood classifier's) that keeps the verdict. The score keeps the better of two: the
    verdict first, then fewer removed sentences, then length."""
    words = len(_WORD.findall(text))
    removed = removed_by_check(raw, inp)
    problems = [problem_note(r.reason) for r in removed]
    # a sentence removed as an opinion the member did not give is a judgement on its own, added to their points: what
    # is left reads as one text without it, and is not written again for it alone (enough left, the notes covered)
    reasons = [f"removed: {r.reason}" for r in removed if not r.reason.startswith(OPINION_REASONS)]
    # the member's points weigh more than length or cuts they never see: a short review that keeps them beats a
    # longer one that lost them (Jaws, 2026-12-05: a plot line and a verdict, none of "the music!!" and the boat)
    score = float(min(words, 200)) / 2 - 30.0 * len(removed) + (100.0 if words >= inp.min_words else 0.0)
    if words < inp.min_words:
        reasons.append(f"only {words} words left")
    kept, left = coverage(text, inp.notes)
    score += 400.0 * kept
    if kept < COVERAGE:
        reasons.append(f"left out {len(left)} of the notes' points")
        problems.append(f"it left out what my notes say ({'; '.join(left[:4])})")
    if inp.positive is not None and inp.leaning in ("positive", "negative") and text:
        p = reading(text, inp.positive)
        agrees = p >= 0.5 if inp.leaning == "positive" else p <= 0.5
        score += 1000.0 if agrees else 0.0
        if not agrees:
            reads = "negative" if p < 0.5 else "positive"
            reasons.append(f"reads {reads} (P(positive) {p:.2f}) for {inp.rating_text}")
            problems.append(f"it read {reads}, against my verdict")
    else:
        score += 1000.0
    return Assessment(not reasons, score, "; ".join(reasons), tuple(dict.fromkeys(p for p in problems if p)))


def firmer(inp: ReviewInput, first: Assessment) -> tuple[str, str]:
    """One more try: what was wrong with the first draft named, the verdict said again, and an answer that starts
    in the right key."""
    leaning = inp.leaning
    if leaning == "positive":
        start = "I loved" if inp.verdict and inp.verdict.startswith("I loved") else "I really enjoyed"
    elif leaning == "negative":
        start = "I was disappointed by"
    elif leaning == "mixed":
        start = "I had mixed feelings about"
    else:
        start = "I watched"
    note = "\n\n"
    if first.problems:
        note += ("A first draft of this review went wrong; do not repeat it:\n"
                 + "".join(f"- {p}\n" for p in first.problems) + "\n")
    if inp.rating_text:
        note += f"Important: my verdict is {inp.rating_text} ({inp.verdict}); every sentence must fit it. "
    note += ("Write only what my notes say, as my review, and name nobody the facts above do not give. "
             f"About {target_words(inp.notes)} words.")
    return note, f"{start} {inp.film}"


# a sentence that leans on the one before it in its own draft, or the opening or the verdict of that draft: none of
# them moves into the other draft
_LEANS = re.compile(rf"^\W*(?:{LEANING_START}|but|and|so|still|yet|however|overall|in conclusion|all in all)\b",
                    re.IGNORECASE)
_CLOSING = re.compile(r"^\W*(?:overall|in conclusion|all in all|in short|in the end|i would|i'd|i give|i gave)\b|"
                      r"\d\s*/\s*(?:5|10)\b", re.IGNORECASE)


def merge(first: str, second: str, inp: ReviewInput) -> str:
    """The draft that keeps more of the notes' points, with the sentences of the other that carry the points it
    left out (in the notes' order, before its closing verdict); either draft as it is when there is none. Each
    moved sentence has passed the check in its own draft; the whole is checked again (repeats go)."""
    first_kept, second_kept = coverage(first, inp.notes), coverage(second, inp.notes)
    (base, left), other = ((first, first_kept[1]), second) if first_kept[0] >= second_kept[0] else \
        ((second, second_kept[1]), first)
    if not left or not other.strip():
        return base
    title = inp.film.casefold()
    candidates = [s for line in other.split("\n") for s in split_sentences(line.strip()) if s.strip()]
    moved: list[str] = []
    for point in left:
        for sentence in candidates:
            if (sentence not in moved and coverage(sentence, point)[0] == 1.0 and not _LEANS.match(sentence)
                    and not _CLOSING.search(sentence) and title not in sentence.casefold()):
                moved.append(sentence)
                break
    if not moved:
        return base
    return _put_in(base, moved, inp)


def _put_in(text: str, sentences: list[str], inp: ReviewInput, last: str = "") -> str:
    """`text` with `sentences` put in before its closing verdict (at its end when it has none) and `last` after
    everything, checked again as a whole (repeats go)."""
    lines = text.rstrip().split("\n")
    tail = split_sentences(lines[-1].strip())
    at = len(tail) - 1 if len(tail) > 1 and _CLOSING.search(tail[-1]) else len(tail)
    lines[-1] = " ".join([*tail[:at], *sentences, *tail[at:], *([last] if last else [])])
    whole = "\n".join(lines)
    return points_once(inp.grounding.check(whole).text if inp.grounding is not None else whole, inp.notes)


GAP_TOKENS = 48  # one sentence of the review, written on its own for a point both drafts left out
MAX_GAPS = 4  # points asked on their own at most (the rest stay out)
_DETERMINER = re.compile(r"^(?:the|a|an|that|this|those|these|his|her|their|its)\s+\w", re.IGNORECASE)
_SAYS_RATING = re.compile(r"\d+(?:\.\d+)?\s*/\s*(?:5|10)(?!\d|\.\d)|\bout of (?:5|five|10|ten)\b")  # "3/5分" too


def _left_out(text: str, inp: ReviewInput) -> list[str]:
    # a Chinese review the checks emptied is written again point by point (The Room's lost every sentence)
    return coverage(text, inp.notes)[1][:MAX_GAPS] if text.strip() or _HAN.search(inp.notes) else []


def gaps(text: str, inp: ReviewInput) -> list[tuple[str, str]]:
    """What both drafts left out, each asked on its own: a point of the notes as one sentence of the review
    (started with the note's own words when they name a thing: "the old guy's story about the ship" -> "The old
    guy's story about the ship"), and the rating when the review never says it."""
    asked = []
    for point in _left_out(text, inp):
        start = f"{point[0].upper()}{point[1:]}" if _DETERMINER.match(point) else "I"
        asked.append((f'\n\nWrite only one sentence of my review now, about this point of my notes: "{point}". Say '
                      "what the note says, in my voice, and nothing else about the film.", start))
    if inp.rating_text and (text.strip() or _HAN.search(inp.notes)) and not _SAYS_RATING.search(text):
        asked.append((f"\n\nWrite only the last sentence of my review now: my verdict, {inp.rating_text} "
                      f"({inp.verdict}).", "Overall, I give it"))
    return asked


def _says(sentence: str, point: str) -> bool:
    """`sentence` says at least half of the point's words (by their first five letters), not just one of them."""
    if _HAN.search(point):
        return bool(_han_pairs(point)) and _half_said(point, _han_pairs(sentence))
    said = {w.casefold()[:5] for w in _WORD.findall(sentence)}
    words = {w.casefold()[:5] for w in _WORD.findall(point) if len(w) >= 3 and w.casefold() not in FUNCTION_WORDS}
    return bool(words) and 2 * len(words & said) >= len(words)


def fill(text: str, written: list[str], inp: ReviewInput) -> str:
    """The review with each sentence written on its own (`gaps`, in that order) put in: a point's before the
    closing verdict, the verdict last; each checked as every draft is, and kept only when it says its point (or the
    rating) and is not said already."""
    points = _left_out(text, inp)
    moved: list[str] = []
    verdict = ""
    for i, raw in enumerate(written):
        sentences = split_sentences(postprocess(raw, inp).replace("\n", " ").strip())
        first = sentences[0] if sentences else ""
        if len(first.split()) < 4 and len(_HAN.findall(first)) < 4:  # four words, or four characters of Chinese
            continue
        if i < len(points):
            if _says(first, points[i]) and not _LEANS.match(first):
                moved.append(first)
        elif _SAYS_RATING.search(first):
            verdict = first
    if not moved and not verdict:
        return text
    return _put_in(text, moved, inp, verdict)


def title_in_language(inp: ReviewInput, locale: str) -> str:
    """For a review in another language: the film's title in it, where the catalog knows one (the default model
    otherwise translates the English title its own way, and wrong: "《阿凡达》" for Alien)."""
    title = inp.grounding.title_in(locale) if inp.grounding is not None else None
    return f" In this language the film is called {title}: call it that." if title else ""


SPEC = TaskSpec(
    name=COMMAND, max_new_tokens=MAX_NEW_TOKENS, build_messages=build_messages, postprocess=postprocess,
    prime="I",  # keeps the member's voice: the default model otherwise answers as an assistant ("you")
    retry_prime=lambda inp: f"I watched {inp.film}",  # the default model refuses some notes (e.g. on horror films)
    assess=assess, firmer=firmer, merge=merge, gaps=gaps, fill=fill, gap_tokens=GAP_TOKENS,
    in_language=title_in_language,
)
