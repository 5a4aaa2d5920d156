"""/pitch: turn a premise into a film pitch (title, one-sentence logline, short synopsis)."""

from __future__ import annotations

import logging
import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from models.tasks.base import Assessment, Message, Prepared, TaskSpec
from models.text import (
    bold_labels,
    clean_text,
    optional_text,
    postprocess_text,
    require_text,
    split_sentences,
)

log = logging.getLogger(__name__)

COMMAND = "pitch"
PREMISE_LIMIT = 1000
PREMISE_MIN = 10
GENRE_LIMIT = 60
TONE_LIMIT = 60
MAX_NEW_TOKENS = 300
LABELS = ("Title", "Logline", "Synopsis")

_LOGLINE_RE = re.compile(r"^\*\*Logline:\*\*\s*(.*)$", re.MULTILINE)
_TITLE_RE = re.compile(r"^(\*\*Title:\*\*\s*)(.*)$", re.MULTILINE)


@dataclass(frozen=True)
class PitchInput:
    premise: str
    genre: str | None = None
    tone: str | None = None

    @classmethod
    def create(cls, premise: str | None, genre: str | None = None, tone: str | None = None) -> PitchInput:
        return cls(
            premise=require_text(
                premise, field="premise", command=COMMAND, limit=PREMISE_LIMIT, min_chars=PREMISE_MIN
            ),
            genre=optional_text(genre, field="genre", command=COMMAND, limit=GENRE_LIMIT),
            tone=optional_text(tone, field="tone", command=COMMAND, limit=TONE_LIMIT),
        )


_SYSTEM = """\
You are a film development writer. You turn a premise into a short, exciting pitch for a new, original film.

Answer in exactly this format, with these three bold labels and nothing else:
**Title:** <an original title of one to five words>
**Logline:** <one sentence that restates the premise faithfully, then names the protagonist's goal and what stands \
in the way>
**Synopsis:** <one paragraph of 80 to 150 words: the setup, the main conflict and the stakes>

Rules:
- The premise is the member's: keep every character, thing and place it names, and what happens between them, the \
same way round. Never reverse or negate any part of it, and keep who does what to whom.
- The logline restates the premise in the premise's own words where you can; the synopsis builds on it, it does not \
replace it.
- Follow the genre and tone the member asks for; where they give none, pick what suits the premise best.
- The logline is exactly one sentence.
- Do not name real actors, directors or other real people.
- No extra sections, no notes, no commentary before or after the pitch."""


def _user_content(inp: PitchInput) -> str:
    lines = [f"Premise: {inp.premise}"]
    if inp.genre:
        lines.append(f"Genre: {inp.genre}")
    if inp.tone:
        lines.append(f"Tone: {inp.tone}")
    return "\n".join(lines)


def build_messages(inp: PitchInput) -> list[Message]:
    # the system prompt is the same for every pitch, so the worker's prefix cache can share it
    user = _user_content(inp) + "\n\nWrite the pitch."
    return [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": user}]


def _one_sentence_logline(text: str) -> str:
    """Keep only the logline's first sentence; extra sentences become the synopsis if there is none."""
    m = _LOGLINE_RE.search(text)
    if not m:
        return text
    sentences = split_sentences(m.group(1))
    if len(sentences) <= 1:
        return text
    logline = f"**Logline:** {sentences[0]}"
    rest = " ".join(sentences[1:])
    if "**Synopsis:**" not in text:
        logline += f"\n**Synopsis:** {rest}"
    return text[: m.start()] + logline + text[m.end() :]


def _unquote_title(text: str) -> str:
    """The title and the logline without the quotes a small model puts round them."""
    def repl(m: re.Match[str]) -> str:
        title = m.group(2).strip()
        if len(title) >= 2 and title[0] in "\"'“‘*_" and title[-1] in "\"'”’*_":
            title = title[1:-1].strip()
        return m.group(1) + title

    def unquote_logline(m: re.Match[str]) -> str:
        line = m.group(1).strip()
        if len(line) >= 2 and line[0] in "\"“" and line[-1] in "\"”" and line[1:-1].count('"') == 0:
            line = line[1:-1].strip()
        return f"**Logline:** {line}"

    return _LOGLINE_RE.sub(unquote_logline, _TITLE_RE.sub(repl, text, count=1), count=1)


def postprocess(text: str, inp: PitchInput) -> str:
    text = bold_labels(clean_text(text), LABELS)
    text = postprocess_text(text, echo=_user_content(inp), strip_heading="Pitch")
    text = _one_sentence_logline(text)
    return _unquote_title(text)


# -- does the pitch keep the premise? ---------------------------------------------------------------------------

_TOKEN_RE = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")
# words that carry no part of a premise: function words, and the verbs a pitch is free to reword
FUNCTION_WORDS = frozenset("""
a about above across after against all along also although among an and another any are around as at away back be
because been before behind being below beside between both but by can cannot could did do does down during each
either even ever every for from had has have he her here hers herself him himself his how i if in into is it its
itself just me more most much must my never no nor not now of off on once only onto or other others our out over
own same she should since so some someone something such than that the their theirs them themselves then there
these they this those though through till to too toward towards under until up upon us very was we were what when
where whether which while who whom whose why will with within without would yet you your one two three four five
learn learns learned discover discovers discovered find finds found realise realises realize realizes notice
notices try tries become becomes get gets start starts begin begins decide decides
""".split())
# words that turn a premise round when one stands for the other
OPPOSITES: dict[str, tuple[str, ...]] = {
    "asleep": ("awake", "awaken", "wake"), "sleep": ("awake", "awaken", "wake"), "awake": ("asleep", "sleep"),
    "alive": ("dead",), "dead": ("alive", "living"), "living": ("dead",), "old": ("young",), "young": ("old",),
    "younger": ("older",), "older": ("younger",), "hide": ("reveal", "expose", "show"), "ban": ("allow", "permit"),
    "forbid": ("allow", "permit"), "refuse": ("agree", "accept"), "never": ("always",), "always": ("never",),
    "missing": ("found",), "lose": ("find", "regain", "gain"), "blind": ("sighted",), "deaf": ("hearing",),
    "stop": ("start",), "moving": ("stopped", "still"), "fire": ("hire",), "first": ("last",), "last": ("first",),
    "cursed": ("blessed",), "rival": ("partner", "ally"), "enemy": ("friend", "ally"), "win": ("lose",),
    "closed": ("open",), "open": ("closed",), "secret": ("openly", "publicly"), "sell": ("buy",), "buy": ("sell",),
    "poison": ("heal", "clean"), "guard": ("steal", "rob"), "rob": ("guard", "protect"),
}


def root(word: str) -> str:
    """A crude root for comparing words: "sleeping" -> "sleep", "robs" -> "rob", "fired" -> "fir"."""
    w = word.casefold().replace("’", "'")
    w = re.sub(r"'s?$", "", w)
    for suffix, repl in (("ies", "y"), ("ied", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3 and not w.endswith("ss"):
            w = w[: -len(suffix)] + repl
            break
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiousl":
        w = w[:-1]  # robb -> rob
    return w[:-1] if len(w) > 3 and w.endswith("e") else w


def tokens(text: str) -> list[str]:
    return _TOKEN_RE.findall(text.replace("-", " "))


def same_word(word: str, roots: AbstractSet[str]) -> bool:
    """`word` is among `roots`: the same root, or one a prefix of the other (at least five letters), or "asleep" for
    "sleep"."""
    r = root(word)
    candidates = {r, r[1:]} if r.startswith("a") and len(r) > 4 else {r}
    for c in candidates:
        if c in roots:
            return True
        if len(c) >= 5 and any(len(o) >= 5 and (o.startswith(c) or c.startswith(o)) for o in roots):
            return True
    return False


def premise_words(premise: str) -> list[str]:
    """The premise's content words, each once, in order: what a pitch must keep."""
    return list(dict.fromkeys(w for w in tokens(premise) if w.casefold() not in FUNCTION_WORDS and not w.isdigit()))


def _section(text: str, label: str) -> str:
    m = re.search(rf"^\*\*{label}:\*\*\s*(.*?)(?=^\*\*\w+:\*\*|\Z)", text, re.MULTILINE | re.DOTALL)
    return m.group(1).strip() if m else ""


def assess(text: str, raw: str, inp: PitchInput) -> Assessment:
    """Does the pitch keep the premise? Every content word of it in the logline or the synopsis, and no word of the
    logline that turns one round ("awake" for the premise's "asleep")."""
    logline, synopsis = _section(text, "Logline"), _section(text, "Synopsis")
    body = f"{logline}\n{synopsis}" if logline or synopsis else text
    roots = {root(w) for w in tokens(body)}
    lost = [w for w in premise_words(inp.premise) if not same_word(w, roots)]
    premise_roots = {root(w) for w in tokens(inp.premise)}
    turned = []
    for word in premise_words(inp.premise):
        for opposite in OPPOSITES.get(word.casefold(), ()):
            if root(opposite) not in premise_roots and root(opposite) in {root(w) for w in tokens(logline)}:
                turned.append((word, opposite))
    problems = []
    if lost:
        problems.append(f"it left out {', '.join(repr(w) for w in lost)} of the premise")
    problems += [f"it said {opposite!r} where the premise says {word!r}" for word, opposite in turned]
    score = 100.0 - 15.0 * len(lost) - 50.0 * len(turned)
    return Assessment(not problems, score, "; ".join(problems), tuple(problems))


def firmer(inp: PitchInput, first: Assessment) -> tuple[str, str]:
    """One more try: what the first draft lost named, and the premise given again to restate."""
    note = (f"\n\nA first draft of this pitch changed the premise: {'; '.join(first.problems)}. Write the pitch "
            f"again. The logline restates the premise as given (\"{inp.premise}\"), with every character, thing and "
            "place in it and what happens between them the same way round; the synopsis builds on it.")
    return note, "**Title:**"


SPEC = TaskSpec(
    name=COMMAND, max_new_tokens=MAX_NEW_TOKENS, build_messages=build_messages, postprocess=postprocess,
    retry_prime=lambda inp: "**Title:**", assess=assess, firmer=firmer, labels=LABELS,
)


def prepare(*, premise: str, genre: str | None = None, tone: str | None = None) -> Prepared:
    """/pitch's checked job (the options are its whole input); raises `InputError` for one it cannot use."""
    inp = PitchInput.create(premise=premise, genre=genre, tone=tone)
    inputs = {"premise": inp.premise, "genre": inp.genre, "tone": inp.tone}
    return Prepared("pitch", SPEC, inp, inputs, "Pitch" + (f" · {inp.genre}" if inp.genre else ""))
