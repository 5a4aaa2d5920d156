"""Feedback that adapts, measured: two simulated film clubs with opposite tastes ask for reviews through the bot's
own path, and their members react by rules the bot never sees.

Each request goes the way /review goes, minus Discord: the review service prepares the job (catalog facts and
checks), the request desk (`bot/desk.py`) admits it, picks the variant the club's reactions favour
(`bot/learning.py`) and the style of its liked replies, the job runs through the queue and the batching worker, the
desk stores the reply as it stores every reply, and a simulated member's 👍 or 👎 is recorded at the desk as the
reaction listener records it (`RequestDesk.record_reaction`). The two
clubs are two servers in one database, run side by side. Their hidden tastes (this file only; the bot never reads
them):
  A likes short reviews (at most 70 words) that open with the rating, and dislikes exclamation marks;
  B likes longer (at least 50 words), enthusiastic reviews (with an exclamation mark).
(The thresholds suit the test model, whose cleaned reviews run 30-130 words.)
Members react to some replies, not all: each reply gets its member's 👍 or 👎 with probability `--react` (default
0.3, drawn from the seed); the liked share counts every reply, rated or not, by the hidden rule. With `--react 1`
(every reply rated) the learner has mostly converged inside the first 50, so the first-50 figure is already adapted.
After the run, `cross` writes 30 more reviews for club B in the variant club A ended on, and reports B's liked
share of them (how badly one club's lesson would serve the other).

    python bench/adapt.py                                   # the test model, 300 requests per club, 3 seeds
    python bench/adapt.py --model qwen2.5-coder-1.5b --requests 100 --seeds 1

The last line reads `liked_share A first50 X last50 Y; B first50 X2 last50 Y2; cross A-variant-in-B Z` (means over
the seeds; with fewer than 100 requests a club, the windows are each half the run and named so).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.review_cases import CASES, Case
from bot.desk import Place, RequestDesk, Sent
from bot.learning import Learner
from bot.llm import load_model, worker_config
from bot.services import Services
from bot.settings import Settings
from bot.store import Store
from models.film.catalog import Catalog
from models.llm.jobs import JobQueue
from models.llm.worker import BatchingWorker
from models.tasks import runner
from models.tasks.runner import TaskReply
from models.tasks.variants import variant

WINDOW = 50
CROSS = 30
ROUND = 16  # requests per club in flight at once; the next round sees this round's reactions
RATED = [c for c in CASES if c.rating is not None and c.scale is not None]
_WORDS = re.compile(r"[A-Za-z0-9'’]+")


def _rating(case: Case) -> str:
    return f"{case.rating:g}/{case.scale}"


def club_a(text: str, case: Case) -> bool:
    """Short, the rating up front, no exclamation marks."""
    return len(_WORDS.findall(text)) <= 70 and _rating(case) in text[:40] and "!" not in text


def club_b(text: str, case: Case) -> bool:
    """Long and enthusiastic."""
    return len(_WORDS.findall(text)) >= 50 and "!" in text


@dataclass(frozen=True)
class Club:
    name: str
    guild_id: int
    member: int
    likes: Callable[[str, Case], bool]


CLUBS = (Club("A", 1001, 11, club_a), Club("B", 1002, 22, club_b))


@dataclass(frozen=True)
class Turn:
    variant: str
    liked: bool
    text: str
    rated: bool


class KeptReply:
    """The desk's delivery for a simulated member: the reply lands in a message with a made-up id, as a Discord
    message would, so reactions can be recorded on it."""

    def __init__(self, sent: Sent) -> None:
        self.sent = sent
        self.reply: TaskReply | None = None
        self.failed = ""

    async def queued(self, position: int) -> None:
        pass

    async def progress(self, text: str) -> None:
        pass

    async def finish(self, reply: TaskReply) -> list[Sent]:
        self.reply = reply
        return [self.sent]

    async def done(self, *, another_take: bool) -> None:
        pass

    async def error(self, message: str) -> None:
        self.failed = message

    async def stopping(self) -> None:
        self.failed = "stopped"


async def ask(desk: RequestDesk, services: Services, club: Club, case: Case, n: int, reacts: bool) -> Turn:
    job = services.review.prepare(film=case.film, notes=case.notes, rating=case.rating, scale=case.scale)
    ticket = await desk.open(job, Place(club.member, club.guild_id, club.guild_id), check=False)
    if isinstance(ticket, str):  # a full queue: the rounds are sized below the queue's limit
        raise RuntimeError(ticket)
    await desk.record(ticket)
    message_id = club.guild_id * 100_000 + n
    kept = KeptReply(Sent(message_id, club.guild_id))
    await desk.write(ticket, kept)
    if kept.reply is None:
        raise RuntimeError(f"no reply for {case.film}: {kept.failed}")
    liked = club.likes(kept.reply.text, case)
    if reacts:
        await desk.record_reaction(message_id=message_id, user_id=club.member, emoji="👍" if liked else "👎",
                                   score=1 if liked else -1, added=True)
    assert ticket.run is not None
    return Turn(ticket.run.variant_name, liked, kept.reply.text, reacts)


def share(turns: list[Turn]) -> float:
    return sum(t.liked for t in turns) / max(1, len(turns))


async def one_seed(seed: int, lm: object, settings: Settings, catalog: Catalog, requests: int, react: float,
                   show: int) -> tuple[dict[str, list[Turn]], float]:
    with tempfile.TemporaryDirectory() as folder:
        async with await Store.open(Path(folder) / "adapt.sqlite3") as store:
            queue = JobQueue(settings.max_queue)
            async with BatchingWorker(lm, queue, worker_config(settings)):  # type: ignore[arg-type]
                desk = RequestDesk(store, queue, settings, model_name=str(getattr(lm, "name", "")),
                                   learner=Learner(store, random.Random(seed)))
                services = Services(settings, catalog=catalog)
                order = random.Random(seed).sample(RATED, len(RATED))
                members = random.Random(f"react {seed}")
                turns: dict[str, list[Turn]] = {c.name: [] for c in CLUBS}
                started = time.perf_counter()
                for first in range(0, requests, ROUND):
                    asked = [(club, ask(desk, services, club, order[(i + seed) % len(order)], i,
                                        members.random() < react))
                             for club in CLUBS for i in range(first, min(first + ROUND, requests))]
                    done = await asyncio.gather(*(coroutine for _, coroutine in asked))
                    for (club, _), turn in zip(asked, done, strict=True):
                        turns[club.name].append(turn)
                window = min(WINDOW, requests // 2)
                a_final = Counter(t.variant for t in turns["A"][-window:]).most_common(1)[0][0]
                b_club = CLUBS[1]
                forced = variant("review", a_final)
                cross_turns = []
                for k in range(CROSS):
                    case = order[k % len(order)]
                    job = services.review.prepare(film=case.film, notes=case.notes, rating=case.rating,
                                                  scale=case.scale)
                    cross_turns.append(runner.submit(queue, job.spec, job.inp, variant=forced))
                cross_texts = [(await run.reply()).text for run in cross_turns]
                cross = sum(b_club.likes(text, order[k % len(order)]) for k, text in enumerate(cross_texts)) / CROSS
                elapsed = time.perf_counter() - started
    for name, club_turns in turns.items():
        last = Counter(t.variant for t in club_turns[-window:])
        rates = {v: f"{share([t for t in club_turns if t.variant == v]):.2f} of {n}"
                 for v, n in Counter(t.variant for t in club_turns).most_common()}
        print(f"seed {seed} club {name}: liked share by variant over the run: {rates}")
        print(f"seed {seed} club {name}: liked first{window} {share(club_turns[:window]):.2f} "
              f"last{window} {share(club_turns[-window:]):.2f}; variants in the last {window}: {dict(last)}; "
              f"{sum(t.rated for t in club_turns)} of {len(club_turns)} replies rated")
        for t in club_turns[-show:] if show else []:
            print(f"  [{t.variant}, {'liked' if t.liked else 'disliked'}] {t.text[:300]!r}")
    print(f"seed {seed}: A ended on {a_final!r}; B's liked share of {CROSS} reviews in it: {cross:.2f} "
          f"({elapsed:.0f} s)")
    return turns, cross


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--requests", type=int, default=300, help="requests per club and seed (default 300)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--react", type=float, default=0.3,
                        help="share of replies a member reacts to (default 0.3; 1 = every reply)")
    parser.add_argument("--show", type=int, default=0, help="print the last N replies of each club")
    parser.add_argument("--max-new-tokens", type=int, default=128,
                        help="cap on every reply (default 128: the test model's cleaned reviews fit; 0 = tasks' caps)")
    args = parser.parse_args()
    settings = replace(Settings.load(env_file=None), model=args.model, adapt="on", max_queue=max(64, 4 * ROUND),
                       max_new_tokens=args.max_new_tokens)
    started = time.perf_counter()
    lm = load_model(settings, progress=False)
    catalog = Catalog.open()
    catalog.warm()
    loaded = time.perf_counter() - started
    print(f"model {args.model} on {type(lm).__name__}, loaded with the catalog in {loaded:.0f} s")
    results = [asyncio.run(one_seed(seed, lm, settings, catalog, args.requests, args.react, args.show))
               for seed in range(args.seeds)]
    mean = statistics.mean

    def ends(name: str, window: slice) -> float:
        return mean(share(turns[name][window]) for turns, _ in results)

    w = min(WINDOW, args.requests // 2)
    first, last = slice(0, w), slice(-w, None)
    print(f"liked_share A first{w} {ends('A', first):.2f} last{w} {ends('A', last):.2f}; "
          f"B first{w} {ends('B', first):.2f} last{w} {ends('B', last):.2f}; "
          f"cross A-variant-in-B {mean(cross for _, cross in results):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
