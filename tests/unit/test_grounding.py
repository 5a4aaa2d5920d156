"""The grounding check on the shipped catalog: each rule removes its planted sentence and keeps the rest."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from models.film import indexes
from models.film.catalog import DEFAULT_PATH, Catalog
from models.film.grounding import Grounding, PeopleIndex, people_of
from models.tasks import SPECS, ReviewInput


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.open()


@pytest.fixture(scope="module")
def people(catalog: Catalog) -> PeopleIndex:
    return people_of(catalog)


def test_people_index_knows_credited_people(people: PeopleIndex) -> None:
    assert "Morgan Freeman" in people and "jodie foster" in people and "Guillermo del Toro" in people
    assert "Hannibal Lecter" not in people  # a character, not a person
    assert people.find("I think Anthony Hopkins and Jodie Foster are superb.") == ["Anthony Hopkins", "Jodie Foster"]
    assert people.find("Steven Spielberg's direction and Jodie Foster’s eyes") == ["Steven Spielberg", "Jodie Foster"]


def test_planted_wrong_director_is_removed(catalog: Catalog, people: PeopleIndex) -> None:
    film = catalog.resolve("The Silence of the Lambs 1991").film
    assert film is not None
    g = Grounding.for_film(catalog, film, notes="Foster is great as Clarice, the basement scene")
    text = ("I loved it. Steven Spielberg directs with a cold eye. Morgan Freeman is chilling as Lecter.\n\n"
            "Jodie Foster is great as Clarice. Anthony Hopkins barely blinks.")
    checked = g.check(text)
    assert [r.reason for r in checked.removed] == ["not credited on this film: Steven Spielberg",
                                                   "not credited on this film: Morgan Freeman"]
    assert checked.text == "I loved it.\n\nJodie Foster is great as Clarice. Anthony Hopkins barely blinks."


def test_names_from_the_notes_are_kept_and_unknown_films_name_nobody_else(people: PeopleIndex) -> None:
    g = Grounding.build(None, notes="Tom Hanks should have played the lead", people=people)
    checked = g.check("Tom Hanks should have played the lead. Meryl Streep would have been better. I liked it.")
    assert [r.reason for r in checked.removed] == ["not credited on this film: Meryl Streep"]
    assert checked.text == "Tom Hanks should have played the lead. I liked it."
    assert "not in our catalog" in g.prompt_facts()


def test_review_prompt_carries_the_facts_and_postprocess_checks(catalog: Catalog, people: PeopleIndex) -> None:
    film = catalog.resolve("alien 1979").film
    assert film is not None
    inp = ReviewInput.create(film=film.title, year=film.year, notes="grimy ship, great tension",
                             grounding=Grounding.for_film(catalog, film, "grimy ship"))
    system, user = SPECS["review"].build_messages(inp)
    assert "Directed by: Ridley Scott." in user["content"]
    assert "Sigourney Weaver" not in user["content"]  # the notes speak of no actor: the stars are not named
    starring = Grounding.for_film(catalog, film, "grimy ship, weaver is great").prompt_facts()
    assert "Sigourney Weaver" in starring
    assert "Bolaji Badejo" in film.cast and "Bolaji Badejo" not in starring  # not principal: not in the prompt
    assert "which actor plays which" in system["content"]  # what is not known: in the shared, cached system prompt
    assert "Ridley Scott" not in system["content"]  # the system prompt stays the same for the prefix cache
    out = SPECS["review"].postprocess("I loved the ship. James Cameron directed it with care. The tension holds.", inp)
    assert out == "I loved the ship. The tension holds."


def test_mood_summary_about_a_film_carries_the_facts_and_drops_wrong_credits(catalog: Catalog,
                                                                              people: PeopleIndex) -> None:
    from dataclasses import replace

    from models.tasks import DiscussionInput
    from models.tasks.mood import CHANNEL_SPEC

    film = catalog.resolve("alien 1979").film
    assert film is not None
    plain = DiscussionInput.create(place="#film-talk", count=12, positive_share=0.7, negative_share=0.2,
                                   liked=["Sigourney Weaver is incredible", "the chestburster scene!"],
                                   disliked=["too slow in the first hour"], film="Alien (1979)")
    inp = replace(plain, grounding=Grounding.for_film(catalog, film, "\n".join(plain.liked + plain.disliked),
                                                      source="the messages"))
    _, user = CHANNEL_SPEC.build_messages(inp)
    assert "Directed by: Ridley Scott." in user["content"]
    raw = ("People loved Sigourney Weaver and the chestburster scene. Steven Spielberg's direction was praised. "
           "Some found the first hour slow.")
    assert CHANNEL_SPEC.postprocess(raw, inp) == ("People loved Sigourney Weaver and the chestburster scene. "
                                                  "Some found the first hour slow.")
    # without a film no facts are added, and the sentence still goes: no message names him
    assert "Directed by" not in CHANNEL_SPEC.build_messages(plain)[1]["content"]
    assert CHANNEL_SPEC.postprocess(raw, plain) == CHANNEL_SPEC.postprocess(raw, inp)


# -- one planted sentence per rule; each test fails without its rule ----------------------------------------------

@pytest.fixture(scope="module")
def die_hard(catalog: Catalog) -> Grounding:
    film = catalog.resolve("Die Hard 1988").film
    assert film is not None
    return Grounding.for_film(catalog, film, notes="the villain is great, nonstop action, funny one-liners, the "
                                                   "siege, a barefoot everyman hero", rating="4.5/5")


def test_principal_cast_is_the_billed_leads_where_the_plot_lines_have_them(catalog: Catalog) -> None:
    film = catalog.resolve("Die Hard 1988").film
    assert film is not None and len(film.cast) > 20
    story = catalog.story(film)
    assert story is not None and story.leads[:2] == ("Bruce Willis", "Alan Rickman")
    assert catalog.principal_cast(film) == story.leads[:5]


def test_principal_cast_without_billing_puts_the_stars_first_and_leaves_bit_players_out(tmp_path: Path) -> None:
    shutil.copy(DEFAULT_PATH, tmp_path / "films.sqlite3")  # no plot lines beside it: the prominence guess
    with Catalog.open(tmp_path / "films.sqlite3") as catalog:
        film = catalog.resolve("Die Hard 1988").film
        assert film is not None and catalog.story(film) is None
        principal = catalog.principal_cast(film)
        assert principal[:2] == ("Bruce Willis", "Alan Rickman") and len(principal) == 5
        assert "Al Leong" not in principal and "Andreas Wisniewski" not in principal  # A-Z first in the catalog
        rear_window = catalog.resolve("Rear Window").film
        assert rear_window is not None and "Alfred Hitchcock" in rear_window.cast
        assert "Alfred Hitchcock" not in catalog.principal_cast(rear_window)  # a director's cameo


@pytest.mark.parametrize(("sentence", "reason"), [
    ("The villain, played by Bruce Willis, is a delight.", "a part the catalog does not give: Bruce Willis"),
    ("The cast, led by Alan Rickman, is superb.", "a part the catalog does not give: Alan Rickman"),
    ("Alan Rickman directs the chaos with flair.", "not a director of this film: Alan Rickman"),
    ("Willis's character is an everyday hero.", "a part the catalog does not give: Bruce Willis"),
    ("The cop outside, Powell, is portrayed warmly.", "a name that neither the notes nor the catalog give: Powell"),
    ("The score, composed by Michael Kamen, soars.", "a music or crew credit the catalog does not have: Michael Kamen"),
    ("The cinematography by Harold Quist is sharp.", "a music or crew credit the catalog does not have: Harold Quist"),
    ("The cast, Bruce Willis, Alan Rickman and Bonnie Bedelia, is fine.",
     "a list of names: Bruce Willis, Alan Rickman, Bonnie Bedelia"),
    ("John McTiernan gives a great performance.", "not in the cast of this film: John McTiernan"),
    ("The villain, John McTiernan, steals every scene.", "not in the cast of this film: John McTiernan"),
    ("Steven E. de Souza, the charming hero, is great.", "not in the cast of this film: Steven E. de Souza"),
    ("Jeb Stuart was the perfect villain.", "not in the cast of this film: Jeb Stuart"),
    ("Al Leong is warm and funny.", "not among the principal cast: Al Leong"),
    ("Hans Gruber is the best villain ever.", "a name that neither the notes nor the catalog give: Hans"),
    ("A detective named Callahan fights back.", "a name that neither the notes nor the catalog give: Callahan"),
    ("The cop, a man called Mr. Powell, helps.", "a name that neither the notes nor the catalog give: Powell"),
    ("I give it 4/5.", "a rating the member did not give: 4/5"),
    ("My notes said the one-liners were funny.", "the prompt's words"),
    ("As the reviewer says, it is fun.", "the prompt's words"),
    ("I loved it: the film is warm and enthusiastic throughout.", "the prompt's words"),
])
def test_each_rule_removes_its_planted_sentence(die_hard: Grounding, sentence: str, reason: str) -> None:
    checked = die_hard.check(f"I loved Die Hard. {sentence} The one-liners land.")
    assert [r.reason for r in checked.removed] == [reason]
    assert checked.text == "I loved Die Hard. The one-liners land."


@pytest.mark.parametrize("sentence", [
    "Bruce Willis gives a career-best performance.",
    "John McTiernan directs with real verve.",
    "John McTiernan's hero is a barefoot everyman.",
    "John McTiernan directs the villain's heist with glee.",
    "John McTiernan builds the tower around its hero.",
    "Directed by John McTiernan, the film's hero never gives up.",
    "The villain is a joy, and the action never stops.",
    "Set in Los Angeles at Christmas, it never lets up.",
    "I give it 4.5/5.",
    "Overall, it is the best action film of the decade.",
])
def test_true_and_plain_sentences_stay(die_hard: Grounding, sentence: str) -> None:
    assert die_hard.check(sentence).text == sentence and not die_hard.check(sentence).removed


def test_a_broken_decimal_is_mended_and_a_repeated_sentence_dropped(die_hard: Grounding) -> None:
    checked = die_hard.check("I'd rate it 4. 5/5. What a ride. The tower is great.\n\nWhat a ride! The action was "
                             "loud, but it was not the main focus of the film. The ending was silly, but it was not "
                             "the main focus of the film.")
    assert checked.text == ("I'd rate it 4.5/5. What a ride. The tower is great.\n\nThe action was loud, but it was "
                            "not the main focus of the film.")
    assert [r.reason for r in checked.removed] == ["said before", "said before"]


def test_what_the_notes_say_may_be_said(catalog: Catalog) -> None:
    film = catalog.resolve("Die Hard 1988").film
    assert film is not None
    g = Grounding.for_film(catalog, film, notes="Reginald VelJohnson as the cop is lovely; Hans is a great villain; "
                                                "Michael Kamen's music")
    for sentence in ("Reginald VelJohnson as the cop is lovely.", "Hans is a great villain.",
                     "The score by Michael Kamen swells."):
        assert g.check(sentence).text == sentence


def test_a_phrase_said_a_third_time_is_dropped(die_hard: Grounding) -> None:
    text = ("The siege leaves you questioning the nature of heroism. The tower is great. The siege left me "
            "questioning the nature of heroism too. It is all about questioning the nature of heroism.")
    checked = die_hard.check(text)
    assert checked.text == ("The siege leaves you questioning the nature of heroism. The tower is great. The siege "
                            "left me questioning the nature of heroism too.")
    assert [r.reason for r in checked.removed] == ["said before"]


def test_people_of_a_film_added_while_the_bot_runs_are_known_to_the_check(tmp_path: Path) -> None:
    extra = tmp_path / "user_films.sqlite3"
    with Catalog.open(extra_path=extra, refresh_s=0) as running:
        indexes.warm(running)  # the people index, built before the film exists
        assert "Zebulon Quartermaine" not in people_of(running)
        with Catalog.open(extra_path=extra) as cli:  # `cinebot catalog add` while the bot runs
            cli.add("Quiet Harbour Lights", 2013, directors=["Ottilie Fairweather"], genres=["Drama"],
                    cast=["Marisol Ekwueme", "Zebulon Quartermaine"])
        assert "Zebulon Quartermaine" in people_of(running) and "Ottilie Fairweather" in people_of(running)
        alien = running.resolve("Alien 1979").film
        checked = Grounding.for_film(running, alien, "slow build").check(
            "I loved Zebulon Quartermaine in it. The ship feels lived in.")
        assert [r.reason for r in checked.removed] == ["not credited on this film: Zebulon Quartermaine"]
        added = running.resolve("Quiet Harbour Lights 2013").film
        sentence = "Zebulon Quartermaine and Marisol Ekwueme give quiet, precise performances."
        assert Grounding.for_film(running, added, "moody, quiet performances").check(sentence).text == sentence


def test_a_surname_two_credited_people_share_names_neither_alone(catalog: Catalog) -> None:
    film = catalog.resolve("The Dark Knight").film  # directed by Christopher Nolan, written by him and Jonathan Nolan
    grounding = Grounding.build(film, "the joker steals it, pure chaos", people_of(catalog))
    for sentence in ("Christopher Nolan directs the chaos, and the villain steals it.", "Nolan directs coolly."):
        assert grounding.reason(sentence) is None, sentence
    assert grounding.reason("The villain, Bill Finger, is a genius.") == "not in the cast of this film: Bill Finger"


CONCUBINE_NOTES = "京剧 两个人的一生 结局太悲伤 张国荣演得太好了"


def test_a_name_the_member_writes_in_chinese_is_the_catalogs_person(catalog: Catalog) -> None:
    film = catalog.resolve("Farewell My Concubine 1993").film
    assert film is not None and "Leslie Cheung" in film.cast and not catalog.billed_cast(film)
    g = Grounding.for_film(catalog, film, CONCUBINE_NOTES, rating="5/5")
    assert "Named in my notes: 张国荣 = Leslie Cheung (cast)." in g.prompt_facts(unknowns=False)
    text = ("我非常喜欢这部电影。张国荣的表演非常出色。我喜欢Leslie Cheung的表演。巩俐的表演非常出色。"
            "我也喜欢Gong Li的表演。周润发的表演也很好。陈凯歌的镜头很美。")
    checked = g.check(text)
    assert [r.reason for r in checked.removed] == [
        "not among the principal cast: 巩俐 (Gong Li)",  # the praise given to another actor: as in English
        "not among the principal cast: Gong Li",  # her name in the catalog's spelling, inside Chinese text
        "not credited on this film: 周润发 (Chow Yun-fat)",  # a catalog person the film does not credit
    ]
    assert checked.text == "我非常喜欢这部电影。 张国荣的表演非常出色。 我喜欢Leslie Cheung的表演。 陈凯歌的镜头很美。"
    # the same in English notes: the catalog's spelling, the same sentences go
    english = Grounding.for_film(catalog, film, "peking opera, two lives, so sad, Leslie Cheung is amazing", "5/5")
    assert [r.reason for r in english.check(text).removed] == [r.reason for r in checked.removed]


def test_traditional_script_and_names_written_whole(catalog: Catalog) -> None:
    film = catalog.resolve("Farewell My Concubine 1993").film
    g = Grounding.for_film(catalog, film, "京劇 結局太悲傷 張國榮演得太好了，陳凱歌拍得好")
    assert "Named in my notes: 張國榮 = Leslie Cheung (cast); 陳凱歌 = Chen Kaige (director)." in g.prompt_facts()
    assert g.check("張國榮的表演太好了。").text == "張國榮的表演太好了。"
    # a transliterated name the catalog cannot confirm goes; one the names table gives is read as that person
    checked = g.check("我喜欢詹姆斯·卡梅隆的镜头。汤姆·克鲁斯也很好。")
    reasons = [r.reason for r in checked.removed]
    assert reasons[0].startswith("a name the catalog cannot confirm in that script") and "詹姆斯·卡梅隆" in reasons[0]
    assert reasons[1:] == ["not credited on this film: 汤姆·克鲁斯 (Tom Cruise)"]
    top_gun = Grounding.for_film(catalog, catalog.resolve("Top Gun 1986").film, "飞行的场面很刺激，汤姆·克鲁斯很帅")
    assert top_gun.check("汤姆·克鲁斯很帅。").text == "汤姆·克鲁斯很帅。"


def test_a_name_that_is_a_common_word_too_is_a_person_only_where_the_film_credits_them(catalog: Catalog) -> None:
    film = catalog.resolve("Farewell My Concubine 1993").film
    g = Grounding.for_film(catalog, film, CONCUBINE_NOTES)
    assert g.check("张国荣的表演很张扬。").text == "张国荣的表演很张扬。"  # "张扬" (Zhang Yang): "flamboyant" here
    assert g.check("紧张震撼的结局。").text == "紧张震撼的结局。"  # "张震" (Chang Chen) across two words
    rush_hour = catalog.resolve("Rush Hour 1998").film
    assert rush_hour is not None and "Jackie Chan" in rush_hour.cast
    jackie = Grounding.for_film(catalog, rush_hour, "成龙的打戏太好看了")
    assert "成龙 = Jackie Chan (cast)" in jackie.prompt_facts()


def test_the_review_prompt_says_who_the_member_meant(catalog: Catalog) -> None:
    film = catalog.resolve("Farewell My Concubine 1993").film
    assert film is not None
    inp = ReviewInput.create(film=film.title, year=film.year, notes=CONCUBINE_NOTES, rating=5,
                             grounding=Grounding.for_film(catalog, film, CONCUBINE_NOTES, "5/5"))
    _, user = SPECS["review"].build_messages(inp)
    assert "张国荣 = Leslie Cheung (cast)" in user["content"]
    english = ReviewInput.create(film=film.title, year=film.year, notes="Leslie Cheung is amazing", rating=5,
                                 grounding=Grounding.for_film(catalog, film, "Leslie Cheung is amazing", "5/5"))
    assert "Named in" not in SPECS["review"].build_messages(english)[1]["content"]
