"""The members' languages: every message the code sends through `t`, and every input error's, is in every shipped
catalog with its fields, the catalogs are clean, and the command tree translated for each served locale is one
Discord accepts."""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import discord
import pytest
import regex

from bot import i18n
from bot.core import CineBot
from bot.flow import footer_for
from bot.i18n import CHOICE, MENU, NAME, SHIPPED, catalog, command_name, fields, locale_for, t, t_error, translated
from bot.llm import Engine
from bot.rules import MAX_PLACES, where_it_works
from bot.settings import Settings
from bot.store import CommandRule
from models.llm.jobs import JobQueue, JobResult
from models.tasks.runner import TaskReply
from models.text import InputError, require_text

ROOT = Path(__file__).resolve().parents[2]
# Discord's rule for command and option names (https://discord.com/developers/docs/interactions/application-commands)
NAME_RULE = regex.compile(r"^[-_\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$")
SERVED = sorted(i18n.DISCORD_LOCALES)  # Discord's names of the locales a catalog serves


def messages_in_code() -> dict[str, str]:
    """Every msgid the code passes to `t` -> where: a literal, or a module-level constant of the scanned modules."""
    files = sorted([*(ROOT / "bot").rglob("*.py"), *(ROOT / "cogs").rglob("*.py")])
    trees = {path: ast.parse(path.read_text(), str(path)) for path in files}
    constants = {
        target.id: node.value.value
        for tree in trees.values() for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
        for target in node.targets if isinstance(target, ast.Name)
    }
    found: dict[str, str] = {}
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "t"):
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found[first.value] = where
            elif isinstance(first, ast.Name) and first.id in constants:
                found[constants[first.id]] = where
            else:
                raise AssertionError(f"{where}: t() needs a literal msgid or a module-level constant")
    return found


def missing_from_catalogs(messages: dict[str, str]) -> list[str]:
    """Each msgid (-> where the code has it) that some shipped catalog lacks, or has with other `{fields}`."""
    missing = []
    for locale in SHIPPED:
        for message, where in messages.items():
            entry = catalog(locale).get(message)
            if entry is None or entry.fuzzy or not entry.string:
                missing.append(f"{locale}: {message!r} ({where})")
            elif fields(str(entry.string)) != fields(message):
                missing.append(f"{locale}: {message!r} has fields {fields(str(entry.string))}")
    return missing


def test_every_message_the_code_sends_is_in_every_catalog_with_the_same_fields() -> None:
    messages = messages_in_code()
    assert "Give me exactly one of: text, message, channel or thread." in messages  # cogs are scanned
    assert "Something went wrong on my side. Please try again in a moment." in messages  # constants resolve
    assert missing_from_catalogs(messages) == []


def input_errors_in_code() -> dict[str, str]:
    """Every `InputError` message (its msgid) raised in models/, bot/ and cogs/ -> where. Each must be a literal,
    and the call must give exactly the fields the message names."""
    files = sorted(path for folder in ("models", "bot", "cogs") for path in (ROOT / folder).rglob("*.py"))
    found: dict[str, str] = {}
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name != "InputError":
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            first = node.args[0] if node.args else None
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                raise AssertionError(f"{where}: InputError() needs a literal message, its msgid (no f-string)")
            given = {keyword.arg for keyword in node.keywords}
            assert given == fields(first.value), f"{where}: fields {given} for a message with {fields(first.value)}"
            found[first.value] = where
    return found


def test_every_input_error_is_a_literal_in_every_catalog_with_the_same_fields() -> None:
    messages = input_errors_in_code()
    assert "The {option} for /{command} can't be empty. Add some text and try again." in messages  # models/
    assert "That message no longer exists." in messages  # cogs/
    assert "That message has no text for me to read." in messages  # bot/
    assert missing_from_catalogs(messages) == []


def test_an_input_error_is_english_as_a_string_and_the_members_language_on_discord() -> None:
    with pytest.raises(InputError) as raised:
        require_text("  ", field="premise", command="pitch", limit=1000)
    error = raised.value
    assert str(error) == "The premise for /pitch can't be empty. Add some text and try again."
    assert t_error(error, "en") == str(error)
    chinese = t_error(error, "zh_CN")
    # the catalog's sentence, with the option and the command as a zh-CN client names them
    assert chinese == translated(error.message, "zh_CN").format(  # type: ignore[union-attr]
        option=command_name("premise", "zh_CN"), command=command_name("pitch", "zh_CN"))
    assert "/提案" in chinese and "premise" not in chinese and "can't" not in chinese
    assert t_error(InputError("Not in any catalog: {x}.", x=1), "ja") == "Not in any catalog: 1."
    mention = InputError("I don't know the mood {mood}. Try a few words such as {words}, or a genre (sci-fi, western, "
                         "documentary…); \"not scary\" works too.", mood="'<@123> @everyone'", words="cozy")
    for locale in ("en", "de"):
        shown = t_error(mention, locale)
        assert "<@123>" not in shown and "@everyone" not in shown and "@user" in shown


def test_every_catalog_parses_holds_the_same_entries_and_none_is_fuzzy_or_empty() -> None:
    entries = {}
    for locale in SHIPPED:
        shipped = [m for m in catalog(locale) if m.id]
        assert [m.id for m in shipped if m.fuzzy or not m.string] == [], locale
        assert not catalog(locale).fuzzy, locale
        entries[locale] = {(m.context, m.id) for m in shipped}
    first = entries[SHIPPED[0]]
    assert len(first) > 100
    for locale, ids in entries.items():
        assert ids == first, (locale, ids ^ first)


def test_every_shipped_catalog_is_package_data_and_every_locale_folder_is_served() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["bot"]
    packaged = {path for pattern in patterns for path in (ROOT / "bot").glob(pattern)}
    assert packaged == {i18n.catalog_path(locale) for locale in SHIPPED}
    assert {p.name for p in i18n.LOCALE_DIR.iterdir() if p.is_dir()} == set(SHIPPED)
    assert any(d.startswith("babel") for d in config["project"]["dependencies"])


@pytest.mark.parametrize(("given", "expected"), [
    (("zh-CN",), "zh_CN"), (("zh-TW",), "zh_TW"), (("es-419",), "es_ES"), (("pt-BR",), "pt_BR"),
    (("en-US", "zh-CN"), "en"), (("it",), "en"), ((None, "ja"), "ja"), ((None, None), "en"), ((), "en"),
])
def test_the_members_language_comes_first_then_the_servers_then_english(given: tuple[str | None, ...],
                                                                        expected: str) -> None:
    assert locale_for(*given) == expected


def test_t_translates_fills_fields_and_falls_back_to_english() -> None:
    message = "You're sending requests faster than I can keep up with. Please try again in {wait} s."
    assert t(message, "zh_CN", wait=7) == "你发送请求的速度太快，我有点跟不上了。请在 7 秒后再试。"
    assert t(message, "en", wait=7) == message.format(wait=7)
    assert t("Not in any catalog: {x}.", "ja", x=1) == "Not in any catalog: 1."
    assert command_name("review", "zh_TW") == "影評" and command_name("review", "en") == "review"
    assert translated("review", "de") is None  # a name is kept apart from a message: only its context finds it
    assert translated("review", "de", NAME) == "kritik"


async def translated_tree() -> list[dict[str, Any]]:
    """Every command's payload as `cinebot sync` sends it, through the bot's own translator."""
    engine = Engine(queue=JobQueue(), worker=None, model_name="fake")  # type: ignore[arg-type]
    bot = CineBot(Settings.load(env={}, env_file=None), engine, store=None)  # type: ignore[arg-type]
    await bot.load_commands()
    translator = bot.tree.translator
    assert translator is not None
    payloads = [await c.get_translated_payload(bot.tree, translator) for c in bot.tree._get_all_commands()]
    await bot.close()
    return payloads


def named(items: list[dict[str, Any]], locale: str, *, menu: bool = False) -> Iterator[str]:
    """Each item's name in `locale`, checked against Discord's rules (and translated: every name is served)."""
    for item in items:
        localized = (item.get("name_localizations") or {}).get(locale)
        assert localized, (item["name"], locale)
        if menu:
            assert 1 <= len(localized) <= 32, localized
        else:
            assert NAME_RULE.match(localized) and localized == localized.lower(), localized
        yield localized


def check_level(items: list[dict[str, Any]], locale: str) -> None:
    """Options (or subcommands) of one parent: names valid and unique, descriptions and choices valid."""
    names = list(named(items, locale))
    assert len(set(names)) == len(names), (locale, names)
    for item in items:
        described = (item.get("description_localizations") or {}).get(locale)
        assert described and 1 <= len(described) <= 100, (item["name"], locale, described)
        choices = item.get("choices") or []
        shown = [(c.get("name_localizations") or {}).get(locale) for c in choices]
        assert all(s and 1 <= len(s) <= 100 for s in shown), (item["name"], locale, shown)
        assert len(set(shown)) == len(shown), shown
        check_level(item.get("options") or [], locale)


@pytest.mark.parametrize("locale", SERVED)
async def test_the_command_tree_translated_for_each_locale_is_valid_for_discord(locale: str) -> None:
    payloads = await translated_tree()
    slash = [p for p in payloads if p.get("type", 1) == discord.AppCommandType.chat_input.value]
    menus = [p for p in payloads if p.get("type", 1) != discord.AppCommandType.chat_input.value]
    assert slash and menus
    check_level(slash, locale)
    for kind in {m["type"] for m in menus}:
        shown = list(named([m for m in menus if m["type"] == kind], locale, menu=True))
        assert len(set(shown)) == len(shown), shown


async def test_a_choice_that_names_a_command_shows_its_translated_name() -> None:
    payloads = {p["name"]: p for p in await translated_tree()}
    enable = next(o for o in payloads["cinebot"]["options"] if o["name"] == "enable")
    command = next(o for o in enable["options"] if o["name"] == "command")
    review = next(c for c in command["choices"] if c["value"] == "review")
    assert review["name_localizations"]["zh-CN"] == "/影评" and review["name_localizations"]["es-419"] == "/reseña"
    assert translated("Mood", "ja", MENU) == "ムード分析" and translated("out of 10", "fr", CHOICE) == "sur 10"


def test_where_a_command_works_is_told_in_the_members_language_with_its_lists() -> None:
    off = [CommandRule("review", "channel", 7, False), CommandRule("review", "channel", 8, False)]
    assert where_it_works("review", off, "zh_CN") == "/影评 在本服务器中除 <#7>和<#8> 外都可以使用。"
    assert where_it_works("review", off) == "/review works everywhere in this server except in <#7> and <#8>."
    many = [CommandRule("review", "channel", 100 + i, False) for i in range(MAX_PLACES + 3)]
    assert where_it_works("review", many, "ja").endswith("<#114>、ほか3か所 以外のこのサーバー内で使えます。")
    assert where_it_works("review", [CommandRule("review", "guild", 1, False)], "de") == \
        "/kritik ist in diesem Server überall ausgeschaltet."


def test_a_replys_footer_invites_reactions_in_the_members_language() -> None:
    result = JobResult(text="x", prompt_tokens=5, completion_tokens=42, queue_s=0.0, generate_s=1.25, model="m",
                       finish_reason="stop")
    reply = TaskReply(task="review", text="x", raw="x", result=result, variant="wry")
    assert footer_for(reply) == "m · 42 tokens · 1.2 s · react 👍 or 👎 to tell me how I did · 🔁 for another take"
    assert footer_for(reply, "zh_CN") == ("m · 42 个 token · 1.2 秒 · 用 👍 或 👎 回应，告诉我写得怎么样 · "
                                          "🔁 换个写法再来一版")
