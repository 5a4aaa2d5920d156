"""The story, opinion and orphan rules of the /review judge (bench/review_judge.py): word lists and plain rules.

Like the rest of the judge this shares no code with the bot: it imports nothing of it, only the standard library.
`review_judge.Judge` calls the three rules once per sentence with what the member gave.

story    a sentence that tells the film's story (a premise: "follows", "tells the story of", "revolves around", "is
         about", "set in", "takes place"; a scene: "the opening scene", "the scene where", "in the end"; or a plain
         narrative sentence: a character, a pronoun or a name with a story verb, "where the heroes fought") whose
         content words the sources do not hold. Content words are a sentence's words, crudely lemmatised, less stop
         words, opinion words, generic film words ("film", "scene", "character"), generic people ("a man", "a group
         of friends") and numbers; the sources are the notes, the plot line, the title and the catalog's facts
         (year, genres, countries and their demonyms, languages, people). A word is supported when a source holds
         it, a longer or shorter form of it ("music", "musical"), or a kindred word (`_KINDRED`: "bike flight" in the
         notes supports "ride" and "sky"). A premise is flagged from one unsupported word, a scene or a narrative
         from two, and only when they are at least a quarter (premise) or 30% of its content words. A place the
         sources do not hold is flagged on its own where something happens in it ("set in", a story sentence, a
         story event: "their escape to the American West"; not "I watched it in Paris"), and so is a period anywhere
         ("the 1950s", "1927", "the Victorian era"); the film's year, the release decade where it dates the film
         ("one of the best musicals of the 1950s", not "the essence of the 1950s"), another work's year ("the 1998
         remake") and the writer's own ("I first saw it in 1998") are no period claims.
opinion  a judgement in a clause (a word or phrase: "top-notch", "well done", "predictable", "falls short", or the
         writer's verb: "I loved") of an aspect (acting, music, pacing, dialogue, ending, visuals, direction, effects,
         design, characters, plot, humour, action; see `ASPECTS`) that the notes never mention (a word of a cast
         member's name in the notes counts for acting, of a director's for direction); or a judgement against the
         notes and the rating: a criticism at >= 70% of the scale that the notes do not make of that aspect (of
         anything, for a criticism of no aspect: "the execution falls short"), or strong praise ("a masterpiece",
         "entertaining", "I loved") at <= 40% that the notes do not give (mild praise, "a few good moments", is not
         judged). Clauses are split at "but", "while", ", which", ";" ...; a negated word counts the other way
         ("never boring"). A verdict of no aspect that agrees with the rating ("I loved it", "a must-see") is never
         flagged, nor is a hedge ("fans of X may enjoy it").
orphans  a sentence that opens with a pronoun whose antecedent is missing: "He"/"She"/"His"/"Her" with nobody named
         or described in the previous sentence, "They"/"Their" with nothing plural there, "It"/"This"/"That" with a
         predicate only music can have ("It was catchy", "It is a memorable tune") after a sentence that names no
         music, or any of these opening the review. An "It" that can be the film is never judged ("It is a
         masterpiece", "It has a catchy tune"). And the filler a dropped sentence leaves about the cast ("The cast is
         a perfect example of the film's strengths"), naming nobody, after a sentence naming nobody.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

# -- words -------------------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def plain(text: str) -> str:
    """Accents away, curly apostrophes straight: "Amélie’s" -> "Amelie's" (case kept)."""
    text = unicodedata.normalize("NFKD", text.replace("’", "'"))
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def tokens(text: str) -> list[str]:
    """Words as written, hyphens split: "Amélie's blue-skinned" -> ["Amelie's", "blue", "skinned"]."""
    return _TOKEN.findall(plain(text))


_IRREGULAR = {
    "men": "man", "women": "woman", "children": "child", "people": "person", "feet": "foot", "teeth": "tooth",
    "mice": "mouse", "geese": "goose", "lives": "life", "wives": "wife", "knives": "knife", "thieves": "thief",
    "wolves": "wolf", "leaves": "leaf", "fought": "fight", "ran": "run", "rode": "ride", "ridden": "ride",
    "flew": "fly", "flown": "fly", "fled": "flee", "went": "go", "gone": "go", "came": "come", "took": "take",
    "taken": "take", "found": "find", "met": "meet", "fell": "fall", "fallen": "fall", "won": "win", "lost": "lose",
    "saw": "see", "seen": "see", "told": "tell", "made": "make", "began": "begin", "begun": "begin",
    "wrote": "write", "written": "write", "sang": "sing", "sung": "sing", "drove": "drive", "driven": "drive",
    "stole": "steal", "stolen": "steal", "caught": "catch", "brought": "bring", "thought": "think", "knew": "know",
    "known": "know", "gave": "give", "given": "give", "got": "get", "spent": "spend", "led": "lead",
    "built": "build", "kept": "keep", "held": "hold", "left": "leave", "sank": "sink", "sunk": "sink",
    "shot": "shoot", "hid": "hide", "hidden": "hide", "froze": "freeze", "frozen": "freeze", "swam": "swim",
    "struck": "strike", "woke": "wake", "slew": "slay", "heroes": "hero", "kids": "kid", "guys": "guy",
    "dino": "dinosaur", "dinos": "dinosaur", "movies": "movie", "films": "film",
}
_SYNONYMS = {"guy": "man", "dude": "man", "fellow": "man", "gentleman": "man", "lady": "woman", "gal": "woman",
             "kid": "child", "mom": "mother", "mum": "mother", "mama": "mother", "dad": "father", "papa": "father",
             "cop": "police", "policeman": "police", "extraterrestrial": "alien", "spaceship": "ship"}


def _stem(word: str) -> str:
    w = plain(word).casefold()
    if w.endswith("'s"):
        w = w[:-2]
    w = w.strip("'")
    if w in _NUMBERS:
        return _NUMBERS[w]
    if w in _IRREGULAR:
        w = _IRREGULAR[w]
    elif not w.isdigit():
        if len(w) > 4 and w.endswith(("ies", "ied")):
            w = w[:-3] + "y"
        elif len(w) > 5 and w.endswith("ing"):
            w = w[:-3]
        elif len(w) > 4 and w.endswith("ed"):
            w = w[:-2]
        elif len(w) > 4 and w.endswith(("sses", "ches", "shes", "xes", "zes")):
            w = w[:-2]
        elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
            w = w[:-1]
        if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsaeiou":  # "running" -> "runn" -> "run"
            w = w[:-1]
    if len(w) > 3 and w.endswith("e") and not w.isdigit():
        w = w[:-1]
    return w


_NUMBERS = {word: str(i) for i, word in enumerate("zero one two three four five six seven eight nine ten eleven "
                                                   "twelve thirteen fourteen fifteen sixteen seventeen eighteen "
                                                   "nineteen twenty".split())}
_SYNONYM_STEMS = {_stem(word): _stem(same) for word, same in _SYNONYMS.items()}


def lemma(word: str) -> str:
    """A crude lemma, the same on both sides of a comparison: "riding", "rides", "ride" -> "rid"; "heroes" -> "hero";
    "blinks" -> "blink"; "men", "guys", "dudes" -> "man"; "three" -> "3"; "Amelie's" -> "amelie"."""
    stem = _stem(word)
    return _SYNONYM_STEMS.get(stem, stem)


def lemmas(words: Iterable[str]) -> frozenset[str]:
    return frozenset(lemma(w) for w in words)


_STOP = frozenset("""
a about above across after again against all almost along already also although always am among amongst an and
another any anyone anything are around as at away back be became because become becomes been before behind being
below beneath between beyond both but by can cannot could did do does doing down during each either else enough
especially even ever every everyone everything few for from further had has have having he her here hers herself
him himself his how however i if in inside into is it its itself just least less let like many may me might mine
more most much must my myself near neither never no nor not nothing now of off often on once one only onto or
other others our ours out outside over own per perhaps quite rather really same several she should since so some
someone something still such than that the their theirs them themselves then there these they this those though
through thru throughout to together too toward towards under until up upon us very via was we well were what
whatever when where whether which while who whom whose why will with within without would yet you your yours
yourself almost amid amidst aboard onto whilst ago despite indeed
""".split())

# film and review words that say nothing of the story itself
_GENERIC = lemmas("""
film movie picture flick cinema cinematic story stories tale plot narrative premise scene scenes sequence moment
moments character characters protagonist audience audiences viewer viewers watch watching watched see experience
journey theme themes element elements aspect aspects mix blend combination sense feel feeling tone atmosphere
essence spirit world way ways thing things lot bit kind sort part parts piece time times minute minutes hour hours
end ending beginning opening start final finale climax twist twists rest overall first second third last director
directors actor actors actress cast role roles performance performances follow follows followed following tell
tells told telling revolve revolves revolved revolving center centers centered centre centres centred set sets
place places take takes taking make makes making give gives giving show shows showing feature features depict
depicts depicted portray portrays portrayed explore explores explored capture captures captured focus focuses
focused deal deals dealt bring brings come comes go goes going get gets getting keep keeps seem seems seemed become
becomes use uses used try tries tried want wants wanted need needs know knows think thinks include includes
included involve involves involved offer offers offered manage continue provide allow let help put happen happens
happened event events unfold unfolds unfolding leave leaves begin begins series screen viewing classic genre
effort execution level way life viewer thing review rating note notes member members premise idea ideas concept
acting music score soundtrack pacing pace dialogue script screenplay writing cinematography visuals camera
direction effects humour humor comedy drama genre performance chemistry
true real whole entire various many much several other another certain own main central key major minor
particular particularly full fully simply stuff riot blast late early mid later earlier new modern today
appear appears appeared appearance finally moment kind
""".split())

# people in general: "a group of friends", "the heroes", "a young man" carry no story on their own
_PEOPLE = lemmas("""
man men woman women person people guy guys girl girls boy boys kid kids child children friend friends family
families group groups couple couples team teams hero heroes heroine heroines villain villains protagonist
protagonists antagonist antagonists character characters member members lead leads everyone someone young old
""".split())

# people a pronoun can stand for (orphans)
_PERSON_NOUNS = _PEOPLE | lemmas("""
actor actors actress actresses director writer star stars performer performers cast ensemble duo pair trio crew
gang legend icon father mother dad mom mum parent parents son daughter wife husband brother brothers sister sisters
twins grandma grandpa grandmother grandfather uncle aunt baby teenager teen teens student students teacher boss
neighbour neighbours neighbor neighbors stranger cop cops police detective agent spy sheriff deputy officer
soldier soldiers captain sergeant knight warrior king queen prince princess emperor empress lord lady
mayor president senator judge lawyer doctor nurse priest nun monk cook chef waiter pilot astronaut spaceman sailor
cowboy farmer driver worker workers thief thieves burglar burglars robber gangster mobster hitman assassin killer
murderer criminal convict prisoner inmate victim witness narrator composer musician singer dancer artist writer
wizard witch ghost vampire zombie monster creature alien aliens robot android computer animal dog cat toy toys
""".split())


# -- opinion words -------------------------------------------------------------------------------------------------

# praise strong enough to go against a low rating ("glowing"); milder praise ("good", "fun") is in _MILD_WORDS
_GLOWING_WORDS = """
excellent superb superbly outstanding brilliant brilliantly amazing amazingly stunning stunningly spectacular
beautiful beautifully gorgeous breathtaking impressive remarkable memorable perfect perfectly fantastic wonderful
wonderfully captivating compelling masterful masterfully masterpiece powerful iconic exceptional exceptionally
phenomenal standout terrific incredible incredibly awesome mesmerizing mesmerising flawless thrilling gripping
riveting unforgettable timeless gem triumph impeccable impeccably sublime stellar excellently marvelous marvellous
dazzling exquisite engrossing masterclass top-notch first-rate must-see must-watch well-crafted well-executed
well-acted well-written well-done well-directed entertaining enjoyable delightful
"""
_MILD_WORDS = """
good great strong solid engaging effective nuanced convincing believable haunting catchy shines shine shined shone
excels excel excelled delight charming witty sharp tight crisp clever fresh lush vivid striking moving touching
heartwarming hilarious noteworthy commendable evocative atmospheric immersive seamless seamlessly authentic rich
skilful skillful fun lovely elegant inventive creative innovative unique original thoughtful poignant charismatic
magnetic electric effortless effortlessly highlight treat joy intriguing fascinating expertly deftly skillfully
wondrous finest best elevates elevated elevate enhances enhanced enhance complements complemented inspiring
inspired resonated resonates resonant exciting spot-on recommend recommended worth absorbing heartfelt emotional
impactful
"""
_NEGATIVE_WORDS = """
bad poor poorly weak weaker weakest awful terrible dreadful horrible mediocre bland flat wooden stiff clunky
cringe cringeworthy cringey cheesy corny cliched cliche cliches formulaic generic forgettable unconvincing
underwhelming lackluster lacklustre lacking lacks lacked messy convoluted confusing confused muddled rushed overlong
bloated dragged drags dragging slow sluggish plodding jarring grating annoying irritating distracting cheap dated
awkward forced overdone overacted overacting hammy silly laughable ridiculous absurd nonsensical pointless shallow
thin one-dimensional worse worst painful lazy sloppy fails failed failing flaw flaws flawed disappointing
disappointment disappointed letdown uneven predictable tedious boring bored dull disjointed incoherent
underdeveloped wasted stilted tiresome monotonous repetitive drawback drawbacks downside downsides misfire mess
problematic overwrought melodramatic heavy-handed unfocused lifeless
"""
# the writer's own verbs of liking count only with "I" or "we": "the woman he loved" judges nothing
_FIRST_PERSON_GLOWING = r"\b(?:i|we)(?: \w+)? (?:loved|love|adored|adore|relished)\b|\bhighly recommend(?:ed)?\b"
_FIRST_PERSON_MILD = r"\b(?:i|we)(?: \w+)? (?:enjoyed|enjoy|liked|like|admired|admire|appreciated|appreciate)\b"
_FIRST_PERSON_NEGATIVE = r"\b(?:i|we)(?: \w+)? (?:hated|hate|disliked|dislike|loathed|regret)\b"
_GLOWING_PHRASES = [r"nothing short of", r"well (?:done|crafted|executed|acted|written|directed|made)", r"top notch",
                    r"first rate", r"a must", r"on the edge of (?:my|your) seat", _FIRST_PERSON_GLOWING]
_MILD_PHRASES = [r"spot on", r"stand(?:s|out)? out", r"stood out", r"brought \w+ to life",
                 r"brings? (?:\w+ ){0,2}to life", r"kept me (?:engaged|hooked|glued|on the edge)",
                 r"worth (?:watching|seeing|it)", r"well paced", _FIRST_PERSON_MILD]
_NEGATIVE_PHRASES = [r"falls? short", r"fell short", r"falls? flat", r"fell flat", r"a (?:bit|little|tad) (?:of a )?"
                     r"(?:off|much|long|slow|flat|weak|thin|dull|rushed|dated|cheesy|forced|overdone|messy|"
                     r"disappointment|letdown|confusing|predictable|uneven|lacking|drawn out)",
                     r"(?:difficult|hard) to (?:follow|understand|watch|care|believe|sit through)",
                     r"miss(?:es|ed)? the mark", r"could(?: not|n't)? have been (?:better|tighter|shorter|more)",
                     r"could have been", r"could've been", r"should have been", r"left (?:me|much|a lot) (?:cold|"
                     r"wanting|to be desired)", r"not (?:as|quite|very|particularly|always|entirely|that) \w+",
                     r"too (?:long|slow|much|many|loud|dark|sentimental|predictable|simple|thin)",
                     r"let down", r"drawn out", r"over the top", _FIRST_PERSON_NEGATIVE]
_NEGATORS = frozenset("not never no nothing without hardly barely nor neither isn't wasn't aren't weren't don't "
                      "doesn't didn't never cannot can't couldn't won't".split())
# "I wanted to like it", "fans of X may enjoy it", "some may find it slow": not the writer's own judgement
_HEDGE = re.compile(r"\b(?:wanted|hoped|tried|expected|hoping|trying) to (?:like|love|enjoy)\b|\b(?:may|might|could)"
                    r" (?:enjoy|like|appreciate|find|love)\b|\bfans of\b|\bif you (?:like|love|enjoy)\b|\b(?:for|to) "
                    r"(?:those|anyone|viewers|audiences|people) who\b|\bsome (?:may|might|will|viewers|people)\b")
# words of judgement that judge nothing here: "a love story", "best friends", "slow motion", "forced to flee"
_IDIOMS = re.compile(r"\b(?:(?:fall|falls|falling|fell|are|is|was|were) in love|in love|love (?:story|stories|"
                     r"triangle|interest|affair|letters?|life|lives)|make fun of|made fun of|makes fun of|best "
                     r"friends?|good guys?|bad guys?|good and evil|good vs\.? evil|for good|great white|great "
                     r"depression|great war|good old|slow[- ]motion|slow[- ]burn|slow[- ]build|forced to|flat out)\b")


def _word_pattern(words: Iterable[str]) -> str:
    alternatives = sorted({re.escape(w).replace(r"\-", "[- ]") for w in words}, key=len, reverse=True)
    return r"\b(?:" + "|".join(alternatives) + r")\b"


def _phrases(patterns: Iterable[str]) -> str:
    return "|".join(rf"\b(?:{p})\b" for p in patterns)


_GLOWING = re.compile(_word_pattern(_GLOWING_WORDS.split()) + "|" + _phrases(_GLOWING_PHRASES))
_MILD = re.compile(_word_pattern(_MILD_WORDS.split()) + "|" + _phrases(_MILD_PHRASES))
_NEGATIVE = re.compile(_word_pattern(_NEGATIVE_WORDS.split()) + "|" + _phrases(_NEGATIVE_PHRASES))
_EVALUATIVE = lemmas((_GLOWING_WORDS + _MILD_WORDS + _NEGATIVE_WORDS).split()) | lemmas("""
interesting intriguing fascinating unique special pure deep deeply profound mysterious intense dramatic emotional
dark simple complex clever smart tense scary creepy chilling unsettling disturbing sad funny warm bleak brutal
gentle sweet sentimental epic grand iconic legendary famous stunning visual overall truly really quite very
particularly incredibly especially surprisingly genuinely undeniably absolutely certainly definitely simply
highly wholeheartedly great greatest better best worst vibrant colorful colourful lasting resonate resonated
crafted executed notch top spot rate must heart indeed loved love adored enjoyed liked admired appreciated
terrifying frightening horrifying suspenseful shocking heartbreaking devastating tragic eerie menacing tender
uplifting bittersweet joyful harrowing stylish slick gritty raw visceral bold ambitious nerve-wracking nail-biting
relatable likable likeable lovable memorable unforgettable spooky hopeful heartbreaking haunting tense terrific
""".split())


@dataclass(frozen=True)
class Polarity:
    glowing: int = 0  # strong praise ("superb", "I loved")
    mild: int = 0  # milder praise ("good", "fun")
    negative: int = 0  # criticism ("predictable", "falls short"), and negated praise ("not great")

    @property
    def positive(self) -> int:
        return self.glowing + self.mild


def polarity(clause: str) -> Polarity:
    """The judgements in a clause, a negated one counted the other way ("never boring" is mild praise); none in a
    hedge ("fans of X may enjoy it")."""
    text = " " + plain(clause).casefold() + " "
    if _HEDGE.search(text):
        return Polarity()
    text = re.sub(r"\bnothing short of\b", " superb ", text)
    text = re.sub(r"\bnot (?:only|just)\b", " ", _IDIOMS.sub(" ", text))
    counts = {"glowing": 0, "mild": 0, "negative": 0}
    for pattern, kind in ((_NEGATIVE, "negative"), (_GLOWING, "glowing"), (_MILD, "mild")):
        for m in pattern.finditer(text):
            before = text[:m.start()].split()[-3:]
            flipped = any(w in _NEGATORS or w.endswith("n't") for w in before) and not m.group(0).startswith("not ")
            if not flipped:
                counts[kind] += 1
            else:
                counts["mild" if kind == "negative" else "negative"] += 1
        text = pattern.sub(" ", text)  # "not as good" is no praise as well
    return Polarity(**counts)


# -- aspects -------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Aspect:
    """What a review can judge: how a review sentence names it, and (more loosely) how notes mention it."""

    name: str
    review: re.Pattern[str]
    notes: re.Pattern[str]


def _aspect(name: str, review: str, notes: str) -> Aspect:
    return Aspect(name, re.compile(review), re.compile(notes))


ASPECTS: tuple[Aspect, ...] = (
    _aspect("acting",
            r"\b(?:acting|acted|performances?|performers?|actors?|actress(?:es)?|casting|ensemble|portrayals?|"
            r"chemistry|accents?|line deliver(?:y|ies)|screen presence|well[- ]acted)\b|\bcast\b(?! (?:a|an|as|in|"
            r"into|his|her|their|doubt)\b)",
            r"\b(?:act\w*|perform\w*|cast\w*|ensemble|portray\w*|chemistry|accents?|plays?|played|playing|lead|"
            r"leads|overact\w*|wooden|stiff)\b"),
    _aspect("music",
            r"\b(?:music|musical score|soundtrack|songs?|tunes?|melod(?:y|ies)|composer|orchestra(?:l|tion)?|singing|"
            r"vocals|lyrics|musical numbers?|theme (?:song|music|tune)|score)\b(?!\s*(?:of\s*|:\s*)?\d)",
            r"\b(?:music\w*|score|soundtrack|songs?|tunes?|melod\w*|organ|accordion|piano|sing\w*|sung|danc\w*|"
            r"theme|composer|numbers|band|metal|rock|jazz|opera|guitar|violin|orchestra\w*)\b"),
    _aspect("pacing",
            r"\b(?:pacing|pace|paced|slow(?:ly|er)?|sluggish|brisk|drags?|dragged|dragging|length|lengthy|runtime|"
            r"running time|overlong|tempo|plodding|meander\w*|drawn[- ]out)\b|\b(?:too|overly|a bit|a little|quite|"
            r"very|so) long\b|\b(?:is|was|felt|feels|runs|ran) (?:a bit |a little |far |way |too )?long\b",
            r"\b(?:long\w*|slow\w*|drag\w*|pac\w*|length\w*|hours?|short|doz\w*|rush\w*|fast|minutes|too much|"
            r"boring|runtime)\b"),
    _aspect("dialogue",
            r"\b(?:dialogue|dialogues|dialog|script|screenplay|scripting|writing|one-liners?|banter|exchanges|"
            r"conversations?|quips?|monologues?)\b|\b(?:witty|sharp|clever|memorable|quotable|funny|best|famous|"
            r"snappy|clunky|stilted|cheesy) lines\b|\b(?:well|sharply|cleverly|poorly|tightly|beautifully)[- ]"
            r"written\b",
            r"\b(?:dialog\w*|script\w*|screenplay|writ\w*|lines?|quotes?|talk\w*|puns?|explain\w*|monolog\w*|"
            r"speech\w*|exposition|narrat\w*|one-liners?|conversations?|voice-?over)\b"),
    _aspect("ending",
            r"\b(?:ending|endings|finale|(?<!\bin )conclusion|climax|climactic|denouement)\b|\b(?:final|last|closing) "
            r"(?:act|scenes?|shots?|moments?|minutes|twist|reveal|showdown|sequence)\b|\bthe end (?:is|was|left|"
            r"felt)\b",
            r"\b(?:end\w*|finale|climax|final\w*|last|conclusion|resolution)\b"),
    _aspect("visuals",
            r"\b(?:cinematography|visuals|visual(?! effects)|visually|camera ?work|camera|photography|imagery|images|"
            r"lighting|framing|shots|colou?rs|colou?r palette|palette|aesthetics?)\b|\b(?:the|its|film's|"
            r"movie's) look\b|\blooks? (?:stunning|great|amazing|gorgeous|beautiful|incredible|fantastic|good|"
            r"dated|cheap|terrible|awful|spectacular)\b",
            r"\b(?:look\w*|visual\w*|camera\w*|photograph\w*|cinematograph\w*|colou?r\w*|shots?|titles|style|"
            r"pretty|gorgeous|imag\w*|lighting|frames?|framing)\b"),
    _aspect("direction",
            r"\b(?:direction(?! of\b)|directing|directorial|filmmaking|helm\w*|auteur)\b|\b(?:well|masterfully|"
            r"expertly|skillfully|skilfully|beautifully|tightly|deftly|brilliantly)[- ]directed\b",
            r"\b(?:direct\w*|filmmak\w*|helm\w*)\b"),
    _aspect("effects",
            r"\b(?:effects(?! of\b)|cgi|fx|vfx|makeup|make-up|prosthetics|animation|creature design|green ?screen)\b",
            r"\b(?:effects?|cgi|fx|vfx|makeup|make-up|prosthetics|animat\w*|green ?screen)\b"),
    _aspect("design",
            r"\b(?:production design|set design|sets|costumes?|costume design|props)\b",
            r"\b(?:sets?|costumes?|suits?|design\w*|props|production)\b"),
    _aspect("characters",
            r"\b(?:characters|characteri[sz]ations?|character development|supporting characters)\b",
            r"\b(?:characters?|characteri[sz]ation)\b"),  # and any person the notes name (`MemberNotes.read`)
    _aspect("plot",
            r"\b(?:plot|plots|storyline|storylines|storytelling|premise|twists?|structure)\b|\b(?:the|its|film's|"
            r"movie's) story (?:is|was|felt|feels|itself|remains|never|kept|keeps|moves|unfolds|could|lacks)\b",
            r"\b(?:plot\w*|story|stories|storyline|twist\w*|premise|idea|sense|narrative|linear|mystery|reveal)\b"),
    _aspect("humour",
            r"\b(?:humou?r|humorous|funny|funniest|comedy|comedic|jokes?|gags?|laughs?|laughter|wit|witty|"
            r"hilarious\w*|puns?|comic)\b",
            r"\b(?:funn\w*|humou?r\w*|jok\w*|gags?|laugh\w*|lol|hilarious|witty|wit|puns?|comed\w*|comic\w*)\b"),
    _aspect("action",
            r"\b(?:action|fight scenes?|fights|battles?|stunts?|chases?|shootouts?|set pieces?|combat|sword ?fights?)"
            r"\b",
            r"\b(?:action|fight\w*|battle\w*|stunts?|chase\w*|shootouts?|gunfights?|attack|duel|race|explosions?|"
            r"war|raid|heist|combat|sword\w*)\b"),
)
_RELATED = {"effects": {"visuals"}, "visuals": {"effects", "design"}, "design": {"visuals"}}
_NOTES_NEGATIVE = re.compile(
    r"\b(?:awful|bad|boring|cheap|cheesy|cringe\w*|clunky|dumb|lame|meh|slow\w*|long|drags?|too|weird|odd|silly|"
    r"stiff|wooden|whiny|predictable|painful|lazy|flat|confus\w*|mess|laughable|forgettable|terrible|worst|poor\w*|"
    r"overacts?|sentimental|thin|fizzles|lost me|no sense|no chemistry|cant|can't|mean|dozed|rip off|ripoff|jerk|"
    r"blank|badly|not|isn't|wasn't|trashy|nightmare|frantic|chaotic|weak|ok|okay|fine|annoying|cold|loud|lol|"
    r"cheap|clunky|no reason|lousy|sucks?|ugh|eh|nope|nah|overrated|hate[sd]?|tired|dragged|stupid|bland|dull)\b")
_NOTES_POSITIVE = re.compile(
    r"\b(?:good|great|amazing|awesome|incredible|best|lov\w*|cool|fun|funny|nice|ok|okay|fine|perfect|beautiful|"
    r"gorgeous|pretty|catchy|clever|smart|sweet|warm|gentle|joy|scary|creepy|tense|iconic|owns it|steals it|got me|"
    r"cried|destroyed me|works|whimsical|pure|wow|fantastic|brilliant|stunning|epic|masterpiece|classic|legendary|"
    r"hilarious|heart|so much fun|witty|delight\w*|charming|haunting|gripping)\b")
_CLAUSE = re.compile(r";|:|\s+-+\s+|\s+[—–]\s+|,\s*(?:and|but|which|while|whereas|although|though|yet)\b|\s+(?:but|"
                     r"while|whereas|although|though|however|yet)\b|(?<=\.)\s")


def clauses(sentence: str) -> list[str]:
    return [c.strip() for c in _CLAUSE.split(sentence) if c and c.strip()]


def _aspects_named(clause: str) -> list[str]:
    text = plain(clause).casefold()
    return [a.name for a in ASPECTS if a.review.search(text)]


@dataclass(frozen=True)
class MemberNotes:
    """What the notes say about each aspect: mentioned, criticised, praised (per comma-separated clause)."""

    mentioned: frozenset[str]
    criticised: frozenset[str]  # aspects a clause of the notes criticises
    praised: frozenset[str]
    any_criticism: bool
    any_praise: bool
    # each clause of the notes: its words that name things (no judging word), whether it criticises, praises
    points: tuple[tuple[frozenset[str], bool, bool], ...] = ()
    faults: frozenset[str] = frozenset()  # the words of the notes' criticisms ("clunky", "too long")

    @classmethod
    def read(cls, notes: str, cast: Iterable[str] = (), directors: Iterable[str] = ()) -> MemberNotes:
        """`cast`, `directors`: the film's people; a word of their names in the notes (no shorter than 3 letters)
        mentions the acting or the direction."""
        text = plain(notes).casefold()
        words = set(re.findall(r"[a-z0-9']+", text))
        mentioned, criticised, praised = set(), set(), set()
        points = []
        for name, people in (("acting", cast), ("direction", directors)):
            if any(w in words for person in people for w in plain(person).casefold().split() if len(w) > 2):
                mentioned.add(name)
        for part in re.split(r"[,;.!?\n]+|\bbut\b", text):
            here = {a.name for a in ASPECTS if a.notes.search(part)}
            if any(lemma(w) in _PERSON_NOUNS for w in tokens(part)):
                here.add("characters")  # "the villain", "the girl", "the old guy": the notes speak of a character
            mentioned |= here
            if _NOTES_NEGATIVE.search(part):
                criticised |= here
            if _NOTES_POSITIVE.search(part):
                praised |= here
            if named := _named_words(part):
                points.append((named, bool(_NOTES_NEGATIVE.search(part)), bool(_NOTES_POSITIVE.search(part))))
        faults = frozenset(m.group(0) for m in _NOTES_NEGATIVE.finditer(text)) - _NOT_FAULTS
        return cls(frozenset(mentioned), frozenset(criticised), frozenset(praised),
                   bool(_NOTES_NEGATIVE.search(text)), bool(_NOTES_POSITIVE.search(text)), tuple(points), faults)

    def points_named(self, clause: str, title: str = "") -> list[tuple[bool, bool]]:
        """(criticises, praises) of each clause of the notes that `clause` names a thing of (a word of 4 letters or
        more, or one sharing its first 7 letters: "sentimentality" names "sooo sentimental"); the film's title names
        none ("Seven Samurai" is not "the funny samurai")."""
        mine = _named_words(clause) - _named_words(title)
        return [(negative, positive) for named, negative, positive in self.points
                if any(w == n or (len(w) >= 7 and len(n) >= 7 and w[:7] == n[:7]) for w in mine for n in named)]


# words that name no particular thing of a film, for `MemberNotes.points_named`
_NO_POINT = frozenset("""
film films movie movies scene scenes moment moments thing things part parts bit lot way time times one story overall
really very much stuff element elements aspect aspects
""".split())


def _named_words(text: str) -> frozenset[str]:
    """The words of a clause that name things: no function word, no judging word, nothing generic; lower case."""
    judging = " ".join(m.group(0) for p in (_NOTES_NEGATIVE, _NOTES_POSITIVE, _NEGATIVE, _GLOWING, _MILD)
                       for m in p.finditer(" " + plain(text).casefold() + " "))
    skip = set(judging.split())
    return frozenset(w for w in (t.casefold() for t in tokens(text))
                     if len(w) >= 4 and w not in _STOP and w not in _NO_POINT and w not in skip)


# words of the notes' criticism that say nothing of their own when they come back in a review
_NOT_FAULTS = frozenset("too not isn't wasn't ok okay fine cant can't".split())


# a sentence's parts for the point rule: split at a turn or ", and" only ("The docking scene, which was ..., felt
# clunky" is one)
_TURN = re.compile(r";|\s+[—–]\s+|,\s+and\b|,?\s+(?:but|while|whereas|although|though|however|yet)\b")


def point_reasons(sentence: str, notes: MemberNotes, title: str = "") -> list[str]:
    """A judgement turned against the notes' own points: praise of a thing every note that names it criticises ("the
    film's sentimentality ... were particularly touching" for "sooo sentimental, the girl is treated badly"), or the
    notes' criticism of one thing moved onto another they name without criticising ("The docking scene ... felt
    clunky" for "the docking scene, ..., the dialogue about love is clunky")."""
    reasons = []
    for part in _TURN.split(sentence):
        named = notes.points_named(part, title)
        if not named:
            continue
        judged = polarity(part)
        moved = {m.group(0) for m in _NOTES_NEGATIVE.finditer(" " + plain(part).casefold() + " ")} & notes.faults
        if judged.negative and not judged.positive and moved and not any(negative for negative, _ in named):
            reasons.append(f"moves the notes' criticism ({', '.join(sorted(moved))}) onto what they name without "
                           "criticising it")
        elif (judged.glowing or judged.mild) and not judged.negative and all(
                negative and not positive for negative, positive in named):
            reasons.append("praises what the notes criticise")
    return list(dict.fromkeys(reasons))


# a reviewer turning the reader away from the film ("I would not recommend it to anyone")
_TURNED_AWAY = re.compile(r"\b(?:(?:would|could|can|do|will)\s*(?:not|n't)|wouldn't|couldn't|can't|don't|won't)\s+"
                          r"(?:\w+\s+)?recommend|\bnot worth (?:watching|seeing|your time)|\bskip (?:it|this)\b")


def _covers(aspects: frozenset[str], aspect: str) -> bool:
    return aspect in aspects or bool(_RELATED.get(aspect, set()) & aspects)


def opinion_reasons(sentence: str, notes: MemberNotes, share: float | None, rating: str,
                    high: float = 0.7, low: float = 0.4) -> list[str]:
    """Why a sentence gives an opinion the member did not give; empty when it gives none."""
    reasons: list[str] = []
    for clause in clauses(sentence):
        if share is None and not notes.any_criticism and _TURNED_AWAY.search(clause.casefold()):
            reasons.append("a verdict against the film, and the notes criticise nothing and give no rating")
        judged = polarity(clause)
        if not judged.positive and not judged.negative:
            continue
        aspects = _aspects_named(clause)
        for aspect in aspects:
            if not _covers(notes.mentioned, aspect):
                reasons.append(f"judges the {aspect}, which the notes do not mention")
        if share is None:
            continue
        if share >= high and judged.negative and not judged.positive:
            for aspect in aspects or ["film"]:
                given = notes.any_criticism if aspect == "film" else _covers(notes.criticised, aspect)
                if not given:
                    reasons.append(f"criticises the {aspect} at {rating}, and the notes make no such criticism")
        elif share <= low and judged.glowing and not judged.negative:
            for aspect in aspects or ["film"]:
                given = notes.any_praise if aspect == "film" else _covers(notes.praised, aspect)
                if not given:
                    reasons.append(f"praises the {aspect} at {rating}, and the notes give no such praise")
    return list(dict.fromkeys(reasons))


# -- story ---------------------------------------------------------------------------------------------------------

_PREMISE = re.compile(
    r"\b(?:follows|followed|tells? (?:the|a|an) (?:\w+ )?(?:story|tale) (?:of|about)|told (?:the|a) (?:\w+ )?"
    r"(?:story|tale) (?:of|about)|premise of|"
    r"(?:the|a|an) (?:\w+ )?(?:story|tale|journey|saga|chronicle) of|revolves? around|revolved around|"
    r"cent(?:er|re)(?:s|d)? (?:on|around)|(?:is|was|are|were) (?:all )?about (?:a|an|the|two|three|four|how|what)\b|"
    r"set (?:in|on|against|during|amid|amidst|aboard)|takes? place|took place|the plot (?:follows|revolves|centers|"
    r"centres|sees)|chronicles|depicts|the backdrop of|against the backdrop)\b")
_SCENE = re.compile(
    r"\b(?:the (?:opening|first|final|last|closing) (?:scene|sequence|shot|act|moments?)|in the end\b|the ending "
    r"(?:where|when|in which|with)|the (?:scene|moment|sequence|part) (?:where|when|in which|with)|(?:where|when|as|"
    r"in which) (?:the|a|an|his|her|their) (?:\w+ ){0,2}(?:heroes|hero|villains?|characters?|protagonists?|"
    r"family|friends|group|couple|men|women|man|woman|kids|children|boy|girl|gang|crew|team))\b")
_SETTING = re.compile(r"\b(?:set (?:in|on|against|during|amid|aboard)|takes? place|took place|located in|the streets "
                      r"of|the backdrop of|the town of|the city of|the village of)\b")
_STORY_VERBS = lemmas("""
fight fights fought fighting battle battles battled escape escapes escaped escaping flee flees fled fleeing travel
travels traveled travelled traveling travelling discover discovers discovered discovering kill kills killed killing
murder murders murdered die dies died dying meet meets met meeting ride rides rode riding rescue rescues rescued save
saves saved saving chase chases chased chasing hunt hunts hunted hunting navigate navigates navigated navigating
spend spends spent spending struggle struggles struggled search searches searched searching investigate investigates
investigated steal steals stole stealing rob robs robbed robbing plan plans planned plot plots plotted scheme
schemes attempt attempts attempted decide decides decided return returns returned returning arrive arrives arrived
marry marries married betray betrays betrayed confront confronts confronted defeat defeats defeated destroy
destroys destroyed attack attacks attacked survive survives survived race races raced hide hides hid hiding seek
seeks sought track tracks tracked pursue pursues pursued infiltrate infiltrates trap traps trapped kidnap kidnaps
kidnapped shoot shoots shooting stab stabs stabbed protect protects protected uncover uncovers uncovered embark
embarks embarked venture ventures ventured wander wanders wandered cross crosses crossed reunite reunites reunited
inherit inherits inherited sail sails sailed fly flies flew crash crashes crashed sink sinks sank drown drowns
drowned invade invades invaded conquer conquers conquered join joins joined befriend befriends befriended train
trains trained compete competes competed avenge avenges avenged solve solves solved rebel rebels overthrow
sacrifice sacrifices sacrificed abandon abandons abandoned smuggle smuggles blackmail unravel unravels team teams
teamed bond bonds bonded dance dances danced sing sings sang romance romances fall-in-love falls-in-love
fell-in-love escape transport transports transported arrest arrests arrested capture captures
""".split()) - lemmas("capture captures".split())
_NOT_ADVERBS = frozenset("family italy july lily ally fly rally holly bully belly jelly assembly supply reply "
                         "butterfly anomaly monopoly emily kelly molly sally billy willy polly dolly".split())
_DETERMINERS = frozenset("the a an this that these those its his her their my our your every each".split())
_DECADE = re.compile(r"\b(1[5-9]|20)(\d)0['’]?s\b|['’](\d)0s\b|\bthe ([2-9])0s\b")
_DECADE_WORD = re.compile(r"\b(twenties|thirties|forties|fifties|sixties|seventies|eighties|nineties)\b")
_DECADE_WORDS = {"twenties": 1920, "thirties": 1930, "forties": 1940, "fifties": 1950, "sixties": 1960,
                 "seventies": 1970, "eighties": 1980, "nineties": 1990}
_YEAR = re.compile(r"(?<![\d/.])\b(1[5-9]\d\d|20[0-4]\d)\b(?![\d/]|\.\d|s\b)")
_CENTURY = re.compile(r"\b(?:\d{1,2}(?:st|nd|rd|th)|\w+(?:teenth|tieth|first|second|third))[- ]century\b")
_ERAS = ("victorian", "edwardian", "elizabethan", "medieval", "middle ages", "prohibition", "great depression",
         "the depression", "cold war", "civil war", "world war", "wwii", "ww2", "wwi", "renaissance", "roaring",
         "jazz age", "wild west", "old west", "gold rush", "stone age", "ice age", "bronze age", "space age",
         "post-war", "postwar", "pre-war", "antebellum", "regency", "feudal", "ancient")
_ERA = re.compile(r"\b(?:" + "|".join(re.escape(e) for e in _ERAS) + r")\b")
# the release decade dates the film, not its story, in "the best musicals of the 1950s", "released in the 1950s"
_RELEASE_ERA = re.compile(r"\b(?:films?|movies?|musicals?|cinema|classics?|releases?|hits?|best|greatest|finest|"
                          r"biggest|pictures?|comedies|thrillers|dramas|westerns|blockbusters?) of the\s*$|"
                          r"\b(?:released|made|produced|filmed|premiered|came out|shot) in (?:the\s*)?$")
# "the 1998 remake", "his 1994 film": a year that dates another work, not the story
_DATES_A_WORK = re.compile(r"\s*(?:['’]s\s+)?(?:\w+\s+)?(?:remake|version|original|film|movie|sequel|prequel|"
                           r"adaptation|release|classic|novel|book|play|musical|oscars?|academy|hit|series|"
                           r"production|reboot|cut)\b")
# "I first saw it in 1998": the writer's year, not the story's
_WATCHED = re.compile(r"\b(?:i|we)\b[^,;]*\b(?:saw|watched|seen|viewed|caught|rewatched|discovered)\b[^,;]*$")
_REGIONS = frozenset("""
west east north south midwest europe asia africa america americas arctic antarctica sahara alps amazon himalayas
caribbean pacific atlantic mediterranean balkans scandinavia siberia
england scotland ireland wales britain france italy spain portugal germany austria switzerland netherlands holland
belgium poland russia ukraine greece turkey sweden norway denmark finland iceland hungary czech romania china japan
korea india pakistan afghanistan iran iraq israel egypt morocco tunisia libya kenya nigeria congo ethiopia
australia zealand canada mexico cuba brazil argentina chile peru bolivia colombia venezuela vietnam cambodia
thailand indonesia philippines tibet mongolia
paris london berlin tokyo vienna venice rome moscow hollywood manhattan brooklyn vegas texas california alaska
edinburgh glasgow dublin chicago boston miami seattle arizona nevada
""".split())
# words of many place names that name no place alone ("Gotham City", "Lake Placid")
_PLACE_PARTS = frozenset("city town new old san santa saint st port fort lake river island islands bay beach falls "
                         "mount mountain springs park valley upper lower great little grand point harbor harbour "
                         "creek rock heights hills centre center village".split())
_DEMONYMS = {
    "united states": "american america americas us usa u.s states yankee", "united kingdom":
    "british english england britain uk scottish scotland welsh wales london", "france": "french paris",
    "italy": "italian rome", "germany": "german berlin", "spain": "spanish madrid", "japan": "japanese tokyo",
    "china": "chinese", "india": "indian", "mexico": "mexican", "canada": "canadian", "australia": "australian",
    "russia": "russian", "soviet union": "soviet russian russia", "ireland": "irish", "sweden": "swedish",
    "denmark": "danish", "norway": "norwegian", "poland": "polish", "hong kong": "chinese cantonese",
    "south korea": "korean korea", "new zealand": "kiwi", "brazil": "brazilian", "greece": "greek",
}
_DEMONYM_WORDS = frozenset(w for words in _DEMONYMS.values() for w in words.split() if w.isalpha())


# words a review may use for what the notes or the plot line said in other words ("bike flight" -> "they ride their
# bikes across the sky"): one group each, a word supported when any word of its group is
_KINDRED = [lemmas(group.split()) for group in (
    "bike bicycle ride cycle pedal", "fly flight flying sky air soar airborne", "cry tears weep sob",
    "die death dead kill murder killer", "fight battle duel brawl combat shootout",
    "love romance romantic kiss affair", "boat ship sail sea ocean vessel yacht", "car drive driver truck vehicle",
    "house home mansion", "city town", "school class student teacher",
    "space planet galaxy astronaut rocket spaceship", "alien extraterrestrial creature", "night dark evening",
    "escape flee breakout", "prison jail cell inmate penitentiary", "war soldier army",
    "money cash heist robbery rob steal", "song sing music tune", "dinosaur raptor", "computer machine robot",
    "funny joke laugh humour humor comedy", "scare scary fear terror horror dread", "police cop detective",
    "hunt chase pursue track", "crash wreck", "hospital doctor nurse", "court trial judge jury lawyer",
    "wedding marry marriage", "dance dancer ballet", "sinking sink drown", "hotel motel", "rain storm",
    "friend friendship buddy",
)]
_KIN = {word: i for i, group in enumerate(_KINDRED) for word in group}


@dataclass(frozen=True)
class Sources:
    """What a review may tell of the story: the lemmas of the notes, the plot line, the title and the catalog's
    facts, with their prefixes (so that "musical" is supported by "music"), and the periods they name."""

    lemmas: frozenset[str]
    prefixes: frozenset[str]  # every prefix of 5 letters or more of a source lemma
    years: frozenset[int]  # years and decades (1920, 1927) the notes or the plot line name
    release: int | None  # the film's year

    @classmethod
    def build(cls, notes: str, plot: str = "", title: str = "", facts: Iterable[str] = (), countries:
              Iterable[str] = (), year: int | None = None) -> Sources:
        """`facts`: the catalog's genres, languages and people; `countries`: its countries (their demonyms count:
        "American" for "United States of America")."""
        words = tokens(" ".join([notes, plot, title, *facts]))
        for country in countries:
            key = plain(country).casefold()
            words += tokens(country)
            for name, demonyms in _DEMONYMS.items():
                if name in key or key in name:
                    words += demonyms.split()
        found = {lemma(w) for w in words}
        if year:
            found.add(str(year))
        years: set[int] = set()
        for text in (notes, plot):
            years |= _periods(text)
        prefixes = {w[:i] for w in found if len(w) >= 5 for i in range(5, len(w) + 1)}
        return cls(frozenset(found), frozenset(prefixes), frozenset(years), year)

    def supports(self, word: str) -> bool:
        """A lemma the sources hold, or one that a source lemma begins ("musical" for "music"), or that begins one,
        or a kindred word of one they hold ("ride" for "bike", see `_KINDRED`)."""
        if word in self.lemmas or word in self.prefixes or any(word[:i] in self.lemmas for i in range(5, len(word))):
            return True
        group = _KIN.get(word)
        return group is not None and bool(_KINDRED[group] & self.lemmas)

    def supports_period(self, value: int) -> bool:
        return value in self.years or (value // 10 * 10) in self.years or (value % 10 == 0 and any(
            y // 10 * 10 == value for y in self.years))


def _periods(text: str) -> set[int]:
    """The years and decades a text names: "1927" -> {1927, 1920}; "the 50s" -> {1950}."""
    found: set[int] = set()
    text = plain(text).casefold()
    for m in _DECADE.finditer(text):
        if m.group(1):
            found.add(int(m.group(1) + m.group(2) + "0"))
        else:
            found.add(1900 + 10 * int(m.group(3) or m.group(4)))
    for m in _DECADE_WORD.finditer(text):
        found.add(_DECADE_WORDS[m.group(1)])
    for m in _YEAR.finditer(text):
        found |= {int(m.group(1)), int(m.group(1)) // 10 * 10}
    return found


def period_claims(sentence: str, sources: Sources) -> list[str]:
    """The periods a sentence sets the story in that the sources do not hold ("the 1950s", "1927", "Victorian")."""
    text = plain(sentence).casefold()
    claims: list[str] = []
    for m in list(_DECADE.finditer(text)) + list(_DECADE_WORD.finditer(text)):
        value = min(_periods(m.group(0)) or {0})
        if not value or sources.supports_period(value):
            continue
        if sources.release and value == sources.release // 10 * 10 and (
                _RELEASE_ERA.search(text[:m.start()]) or _DATES_A_WORK.match(text[m.end():])):
            continue
        claims.append(m.group(0))
    for m in _YEAR.finditer(text):
        value = int(m.group(1))
        if (value == sources.release or sources.supports_period(value) or m.group(1) in sources.lemmas
                or _DATES_A_WORK.match(text[m.end():]) or _WATCHED.search(text[:m.start()])):
            continue  # the film's year, a number of its title ("2001"), another work's year, the writer's own
        claims.append(m.group(1))
    for m in _CENTURY.finditer(text):
        if not all(sources.supports(lemma(w)) for w in tokens(m.group(0)) if w != "century"):
            claims.append(m.group(0))
    for m in _ERA.finditer(text):
        if not all(sources.supports(lemma(w)) for w in tokens(m.group(0)) if w not in _STOP):
            claims.append(m.group(0))
    return claims


def story_kind(sentence: str) -> str | None:
    """"premise", "scene" or "narrative" when the sentence tells the story; None otherwise."""
    text = plain(sentence).casefold()
    if _PREMISE.search(text):
        return "premise"
    if _SCENE.search(text):
        return "scene"
    words = tokens(sentence)
    found = [lemma(w) for w in words]
    lowered = [plain(w).casefold() for w in words]
    # a story verb, not the noun it can also be: "the traps", "a truck chase", "their escape"
    if not any(w in _STORY_VERBS and not (_DETERMINERS & set(lowered[max(0, i - 2):i])) for i, w in enumerate(found)):
        return None
    people = any(w in _PERSON_NOUNS for w in found) or any(w.casefold() in ("he", "she", "they") for w in words)
    names = any(w[:1].isupper() and i > 0 and w.casefold() not in _STOP for i, w in enumerate(words))
    return "narrative" if people or names else None


def story_reason(sentence: str, sources: Sources, places: frozenset[str] = frozenset()) -> str | None:
    """Why a sentence tells a story the sources do not support; None when it does not, or they do. `places`: more
    place words (folded) beside the built-in regions."""
    periods = period_claims(sentence, sources)
    if periods:
        return f"sets the story in {', '.join(dict.fromkeys(periods))}: not in the notes, the plot line or the catalog"
    kind = story_kind(sentence)
    words = tokens(sentence)
    # a place matters where something happens in it: a setting ("set in"), a story sentence, or a story event, even
    # as a noun ("their escape to the American West"), but not "I watched it in Paris"
    setting = bool(_SETTING.search(plain(sentence).casefold())) or any(lemma(w) in _STORY_VERBS for w in words)
    if kind is None and not setting:
        return None
    content: list[tuple[str, str]] = []
    for word in words:
        key = lemma(word)
        low = plain(word).casefold()
        bare = low[:-2] if low.endswith("'s") else low
        if (bare in _STOP or "'" in bare or key in _GENERIC or key in _PEOPLE or key in _EVALUATIVE
                or (bare.endswith("ly") and bare not in _NOT_ADVERBS) or len(key) < 2 or bare[:1].isdigit()):
            continue  # (numbers, years and decades are `period_claims`' to judge)
        content.append((word, key))
    unsupported = [(w, k) for w, k in content if not sources.supports(k)]
    where = [w for w, _ in unsupported if w[:1].isupper() and plain(w).casefold() not in _PLACE_PARTS
             and (plain(w).casefold() in _REGIONS or plain(w).casefold() in places
                  or plain(w).casefold() in _DEMONYM_WORDS)]
    named = ", ".join(dict.fromkeys(w for w, _ in unsupported))
    if where and (kind is not None or setting):
        return f"places the story in {', '.join(dict.fromkeys(where))}, which the sources do not give ({named})"
    if kind is None or not content:
        return None
    need, share = (1, 0.25) if kind == "premise" else (2, 0.3)
    if len(unsupported) >= need and len(unsupported) / len(content) >= share:
        return f"a {kind} the notes, the plot line and the catalog do not support: {named}"
    return None


# -- orphans -------------------------------------------------------------------------------------------------------

_MUSIC_PREDICATE = re.compile(r"\b(?:catchy|hummable|earworms?|sung|sing-?along|toe-tapping|tunes?|melod(?:y|ies|ic)|"
                              r"lyrics|rhythms?)\b")
_MUSIC_NOUN = re.compile(r"\b(?:music\w*|songs?|score|soundtrack|tunes?|themes?|melod\w*|numbers?|singing|sings?|sang|"
                         r"composer|compositions?|orchestra\w*|tracks?|ballads?|anthems?|lyrics|accordion|organ|piano|"
                         r"guitar|violin|strings|choir|opera)\b")
_CAST_FILLER = re.compile(r"^(?:overall,?\s+)?(?:the|its|this film's|the film's|the movie's) (?:supporting |main "
                          r"|whole |entire )?(?:cast|ensemble|performances|actors|acting|cast members|performers)\b")
_FILLER_FRAME = re.compile(r"\b(?:example|testament|showcase|credit|highlight|strengths?|asset|backbone|heart|pillar|"
                           r"component|reason|proof|reflection|embodiment|cornerstone)\b")
_FUNCTION_CAPS = frozenset("""
the a an it its this that these those they their he she his her i in on at as and but overall however while although
though with for from when after before during my we our there what one all both each every another if so yet still
even also then since because despite ultimately finally additionally moreover furthermore watching seeing as to by
""".split())


def _names_someone(sentence: str, title: frozenset[str]) -> bool:
    """A capitalised word that is no function word and no word of the title: a name, most likely."""
    return any(w[:1].isupper() and plain(w).casefold() not in _FUNCTION_CAPS and plain(w).casefold() not in title
               for w in tokens(sentence))


def _has_person(sentence: str, title: frozenset[str]) -> bool:
    words = tokens(sentence)
    if any(lemma(w) in _PERSON_NOUNS or w.casefold() in ("he", "she", "him", "his", "her", "himself", "herself")
           for w in words):
        return True
    return _names_someone(sentence, title)


_COLLECTIVE = lemmas("cast crew ensemble family team gang group couple duo pair trio band audience people".split())


def _has_plural(sentence: str, title: frozenset[str]) -> bool:
    words = [plain(w).casefold() for w in tokens(sentence)]
    if any(w in ("they", "their", "them", "both") or lemma(w) in _COLLECTIVE for w in words) or (
            "and" in words and _has_person(sentence, title)):
        return True
    return any(len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is", "'s")) and w not in _STOP
               for w in words)


_HAS = frozenset("has had have features featured boasts boasted includes included offers offered contains".split())
_PRONOUN_THEN_VERB = frozenset("is was are were has had have does did do will would can could may might should must "
                               "also all both never always really still just made make makes gave give gives brought "
                               "bring brings added adds kept keeps felt feels seemed seems showed shows remains "
                               "remained stands stood became becomes".split())


def orphan_reason(sentence: str, previous: str | None, title: str = "") -> str | None:
    """Why a sentence's subject is missing (its pronoun has nothing to stand for); None when it has one. `previous`:
    the sentence before (None for the first); `title`: the film's, whose capitalised words name nobody."""
    title_words = frozenset(plain(w).casefold() for w in tokens(title))
    words = tokens(sentence)
    if not words:
        return None
    first = plain(words[0]).casefold()
    after = plain(words[1]).casefold() if len(words) > 1 else ""
    before = previous or ""
    where = "the review's first sentence" if previous is None else "the sentence before"
    if first in ("he", "she", "his", "her", "him", "himself", "herself"):
        if previous is None or not _has_person(before, title_words):
            return f"opens with {words[0]!r}, and {where} names or describes nobody it could be"
    elif (first in ("they", "their", "them", "theirs") or (first in ("these", "those") and after in _PRONOUN_THEN_VERB)
          ) and not re.match(r"they (?:don't|do not|just don't) make", plain(sentence).casefold()):
        if previous is None or not _has_plural(before, title_words):
            return f"opens with {words[0]!r}, and {where} holds nothing plural it could stand for"
    elif first in ("it", "this", "that") and (first == "it" or after in _PRONOUN_THEN_VERB) and after not in _HAS:
        # "It has a catchy tune", "Its melody": the film has the music; "It was catchy": something else was
        text = plain(sentence).casefold()
        if _MUSIC_PREDICATE.search(text) and not _MUSIC_NOUN.search(_MUSIC_PREDICATE.sub(" ", text)) and (
                previous is None or not _MUSIC_NOUN.search(plain(before).casefold())):
            return f"opens with {words[0]!r} and says what only music can be, and {where} names no music"
    text = plain(sentence).casefold().strip()
    if _CAST_FILLER.search(text) and _FILLER_FRAME.search(text) and not _names_someone(sentence, title_words) and not (
            previous and _names_someone(previous, title_words)):
        return "speaks of the cast as a whole, naming nobody and saying nothing of them (a sentence before it lost?)"
    return None
