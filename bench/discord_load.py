"""Discord load: N slash commands at once, from N different members, against the real bot on a real model.

It starts the fake Discord (tests/e2e/fake_discord.py) on loopback and a real CineBot with every cog, a temporary
SQLite store and the batching worker on the model, then sends N commands at once (a mix of /pitch, /review,
/mood text and /scene) and measures, per command, the time from INTERACTION_CREATE to the deferral callback
(Discord's limit is 3 s) and to the final reply (the edit that puts the final embed in place).

    python bench/discord_load.py                          # 50 commands on the test model (SmolLM2-135M)
    python bench/discord_load.py --n 20 --max-new-tokens 32

The last line is the summary: `deferral ms median A max B; reply s median C max D; answered E/N; heartbeat late max
H s` (H: the most any heartbeat arrived at the fake Discord after its interval since the one before).

    python bench/discord_load.py --hog 2                  # and beside two processes that keep a core busy each

With `--hog N` it runs three times in one go: alone, then beside N busy processes with the model's threads at the
bot's own priority (`--nice 0`, as before issue 21), then with them `--nice` steps lower (CINEBOT_WORKER_NICE,
default 10); each run's summary line ends with discord.py's warnings: a heartbeat blocked (not sent within 10 s) and an
acknowledgement behind (see `HeartbeatWarnings`: on loopback it can fire for a heartbeat sent on time).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import logging
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import discord

from bot.core import CineBot
from bot.llm import Engine, worker_config
from bot.settings import Settings
from bot.store import Store
from models.llm import registry
from models.llm.jobs import JobQueue
from models.llm.worker import BatchingWorker
from models.mood.classifier import MoodClassifier
from tests.e2e.fake_discord import (
    CALLBACK_DEFERRED_MESSAGE,
    FakeDiscord,
    FakeFile,
    InteractionHandle,
    fake_discord,
    running_bot,
)

DEFER_LIMIT_S = 3.0
PREMISES = [
    "a lighthouse keeper learns the beam keeps something asleep",
    "two rival food-truck owners are snowed in at the same mountain pass",
    "a retired stuntwoman is hired to double for her own daughter",
    "an archivist finds a reel of film that shows tomorrow",
    "a sleep-study volunteer keeps waking up in other people's dreams",
    "a foley artist hears a murder in the sound of a rival studio's film",
]
FILMS = [
    ("Alien", "slow build, great set design, the chestburster scene still works", 4),
    ("Paddington 2", "warm, funny, Hugh Grant steals it, the prison bit is perfect", 9),
    ("Tenet", "loud and confusing, I couldn't hear the dialogue, but the corridor fight rules", 6),
    ("Past Lives", "quiet and aching, the last shot destroyed me", 5),
]
MOODS = [
    "I loved the ending but the middle dragged and the score was far too loud.",
    "Honestly the worst film I've seen this year. Walked out after an hour.",
    "The cinematography was stunning and I cried twice. What a ride!",
    "It was fine. Nothing special, nothing terrible.",
]
SCENES = [
    "INT. PROJECTION BOOTH - NIGHT\n\nMARA (40s) threads the last reel. The film snaps.\n\nMARA\nNot tonight.\n",
    "EXT. MOUNTAIN PASS - DAWN\n\nTwo food trucks, buried to the windows. JO kicks the door open.\n\nJO\n"
    "You used my generator.\n\nSAM (O.S.)\nYou used my coffee.\n",
]


def command(i: int) -> tuple[str, dict[str, Any], dict[str, FakeFile] | None]:
    """The i-th command of the mix: /pitch, /review, /mood text, /scene (every other /scene as an attachment)."""
    kind = i % 4
    if kind == 0:
        return "pitch", {"premise": PREMISES[i % len(PREMISES)]}, None
    if kind == 1:
        film, notes, rating = FILMS[i % len(FILMS)]
        return "review", {"film": film, "notes": notes, "rating": rating}, None
    if kind == 2:
        return "mood", {"text": MOODS[i % len(MOODS)]}, None
    scene = SCENES[i % len(SCENES)]
    if (i // 4) % 2:
        return "scene", {}, {"attachment": FakeFile(f"scene_{i}.fountain", scene.encode(), "text/plain")}
    return "scene", {"excerpt": scene}, None


@dataclass
class Outcome:
    command: str
    handle: InteractionHandle

    @property
    def deferral_s(self) -> float | None:
        h = self.handle
        return h.callback_latency if h.response_type == CALLBACK_DEFERRED_MESSAGE else None

    @property
    def reply_s(self) -> float | None:
        """Seconds from INTERACTION_CREATE to the edit that put the final embed in place."""
        for body, at in zip(self.handle.edits, self.handle.edit_times, strict=False):
            if body.get("embeds"):
                return at
        return None

    @property
    def failed(self) -> bool:
        """Answered without a reply: refused, rejected by Discord, or told about an error."""
        h = self.handle
        return bool(h.rejections) or (h.acknowledged and h.response_type != CALLBACK_DEFERRED_MESSAGE) or any(
            m.ephemeral for m in h.followups)

    @property
    def settled(self) -> bool:
        """The flow is over: failed, or replied and the feedback reactions (its last step) are on the reply."""
        msg = self.handle.original_message
        return self.failed or (self.reply_s is not None and msg is not None and bool(msg.reaction_users("👎")))


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def summary(values: list[float], fmt: Any) -> tuple[str, str]:
    if not values:
        return "-", "-"
    return fmt(statistics.median(values)), fmt(max(values))


class HeartbeatWarnings(logging.Handler):
    """discord.py's warnings that the gateway fell behind: `blocked`, a heartbeat the event loop did not send within
    10 s (late as Discord sees it); `behind`, an acknowledgement that came seconds after the heartbeat's send. On
    loopback the second also fires when the keep-alive thread, slowed by busy cores, marks its send after the
    fake's instant acknowledgement was read: it then measures from the send before (the interval, 41.3 s). The
    fake Discord's own clock on the heartbeats (`FakeDiscord.heartbeat_lateness`) settles which it was."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.blocked: list[str] = []
        self.behind: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if "heartbeat blocked" in text:
            self.blocked.append(text)
        elif "behind" in text:
            self.behind.append(text)


@contextmanager
def hogs(n: int) -> Iterator[None]:
    """`n` processes that keep a core busy each, beside the bot, for the duration."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]
    try:
        yield
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


async def run(args: argparse.Namespace) -> int:
    base = replace(Settings.load(env={}, env_file=None), worker_nice=args.nice)
    print(f"loading {args.model}…", flush=True)
    started = time.perf_counter()
    lm = await asyncio.to_thread(registry.load, args.model, base.cache_dir, backend=args.backend, device=args.device,
                                 progress=False, slots=base.max_batch)
    print(f"loaded in {time.perf_counter() - started:.1f} s", flush=True)
    mood = await asyncio.to_thread(MoodClassifier.load, base.cache_dir)
    with tempfile.TemporaryDirectory(prefix="cinebot-load-") as tmp:
        settings = replace(base, db_path=Path(tmp) / "cinebot.sqlite3", max_queue=max(args.n, base.max_queue),
                           user_rate=(10_000, 60), max_new_tokens=args.max_new_tokens)
        async with fake_discord() as fake, await Store.open(settings.db_path) as store:
            queue = JobQueue(settings.max_queue)
            async with BatchingWorker(lm, queue, worker_config(settings)) as worker:
                bot = CineBot(settings, Engine(queue, worker, lm.name), store, guild_ready_timeout=0.05, mood=mood)
                async with running_bot(bot, fake):
                    guild = discord.Object(id=fake.guild.id)
                    bot.tree.copy_global_to(guild=guild)
                    await bot.tree.sync(guild=guild)
                    status = await load(fake, args)
                    await bot.flow.drain(30)  # the last replies' reactions, before the session closes
                    return status


async def load(fake: FakeDiscord, args: argparse.Namespace) -> int:
    if args.warmup:  # one command first, so that the first real batch does not pay for torch's warm-up
        name, options, files = command(1)
        warm = Outcome(name, await fake.send_slash(name, options, user=fake.member, attachments=files))
        try:
            await fake.wait_for(lambda: warm.settled, timeout=args.timeout, what="the warm-up command")
        except TimeoutError:  # the model has too little of the CPU: the burst shows what that costs
            print(f"the warm-up command was not answered in {args.timeout:.0f} s", flush=True)
    members = [fake.add_member(f"member_{i}") for i in range(args.n)]
    stalls: list[float] = []
    monitor = asyncio.create_task(watch_loop(stalls))
    outcomes: list[Outcome] = []
    for i, member in enumerate(members):  # all dispatched before the bot gets to run: "at once"
        name, options, files = command(i)
        outcomes.append(Outcome(name, await fake.send_slash(name, options, user=member, attachments=files)))
    started = time.perf_counter()
    try:
        await fake.wait_for(lambda: all(o.settled for o in outcomes), timeout=args.timeout,
                            what="every command to be answered")
    except TimeoutError:
        print(f"timed out after {args.timeout:.0f} s; reporting what was answered", flush=True)
    elapsed = time.perf_counter() - started
    monitor.cancel()
    return report(outcomes, args.n, elapsed, max(stalls, default=0.0), fake.heartbeat_lateness())


async def watch_loop(stalls: list[float], tick: float = 0.05) -> None:
    """How late the event loop runs a short sleep: a stalled loop defers interactions late."""
    loop = asyncio.get_running_loop()
    while True:
        before = loop.time()
        await asyncio.sleep(tick)
        stalls.append(loop.time() - before - tick)


def report(outcomes: list[Outcome], n: int, elapsed: float, stall: float, heartbeat_late: float) -> int:
    print(f"\n{n} commands at once, all settled in {elapsed:.1f} s; longest event-loop stall {ms(stall)} ms\n")
    print(f"{'command':<8} {'sent':>4} {'answered':>8} {'defer ms med':>12} {'defer ms max':>12} "
          f"{'reply s med':>11} {'reply s max':>11}")
    for name in ("pitch", "review", "mood", "scene", "all"):
        group = [o for o in outcomes if name in (o.command, "all")]
        deferrals = [o.deferral_s for o in group if o.deferral_s is not None]
        replies = [o.reply_s for o in group if o.reply_s is not None]
        d_med, d_max = summary(deferrals, ms)
        r_med, r_max = summary(replies, lambda s: f"{s:.1f}")
        print(f"{name:<8} {len(group):>4} {len(replies):>8} {d_med:>12} {d_max:>12} {r_med:>11} {r_max:>11}")
    deferrals = [o.deferral_s for o in outcomes if o.deferral_s is not None]
    replies = [o.reply_s for o in outcomes if o.reply_s is not None]
    late = [o for o in outcomes if o.deferral_s is None or o.deferral_s > DEFER_LIMIT_S]
    print()
    if late:
        worst = max((o.handle.callback_latency or float("inf")) for o in late)
        print(f"FAIL: {len(late)} of {n} commands were not deferred within {DEFER_LIMIT_S:.0f} s "
              f"(worst {'never' if worst == float('inf') else ms(worst) + ' ms'}; "
              f"rejections: {sum(len(o.handle.rejections) for o in outcomes)})")
    d_med, d_max = summary(deferrals, ms)
    r_med, r_max = summary(replies, lambda s: f"{s:.1f}")
    print(f"deferral ms median {d_med} max {d_max}; reply s median {r_med} max {r_max}; answered {len(replies)}/{n}; "
          f"heartbeat late max {heartbeat_late:.2f} s", flush=True)
    return 1 if late else 0


async def runs(args: argparse.Namespace) -> int:
    """One run, or with `--hog N`: without busy processes, then with N beside the bot, first with the model's
    threads at `--nice` (the setting's default), then at `--polite` (lower still); each run's summary, the last
    one's last."""
    if not args.hog:
        return await run(args)
    lines = []
    status = 0
    plan = [(0, args.nice), (args.hog, args.nice)] + ([(args.hog, args.polite)] if args.polite != args.nice else [])
    for hog, nice in plan:
        warnings = HeartbeatWarnings()
        logging.getLogger("discord").addHandler(warnings)
        print(f"\n=== {hog} busy process(es) beside the bot; the model's threads {nice} steps lower ===", flush=True)
        with hogs(hog):
            out = io.StringIO()
            with redirect_stdout(Tee(sys.stdout, out)):
                status = await run(argparse.Namespace(**{**vars(args), "nice": nice}))
        logging.getLogger("discord").removeHandler(warnings)
        printed = out.getvalue().strip().splitlines()
        summary_line = next(line for line in reversed(printed) if line.startswith("deferral ms"))
        lines.append(f"hog {hog} nice {nice}: {summary_line}; discord.py warnings: heartbeat blocked "
                     f"{len(warnings.blocked)}, ack behind {len(warnings.behind)}")
    print()
    for line in lines:
        print(line)
    return status


class Tee(io.TextIOBase):
    def __init__(self, *streams: Any) -> None:
        self.streams = streams

    def write(self, text: str) -> int:
        for stream in self.streams:
            stream.write(text)
        return len(text)

    def flush(self) -> None:
        for stream in self.streams:
            stream.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=50, help="commands sent at once, each by a different member")
    parser.add_argument("--model", default="smollm2-135m", help="preset, local path or Hugging Face id")
    parser.add_argument("--max-new-tokens", type=int, default=64, help="the cap on every reply's new tokens")
    parser.add_argument("--backend", default="auto", choices=("auto", "llamacpp", "transformers"))
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds to wait for every reply")
    parser.add_argument("--no-warmup", dest="warmup", action="store_false",
                        help="skip the one warm-up command before the burst")
    parser.add_argument("--hog", type=int, default=0, help="also run with this many busy processes beside the bot "
                        "(three runs: none, then these at --nice, then at --polite)")
    parser.add_argument("--nice", type=int, default=Settings.load(env={}, env_file=None).worker_nice,
                        help="how many steps lower the model's threads run (CINEBOT_WORKER_NICE; its default)")
    parser.add_argument("--polite", type=int, default=10,
                        help="with --hog: the third run's steps lower, for a bot that lets other work go first")
    args = parser.parse_args()
    if args.n < 1:
        parser.error("--n must be at least 1")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    sys.exit(asyncio.run(runs(args)))


if __name__ == "__main__":
    main()
