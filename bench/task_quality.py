"""Do /pitch, /scene and a channel's /mood say only what they were given? Generate through the bot, judge each.

The cases are in bench/task_cases/: `pitch.jsonl` (premises written for this bench, with a genre and a tone),
`scenes/` (excerpts cut from THE LIBRARY FREAK-OUT, public domain, and excerpts written for this bench, each a
.fountain or .txt file as a member would attach it; `freakout_0_whole_script.fountain` is the whole script, as a
new member would try it) and `mood.jsonl` (small channels of messages written for this bench).

Every case is run through the bot's real path, all at once, through the queue and the batching worker on the
embedded model: /pitch as `models.tasks.pitch.prepare`, /scene as `bot.services.scene.prepare` with the file
attached, a channel's /mood as `bot.services.mood.MoodService.discussion` (the shipped classifier picks the quoted
messages) and then `models.tasks.runner.submit(...).reply()`, as `cinebot ask` and the cogs do: the task's own
checks and its second try included.

Each reply is then judged by the rules below, written from the inputs alone. The judge imports nothing of the bot's
(`models.tasks.*` checks included): its words, stems and rules are its own.

pitch   premise_kept: every content word of the premise (its characters, objects, setting, actions and qualities;
        function words and a few light verbs such as "learns", "discovers" aside) appears in the logline or the
        synopsis (by a crude stem, "sleeping" for "asleep", "drowned" for "drowns"; hyphenated words by part), and
        no relation is turned round: no antonym of a premise word within five words after the premise word before
        it ("keeps ... awake" for "keeps something asleep"), and no "object ... verb ... subject" order of three
        premise words where the pitch never has them the premise's way ("a robot teaches a chess hustler").
scene   unsupported: a reply is flagged when a section is missing or nearly empty (Setting, Blocking, Light, Sound,
        Camera), when it repeats the excerpt (a run of 8 words or more, or a section whose words are more than half
        5-word runs of the excerpt), when a sentence talks about the excerpt instead of the scene ("the excerpt does
        not mention", "is described as", "we can infer"), or when a sentence names what the excerpt does not: a
        capitalised name that is not in it, or a noun (the head of a determiner phrase, "the lamp", "a crowd", "her
        sword", or of a bare phrase after a preposition, "on shelves") that is neither in the excerpt nor staging
        vocabulary (shot, close-up, glow, hum, footsteps, walls, ...) nor an abstract word (tension, moment, ...).
mood    unsupported: a summary sentence with a content word that the messages do not hold (words about the
        discussion itself, "people", "liked", "mixed", and evaluative words aside; a few aspect words count as
        said when the messages use one of their kinds: "music" for "score", "acting" for "performance"), or a
        clause that gives a thing the wrong side: praise for something every message that names it criticises
        (each message's side is given with the case), or criticism of what every message that names it praises.

Every flagged reply is printed with its reasons (and --show N prints the first N replies of each task), then the
last line:

    task_quality pitch premise_kept P/N scene unsupported S/N mood unsupported M/N

    python bench/task_quality.py                                   # the embedded default model, every case
    python bench/task_quality.py --model smollm2-135m --limit 5    # the small test model, 5 cases a task
    python bench/task_quality.py --tasks scene --limit 6 --show 6 --out /tmp/scene.jsonl
    python bench/task_quality.py --replies /tmp/scene.jsonl        # judge saved replies again (no model)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CASES = Path(__file__).resolve().parent / "task_cases"
TASKS = ("pitch", "scene", "mood")


# -- the cases -------------------------------------------------------------------------------------------------

def load_cases(tasks: Iterable[str], limit: int | None = None, start: int = 0) -> list[dict[str, Any]]:
    """The cases of `tasks`, at most `limit` of each from its `start`-th (0-based), in file order."""
    out: list[dict[str, Any]] = []
    for task in tasks:
        if task == "scene":
            files = sorted(p for p in (CASES / "scenes").iterdir() if p.suffix in (".fountain", ".txt"))
            cases = [{"task": "scene", "id": p.stem, "file": p.name, "source": p.read_text(encoding="utf-8")}
                     for p in files]
        else:
            lines = (CASES / f"{task}.jsonl").read_text(encoding="utf-8").splitlines()
            cases = [{"task": task, **json.loads(line)} for line in lines if line.strip()]
        out.extend(cases[start : start + limit] if limit else cases[start:])
    return out


# -- generation through the bot's real path ----------------------------------------------------------------------

async def generate(cases: list[dict[str, Any]], model: str, backend: str,
                   sink: Callable[[dict[str, Any]], None] | None = None) -> tuple[list[dict[str, Any]], float]:
    """Every case's reply, written concurrently through the queue and the batching worker; and the wall time.
    `sink` gets each reply as it is done (so that a long run that is stopped keeps what it wrote)."""
    from bot.llm import load_model, worker_config
    from bot.services import scene as scene_service
    from bot.services.mood import MoodService, Said
    from bot.settings import Settings
    from models.llm.jobs import JobQueue
    from models.llm.worker import BatchingWorker
    from models.tasks import pitch, runner

    env = {k: v for k, v in os.environ.items() if k.startswith("CINEBOT_")}
    env.update(CINEBOT_MODEL=model, CINEBOT_BACKEND=backend)
    settings = Settings.load(env=env, env_file=None)
    lm = await asyncio.to_thread(load_model, settings, progress=False)
    classifier = None
    if any(case["task"] == "mood" for case in cases):
        from models.mood.classifier import MoodClassifier

        classifier = await asyncio.to_thread(MoodClassifier.load, settings.cache_dir, 1)
    moods = MoodService(classifier, None)
    # each case may write three times (a refusal, a second try, its empty parts) and /mood reads its lists again
    from models.tasks import mood as mood_task

    queue = JobQueue(max_waiting=(3 + 2 * mood_task.SIDE_READS) * len(cases) + 16)
    worker = BatchingWorker(lm, queue, worker_config(settings))  # type: ignore[arg-type]

    async def job(case: dict[str, Any]) -> Any:
        if case["task"] == "pitch":
            return pitch.prepare(premise=case["premise"], genre=case.get("genre"), tone=case.get("tone"))
        if case["task"] == "scene":
            return scene_service.prepare(file=(case["file"], case["source"].encode("utf-8")),
                                         max_bytes=settings.max_attachment_kb * 1024)
        said = [Said(i, f"https://discord.com/channels/1/2/{i}", f"member{i % 4}",
                     datetime(2026, 12, 1, 20, i, tzinfo=UTC), text) for i, text in enumerate(case["messages"])]
        discussion = await moods.discussion(said, place=case["place"], topic=None)
        return await moods.second_reading(discussion, queue)  # as the cog does

    async def one(case: dict[str, Any]) -> dict[str, Any]:
        t0 = time.perf_counter()
        row = dict(case)
        try:
            prepared = await job(case)
            reply = await runner.submit(queue, prepared.spec, prepared.inp).reply()
            row.update(text=reply.text, raw=reply.raw, tokens=reply.result.completion_tokens,
                       attempts=reply.attempts)
        except Exception as exc:  # an input the bot refuses, a refusal that survived its retry: a failed reply
            row.update(text="", raw="", tokens=0, attempts=0, error=f"{type(exc).__name__}: {exc}")
        row["seconds"] = round(time.perf_counter() - t0, 1)
        if sink is not None:
            sink(row)
        return row

    async with worker:
        started = time.perf_counter()
        rows = await asyncio.gather(*(one(case) for case in cases))
        wall = time.perf_counter() - started
    return list(rows), wall


# -- the judge: words ------------------------------------------------------------------------------------------

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’]*")

STOP = frozenset("""
a an the and or but nor so yet if then than that this these those there here what which who whom whose when where why
how as at by for from in into onto on off of to with without within upon about above below over under through across
along around after before behind beside besides between beyond during until till toward towards against among via per
is are was were be been being am do does did doing done have has had having will would shall should can could may
might must not no never nothing none nobody only just also too very even still again ever each every all any some
both either neither other others another such same own one ones two three four five six seven eight nine ten first
second last i me my mine we us our ours you your yours he him his she her hers it its they them their theirs itself
himself herself themselves myself yourself ourselves someone something somebody anyone anything everyone everything
out up down away back around now soon once while though although because since unless whether however
more most less least much many few several lot lots quite rather really almost enough s t
""".split())


# irregular forms, to their base
IRREGULAR = {
    "went": "go", "gone": "go", "goes": "go", "gave": "give", "given": "give", "got": "get", "gotten": "get",
    "getting": "get", "stole": "steal", "stolen": "steal", "made": "make", "took": "take", "taken": "take",
    "saw": "see", "seen": "see", "ran": "run", "running": "run", "sat": "sit", "sitting": "sit", "stood": "stand",
    "began": "begin", "begun": "begin", "fell": "fall", "fallen": "fall", "felt": "feel", "found": "find",
    "kept": "keep", "left": "leave", "lost": "lose", "met": "meet", "paid": "pay", "said": "say", "sang": "sing",
    "sung": "sing", "sold": "sell", "taught": "teach", "thought": "think", "told": "tell", "won": "win",
    "wrote": "write", "written": "write", "children": "child", "men": "man", "women": "woman", "people": "person",
    "mice": "mouse", "feet": "foot", "teeth": "tooth", "lives": "life", "knives": "knife", "wives": "wife",
}


def stem(word: str) -> str:
    """A crude stem: lower case, no possessive, no common inflection ("sleeping" -> "sleep", "ages" -> "age")."""
    w = word.casefold().replace("’", "'")
    w = re.sub(r"'s$|'$", "", w).strip("'")
    w = re.sub(r"(?<=[a-z]{2})our(s?)$", r"or\1", w)  # colour -> color
    w = re.sub(r"(?<=[a-z]{3})tre(s?)$", r"ter\1", w)  # theatre -> theater, centre -> center
    if w in IRREGULAR:
        w = IRREGULAR[w]
    for suffix, repl in (("ies", "y"), ("ied", "y"), ("ying", "y"), ("ness", ""), ("ingly", ""), ("edly", ""),
                         ("ing", ""), ("ed", ""), ("ers", "er"), ("es", "e"), ("s", ""), ("ly", "")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 2 and not w.endswith("ss"):
            w = w[: -len(suffix)] + repl
            break
    if len(w) >= 4 and w[-1] == w[-2] and w[-1] not in "aeiouls":  # "stopp" -> "stop", "robb" -> "rob"
        w = w[:-1]
    return w[:-1] if len(w) >= 4 and w.endswith("e") else w  # "fire", "fired" -> "fir"


def words(text: str) -> list[str]:
    """The words of a text, hyphenated words split into their parts ("tone-deaf" -> "tone", "deaf"), and a
    contraction by its first part ("they've" -> "they")."""
    out = []
    for token in _WORD.findall(text.replace("-", " ")):
        base = re.split(r"['’](?:ve|re|ll|d|m|t)$", token)[0]
        out.append(base if base.casefold() in STOP or base.casefold() in ("can", "don", "won", "isn") else token)
    return out


def stems_of(text: str) -> set[str]:
    return {stem(w) for w in words(text)}


def has_stem(word: str, stems: set[str]) -> bool:
    """`word` is among `stems`: the same stem, one a long prefix of the other ("smuggler", "smuggles"), or "asleep"
    for "sleep"."""
    s = stem(word)
    if s in stems:
        return True
    if s.startswith("a") and len(s) > 4 and s[1:] in stems:  # asleep, awake, alive, afloat, adrift
        return True
    if len(s) >= 5 and any(len(t) >= 5 and (t.startswith(s) or s.startswith(t)) and abs(len(t) - len(s)) <= 3
                           for t in stems):
        return True
    # the same first seven letters ("ambiguity", "ambiguous"), or the end of a compound ("backstage" -> "stage")
    return any((len(s) >= 7 and t[:7] == s[:7]) or (len(s) >= 4 and len(t) > len(s) + 3 and t.endswith(s))
               for t in stems)


def sentences(text: str) -> list[str]:
    """Sentences of a text: split at line ends and at . ! ? before a space and a capital or a quote."""
    out: list[str] = []
    for line in text.split("\n"):
        for piece in re.split(r"(?<=[.!?])[\"'”’)]*\s+(?=[\"'“‘(]?[A-Z0-9*])", line):
            if piece.strip():
                out.append(piece.strip())
    return out


# -- the judge: /pitch ------------------------------------------------------------------------------------------

PITCH_LIGHT = frozenset(stem(w) for w in """
learn learns discover discovers find finds realise realises realize realizes notice notices try tries become becomes
get gets start starts begin begins decide decides turn turns make makes go goes come comes way
""".split())

# pairs whose swap turns a premise round (each way)
ANTONYMS = (
    ("asleep", "awake"), ("sleep", "wake"), ("sleep", "awaken"), ("asleep", "awaken"), ("alive", "dead"),
    ("living", "dead"), ("old", "young"), ("hide", "reveal"), ("hide", "expose"), ("hide", "show"), ("ban", "allow"),
    ("ban", "permit"), ("ban", "encourage"), ("forbid", "allow"), ("refuse", "agree"), ("refuse", "accept"),
    ("never", "always"), ("missing", "found"), ("lose", "find"), ("lose", "regain"), ("losing", "regaining"),
    ("fire", "hire"), ("blind", "sighted"), ("deaf", "hearing"), ("stop", "start"), ("moving", "stopped"),
    ("rival", "partner"), ("last", "first"), ("cursed", "blessed"), ("war", "peace"), ("sell", "buy"),
    ("poison", "clean"), ("retired", "active"), ("stranded", "rescued"), ("secret", "openly"), ("closed", "open"),
    ("win", "lose"), ("victory", "defeat"), ("dead", "living"), ("old", "new"), ("younger", "older"),
)


def _antonyms(word: str) -> set[str]:
    s = stem(word)
    out = set()
    for a, b in ANTONYMS:
        if stem(a) == s:
            out.add(b)
        if stem(b) == s:
            out.add(a)
    return out


def pitch_parts(text: str) -> tuple[str, str]:
    """(title, logline + synopsis) of a pitch; all of it when it has no labels."""
    title = re.search(r"^\W*title\W*:\W*(.*)$", text, re.IGNORECASE | re.MULTILINE)
    body = re.sub(r"^\W*title\W*:.*$", "", text, count=1, flags=re.IGNORECASE | re.MULTILINE)
    return (title.group(1).strip() if title else ""), body


def judge_pitch(premise: str, text: str) -> list[str]:
    """What the pitch lost or turned round of the premise (empty: kept)."""
    if not text.strip():
        return ["no reply"]
    _, body = pitch_parts(text)
    kept = stems_of(body)
    premise_words = words(premise)
    content = [w for w in premise_words if w.casefold() not in STOP and stem(w) not in PITCH_LIGHT]
    flags = []
    lost = list(dict.fromkeys(w for w in content if not has_stem(w, kept)))
    if lost:
        flags.append(f"lost: {', '.join(lost)}")
    body_words = words(body)
    body_stems = [stem(w) for w in body_words]
    # an antonym within five words after the premise's word before it ("keeps ... awake" for "keeps ... asleep")
    for i, word in enumerate(content):
        opposites = {stem(o) for o in _antonyms(word)} - stems_of(premise)
        if not opposites or i == 0:
            continue
        anchor = stem(content[i - 1])
        for j, s in enumerate(body_stems):
            if s == anchor and any(t in opposites for t in body_stems[j + 1 : j + 6]):
                turned = next(body_words[k] for k in range(j + 1, min(j + 6, len(body_words)))
                              if body_stems[k] in opposites)
                flags.append(f"inverted: '{word}' became '{turned}' after '{body_words[j]}'")
                break
    # subject and object swapped round a verb: "O ... V ... S" and never "S ... V ... O"
    for s_word, v_word, o_word in zip(content, content[1:], content[2:], strict=False):
        if len({stem(s_word), stem(v_word), stem(o_word)}) < 3 or not re.search(r"(?:s|ed)$", v_word):
            continue  # the middle word must read as a verb in the premise's tense ("teaches", "fired")
        if _in_order(body_stems, (o_word, v_word, s_word)) and not _in_order(body_stems, (s_word, v_word, o_word)):
            flags.append(f"swapped: '{o_word} ... {v_word} ... {s_word}' for the premise's "
                         f"'{s_word} ... {v_word} ... {o_word}'")
    return flags


def _in_order(stems: list[str], three: tuple[str, str, str], window: int = 8) -> bool:
    """The three words in this order, each within `window` words of the one before."""
    a, b, c = (stem(w) for w in three)
    for i, s in enumerate(stems):
        if s != a:
            continue
        for j in range(i + 1, min(i + 1 + window, len(stems))):
            if stems[j] == b and c in stems[j + 1 : j + 1 + window]:
                return True
    return False


# -- the judge: /scene ------------------------------------------------------------------------------------------

SECTIONS = ("Setting", "Blocking", "Light", "Sound", "Camera")
COPY_RUN = 8  # words in a row from the excerpt
SHINGLE = 5
COPY_SHARE = 0.5

# what a scene description may name without the excerpt: the craft's words and the room any interior has
STAGING = frozenset(stem(w) for w in """
shot shots close closeup close-up wide medium long extreme angle angles lens frame frames framing camera cameras
pan pans tilt tilts zoom zooms dolly track tracking crane handheld steadicam push pull insert cut cuts cutaway rack
reverse over-the-shoulder shoulder pov point view focus depth foreground background midground eye level height
overhead aerial low high profile two-shot single coverage take sequence montage transition fade dissolve
light lights lighting shadow shadows silhouette silhouettes glow highlight highlights key fill rim backlight
daylight sunlight moonlight lamplight candlelight firelight haze contrast colour color colors colours palette
tone tones hue hues warmth brightness darkness gloom beam beams shaft shafts spill source sources practical
flare flicker window windows sun sky
sound sounds audio music score soundtrack silence ambience ambient hum hums murmur murmurs rustle rustles echo
echoes footstep footsteps breath breathing voice voices dialogue line lines delivery whisper whispers tempo
rhythm beat beats pause pauses note notes effect effects volume reverb room tone cue cues track tracks sting
creak creaks clatter thud thump noise noises chatter
walls wall floor floors ceiling ceilings corner corners air space spaces room rooms surface surfaces
edge edges centre center side sides left right front back middle distance end top bottom part parts area areas
place places surroundings environment atmosphere set setting backdrop location locations view bird
face faces eyes eye hand hands head heads body bodies feet foot arm arms shoulders posture expression position
positions
expressions gaze glance glances look looks gesture gestures movement movements motion step steps
character characters figure figures group people person everyone
""".split())
ABSTRACT = frozenset(stem(w) for w in """
mood moods tension tensions moment moments scene scenes sense feeling feelings emotion emotions energy pace
pacing chaos humor humour comedy drama story beat intimacy isolation unease calm stillness quiet urgency
suspense dread excitement surprise confusion frustration relief warmth contrast focus attention presence absence
detail details quality sequence action actions reaction reactions interaction interactions dynamic dynamics
relationship relationships conversation conversations exchange exchanges situation time day night morning evening
dawn dusk afternoon way kind sort type bit lot number series range mix variety array layer layers
whole rest course start beginning ending end point instance contrast world life relaxation danger impression
contents threat peace fear joy anger sadness objects items establishment perspective perspectives anticipation
mystery curiosity concern
""".split())
_DETERMINERS = frozenset("""
the a an his her their its my your our some another each every several two three four five
""".split())
# a preposition followed straight by a noun ("on shelves", "with papers") opens a phrase as a determiner does
_PREPOSITIONS = frozenset("on in at with from under over into onto across behind beside near through around of".split()
                          # and the verbs that put a thing on someone: "wearing white dresses", "holding lanterns"
                          + "wearing wears wore holding holds carrying carries clutching wielding".split())
_ADJ_SUFFIXES = ("ful", "ous", "ive", "ic", "al", "able", "ible", "less", "ish", "y", "ed", "ing", "ent", "ant",
                 "ary", "ar", "er", "est", "ly")
_STRONG_ADJ_SUFFIXES = ("ful", "ous", "ive", "ic", "al", "able", "ible", "less", "ish")
_ADJECTIVES = frozenset("""
big small large little tall short old young new long wide narrow dark bright dim soft hard harsh warm cool cold hot
red blue green yellow orange purple pink black white grey gray brown golden silver pale deep low high slow quick
fast quiet loud calm still single whole entire main same other few many first last next final sharp gentle subtle
brief full empty open closed tight loose heavy light thin thick rich flat clear faint vivid stark muted steady
natural artificial overall general own right left close far near distant nervous restless excited angry sad happy
opposite
lit cozy cosy vast eerie slight stern humid common wooden urban ominous dusty hazy busy bustling lively empty
""".split())
# nouns that end like adjectives ("table", "building"): never skipped as a modifier
# verbs a scene description puts after its subject: never the head of a noun phrase
_VERBS_3RD = frozenset("""
adds creates fills casts gives makes brings leaves lets sets keeps shows reveals echoes hums rings plays sounds
stands sits moves walks turns looks seems feels remains stays hangs falls rises drifts spills glows shines flickers
""".split())
_NOT_ADJECTIVES = frozenset("""
music magic traffic panic clinic attic mosaic fabric logic
table tables cable stable building buildings ceiling ceilings painting paintings evening morning thing things string
strings ring king wing wings spring railing clothing animal animals signal metal hospital pedal crystal water paper
papers counter corner corners letter letters poster drawer shower tower flower flowers border chamber dinner finger
fingers ladder leather marker chair character characters filter heater locker number river sister brother mother
father daughter teacher officer soldier stranger window windows shadow shadows
""".split())


def section_texts(text: str) -> dict[str, str]:
    """Each section's text by its label (a missing section is absent)."""
    label = re.compile(rf"^[\W_]*({'|'.join(SECTIONS)})[\W_]*:[*_]*\s*", re.IGNORECASE | re.MULTILINE)
    found: dict[str, str] = {}
    matches = list(label.finditer(text))
    for m, nxt in zip(matches, [*matches[1:], None], strict=True):
        name = m.group(1).capitalize()
        body = text[m.end() : nxt.start() if nxt else len(text)].strip()
        found.setdefault(name, body)
    return found


def _norm_words(text: str) -> list[str]:
    return [w.casefold().replace("’", "'") for w in words(text)]


def copied_runs(section: str, excerpt: str, run: int = COPY_RUN) -> list[str]:
    """Runs of `run` or more words of `section` that the excerpt has in the same order (longest first)."""
    ex = _norm_words(excerpt)
    grams = {tuple(ex[i : i + run]) for i in range(len(ex) - run + 1)}
    sec = _norm_words(section)
    out = []
    i = 0
    while i <= len(sec) - run:
        if tuple(sec[i : i + run]) in grams:
            j = i + run
            while j < len(sec) and tuple(sec[j - run + 1 : j + 1]) in grams:
                j += 1
            out.append(" ".join(sec[i:j]))
            i = j
        else:
            i += 1
    return sorted(out, key=len, reverse=True)


def copied_share(section: str, excerpt: str, n: int = SHINGLE) -> float:
    """The share of the section's words inside `n`-word runs of the excerpt."""
    ex = _norm_words(excerpt)
    grams = {tuple(ex[i : i + n]) for i in range(len(ex) - n + 1)}
    sec = _norm_words(section)
    if len(sec) < n:
        return 0.0
    covered = [False] * len(sec)
    for i in range(len(sec) - n + 1):
        if tuple(sec[i : i + n]) in grams:
            covered[i : i + n] = [True] * n
    return sum(covered) / len(sec)


def _adjective_like(word: str) -> bool:
    w = word.casefold()
    return w in _ADJECTIVES or (len(w) > 4 and w.endswith(_ADJ_SUFFIXES) and w not in _NOT_ADJECTIVES)


def named_things(sentence: str) -> list[str]:
    """The names and the nouns a sentence puts on screen: capitalised words after its first word, and the head of
    each determiner phrase ("the large, artful building" -> "building")."""
    body = re.sub(r"^[\W_]*(?:" + "|".join(SECTIONS) + r")[\W_]*:[*_]*\s*", "", sentence, flags=re.IGNORECASE)
    tokens = re.findall(r"[A-Za-z][A-Za-z'’-]*|[.,;:!?()\"“”]", body)
    out: list[str] = []
    first = True
    for i, tok in enumerate(tokens):
        if not tok[0].isalpha():
            first = tok in ".!?:"
            continue
        if tok[0].isupper() and not first and tok not in ("I",) and tok.casefold() not in STOP:
            out.append(tok)
        first = False
        opens = tok.casefold() in _DETERMINERS or (
            tok.casefold() in _PREPOSITIONS and i + 1 < len(tokens) and tokens[i + 1][:1].islower()
            and tokens[i + 1].casefold() not in STOP and tokens[i + 1].casefold() not in _DETERMINERS)
        if opens:
            j = i + 1
            while j < len(tokens):
                nxt = tokens[j]
                if nxt == ",":
                    j += 1
                    continue
                if not nxt[0].isalpha() or nxt.casefold() in STOP:
                    break
                after = tokens[j + 1] if j + 1 < len(tokens) else ""
                if after == ",":  # "the large, artful building": look past the comma to another modifier
                    after = tokens[j + 2] if j + 2 < len(tokens) else ""
                    beyond = tokens[j + 3] if j + 3 < len(tokens) else ""
                    if not (_adjective_like(after) and beyond[:1].isalpha() and beyond.casefold() not in STOP):
                        after = ","  # ", showing the characters" is no modifier
                elif (after.endswith(("ed", "ing")) and after.casefold() not in _NOT_ADJECTIVES
                      and not nxt.casefold().endswith(_STRONG_ADJ_SUFFIXES)):
                    after = ","  # "the building illuminated by", "the light coming from" ("the occasional clinking")
                elif after in ("and", "or") and _adjective_like(nxt):  # "natural and artificial light"
                    j += 2
                    continue
                if (_adjective_like(nxt) and after[:1].isalpha() and after.casefold() not in STOP
                        and after.casefold() not in _VERBS_3RD):  # "the loudspeaker adds": a noun, then its verb
                    j += 1
                    continue
                if nxt.casefold() not in _ADJECTIVES:  # "a dark, urban place": no noun is named by "dark"
                    out.append(nxt)
                break
    return list(dict.fromkeys(out))


_META = re.compile(r"\b(?:excerpt|screenplay|script)\b|\bnot (?:explicitly |specifically )?(?:mentioned|described|"
                   r"specified|stated)\b|\bcan(?:not|'t) (?:describe|infer)\b|\bwe can infer\b|\bis described as\b",
                   re.IGNORECASE)


def judge_scene(excerpt: str, text: str) -> list[str]:
    """What the scene description lacks, copies or makes up (empty: clean)."""
    if not text.strip():
        return ["no reply"]
    flags = []
    parts = section_texts(text)
    missing = [s for s in SECTIONS if len(words(parts.get(s, ""))) < 3]
    if missing:
        flags.append(f"missing: {', '.join(missing)}")
    for name, body in parts.items():
        runs = copied_runs(body, excerpt)
        if runs:
            flags.append(f"copied ({name}): \"{runs[0]}\"")
        elif (share := copied_share(body, excerpt)) > COPY_SHARE:
            flags.append(f"copied ({name}): {share:.0%} of it in 5-word runs of the excerpt")
    known = stems_of(excerpt)

    def supported(word: str) -> bool:  # a hyphenated word by any of its parts ("low-angle", "rain-soaked")
        return any(has_stem(part, known) or stem(part) in STAGING or stem(part) in ABSTRACT
                   for part in [word, *word.split("-")] if part)

    for sentence in sentences(text):
        if _META.search(sentence):
            flags.append(f"talks about the excerpt instead of the scene | {sentence}")
            continue
        made_up = [w for w in named_things(sentence) if not supported(w)]
        if made_up:
            flags.append(f"not in the excerpt: {', '.join(made_up)} | {sentence}")
    return flags


# -- the judge: a channel's /mood -------------------------------------------------------------------------------

SUMMARY_WORDS = frozenset(stem(w) for w in """
people members viewers audience fans folks someone some others many most several few everyone anybody commenters
discussion discussions channel chat conversation message messages comment comments opinion opinions view views
reaction reactions response responses feedback thought thoughts feeling feelings impression impressions sentiment
like liked likes dislike disliked dislikes love loved loves hate hated enjoy enjoyed enjoying appreciate appreciated
praise praised praising criticise criticised criticize criticized criticism criticisms complain complained
complaint complaints find found feel felt think thought say said says mention mentioned note noted point pointed
call called describe described seem seemed seems agree agreed disagree disagreed share shared express expressed
highlight highlighted admire admired
film films movie movies picture thing things aspect aspects part parts element elements side overall general
mixed positive negative mostly generally especially particularly also though while however whereas although
divided split some others lot bit way much many more less especially particular certain various other overall
summary summarize sum group members whole experience watch watched watching viewing
""".split())
# an aspect word counts as said when the messages use one of these
ASPECTS = {
    "music": "score soundtrack song songs theme tune tunes music musical harmonica synth number numbers reprise",
    "soundtrack": "score soundtrack song songs music theme tune oldies",
    "score": "score soundtrack music theme",
    "acting": "performance performances cast actress actor acting lead leads played plays banter",
    "performance": "performance performances acting actress actor cast lead",
    "performances": "performance performances acting actress actor cast lead",
    "cast": "cast actress actor acting performance leads",
    "pacing": "pacing pace slow dragged drags drag long slog forever fast",
    "pace": "pacing pace slow dragged drags drag long slog forever fast",
    "length": "long length hours minutes forever",
    "runtime": "long length hours minutes forever",
    "visuals": "shots cinematography frame frames colours colors look looks gorgeous landscapes shot animation",
    "visual": "shots cinematography frame frames colours colors look looks landscapes shot animation",
    "cinematography": "shots shot camera frame cinematography takes look",
    "story": "story plot script twist ending narrative",
    "plot": "plot story script twist",
    "humor": "jokes joke funny funniest laugh comedy",
    "humour": "jokes joke funny funniest laugh comedy",
    "comedy": "jokes joke funny funniest comedy",
    "characters": "character characters villain hero lead leads detective",
    "character": "character characters villain hero lead detective",
    "effects": "effects cgi practical",
    "design": "design set sets costumes",
    "dialogue": "dialogue lines banter voiceover",
    "scenes": "scene scenes sequence",
    "sequence": "scene scenes sequence",
}
EVALUATIVE = frozenset(stem(w) for w in """
creepy slow predictable forgettable moving cheesy tense intense iconic clever cute dated flat thin inventive sharp
quotable overused overbearing ambiguous frustrating memorable engaging gripping stunning breathtaking cliche
cliched preachy messy confusing lazy boring dull long too short fun funny hilarious charming sweet adorable dark
strong weak powerful effective impressive excellent great good bad poor awful terrible amazing incredible wonderful
beautiful gorgeous lovely perfect real realistic believable unbelievable emotional touching heartfelt scary
terrifying exciting thrilling entertaining enjoyable disappointing annoying distracting loud quiet standout
highlight favourite favorite best worst unique original fresh
""".split())
# the summary's verbs of liking, as written (not stems: "looking like a video game" likes nothing)
_POSITIVE_VERBS = frozenset("liked loved enjoyed praised appreciated admired adored".split())
_NEGATIVE_VERBS = frozenset("disliked hated criticised criticized complained".split())


@dataclass
class MoodJudge:
    """The rules for a channel summary; VADER's lexicon gives the evaluative words and a clause's tone."""

    analyzer: Any = field(default=None)

    def __post_init__(self) -> None:
        if self.analyzer is None:
            from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

            self.analyzer = SentimentIntensityAnalyzer()

    def evaluative(self, word: str) -> bool:
        w = word.casefold()
        return stem(w) in EVALUATIVE or abs(self.analyzer.lexicon.get(w, 0.0)) >= 1.0

    def tone(self, clause: str) -> float:
        """Praise (> 0) or criticism (< 0) in a clause of the summary: its verbs of liking first, else VADER."""
        found = {w.casefold() for w in words(clause)}
        if found & _POSITIVE_VERBS:
            return 1.0
        if found & _NEGATIVE_VERBS:
            return -1.0
        return float(self.analyzer.polarity_scores(clause)["compound"])

    def judge(self, messages: list[str], text: str, sides: str = "") -> list[str]:
        """`sides`: each message's side as the case gives it, "+" (praise), "-" (criticism) or "0"."""
        if not text.strip():
            return ["no reply"]
        said = stems_of("\n".join(messages))
        flags = []
        if re.search(r"\b(?:liked|disliked|likes|dislikes)\s*:", text, re.IGNORECASE):
            flags.append(f"not prose: a list run together | {text}")
        for sentence in sentences(text):
            unsupported = []
            for w in words(sentence):
                if w.casefold() in STOP or w.isdigit() or stem(w) in SUMMARY_WORDS or self.evaluative(w):
                    continue
                if has_stem(w, said):
                    continue
                kinds = ASPECTS.get(w.casefold())
                if kinds and any(has_stem(k, said) for k in kinds.split()):
                    continue
                unsupported.append(w)
            if unsupported:
                flags.append(f"not in the messages: {', '.join(dict.fromkeys(unsupported))} | {sentence}")
            if sides:
                flags.extend(self._sides(messages, sides, sentence))
        return flags

    def _sides(self, messages: list[str], sides: str, sentence: str) -> list[str]:
        """Clauses that praise what every message naming it criticises, or the other way round. A clause with no
        tone of its own carries on the one before it ("They disliked the dialogue, the pacing and the robot")."""
        out = []
        pieces = re.split(r"(,|;|\bbut\b|\bwhile\b|\bwhereas\b|\balthough\b|\bthough\b|\bhowever\b|\band\s+(?=(?:"
                          r"found|felt|thought|disliked|criticised|criticized|complained|hated|liked|loved|enjoyed|"
                          r"praised)\b))", sentence)
        current = 0.0
        for i in range(0, len(pieces), 2):
            clause, before = pieces[i], pieces[i - 1] if i else ""
            if before not in ("", ",", ";"):
                current = 0.0  # a turn ("but", "while"): the tone before it does not carry over
            found = {w.casefold() for w in words(clause)}
            if not found & (_POSITIVE_VERBS | _NEGATIVE_VERBS) and quotes(clause, messages):
                continue  # a message in its own words says its own side ("the short made me cry"); a list it
                # sits in goes on after it ("liked the look, the long takes were mesmerizing, and ...")
            if found & (_POSITIVE_VERBS | _NEGATIVE_VERBS) or not current:
                tone = self.tone(clause)
                current = tone if abs(tone) >= 0.3 else current
            else:  # the list goes on: "They liked the costumes, the score, and the tension in the vault"
                tone = current
            if abs(tone) < 0.3:
                continue
            things = [w for w in words(clause) if w.casefold() not in STOP and stem(w) not in SUMMARY_WORDS
                      and not self.evaluative(w) and len(w) > 3]
            for thing in things:
                naming = [side for m, side in zip(messages, sides, strict=True) if has_stem(thing, stems_of(m))]
                if not naming:
                    continue
                if tone > 0 and all(side == "-" for side in naming):
                    out.append(f"wrong side: praises '{thing}', which the messages criticise | {clause.strip()}")
                    break
                if tone < 0 and all(side == "+" for side in naming):
                    out.append(f"wrong side: criticises '{thing}', which the messages praise | {clause.strip()}")
                    break
        return out


QUOTE_WORDS = 4  # a clause with this many words in a row of one message, and most of its words so, quotes it


def quotes(clause: str, messages: list[str]) -> bool:
    """The clause is a message in its own words: a run of at least `QUOTE_WORDS` of its words, most of them, that
    one message has in that order ("The film felt like a string of sketches" for "it felt like a string of
    sketches"). Its side is then the message's, whatever a sentiment lexicon makes of "cry" or "like"."""
    mine = [w.casefold() for w in words(clause)]
    for message in messages:
        theirs = [w.casefold() for w in words(message)]
        match = SequenceMatcher(None, mine, theirs, autojunk=False).find_longest_match(0, len(mine), 0, len(theirs))
        if match.size >= QUOTE_WORDS and match.size >= 0.7 * len(mine):
            return True
    return False


# -- the report ---------------------------------------------------------------------------------------------------

def judge_rows(rows: list[dict[str, Any]]) -> list[list[str]]:
    mood = MoodJudge() if any(row["task"] == "mood" for row in rows) else None
    if any(row["task"] == "mood" and "sides" not in row for row in rows):  # saved before the cases had sides
        sides = {case["id"]: case.get("sides", "") for case in load_cases(["mood"])}
        rows = [{**row, "sides": sides.get(row["id"], "")} if row["task"] == "mood" and "sides" not in row else row
                for row in rows]
    verdicts = []
    for row in rows:
        if row.get("error"):
            verdicts.append([f"no reply: {row['error']}"])
        elif row["task"] == "pitch":
            verdicts.append(judge_pitch(row["premise"], row["text"]))
        elif row["task"] == "scene":
            verdicts.append(judge_scene(row["source"], row["text"]))
        else:
            assert mood is not None
            verdicts.append(mood.judge(row["messages"], row["text"], row.get("sides", "")))
    return verdicts


def summary_line(rows: list[dict[str, Any]], verdicts: list[list[str]]) -> str:
    def count(task: str) -> tuple[int, int]:
        mine = [v for row, v in zip(rows, verdicts, strict=True) if row["task"] == task]
        return sum(1 for v in mine if v), len(mine)

    pitch_bad, pitch_n = count("pitch")
    scene_bad, scene_n = count("scene")
    mood_bad, mood_n = count("mood")
    return (f"task_quality pitch premise_kept {pitch_n - pitch_bad}/{pitch_n} scene unsupported {scene_bad}/{scene_n}"
            f" mood unsupported {mood_bad}/{mood_n}")


def _input_line(row: dict[str, Any]) -> str:
    if row["task"] == "pitch":
        return f"premise: {row['premise']}"
    if row["task"] == "scene":
        return f"file: {row['file']}"
    return "messages: " + " | ".join(row["messages"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="qwen2.5-coder-1.5b", help="model preset (default: the embedded one)")
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--tasks", default=",".join(TASKS), help="comma-separated: pitch,scene,mood")
    parser.add_argument("--limit", type=int, help="at most this many cases of each task")
    parser.add_argument("--start", type=int, default=0, help="skip this many cases of each task (to run in parts)")
    parser.add_argument("--show", type=int, default=0, help="print the first N replies of each task")
    parser.add_argument("--out", help="save the replies (JSONL) to judge them again with --replies")
    parser.add_argument("--replies", help="judge the replies of an earlier --out file, generating none")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    tasks = [t for t in args.tasks.split(",") if t]
    if unknown := set(tasks) - set(TASKS):
        parser.error(f"unknown task(s) {', '.join(sorted(unknown))}; pick from {', '.join(TASKS)}")

    if args.replies:
        rows = [json.loads(line) for line in Path(args.replies).read_text().splitlines() if line.strip()]
        rows = [row for row in rows if row["task"] in tasks]
        wall = 0.0
    else:
        cases = load_cases(tasks, args.limit, args.start)
        print(f"generating {len(cases)} replies ({', '.join(tasks)}) with {args.model} ...", flush=True)
        with (Path(args.out).open("w") if args.out else contextlib.nullcontext()) as out:

            def save(row: dict[str, Any]) -> None:
                if out is not None:
                    out.write(json.dumps(row) + "\n")
                    out.flush()

            rows, wall = asyncio.run(generate(cases, args.model, args.backend, save))

    verdicts = judge_rows(rows)
    shown = dict.fromkeys(tasks, 0)
    for row, flags in zip(rows, verdicts, strict=True):
        if shown[row["task"]] < args.show:
            shown[row["task"]] += 1
            print(f"\n--- {row['task']} {row['id']} · {_input_line(row)}\n{row['text']}\n--- "
                  f"{row.get('tokens', 0)} tokens, {row.get('attempts', 0)} tries: "
                  f"{'; '.join(flags) if flags else 'clean'}")
    print()
    for row, flags in zip(rows, verdicts, strict=True):
        for flag in flags:
            print(f"[{row['task']} {row['id']}] {flag}")
    if wall:
        tokens = sum(row.get("tokens", 0) for row in rows)
        print(f"{len(rows)} replies in {wall:.0f} s, {tokens} tokens ({tokens / wall:.1f} tokens/s)")
    print(summary_line(rows, verdicts))


if __name__ == "__main__":
    main()
