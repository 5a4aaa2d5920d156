"""The members' languages end to end: the synced commands carry their translations, and a member whose Discord
speaks Chinese is refused in Chinese, one whose Discord speaks English in English. Runs on the fake model."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import BotFactory

from .fake_discord import FakeDiscord
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
