"""Restarts: N requests at once, the bot killed (SIGKILL) at a random moment while they are written, started
again on the same database; K times. Nothing a member asked for may be lost or answered twice.

It starts the fake Discord (tests/e2e/fake_discord.py) on loopback and `cinebot run` as its own process
(tests/e2e/bot_process.py: the bot as shipped, with only discord.py's two addresses pointed at the fake), on the
test model by default. Each round sends N commands from N members (/pitch and /review, alternately), waits a random
moment until at least one reply streams (uniform between the first streamed edit and `--window` seconds after
it), kills the process, starts it again, and waits until every reply of the round is final.

    python bench/restart.py                    # 5 kills of 6 requests each, the test model (SmolLM2-135M)
    python bench/restart.py --kills 8 --n 4 --model qwen2.5-coder-1.5b

Per round it prints how many requests were unfinished at the kill, how many the next process finished, and the
seconds from the restart (the process started) to each resumed reply's first edit. The last line:
`restart kills K in_flight N resumed R lost L duplicates D; first edit after restart median S s`, where in_flight
counts the requests unfinished at the kills, resumed those finished after them in their original message, lost
those never finished, and duplicates the requests with more than one public message of the bot.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.bot_process import BotProcess, finished, streaming
from tests.e2e.fake_discord import FakeDiscord, InteractionHandle, fake_discord

log = logging.getLogger("bench.restart")
PREMISES = ("a lighthouse keeper guards a sleeping sea creature", "two rival chefs share one food truck",
            "a retired stuntwoman teaches her grandson to drive", "a ghost haunts a self-storage unit",
            "a chess prodigy hides from her own fame", "a tugboat crew finds a message in a bottle")
REVIEWS = (("Jaws 1975", "the music!!, the boat, the shark looks fake", "4"),
           ("Alien 1979", "slow build, the chestburster, Ripley is great", "5"),
           ("Heat 1995", "the bank shootout, the diner scene, a bit long", "8"))


async def send(fake: FakeDiscord, i: int, members: list) -> InteractionHandle:
    member = members[i % len(members)]
    if i % 2:
        film, notes, rating = REVIEWS[i // 2 % len(REVIEWS)]
        handle = await fake.send_slash("review", {"film": film, "notes": notes, "rating": float(rating)},
                                       user=member, channel=fake.general)
    else:
        handle = await fake.send_slash("pitch", {"premise": PREMISES[i // 2 % len(PREMISES)]}, user=member,
                                       channel=fake.general)
    await handle.deferred(timeout=30)
    return handle


async def bench(args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="cinebot-restart-") as tmp:
        folder = Path(tmp)
        async with fake_discord() as fake:
            members = [fake.add_member(f"member_{i}") for i in range(args.n)]
            env = {"DISCORD_TOKEN": fake.token, "CINEBOT_MODEL": args.model,
                   "CINEBOT_DB_PATH": str(folder / "cinebot.sqlite3"), "CINEBOT_FILMS_PATH": str(folder / "films.db"),
                   "CINEBOT_DEV_GUILD_ID": str(fake.guild.id), "CINEBOT_EDIT_INTERVAL_S": "1.0",
                   "CINEBOT_USER_RATE": "1000/60", "CINEBOT_ADAPT": "off", "CINEBOT_LOG_LEVEL": "info"}
            if args.threads:
                env["CINEBOT_THREADS"] = str(args.threads)
            async with BotProcess(fake, env, folder / "bot.log", folder) as bot:
                started = await bot.start()
                print(f"bot up in {started:.1f} s ({args.model}); log {folder / 'bot.log'}", flush=True)
                totals = {"in_flight": 0, "resumed": 0, "lost": 0, "duplicates": 0}
                first_edits: list[float] = []
                all_handles: list[InteractionHandle] = []
                for round_no in range(1, args.kills + 1):
                    handles = [await send(fake, i, members) for i in range(args.n)]
                    all_handles += handles
                    await fake.wait_for(lambda hs=handles: any(map(streaming, hs)), args.timeout,
                                        what="a reply streaming")
                    await asyncio.sleep(rng.uniform(0, args.window))
                    await bot.kill()
                    unfinished = [h for h in handles if not finished(h)]
                    edits_at_kill = {h.id: len(h.edits) for h in unfinished}
                    restarted = time.monotonic()
                    await bot.start()
                    firsts: dict[int, float] = {}

                    def done(hs: list[InteractionHandle] = unfinished, at: dict[int, int] = edits_at_kill,
                             seen: dict[int, float] = firsts, t0: float = restarted) -> bool:
                        for h in hs:
                            if h.id not in seen and len(h.edits) > at[h.id]:
                                seen[h.id] = time.monotonic() - t0
                        return all(map(finished, hs))

                    try:
                        await fake.wait_for(done, args.timeout, what="every reply of the round finished")
                    except TimeoutError:
                        log.warning("round %d: not every reply finished in %.0f s", round_no, args.timeout)
                    resumed = [h for h in unfinished if finished(h)]
                    totals["in_flight"] += len(unfinished)
                    totals["resumed"] += len(resumed)
                    totals["lost"] += len(unfinished) - len(resumed)
                    first_edits += list(firsts.values())
                    shown = ", ".join(f"{s:.1f}" for s in sorted(firsts.values())) or "-"
                    print(f"round {round_no}: unfinished at the kill {len(unfinished)}/{len(handles)}, finished "
                          f"after the restart {len(resumed)}; first edit after the restart (s): {shown}", flush=True)
                await asyncio.sleep(2)  # a late duplicate would show by now
                ours = [m for m in fake.channel_messages(fake.general, include_ephemeral=False)
                        if m.author.id == fake.bot_user.id]
                per_request: dict[int, int] = {}
                for handle in all_handles:
                    per_request[handle.id] = sum(1 for m in ours if m is handle.original_message) + sum(
                        1 for m in handle.followups if not m.ephemeral)
                stray = len(ours) - sum(1 for h in all_handles if h.original_message in ours)
                totals["duplicates"] = sum(1 for n in per_request.values() if n > 1) + stray
    median = statistics.median(first_edits) if first_edits else float("nan")
    print(f"machine: {platform.processor() or platform.machine()}, model {args.model}")
    print(f"restart kills {args.kills} in_flight {totals['in_flight']} resumed {totals['resumed']} lost "
          f"{totals['lost']} duplicates {totals['duplicates']}; first edit after restart median {median:.1f} s")
    return 0 if totals["lost"] == 0 and totals["duplicates"] == 0 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--n", type=int, default=6, help="requests per round, sent at once")
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--threads", type=int, default=0, help="CINEBOT_THREADS for the bot (0: its default)")
    parser.add_argument("--window", type=float, default=3.0, help="the kill comes up to this long after the first "
                        "streamed edit (seconds)")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    return asyncio.run(bench(args))


if __name__ == "__main__":
    sys.exit(main())
