"""Issue 22, the member's language: /cinebot's answers, the /mood card and chart, the /recommend card and its mood
words, and the bold labels of /pitch and /scene come out in the request's language (English unchanged)."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import pytest
import regex
from PIL import Image

from bot.i18n import LABEL, SHIPPED, catalog, labels_in, t
from bot.learning import Standing
from bot.services.mood import CHART_MESSAGES, chart_labels, emotion_names, verdict
from bot.store import CommandRule
from cogs.admin import feedback_line, language_line, learned_line, rule_lines, status_line
from cogs.mood import emotion_scores, read_note_for, report_embed
from cogs.recommend import reason_in, recommendation_embed
from models.film import mood_words
from models.film.catalog import Film
from models.film.recommend import MOODS, Mood, Part, Recommendation, mood_name, parse_mood
from models.llm.protocol import BackendStatus
from models.mood.report import CHART_FONTS, EMOTIONS, Scored, build_report, chart_font, chart_png
from models.tasks import pitch, scene
from models.tasks.runner import relabel
from models.tasks.variants import variants_for
from tests.unit.test_mood_report import FakeScore

# an English sentence: three Latin words in a row (names, "/cinebot" and figures are not)
ENGLISH_WORDS = regex.compile(r"\b[A-Za-z]{2,}(?:\s+[A-Za-z]{2,}){2,}\b")
START = datetime(2024, 5, 1, 20, 0, tzinfo=UTC)


def english_in(text: str) -> list[str]:
    return ENGLISH_WORDS.findall(text)


# -- /cinebot -------------------------------------------------------------------------------------------------------


def test_cinebot_show_lines_are_in_chinese_and_english_is_unchanged() -> None:
    rules = [CommandRule("review", "channel", 7, False), CommandRule("review", "category", 9, True)]
    standings = [Standing(variant=variants_for("review")[0], liked=3, disliked=1),
                 Standing(variant=variants_for("review")[1], liked=0, disliked=4, retired=True)]
    status = BackendStatus("llamacpp", "qwen2.5-0.5b", reachable=False)
    pins = {("guild", 1): "ja", ("channel", 5): "en"}
    chinese = [*rule_lines("review", rules, "zh_CN"), feedback_line({"jobs": 3, "up": 2, "down": 1}, "zh_CN"),
               feedback_line(None, "zh_CN"), learned_line(standings, "zh_CN"), learned_line([], "zh_CN"),
               status_line(status, "zh_CN"), language_line(pins, "zh_CN"), language_line({}, "zh_CN")]
    for line in chinese:
        assert english_in(line) == [], line
    assert rule_lines("review", rules, "zh_CN")[0] == "⛔ 在 <#7> 关闭"
    # English: byte for byte what /cinebot always said
    assert rule_lines("review", rules) == ["⛔ off in <#7>", "✅ on in the channels in <#9>"]
    assert feedback_line({"jobs": 1, "up": 1, "down": 0}) == "**Feedback:** 1 reply · 👍 1 · 👎 0"
    assert status_line(status) == status.line()
    assert language_line(pins) == "日本語 server-wide · English in <#5>"
    assert learned_line(standings).startswith("**Learned** (8 rated replies; best first): ")


async def test_every_cinebot_answer_is_in_the_moderators_language(monkeypatch: pytest.MonkeyPatch) -> None:
    """/cinebot's subcommands run on a real Interaction-like object: what a zh-CN moderator is sent has no English
    sentence, and an en-US moderator's is the English of before."""
    from cogs import admin

    sent: list[tuple[str | None, list[discord.Embed]]] = []

    class Desk:
        async def set_command_scope(self, *args: Any, **kwargs: Any) -> None: ...
        async def clear_command_scope(self, *args: Any) -> bool: return True
        async def set_cooldown(self, *args: Any) -> None: ...
        async def set_mood_cap(self, *args: Any) -> None: ...
        async def pin_language(self, *args: Any) -> None: ...
        async def forget_learning(self, *args: Any) -> None: ...
        async def language_pins(self, guild_id: int) -> dict[tuple[str, int], str]: return {("guild", 1): "ja"}
        async def feedback_summary(self, guild_id: int) -> dict[str, dict[str, int]]:
            return {"review": {"jobs": 2, "up": 1, "down": 1}}
        async def standings(self, guild_id: int, command: str) -> list[Standing]: return []

        async def guild_settings(self, guild_id: int) -> Any:
            @dataclass
            class Settings:
                rules: list[CommandRule] = field(default_factory=lambda: [CommandRule("review", "channel", 7, False)])
                cooldowns: dict[str, int] = field(default_factory=lambda: {"review": 30})
                mood_cap: int = 100
            return Settings()

    class Engine:
        async def status(self) -> BackendStatus: return BackendStatus("llamacpp", "m", reachable=True)

    class Bot:
        desk, engine = Desk(), Engine()

    class Response:
        def is_done(self) -> bool: return False
        async def send_message(self, content: str | None, *, embeds: list[discord.Embed], **_: Any) -> None:
            sent.append((content, embeds))

    class Guild:
        id, name = 1, "Cinephiles"

    def interaction(locale: str, name: str = "enable") -> Any:
        class Interaction:
            guild, guild_id, response = Guild(), 1, Response()
            locale_value = locale
            command = type("Command", (), {"name": name})()
            user = type("User", (), {"id": 3})()
        it = Interaction()
        it.locale = discord.Locale(locale)  # type: ignore[attr-defined]
        it.guild_locale = None  # type: ignore[attr-defined]
        return it

    cog = admin.Admin(Bot())  # type: ignore[arg-type]

    async def every_answer(locale: str) -> list[str]:
        sent.clear()
        await cog.enable.callback(cog, interaction(locale), "review")  # type: ignore[arg-type]
        await cog.reset.callback(cog, interaction(locale, "reset"), "review")  # type: ignore[arg-type]
        await cog.reset.callback(cog, interaction(locale, "reset"), "review", learned=True)  # type: ignore[arg-type]
        await cog.cooldown.callback(cog, interaction(locale), "review", 0)  # type: ignore[arg-type]
        await cog.cooldown.callback(cog, interaction(locale), "review", 45)  # type: ignore[arg-type]
        await cog.cooldown.callback(cog, interaction(locale), "nosuch", 45)  # type: ignore[arg-type]
        await cog.moodcap.callback(cog, interaction(locale), 50)  # type: ignore[arg-type]
        await cog.language.callback(cog, interaction(locale), "ja")  # type: ignore[arg-type]
        await cog.language.callback(cog, interaction(locale), "members")  # type: ignore[arg-type]
        await cog.show.callback(cog, interaction(locale))  # type: ignore[arg-type]
        texts = []
        for content, embeds in sent:
            texts.append(content or "")
            for embed in embeds:
                texts += [embed.title or "", embed.description or ""]
                texts += [f"{f.name}\n{f.value}" for f in embed.fields]
        return texts

    chinese = await every_answer("zh-CN")
    assert len(chinese) >= 10
    for text in chinese:
        assert english_in(text.replace("Cinephiles", "")) == [], text
    assert "完成：/影评 现已在 整个服务器 **开启**。" in chinese[0]
    assert any("日语" in text for text in chinese)  # the pinned language named in the moderator's language
    english = await every_answer("en-US")
    assert english[0].startswith("Done: /review is now **on** in the whole server.")
    assert "Done: /mood now reads at most 50 recent messages of a channel or thread." in english
    assert "Done: replies in the whole server are now written in **日本語** (Japanese), whatever language a member " \
           "writes in." in english
    assert "cinebot settings for Cinephiles" in english
    assert "I don't have a /nosuch command. Pick one of the choices." in english


# -- /mood ----------------------------------------------------------------------------------------------------------




def a_discussion(spread: timedelta = timedelta(minutes=1)) -> list[Scored]:
    """Twelve messages, every emotion detected somewhere, warming up over `spread` a message."""
    out = []
    for i in range(12):
        positive = 0.1 + 0.07 * i
        label = "positive" if positive >= 0.7 else "negative" if positive <= 0.3 else "mixed"
        emotion = EMOTIONS[i % len(EMOTIONS)]
        score = FakeScore(positive, label, max(positive, 1 - positive), {e: 0.1 for e in EMOTIONS}, (emotion,))
        out.append(Scored(1000 + i, f"https://discord.com/channels/1/2/{1000 + i}", f"member{i}", START + i * spread,
                          f"message {i}", score))  # type: ignore[arg-type]
    return out


@pytest.mark.parametrize("locale", sorted(CHART_FONTS))
def test_a_cjk_chart_draws_every_label_with_no_missing_glyph(locale: str) -> None:
    for spread in (timedelta(minutes=1), timedelta(hours=9), timedelta(days=20), timedelta(days=90)):
        report = build_report(a_discussion(spread))
        for trend in ("warmed up", "cooled", "steady"):  # each trend word in the title
            labels = chart_labels(type(report)(**{**report.__dict__, "trend_word": trend}), locale)
            assert labels.font == chart_font(locale) and labels.font is not None and labels.font.exists()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                png = chart_png(report, labels)
            missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
            assert missing == [], missing
            assert Image.open(io.BytesIO(png)).size == (800, 400)
    assert labels.mix_title == t("Emotions (share of messages)", locale) and "Emotions" not in labels.mix_title


def test_without_the_cjk_font_a_chinese_chart_would_be_boxes() -> None:
    """The check above can fail: the same Chinese words in matplotlib's own font warn of missing glyphs."""
    report = build_report(a_discussion())
    labels = chart_labels(report, "zh_CN")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        chart_png(report, type(labels)(**{**labels.__dict__, "font": None}))
    assert any("missing from font" in str(w.message) for w in caught)


def test_the_chart_fonts_hold_every_chart_character_of_their_catalog() -> None:
    from fontTools.ttLib import TTFont

    for locale, _ in CHART_FONTS.items():
        path = chart_font(locale)
        assert path is not None and path.stat().st_size < 200_000  # a subset, not the 19 MB collection
        cmap = TTFont(str(path)).getBestCmap()
        text = "".join(str(catalog(locale).get(m).string) for m in CHART_MESSAGES)  # type: ignore[union-attr]
        assert {c for c in text if ord(c) not in cmap and not c.isspace() and c not in "{}"} == set(), locale


def test_latin_locales_chart_in_the_default_font_and_english_is_unchanged() -> None:
    report = build_report(a_discussion())
    assert chart_png(report) == chart_png(report, chart_labels(report, "en"))
    french = chart_labels(report, "fr")
    assert french.font is None and french.emotions["joy"] == "joie" and french.numeric_dates


def test_the_mood_card_is_in_chinese_with_no_english_sentence() -> None:
    report = build_report(a_discussion())
    note = read_note_for(report.count, 40, "<#5>", "", "zh_CN")
    embed = report_embed(report, title="《异形》", summary="大家都喜欢。", read_note=note, footer="x", locale="zh_CN")
    shown = "\n".join([embed.description or "", *(f"{f.name}\n{f.value}" for f in embed.fields)])
    assert english_in(shown.replace("member", "")) == [], shown
    names = [f.name for f in embed.fields]
    assert names == ["情感倾向", "情绪（占消息的比例）", "走势", "最正面", "最负面"]
    assert "正面" in embed.fields[0].value and "message by" not in shown
    score = FakeScore(0.9, "positive", 0.93, {"joy": 0.8, "fear": 0.1}, ("joy",))
    assert emotion_scores(score, "ja") == "**喜び 80%** · 恐れ 10%"
    assert verdict(score, "zh_CN") == "正面 93%"  # type: ignore[arg-type]
    assert verdict(score) == "positive 93%"  # type: ignore[arg-type]
    english = report_embed(report, title="t", summary="s", read_note="n", footer="f")
    assert [f.name for f in english.fields] == ["Sentiment", "Emotions (share of messages)", "Trend",
                                               "Most positive", "Most negative"]
    assert read_note_for(1, 40, "<#5>", "Alien (1979)") == ("Read 1 message from members that mention Alien (1979) "
                                                             "among the last 40 in <#5>.")
    assert set(emotion_names("ko").values()) == {"분노", "혐오", "두려움", "기쁨", "슬픔", "놀람"}


# -- /recommend -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "english"), [
    ("轻松", "light"), ("輕鬆", "light"), ("温馨又搞笑的电影", "cozy funny"), ("不要恐怖片", "not horror"),
    ("ほっこり", "cozy"), ("泣ける映画", "sad"), ("무서운 영화", "scary"), ("안 무서운", "not scary"),
    ("algo acogedor, sin terror", "cozy not horror"), ("pas trop triste", "not sad"), ("gemütlich und lustig",
    "cozy funny"), ("nicht gruselig", "not scary"), ("comédia romântica", "romcom"), ("ciencia ficción", "sci-fi"),
])
def test_mood_words_in_the_members_languages_read_as_the_english_ones(typed: str, english: str) -> None:
    mood, wanted = parse_mood(typed), parse_mood(english)
    assert mood.prefs == wanted.prefs and mood.terms == wanted.terms and mood.unknown == (), (typed, mood)


def test_every_mood_word_means_a_known_term_and_no_english_word_changes_meaning() -> None:
    for locale, words in mood_words.WORDS.items():
        assert set(words.values()) <= set(MOODS), locale
        # every term has a name in every locale, so a card never mixes in an English mood word
        assert set(MOODS) <= set(words.values()), (locale, set(MOODS) - set(words.values()))
    for word, english in (("cozy", "cozy"), ("suspense", "tense"), ("romance", "romance"), ("noir", "dark")):
        assert parse_mood(word).terms == parse_mood(english).terms
    assert parse_mood("Something COSY, not too scary").terms == ("cozy", "not scary")  # English as before
    assert mood_name("sci fi", "zh_CN") == "科幻" and mood_name("sci fi") == "sci-fi"
    assert parse_mood("不要恐怖片").label("zh_CN") == "不要恐怖片" and parse_mood("sin terror").label() == "not horror"


def film(title: str, year: int, genres: tuple[str, ...] = ("Comedy", "Family")) -> Film:
    return Film(id=len(title) * year, title=title, year=year, genres=genres, directors=("Hayao Miyazaki",),
                metacritic=80)


def test_the_recommend_card_is_in_the_members_language() -> None:
    liked = film("Spirited Away", 2001)
    picks = [Recommendation(film("My Neighbor Totoro", 1988), 1.0, "Also directed by Hayao Miyazaki; fits a light "
                            "mood (comedy, family)", (Part("directed", ("Hayao Miyazaki",)),
                                                      Part("fits", ("Comedy", "Family"), mood=("light", False)))),
             Recommendation(film("Paddington", 2014), 0.9, "Critics loved it (Metacritic 89)",
                            (Part("metacritic", number=89),))]
    mood = parse_mood("轻松")
    embed = recommendation_embed(liked, mood, picks, "zh_CN")
    assert embed.title == "因为你喜欢《Spirited Away (2001)》，适合「轻松」心情"
    assert "同样由Hayao Miyazaki执导；适合「轻松」的心情（喜剧和家庭）" in (embed.description or "")
    assert english_in((embed.description or "").replace("Hayao Miyazaki", "").replace("My Neighbor Totoro", "")) == []
    assert embed.footer.text == "来自电影目录（Wikidata，CC0）"
    assert reason_in(picks[1], "de") == "Von der Kritik gefeiert (Metacritic 89)"
    english = recommendation_embed(liked, parse_mood("light"), picks)
    assert english.title == "Because you liked Spirited Away (2001), for a light mood"
    assert "— Also directed by Hayao Miyazaki; fits a light mood (comedy, family)" in (english.description or "")
    unknown = recommendation_embed(None, Mood("blorf", unknown=("blorf",)), [], "ja")
    assert unknown.title == "評価の高いおすすめ映画" and "blorf" in (unknown.footer.text or "")


# -- /pitch and /scene labels ---------------------------------------------------------------------------------------


def test_every_task_label_is_in_every_catalog() -> None:
    for spec in (pitch.SPEC, scene.SPEC):
        assert spec.labels
        for locale in SHIPPED:
            assert set(labels_in(spec.labels, locale)) | {f"**{x}:**" for x in spec.labels
                                                          if catalog(locale).get(f"**{x}:**", context=LABEL)} \
                == {f"**{x}:**" for x in spec.labels}, locale


def test_labels_are_shown_in_the_replys_language_and_never_doubled() -> None:
    chinese = labels_in(pitch.LABELS, "zh_CN")
    assert chinese == {"**Title:**": "**片名：**", "**Logline:**": "**一句话梗概：**",
                       "**Synopsis:**": "**故事梗概：**"}
    written = "**Title:** 星际归途\n**Logline:** 一名宇航员必须回家。\n**Synopsis:** 故事从一次事故开始。"
    assert relabel(written, chinese) == ("**片名：** 星际归途\n**一句话梗概：** 一名宇航员必须回家。\n"
                                         "**故事梗概：** 故事从一次事故开始。")
    doubled = "**Title:** 片名：星际归途\n**Logline:** **一句话梗概：** 一名宇航员必须回家。"
    assert relabel(doubled, chinese) == "**片名：** 星际归途\n**一句话梗概：** 一名宇航员必须回家。"
    already = "**片名：** 星际归途"
    assert relabel(already, chinese) == already
    assert relabel("The **Title:** inside a line stays.", chinese) == "The **Title:** inside a line stays."
    assert labels_in(scene.SECTIONS, "en") == {}
    french = labels_in(scene.SECTIONS, "fr")
    assert relabel("**Camera:** Plan large.", french) == "**Caméra :** Plan large."
