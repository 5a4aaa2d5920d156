"""The members' languages end to end: the synced commands carry their translations, and a member whose Discord
speaks Chinese is refused in Chinese (a bad option too), one whose Discord speaks English in English. Runs on the fake
model."""

from __future__ import annotations

import pytest

from bot.i18n import command_name, t
from models.tasks.pitch import PREMISE_MIN
from tests.e2e.conftest import BotFactory
from tests.fakes import ScriptedModel

from .fake_discord import FakeDiscord, FakeMessage
from .test_admin import PREMISE, assert_refused, cinebot

pytestmark = pytest.mark.asyncio


async def test_the_synced_commands_carry_their_names_and_descriptions_in_the_served_languages(
        make_bot: BotFactory, fake: FakeDiscord) -> None:
    await make_bot()
    synced = {c["name"]: c for c in fake.commands[fake.guild.id]}
    review = synced["review"]
    assert review["name_localizations"]["zh-CN"] == "影评" and review["name_localizations"]["zh-TW"] == "影評"
    assert review["description_localizations"]["ja"] == "映画についてのメモを、あなたらしい文体のレビューに仕上げます。"
    film = next(o for o in review["options"] if o["name"] == "film")
    assert film["name_localizations"]["pt-BR"] == "filme"


async def test_a_refusal_is_in_chinese_for_a_chinese_client_and_in_english_for_an_english_one(
        make_bot: BotFactory, fake: FakeDiscord) -> None:
    await make_bot()
    await cinebot(fake, "disable", {"command": "pitch"})
    chinese = await fake.send_slash("pitch", {"premise": PREMISE}, user=fake.member, locale="zh-CN")
    assert await assert_refused(chinese) == "管理员已在这里停用 /提案。/提案 已在本服务器的所有地方停用。"
    english = await fake.send_slash("pitch", {"premise": PREMISE}, user=fake.member, locale="en-US")
    assert await assert_refused(english) == ("The moderators have switched /pitch off here. /pitch is switched off "
                                             "everywhere in this server.")
    mood = await fake.send_slash("mood", {}, user=fake.member, locale="zh-TW")
    await assert_refused(mood, "請在 文字、訊息、頻道、討論串 中只選一項。")
    fake.assert_no_unknown_calls()


async def test_a_bad_option_is_refused_privately_in_the_members_language(make_bot: BotFactory,
                                                                         fake: FakeDiscord) -> None:
    await make_bot()
    too_short = "a heist"
    chinese = await fake.send_slash("pitch", {"premise": too_short}, user=fake.member, locale="zh-CN")
    said = await assert_refused(chinese, "/提案", "构想", f"{len(too_short)} ", f"{PREMISE_MIN} ")
    short = "The {option} for /{command} is only {count:,} characters. Tell me a bit more (at least {least:,} " \
            "characters) and try again."
    assert said == t(short, "zh_CN", option=command_name("premise", "zh_CN"), command=command_name("pitch", "zh_CN"),
                     count=len(too_short), least=PREMISE_MIN)
    english = await fake.send_slash("pitch", {"premise": too_short}, user=fake.member, locale="en-US")
    assert await assert_refused(english) == short.format(option="premise", command="pitch", count=len(too_short),
                                                         least=PREMISE_MIN)
    unknown = await fake.send_slash("film", {"title": "Zzyzx Qwertyuiop Blorf <@1>"}, user=fake.member,
                                    locale="zh-TW")
    said = await assert_refused(unknown, "'Zzyzx Qwertyuiop Blorf @user' 不在我的電影目錄裡", "`cinebot catalog add`")
    assert "isn't" not in said and "<@1>" not in said
    fake.assert_no_unknown_calls()


async def test_a_film_card_is_labelled_in_the_members_language(make_bot: BotFactory, fake: FakeDiscord) -> None:
    await make_bot()
    handle = await fake.send_slash("film", {"title": "alien 1979"}, user=fake.member, locale="ko")
    await handle.responded()
    message = handle.original_message
    assert message is not None
    embed = message.embeds[0]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["감독"] == "Ridley Scott" and "Directed by" not in fields
    assert embed["footer"]["text"] == "영화 카탈로그: Wikidata(CC0)"


NOTES_ZH = "京剧 两个人的一生 结局太悲伤 张国荣演得太好了"
REVIEW_ZH = "非常喜欢这部电影。京剧和两个人的一生让我深深感动。结局太悲伤了，我哭了很久。"
REVIEW_EN = "I loved this film. The opera and the two lives moved me. The ending is so sad that I cried."


def polyglot(prompt: str) -> str:
    """Chinese when the prompt asks for it, English otherwise."""
    return REVIEW_ZH if "Write the whole reply in Simplified Chinese" in prompt else REVIEW_EN


async def review_by(fake: FakeDiscord, locale: str) -> FakeMessage:
    handle = await fake.send_slash("review", {"film": "Farewell My Concubine", "notes": NOTES_ZH, "rating": 5},
                                   user=fake.member, locale=locale)
    await handle.deferred()
    original = await handle.original(timeout=20)
    await fake.wait_for(lambda: original.embeds and original.reaction_users("👎"), timeout=20, what="the review")
    return original


async def test_chinese_notes_get_a_chinese_review_unless_the_server_is_pinned_to_english(
        make_bot: BotFactory, fake: FakeDiscord) -> None:
    model = ScriptedModel(polyglot)
    bot = await make_bot(fake_model=model)
    # an English client, Chinese notes: the notes' language wins
    chinese = await review_by(fake, "en-US")
    assert chinese.embeds[0]["description"].startswith("我非常喜欢这部电影。")  # "我" is written for the model
    job = await bot.store.job_for_message(chinese.id)
    assert job is not None and job.settings["language"] == "zh_CN"
    assert "Write the whole reply in Simplified Chinese (简体中文)" in job.prompt[-1]["content"]

    pinned = await cinebot(fake, "language", {"language": "en"})
    assert "**English**" in pinned and "whatever language a member writes in" in pinned
    english = await review_by(fake, "zh-CN")
    assert "I loved this film." in english.embeds[0]["description"]
    job = await bot.store.job_for_message(english.id)
    assert job is not None and "language" not in job.settings
    assert "Write the whole reply in" not in job.prompt[-1]["content"]
    fake.assert_no_unknown_calls()
