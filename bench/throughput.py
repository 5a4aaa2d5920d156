"""Aggregate throughput on the transformers backend: plain sequential `model.generate` versus the batching worker,
side by side. (Every backend, the default llama.cpp one included, is compared in bench/backends.py.)

For N = 8 and N = 32 prompts (the same prompts both ways, greedy, the same token cap) it runs
(a) one `generate` call after another and (b) all N submitted at once to the worker, and prints the
aggregate generated tokens per second of both, their ratio, and the median and p95 time to first token of (b).

    python bench/throughput.py                       # the test model (SmolLM2-135M)
    python bench/throughput.py --model qwen2.5-coder-1.5b --sizes 8
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.settings import Settings
from models.llm import registry
from models.llm.jobs import GenerationRequest, JobQueue
from models.llm.worker import BatchingWorker, WorkerConfig
from models.tasks import SPECS, PitchInput

PREMISES = [
    "a lighthouse keeper learns the beam keeps something asleep",
    "two rival food-truck owners are snowed in at the same mountain pass",
    "a retired stuntwoman is hired to double for her own daughter",
    "an archivist finds a reel of film that shows tomorrow",
    "a wedding band plays the same reception every night, and only the drummer notices",
    "a small-town cinema must screen one last film before the wrecking ball",
    "a sleep-study volunteer keeps waking up in other people's dreams",
    "a ferry pilot ferries the recently dead across a Norwegian fjord",
    "a foley artist hears a murder in the sound of a rival studio's film",
    "a chess hustler teaches a robot to cheat",
    "identical twins swap lives for a summer and neither wants to swap back",
    "a ghost haunts a multiplex and only likes romantic comedies",
]
GENRES = ["thriller", "comedy", "drama", "horror", "sci-fi", "romance", "mystery", "fantasy"]


def prompts(n: int) -> list[GenerationRequest]:
    spec = SPECS["pitch"]
    out = []
    for i in range(n):
        inp = PitchInput.create(premise=PREMISES[i % len(PREMISES)], genre=GENRES[i % len(GENRES)])
        out.append(tuple(spec.build_messages(inp)))
    return out  # type: ignore[return-value]


def sequential(lm: registry.Any, batches: list, max_new: int) -> tuple[int, float]:
    tokens = 0
    started = time.perf_counter()
    for messages in batches:
        ids = torch.tensor([lm.encode(list(messages))], device=lm.device)
        with torch.inference_mode():
            out = lm.model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=max_new,
                                    do_sample=False, pad_token_id=lm.pad_id)
        tokens += int(out.shape[1] - ids.shape[1])
    return tokens, time.perf_counter() - started


def plain_batched(lm: registry.Any, batches: list, max_new: int) -> tuple[int, float]:
    """Reference: one `generate` call over all the prompts, left-padded (no streaming, no queue)."""
    tok = lm.tokenizer
    tok.padding_side = "left"
    encoded = [lm.encode(list(m)) for m in batches]
    width = max(len(e) for e in encoded)
    ids = torch.tensor([[lm.pad_id] * (width - len(e)) + e for e in encoded], device=lm.device)
    mask = torch.tensor([[0] * (width - len(e)) + [1] * len(e) for e in encoded], device=lm.device)
    started = time.perf_counter()
    with torch.inference_mode():
        out = lm.model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=max_new, do_sample=False,
                                pad_token_id=lm.pad_id)
    elapsed = time.perf_counter() - started
    new = out[:, width:]
    tokens = 0
    for row in new.tolist():  # count up to and including the first stop token, as the worker does
        for i, t in enumerate(row):
            if lm.is_stop(t):
                tokens += i + 1
                break
        else:
            tokens += len(row)
    return tokens, elapsed


async def batched(worker: BatchingWorker, batches: list, max_new: int) -> tuple[int, float, list[float]]:
    started = time.perf_counter()
    handles = [worker.queue.submit(GenerationRequest(messages=m, max_new_tokens=max_new)) for m in batches]

    async def first_token(handle: registry.Any) -> float:
        async for _piece in handle:
            return time.perf_counter() - started
        return time.perf_counter() - started

    ttft = await asyncio.gather(*(first_token(h) for h in handles))
    results = [await h.result() for h in handles]
    elapsed = time.perf_counter() - started
    return sum(r.completion_tokens for r in results), elapsed, list(ttft)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="smollm2-135m", help="preset, local path or Hugging Face id")
    parser.add_argument("--sizes", default="8,32", help="comma-separated N values")
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--int8", default="off", choices=("auto", "on", "off"),
                        help="int8 weights on a CPU (default off: fp32, as when these ratios were first measured)")
    parser.add_argument("--no-reference", action="store_true",
                        help="skip the reference run of one plain batched generate call")
    args = parser.parse_args()
    settings = Settings.load(env={}, env_file=None)
    lm = registry.load(args.model, settings.cache_dir, backend="transformers", progress=False, int8=args.int8)
    sizes = [int(s) for s in args.sizes.split(",")]
    queue = JobQueue(max_waiting=max(sizes) * 2)
    worker = BatchingWorker(lm, queue, WorkerConfig(max_batch=max(sizes), max_batch_tokens=1 << 20))
    worker.start()
    warm = prompts(2)
    sequential(lm, warm[:1], 8)
    await batched(worker, warm, 8)
    ratios = []
    for n in sizes:
        batch = prompts(n)
        seq_tokens, seq_s = sequential(lm, batch, args.max_new_tokens)
        w_tokens, w_s, ttft = await batched(worker, batch, args.max_new_tokens)
        seq_rate, w_rate = seq_tokens / seq_s, w_tokens / w_s
        ratios.append(w_rate / seq_rate)
        if not args.no_reference:
            ref_tokens, ref_s = plain_batched(lm, batch, args.max_new_tokens)
            print(f"N={n}: reference, one plain batched generate call: {ref_tokens} tok in {ref_s:.1f} s = "
                  f"{ref_tokens / ref_s:.1f} tok/s, ratio {ref_tokens / ref_s / seq_rate:.2f}", flush=True)
        ttft.sort()
        p95 = ttft[min(len(ttft) - 1, round(0.95 * (len(ttft) - 1)))]
        print(f"N={n}: sequential {seq_tokens} tok in {seq_s:.1f} s = {seq_rate:.1f} tok/s | "
              f"worker {w_tokens} tok in {w_s:.1f} s = {w_rate:.1f} tok/s | ratio {w_rate / seq_rate:.2f} | "
              f"worker time to first token median {statistics.median(ttft) * 1000:.0f} ms p95 {p95 * 1000:.0f} ms",
              flush=True)
    await worker.close()
    figures = ", ".join(f"N={n} {r:.2f}" for n, r in zip(sizes, ratios, strict=True))
    print(f"throughput ratio worker/sequential: {figures}")


if __name__ == "__main__":
    asyncio.run(main())
