"""The reply's language: which language a member's words are in, how much of a reply is in the one asked for, the
one more try when a reply drifts into English, and the desk's choice (pinned, the member's words, their client)."""

from __future__ import annotations

import pytest

from bot.desk import Place, RequestDesk
from bot.settings import Settings
from bot.store import Store
from models.language import LANGUAGES, chinese_variant, detect, instruction, share
from models.llm.jobs import JobQueue
from models.llm.worker import BatchingWorker
from models.tasks import SPECS, PitchInput, runner
from models.tasks.base import Prepared
from models.tasks.runner import complete_prefix
from models.text import split_sentences
from tests.fakes import ScriptedModel


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("京剧 两个人的一生 结局太悲伤 张国荣演得太好了", "zh_CN"),
        ("霸王別姬 兩個人的一生 結局太悲傷 張國榮演得太好了", "zh_TW"),
        ("Titanic 好看！Leonardo DiCaprio 太帅了", "zh_CN"),  # Latin names inside Chinese keep it Chinese
        ("千と千尋の神隠しは最高でした", "ja"),
        ("정말 좋은 영화였다 결말이 슬펐다", "ko"),
        ("La película es muy buena y el final me encantó", "es_ES"),
        ("Le film est superbe, la fin m'a bouleversé", "fr"),
        ("Der Film war toll und das Ende sehr traurig", "de"),
        ("O filme é ótimo e o final me deixou sem palavras", "pt_BR"),
        ("The first hour dragged, but that ending left me shaking.", "en"),
        ("This film, 张国荣 was great and the ending was sad", "en"),  # a Chinese name inside English
        ("Alien 1979", None),  # too little to tell: the member's client language decides
        ("ok", None),
        ("", None),
    ],
)
def test_the_language_of_a_members_words(text: str, language: str | None) -> None:
    assert detect(text) == language


def test_traditional_characters_make_it_taiwanese_chinese() -> None:
    assert chinese_variant("這部電影讓我哭了") == "zh_TW"
    assert chinese_variant("这部电影让我哭了") == "zh_CN"


def test_a_reply_that_switches_into_english_is_only_partly_in_chinese() -> None:
    mixed = "这部电影很好看。结局太悲伤了！The acting was great and I loved every single minute of it."
    assert share(mixed, "zh_CN") < 0.5
    # names in Latin letters inside Chinese sentences are not held against it
    assert share("张国荣（Leslie Cheung）演得太好了。陈凯歌的镜头很美。", "zh_CN") == 1.0
    assert share("I loved it. The ending was sad, and the acting was great.", "en") == 1.0
    assert share("I loved it. The ending was sad, and the acting was great.", "fr") < 0.5


def test_chinese_sentences_end_without_a_space() -> None:
    assert split_sentences("这部电影很好。结局太悲伤！张国荣演得「太好」了。Mr. Powell was fine.") == [
        "这部电影很好。", "结局太悲伤！", "张国荣演得「太好」了。", "Mr. Powell was fine."]
    # streaming shows whole sentences: a Chinese one is whole at its full stop
    assert complete_prefix("这部电影很好。结局太悲伤！张国") == "这部电影很好。结局太悲伤！"


def test_the_prompt_names_the_language_and_english_adds_nothing() -> None:
    assert instruction("en") == ""
    assert "Simplified Chinese (简体中文)" in instruction("zh_CN")
    assert set(LANGUAGES) >= {"en", "zh_CN", "zh_TW", "ja", "ko", "es_ES", "fr", "de", "pt_BR"}


CHINESE_PITCH = ("**Title:** 守灯人\n**Logline:** 一个守灯人守护着海底沉睡的怪物。\n"
                 "**Synopsis:** 玛拉每晚点亮灯塔。怪物在灯光下沉睡。")
ENGLISH_PITCH = ("**Title:** Night Lamp\n**Logline:** A keeper guards a light over a sleeping thing.\n"
                 "**Synopsis:** Mara keeps the lamp lit every night. The beam hums. One night it fails.")


def drifter(prompt: str) -> str:
    """English until the prompt says the last reply was not in the language asked for."""
    return CHINESE_PITCH if "Your last reply was only" in prompt else ENGLISH_PITCH


async def test_a_reply_asked_for_in_chinese_is_written_once_more_when_it_comes_back_in_english() -> None:
    model = ScriptedModel(drifter)
    queue = JobQueue()
    premise = "一个守灯人守护着海底沉睡的怪物"
    async with BatchingWorker(model, queue):
        reply = await runner.submit(queue, SPECS["pitch"], PitchInput.create(premise=premise),
                                    language="zh_CN").reply()
    assert "Write the whole reply in Simplified Chinese" in model.prompts[0]
    assert model.starts[0] == ""  # no English start is written for the model
    assert any("Your last reply was only" in prompt for prompt in model.prompts)
    assert "守灯人" in reply.text and "keeper" not in reply.text
    assert share(reply.text, "zh_CN") == 1.0


async def test_an_english_request_is_never_checked_or_told_its_language() -> None:
    model = ScriptedModel(drifter)
    queue = JobQueue()
    async with BatchingWorker(model, queue):
        await runner.submit(queue, SPECS["pitch"], PitchInput.create(premise="a keeper guards a sleeping thing"),
                            language="en").reply()
    assert not any("Write the whole reply in" in p or "Your last reply was only" in p for p in model.prompts)


async def test_the_desk_writes_in_the_pinned_language_else_the_members_words_else_their_client(tmp_path) -> None:
    from models.language import warm

    warm()  # as the bot does at start (a request never waits for it)
    async with await Store.open(tmp_path / "cinebot.sqlite3") as store:
        desk = RequestDesk(store, JobQueue(), Settings.load(env={}, env_file=None))
        job = Prepared("pitch", SPECS["pitch"], None, {"premise": "一个守灯人守护着海底沉睡的怪物"})
        english = Prepared("pitch", SPECS["pitch"], None, {"premise": "a keeper guards a sleeping thing"})
        short = Prepared("pitch", SPECS["pitch"], None, {"premise": "Alien 1979"})
        member = Place(1, guild_id=10, channel_id=20, locale="ja")
        assert await desk.language(member, job) == "zh_CN"  # the member's own words
        assert await desk.language(member, english) == "en"
        assert await desk.language(member, short) == "ja"  # too short to tell: their client's language
        await store.pin_language(10, "guild", 10, "en")
        assert await desk.language(member, job) == "en"  # a server pinned to English answers in English
        await store.pin_language(10, "channel", 20, "fr")
        assert await desk.language(member, job) == "fr"  # the channel's pin beats the server's
        assert await desk.language(Place(1, guild_id=10, channel_id=21), job) == "en"
        await store.pin_language(10, "channel", 20, None)
        await store.pin_language(10, "guild", 10, None)
        assert await desk.language(member, job) == "zh_CN"


def test_chinese_sentences_are_joined_without_the_space_english_puts_between_them() -> None:
    from models.text import tighten_cjk

    assert tighten_cjk("音乐很好听。 这部电影由 James Cameron 执导。 I liked it.") == (
        "音乐很好听。这部电影由 James Cameron 执导。 I liked it.")
    korean = "정말 좋은 영화였다. 결말이 슬펐다"
    assert tighten_cjk(korean) == korean  # Korean spaces its words


def test_a_start_written_for_the_model_is_in_the_replys_language() -> None:
    from models.language import start

    assert start("I", "zh_CN") == "我" and start("I watched Alien", "ja") == "私は" and start("I", "en") == "I"
    assert start("I", "es_ES") == ""  # no start in the Latin-script languages
    assert start("**Title:**", "zh_CN") == "**Title:**"  # a label the post-processing reads stays
    assert start("The film", "fr") == ""  # any other English start is dropped


def test_the_review_check_reads_chinese_names_leaks_and_loops(tmp_path) -> None:
    from models.film.catalog import Catalog
    from models.film.grounding import Grounding
    from models.text import tighten_cjk

    catalog = Catalog.open()
    film = catalog.resolve("Farewell My Concubine 1993").film
    assert film is not None
    notes = "京剧 两个人的一生 结局太悲伤 张国荣演得太好了"
    grounding = Grounding.for_film(catalog, film, notes, rating="5/5")
    text = ("我非常喜欢这部电影。张国荣的表演非常出色。这部电影的导演是陈凯ige，他执导了这部电影。"
            "詹姆斯·卡梅隆的镜头很美。根据我的笔记，结局很悲伤。两个人的一生让我深深感动，久久不能忘怀。"
            "两个人的一生让我深深感动，久久不能忘怀，真的。我给它5/5的评分。")
    checked = grounding.check(text)
    reasons = [r.reason for r in checked.removed]
    kept = "我非常喜欢这部电影。张国荣的表演非常出色。两个人的一生让我深深感动，久久不能忘怀。我给它5/5的评分。"
    assert tighten_cjk(checked.text) == kept
    assert any("陈凯ige" in r for r in reasons) and any("詹姆斯·卡梅隆" in r for r in reasons)
    assert "the prompt's words" in reasons and "said before" in reasons  # the notes named, and the loop
    # a name the member wrote is kept, even where the words around it run on from it
    dark = Grounding.for_film(catalog, catalog.resolve("The Dark Knight 2008").film, "小丑演得太疯了，希斯·莱杰封神")
    assert dark.check("我非常喜欢希斯·莱杰的表演。").text == "我非常喜欢希斯·莱杰的表演。"


def test_before_the_identifier_has_loaded_a_request_does_not_wait_for_it(monkeypatch) -> None:
    import models.language as language

    monkeypatch.setattr(language, "_loaded", __import__("threading").Event())  # as if nothing had loaded it yet
    monkeypatch.setattr(language, "_classify", lambda text: (_ for _ in ()).throw(AssertionError("waited")))
    assert detect("La película es muy buena y el final me encantó", wait=False) is None  # the client decides
    assert detect("京剧 两个人的一生 结局太悲伤", wait=False) == "zh_CN"  # scripts need no model


async def test_a_part_written_on_its_own_starts_in_the_replys_language_and_joins_without_a_space() -> None:
    from models.tasks.base import Assessment, TaskSpec

    def answer(prompt: str) -> str:
        return "我给它四分，评分很高。" if "Say the rating." in prompt else "我喜欢这部电影。"

    spec = TaskSpec(
        "t", 40, build_messages=lambda inp: [{"role": "system", "content": "Write."}, {"role": "user", "content": "u"}],
        postprocess=lambda text, inp: text,
        assess=lambda text, raw, inp: Assessment("评分" in text, 1.0 if "评分" in text else 0.0, "no rating"),
        firmer=lambda inp, assessment: ("\n\nMind the rating.", "I"),
        gaps=lambda text, inp: [] if "评分" in text else [("\n\nSay the rating.", "Overall, I give it")],
        fill=lambda text, texts, inp: f"{text} {texts[0]}")
    model = ScriptedModel(answer)
    queue = JobQueue()
    async with BatchingWorker(model, queue):
        reply = await runner.submit(queue, spec, None, language="zh_CN").reply()
    assert reply.text == "我喜欢这部电影。我给它四分，评分很高。"
    assert "Overall, I give it" not in model.starts  # the English start of the part is not written for the model

    # a part that comes back in English (the note copied: "我 verdict, 5/5 (I loved it).") is left out
    english = ScriptedModel(lambda prompt: "我 verdict, 评分 5/5 (I loved it)." if "Say the rating." in prompt
                            else "我喜欢这部电影。")
    queue = JobQueue()
    async with BatchingWorker(english, queue):
        reply = await runner.submit(queue, spec, None, language="zh_CN").reply()
    assert reply.text == "我喜欢这部电影。"


async def test_a_chinese_review_is_told_the_films_chinese_title_and_an_english_one_is_not() -> None:
    from bot.services.review import ReviewService
    from models.film.catalog import Catalog

    service = ReviewService(Catalog.open(), None)
    job = service.prepare(film="Farewell My Concubine 1993", notes="京剧 两个人的一生 结局太悲伤", rating=5)
    prompts = {}
    for language in ("zh_CN", "zh_TW", "en"):
        model = ScriptedModel(lambda prompt: "我非常喜欢这部电影。")
        queue = JobQueue()
        async with BatchingWorker(model, queue):
            await runner.submit(queue, job.spec, job.inp, language=language).reply()
        prompts[language] = model.prompts[0]
    assert "In this language the film is called 霸王别姬: call it that." in prompts["zh_CN"]
    assert "In this language the film is called 霸王別姬: call it that." in prompts["zh_TW"]
    assert "In this language" not in prompts["en"]
    alien = service.prepare(film="Alien 1979", notes="太吓人了", rating=5)  # its Chinese titles are its sequels'
    assert alien.inp.grounding.title_in("zh_CN") is None


def test_a_chinese_reviews_points_are_read_by_pairs_of_characters_and_an_emptied_one_is_written_again() -> None:
    from bot.services.review import ReviewService
    from models.film.catalog import Catalog
    from models.tasks.review import coverage, fill, gaps

    notes = "画面颜色太美了，故事有点空，打斗像跳舞"
    share, left = coverage("画面的颜色太美了，打斗像在跳舞。", notes)
    assert left == ["故事有点空"] and round(share, 2) == 0.67
    job = ReviewService(Catalog.open(), None).prepare(film="Hero 2002", notes=notes, rating=3)
    asked = gaps("", job.inp)  # the checks left nothing: every point asked on its own, and the rating
    assert [note.split('"')[1] for note, _ in asked[:3]] == notes.split("，") and "3/5" in asked[-1][0]
    written = ["我觉得画面颜色太美了。", "故事有点空。", "打斗像跳舞一样好看。", "我给它打3/5分。"]
    whole = fill("", written, job.inp)
    assert "画面颜色太美了" in whole and "打斗像跳舞" in whole and "3/5" in whole


def test_a_point_of_chinese_notes_said_again_goes_and_the_rest_of_its_sentence_stays() -> None:
    from models.tasks.review import points_once

    notes = "童年回忆，音乐好听，辛巴爸爸死的时候哭了"
    text = ("我非常喜欢这部电影。这部电影的音乐很好听，辛巴爸爸死的时候哭了。我给它5/5的评分。"
            "童年回忆让我深深感动，音乐非常动听，辛巴爸爸去世时，我哭了。")
    once = points_once(text, notes)
    assert once.count("音乐") == 1 and once.count("辛巴") == 1  # the music and Simba's father, said once each
    assert "童年回忆让我深深感动" in once and "5/5" in once  # the new point and the verdict stay
    assert points_once("这部电影的特效真的牛。特效真的牛。", "特效真的牛") == "这部电影的特效真的牛。"
    english = "The music was great. The music was great, again."
    assert points_once(english, "music great") == english  # English repeats are the grounding's


def test_a_title_the_model_translated_is_written_as_the_catalog_spells_it_and_a_wrong_one_goes() -> None:
    from bot.services.review import ReviewService
    from models.film.catalog import Catalog

    service = ReviewService(Catalog.open(), None)
    eat = service.prepare(film="Eat Drink Man Woman 1994", notes="做菜的镜头看饿了，家庭关系很真实", rating=4)
    assert eat.inp.grounding.check("我看了《吃喝男人女人》，做菜的镜头看饿了。").text == (
        "我看了《Eat Drink Man Woman》，做菜的镜头看饿了。")
    alien = service.prepare(film="Alien 1979", notes="太吓人了", rating=5)
    assert alien.inp.grounding.check("我看了《阿凡达》，太吓人了。").text == ""
    # the rating rule said back ("Say the rating once"), as E.T.'s review ended in bench/languages.py
    et = service.prepare(film="E.T. the Extra-Terrestrial 1982", notes="自行车飞起来那幕很经典，有点幼稚", rating=3)
    assert et.inp.grounding.check("自行车飞起来那幕很经典，有点幼稚。我只说一次评分，因为3/5。").text == (
        "自行车飞起来那幕很经典，有点幼稚。")
    assert et.inp.grounding.check("这部电影的评分是3/5，混合了好的和坏的。").text == ""  # the verdict's English
    matrix = service.prepare(film="The Matrix 1999", notes="子弹时间太酷了，概念很超前，续集就不说了", rating=4.5)
    said = "我非常喜欢子弹时间。虽然续集没有提及，但我非常爱它。"  # the bench's output: "not mentioned"
    assert matrix.inp.grounding.check(said).text == "我非常喜欢子弹时间。"


def test_a_chinese_point_said_in_other_words_counts_by_the_pairs_that_carry_it() -> None:
    from models.tasks.review import coverage

    notes = "色调很好看，很可爱很治愈，女主太迷人了"
    assert coverage("女主角非常迷人，很可爱和治愈。", notes)[1] == ["色调很好看"]  # 女主 and 迷人: the point said
    assert coverage("我非常喜欢这部电影，太好了。", notes)[1] == notes.split("，")  # everyday pairs say nothing
