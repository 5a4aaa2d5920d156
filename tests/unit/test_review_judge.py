"""The independent /review judge (bench/review_judge.py): each check fires on a planted sentence and stays quiet on
clean text and on what the member's notes say. Runs on the shipped catalog; no language model."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from pathlib import Path

import pytest

from bench.review_judge import DATA_DIR, Judge, Subject, split_sentences
from models.film.catalog import Catalog, Film

JUDGE_FILE = Path(__file__).resolve().parents[2] / "bench" / "review_judge.py"
LAMBS_NOTES = "creepy as hell, the interviews thru the glass, Hopkins barely blinks, the girl is tougher"
# the judge learns common English words from these (see `common_words`); without them it judges no sentence-initial
# word and takes every unknown capitalised word for a name, so the tests of those rules need them
COMMON_WORD_FILES = [DATA_DIR / "emotions" / f"{part}.tsv" for part in ("train", "dev", "test")] + [
    DATA_DIR / "sentiment" / name for name in ("yelp_labelled.txt", "amazon_cells_labelled.txt", "sst2_train.tsv")]
needs_shared_data = pytest.mark.skipif(
    not all(path.is_file() for path in COMMON_WORD_FILES),
    reason=f"needs the GoEmotions, UCI and SST-2 files of ../shared/data ({DATA_DIR}), as in CI's layout")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.open()


@pytest.fixture(scope="module")
def judge(catalog: Catalog) -> Judge:
    return Judge.build(catalog)


@pytest.fixture(scope="module")
def lambs(catalog: Catalog) -> Film:
    film = catalog.resolve("The Silence of the Lambs 1991").film
    assert film is not None
    return film


def lambs_subject(film: Film, notes: str = LAMBS_NOTES, rating: float | None = 4.5, scale: int | None = 5) -> Subject:
    return Subject("The Silence of the Lambs", notes, film, rating, scale)


def checks(judge: Judge, subject: Subject, text: str) -> set[str]:
    return {flag.check for flag in judge.judge(subject, text).flags}


def test_the_judge_shares_no_code_with_the_bots_checks() -> None:
    for path in [JUDGE_FILE, *JUDGE_FILE.parent.glob("story_judge_*.py")]:  # the judge and its story rules
        tree = ast.parse(path.read_text())
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        bot = {name for name in imported if name.split(".")[0] in ("models", "bot", "cogs")}
        assert bot <= {"models.film.catalog", "models.mood.classifier"}, (path.name, bot)
        bench = {name for name in imported if name.startswith("bench")}
        assert bench <= {"bench.story_judge_rules"}, (path.name, bench)


def test_a_clean_review_has_no_flag(judge: Judge, lambs: Film) -> None:
    text = ("I found The Silence of the Lambs creepy as hell. The interviews through the glass are the best scenes, "
            "and Anthony Hopkins barely blinks. Jodie Foster makes the girl tougher than everyone around her, and "
            "Jonathan Demme keeps the tension tight from start to end. I watched it in Paris on a Sunday in "
            "December, thank God, and I give it 4.5/5.")
    verdict = judge.judge(lambs_subject(lambs), text)
    assert verdict.clean, verdict.flags


@pytest.mark.parametrize("sentence", [
    "Anthony Hopkins plays Hannibal Lecter with chilling calm.",
    "The villain, played by Ted Levine, is unsettling.",
    "Scott Glenn is great as the FBI boss.",
    "Jodie Foster's portrayal of Clarice Starling is fierce.",
    "Anthony Hopkins as Lecter is unforgettable.",
])
def test_a_role_the_catalog_cannot_know_is_a_role_error(judge: Judge, lambs: Film, sentence: str) -> None:
    assert "role_errors" in checks(judge, lambs_subject(lambs), sentence)


def test_a_role_the_notes_give_is_allowed(judge: Judge, lambs: Film) -> None:
    notes = "Hopkins as Lecter is chilling, Foster is tough as Clarice"
    subject = lambs_subject(lambs, notes=notes)
    assert "role_errors" not in checks(judge, subject, "Anthony Hopkins plays Lecter with chilling calm.")
    assert "role_errors" not in checks(judge, subject, "Jodie Foster's portrayal of Clarice is fierce.")


def test_composer_claims_are_unknowable_unless_the_notes_name_them(judge: Judge, lambs: Film) -> None:
    for sentence in ("The score by Howard Shore is haunting.", "Howard Shore's music is haunting.",
                     "The music, composed by Hans Zimmer, swells."):
        assert "role_errors" in checks(judge, lambs_subject(lambs), sentence), sentence
    subject = lambs_subject(lambs, notes="Howard Shore's score is haunting, the interviews")
    assert checks(judge, subject, "The score by Howard Shore is haunting.") == set()


def test_wrong_director_and_writer_and_a_director_named_as_actor(judge: Judge, lambs: Film) -> None:
    subject = lambs_subject(lambs)
    assert "role_errors" in checks(judge, subject, "Steven Spielberg directed it with a cold eye.")
    assert "role_errors" in checks(judge, subject, "It was directed by Steven Spielberg.")
    assert "role_errors" in checks(judge, subject, "The script, written by Jonathan Demme, is sharp.")
    assert "role_errors" in checks(judge, subject, "The lead actor, Jonathan Demme, is magnetic.")
    assert "role_errors" not in checks(judge, subject, "Jonathan Demme's direction is tight.")
    assert "role_errors" not in checks(judge, subject, "It was written by Ted Tally and directed by Jonathan Demme.")


def test_bit_players_and_wrong_people_are_minor_cast(judge: Judge, lambs: Film) -> None:
    subject = lambs_subject(lambs)
    assert lambs.cast and "Tracey Walter" in lambs.cast
    bit = judge.judge(subject, "Tracey Walter is a standout.").of("minor_cast")
    assert bit and "bit player" in bit[0].reason
    for sentence in ("Morgan Freeman shines in it.", "It follows a young girl named Agnieszka Wagner."):
        wrong = judge.judge(subject, sentence).of("minor_cast")
        assert wrong and "not credited" in wrong[0].reason, sentence
    assert "minor_cast" not in checks(judge, subject, "Jodie Foster and Anthony Hopkins are superb.")
    named = lambs_subject(lambs, notes=LAMBS_NOTES + ", Tracey Walter is a hoot")
    assert "minor_cast" not in checks(judge, named, "Tracey Walter is a standout.")  # the notes name him


def test_principal_cast_comes_from_catalog_prominence(judge: Judge, lambs: Film) -> None:
    principal = judge.facts.principal_cast(lambs)
    assert len(principal) == 5
    assert {"anthony hopkins", "jodie foster"} <= principal
    assert "tracey walter" not in principal


def test_a_film_the_catalog_does_not_know_names_only_the_notes_people(judge: Judge) -> None:
    subject = Subject("Oppenheimer", "the trinity test, the sound, Cillian is great", None, 8, 10)
    assert "minor_cast" in checks(judge, subject, "Morgan Freeman narrates it.")
    assert "role_errors" in checks(judge, subject, "It was directed by Christopher Nolan.")
    assert checks(judge, subject, "Cillian Murphy is great in it.") == set()


@needs_shared_data
def test_invented_names_are_flagged_and_notes_or_places_are_not(judge: Judge, lambs: Film) -> None:
    subject = lambs_subject(lambs)
    for sentence in ("Clarice Starling is tougher than everyone.", "I loved how Andy Dufresne and Red Wilson talk.",
                     "It follows a young Jewish girl named Agnieszka.", "Philip Marlowe would approve."):
        assert "invented_names" in checks(judge, subject, sentence), sentence
    noted = lambs_subject(lambs, notes=LAMBS_NOTES + ", Clarice")
    assert "invented_names" not in checks(judge, noted, "Clarice is tougher than everyone.")
    quiet = ("I saw it in Vienna and later in New York on Christmas Eve, thank God.",
             "It is the best American thriller since Psycho, and it deserved every Oscar.",
             "Overall, the film works, and The Silence of the Lambs holds up.")
    for sentence in quiet:
        assert "invented_names" not in checks(judge, subject, sentence), sentence


def test_the_notes_points_a_review_keeps_are_counted() -> None:
    from bench.review_judge import points_kept

    notes = "the first 10 minutes destroyed me, the old man and the kid, the balloons"
    assert points_kept(notes, "The film centers on an elderly widower. I give Up 4.5/5.") == (0, 3)  # Up, c3faf78
    assert points_kept(notes, "The first ten minutes destroyed me; the old man and the kid are a joy.") == (2, 3)
    assert points_kept("so bad, the rooftop scenes but the football", "The rooftop scenes bored me.") == (1, 3)


def test_a_composer_the_plot_line_names_is_a_character_not_a_credit(judge: Judge, catalog: Catalog) -> None:
    film = catalog.resolve("Amadeus 1984").film
    assert film is not None
    plot = "The film follows a fictional rivalry between Mozart and Italian composer Antonio Salieri."
    subject = Subject("Amadeus", "the rivalry, the music obviously", film, 9, 10, plot=plot)
    assert "role_errors" not in checks(judge, subject, plot)  # the plot line's own words
    assert "role_errors" in checks(judge, subject, "The score by Hans Zimmer soars.")


def test_stated_and_broken_ratings(judge: Judge, lambs: Film) -> None:
    subject = lambs_subject(lambs)
    assert "broken_numbers" in checks(judge, subject, "I give it 4. 5/5.")
    assert "broken_numbers" in checks(judge, Subject("Heat", "long", None, 7.5, 10), "A solid 7. 5/10 from me.")
    assert "rating_mismatch" in checks(judge, subject, "A solid 8/10 from me.")
    assert checks(judge, subject, "A solid 4.5/5 from me.") == set()
    assert checks(judge, subject, "I would give it 4.5/5 stars.") == set()  # not "5 stars" as well
    assert "rating_mismatch" in checks(judge, subject, "I would give it 3 stars.")
    assert "rating_mismatch" in checks(judge, lambs_subject(lambs, rating=None, scale=None), "I give it 4/5.")


class FakeMood:
    def __init__(self, p: float) -> None:
        self.p = p

    def __call__(self, texts: Sequence[str]) -> list[float]:
        return [self.p] * len(texts)


def test_sentiment_that_contradicts_the_rating(judge: Judge, lambs: Film) -> None:
    text = "The interviews are unbearable. I could not wait for it to end."
    gloomy = Judge(judge.facts, FakeMood(0.2), judge.common)
    assert "rating_mismatch" in {f.check for f in gloomy.judge(lambs_subject(lambs), text).flags}
    assert gloomy.judge(lambs_subject(lambs, rating=1, scale=5), text).clean
    assert gloomy.judge(lambs_subject(lambs, rating=3, scale=5), text).clean  # a mixed rating is not judged
    sunny = Judge(judge.facts, FakeMood(0.9), judge.common)
    verdict = sunny.judge(lambs_subject(lambs, rating=1.5, scale=5), text)
    assert [f.check for f in verdict.flags] == ["rating_mismatch"] and verdict.positive == pytest.approx(0.9)


def test_loops(judge: Judge, lambs: Film) -> None:
    subject = lambs_subject(lambs)
    assert "loops" in checks(judge, subject, "The film is creepy as hell. The film is creepy as hell.")
    run = ("It keeps the tension high from the first scene to the last. Then it keeps the tension high from the "
           "first scene on.")
    assert "loops" in checks(judge, subject, run)
    assert "loops" not in checks(judge, subject, "The film is creepy. The film is tense.")


@pytest.mark.parametrize("text", [
    "Here is my polished review, as instructed.",
    "I kept to my notes and matched the enthusiasm of the rating.",
    "According to the catalog, it runs two hours.",
    "I'm sorry, but I can't help with that.",
    "Film: The Silence of the Lambs (1991)",
    "Word count: 180.",
    "I loved it for its warm and enthusiastic review.",  # the prompt's verdict words (read by eye in a run)
    "The film's enthusiastic tone throughout is a testament to its quality.",
])
def test_prompt_leaks_and_refusals(judge: Judge, lambs: Film, text: str) -> None:
    assert "leaks" in checks(judge, lambs_subject(lambs), text)


def test_an_empty_or_failed_reply_is_not_clean(judge: Judge, lambs: Film) -> None:
    assert not judge.judge(lambs_subject(lambs), "").clean
    assert not judge.judge(lambs_subject(lambs), "[no reply: The model declined]").clean


def test_sentences_keep_initials_and_titles_together() -> None:
    text = "Samuel L. Jackson and Mr. Smith meet. J. J. Abrams would approve!\nA new line"
    assert split_sentences(text) == ["Samuel L. Jackson and Mr. Smith meet.", "J. J. Abrams would approve!",
                                     "A new line"]


@needs_shared_data
def test_hyphenated_words_of_the_title_and_genres_are_known(judge: Judge, catalog: Catalog) -> None:
    et = catalog.resolve("E.T. the Extra-Terrestrial 1982").film
    truman = catalog.resolve("The Truman Show 1998").film
    assert et is not None and truman is not None
    et_subject = Subject("E.T. the Extra-Terrestrial", "the bike", film=et, rating=9, scale=10)
    assert not judge.judge(et_subject, "the Extra-Terrestrial made me cry.").of("invented_names")
    truman_subject = Subject("The Truman Show", "clever", film=truman, rating=8, scale=10)
    assert not judge.judge(truman_subject, "The film was a mix of Sci-Fi, Comedy and Drama.").of("invented_names")
    assert judge.judge(truman_subject, "Jean-Luc Moreau is a delight.").of("invented_names")
    assert not judge.judge(truman_subject, "Fans of Westerns and Comedies may like it.").of("invented_names")


def test_a_refrain_is_a_loop(judge: Judge, catalog: Catalog) -> None:
    film = catalog.resolve("Rear Window 1954").film
    subject = Subject("Rear Window", "the camera, the tension", film=film, rating=9, scale=10)
    text = ("The twist leaves you questioning the nature of reality itself. The camera is clever. The ending "
            "left me questioning the nature of reality itself. It is a film about questioning the nature of reality "
            "itself.")
    assert [f.reason for f in judge.judge(subject, text).of("loops")] == [
        "says 'questioning the nature of reality' a 3rd time"]
    assert not judge.judge(subject, " ".join(text.split(". ")[:3])).of("loops")
