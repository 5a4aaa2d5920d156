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
# Characters written only in traditional Chinese, each with its simplified form: the most frequent of the
# simplified-traditional pairs (a text with more of the first than of the second is zh_TW).
_PAIRS = (
    "們们這这個个來来說说為为時时會会對对還还與与過过國国學学後后發发電电開开關关見见長长現现覺觉"
    "點点實实經经問问話话樣样讓让體体頭头場场愛爱種种聽听寫写氣气記记張张華华麗丽錄录導导"
    "劇剧圖图員员軍军總总從从動动傳传戰战聲声邊边隊队結结藝艺術术萬万廣广東东馬马鳥鸟魚鱼龍龙"
)
_TRADITIONAL = frozenset(_PAIRS[0::2])
_SIMPLIFIED = frozenset(_PAIRS[1::2])
_lock = threading.Lock()


@functools.cache
def _identifier() -> Any:
    """py3langid's identifier over the served Latin-script languages (its model takes a few seconds to load:
    `warm` loads it off the event loop at start)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(sorted({lang.code for lang in LANGUAGES.values() if lang.script == "latin"}))
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


def detect(text: str) -> str | None:
    """The served language `text` is written in (a locale of `LANGUAGES`), or None when it is too short or too
    mixed to say."""
    text = _NOISE.sub(" ", text or "")
    counts = _counts(text)
    by_script = _by_script(counts, text)
    if by_script is not None:
        return by_script
    if counts["latin"] < MIN_LETTERS:
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
