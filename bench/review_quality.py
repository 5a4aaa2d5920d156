"""How true and how clean are /review replies? Generate them through the bot's real path, judge each one.

Each case of bench/review_cases.py (a film, a member's notes, a rating) becomes a /review, written concurrently
through the bot's queue and batching worker: with `models.reviews.write_review` when the bot has it, else the way
cogs/review.py did it before (resolve the film, `Grounding.build`, `ReviewInput.create`, `runner.submit`). Every
reply is then judged by bench/review_judge.py, an independent judge written from the catalog's data that shares no
code with the bot's own checks: wrong or unknowable roles, bit players and wrong people, invented names, a review
whose sentiment or stated score contradicts the rating, broken numbers ("4. 5/5"), loops and prompt leaks; story the
notes, the film's plot line and the catalog do not support (an invented premise, scene, place or period), opinions
the member did not give (an aspect the notes never mention, a criticism against the notes and a high rating, praise
against a low one), and orphans (a sentence whose pronoun or subject went missing). The plot line of each film comes
from data/catalog/plots.tsv (by film id) when that file exists; without it the judge has only the notes and the
catalog, and flags every story sentence they do not support.

Every flagged sentence is printed (film, check, reason, sentence), then for each mode how many of the notes' points
its replies keep (`points_kept` of the judge: a point is kept when the review says one of its words), then one
summary line per mode; the last line is the current code's:

    review_quality n N role_errors A minor_cast B invented_names C rating_mismatch D loops E leaks F story G opinion H
    orphans I clean J

(one line). A-C and E-I count flagged sentences; D counts replies (a contradicting sentiment, a different stated score,
or a broken number); J counts clean replies (no flag at all; an empty or failed reply is never clean).

    python bench/review_quality.py                                # the embedded default model, all cases
    python bench/review_quality.py --model smollm2-135m --films 10  # the small test model: quick, for development
    python bench/review_quality.py --films 20 --show 10 --out /tmp/replies.jsonl
    python bench/review_quality.py --baseline                     # also the code before issue 20 (commit e4b4e8e)
    python bench/review_quality.py --replies /tmp/replies.jsonl   # judge a saved run again (no model)
    python bench/review_quality.py --films 20 --presets standard,lively  # the learned presets, side by side

With --presets each named review preset (`models/tasks/variants.py`, what the learner picks per server) writes every
case in its own child process, and each gets its summary line, in the order given (`lively: review_quality ...`;
`standard`'s line is unnamed).

With --baseline the old code's replies are written first, in a child process whose import root is a temporary
`git worktree` of e4b4e8e (main before issue 20's story and opinion work; removed afterwards), then the current
code's, in another child process; both are judged by the same judge (today's, with its story, opinion and orphan
checks) and both summaries printed (`baseline: review_quality ...` on the line before the last). Replies travel
between the processes as JSONL. Generation is one mode at a time: on 2 cores the default model writes the 20
first cases in about 10 minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import importlib
import importlib.util
import inspect
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "e4b4e8e"  # main before issue 20's story and opinion work
SUMMARY_CHECKS = ("role_errors", "minor_cast", "invented_names", "rating_mismatch", "loops", "leaks", "story",
                  "opinion", "orphans")
PLOTS = ROOT / "data" / "catalog" / "plots.tsv"  # film_id, title, year, plot, leads, source (may not exist yet)


# -- generation (runs in a child process, importing the bot from --root) ---------------------------------------

def _tokens(reply: Any) -> int:
    """Completion tokens of a reply object, wherever it keeps its job result (0 when it does not say)."""
    for obj in (reply, getattr(reply, "result", None), getattr(reply, "reply", None),
                getattr(getattr(reply, "reply", None), "result", None)):
        count = getattr(obj, "completion_tokens", None)
        if isinstance(count, int):
            return count
    return 0


async def _generate(cases: list[dict[str, Any]], model: str, backend: str, max_new_tokens: int,
                    preset: str = "standard") -> dict[str, Any]:
    """Write every case's review through the bot's queue and worker; the bot's modules come from sys.path[0]."""

    from bench.compat import module
    from bot.llm import load_model, worker_config
    from bot.settings import Settings
    from models.llm.jobs import JobQueue
    from models.llm.worker import BatchingWorker

    # the code under test may be older than the rooms of models/: each module by its name now, then its old one
    runner = module("models.tasks.runner", "models.runner")
    films = module("models.film.catalog", "models.catalog")
    split_year = films.split_year

    env = {k: v for k, v in os.environ.items() if k.startswith("CINEBOT_")}
    env.update(CINEBOT_MODEL=model, CINEBOT_BACKEND=backend, CINEBOT_MAX_NEW_TOKENS=str(max_new_tokens))
    settings = Settings.load(env=env, env_file=None)
    catalog = films.Catalog.open()
    catalog.warm()
    started = time.perf_counter()
    lm = await asyncio.to_thread(load_model, settings, progress=False)
    load_s = time.perf_counter() - started
    queue = JobQueue(max_waiting=len(cases) + 16)
    worker = BatchingWorker(lm, queue, worker_config(settings))  # type: ignore[arg-type]
    # where the review service lives in the code under test: bot.services.review (issue 13 on), models.reviews
    # (issue 12), or none (before: the old path below)
    home = next((m for m in ("bot.services.review", "models.reviews") if _has_module(m)), None)
    service = home is not None
    params: dict[str, inspect.Parameter] = {}
    mood = None

    async def old_path(case: dict[str, Any]) -> Any:
        from models.tasks import ReviewInput

        facts = module("models.film.grounding", "models.grounding")

        title, year = split_year(case["film"])
        resolution = catalog.resolve(case["film"])
        if resolution.ambiguous:
            raise RuntimeError("the title is ambiguous: the bot asks which film is meant")
        film = resolution.film
        if film is not None:
            title, year = film.title, film.year
        grounding = facts.Grounding.build(film, case["notes"], facts.people_of(catalog))
        inp = ReviewInput.create(film=title, notes=case["notes"], year=year, rating=case["rating"],
                                 scale=case["scale"], tone=case["tone"], grounding=grounding)
        return await runner.submit(queue, "review", inp).reply()

    if home is not None:
        write_review = importlib.import_module(home).write_review
        params = dict(inspect.signature(write_review).parameters)
        if "mood" in params:
            classifier = module("models.mood.classifier", "models.mood")
            mood = await asyncio.to_thread(classifier.MoodClassifier.load, settings.cache_dir, 1)

    async def new_path(case: dict[str, Any]) -> Any:
        title, year = split_year(case["film"])
        given = {"queue": queue, "catalog": catalog, "mood": mood, "film": title, "notes": case["notes"],
                 "rating": case["rating"], "scale": case["scale"], "year": year, "tone": case["tone"],
                 "spoilers": False, "settings": settings, "preset": preset}
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for name, param in params.items():
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            if name not in given:
                if param.default is param.empty:
                    raise RuntimeError(f"write_review needs {name!r}, which this bench cannot give")
                continue
            if param.kind == param.POSITIONAL_ONLY:
                args.append(given[name])
            else:
                kwargs[name] = given[name]
        return await write_review(*args, **kwargs)

    write = new_path if service else old_path
    rows: list[dict[str, Any]] = []
    async with worker:
        started = time.perf_counter()

        async def one(index: int, case: dict[str, Any]) -> dict[str, Any]:
            t0 = time.perf_counter()
            try:
                reply = await write(case)
                text, tokens = str(reply.text), _tokens(reply)
            except Exception as exc:  # a refusal that survived its retry, a queue error: a failed reply
                text, tokens = f"[no reply: {exc}]", 0
            return {"index": index, "film": case["film"], "text": text, "tokens": tokens,
                    "seconds": round(time.perf_counter() - t0, 2)}

        rows = await asyncio.gather(*(one(i, case) for i, case in enumerate(cases)))
        wall = time.perf_counter() - started
    return {"path": f"{home}.write_review" if home else "ReviewInput + runner.submit (old path)",
            "model": model, "load_s": round(load_s, 1), "wall_s": round(wall, 1), "rows": rows}


def _has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # its package is missing in the code under test
        return False


def child_main(args: argparse.Namespace) -> None:
    here = str(Path(__file__).resolve().parent)
    sys.path.insert(0, str(ROOT))
    import bench.compat  # noqa: F401  this checkout's (for _generate), before the path is --root's, which may lack it
    sys.path.remove(str(ROOT))
    sys.path[:] = [str(Path(args.root).resolve())] + [p for p in sys.path if p != here]  # the bot of --root only
    # an editable install's finder would serve modules that --root lacks (models.reviews) from this checkout
    sys.meta_path[:] = [f for f in sys.meta_path if "__editable__" not in getattr(f, "__module__", "")]
    cases = [json.loads(line) for line in Path(args.cases_in).read_text().splitlines() if line.strip()]
    result = asyncio.run(_generate(cases, args.model, args.backend, args.max_new_tokens, args.preset))
    with Path(args.generate).open("w") as out:
        out.write(json.dumps({k: v for k, v in result.items() if k != "rows"}) + "\n")
        for row in result["rows"]:
            out.write(json.dumps(row) + "\n")


# -- the parent: run the children, judge, report ---------------------------------------------------------------

def run_child(root: Path, args: argparse.Namespace, cases_in: Path, out: Path,
              preset: str = "standard") -> tuple[dict[str, Any], list[dict]]:
    """Generate in a child process importing the bot from `root`; return its header and rows."""
    command = [sys.executable, str(Path(__file__).resolve()), "--generate", str(out), "--root", str(root),
               "--cases-in", str(cases_in), "--model", args.model, "--backend", args.backend,
               "--max-new-tokens", str(args.max_new_tokens), "--preset", preset]
    subprocess.run(command, check=True, cwd=root)
    lines = out.read_text().splitlines()
    return json.loads(lines[0]), [json.loads(line) for line in lines[1:] if line.strip()]


def baseline_worktree(tmp: Path) -> Path:
    sha = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{BASELINE}^{{commit}}"], cwd=ROOT,
                         capture_output=True, text=True)
    if sha.returncode != 0:
        sys.exit(f"--baseline: commit {BASELINE} is not in this repository (a shallow clone?)")
    path = tmp / "baseline"
    subprocess.run(["git", "worktree", "add", "--detach", str(path), sha.stdout.strip()], cwd=ROOT, check=True,
                   capture_output=True)
    return path


def remove_worktree(path: Path) -> None:
    subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=ROOT, capture_output=True)
    shutil.rmtree(path, ignore_errors=True)
    subprocess.run(["git", "worktree", "prune"], cwd=ROOT, capture_output=True)


def summary(verdicts: list[Any]) -> str:
    counts = {check: sum(len(v.of(check)) for v in verdicts) for check in SUMMARY_CHECKS}
    counts["rating_mismatch"] = sum(1 for v in verdicts if v.of("rating_mismatch") or v.of("broken_numbers"))
    fields = " ".join(f"{check} {counts[check]}" for check in SUMMARY_CHECKS)
    return f"review_quality n {len(verdicts)} {fields} clean {sum(1 for v in verdicts if v.clean)}"


Mode = tuple[str, dict[str, Any], list[dict[str, Any]]]  # name, the child's header, its rows


def generate_modes(args: argparse.Namespace, cases: list[Any]) -> list[Mode]:
    modes: list[Mode] = []
    with tempfile.TemporaryDirectory(prefix="review-quality-") as scratch:
        tmp = Path(scratch)
        cases_in = tmp / "cases.jsonl"
        cases_in.write_text("".join(json.dumps(asdict(case)) + "\n" for case in cases))
        if args.baseline:
            tree = baseline_worktree(tmp)
            try:
                print(f"generating {len(cases)} reviews with the baseline ({BASELINE}) ...", flush=True)
                modes.append(("baseline", *run_child(tree, args, cases_in, tmp / "baseline.jsonl")))
            finally:
                remove_worktree(tree)
        for preset in args.presets.split(","):
            name = "current" if preset == "standard" else preset
            print(f"generating {len(cases)} reviews with the current code in the {preset!r} preset ...", flush=True)
            modes.append((name, *run_child(ROOT, args, cases_in, tmp / f"{preset}.jsonl", preset)))
    return modes


def saved_modes(path: Path) -> tuple[list[Any], list[Mode]]:
    """The cases and replies of an earlier run's --out file, to judge them again without generating."""
    from bench.review_cases import Case

    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    names = list(dict.fromkeys(row["mode"] for row in rows))
    cases = [Case(row["film"], row["notes"], row["rating"], row["scale"], row["tone"])
             for row in rows if row["mode"] == names[-1]]
    modes: list[Mode] = []
    for name in names:
        mine = [row for row in rows if row["mode"] == name]
        header = {"path": f"replies from {path}", "model": "", "load_s": 0.0, "wall_s": 0.0}
        modes.append((name, header, [{"index": i, "text": row["text"], "tokens": row["tokens"]}
                                     for i, row in enumerate(mine)]))
    return cases, modes


def read_plots(path: Path = PLOTS) -> dict[int, str]:
    """Each film's plot line by catalog film id, from a TSV with a header (film_id, title, year, plot, leads,
    source); empty when the file does not exist."""
    if not path.is_file():
        return {}
    plots: dict[int, str] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            film_id, plot = (row.get("film_id") or "").strip(), (row.get("plot") or "").strip()
            if plot and film_id.lstrip("-").isdigit():
                plots[int(film_id)] = plot
    return plots


def parent_main(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(ROOT))
    from bench.review_cases import CASES
    from bench.review_judge import Judge, Subject, points_kept
    from bot.settings import Settings
    from models.film.catalog import Catalog, split_year
    from models.mood.classifier import MoodClassifier

    if args.replies:
        cases, modes = saved_modes(Path(args.replies))
    else:
        cases = list(CASES[: args.films])
        modes = generate_modes(args, cases)

    settings = Settings.load(env={k: v for k, v in os.environ.items() if k.startswith("CINEBOT_")}, env_file=None)
    catalog = Catalog.open()
    mood = MoodClassifier.load(settings.cache_dir, threads=1)
    judge = Judge.build(catalog, mood.positive)
    plots = read_plots()
    subjects = []
    for case in cases:
        title, _ = split_year(case.film)
        resolution = catalog.resolve(case.film)
        film = None if resolution.ambiguous else resolution.film
        subjects.append(Subject(title=title, notes=case.notes, film=film, rating=case.rating, scale=case.scale,
                                plot=plots.get(film.id, "") if film is not None else ""))
    print(f"plot lines: {sum(1 for s in subjects if s.plot)} of {len(subjects)} films "
          f"({PLOTS.relative_to(ROOT) if PLOTS.is_file() else 'no ' + str(PLOTS.relative_to(ROOT))})")

    lines = []
    out = Path(args.out).open("w") if args.out else None
    try:
        for name, header, rows in modes:
            texts = [row["text"] for row in sorted(rows, key=lambda r: r["index"])]
            verdicts = judge.judge_many(list(zip(subjects, texts, strict=True)))
            print(f"\n=== {name}: {header['path']} · {header['model']} ===")
            for case, verdict in zip(cases, verdicts, strict=True):
                for flag in verdict.flags:
                    print(f"[{case.film}] {flag.check}: {flag.reason}\n    {flag.sentence}")
            for case, text, verdict in list(zip(cases, texts, verdicts, strict=True))[: args.show]:
                rating = f" · {case.rating:g}/{case.scale}" if case.rating is not None else ""
                mood_line = f"P(positive) {verdict.positive:.2f}" if verdict.positive is not None else ""
                print(f"\n--- {case.film}{rating} · notes: {case.notes}\n{text}\n"
                      f"--- {mood_line} · {len(verdict.flags)} flags: "
                      f"{', '.join(sorted({f.check for f in verdict.flags})) or 'clean'}")
            tokens = sum(row["tokens"] for row in rows)
            if header["wall_s"]:
                rate = f"{tokens / header['wall_s']:.1f} tokens/s" if tokens else "tokens not reported"
                print(f"{name}: {len(rows)} replies in {header['wall_s']:.0f} s (model load {header['load_s']:.0f} "
                      f"s), {tokens} tokens, {rate}")
            if out is not None:
                for case, row, verdict in zip(cases, sorted(rows, key=lambda r: r["index"]), verdicts, strict=True):
                    out.write(json.dumps({"mode": name, **asdict(case), "text": row["text"], "tokens": row["tokens"],
                                          "seconds": row.get("seconds"),
                                          "positive": verdict.positive, "positive_whole": verdict.positive_whole,
                                          "clean": verdict.clean, "flags": [asdict(f) for f in verdict.flags]})
                              + "\n")
            lines.append((name, summary(verdicts)))
            kept = [points_kept(case.notes, text) for case, text in zip(cases, texts, strict=True)]
            points = sum(k for k, _ in kept), sum(t for _, t in kept)
            under = sum(1 for k, t in kept if t and k < t / 2)
            print(f"{name}: the notes' points kept {points[0]} of {points[1]} ({points[0] / max(points[1], 1):.0%}); "
                  f"{under} replies keep fewer than half of theirs")
    finally:
        if out is not None:
            out.close()
    print()
    for name, line in lines:
        print(line if name == "current" else f"{name}: {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="qwen2.5-coder-1.5b", help="a preset, .gguf or folder (default: the "
                                                                       "embedded qwen2.5-coder-1.5b)")
    parser.add_argument("--backend", default="llamacpp", help="CINEBOT_BACKEND for the model (default llamacpp)")
    parser.add_argument("--films", type=int, default=None, help="only the first N cases")
    parser.add_argument("--baseline", action="store_true", help=f"also generate with the code before issue 20 "
                                                                f"({BASELINE}) and print its figures")
    parser.add_argument("--show", type=int, default=0, help="print the first N replies in full")
    parser.add_argument("--out", help="write every reply with its flags to this JSONL file")
    parser.add_argument("--max-new-tokens", type=int, default=0, help="cap per reply (default 0: the task's own)")
    parser.add_argument("--presets", default="standard",
                        help="the review presets to write in, side by side (comma-separated; default standard; the "
                        "others: brief, lively, measured)")
    parser.add_argument("--preset", default="standard", help=argparse.SUPPRESS)  # child mode: the one to write in
    parser.add_argument("--replies", help="judge the replies of an earlier run's --out file again, generating none")
    parser.add_argument("--generate", help=argparse.SUPPRESS)  # child mode: write replies to this JSONL file
    parser.add_argument("--root", help=argparse.SUPPRESS)
    parser.add_argument("--cases-in", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:  # before any import of the bot: the child imports it from --root (an older commit's) only
        child_main(args)
        return
    sys.path.insert(0, str(ROOT))
    from models.tasks.variants import variants_for

    known = [v.name for v in variants_for("review")]
    if unknown := [p for p in args.presets.split(",") if p not in known]:
        parser.error(f"unknown preset(s) {', '.join(unknown)}; the review presets are {', '.join(known)}")
    parent_main(args)


if __name__ == "__main__":
    main()
