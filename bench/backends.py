"""Serving the embedded default on each backend, side by side in one run, with llama.cpp serving the same prompts one
at a time as the anchor.

The prompts are grounded `/review` prompts built as the cog builds them (catalog resolve, the film's facts, the task's
messages and answer prime), for 32 well-known films. Every measurement runs in a fresh process of its own, one after
the other, so that each has the machine to itself and its own memory figure:

- a backend (`llamacpp`, `transformers` with int8 weights on a CPU, or `openai` against a server): after one warm-up
  job, N=1 (jobs one after the other), then N=8 and N=32 jobs submitted at once through the queue and the batching
  worker; tokens/s = completion tokens / wall time from the first submit to the last reply; first token = per job,
  from submit to its first generated token (not the echoed answer prime); peak RSS of the process. Every reply is
  written to the full `--max-new` tokens, past the model's end of turn (`ignore_eos`, as serving benchmarks do), so
  that every engine does the same work: the default model refuses about half of these prompts at first ("I'm sorry,
  but I can't assist with that"; /review then retries with a firmer start), which would otherwise make the figures
  depend on which replies happen to be refused;
- the anchor: llama-cpp-python's own `Llama.create_completion` over the same rendered prompts as N=8, one at a time
  (it reuses the KV of the common prefix between calls, as a self-hoster's llama.cpp would);
- ready: `cinebot run`'s start-up (`bot.core.prepared_bot`: catalog, mood classifier, store, model, bot) against the
  fake Discord on loopback, timed from process start until the bot is connected and until the first text of a
  `/pitch` reply shows (the model cache warm, as after the first run).

    python bench/backends.py                                  # llamacpp, transformers int8, anchor, ready
    python bench/backends.py --backends llamacpp --n 1,8      # a quicker look
    python bench/backends.py --openai http://127.0.0.1:8080/v1  # through the OpenAI backend to that server
                                               # (llama-server -np 8: 8 requests in flight, the rest in our queue)
    python bench/backends.py --device cuda --backends transformers --n 1,8,32,64 --no-anchor   # on a GPU
    python bench/backends.py --backends llamacpp --n 8 --no-anchor --no-ready --baseline e4b4e8e
                                               # first token at N=8 against an older commit's prompts, side by side

The last line is for the first backend listed (the default: what `CINEBOT_BACKEND=auto` picks on a CPU):
`default model tok/s N=1 A N=8 B N=32 C; serial anchor S; ratio N=8/serial R; first token N=8 median F s; ready T s;
rss G GB`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

PREMISE = "a projectionist notices the same stranger in the back row of every film"
TONES = (None, "wry", "enthusiastic", "deadpan")
# prompt numbers of each phase (see review_prompts): N=8 and the anchor read the same ones
N8_START, WARMUP, N1_START, BIG_START = 0, 8, 9, 12


def peak_rss_gb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024 / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def review_prompts(count: int, start: int = 0) -> list[tuple[list[dict[str, str]], str]]:
    """(messages, answer prime) of grounded /review prompts number `start` to `start + count - 1`, as /review
    builds them (bot/services/review.py). Prompt i is bench/review_cases.py's case i % len(CASES); past that, a tone
    makes it a new prompt, so that each phase of a run gets prompts no earlier phase sent (a server that caches whole
    prompts, as llama.cpp's does, would otherwise answer a repeated one without reading it)."""
    from bench.review_cases import CASES
    from bot.services.review import ReviewService
    from models.film.catalog import Catalog

    catalog = Catalog.open()
    catalog.warm()
    desk = ReviewService(catalog, None)
    out = []
    for i in range(start, start + count):
        case = CASES[i % len(CASES)]
        tone = TONES[i // len(CASES)] or case.tone
        job = desk.prepare(film=case.film, notes=case.notes, rating=case.rating, scale=case.scale, tone=tone)
        out.append((job.spec.build_messages(job.inp), job.spec.prime))
    return out


# -- children -------------------------------------------------------------------------------------------------------
async def child_backend(args: argparse.Namespace) -> dict[str, Any]:
    from bot.llm import load_model, make_openai_server
    from bot.settings import Settings
    from models.llm.jobs import GenerationRequest, JobQueue
    from models.llm.worker import BatchingWorker, WorkerConfig

    ns = sorted({int(x) for x in args.n.split(",")})
    settings = replace(Settings.load(env={}, env_file=None), model=args.model, backend=args.child,
                       device=args.device, int8="on" if args.child == "transformers" and args.device != "cuda" else
                       "auto", max_batch=max(ns), max_batch_tokens=1 << 20, max_queue=1024,
                       max_new_tokens=args.max_new)
    started = time.perf_counter()
    queue = JobQueue(1024)
    if args.child == "openai":
        settings = replace(settings, openai_url=args.openai, openai_max_in_flight=args.in_flight)
        server: Any = make_openai_server(settings, queue)
    else:
        lm = await asyncio.to_thread(load_model, settings, progress=False)
        server = BatchingWorker(lm, queue, WorkerConfig(max_batch=max(ns), max_batch_tokens=1 << 20,
                                                        max_new_tokens=args.max_new))
    load_s = time.perf_counter() - started
    server.start()

    async def run(batch: list[tuple[list[dict[str, str]], str]]) -> tuple[int, float, list[float], list[str]]:
        t0 = time.perf_counter()
        handles = [queue.submit(GenerationRequest(messages=tuple(m), max_new_tokens=args.max_new, prefix=prefix,
                                                  ignore_stop=True)) for m, prefix in batch]

        async def first_token(handle: Any) -> float:
            async for piece in handle:
                if piece != handle.request.prefix:
                    return time.perf_counter() - t0
            return time.perf_counter() - t0

        firsts = await asyncio.gather(*(first_token(h) for h in handles))
        results = [await h.result() for h in handles]
        prompts.extend(r.prompt_tokens for r in results)
        return sum(r.completion_tokens for r in results), time.perf_counter() - t0, list(firsts), \
            [r.text for r in results]

    prompts: list[int] = []

    out: dict[str, Any] = {"backend": args.child, "load_s": load_s, "detail": (await server.status()).line()}
    try:
        await run(review_prompts(1, WARMUP))  # the task's system prompt is cached from here on, as in a running bot
        tokens = seconds = 0.0
        for one in review_prompts(args.n1_jobs, N1_START):
            t, s, _, _ = await run([one])
            tokens, seconds = tokens + t, seconds + s
        out["1"] = {"tok_s": tokens / seconds, "tokens": tokens, "seconds": seconds}
        for n in ns:
            if n == 1:
                continue
            prompts.clear()
            t, s, firsts, texts = await run(review_prompts(n, N8_START if n <= 8 else BIG_START))
            out[str(n)] = {"tok_s": t / s, "tokens": t, "seconds": s, "first_median": statistics.median(firsts),
                           "first_max": max(firsts), "prompt_tokens": statistics.mean(prompts)}
            if n == 8:
                out["samples"] = texts[:3]
    finally:
        await server.close()
    out["rss_gb"] = peak_rss_gb()
    return out


def child_anchor(args: argparse.Namespace) -> dict[str, Any]:
    """llama.cpp's own Python API, one prompt at a time, greedy, on the rendered prompts of N=8."""
    import llama_cpp

    from models.llm import registry
    from models.llm.backends.llamacpp import ChatTemplate

    source = registry.resolve(args.model, Path(os.path.expanduser("~/.cache/cinebot")), progress=False)
    assert source.gguf_file is not None
    started = time.perf_counter()
    llm = llama_cpp.Llama(str(Path(source.location) / source.gguf_file), n_ctx=4096, n_batch=512,
                          n_threads=os.cpu_count(), verbose=False)
    load_s = time.perf_counter() - started
    template = ChatTemplate(llm.metadata["tokenizer.chat_template"], "", "")
    prompts = [template.render(m, True) + prefix for m, prefix in review_prompts(8, N8_START)]
    warm = "".join(template.render(m, True) + prefix for m, prefix in review_prompts(1, WARMUP))
    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    never_stop = {t: float("-inf") for t in range(llm.n_vocab()) if llama_cpp.llama_vocab_is_eog(vocab, t)}

    def complete(prompt: str) -> int:  # every reply the full length, as for the backends (ignore_stop)
        out = llm.create_completion(prompt, max_tokens=args.max_new, temperature=0.0, logit_bias=never_stop)
        return int(out["usage"]["completion_tokens"])

    complete(warm)  # warm-up, as for the backends
    tokens, t0 = 0, time.perf_counter()
    for prompt in prompts:
        tokens += complete(prompt)
    seconds = time.perf_counter() - t0
    return {"backend": "anchor", "load_s": load_s, "tok_s": tokens / seconds, "tokens": tokens, "seconds": seconds,
            "rss_gb": peak_rss_gb()}


async def child_ready(args: argparse.Namespace) -> dict[str, Any]:
    """`cinebot run`'s start-up against the fake Discord; times are seconds since this process started."""
    import discord

    from bot.core import prepared_bot
    from bot.settings import Settings
    from tests.e2e.fake_discord import fake_discord, running_bot

    with tempfile.TemporaryDirectory(prefix="cinebot-ready-") as tmp:
        async with fake_discord() as fake:
            settings = replace(Settings.load(env={}, env_file=None), model=args.model, backend=args.ready,
                               device=args.device, db_path=Path(tmp) / "cinebot.sqlite3",
                               films_path=Path(tmp) / "films.sqlite3", discord_token=fake.token,
                               openai_url=args.openai)
            async with prepared_bot(settings) as bot, running_bot(bot, fake, timeout=120):
                connected = time.time() - args.t0
                guild = discord.Object(id=fake.guild.id)
                bot.tree.copy_global_to(guild=guild)
                await bot.tree.sync(guild=guild)
                handle = await fake.send_slash("pitch", {"premise": PREMISE}, user=fake.member)

                def shows_text() -> bool:
                    return any(("writing" in str(e.get("content", "")) and len(str(e.get("content", ""))) > 40)
                               or e.get("embeds") for e in handle.edits)

                await fake.wait_for(shows_text, timeout=300, what="the first text of the reply")
                answered = time.time() - args.t0
    return {"backend": f"ready-{args.ready}", "connected_s": connected, "answered_s": answered,
            "rss_gb": peak_rss_gb()}


# -- the parent -----------------------------------------------------------------------------------------------------
def spawn(args: argparse.Namespace, *extra: str, root: Path = ROOT) -> dict[str, Any]:
    """Run a child of this script from `root` (another checkout for --baseline) and return its RESULT."""
    cmd = [sys.executable, str(root / "bench" / "backends.py"), "--model", args.model, "--n", args.n, "--max-new",
           str(args.max_new), "--n1-jobs", str(args.n1_jobs), "--device", args.device, "--in-flight",
           str(args.in_flight), *extra]
    if args.openai:
        cmd += ["--openai", args.openai]
    t0 = time.time()
    proc = subprocess.run([*cmd, "--t0", str(t0)], capture_output=True, text=True, cwd=root)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return dict(json.loads(line[7:]))
    print(proc.stdout[-2000:], proc.stderr[-4000:], sep="\n", file=sys.stderr)
    raise SystemExit(f"{' '.join(extra)} failed (exit {proc.returncode})")


def baseline_line(args: argparse.Namespace, backend: str, ours: dict[str, Any]) -> None:
    """The same backend run by the code at `args.baseline`, in a temporary worktree; one line with both."""
    tmp = Path(tempfile.mkdtemp(prefix="backends-baseline-"))
    tree = tmp / "tree"
    subprocess.run(["git", "worktree", "add", "--detach", str(tree), args.baseline], cwd=ROOT, check=True,
                   capture_output=True)
    try:
        theirs = spawn(args, "--child", backend, root=tree)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True)
    a, b = ours.get("8", {}), theirs.get("8", {})
    tokens = (f"; prompt tokens N=8 mean {b['prompt_tokens']:.0f} -> {a['prompt_tokens']:.0f}"
              if "prompt_tokens" in a and "prompt_tokens" in b else "")
    old, new = b.get("first_median", float("nan")), a.get("first_median", float("nan"))
    mean = f"; prompt tokens N=8 mean {a['prompt_tokens']:.0f}" if "prompt_tokens" in a else ""
    print(f"first token N=8 median: {args.baseline} {old:.1f} s, this code {new:.1f} s, ratio {new / old:.2f}"
          f"{tokens or mean}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="qwen2.5-coder-1.5b")
    parser.add_argument("--backends", default="llamacpp,transformers",
                        help="comma-separated; the first is the one on the last line (default llamacpp,transformers)")
    parser.add_argument("--openai", help="base URL of an OpenAI-compatible server: measure the openai backend")
    parser.add_argument("--in-flight", type=int, default=8,
                        help="with --openai: requests sent at once (the server's parallel slots; default 8)")
    parser.add_argument("--n", default="1,8,32", help="concurrent jobs to measure (default 1,8,32)")
    parser.add_argument("--n1-jobs", type=int, default=2, help="jobs run one after the other for N=1")
    parser.add_argument("--max-new", type=int, default=160, help="new tokens per reply (default 160)")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--no-anchor", dest="anchor", action="store_false")
    parser.add_argument("--no-ready", dest="ready_check", action="store_false")
    parser.add_argument("--baseline", metavar="REV",
                        help="also run the first backend at commit REV (a temporary git worktree), right after this "
                             "code's, and print both first-token medians at N=8 and their ratio")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--anchor-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--ready", help=argparse.SUPPRESS)
    parser.add_argument("--t0", type=float, default=time.time(), help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.child:
        print("RESULT " + json.dumps(asyncio.run(child_backend(args))), flush=True)
        return
    if args.anchor_child:
        print("RESULT " + json.dumps(child_anchor(args)), flush=True)
        return
    if args.ready:
        print("RESULT " + json.dumps(asyncio.run(child_ready(args))), flush=True)
        return

    backends = ["openai"] if args.openai else args.backends.split(",")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; model {args.model}; {args.max_new} new tokens a "
          f"reply; grounded /review prompts", flush=True)
    results = {}
    for backend in backends:
        results[backend] = r = spawn(args, "--child", backend)
        line = "; ".join(f"N={n} {r[n]['tok_s']:.1f} tok/s" + (f" (first token median {r[n]['first_median']:.1f} s,"
                                                                f" max {r[n]['first_max']:.1f} s)"
                                                                if "first_median" in r[n] else "")
                         for n in ("1", *[x for x in args.n.split(",") if x != "1"]))
        print(f"{backend}: {r['detail']}; loaded in {r['load_s']:.1f} s; {line}; peak rss {r['rss_gb']:.2f} GB",
              flush=True)
        for text in r.get("samples", []):
            print(f"    | {text[:300]!r}")
    if args.baseline:
        baseline_line(args, backends[0], results[backends[0]])
    anchor = spawn(args, "--anchor-child") if args.anchor else None
    if anchor:
        print(f"anchor (llama-cpp-python, one at a time): {anchor['tok_s']:.1f} tok/s ({anchor['tokens']} tokens in "
              f"{anchor['seconds']:.0f} s); loaded in {anchor['load_s']:.1f} s; peak rss {anchor['rss_gb']:.2f} GB",
              flush=True)
    ready = None
    if args.ready_check:
        for backend in backends:
            r = spawn(args, "--ready", backend)
            ready = ready or r
            print(f"ready ({backend}): connected {r['connected_s']:.1f} s, first text of a /pitch reply "
                  f"{r['answered_s']:.1f} s after the process started; peak rss {r['rss_gb']:.2f} GB", flush=True)
    first = results[backends[0]]
    s = anchor["tok_s"] if anchor else float("nan")
    eight = first.get("8", {})
    print(f"default model tok/s N=1 {first['1']['tok_s']:.1f} N=8 {eight.get('tok_s', float('nan')):.1f} "
          f"N=32 {first.get('32', {}).get('tok_s', float('nan')):.1f}; serial anchor {s:.1f}; "
          f"ratio N=8/serial {eight.get('tok_s', float('nan')) / s:.2f}; "
          f"first token N=8 median {eight.get('first_median', float('nan')):.1f} s; "
          f"ready {ready['answered_s'] if ready else float('nan'):.1f} s; rss {first['rss_gb']:.2f} GB")


if __name__ == "__main__":
    main()
