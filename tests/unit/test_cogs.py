"""Every cog loads, and no two commands share a name (python-discord's test_cogs habit)."""

from __future__ import annotations

import pkgutil
from collections import Counter

import discord

import cogs
from bot.core import COGS, CineBot
from bot.llm import Engine
from bot.settings import Settings
from models.llm.jobs import JobQueue


async def test_every_cog_module_is_loaded_and_command_names_are_unique() -> None:
    modules = {f"cogs.{m.name}" for m in pkgutil.iter_modules(cogs.__path__) if not m.name.startswith("_")}
    assert modules == set(COGS)
    engine = Engine(queue=JobQueue(), worker=None, model_name="fake")  # type: ignore[arg-type]
    bot = CineBot(Settings.load(env={}, env_file=None), engine, store=None)  # type: ignore[arg-type]
    for name in COGS:
        await bot.load_extension(name)
    commands = bot.tree.get_commands()
    names = Counter((c.name, getattr(c, "type", discord.AppCommandType.chat_input)) for c in commands)
    assert [n for n, count in names.items() if count > 1] == []
    assert {"review", "mood", "scene", "pitch", "cinebot", "Mood"} <= {c.name for c in commands}
    for command in commands:
        if isinstance(command, discord.app_commands.Command | discord.app_commands.Group):
            assert command.description and command.description != "…", command.name
    await bot.close()


def test_readme_invite_permissions_match_what_the_bot_uses() -> None:
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    value = int(re.search(r"permissions=(\d+)", readme).group(1))  # type: ignore[union-attr]
    needed = discord.Permissions(view_channel=True, send_messages=True, send_messages_in_threads=True,
                                 embed_links=True, attach_files=True, read_message_history=True, add_reactions=True,
                                 send_polls=True, create_events=True, connect=True)  # the last three: /filmnight
    assert value == needed.value


def test_loading_every_cog_imports_no_torch_and_no_model_library() -> None:
    """The cogs, the flow and the queue only see `models.llm.protocol` and `models.llm.jobs`: loading them must not pay
    for torch (3 s of a 4 s import before) or any model library. A fresh interpreter, since tests load torch."""
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys, asyncio\n"
        "from bot.core import COGS, CineBot\n"
        "from bot.llm import Engine\n"
        "from bot.settings import Settings\n"
        "from models.llm.jobs import JobQueue\n"
        "async def main():\n"
        "    bot = CineBot(Settings.load(env={}, env_file=None), Engine(JobQueue(), None, 'x'), store=None)\n"
        "    for name in COGS:\n"
        "        await bot.load_extension(name)\n"
        "    await bot.close()\n"
        "asyncio.run(main())\n"
        "print(sorted(m for m in ('torch', 'transformers', 'llama_cpp', 'onnxruntime') if m in sys.modules))\n"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_importing_each_cog_alone_imports_no_torch() -> None:
    """`python -X importtime -c "import cogs.review"` (and every other cog) lists no torch, transformers or
    llama_cpp module: a cog talks to the services and the queue, never to a model library."""
    import re
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    heavy = re.compile(r"^(?:torch|transformers|llama_cpp|onnxruntime)(?:\.|$)")
    for name in COGS:
        out = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {name}"], cwd=root,
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr[-2000:]
        modules = [line.rsplit("|", 1)[-1].strip() for line in out.stderr.splitlines()
                   if line.startswith("import time:") and "|" in line]
        assert f"{name}" in modules, f"no importtime listing for {name}"
        assert [m for m in modules if heavy.match(m)] == [], f"{name} imports a model library"
