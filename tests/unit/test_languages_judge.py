"""The Chinese judge of bench/languages.py: its story and opinion rules, calibrated by hand on labelled sentences.

Each case is one sentence of a Chinese /review reply, with the member's notes and rating from
bench/zh_review_cases.tsv and the film's catalog facts, plot line and Chinese titles as the bench hands them over
(read from the shipped catalog through `models.film.catalog`). The sentences are the real outputs the README quotes
and sentences written for this test in the bot's manner; each label is a reader's judgement of what the rule is
meant to catch, not what the judge does: the cases it gets wrong are listed in `MISSES` with why, so a change that
mends or breaks one shows here. No language model."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bench.languages import Case, Written, cedict, problems, story_and_opinion
from models.film.catalog import Catalog, Film


@dataclass(frozen=True)
class Labelled:
    key: str
    film: str  # as in the cases file
    notes: str
    rating: float
    scale: int
    text: str
    label: frozenset[str]  # the checks a reader says this sentence fails: story, opinion
    plot: str | None = None  # a plot line written for the case (None: the catalog's own)


def _l(key: str, film: str, notes: str, rating: float, scale: int, text: str, *label: str,
       plot: str | None = None) -> Labelled:
    return Labelled(key, film, notes, rating, scale, text, frozenset(label), plot)


FAREWELL = "京剧 两个人的一生 结局太悲伤 张国荣演得太好了"
GUMP = "很温暖 跑步那段很经典 有点煽情"
LION = "童年回忆，音乐好听，辛巴爸爸死的时候哭了"
TITANIC = "爱情故事很感人，但是太长了，音乐很好听"
DARK = "小丑演得太疯了，希斯·莱杰封神，后半段有点拖"
SHAWSHANK = "希望的力量，结尾越狱那段看得我热血沸腾，摩根·弗里曼的旁白很棒"

CASES = [
    # -- the README's real outputs (bench/languages.py --reviews 24 at 875af88) ------------------------------------
    _l("gump_centuries", "Forrest Gump 1994", GUMP, 4, 5, "他在20世纪的美国度过了几个世纪。", "story"),
    _l("lion_garbled", "The Lion King 1994", LION, 5, 5, "辛巴爸爸在辛巴去世时，我哭得很伤心。", "story"),
    _l("direction_unasked", "Forrest Gump 1994", GUMP, 4, 5, "这部电影的导演和编剧都非常出色。", "opinion"),
    _l("titanic_good", "Titanic 1997", TITANIC, 4, 5,
       "我看了《泰坦尼克号》（1997），这是一个感人至深的爱情故事，但太长了，音乐很好听。"),
    # -- Farewell My Concubine: the notes' points said back, and a premise --------------------------------------
    _l("farewell_points", "Farewell My Concubine 1993", FAREWELL, 5, 5, "张国荣的表演太好了，结局让我很悲伤。"),
    # the catalog has no plot line for it: "half a century" and "love and hate" come from nowhere the bot was given
    # (true of the film, but invented for the review: the rule is about what the sources hold)
    _l("farewell_premise_no_plot", "Farewell My Concubine 1993", FAREWELL, 5, 5,
       "这部电影讲述了两位京剧演员跨越半个世纪的爱恨情仇。", "story"),
    # with a plot line that says it all, the same premise is the plot line retold
    _l("farewell_premise_plot", "Farewell My Concubine 1993", FAREWELL, 5, 5,
       "这部电影讲述了两位京剧演员跨越半个世纪的爱恨情仇。",
       plot="The film follows two Peking opera actors across half a century of love, hate and political turmoil "
            "in China."),
    # with a plot line about the two actors and no span of time, the half century is still the review's own
    _l("farewell_premise_short_plot", "Farewell My Concubine 1993", FAREWELL, 5, 5,
       "这部电影讲述了两位京剧演员跨越半个世纪的爱恨情仇。", "story",
       plot="The film follows two Peking opera actors and their lifelong rivalry and love in 20th-century China."),
    # -- stories the sources do not hold ------------------------------------------------------------------------
    _l("titanic_jack", "Titanic 1997", TITANIC, 4, 5, "杰克为了救露丝，最后冻死在冰冷的海水里。", "story"),
    _l("jaws_ending", "Jaws 1975", "鲨鱼都没怎么出现但是很吓人，配乐一响就紧张", 4, 5,
       "最后布罗迪警长用氧气瓶炸死了鲨鱼。", "story"),
    _l("inception_home", "Inception 2010", "梦境套梦境有点烧脑，配乐震撼，结尾陀螺到底倒没倒", 9, 10,
       "主人公柯布带领团队潜入别人的梦境，最后终于回到了孩子们身边。", "story"),
    _l("interstellar_wormhole", "Interstellar 2014", "父女感情哭死我了，科学部分看不太懂，管风琴配乐太棒", 5, 5,
       "库珀为了拯救人类，告别了女儿，穿越虫洞去寻找新的家园。", "story"),
    _l("godfather_restaurant", "The Godfather 1972", "节奏慢但是很有味道，马龙·白兰度气场强，家族戏写得好", 5, 5,
       "迈克尔在餐厅里枪杀了警长和索洛佐，从此走上了黑帮之路。", "story"),
    _l("psycho_twist", "Psycho 1960", "浴室那场戏太经典，结尾反转吓到我了", 5, 5,
       "玛丽安在汽车旅馆的浴室里被杀害，原来凶手一直扮成自己的母亲。", "story"),
    _l("shawshank_tunnel", "The Shawshank Redemption 1994", SHAWSHANK, 5, 5,
       "安迪用一把小锤子在牢房的墙上挖了二十年。", "story"),
    # -- stories the sources do hold: the plot line or the notes retold -------------------------------------------
    _l("schindler_plot", "Schindler's List 1993", "黑白画面很压抑，红衣小女孩那段忘不了，看完很沉重", 5, 5,
       "电影讲述了德国商人辛德勒在二战期间雇佣犹太难民在他的工厂里工作，拯救了一千多人。"),
    _l("taxi_plot", "Taxi Driver 1976", "孤独感很强，德尼罗演得吓人，结尾有点看不懂", 4, 5,
       "这部电影讲述了越战老兵特拉维斯在纽约当出租车司机的故事。"),
    _l("dark_plot", "The Dark Knight 2008", DARK, 9, 10,
       "小丑抢劫了黑帮的银行，蝙蝠侠、哈维·登特和戈登联手打击犯罪。"),
    _l("alien_plot", "Alien 1979", "飞船又脏又暗，紧张感拉满，异形设计很恶心", 4, 5,
       "故事讲的是诺斯特罗莫号的船员在一颗星球上发现了一艘废弃的飞船，并遭遇了致命的外星生物。"),
    _l("shawshank_scene", "The Shawshank Redemption 1994", SHAWSHANK, 5, 5,
       "结尾越狱的那段看得我热血沸腾，摩根·弗里曼的旁白也很棒。"),
    _l("gump_running", "Forrest Gump 1994", GUMP, 4, 5, "阿甘跑步的那段非常经典，很温暖。"),
    # -- opinions the notes never gave --------------------------------------------------------------------------
    _l("avatar_direction", "Avatar 2009", "特效真的牛，剧情很老套，就是风中奇缘换皮", 3, 5,
       "詹姆斯·卡梅隆的导演非常出色，画面也很精美。", "opinion"),
    _l("jurassic_acting", "Jurassic Park 1993", "恐龙出场那一刻太震撼了，小孩子有点吵", 4, 5,
       "演员们的表演都很自然，配乐也非常动听。", "opinion"),
    _l("gladiator_drags", "Gladiator 2000", "打斗很燃，罗素·克劳很有气势，配乐好听", 4, 5,
       "罗素·克劳很有气势，配乐也很好听，但剧情有些拖沓。", "opinion"),
    _l("schindler_slow", "Schindler's List 1993", "黑白画面很压抑，红衣小女孩那段忘不了，看完很沉重", 5, 5,
       "黑白画面非常压抑，但是节奏有点慢。", "opinion"),
    _l("dark_nolan", "The Dark Knight 2008", DARK, 9, 10, "克里斯托弗·诺兰的执导非常出色。", "opinion"),
    _l("pearl_praise", "Pearl Harbor 2001", "三角恋很无聊，偷袭那段还行，太长了", 2, 5,
       "三角恋很无聊，不过演员们的演技非常精湛。", "opinion"),
    _l("catwoman_praise", "Catwoman 2004", "剧情很烂，特效很假，浪费了女主", 1, 5,
       "剧情很烂，特效很假，但整体来说还是一部精彩的娱乐片。", "opinion"),
    _l("room_ending", "The Room 2003", "烂得好笑，台词莫名其妙，适合和朋友一起吐槽", 1, 5,
       "台词莫名其妙，结局更是让人失望。", "opinion"),
    # -- opinions the notes did give, and verdicts --------------------------------------------------------------
    _l("dark_points", "The Dark Knight 2008", DARK, 9, 10,
       "希斯·莱杰饰演的小丑太疯狂了，后半段节奏有点拖沓。"),
    _l("gump_verdict", "Forrest Gump 1994", GUMP, 4, 5, "我很喜欢这部电影，强烈推荐。"),
    _l("casablanca_points", "Casablanca 1942", "经典台词多，黑白片但是不无聊，结局很有味道", 4, 5,
       "经典台词很多，黑白片一点也不无聊，结局很有味道。"),
    _l("pulp_points", "Pulp Fiction 1994", "对话很有意思，叙事乱序，暴力有点多", 4, 5,
       "对白非常有意思，打乱顺序的叙事很有新意，只是暴力场面有点多。"),
    _l("lambs_points", "The Silence of the Lambs 1991", "安东尼·霍普金斯太可怕了，对话戏张力十足", 5, 5,
       "安东尼·霍普金斯的演技令人毛骨悚然，对话戏张力十足。"),
    _l("godfather_points", "The Godfather 1972", "节奏慢但是很有味道，马龙·白兰度气场强，家族戏写得好", 5, 5,
       "马龙·白兰度的表演气场十足，家族戏写得很好，节奏虽慢却很有味道。"),
    _l("batman_verdict", "Batman & Robin 1997", "太烂了，台词尴尬，冰冻人的冷笑话受不了", 1, 5,
       "这是一部让人失望的电影，台词非常尴尬。"),
]

# The labelled cases this judge gets wrong, and why (the precision and recall below count them).
MISSES = {
    # a false relation of true words: Simba's father died, and the notes say so; every word is held
    "lion_garbled": "missed",
    # 精彩 of a film at 1/5: flagged as praise at a low rating (right); the notes' 剧情 makes the clause's aspect
    # mentioned, so only the rating rule flags it
}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.open()


def written(catalog: Catalog, case: Labelled) -> Written:
    film = catalog.resolve(case.film).film
    story = catalog.story(film) if film is not None else None
    plot = case.plot if case.plot is not None else (story.plot if story is not None else "")
    titles = tuple(t.title for t in catalog.local_titles(film) if t.lang.startswith("zh")) if film else ()
    return Written(Case(case.film, case.notes, case.rating, case.scale), case.text, (), 0.0, film, plot, titles)


def checks(catalog: Catalog, case: Labelled) -> frozenset[str]:
    return frozenset(f.check for f in story_and_opinion(written(catalog, case)))


@pytest.mark.parametrize("case", CASES, ids=[c.key for c in CASES])
def test_labelled(catalog: Catalog, case: Labelled) -> None:
    found = checks(catalog, case)
    if case.key in MISSES:
        assert found != case.label, f"{case.key} is listed as a miss but is now judged right: take it off MISSES"
    else:
        assert found == case.label, [str(f) for f in story_and_opinion(written(catalog, case))]


def test_precision_and_recall(catalog: Catalog) -> None:
    """Per check over the labelled set: at least 0.8 each (the figures the report quotes)."""
    assert len(CASES) >= 25
    for check in ("story", "opinion"):
        tp = sum(check in c.label and check in checks(catalog, c) for c in CASES)
        fp = sum(check not in c.label and check in checks(catalog, c) for c in CASES)
        fn = sum(check in c.label and check not in checks(catalog, c) for c in CASES)
        precision, recall = tp / max(1, tp + fp), tp / max(1, tp + fn)
        print(f"{check}: precision {precision:.2f} ({tp}/{tp + fp}) recall {recall:.2f} ({tp}/{tp + fn})")
        assert precision >= 0.8 and recall >= 0.8, (check, precision, recall)


def test_flags_reach_problems_with_reason_and_sentence(catalog: Catalog) -> None:
    case = next(c for c in CASES if c.key == "direction_unasked")
    text = f"{case.text}我很喜欢这部电影。"
    found = problems(Written(Case(case.film, case.notes, case.rating, case.scale), text, (), 0.0,
                             catalog.resolve(case.film).film))
    assert found[0] == ("opinion: judges the dialogue, direction (出色), which the notes never mention "
                        "「这部电影的导演和编剧都非常出色。」")
    assert found[1:] == ["the notes' points lost: 0 of 3 kept"]  # it says none of them


def test_the_old_rules_are_unchanged() -> None:
    """A reply the old rules flag keeps their wording, first, and one they pass stays clean when nothing else is."""
    case = Case("Titanic 1997", TITANIC, 4, 5)
    assert problems(Written(case, "This is a great film. 8/10", ("Titanic",), 0.0))[:2] == [
        "only 0% Chinese", "another score: [(8.0, 10)]"]
    assert problems(Written(case, "这是一个感人的爱情故事，音乐很好听。", ("Titanic",), 0.0)) == []


def test_segmenter_is_cedict_longest_match() -> None:
    words = cedict().segment("黑白片但是不无聊，张国荣的表演太好了")
    assert "无聊" in words and "张国荣" in words and "表演" in words
    assert cedict().segment("摩根·弗里曼的旁白")[0] == "摩根·弗里曼"


def test_judge_imports_nothing_of_the_bot_checks() -> None:
    source = (__import__("pathlib").Path(__file__).resolve().parents[2] / "bench" / "languages.py").read_text()
    for banned in ("fidelity", "grounding", "models.language", "models.tasks", "jieba"):
        assert f"import {banned}" not in source and f"from {banned}" not in source
        assert not any(line.startswith(("import", "from")) and banned in line for line in source.splitlines()), banned


def test_film_the_catalog_does_not_know() -> None:
    case = Case("Spirited Away 2001", "画面很美，想象力丰富，小时候看和长大看感觉完全不一样", 5, 5)
    flags = story_and_opinion(Written(case, "千寻在神秘的世界里努力工作，最终救出了变成猪的父母。", (), 0.0))
    assert [f.check for f in flags] == ["story"]
    assert story_and_opinion(Written(case, "画面很美，想象力非常丰富。", (), 0.0)) == []


def test_film_fields_default() -> None:
    w = Written(Case("X", "好看", 5, 5), "好看。", (), 0.0)
    assert w.film is None and w.plot == "" and w.titles_zh == ()
    assert isinstance(Film(1, "X"), Film)


def test_the_judge_counts_the_notes_points_kept_and_the_facts_recited() -> None:
    from bench.languages import points_kept

    assert points_kept("前半段几乎没台词但很感人，后半段说教有点多", "它非常感人，后半段说教有点多。") == (2, 2)
    recited = "这部电影的时长是99分钟，类型是喜剧/动作片。我对这部电影的评价是4/5，我非常喜欢它。"
    assert points_kept("很搞笑，包租婆太逗了，特效有点夸张", recited) == (0, 3)
    case = Case("Kung Fu Hustle 2004", "很搞笑，包租婆太逗了，特效有点夸张", 4.0, 5)
    found = problems(Written(case, recited, ("Kung Fu Hustle",), 1.0))
    assert any(f.startswith("the catalog's facts recited") for f in found)
    assert "the notes' points lost: 0 of 3 kept" in found
    kept = problems(Written(case, "很搞笑，包租婆太逗了，特效有点夸张。我给它4/5。", ("Kung Fu Hustle",), 1.0))
    assert not any("points lost" in f or "recited" in f for f in kept)


def test_the_judge_sees_a_point_turned_round_a_person_liked_and_a_point_said_twice(catalog: Catalog) -> None:
    from bench.languages import points_said_twice

    def found(film: str, notes: str, rating: float, text: str) -> list[str]:
        return problems(Written(Case(film, notes, rating, 5), text, (), 0.0, catalog.resolve(film).film))

    avatar = "特效真的牛，剧情很老套，就是风中奇缘换皮"
    turned = found("Avatar 2009", avatar, 3, "剧情虽然老套，但风中奇缘的换皮非常有趣。")  # the README's real output
    assert turned and turned[0].startswith("opinion: praises what the notes criticise: 奇缘")
    assert found("Avatar 2009", avatar, 3, "特效真的很牛，但剧情很老套，就是风中奇缘换皮。我给它3/5。") == []
    pacing = found("Titanic 1997", TITANIC, 4, "爱情故事很感人，音乐很好听，电影的节奏很紧凑。")
    assert pacing and "praises what the notes criticise: pacing" in pacing[0]
    # "他" is whom the sentence's other clause names: the director, whom the notes never judge (王菲 is the cast)
    chungking = found("Chungking Express 1994", "很有感觉，王菲很可爱，加州梦游", 4,
                      "导演是王家卫，我特别喜欢他的作品。")
    assert chungking and chungking[0].startswith("opinion: judges the direction (喜欢)")
    lion = ("这部电影的音乐很好听，辛巴爸爸死的时候哭了。"
            "童年回忆让我深深感动，音乐非常动听，辛巴爸爸去世时，我哭了。")
    assert points_said_twice(LION, lion) == ["音乐好听", "辛巴爸爸死的时候哭了"]
    assert points_said_twice(LION, "童年回忆让我感动。音乐很好听。辛巴爸爸死的时候我哭了。") == []
    assert points_said_twice(TITANIC, "这是一个感人的爱情故事。它讲述了一个故事。") == []  # 故事 is no point's own


def test_the_judge_counts_a_title_the_film_does_not_go_by(catalog: Catalog) -> None:
    from bench.languages import unknown_titles

    def written(film: str, text: str) -> Written:
        found = catalog.resolve(film).film
        assert found is not None
        titles = tuple(t.title for t in catalog.local_titles(found) if t.lang.startswith("zh"))
        return Written(Case(film, "好看", 4, 5), text, (found.title,), 0.0, found, "", titles)

    assert unknown_titles(written("Eat Drink Man Woman 1994", "我看了《吃喝男人女人》。")) == ["吃喝男人女人"]
    assert unknown_titles(written("Eat Drink Man Woman 1994", "我看了《Eat Drink Man Woman》。")) == []
    assert unknown_titles(written("Titanic 1997", "我看了《鐵達尼號》，又看了《泰坦尼克号》。")) == []
    assert unknown_titles(written("Alien 1979", "我看了《阿凡达》。")) == ["阿凡达"]


def test_a_name_said_again_is_no_point_said_again_and_a_voice_praised_is_the_narration(catalog: Catalog) -> None:
    from bench.languages import points_said_twice

    lantern = "红灯笼的画面很美，很压抑，巩俐演得好"
    assert points_said_twice(lantern, "画面很美，很压抑，巩俐演得好。导演是张艺谋，主演是巩俐。") == []
    assert points_said_twice(lantern, "巩俐演得好。巩俐的表演非常出色。") == ["巩俐演得好"]
    shawshank = Written(Case("The Shawshank Redemption 1994", SHAWSHANK, 5, 5),
                        "特别是摩根·弗里曼的旁白，他的声音非常动听。", (), 0.0,
                        catalog.resolve("The Shawshank Redemption 1994").film)
    assert story_and_opinion(shawshank) == []  # "他" is the narrator the clause before names: the narration


def test_the_judge_counts_a_genre_list_a_note_made_a_title_and_the_member_made_the_film() -> None:
    from bench.languages import genre_lists

    assert genre_lists("这是一部科幻/家庭电影。以惊悚、恐怖和类型闻名。喜剧/ Drama片。") == [
        "科幻/家庭", "惊悚、恐怖", "喜剧/ Drama"]
    assert genre_lists("这部电影是我见过的最棒的动画片之一。") == []  # one genre: no list
    et = Case("E.T. the Extra-Terrestrial 1982", "自行车飞起来那幕很经典，有点幼稚", 3, 5)
    assert problems(Written(et, "这是一部科幻/家庭电影。自行车飞起来那幕很经典，有点幼稚。", (), 0.0)) == [
        "the catalog's facts recited: ['科幻/家庭']"]
    batman = Case("Batman & Robin 1997", "太烂了，台词尴尬，冰冻人的冷笑话受不了", 1, 5)
    assert problems(Written(batman, "台词尴尬，冰冻人的冷笑话受不了。我太烂了。", (), 0.0)) == [
        "the film's judgement said of the member: 我太烂了"]
    matrix = Case("The Matrix 1999", "子弹时间太酷了，概念很超前，续集就不说了", 9, 10)
    assert problems(Written(matrix, "概念很超前，续集就不说了。我非常喜欢《子弹时间》。", (), 0.0)) == [
        "a title the film does not go by: 《子弹时间》"]


def test_the_judge_counts_the_model_speaking_to_the_member_and_a_note_called_a_film() -> None:
    knight = Case("The Dark Knight 2008", "小丑演得太疯了，希斯·莱杰封神，后半段有点拖", 9, 10)
    assert problems(Written(knight, "小丑演得太疯了，希斯·莱杰封神。我同意你的观点，后半段有点拖。", (), 0.0)) == [
        "leaks ['你的观点']"]
    garbled = Written(Case("The Matrix 1999", "子弹时间太酷了，概念很超前，续集就不说了", 9, 10),
                      "虽然续集没有提及，但我非常爱它。", (), 0.0)
    assert problems(garbled)[0] == "leaks ['没有提及']"
    matrix = Case("The Matrix 1999", "子弹时间太酷了，概念很超前，续集就不说了", 9, 10)
    assert problems(Written(matrix, "概念很超前，续集就不说了。我非常喜欢子弹时间这部电影。", (), 0.0)) == [
        "a title the film does not go by: 《子弹时间》"]
    eat = Case("Eat Drink Man Woman 1994", "做菜的镜头看饿了，家庭关系很真实", 4, 5)  # 家庭 of 家庭关系: no genre
    assert problems(Written(eat, "这是一部喜剧/剧情片。做菜的镜头看饿了，家庭关系很真实。", (), 0.0)) == [
        "the catalog's facts recited: ['喜剧/剧情']"]


def test_the_judge_counts_a_review_started_mid_thought_and_the_catalogs_genre() -> None:
    hero = Case("Hero 2002", "画面颜色太美了，故事有点空，打斗像跳舞", 3, 5)
    assert problems(Written(hero, "然而，故事确实有点空。画面颜色太美了，打斗像跳舞。", (), 0.0)) == [
        "starts mid-thought (its first sentence gone)"]
    inception = Case("Inception 2010", "梦境套梦境有点烧脑，配乐震撼，结尾陀螺到底倒没倒", 9, 10)
    said = "梦境套梦境有点烧脑。它是一部惊悚片，配乐震撼，结尾陀螺到底倒没倒。"
    assert problems(Written(inception, said, (), 0.0)) == [
        "the catalog's genre said, not the notes': 惊悚"]


def test_a_judgement_of_what_the_notes_name_is_theirs_whatever_its_aspect(catalog: Catalog) -> None:
    notes = "很搞笑，包租婆太逗了，特效有点夸张"
    film = catalog.resolve("Kung Fu Hustle 2004").film
    said = "我非常喜欢包租婆这个角色，她逗得我笑得肚子疼。"  # the bench's output: 包租婆 is the notes' own
    assert story_and_opinion(Written(Case("Kung Fu Hustle 2004", notes, 4, 5), said, (), 0.0, film)) == []
    unasked = "我非常喜欢这部电影的角色塑造。"  # the characters, of which the notes name none
    flags = story_and_opinion(Written(Case("Kung Fu Hustle 2004", notes, 4, 5), unasked, (), 0.0, film))
    assert [f.check for f in flags] == ["opinion"]


def test_the_judge_counts_what_the_reply_puts_in_the_members_mouth() -> None:
    from bench.languages import words_put_in_their_mouth as mouth

    up = "开头十分钟看哭了，后面的冒险有点普通"  # the bench's outputs, and the like
    assert mouth(up, "我给这部电影打4/5分，因为它让我感到非常愉快和满足。") == [
        "a feeling the notes never had: 让我感到非常愉快和满足"]
    assert mouth(up, "开头十分钟让我非常感动。") == []  # tears
    assert mouth("故事有点空，打斗像跳舞", "打斗像是在跳舞，让人感到有些疲惫。") == [
        "a feeling the notes never had: 让人感到有些疲惫"]
    assert mouth("台词尴尬，冰冻人的冷笑话受不了", "冰冻人的冷笑话让人受不了。") == []
    assert mouth("爱情故事很感人", "它让我感到非常感动。") == []
    assert mouth("浴室那场戏太经典", "让我印象深刻。") == []  # the verdict's own words
    assert mouth("画面很美", "这部电影是我见过的最棒的动画片之一。") == [
        "a superlative the notes never made: 我见过的最"]
    assert mouth("动作片天花板", "这是最好的动作片之一。") == []
    assert mouth("浴室那场戏太经典", "我会把它放在我的收藏中。") == ["a plan the member never made: 我会把它"]
    assert mouth("浴室那场戏太经典", "我会推荐给我的朋友。") == []
    assert mouth("鲨鱼都没怎么出现但是很吓人", "鲨鱼并没有出现，但很吓人。") == [
        "the notes' hedge dropped (没怎么出现): 并没有出现"]
    assert mouth("鲨鱼都没怎么出现但是很吓人", "鲨鱼几乎没有出现，但很吓人。") == []
    assert mouth("故事有点空，打斗像跳舞", "打斗并不像电影的其他部分那样引人入胜。") == [
        "a comparison the notes never made: 不像电影的其他部分那样"]
    assert mouth("续集比第一部差", "续集不如第一部。") == []
    assert mouth("做菜的镜头看饿了", "我看了做菜的镜头，发现他们饿了。") == [
        "the member's reaction given to the characters: 他们饿"]
