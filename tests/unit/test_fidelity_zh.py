"""The story and opinion check reads Chinese sentences (models.film.fidelity_zh), through `Fidelity.reason`."""

from __future__ import annotations

import pytest

from models.film.fidelity import Fidelity
from models.film.fidelity_zh import cut, is_chinese, reason

GUMP_PLOT = ("The film follows several decades in the life of a slow-witted and kindhearted Alabama man named "
             "Forrest Gump (Hanks) and his experiences in the 20th-century United States.")
GUMP = Fidelity("很温暖 跑步那段很经典 有点煽情", "Forrest Gump 1994 Drama Romance Tom Hanks Robin Wright",
                GUMP_PLOT, 0.8, title="Forrest Gump", local_titles=("阿甘正传",))
CONCUBINE = Fidelity("京剧 两个人的一生 结局太悲伤 张国荣演得太好了",
                     "Farewell My Concubine 1993 Drama Romance Chen Kaige Leslie Cheung Zhang Fengyi Gong Li",
                     "Two Peking opera actors grow up together and stay friends through fifty years of China's "
                     "turmoil.", 1.0, notes_name_actor=True, title="Farewell My Concubine",
                     local_titles=("霸王别姬",))
TITANIC = Fidelity("爱情故事很感人，但是太长了，音乐很好听", "Titanic 1997 Drama Romance James Cameron", "", 0.8,
                   title="Titanic", local_titles=("泰坦尼克号", "铁达尼号"))


@pytest.mark.parametrize("sentence", [
    "跑步那段很经典，但有点煽情。",  # the notes, said again
    "我很喜欢这部电影。",  # a verdict on the whole film
    "《阿甘正传》讲述了一个阿拉巴马男人几十年的人生。",  # the plot line, in Chinese
    "我给它打4/5分。",
])
def test_what_the_sources_give_stays(sentence: str) -> None:
    assert reason(GUMP, sentence) is None


def test_the_notes_and_the_plot_line_back_a_chinese_sentence_through_the_dictionary() -> None:
    assert reason(CONCUBINE, "张国荣的表演太好了，结局让我很悲伤。") is None
    assert reason(CONCUBINE, "《霸王别姬》讲述了两位京剧演员的一生。") is None  # 京剧 ~ "Peking opera" via "opera"
    assert reason(TITANIC, "我看了《泰坦尼克号》（1997），这是一个感人至深的爱情故事，但太长了，音乐很好听。") is None


@pytest.mark.parametrize(("fidelity", "sentence", "why"), [
    (GUMP, "他在20世纪的美国度过了几个世纪，经历了越战和水门事件。", "a period no source gives: 几个世纪"),
    (GUMP, "他经历了越战和水门事件。", "a period no source gives: 越战"),
    (CONCUBINE, "影片以民国为背景，讲述了程蝶衣和段小楼的故事。", "程蝶衣"),
    (TITANIC, "杰克和露丝在沉船前相爱了。", "story the notes and the plot line do not give"),
    (GUMP, "故事发生在1912年的纽约。", "a period no source gives: 1912"),
    (TITANIC, "马克西姆斯是一位罗马将军，他被背叛后沦为奴隶。", "story the notes and the plot line do not give"),
])
def test_story_no_source_gives_goes(fidelity: Fidelity, sentence: str, why: str) -> None:
    found = reason(fidelity, sentence)
    assert found is not None and why in found


@pytest.mark.parametrize(("fidelity", "sentence", "why"), [
    (GUMP, "这部电影的导演和编剧都非常出色。", "an opinion the notes do not give"),
    (GUMP, "汤姆·汉克斯的表演非常出色。", "an opinion the notes do not give: the acting"),
    (TITANIC, "画面非常精美。", "an opinion the notes do not give: the look"),
    (CONCUBINE, "可惜节奏有些拖沓。", "an opinion the notes do not give: the pacing"),
    (CONCUBINE, "但整部电影有些沉闷。", "a criticism the member did not make"),  # 5/5, the notes criticise nothing
])
def test_opinions_the_member_did_not_give_go(fidelity: Fidelity, sentence: str, why: str) -> None:
    found = reason(fidelity, sentence)
    assert found is not None and found.startswith(why)


AVATAR = Fidelity("特效真的牛，剧情很老套，就是风中奇缘换皮", "Avatar 2009 Action Adventure James Cameron", "", 0.6,
                  title="Avatar", local_titles=("阿凡达",))


@pytest.mark.parametrize(("fidelity", "sentence", "why"), [
    (AVATAR, "剧情虽然老套，但风中奇缘的换皮非常有趣。", "praise of what the notes criticise: 奇缘、换皮"),
    (TITANIC, "电影的节奏很紧凑。", "praise of what the notes criticise: pacing"),  # "太长了"
    (GUMP, "跑步那段很无聊。", "criticism of what the notes praise: 跑步"),
    (TITANIC, "这部电影的导演是 James Cameron，我特别喜欢他的风格。",
     "an opinion the notes do not give: the direction"),
    (TITANIC, "我非常欣赏这部电影的导演，James Cameron。", "an opinion the notes do not give: the direction"),
])
def test_a_point_turned_round_goes(fidelity: Fidelity, sentence: str, why: str) -> None:
    found = reason(fidelity, sentence)
    assert found is not None and found.startswith(why), found


@pytest.mark.parametrize(("fidelity", "sentence"), [
    (AVATAR, "特效真的很牛，但剧情很老套，就是风中奇缘换皮。"),  # the notes' points, each its own way round
    (TITANIC, "虽然太长了，但是音乐很好听。"),
    (TITANIC, "我非常喜欢这部电影。"),
])
def test_a_point_kept_its_way_round_stays(fidelity: Fidelity, sentence: str) -> None:
    assert reason(fidelity, sentence) is None


def test_praise_in_a_low_rating_needs_praise_in_the_notes() -> None:
    low = Fidelity("太长了 睡着了", "Titanic 1997", "", 0.2, title="Titanic")
    assert reason(low, "真是一部精彩的作品。") == "praise the member did not give: 精彩"
    assert reason(low, "这部电影非常精彩。") is None  # a verdict on the whole film: the rating's, as in English
    assert reason(low, "可惜不够精彩。") is None  # a negated praise is criticism, which the notes give
    assert reason(low, "太长了，我看睡着了。") is None


def test_traditional_characters_are_read_as_simplified() -> None:
    assert reason(TITANIC, "畫面非常精美。") == "an opinion the notes do not give: the look"
    assert reason(TITANIC, "音樂很好聽。") is None


def test_english_and_japanese_sentences_keep_their_own_checks() -> None:
    english = "The opening scene shows a crop duster pilot navigating a mysterious mountain range."
    assert not is_chinese(english) and reason(GUMP, english) == GUMP.story_reason(english) == GUMP.reason(english)
    assert not is_chinese("この映画の音楽は素晴らしい。")
    assert is_chinese("音乐很好听。")


def test_words_are_cut_and_simplified() -> None:
    assert cut("張國榮的表演太好了") == ["张国荣", "的", "表演", "太好了"]


def test_a_title_in_brackets_must_be_this_films_or_one_the_notes_name() -> None:
    alien = Fidelity("太吓人了 雷普利很酷", "Alien 1979 Horror Sci-Fi Ridley Scott", "", 0.9, title="Alien",
                     local_titles=("异形：契约",))  # the catalog's Chinese titles of Alien are its sequels'
    assert reason(alien, "我看了《阿凡达》（1979），太吓人了。") == "a title that is not this film's: 《阿凡达》"
    assert reason(alien, "我看了《异形》（1979），太吓人了。") is None  # a title's main part
    assert reason(alien, "我看了《Alien》，太吓人了。") is None
    assert reason(TITANIC, "《鐵達尼號》的音乐很好听。") is None  # traditional, folded
    compared = Fidelity("比《异形2》好看", "Alien 1979", "", 0.9, title="Alien")
    assert reason(compared, "它比《异形2》好看。") is None  # a film the notes name


def test_the_catalogs_facts_recited_and_the_prompts_words_go() -> None:
    amelie = Fidelity("色调很好看，很可爱很治愈，女主太迷人了", "Amélie 2001 Romance Comedy Jean-Pierre Jeunet", "",
                      0.8, title="Amélie")
    assert reason(amelie, "这部电影的时长是122分钟，类型是爱情/喜剧。").startswith("the catalog's facts recited")
    assert reason(amelie, "它属于爱情和喜剧类型。").startswith("the catalog's facts recited")
    assert reason(TITANIC, "电影时长194分钟，确实太长了。") is None  # the notes speak of its length
    assert reason(GUMP, "我 verdict, 4/5 (I liked it a lot).") == "the prompt's words: verdict"
    assert reason(GUMP, "我 notes中提到的跑步那段很经典。") == "the prompt's words: notes"
    assert reason(GUMP, "My notes say the running was a classic.") != "the prompt's words: notes"  # English: its own


def test_a_theme_put_in_the_members_mouth_and_the_models_own_labels_go() -> None:
    memento = Fidelity("倒叙很烧脑，需要看两遍，结尾很绝", "Memento 2000 Mystery Thriller Christopher Nolan", "", 0.8,
                       title="Memento")
    assert reason(memento, "它让我对记忆的脆弱性和人类的坚韧有了更深的理解。").startswith("a theme the notes")
    assert reason(memento, "倒叙很烧脑，让我对结尾有了新的理解。") is None  # the notes' own ending
    assert reason(GUMP, "** Title:** 阿甘正传: Forrest Gump") == "the prompt's words: **"
    assert reason(GUMP, "Directed by:** Robert Zemeckis和他的团队。") is not None
    assert reason(GUMP, "** 评分：4/5，我非常喜欢它。**") == "the prompt's words: **"
    assert reason(GUMP, "The running scene is a classic.") is None  # English sentences keep their own checks


def test_a_title_translated_word_for_word_is_written_as_the_catalogs() -> None:
    from models.film.fidelity_zh import mend as mend_title

    hero = Fidelity("画面颜色太美了", "Hero 2002 Action Zhang Yimou", "", 0.6, title="Hero")
    said = "我看了《英雄》，画面颜色太美了。"  # the catalog has no Chinese title for it: the model's own translation
    assert reason(hero, said) == "a title of the model's own translation: 《英雄》"
    assert mend_title(hero, said) == "我看了《Hero》，画面颜色太美了。" and reason(hero, mend_title(hero, said)) is None
    eat = Fidelity("做菜的镜头看饿了", "Eat Drink Man Woman 1994 Ang Lee", "", 0.8, title="Eat Drink Man Woman")
    assert mend_title(eat, "我看了《吃喝男人女人》。") == "我看了《Eat Drink Man Woman》。"  # it is called 饮食男女
    room = Fidelity("烂得好笑", "The Room 2003 Drama", "", 0.2, title="The Room")
    assert reason(room, "我看了《房间》，烂得好笑。") == "a title of the model's own translation: 《房间》"
    assert reason(TITANIC, "我看了《泰坦尼克号》，太长了。") is None  # a title the catalog knows stays
    alien = Fidelity("太吓人了", "Alien 1979 Horror", "", 0.9, title="Alien")
    assert reason(alien, "我看了《阿凡达》，太吓人了。") == "a title that is not this film's: 《阿凡达》"


def test_a_century_must_be_the_one_the_sources_name() -> None:
    assert reason(GUMP, "阿甘生活在20世纪的美国。") is None  # "the 20th-century United States"
    assert reason(GUMP, "他在20世纪的美国度过了几个世纪。") == "a period no source gives: 几个世纪"
    assert reason(GUMP, "故事发生在19世纪。") == "a period no source gives: 19世纪"


def test_an_english_line_in_a_chinese_review_goes_and_english_reviews_keep_theirs() -> None:
    from models.film.catalog import Catalog
    from models.film.grounding import Grounding

    catalog = Catalog.open()
    film = catalog.resolve("Batman & Robin 1997").film
    chinese = Grounding.for_film(catalog, film, "太烂了，台词尴尬，冰冻人的冷笑话受不了", "1/5")
    checked = chinese.check("台词非常尴尬，冰冻人的冷笑话让人受不了。 **Title:** Batman & Robin (1997)")
    assert checked.text == "台词非常尴尬，冰冻人的冷笑话让人受不了。"
    assert [r.reason for r in checked.removed] == ["English in a Chinese reply"]
    english = Grounding.for_film(catalog, film, "awful, cringe lines", "1/5")
    assert "Batman & Robin (1997)" in english.check("The lines were cringe. **Title:** Batman & Robin (1997)").text


def test_english_words_copied_into_a_chinese_sentence_go_and_names_and_titles_stay() -> None:
    lambs = Fidelity("安东尼·霍普金斯太可怕了，对话戏张力十足",
                     "The Silence of the Lambs 1991 Crime Drama Jonathan Demme Jodie Foster Anthony Hopkins", "", 1.0,
                     title="The Silence of the Lambs")
    found = reason(lambs, "Hannibal Lecter，一个聪明的精神病学家和 cannibalistic的.Serial杀手。")  # the README's output
    assert found == "English words in a Chinese sentence: cannibalistic"
    assert reason(lambs, "我看了《The Silence of the Lambs》，太可怕了。") is None
    assert reason(lambs, "Anthony Hopkins太可怕了。") is None  # a name: the grounding's to check


def test_a_thought_the_notes_never_had_and_the_films_making_go() -> None:
    eat = Fidelity("做菜的镜头看饿了，家庭关系很真实", "Eat Drink Man Woman 1994 Ang Lee", "", 0.8,
                   title="Eat Drink Man Woman")
    found = reason(eat, "做菜的镜头非常真实，这让我对家庭关系有了深刻的理解。")  # the README's real output
    assert found is not None and found.startswith("a thought the notes never had")
    making = reason(eat, "在拍摄过程中，我注意到做菜的镜头非常真实。")
    assert making == "the film's making, which no source gives: 拍摄过程"
    assert reason(eat, "做菜的镜头看得我饿了，家庭关系很真实。") is None
    fight = Fidelity("反转很惊喜，有点暴力，看完想了很久", "Fight Club 1999 David Fincher", "", 0.8, title="Fight Club")
    assert reason(fight, "看完想了很久，让我对暴力有了更深的思考。") is None  # they did think: "想了很久"


def test_a_name_written_with_the_katakana_middle_dot_keeps_a_sentence_chinese() -> None:
    assert is_chinese("汤姆・汉克斯的表演非常出色。")  # 「・」 (U+30FB), as the model sometimes writes names
    assert reason(GUMP, "汤姆・汉克斯的表演非常出色。") == "an opinion the notes do not give: the acting"
    assert not is_chinese("トム・ハンクスの演技が素晴らしい。")  # kana: Japanese


def test_a_genre_list_recited_goes_and_a_genre_the_notes_name_stays() -> None:
    et = Fidelity("自行车飞起来那幕很经典，有点幼稚", "E.T. the Extra-Terrestrial 1982 Sci-Fi Family", "", 0.6,
                  title="E.T. the Extra-Terrestrial")
    for said in ("这是一部科幻/家庭电影。", "这是一部由Ang Lee执导的喜剧/ Drama片。",
                 "这部电影以惊悚、恐怖和类型闻名。",
                 "强烈推荐给所有喜欢悬疑和情感电影的观众。"):  # the bench's real outputs
        found = reason(et, said)
        assert found is not None and found.startswith("the catalog's facts recited"), said
    rocky = Fidelity("励志，训练那段配乐一起就想跑步，爱情线一般", "Rocky 1976 Drama Sport", "", 0.8, title="Rocky")
    assert reason(rocky, "它是一部励志电影，爱情和运动都有。") is None  # one genre word, or the notes' own


def test_what_is_written_right_rather_than_dropped() -> None:
    from models.film.fidelity_zh import mend

    matrix = Fidelity("子弹时间太酷了，概念很超前，续集就不说了", "The Matrix 1999 Action Sci-Fi", "", 0.9,
                      title="The Matrix", local_titles=("黑客帝国",))
    assert reason(matrix, "我非常喜欢《子弹时间》。") == "a thing of the notes written as a film's title: 《子弹时间》"
    assert mend(matrix, "我非常喜欢《子弹时间》，《黑客帝国》太酷了。") == "我非常喜欢子弹时间，《黑客帝国》太酷了。"
    batman = Fidelity("太烂了，台词尴尬，冰冻人的冷笑话受不了", "Batman & Robin 1997", "", 0.2, title="Batman & Robin")
    assert reason(batman, "我太烂了。") == "the film's judgement said of the member: 我太烂"  # the bench's output
    assert mend(batman, "台词尴尬，我太烂了。") == "台词尴尬，这部电影太烂了。"
    assert reason(batman, "我太喜欢冰冻人了。") != "the film's judgement said of the member: 我太喜欢"


def test_the_model_speaking_to_the_member_and_a_note_called_a_film_are_written_right() -> None:
    from models.film.fidelity_zh import mend

    knight = Fidelity("小丑演得太疯了，希斯·莱杰封神，后半段有点拖", "The Dark Knight 2008", "", 0.9,
                      title="The Dark Knight")
    said = "我同意你的观点，后半段有点拖。"  # a part written on its own, in the bench's run
    assert reason(knight, said) == "the model speaking to the member: 我同意你的观点，"
    assert mend(knight, said) == "后半段有点拖。"
    assert mend(knight, "我继续说，后半段有点拖。") == "后半段有点拖。"  # the model of its own writing
    matrix = Fidelity("子弹时间太酷了，概念很超前，续集就不说了", "The Matrix 1999", "", 0.9, title="The Matrix",
                      local_titles=("黑客帝国",))
    assert mend(matrix, "我非常喜欢子弹时间这部电影。") == "我非常喜欢子弹时间。"
    assert mend(matrix, "我非常喜欢《子弹时间》这部电影。") == "我非常喜欢子弹时间。"
    assert reason(matrix, "我看了《黑客帝国》这部电影，子弹时间太酷了。") is None  # the film is "这部电影"


def test_praise_leaning_on_a_criticised_point_is_the_point_turned() -> None:
    departed = Fidelity("剧情紧凑，结尾太突然了，演员都很强", "The Departed 2006", "", 0.8, title="The Departed")
    found = reason(departed, "结尾虽然突然，但这也让我感到非常满意。")  # the bench's output
    assert found is not None and found.startswith("praise of what the notes criticise")
    assert reason(departed, "剧情紧凑，结尾太突然了，演员都很强。") is None
    eat = Fidelity("做菜的镜头看饿了，家庭关系很真实", "Eat Drink Man Woman 1994 Comedy Drama Ang Lee", "", 0.8,
                   title="Eat Drink Man Woman")  # 家庭 of 家庭关系 names no genre
    found = reason(eat, "我看了《Eat Drink Man Woman》（1994），这是一部由Ang Lee执导的喜剧/ Drama片。")
    assert found is not None and found.startswith("the catalog's facts recited")


def test_the_catalogs_one_genre_said_goes_and_a_review_never_starts_mid_thought() -> None:
    from models.tasks.review import points_once

    inception = Fidelity("梦境套梦境有点烧脑，配乐震撼，结尾陀螺到底倒没倒", "Inception 2010 Action Thriller", "", 0.9,
                         title="Inception")
    found = reason(inception, "它是一部惊悚片，配乐非常震撼。")  # the bench's output
    assert found is not None and found.startswith("the catalog's facts recited")
    assert points_once("然而，故事确实有点空。", "画面颜色太美了，故事有点空") == "故事确实有点空。"  # Hero's review


def test_a_feeling_a_superlative_a_plan_a_comparison_the_notes_never_had_are_cut() -> None:
    from models.film.fidelity_zh import mend

    up = Fidelity("开头十分钟看哭了，后面的冒险有点普通", "Up 2009", "", 0.8, title="Up")
    said = "我给这部电影打4/5分，因为它让我感到非常愉快和满足。"  # the bench's output: the member cried
    assert reason(up, said) == "words put in the member's mouth: 让我感到非常愉快和满足"
    assert mend(up, said) == "我给这部电影打4/5分。"
    assert reason(up, "开头十分钟让我非常感动。") is None  # tears: the member was moved
    assert reason(TITANIC, "爱情故事让我感到非常感动。") is None  # 感人 and 感动 are one family
    assert reason(CONCUBINE, "两个人的一生让我深深感动。") is None  # a sad ending moves
    mood = Fidelity("旗袍很美，梁朝伟和张曼玉的眼神戏绝了，很慢但是很有味道", "In the Mood for Love 2000", "", 1.0,
                    title="In the Mood for Love")
    said = "我非常爱这部电影，因为它让我感受到了爱情的甜蜜和美好。"  # what the member "felt": a theme
    assert mend(mood, said) == "我非常爱这部电影。"
    spirited = Fidelity("画面很美，想象力丰富，小时候看和长大看感觉完全不一样", "Spirited Away 2001", "", 1.0,
                        title="Spirited Away")
    assert mend(spirited, "这部电影是我见过的最棒的动画片之一，我非常爱它。") == "我非常爱它。"
    knight = Fidelity("动作片天花板，反派很有魅力", "Die Hard 1988", "", 0.8, title="Die Hard")
    assert reason(knight, "这是我看过的最好的动作片之一。") is None  # the notes' own 天花板
    psycho = Fidelity("浴室那场戏太经典，结尾反转吓到我了", "Psycho 1960", "", 1.0, title="Psycho")
    assert mend(psycho, "我非常推荐这部电影，我会把它放在我的收藏中。") == "我非常推荐这部电影。"
    assert reason(psycho, "我会推荐给我的朋友。") is None  # a recommendation follows from the rating
    hero = Fidelity("画面颜色太美了，故事有点空，打斗像跳舞", "Hero 2002", "", 0.6, title="Hero")
    said = "故事有些空洞，打斗场面虽然很精彩，但并不像电影的其他部分那样引人入胜。"
    assert reason(hero, said) == "words put in the member's mouth: 不像电影的其他部分那样"
    assert mend(hero, said) == "故事有些空洞，打斗场面很精彩。"  # its "虽然" goes with the "但" it opened
    said = "故事确实有点空，没有太多的情节和细节，让人感到有些失望。"  # "one" felt it: the member, said otherwise
    assert mend(hero, said) == "故事确实有点空，没有太多的情节和细节。"


def test_a_hedge_of_the_notes_is_written_back_and_a_reaction_stays_the_members() -> None:
    from models.film.fidelity_zh import mend

    jaws = Fidelity("鲨鱼都没怎么出现但是很吓人，配乐一响就紧张", "Jaws 1975", "", 0.8, title="Jaws")
    said = "鲨鱼并没有出现，但很吓人，配乐一响就紧张。"  # the bench's output: "barely" became "not at all"
    assert reason(jaws, said) == "words put in the member's mouth: 并没有"
    assert mend(jaws, said) == "鲨鱼没怎么出现，但很吓人，配乐一响就紧张。"
    assert reason(jaws, "鲨鱼几乎没有出现，但很吓人。") is None
    eat = Fidelity("做菜的镜头看饿了，家庭关系很真实", "Eat Drink Man Woman 1994", "", 0.8,
                   title="Eat Drink Man Woman")
    said = "我看了做菜的镜头，发现他们饿了。"  # the member's hunger, given to the characters
    assert reason(eat, said) == "words put in the member's mouth: 他们饿"
    assert mend(eat, said) == "我看了做菜的镜头。"
    assert reason(eat, "做菜的镜头把我看饿了。") is None
