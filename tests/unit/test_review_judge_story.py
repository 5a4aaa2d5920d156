"""The /review judge's story, opinion and orphan checks (bench/review_judge.py with bench/story_judge_rules.py), on
planted sentences: the invented premises, opinions and orphans of issue 20's real replies are flagged, and what the
notes, the plot line or the catalog give is not. Runs on the shipped catalog; no language model, no ../shared/data."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.review_judge import CHECKS, Judge, Subject
from bench.review_quality import SUMMARY_CHECKS, read_plots, summary
from models.film.catalog import Catalog, Film

NORTH_NOTES = "the crop duster scene, Cary Grant is smooth, Mount Rushmore, the train flirting"
# a plot line in the shape data/catalog/plots.tsv gives (written for this test)
NORTH_PLOT = ("A New York advertising executive is mistaken for a government agent by a gang of spies and pursued "
              "across the country, from a crop duster's attack in a cornfield to a chase across Mount Rushmore.")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.open()


@pytest.fixture(scope="module")
def judge(catalog: Catalog) -> Judge:
    return Judge.build(catalog)


def film(catalog: Catalog, query: str) -> Film:
    found = catalog.resolve(query).film
    assert found is not None, query
    return found


def subject(catalog: Catalog, query: str, notes: str, rating: float | None = 4, scale: int | None = 5,
            plot: str = "") -> Subject:
    found = film(catalog, query)
    return Subject(found.title, notes, found, rating, scale, plot)


def flags(judge: Judge, subject: Subject, text: str, check: str) -> list[str]:
    return [f.reason for f in judge.judge(subject, text).of(check)]


def test_the_new_checks_are_judged_and_summed_in_order() -> None:
    assert CHECKS[-3:] == ("story", "opinion", "orphans")
    assert SUMMARY_CHECKS == ("role_errors", "minor_cast", "invented_names", "rating_mismatch", "loops", "leaks",
                              "story", "opinion", "orphans")
    assert summary([]) == ("review_quality n 0 role_errors 0 minor_cast 0 invented_names 0 rating_mismatch 0 loops 0 "
                           "leaks 0 story 0 opinion 0 orphans 0 clean 0")


# -- story ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("query", "notes", "sentence"), [
    ("North by Northwest 1959", NORTH_NOTES,
     "The film revolves around a crop duster pilot navigating through a mysterious mountain range."),
    ("Trainspotting 1996", "heroin, the toilet scene, the baby, choose life, funny and grim",
     "It tells the story of a group of friends who spend their summer vacation in a small English village."),
    ("Singin' in the Rain 1952", "pure joy, the lamp post dance, the silent movie jokes",
     "The film captured the essence of the 1950s."),
    ("Star Wars: Episode IV - A New Hope 1977", "the cantina, the trench run, the droids are cute",
     "The cantina, where the heroes and villains fought for survival, was thrilling."),
    ("Butch Cassidy and the Sundance Kid 1969", "the bike, the cliff jump, funny buddies",
     "Their escape to the American West was thrilling."),
])
def test_an_invented_premise_scene_period_or_place_is_a_story_flag(judge: Judge, catalog: Catalog, query: str,
                                                                   notes: str, sentence: str) -> None:
    assert flags(judge, subject(catalog, query, notes), sentence, "story"), sentence


def test_a_premise_the_plot_line_gives_is_not_flagged(judge: Judge, catalog: Catalog) -> None:
    sentence = ("The film follows a New York advertising executive mistaken for a government agent and pursued "
                "across the country by spies.")
    assert flags(judge, subject(catalog, "North by Northwest 1959", NORTH_NOTES), sentence, "story")  # no plot line
    with_plot = subject(catalog, "North by Northwest 1959", NORTH_NOTES, plot=NORTH_PLOT)
    assert not flags(judge, with_plot, sentence, "story")
    assert flags(judge, with_plot, "The film revolves around a crop duster pilot navigating through a mysterious "
                                   "mountain range.", "story")  # the plot line does not say that
    singin = subject(catalog, "Singin' in the Rain 1952", "pure joy, the lamp post dance, the silent movie jokes", 9,
                     10, plot="In 1927 Hollywood, a silent film star and a chorus girl face the coming of sound.")
    assert not flags(judge, singin, "The film is set in Hollywood in the late 1920s.", "story")


def test_a_premise_the_notes_give_is_not_flagged(judge: Judge, catalog: Catalog) -> None:
    notes = "heroin addicts in Edinburgh, the toilet scene, the baby, choose life"
    premise = "It tells the story of heroin addicts in Edinburgh who choose life."
    assert not flags(judge, subject(catalog, "Trainspotting 1996", notes), premise, "story")
    assert not flags(judge, subject(catalog, "Trainspotting 1996", notes), "The toilet scene is unforgettable.",
                     "story")
    assert flags(judge, subject(catalog, "Trainspotting 1996", "the toilet scene, the baby"), premise, "story")


def test_the_release_decade_may_date_the_film_but_not_set_its_story(judge: Judge, catalog: Catalog) -> None:
    singin = subject(catalog, "Singin' in the Rain 1952", "pure joy, the lamp post dance", 9, 10)
    assert not flags(judge, singin, "It is one of the best musicals of the 1950s.", "story")
    assert not flags(judge, singin, "I watched it in Paris on a Sunday in December.", "story")
    assert not flags(judge, singin, "I first saw it in 1998, and it still holds up.", "story")
    assert flags(judge, singin, "It is set in the 1950s.", "story")
    assert flags(judge, singin, "It is set in 1927.", "story")


# -- opinion -------------------------------------------------------------------------------------------------------

STAR_WARS = ("Star Wars: Episode IV - A New Hope 1977", "the cantina, the trench run, the droids are cute")


def test_an_opinion_on_an_aspect_the_notes_never_mention_is_flagged(judge: Judge, catalog: Catalog) -> None:
    star_wars = subject(catalog, *STAR_WARS, rating=5)
    (reason,) = flags(judge, star_wars, "The acting was top-notch, and the music was well done.", "opinion")
    assert "acting" in reason and "music" in reason


def test_an_opinion_on_an_aspect_the_notes_mention_is_not_flagged(judge: Judge, catalog: Catalog) -> None:
    casablanca = subject(catalog, "Casablanca 1942", "the ending at the airport, witty lines, the music, Bogart is "
                         "so cool", 10, 10)
    sparse = subject(catalog, "Casablanca 1942", "the ending at the airport", 10, 10)
    for sentence in ("The music is wonderful.", "The acting is superb, and Bogart is so cool.",
                     "The witty lines still sparkle."):
        assert not flags(judge, casablanca, sentence, "opinion"), sentence  # the notes name an actor: acting too
        assert flags(judge, sparse, sentence, "opinion"), sentence
    assert not flags(judge, sparse, "The ending at the airport is perfect.", "opinion")


def test_a_criticism_against_a_high_rating_is_flagged(judge: Judge, catalog: Catalog) -> None:
    departed = subject(catalog, "The Departed 2006", "the accents, the rat, the ending is a gut punch", 4, 5)
    (reason,) = flags(judge, departed, "The accents were a bit off, which made the dialogue difficult to follow.",
                      "opinion")
    assert "criticises the acting at 4/5" in reason and "dialogue, which the notes do not mention" in reason
    north = subject(catalog, "North by Northwest 1959", NORTH_NOTES, 4, 5)
    assert flags(judge, north, "However, the execution falls short.", "opinion")
    # the member's own criticism may be said
    harsh = subject(catalog, "The Departed 2006", "the accents are terrible, the rat, the ending", 4, 5)
    assert not flags(judge, harsh, "The accents were a bit off.", "opinion")
    # and at a middling rating a criticism of an aspect the notes mention is the member's call
    assert not flags(judge, subject(catalog, "The Departed 2006", "the accents", 3, 5), "The accents were a bit off.",
                     "opinion")


def test_praise_against_a_low_rating_is_flagged(judge: Judge, catalog: Catalog) -> None:
    notes = "awful puns, the ice villain, the suits, so loud and so long"
    batman = subject(catalog, "Batman & Robin 1997", notes, 1, 5)
    assert flags(judge, batman, "It is a masterpiece of its kind.", "opinion")
    assert not flags(judge, batman, "Fans of camp may enjoy it.", "opinion")
    assert not flags(judge, batman, "I would not recommend it.", "opinion")


def test_a_general_verdict_that_follows_the_rating_is_not_flagged(judge: Judge, catalog: Catalog) -> None:
    star_wars = subject(catalog, *STAR_WARS, rating=4.5)
    for sentence in ("I loved it.", "It is a must-see.", "I highly recommend it to anyone.", "It is a masterpiece.",
                     "The cantina is a delight, and it was never boring."):
        assert not flags(judge, star_wars, sentence, "opinion"), sentence
    assert flags(judge, star_wars, "I loved it, though the pacing is a bit slow.", "opinion")


def test_in_conclusion_is_the_reviewer_closing_not_the_film_ending(judge: Judge, catalog: Catalog) -> None:
    # issue 20, a real reply: the judge read "In conclusion" as judging the ending the notes never mention
    gigli = subject(catalog, "Gigli 2003", "Affleck and Lopez have no chemistry, the turkey speech", 0.5, 5)
    assert not flags(judge, gigli, "In conclusion, I gave Gigli a 0.5/5 rating, as I disliked it strongly.", "opinion")
    (reason,) = flags(judge, gigli, "The conclusion is a mess, and I disliked it strongly.", "opinion")
    assert "ending" in reason


def test_a_judgement_turned_against_the_notes_own_point_is_flagged(judge: Judge, catalog: Catalog) -> None:
    # issue 20, real replies read by eye: praise of what the notes criticise, criticism moved onto what they only name
    gump = subject(catalog, "Forrest Gump 1994", "sweet, the running, the history stuff, but sooo sentimental, the "
                   "girl is treated badly", 6, 10)
    (reason,) = flags(judge, gump, "The running was engaging, but the film's sentimentality and treatment of the girl "
                      "were particularly touching.", "opinion")
    assert reason == "praises what the notes criticise"
    assert not flags(judge, gump, "The running was engaging.", "opinion")
    interstellar = subject(catalog, "Interstellar 2014", "the docking scene, the organ music, the dialogue about love "
                           "is clunky, too long", 6.5, 10)
    (reason,) = flags(judge, interstellar, "The docking scene, which was supposed to be a dramatic moment, felt clunky "
                      "and overly long.", "opinion")
    assert reason == "moves the notes' criticism (clunky, long) onto what they name without criticising it"
    assert not flags(judge, interstellar, "The dialogue about love felt clunky.", "opinion")  # the member's own
    # a criticism the notes never made is the rating's call (see above); a title's words name no point of the notes
    assert not flags(judge, subject(catalog, "Interstellar 2014", "the docking scene", 3, 5),
                     "The docking scene felt clunky.", "opinion")
    samurai = subject(catalog, "Seven Samurai 1954", "long, the rain battle at the end is great, the funny samurai", 3,
                      5)
    assert not flags(judge, samurai, "I watched Seven Samurai with a mix of excitement and a bit of disappointment.",
                     "opinion")


# -- orphans -------------------------------------------------------------------------------------------------------

def test_an_it_that_only_music_can_be_needs_music_before_it(judge: Judge, catalog: Catalog) -> None:
    social = subject(catalog, "The Social Network 2010", "sharp, fast talk, the deposition scenes", 4.5, 5)
    orphan = "It was catchy and memorable, and added to the overall atmosphere."
    assert flags(judge, social, f"The Social Network is sharp and fast. {orphan}", "orphans")
    assert flags(judge, social, orphan, "orphans")  # the first sentence: nothing before it at all
    assert not flags(judge, social, f"The pulsing music drives every scene. {orphan}", "orphans")


def test_cast_filler_that_names_nobody_is_an_orphan(judge: Judge, catalog: Catalog) -> None:
    hot = subject(catalog, "Some Like It Hot 1959", "hilarious, the drag, the last line", 5, 5)
    filler = "The cast is a perfect example of the film's strengths."
    assert flags(judge, hot, f"Some Like It Hot is a comedy classic. {filler}", "orphans")
    assert not flags(judge, hot, f"Jack Lemmon and Tony Curtis are hilarious in drag. {filler}", "orphans")


def test_a_pronoun_that_can_be_the_film_is_no_orphan(judge: Judge, catalog: Catalog) -> None:
    hot = subject(catalog, "Some Like It Hot 1959", "hilarious, the drag, the last line", 5, 5)
    assert not flags(judge, hot, "It is a masterpiece.", "orphans")
    assert not flags(judge, hot, "The drag scenes are hilarious. It is a masterpiece. This is comedy at its best.",
                     "orphans")
    assert flags(judge, hot, "The drag scenes are hilarious. It is so catchy.", "orphans")
    assert not flags(judge, hot, "The drag scenes are hilarious. It has a catchy tune.", "orphans")  # the film has


def test_he_or_they_with_nobody_before_is_an_orphan(judge: Judge, catalog: Catalog) -> None:
    hot = subject(catalog, "Some Like It Hot 1959", "hilarious, the drag, Jack Lemmon", 5, 5)
    assert flags(judge, hot, "He steals every scene.", "orphans")
    assert flags(judge, hot, "The film is a delight. Their chemistry is electric.", "orphans")
    assert not flags(judge, hot, "Jack Lemmon is hilarious. He steals every scene.", "orphans")
    assert not flags(judge, hot, "Jack Lemmon and Tony Curtis are a joy. Their chemistry is electric.", "orphans")


# -- plot lines ----------------------------------------------------------------------------------------------------

def test_turning_readers_away_with_no_rating_and_no_criticism_is_an_opinion_not_given(judge: Judge,
                                                                                      catalog: Catalog) -> None:
    # read by eye in a review_quality run (Chinatown, 2026-12-06): no rating, notes that criticise nothing
    chinatown = subject(catalog, "Chinatown 1974", "twisty plot, the water, the nose thing, the ending is brutal",
                        None, None)
    (reason,) = flags(judge, chinatown, "Overall, I would not recommend it to anyone.", "opinion")
    assert reason == "a verdict against the film, and the notes criticise nothing and give no rating"
    assert not flags(judge, chinatown, "Overall, I would recommend it to anyone.", "opinion")
    grumpy = subject(catalog, "Chinatown 1974", "twisty plot, too slow, the ending is brutal", None, None)
    assert not flags(judge, grumpy, "Overall, I would not recommend it to anyone.", "opinion")


def test_plot_lines_are_read_by_film_id(tmp_path: Path) -> None:
    assert read_plots(tmp_path / "missing.tsv") == {}
    path = tmp_path / "plots.tsv"
    path.write_text("film_id\ttitle\tyear\tplot\tleads\tsource\n"
                    "223139\tNorth by Northwest\t1959\tAn executive is mistaken for a spy.\tCary Grant\twikidata\n"
                    "17738\tStar Wars\t1977\t\t\t\n", encoding="utf-8")
    assert read_plots(path) == {223139: "An executive is mistaken for a spy."}
    assert Subject("Heat", "long").plot == ""


def test_names_and_parts_the_plot_line_gives_are_given(judge: Judge, catalog: Catalog) -> None:
    notes = "creepy as hell, the interviews thru the glass, Hopkins barely blinks, the girl is tougher"
    plot = ("It stars Jodie Foster as Clarice Starling, a young FBI trainee who seeks the advice of the imprisoned "
            "Dr. Hannibal Lecter to catch a serial killer.")
    bare = subject(catalog, "The Silence of the Lambs 1991", notes, 4.5, 5)
    told = subject(catalog, "The Silence of the Lambs 1991", notes, 4.5, 5, plot=plot)
    for sentence, check in (("Clarice Starling seeks the advice of Hannibal Lecter.", "invented_names"),
                            ("Jodie Foster plays Clarice Starling with grit.", "role_errors")):
        assert flags(judge, bare, sentence, check), sentence
        assert not flags(judge, told, sentence, check), sentence
    assert flags(judge, told, "Buffalo Bill is played by Ted Levine.", "role_errors")  # a part the plot line lacks
