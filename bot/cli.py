"""The `cinebot` command line: run the bot, try a task once (`ask`), or interactively (`console`)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from bot.commands import prepare
from bot.desk import OPERATOR, RequestDesk, Sent
from bot.services import Prepared, Services
from bot.settings import Settings, SettingsError, env_var
from bot.store import Store
from models.llm.jobs import JobError
from models.llm.protocol import BACKENDS
from models.llm.registry import ModelError, resolve
from models.tasks import InputError
from models.tasks.runner import TaskReply

log = logging.getLogger(__name__)

TOKEN_HELP = """\
cinebot needs a Discord bot token to go online, and none is set.

  1. Open https://discord.com/developers/applications and click "New Application".
  2. In "Bot", click "Reset Token" and copy the token. Under "Privileged Gateway Intents"
     switch on "Message Content Intent".
  3. Put it in a file named .env next to where you run cinebot (see .env.example):
         DISCORD_TOKEN=your-token-here
     or export it for this shell:  export DISCORD_TOKEN=your-token-here
  4. Run `cinebot run` again. The README's "Discord setup" section has the invite link.

To try the four tasks without Discord right now:  cinebot console
"""


class UsageError(Exception):
    """Something the command line lacks (a file, the database, a downloaded model) or cannot use: the operator's
    to fix, told in English. A member's bad option is an `InputError` (its sentence is translated on Discord)."""


def _parser() -> argparse.ArgumentParser:
    defaults = Settings()
    parser = argparse.ArgumentParser(prog="cinebot", description="A film-community Discord bot with a local LLM.")
    parser.add_argument("--model", help="model preset, local path or Hugging Face id "
                        f"(default: ${env_var('model')}, else {defaults.model})")
    parser.add_argument("--backend", choices=BACKENDS,
                        help=f"what serves the model (default: ${env_var('backend')}, else {defaults.backend})")
    parser.add_argument("--env-file", default=".env", help="settings file to read (default: .env)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start the Discord bot")
    sub.add_parser("console", help="try the four tasks interactively, without Discord")
    sync = sub.add_parser("sync", help="publish the slash commands to Discord (globally, or to one server)")
    sync.add_argument("--guild", type=int, help="a server ID: sync there only (instant) instead of globally")
    catalog = sub.add_parser("catalog", help="add your own films (e.g. newer releases) to the film catalog")
    catalog_sub = catalog.add_subparsers(dest="catalog_command", required=True)
    add = catalog_sub.add_parser("add", help="add one film")
    add.add_argument("--title", required=True)
    add.add_argument("--year", type=int, required=True)
    add.add_argument("--director", action="append", default=[], help="repeat for several")
    add.add_argument("--writer", action="append", default=[])
    add.add_argument("--cast", action="append", default=[], help="repeat for each actor")
    add.add_argument("--genre", action="append", default=[])
    add.add_argument("--runtime", type=int)
    imp = catalog_sub.add_parser("import", help="add the films of a CSV with the Wikidata table's columns")
    imp.add_argument("csv", type=Path)
    feedback = sub.add_parser("feedback", help="work with the reaction feedback stored in SQLite")
    feedback_sub = feedback.add_subparsers(dest="feedback_command", required=True)
    export = feedback_sub.add_parser("export", help="write the feedback as training rows (JSON lines)")
    export.add_argument("--format", default="kto", choices=("kto", "dpo", "jsonl"),
                        help="kto: prompt/completion/label per rated reply (default; jsonl is the same); "
                        "dpo: prompt/chosen/rejected per pair of takes (🔁) the members chose between")
    export.add_argument("--guild", type=int, help="only this server's feedback (default: all)")
    export.add_argument("--output", type=Path, help="file to write (default: standard output)")
    mood = sub.add_parser("mood", help="the shipped mood classifier")
    mood_sub = mood.add_subparsers(dest="mood_command", required=True)
    evaluation = mood_sub.add_parser("eval", help="accuracy, macro-F1 and speed on text<TAB>label rows (0/1)")
    evaluation.add_argument("file", type=Path, help="a TSV file: text<TAB>label per line, header optional")
    evaluation.add_argument("--threads", type=int, default=0, help="CPU threads (default: all, at most 4)")
    train = sub.add_parser("train", help="train the mood classifier's weights, or a LoRA adapter from the members' "
                           "feedback (see `cinebot train mood --help`, `cinebot train feedback --help`)")
    train.add_argument("what", choices=["mood", "feedback"])
    train.add_argument("options", nargs=argparse.REMAINDER, help="options for the trainer")
    ask = sub.add_parser("ask", help="run one task and print the reply")
    tasks = ask.add_subparsers(dest="task", required=True)

    review = tasks.add_parser("review", help="turn your notes on a film into a review in your voice")
    review.add_argument("--film", required=True)
    review.add_argument("--notes", required=True)
    review.add_argument("--year", type=int)
    review.add_argument("--rating", type=float, help="0-5 or 0-10")
    review.add_argument("--scale", type=int, choices=(5, 10), help="the rating's scale (default: guessed)")
    review.add_argument("--tone")
    review.add_argument("--spoilers", action="store_true", help="allow spoilers")

    mood = tasks.add_parser("mood", help="sentiment and emotions of a text")
    mood.add_argument("--text", required=True)

    scene = tasks.add_parser("scene", help="a scene description from a script excerpt")
    src = scene.add_mutually_exclusive_group(required=True)
    src.add_argument("--excerpt")
    src.add_argument("--file", type=Path, help="a .fountain or .txt file (a long script: the scenes that fit)")
    scene.add_argument("--start", type=int, help="with --file: the scene to start from (default 1)")

    pitch = tasks.add_parser("pitch", help="a logline and synopsis from a premise")
    pitch.add_argument("--premise", required=True)
    pitch.add_argument("--genre")
    pitch.add_argument("--tone")
    return parser


def task_job(task: str, args: argparse.Namespace, services: Services) -> Prepared:
    """The checked job for `cinebot ask review|scene|pitch`, prepared by the command table as the slash commands'
    are (raises InputError; UsageError for a file it cannot read)."""
    options = {k: v for k, v in vars(args).items() if v is not None}
    if task == "scene" and args.file is not None:  # a file on the command line, as an attachment in Discord
        try:
            options["file"] = (args.file.name, args.file.read_bytes())
        except OSError as exc:
            raise UsageError(f"Could not read {args.file}: {exc.strerror or exc}.") from None
    return _prepared(services, task, options)


def _prepared(services: Services, task: str, options: dict[str, Any]) -> Prepared:
    job = prepare(services, task, options)
    assert job is not None, f"{task} is prepared by its own path"
    return job


def _screen_lines(text: str) -> int:
    width = max(20, shutil.get_terminal_size().columns)
    return sum(max(1, math.ceil(len(line) / width)) for line in text.split("\n"))


class TerminalReply:
    """A reply on the terminal, as the desk delivers one (`bot.desk.Delivery`): on a terminal the text streams in as
    it is written and is redrawn when the final clean-up changes it; into a pipe or file only the final text is
    written. What ended it without a reply is kept in `failed`."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.live = out.isatty()
        self.printed = ""
        self.reply: TaskReply | None = None
        self.failed = ""

    async def queued(self, position: int) -> None:
        """The command line's engine serves it alone: no queue to show."""

    async def progress(self, text: str) -> None:
        if self.live:
            self._show(text)

    async def finish(self, reply: TaskReply) -> list[Sent]:
        self._show(reply.text)
        self.out.write("\n")
        self.out.flush()
        self.reply = reply
        return []  # no message to keep: nothing to react to

    async def done(self, *, another_take: bool) -> None:
        """Never told: the terminal keeps no message."""

    async def error(self, message: str) -> None:
        self.failed = message

    async def stopping(self) -> None:
        self.failed = "cinebot stopped before the reply was written."

    def _show(self, text: str) -> None:
        if text.startswith(self.printed):
            self.out.write(text[len(self.printed) :])
        else:
            self.out.write(_redraw(self.printed) + text)
        self.out.flush()
        self.printed = text


async def stream_reply(desk: RequestDesk, job: Prepared, out: TextIO) -> TaskReply:
    """Run a prepared job through the desk as the operator's own request (`OPERATOR`: no server, so no rules, style
    or preset; stored like every request) and print its reply (`TerminalReply`). Raises `JobError` when it ends
    without one."""
    ticket = await desk.open(job, OPERATOR, check=False)
    if isinstance(ticket, str):  # a full queue
        raise JobError(ticket)
    await desk.record(ticket)
    shown = TerminalReply(out)
    await desk.write(ticket, shown)
    if shown.reply is None:
        raise JobError(shown.failed or "The reply was not written.")
    return shown.reply


def _redraw(printed: str) -> str:
    """ANSI: go back to the start of what was printed and clear it."""
    if not printed:
        return ""
    up = _screen_lines(printed) - 1
    return "\r" + (f"\x1b[{up}A" if up else "") + "\x1b[J"


def _footer(reply: TaskReply, source: str = "") -> str:
    r = reply.result
    figures = (f"[{r.model} · {r.completion_tokens} tokens · {r.generate_s:.1f} s writing"
               f"{f' · {r.queue_s:.1f} s queued' if r.queue_s >= 0.1 else ''}]")
    return f"{source}\n{figures}" if source else figures


NEEDS = {"review": ("catalog", "mood"), "mood": ("mood",), "scene": (), "pitch": ()}


def open_services(settings: Settings, task: str, services: Services | None = None) -> Services:
    """The services the slash commands use, with what `task` needs loaded (the film catalog with the server's
    added films, the mood classifier: its sentiment keeps a review true to the rating). Blocking: call it in a
    thread. `services`: ones opened before, to add to."""
    from models.film.catalog import Catalog
    from models.mood.classifier import MoodClassifier, MoodModelError

    catalog = services.catalog if services else None
    classifier: Any = services.mood.classifier if services else None
    if "catalog" in NEEDS[task] and catalog is None:
        catalog = Catalog.open(extra_path=settings.films_path)
    if "mood" in NEEDS[task] and classifier is None:
        try:
            classifier = MoodClassifier.load(settings.cache_dir)
        except MoodModelError as exc:
            if task == "mood":
                raise UsageError(str(exc)) from None
            log.warning("reviews are written without the sentiment check: %s", exc)
    return Services(settings, catalog=catalog, mood=classifier)


async def read_mood(services: Services, desk: RequestDesk, text: str, out: TextIO) -> TaskReply:
    """`ask mood` and the console's mood, as in Discord: the shipped classifier's verdict at once, then the
    language model's one-line explanation of it."""
    read = await services.mood.read(text, "your text")
    ranked = sorted(read.score.emotions.items(), key=lambda item: -item[1])
    out.write(f"{read.job.title}\nEmotions: " + ", ".join(f"{name} {p:.0%}" for name, p in ranked) + "\n")
    return await stream_reply(desk, read.job, out)


async def _ask(settings: Settings, args: argparse.Namespace) -> int:
    from bot.llm import open_engine

    services = await asyncio.to_thread(open_services, settings, args.task)
    job = None if args.task == "mood" else task_job(args.task, args, services)  # before loading the model
    async with await Store.open(settings.db_path) as store, \
            open_engine(settings, progress=sys.stderr.isatty()) as engine:
        desk = RequestDesk(store, engine.queue, settings, model_name=engine.model_name)
        if job is None:
            reply = await read_mood(services, desk, args.text, sys.stdout)
        else:
            reply = await stream_reply(desk, job, sys.stdout)
    print(_footer(reply, job.source if job else ""), file=sys.stderr)
    return 0


CONSOLE_FIELDS: dict[str, list[tuple[str, str, bool]]] = {
    "review": [("film", "film title", True), ("year", "year (optional)", False), ("notes", "your notes", True),
               ("rating", "your rating, 0-5 or 0-10 (optional)", False), ("tone", "tone (optional)", False),
               ("spoilers", "allow spoilers? y/N", False)],
    "mood": [("text", "text to read", True)],
    "scene": [("excerpt", "script excerpt, or the path of a .fountain/.txt file (end with a line '.')", True)],
    "pitch": [("premise", "premise", True), ("genre", "genre (optional)", False), ("tone", "tone (optional)", False)],
}


def console_job(task: str, answers: dict[str, str], services: Services) -> Prepared:
    """The checked job for the console's answers (raises InputError); not for mood (see `read_mood`)."""
    def number(key: str, kind: Callable[[str], Any]) -> Any:
        raw = answers.get(key, "").strip()
        if not raw:
            return None
        try:
            return kind(raw)
        except ValueError:
            raise InputError("The {option} must be a number; you typed {value}.", option=key,
                             value=repr(raw)) from None

    options: dict[str, Any] = {k: v.strip() for k, v in answers.items() if v.strip()}
    if task == "review":
        options.update(year=number("year", int), rating=number("rating", float),
                       spoilers=answers.get("spoilers", "").strip().lower() in ("y", "yes"))
    if task == "scene":
        excerpt = answers["excerpt"].strip()
        path = Path(excerpt).expanduser()
        if "\n" not in excerpt and path.suffix.lower() in (".fountain", ".txt") and path.is_file():
            options["file"] = (path.name, path.read_bytes())
    return _prepared(services, task, options)


async def _console(settings: Settings, read: Callable[[str], str] = input, out: TextIO = sys.stdout,
                   engine_factory: Callable[..., Any] | None = None) -> int:
    from bot.llm import open_engine

    engine_factory = engine_factory or open_engine

    async def ask(prompt: str) -> str | None:
        try:
            return await asyncio.to_thread(read, prompt)
        except EOFError:
            return None

    print("Loading the model…", file=sys.stderr)
    services = Services(settings)
    async with await Store.open(settings.db_path) as store, \
            engine_factory(settings, progress=sys.stderr.isatty()) as engine:
        desk = RequestDesk(store, engine.queue, settings, model_name=engine.model_name)
        out.write(f"cinebot console on {engine.model_name}. Tasks: review, mood, scene, pitch. "
                  "Type 'quit' to leave.\n")
        while True:
            task = await ask("task> ")
            if task is None or task.strip().lower() in ("quit", "exit", "q"):
                return 0
            task = task.strip().lower()
            if task not in CONSOLE_FIELDS:
                if task:
                    out.write("Pick one of: review, mood, scene, pitch (or quit).\n")
                continue
            answers: dict[str, str] = {}
            for key, label, _required in CONSOLE_FIELDS[task]:
                if key == "excerpt":
                    lines: list[str] = []
                    while (line := await ask(f"  {label}: " if not lines else "  ")) not in (None, "."):
                        lines.append(line)
                        if len(lines) == 1 and Path(line.strip()).suffix.lower() in (".fountain", ".txt"):
                            break
                    answers[key] = "\n".join(lines)
                else:
                    value = await ask(f"  {label}: ")
                    if value is None:
                        return 0
                    answers[key] = value
            try:
                services = await asyncio.to_thread(open_services, settings, task, services)
                if task == "mood":
                    job = None
                    reply = await read_mood(services, desk, answers["text"], out)
                else:
                    job = console_job(task, answers, services)
                    reply = await stream_reply(desk, job, out)
            except (InputError, UsageError, JobError) as exc:
                out.write(f"{exc}\n")
                continue
            out.write(_footer(reply, job.source if job else "") + "\n")


async def _run(settings: Settings) -> int:
    if not settings.discord_token:
        print(TOKEN_HELP, file=sys.stderr)
        return 2
    import discord

    from bot.core import run_bot

    try:
        await run_bot(settings)
    except discord.LoginFailure:
        print("cinebot: Discord rejected DISCORD_TOKEN. Reset the token in the Developer Portal (Bot > Reset Token) "
              "and put the new one in .env.", file=sys.stderr)
        return 2
    except discord.PrivilegedIntentsRequired:
        print("cinebot: Discord refused the Message Content intent. In the Developer Portal, open your application > "
              "Bot > Privileged Gateway Intents, switch on Message Content Intent, save, and run again.",
              file=sys.stderr)
        return 2
    return 0


async def _sync(settings: Settings, guild: int | None) -> int:
    if not settings.discord_token:
        print(TOKEN_HELP, file=sys.stderr)
        return 2
    from bot.core import sync_commands

    count = await sync_commands(settings, guild)
    where = f"server {guild}" if guild else "every server (global commands can take up to an hour to show)"
    print(f"Synced {count} commands to {where}.")
    return 0


async def _feedback_export(settings: Settings, fmt: str, output: Path | None, guild: int | None = None) -> int:
    from bot.feedback import export

    if not settings.db_path.is_file():
        print(f"cinebot: no database at {settings.db_path} yet (set CINEBOT_DB_PATH); nothing to export.",
              file=sys.stderr)
        return 1
    async with await Store.open(settings.db_path) as store:
        if output is None:
            rows = await export(store, sys.stdout, fmt, guild)
        else:
            with output.open("w", encoding="utf-8") as fh:
                rows = await export(store, fh, fmt, guild)
    print(f"Exported {rows} rows.", file=sys.stderr)
    return 0


def _train_feedback(settings: Settings, argv: Sequence[str]) -> int:
    """`cinebot train feedback`: a LoRA adapter from the stored feedback (or an exported file), with TRL."""
    import json
    import time

    parser = argparse.ArgumentParser(
        prog="cinebot train feedback",
        description="Train a LoRA adapter on the bot's model from the members' reactions: rated replies with TRL's "
        "KTO trainer (--format kto), or pairs of takes they chose between with DPO (--format dpo). Load the "
        "result with CINEBOT_ADAPTER=<folder>.")
    parser.add_argument("--format", default="kto", choices=("kto", "dpo"))
    parser.add_argument("--guild", type=int, help="only this server's feedback (default: every server's)")
    parser.add_argument("--data", type=Path, help="an exported file (`cinebot feedback export`) instead of the "
                        "database")
    parser.add_argument("--output", type=Path, help="the adapter's folder (default: adapters/<format>-<server>-<time>)")
    parser.add_argument("--steps", type=int, default=40, help="optimizer steps (default 40)")
    parser.add_argument("--learning-rate", type=float, default=5e-4)
    parser.add_argument("--rank", type=int, default=8, help="LoRA rank (default 8)")
    options = parser.parse_args(argv)
    from models.llm.feedback_train import TrainingError, load_base, train

    if options.data is not None:
        if not options.data.is_file():
            raise UsageError(f"There is no file {options.data}.")
        try:
            rows = [json.loads(line) for line in options.data.read_text(encoding="utf-8").splitlines() if line.strip()]
        except ValueError:
            raise UsageError(f"{options.data} is not an export of `cinebot feedback export` (JSON lines).") from None
    else:
        rows = asyncio.run(_stored_rows(settings, options.format, options.guild))
    stamp = time.strftime("%Y%m%d-%H%M%S")
    output = options.output or Path("adapters") / f"{options.format}-{options.guild or 'all'}-{stamp}"
    try:
        source = resolve(settings.model, settings.cache_dir, progress=False)  # checked once (sha256 of the file)
        model, tokenizer = load_base(source, settings.cache_dir)
        result = train(rows, options.format, model, tokenizer, output, steps=options.steps,
                       learning_rate=options.learning_rate, rank=options.rank)
    except TrainingError as exc:
        raise UsageError(str(exc)) from None
    print(f"Trained a {options.format} adapter on {result.rows} rows ({result.steps} steps, {result.seconds:.0f} s): "
          f"{result.adapter}\nLoad it with CINEBOT_ADAPTER={result.adapter}")
    if source.gguf_path is not None:  # the llama.cpp copy now, for the bot's next start or llama.cpp's server
        from models.llm.lora_gguf import gguf_for

        lora = gguf_for(result.adapter, source.gguf_path)
        print(f"llama.cpp's form of it (llama-server --lora): {lora}")
    return 0


async def _stored_rows(settings: Settings, fmt: str, guild: int | None) -> list[dict[str, Any]]:
    from bot.feedback import rows

    if not settings.db_path.is_file():
        raise UsageError(f"There is no database at {settings.db_path} yet (set CINEBOT_DB_PATH), so no feedback.")
    async with await Store.open(settings.db_path) as store:
        return [row async for row in rows(store, fmt, guild)]


def _catalog(settings: Settings, args: argparse.Namespace) -> int:
    from models.film.catalog import Catalog, CatalogError

    try:
        with Catalog.open(extra_path=settings.films_path) as catalog:
            if args.catalog_command == "add":
                film = catalog.add(args.title, args.year, runtime=args.runtime, genres=args.genre,
                                   directors=args.director, writers=args.writer, cast=args.cast)
                print(f"Added {film.label()} to {settings.films_path}.")
                return 0
            if not args.csv.is_file():
                raise UsageError(f"There is no file {args.csv}.")
            films = catalog.import_csv(args.csv)
            print(f"Imported {len(films)} films into {settings.films_path}.")
            return 0
    except CatalogError as exc:
        raise UsageError(str(exc)) from None


def _mood_eval(settings: Settings, path: Path, threads: int) -> int:
    from models.mood.classifier import MoodClassifier, MoodModelError, evaluate, read_labelled

    if not path.is_file():
        raise UsageError(f"There is no file {path}.")
    try:
        rows, skipped = read_labelled(path)
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not a text file.") from None
    if not rows:
        raise UsageError(f"{path} has no rows of the form text<TAB>label with a label of 0 or 1.")
    try:
        classifier = MoodClassifier.load(settings.cache_dir, threads=threads)
    except MoodModelError as exc:
        raise UsageError(str(exc)) from None
    result = evaluate(classifier, rows)
    (tn, fp), (fn, tp) = result.confusion
    if skipped:
        print(f"skipped {skipped} lines without a 0/1 label")
    print(f"negatives: {tn} right, {fp} called positive; positives: {tp} right, {fn} called negative")
    print(result.line())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.load(env_file=args.env_file)
        if args.model or args.backend:
            from dataclasses import replace

            settings = replace(settings, model=args.model or settings.model, backend=args.backend or settings.backend)
            if settings.backend == "openai" and not settings.openai_url:
                raise SettingsError("--backend openai needs CINEBOT_OPENAI_URL, the server's base URL "
                                    "(for example http://127.0.0.1:8080/v1).")
    except SettingsError as exc:
        print(f"cinebot: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("transformers", "accelerate"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    try:
        if args.command == "ask":
            return asyncio.run(_ask(settings, args))
        if args.command == "console":
            return asyncio.run(_console(settings))
        if args.command == "sync":
            return asyncio.run(_sync(settings, args.guild))
        if args.command == "catalog":
            return _catalog(settings, args)
        if args.command == "mood":
            return _mood_eval(settings, args.file, args.threads)
        if args.command == "train" and args.what == "feedback":
            return _train_feedback(settings, args.options)
        if args.command == "train":
            from models.mood.train import main as train_mood

            return train_mood(args.options)
        if args.command == "feedback":
            return asyncio.run(_feedback_export(settings, args.format, args.output, args.guild))
        return asyncio.run(_run(settings))
    except (InputError, UsageError) as exc:
        print(f"cinebot: {exc}", file=sys.stderr)
        return 2
    except (ModelError, JobError) as exc:
        print(f"cinebot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ncinebot: stopped.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
