"""The grounding check on the shipped catalog: wrong credits are found and their sentences removed."""

from __future__ import annotations

import pytest

from models.catalog import Catalog
from models.grounding import Grounding, PeopleIndex, people_of
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
    g = Grounding.build(film, notes="Foster is great, the basement scene", people=people)
    text = ("I loved it. Steven Spielberg directs with a cold eye. Morgan Freeman is chilling as Lecter.\n\n"
            "Jodie Foster is great as Clarice. Anthony Hopkins barely blinks.")
    cleaned, removed = g.check(text)
    assert removed == ["Steven Spielberg", "Morgan Freeman"]
    assert cleaned == "I loved it.\n\nJodie Foster is great as Clarice. Anthony Hopkins barely blinks."


def test_names_from_the_notes_are_kept_and_unknown_films_name_nobody_else(people: PeopleIndex) -> None:
    g = Grounding.build(None, notes="Tom Hanks should have played the lead", people=people)
    cleaned, removed = g.check("Tom Hanks should have played it. Meryl Streep would have been better. I liked it.")
    assert removed == ["Meryl Streep"] and cleaned == "Tom Hanks should have played it. I liked it."
    assert "not in our catalog" in g.prompt_facts()


def test_review_prompt_carries_the_facts_and_postprocess_checks(catalog: Catalog, people: PeopleIndex) -> None:
    film = catalog.resolve("alien 1979").film
    assert film is not None
    inp = ReviewInput.create(film=film.title, year=film.year, notes="grimy ship, great tension",
                             grounding=Grounding.build(film, "grimy ship", people))
    system, user = SPECS["review"].build_messages(inp)
    assert "Directed by: Ridley Scott." in user["content"] and "Sigourney Weaver" in user["content"]
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
    inp = replace(plain, grounding=Grounding.build(film, "\n".join(plain.liked + plain.disliked), people))
    _, user = CHANNEL_SPEC.build_messages(inp)
    assert "Directed by: Ridley Scott." in user["content"]
    raw = ("People loved Sigourney Weaver and the chestburster scene. Steven Spielberg's direction was praised. "
           "Some found the first hour slow.")
    assert CHANNEL_SPEC.postprocess(raw, inp) == ("People loved Sigourney Weaver and the chestburster scene. "
                                                  "Some found the first hour slow.")
    # without a film nothing is checked or added
    assert "Directed by" not in CHANNEL_SPEC.build_messages(plain)[1]["content"]
    assert "Steven Spielberg" in CHANNEL_SPEC.postprocess(raw, plain)
