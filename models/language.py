"""The languages replies are written in: which one a text is in, what the model is told, and how much of a reply is
in the language it was asked for.

Languages are named by the locales of the bot's message catalogs (`bot/locales/`): "en", "zh_CN", "zh_TW", "ja",
"ko", "es_ES", "fr", "de", "pt_BR". Chinese, Japanese and Korean are told apart by their scripts (kana is Japanese,
hangul Korean, Han alone Chinese; traditional characters make it zh_TW); the Latin-script languages by py3langid
(BSD-3-Clause; it ships its model, a naive Bayes over byte n-grams, and never downloads), limited to the languages
served. A text too short or too mixed to tell gives None: the caller falls back to the member's client language.

Nothing here knows about Discord or the model.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from dataclasses import dataclass
from typing import Any

from models.text import split_sentences

log = logging.getLogger(__name__)

ENGLISH = "en"


@dataclass(frozen=True)
class Language:
    code: str  # ISO 639-1, as py3langid names it
    english: str  # its name in English, for the prompt
    native: str  # its name in itself, for the prompt and the moderators' answers
    first_person: str = "I"  # how a first-person reply starts ("I" -> "我"): written for the model, it commits the
    # reply to the language where an instruction alone does not (the default model answered Chinese notes in English);
    # none for the Latin-script languages: "Yo" led the default model into "Yo, como el editor de la página..." and
    # a numbered list
    script: str = "latin"  # latin | han | kana | hangul: what most of its letters are written in


LANGUAGES: dict[str, Language] = {
    "en": Language("en", "English", "English"),
    "zh_CN": Language("zh", "Simplified Chinese", "简体中文", "我", "han"),
    "zh_TW": Language("zh", "Traditional Chinese", "繁體中文", "我", "han"),
    "ja": Language("ja", "Japanese", "日本語", "私は", "kana"),
    "ko": Language("ko", "Korean", "한국어", "저는", "hangul"),
    "es_ES": Language("es", "Spanish", "español", ""),
    "fr": Language("fr", "French", "français", ""),
    "de": Language("de", "German", "Deutsch", ""),
    "pt_BR": Language("pt", "Brazilian Portuguese", "português do Brasil", ""),
}
_BY_CODE = {lang.code: locale for locale, lang in reversed(LANGUAGES.items())}  # zh -> zh_CN
CONFIDENT = 0.9  # py3langid's probability (among the served languages) a whole text must reach to count
SENTENCE_CONFIDENT = 0.6  # ... and one sentence of a reply, checked against the one language asked for
MIN_LETTERS = 12  # a Latin-script text shorter than this is not told apart ("ok", "Alien 1979")
MIN_HAN = 2  # Chinese characters a text needs to read as Chinese

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]+(?:['’-][A-Za-z\u00c0-\u024f]+)*")
_NOISE = re.compile(r"https?://\S+|<[@#:&!][^>\s]*>|`[^`]*`")
# Common traditional characters and their simplified forms, in pairs (written for this project): a text with more of
# the first than of the second is zh_TW (`chinese_variant`), and the mood classifier's Chinese path, trained on
# simplified sentences, reads traditional ones through this map (`TO_SIMPLIFIED`).
TRADITIONAL_PAIRS = (
    "問问"
    "電电劇剧這这個个們们來来會会說说話话時时間间對对還还沒没麼么樣样為为點点與与從从後后開开關关頭头愛爱動动現现實实歡欢戲戏導导員员節节結结覺觉讓让無无難难過过張张緊紧場场畫画聲声樂乐據据長长經经歷历憶忆"
    "義义邊边裡里裏里見见視视觀观聽听讀读寫写語语詞词調调論论評评認认識识記记許许該该請请誰谁誤误謝谢設设計计讚赞號号錯错鏡镜麗丽顏颜燈灯藝艺術术級级紀纪線线終终給给絕绝續续編编練练細细總总網网氣气幾几機机"
    "劃划則则剛刚創创別别勁劲勝胜區区單单廣广應应強强當当錄录徹彻復复悶闷態态慘惨憐怜懷怀戰战擔担擊击數数斷断於于書书條条極极槍枪標标歲岁殺杀爛烂燒烧爭争獎奖獨独獲获畢毕異异療疗盡尽監监眾众窮穷筆笔簡简紅红"
    "純纯組组絲丝綜综綠绿緒绪維维緣缘繼继聯联職职腦脑臉脸興兴舊旧華华萬万葉叶蘭兰處处虛虚蟲虫衛卫補补裝装製制複复規规親亲訊讯訴诉試试詩诗詳详誇夸誠诚課课談谈謊谎證证議议變变豐丰貓猫負负費费資资賽赛贏赢趕赶"
    "躍跃車车軟软輕轻載载較较輸输轉转辦办連连進进運运達达遠远適适遲迟遺遗鄉乡醫医針针鐘钟鐵铁門门閃闪閉闭閒闲閱阅陣阵陰阴陸陆隊队際际險险隨随隱隐雙双雜杂雞鸡離离雲云靈灵靜静頁页順顺須须預预領领題题類类顧顾"
    "風风飛飞飯饭館馆馬马驗验驚惊體体髮发鬆松鬥斗魚鱼鳥鸟黃黄齊齐龍龙鬧闹嗎吗嚇吓噁恶團团圖图國国園园圍围壓压壞坏夠够夢梦奮奋婦妇學学寶宝審审將将專专尋寻層层屬属師师帶带幫帮幹干廢废惡恶慣惯慮虑憂忧憤愤懼惧"
    "懶懒懸悬戀恋擁拥擇择擺摆攝摄敗败敘叙敵敌暈晕暫暂曉晓東东殘残決决況况淚泪淺浅減减測测渾浑準准滅灭滿满漢汉潛潜濃浓災灾煩烦熱热營营爾尔獄狱猶犹獻献環环產产癮瘾發发確确禮礼種种稱称穩稳範范簽签約约紙纸統统"
    "緩缓織织繞绕罵骂羅罗習习聖圣聞闻膽胆臨临舉举藥药虧亏觸触訓训詭诡誘诱諒谅謀谋講讲謎谜譯译護护豬猪貨货質质購购賴赖賺赚贊赞跡迹蹤踪軍军輩辈輪轮辯辩辭辞選选醜丑釋释錢钱陽阳雖虽響响頂顶項项頓顿顆颗顯显飄飘"
    "驕骄鬱郁黨党嘆叹歎叹傳传價价僅仅優优兒儿內内兩两凱凯劍剑勢势厲厉參参喪丧喚唤圓圆報报壯壮備备夥伙奪夺妳你嬌娇孫孙寧宁寬宽屆届岡冈巖岩幣币庫库廚厨彈弹彎弯徑径"
)
TO_SIMPLIFIED = str.maketrans(dict(zip(TRADITIONAL_PAIRS[::2], TRADITIONAL_PAIRS[1::2], strict=True)))
_TRADITIONAL = frozenset(TRADITIONAL_PAIRS[0::2])
_SIMPLIFIED = frozenset(TRADITIONAL_PAIRS[1::2]) - _TRADITIONAL
_lock = threading.Lock()
_loaded = threading.Event()  # the identifier is in memory (`warm` or a first use loaded it)


@functools.cache
def _identifier() -> Any:
    """py3langid's identifier over the served Latin-script languages (its model takes a few seconds to load:
    `warm` loads it off the event loop at start)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(sorted({lang.code for lang in LANGUAGES.values() if lang.script == "latin"}))
    _loaded.set()
    return identifier


def warm() -> None:
    """Load the identifier now (at start, in a thread), not on the first member's request."""
    with _lock:
        _identifier()


def _classify(text: str) -> tuple[str, float]:
    with _lock:
        code, probability = _identifier().classify(text)
    return str(code), float(probability)


def _counts(text: str) -> dict[str, int]:
    return {"han": len(_HAN.findall(text)), "kana": len(_KANA.findall(text)), "hangul": len(_HANGUL.findall(text)),
            "latin": len(_LATIN.findall(text)), "words": len(_WORD.findall(text))}


_KANA_LETTERS = re.compile(r"[\u3041-\u3096\u30a1-\u30fa]")  # kana, not the middle dot 「・」 of Chinese names
_LATIN_LETTERS = re.compile(r"[A-Za-z]+")


def reads_as_chinese(text: str, per_latin_word: float = 1.0) -> bool:
    """A text (a sentence, a message) written in Chinese: MIN_HAN Han characters or more, more of them than
    `per_latin_word` for each Latin word (a name or title in Latin letters keeps a sentence Chinese: "Nolan yyds，这部
    每次看都震撼"; "I loved 卧虎藏龙 so much" is English), and no kana (Japanese). The review checks read a sentence
    by it (`models.film.fidelity_zh`), and `/mood` a message (1.5 per word: a mixed message stays English sooner)."""
    han = len(_HAN.findall(text))
    return (han >= MIN_HAN and han > per_latin_word * len(_LATIN_LETTERS.findall(text))
            and not _KANA_LETTERS.search(text))


def chinese_variant(text: str) -> str:
    """zh_TW where the text has more traditional-only characters than their simplified forms, else zh_CN."""
    traditional = sum(1 for ch in text if ch in _TRADITIONAL)
    simplified = sum(1 for ch in text if ch in _SIMPLIFIED)
    return "zh_TW" if traditional > simplified else "zh_CN"


def _by_script(counts: dict[str, int], text: str) -> str | None:
    """Chinese, Japanese or Korean where their characters outnumber the Latin words (a name or title in Latin
    letters inside a Chinese sentence keeps it Chinese); None for a text of Latin letters."""
    cjk = counts["han"] + counts["kana"] + counts["hangul"]
    if cjk == 0 or cjk < counts["words"]:
        return None
    if counts["hangul"] >= max(counts["kana"], 1) and counts["hangul"] * 2 >= counts["han"]:
        return "ko"
    if counts["kana"] >= 2 or (counts["kana"] and counts["kana"] * 10 >= counts["han"]):
        return "ja"
    if counts["han"] >= MIN_HAN:
        return chinese_variant(text)
    return None


def detect(text: str, *, wait: bool = True) -> str | None:
    """The served language `text` is written in (a locale of `LANGUAGES`), or None when it is too short or too
    mixed to say. `wait=False`: a Latin-script text gets None rather than wait for the identifier to load (a
    request's language is chosen before Discord's three seconds to acknowledge it are up)."""
    text = _NOISE.sub(" ", text or "")
    counts = _counts(text)
    by_script = _by_script(counts, text)
    if by_script is not None:
        return by_script
    if counts["latin"] < MIN_LETTERS or (not wait and not _loaded.is_set()):
        return None
    code, probability = _classify(text)
    return _BY_CODE.get(code) if probability >= CONFIDENT else None


def _in(sentence: str, language: Language) -> bool | None:
    """Whether one sentence is in `language` (None: too short to say, so it does not count)."""
    counts = _counts(sentence)
    cjk = counts["han"] + counts["kana"] + counts["hangul"]
    if language.script != "latin":
        if cjk == 0 and counts["latin"] < MIN_LETTERS:
            return None
        found = _by_script(counts, sentence)
        if language.code == "zh":
            return found in ("zh_CN", "zh_TW")
        return found == _BY_CODE[language.code]
    if cjk > counts["words"]:
        return False
    if counts["latin"] < MIN_LETTERS:
        return None
    code, probability = _classify(sentence)
    return code == language.code or probability < SENTENCE_CONFIDENT  # unsure: not held against it


def share(text: str, locale: str) -> float:
    """How much of `text` is in `locale`'s language: the share of its sentences' letters in sentences written in
    it (sentences too short to tell are left out; 1.0 when none can be told). Catches a reply that switches
    language partway, as small models do."""
    language = LANGUAGES.get(locale, LANGUAGES[ENGLISH])
    told = kept = 0
    for line in _NOISE.sub(" ", text).splitlines():
        for sentence in _sentences(line):
            verdict = _in(sentence, language)
            if verdict is None:
                continue
            weight = len(sentence)
            told += weight
            kept += weight if verdict else 0
    return kept / told if told else 1.0


def _sentences(line: str) -> list[str]:
    return [s for s in split_sentences(line) if s]


def instruction(locale: str) -> str:
    """What the prompt tells the model about the reply's language ("" for English: the prompts are English). Said in
    the system message and again at the end of the request."""
    if locale == ENGLISH or locale not in LANGUAGES:
        return ""
    language = LANGUAGES[locale]
    return (f"\n\nWrite the whole reply in {language.english} ({language.native}), every sentence of it, even "
            f"though these instructions are in English; where they say to start with \"I\", start with "
            f"\"{language.first_person}\". Keep bold labels such as **Title:** as they are, and film titles and "
            "people's names as they are written above.")


def start(prime: str, locale: str) -> str:
    """A start written for the model, in `locale`'s language: a first-person start ("I", "I watched Alien") becomes
    the language's own first word; a bold label ("**Title:**") stays, as the post-processing reads it; any other
    English start is dropped."""
    if locale == ENGLISH or locale not in LANGUAGES or not prime:
        return prime
    if prime == "I" or prime.startswith("I "):
        return LANGUAGES[locale].first_person
    return prime if re.fullmatch(r"\*\*[^*]+\*\*", prime.strip()) else ""


def firmer(locale: str, found: float) -> str:
    """The note for the one more try after a reply came back partly in another language."""
    language = LANGUAGES.get(locale, LANGUAGES[ENGLISH])
    return (f"\n\nYour last reply was only {found:.0%} in {language.english}. Write it again, all of it in "
            f"{language.english} ({language.native}), with no sentence in another language.")
