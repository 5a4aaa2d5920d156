"""The members' languages, measured in one run: Chinese reviews, Chinese titles, Chinese moods.

    python bench/languages.py                    # the default model; about 40 minutes on 2 cores
    python bench/languages.py --reviews 10       # fewer reviews
    python bench/languages.py --reviews 0        # titles and mood only (a minute)

The last line reads
`languages reply_in_language A/N title_zh_top1 B mood_zh_macro_f1 C review_zh_clean D/N`:

- **Reviews** (`bench/zh_review_cases.tsv`): 52 catalog films with notes in Chinese as members write them (fragments,
  commas, a name or two in Chinese; written for this bench, not drawn from any corpus), each with a rating. Each goes
  the bot's own way (`bot.cli.stream_reply`: the request desk, the review service's facts and checks, the queue and
  the batching worker), from a member whose client is English, so the notes alone must make the reply Chinese.
- **A, reply_in_language**: replies in Chinese by this file's own judge, which shares no code with the bot's
  language check (`models.language`): after the film's titles, the catalog's people, the Latin words of the notes
  and numbers are taken out, at least 90% of the letters left are Chinese characters (by their Unicode names).
- **B, title_zh_top1**: `bench/zh_titles.py`'s held-out Chinese titles (its docstring says how they were made).
- **C, mood_zh_macro_f1**: `bench/zh_mood.py`'s held-out Chinese reviews (its docstring says how they were made).
- **D, review_zh_clean**: replies that pass every check this judge can make on Chinese: in Chinese (A), the rating
  said right or not at all (no other score), no loop (a sentence or a run of eight characters three times), no
  leak of the prompt, and no person named in Latin letters whom neither the notes nor the catalog give. It does not
  judge story or opinion in Chinese (the English judge of `bench/review_quality.py` reads English words): D is an
  upper bound, and the replies are printed so that a reader can judge the rest; the README quotes some.

English is untouched by all of this: an English request's prompt, start and checks are byte for byte what they were
(`tests/unit/test_language.py`), so `bench/review_quality.py`'s figures stand.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import re
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.cli import stream_reply  # noqa: E402
from bot.desk import RequestDesk  # noqa: E402
from bot.llm import load_model, worker_config  # noqa: E402
from bot.services import Services  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.store import Store  # noqa: E402
from models.film.catalog import Catalog  # noqa: E402
from models.llm.jobs import JobError, JobQueue  # noqa: E402
from models.llm.worker import BatchingWorker  # noqa: E402

CASES = ROOT / "bench" / "zh_review_cases.tsv"
IN_CHINESE = 0.9
_LATIN_NAME = re.compile(r"\b[A-Z][a-z]+(?:[ -][A-Z][a-z]+)+\b")
_SCORE = re.compile(r"(\d+(?:\.\d+)?)\s*/\s*(\d+)")
_LEAKS = ("My notes", "Film:", "Rules", "Write the whole reply", "Start with", "verdict", "facts", "笔记：", "规则")


@dataclass(frozen=True)
class Case:
    film: str
    notes: str
    rating: float
    scale: int


@dataclass(frozen=True)
class Written:
    case: Case
    text: str
    allowed: tuple[str, ...]  # titles and names the reply may write in Latin letters
    seconds: float


def read_cases(path: Path = CASES) -> list[Case]:
    with path.open(encoding="utf-8") as f:
        return [Case(r["film"], r["notes"], float(r["rating"]), int(r["scale"]))
                for r in csv.DictReader(f, delimiter="\t")]


def _letters(text: str) -> tuple[int, int]:
    """(Chinese characters, Latin letters) by their Unicode names."""
    han = latin = 0
    for ch in text:
        if not ch.isalpha():
            continue
        name = unicodedata.name(ch, "")
        if name.startswith("CJK UNIFIED IDEOGRAPH") or name.startswith("CJK COMPATIBILITY IDEOGRAPH"):
            han += 1
        elif "LATIN" in name:
            latin += 1
    return han, latin


def chinese_share(text: str, allowed: tuple[str, ...]) -> float:
    for name in sorted(allowed, key=len, reverse=True):
        text = text.replace(name, " ")
    han, latin = _letters(text)
    return han / (han + latin) if han + latin else 0.0


def problems(written: Written) -> list[str]:
    """What this judge finds wrong with one Chinese review (empty: clean as far as it can see)."""
    text, case = written.text, written.case
    found = []
    share = chinese_share(text, written.allowed)
    if share < IN_CHINESE:
        found.append(f"only {share:.0%} Chinese")
    scores = {(float(a), int(b)) for a, b in _SCORE.findall(text)}
    if scores - {(case.rating, case.scale)}:
        found.append(f"another score: {sorted(scores)}")
    sentences = [s for s in re.split(r"(?<=[。！？!?.])\s*", text) if len(s) > 3]
    if len(sentences) != len(set(sentences)) or any(
            text.count(text[i:i + 8]) >= 3 for i in range(0, max(0, len(text) - 8)) if text[i:i + 8].strip()):
        found.append("a loop")
    leaked = [leak for leak in _LEAKS if leak in text]
    if leaked:
        found.append(f"leaks {leaked}")
    strangers = [n for n in _LATIN_NAME.findall(text) if not any(n in a or a in n for a in written.allowed)]
    if strangers:
        found.append(f"names no one gave: {strangers}")
    return found


async def write_reviews(cases: list[Case], settings: Settings, catalog: Catalog) -> list[Written]:
    from models.mood.classifier import MoodClassifier

    lm = await asyncio.to_thread(load_model, settings, progress=False)
    mood = await asyncio.to_thread(MoodClassifier.load, settings.cache_dir)
    services = Services(settings, catalog=catalog, mood=mood)
    with tempfile.TemporaryDirectory(prefix="cinebot-languages-") as tmp:
        async with await Store.open(Path(tmp) / "languages.sqlite3") as store:
            queue = JobQueue(max(settings.max_queue, len(cases) * 4))
            async with BatchingWorker(lm, queue, worker_config(settings)):
                desk = RequestDesk(store, queue, settings, model_name=lm.name)

                async def one(case: Case) -> Written:
                    job = services.review.prepare(film=case.film, notes=case.notes, rating=case.rating,
                                                  scale=case.scale)
                    film = job.inp.grounding.film if job.inp.grounding is not None else None
                    allowed = [job.inp.title, job.inp.film, *re.findall(r"[A-Za-z][A-Za-z' .&-]+", case.notes)]
                    if film is not None:
                        allowed += [film.title, *film.directors, *film.writers, *film.cast]
                    started = time.perf_counter()
                    try:
                        reply = await stream_reply(desk, job, io.StringIO())
                        text = reply.text
                    except JobError as exc:
                        text = f"(no reply: {exc})"
                    return Written(case, text, tuple(a.strip() for a in allowed if a and a.strip()),
                                   time.perf_counter() - started)

                return list(await asyncio.gather(*(one(c) for c in cases)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reviews", type=int, default=None, help="how many of the Chinese review cases (default all)")
    parser.add_argument("--threads", type=int, default=2, help="the mood classifier's threads")
    args = parser.parse_args()
    settings = Settings.load(env={}, env_file=None)
    catalog = Catalog.open()
    catalog.warm()

    from bench import zh_mood, zh_titles

    hits, titles = zh_titles.measure(catalog)
    print(f"titles: {hits}/{titles} Chinese titles find their film", flush=True)
    mood = zh_mood.measure(threads=args.threads)
    print(f"mood: {zh_mood._line('zh_mood', mood)}", flush=True)

    cases = read_cases()[: args.reviews] if args.reviews is not None else read_cases()
    written: list[Written] = []
    if cases:
        started = time.perf_counter()
        written = asyncio.run(write_reviews(cases, settings, catalog))
        print(f"\n{len(written)} Chinese reviews in {time.perf_counter() - started:.0f} s\n", flush=True)
    in_language = clean = 0
    for w in written:
        found = problems(w)
        in_language += chinese_share(w.text, w.allowed) >= IN_CHINESE
        clean += not found
        print(f"--- {w.case.film} ({w.case.rating:g}/{w.case.scale}) {w.seconds:.0f} s: "
              f"{'; '.join(found) or 'clean as far as this judge sees'}\nnotes: {w.case.notes}\n{w.text}\n")
    n = len(written)
    print(f"languages reply_in_language {in_language}/{n} title_zh_top1 {hits / max(1, titles):.3f} "
          f"mood_zh_macro_f1 {mood['macro_f1']:.3f} review_zh_clean {clean}/{n}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
