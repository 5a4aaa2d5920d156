"""Story and opinion in a review: planted sentences for each rule of `models.film.fidelity`, the orphan rule of the
grounding check, the mend (a second try that names what was wrong), plot lines and short film names."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.film.catalog import Catalog, Film, read_stories
from models.film.fidelity import Fidelity, aspects_in, stem, without_judgement, word_roles
from models.film.grounding import Grounding, people_of
from models.tasks import ReviewInput
from models.tasks import review as review_task


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    with Catalog.open() as c:
        yield c


NORTH = Fidelity(notes="cary grant running from the plane, so stylish, the mount rushmore bit",
                 facts="North by Northwest 1959 Thriller Cary Grant Eva Marie Saint Alfred Hitchcock", share=0.8)


# -- story ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("sentence", [
    "The film revolves around a crop duster pilot navigating through a mysterious mountain range.",
    "It tells the story of a group of friends who spend their summer vacation in a small English village.",
    "The cantina, where the heroes and villains fought for survival, was thrilling.",
    "The opening scene, with Butch and his partner riding a bicycle across the desert, sets the tone.",
])
def test_a_story_no_source_gives_is_flagged(sentence: str) -> None:
    reason = NORTH.story_reason(sentence)
    assert reason is not None and reason.startswith("story the notes and the plot line do not give")


def test_a_period_no_source_gives_is_flagged_and_one_the_plot_gives_is_not() -> None:
    sentence = "The film captured the essence of the 1950s."
    assert NORTH.story_reason(sentence) == "a period no source gives: 1950s"
    told = Fidelity(notes="pure joy", plot="In the 1950s, a silent film star fears the talkies.")
    assert told.story_reason(sentence) is None


def test_story_the_plot_line_or_the_notes_give_may_be_told() -> None:
    plot = ("Edinburgh heroin addict Mark Renton buys opium suppositories from a dealer to help him quit; he locks "
            "himself in his flat to endure the withdrawal.")
    trainspotting = Fidelity(notes="grim and hilarious, the toilet scene, choose life", plot=plot, share=0.9)
    assert trainspotting.reason("Watching an Edinburgh addict lock himself in his flat to quit is grim.") is None
    assert trainspotting.reason("The toilet scene is grim and hilarious.") is None
    without = Fidelity(notes="grim and hilarious, the toilet scene, choose life", share=0.9)
    assert without.story_reason("Watching an Edinburgh addict lock himself in his flat to quit is grim.")


@pytest.mark.parametrize("sentence", [
    "Cary Grant running from the plane is pure style.",
    "The Mount Rushmore bit is a thrill.",
    "I loved every minute of it and would recommend it to anyone.",
    "It kept me on the edge of my seat from start to finish.",
    "I was hooked from the first frame to the last.",
])
def test_what_the_member_said_and_plain_verdicts_stay(sentence: str) -> None:
    assert NORTH.reason(sentence) is None


def test_reviewers_words_are_known_and_stems_match() -> None:
    roles = word_roles()
    assert all(roles.reviewers(w) for w in ("chemistry", "pacing", "performance", "found"))
    assert all(roles.telling(w) for w in ("bicycle", "cantina", "pilot", "escapes"))
    assert stem("escaped") == stem("escapes") == stem("escape")


# -- opinion -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("sentence, aspect", [
    ("The acting was top-notch and the music was well done.", "acting"),
    ("Hitchcock's direction is masterful, building tension at every turn.", "direction"),
    ("The plot is predictable, and the pacing is uneven.", "plot"),
    ("The pacing was fast-paced, with the action building to a climax.", "pacing"),
    ("The cinematography is stunning.", "look"),
    # read by eye in a review_quality run (Shawshank, Jaws, Up): craft, storytelling, action, humour, heartwarming
    ("The escape was a masterful piece of filmmaking that left a lasting impression.", "direction"),
    ("A must-watch that leaves you with admiration for its storytelling.", "plot"),
    ("The film is a thrilling adventure that combines action and suspense.", "action"),
    ("The two of them are a perfect match, and their scenes are hilarious.", "humour"),
    ("The film's ending was a heartwarming moment.", "ending"),
])
def test_an_opinion_on_an_aspect_the_notes_never_mention_is_flagged(sentence: str, aspect: str) -> None:
    assert NORTH.opinion_reason(sentence) == f"an opinion the notes do not give: the {aspect}"


def test_an_aspect_the_notes_mention_may_be_judged() -> None:
    f = Fidelity(notes="the soundtrack slaps, grim and hilarious", share=0.9)
    assert f.opinion_reason("The soundtrack is incredible.") is None
    assert aspects_in("the soundtrack slaps") == ["music"]


def test_naming_an_actor_in_the_notes_is_speaking_of_the_acting() -> None:
    notes = "Hopkins barely blinks, creepy as hell"
    assert Fidelity(notes=notes, share=0.9, notes_name_actor=True).opinion_reason("The performances are chilling.") \
        is None
    assert Fidelity(notes=notes, share=0.9).opinion_reason("The performances are chilling.")


def test_a_criticism_against_a_high_rating_and_silent_notes_is_flagged() -> None:
    departed = Fidelity(notes="the accents, rat on the windowsill, tense", share=0.8)
    assert departed.opinion_reason("However, the execution falls short.") == \
        "a criticism the member did not make: falls short"
    assert departed.opinion_reason("The accents were a bit off, which made the dialogue difficult to follow.")
    critical = Fidelity(notes="the accents, rat on the windowsill, but too long", share=0.8)
    assert critical.opinion_reason("Still, it runs far too long and drags.") is None
    assert critical.opinion_reason("The accents are weak.")  # a criticism the notes make of something else


def test_praise_against_a_low_rating_and_silent_notes_is_flagged() -> None:
    batman = Fidelity(notes="awful puns, the suits, so loud and so long", share=0.2)
    assert batman.opinion_reason("The suits are stunning.") == "praise the member did not give: stunning"
    assert batman.opinion_reason("The suits are ridiculous and the puns awful.") is None


def test_how_it_ends_or_turns_is_the_members_to_judge() -> None:
    # read by eye in a review_quality run (Amelie, Batman & Robin, 2026-12-05)
    amelie = Fidelity(notes="whimsical, Paris, the colours, the little schemes, the accordion music", share=0.9)
    assert amelie.opinion_reason("The film's ending, which is a surprise twist, leaves me with a sense of wonder.") \
        == "an opinion the notes do not give: the ending"
    assert amelie.opinion_reason("There is a twist I did not see coming.")
    assert amelie.opinion_reason("In conclusion, it is whimsical and full of Paris.") is None  # a reviewer's phrase
    told = Fidelity(notes="loved the twist, Paris", share=0.9)
    assert told.opinion_reason("The twist at the end surprised me.") is None
    batman = Fidelity(notes="awful puns, the ice villain, the suits, so loud and so long", share=0.2)
    assert batman.opinion_reason("The suits were too loud, which made the action scenes feel disjointed.") == \
        "an opinion the notes do not give: the action"


def test_a_theme_no_source_gives_is_story() -> None:
    taxi = Fidelity(notes="lonely, the city at night, the mirror scene, unsettling",
                    plot="Set in a decaying and morally bankrupt New York City following the Vietnam War, the film "
                         "follows Travis Bickle, a veteran working as a taxi driver.")
    assert taxi.story_reason("The film is a haunting exploration of the human psyche, set against the backdrop of a "
                             "decaying New York City.") == \
        "story the notes and the plot line do not give: a theme, human, psyche"
    assert taxi.story_reason("It is a tale of love, loss and the power of friendship.")
    assert taxi.story_reason("It is a study of a lonely veteran in the city at night.") is None  # the sources' words


# -- a judgement turned against the notes' own points (read by eye in the review bench's replies, 2026-12-05) ------

BATMAN = Fidelity(notes="awful puns, the ice villain, the suits, so loud and so long", share=0.2,
                  title="Batman & Robin")
GUMP = Fidelity(notes="sweet, the running, the history stuff, but sooo sentimental, the girl is treated badly",
                share=0.6, title="Forrest Gump")


@pytest.mark.parametrize(("fidelity", "sentence", "reason"), [
    (BATMAN, "The ice villain was too loud and long.",
     "the member's criticism moved onto what they did not criticise: loud long put on villain"),
    (Fidelity(notes="the hallway fight, the music, but cold and confusing, too much explaining", share=0.65),
     "The hallway fight was intense, but the music was cold and confusing.",
     "the member's criticism moved onto what they did not criticise: cold confusing put on music"),
    (Fidelity(notes="the docking scene, the organ music, the dialogue about love is clunky, too long", share=0.65),
     "The docking scene, which was supposed to be a dramatic moment, felt clunky and overly long.",
     "the member's criticism moved onto what they did not criticise: clunky put on docking"),
    (GUMP, "The running was engaging, but the film's sentimentality was particularly touching.",
     "praise of what the member criticised: sentimentality"),
    (Fidelity(notes="the trinity test, the sound, the hearings drag, Cillian is great", share=0.8),
     "The hearings were well-represented.", "praise of what the member criticised: hearings"),
])
def test_a_judgement_turned_against_the_notes_points_is_flagged(fidelity: Fidelity, sentence: str,
                                                                reason: str) -> None:
    assert fidelity.reason(sentence) == reason


@pytest.mark.parametrize(("fidelity", "sentence"), [
    (BATMAN, "The film was so loud and so long, and the ice villain never stopped punning."),  # the film's fault
    (BATMAN, "The puns were awful."),  # the point itself
    (Fidelity(notes="loud and dumb, oil drillers in space, that song", share=0.3),
     "The film was loud and dumb, with oil drillers in space."),  # put on the film, not on the drillers
    (Fidelity(notes="chaotic but the mom and daughter stuff got me, the hot dog fingers", share=0.8),
     "The mom and daughter scenes were particularly memorable."),  # "but" turns toward praise here
    (GUMP, "The running and the history stuff were sweet."),
    (Fidelity(notes="the dude, the plot makes no sense and I dont care", share=0.9),
     "The Dude is a joy, and the bowling leaves me with a sense of calm."),  # "sense" names no thing of theirs
    (Fidelity(notes="the villain effects are cheap, boring plot", share=0.2, title="Morbius"),
     "The villain's effects were cheap and the plot was boring."),
])
def test_the_notes_own_judgements_of_their_points_stay(fidelity: Fidelity, sentence: str) -> None:
    assert fidelity.turned_reason(sentence) is None


@pytest.mark.parametrize(("notes", "share", "sentence", "reason"), [
    # read by eye in the review bench's replies, 2026-12-06
    ("arena fights are good, the emperor is whiny, story is predictable, the music", 0.6,
     "The music is not as engaging as it could be.",
     "a criticism the member did not make: not as put on music"),
    ("the sinking is incredible but the romance is cheesy, too long, the old lady framing", 0.6,
     "The old lady framing was also a bit over-the-top.",
     "a criticism the member did not make: over-the-top put on lady framing"),
    ("the traps are funny, the burglars, the mom, a bit mean spirited", 0.6,
     "The traps were funny, but the burglars were mean spirited.",
     "the member's criticism moved onto what they did not criticise: spirited put on burglars"),
    ("same movie again, the pigeon lady, the hotel staff, lazy", 0.4, "The hotel staff was lazy.",
     "the member's criticism moved onto what they did not criticise: lazy put on hotel staff"),
])
def test_a_criticism_put_on_what_the_notes_only_name_is_flagged(notes: str, share: float, sentence: str,
                                                                reason: str) -> None:
    assert Fidelity(notes=notes, share=share).turned_reason(sentence) == reason


@pytest.mark.parametrize(("notes", "share", "sentence"), [
    ("slow and moody, the storm scene is good, the ending fizzles", 0.4, "The ending fizzled, which was a bit "
     "disappointing."),  # the member's own criticism
    ("amazing visuals, the computer, but sooo slow, the ending lost me", 0.6, "The ending was a bit confusing."),
    ("creepy as hell, the interviews thru the glass", 0.9, "The interviews through the glass are creepy."),
    ("the suits, the ice villain", 0.2, "The suits were over-the-top."),  # a 1/5 calls for criticism
])
def test_a_criticism_the_notes_or_the_rating_give_stays(notes: str, share: float, sentence: str) -> None:
    assert Fidelity(notes=notes, share=share).turned_reason(sentence) is None


def test_a_turned_clause_goes_and_the_clause_beside_it_stays(catalog: Catalog) -> None:
    film = catalog.resolve("Inception 2010").film
    assert film is not None
    g = Grounding.for_film(catalog, film, notes="the hallway fight, the music, but cold and confusing, too much "
                           "explaining", rating="6.5/10")
    checked = g.check("The hallway fight was cold and confusing, and the music is what I remember.")
    assert checked.text == "The music is what I remember."
    # a point that is all fault ("too much explaining") put on a thing is moved too
    assert g.check("The hallway fight was thrilling, and the music was too much explaining.").text == \
        "The hallway fight was thrilling."
    reason = g.fidelity.reason("The hallway fight was cold and confusing.")
    assert reason is not None and review_task.problem_note(reason) == \
        "it put my criticism on what I did not criticise (cold confusing put on hallway fight)"


# -- the grounding check: story, opinion, and the orphan a removal leaves ------------------------------------------

def test_the_check_removes_story_and_opinion_and_the_orphan_that_leaned_on_them(catalog: Catalog) -> None:
    film = catalog.resolve("The Social Network 2010").film
    assert film is not None
    g = Grounding.for_film(catalog, film, notes="the deposition scenes, fast talk, cold ending", rating="4/5")
    text = ("I loved the deposition scenes. The music by a famous band is electric and the soundtrack is great. "
            "It was catchy and memorable, and added to the overall atmosphere. The fast talk never lets up.")
    checked = g.check(text)
    assert checked.text == "I loved the deposition scenes. The fast talk never lets up."
    assert [r.reason for r in checked.removed] == ["an opinion the notes do not give: the music",
                                                   "its subject was in a sentence removed before it"]


def test_a_first_sentence_about_someone_nobody_named_is_an_orphan(catalog: Catalog) -> None:
    film = catalog.resolve("Taxi Driver 1976").film
    g = Grounding.for_film(catalog, film, notes="lonely, the city at night", rating=None)
    checked = g.check("His deteriorating mental state as he works nights in the city. I found it lonely.")
    assert checked.text == "I found it lonely."
    assert [r.reason for r in checked.removed] == ["its subject was named in no sentence before it"]
    assert g.check("I found it lonely. His nights in the city stay with me.").text == \
        "I found it lonely. His nights in the city stay with me."


def test_a_sentence_about_the_film_itself_after_a_removal_stays(catalog: Catalog) -> None:
    film = catalog.resolve("The Social Network 2010").film
    g = Grounding.for_film(catalog, film, notes="fast talk", rating="4/5")
    checked = g.check("The score is stunning. It is a film I will watch again.")
    assert checked.text == "It is a film I will watch again."


@pytest.mark.parametrize("sentence, softer", [
    ("It's a powerful and moving story about hope and the escape.", "It's a story about hope and the escape."),
    ("I loved The Shawshank Redemption, a gripping drama.", "I loved The Shawshank Redemption, a drama."),
    ("It was an incredibly compelling story of a ship.", "It was a story of a ship."),  # the article mended
    # a bare predicate keeps its word: "were a cast" says nothing the member meant
    ("The three guys on the boat were a perfect cast.", "The three guys on the boat were a perfect cast."),
    ("It is an incredibly compelling story, and I cried.", "It is an incredibly compelling story, and I cried."),
    ("This is a very predictable, clever film about a ship.", "This is a film about a ship."),
    ("The highlights of the film are many.", "The highlights of the film are many."),  # a noun: stays
    ("Its visuals were stunning.", "Its visuals were stunning."),  # said of it, not set before it: stays
])
def test_judging_words_set_before_a_noun_are_taken_out(sentence: str, softer: str) -> None:
    assert without_judgement(sentence) == softer


def test_a_point_of_the_notes_stays_without_the_judgement_the_member_did_not_make(catalog: Catalog) -> None:
    film = catalog.resolve("The Shawshank Redemption 1994").film
    g = Grounding.for_film(catalog, film, notes="hope, the friendship, the old guy narrating, the escape",
                           rating="5/5")
    checked = g.check("I loved it. It's a powerful and moving story about hope, friendship and the escape. "
                      "The film has a gripping plot and a clever ending.")
    # the second has no point of the member's left once softened ("The film has a plot and an ending."): it goes
    assert checked.text == "I loved it. It's a story about hope, friendship and the escape."
    assert [r.reason for r in checked.removed] == ["an opinion the notes do not give: the ending"]


def test_the_clause_that_stands_alone_stays_when_its_neighbour_must_go(catalog: Catalog) -> None:
    film = catalog.resolve("The Shawshank Redemption 1994").film
    g = Grounding.for_film(catalog, film, notes="hope, the friendship, the old guy narrating", rating="5/5")
    checked = g.check("The friendship between the two men is touching, and the pacing is superb.")
    assert checked.text == "The friendship between the two men is touching."
    assert g.check("The pacing is superb, and the music is great.").text == ""  # nothing of theirs: all goes


# -- the mend: what was wrong is named in the second try ------------------------------------------------------------

def north_review(catalog: Catalog) -> ReviewInput:
    """A /review of North by Northwest (4/5), grounded as the service grounds it."""
    from dataclasses import replace
    film = catalog.resolve("North by Northwest").film
    assert film is not None
    inp = ReviewInput.create(film.title, "cary grant running from the plane, so stylish", year=film.year, rating=4,
                             scale=5)
    return replace(inp, grounding=Grounding.for_film(catalog, film, inp.notes, inp.rating_text))


def test_assess_names_what_the_check_removed_and_firmer_asks_again_without_it(catalog: Catalog) -> None:
    inp = north_review(catalog)
    raw = ("I loved North by Northwest. The film revolves around a crop duster pilot navigating through a "
           "mysterious mountain range. The music was top-notch. Cary Grant running from the plane is so stylish.")
    text = review_task.postprocess(raw, inp)
    verdict = review_task.assess(text, raw, inp)
    assert not verdict.ok and len(verdict.problems) == 2
    assert "crop" not in text and "top-notch" not in text
    note, prime = review_task.firmer(inp, verdict)
    assert "do not repeat it" in note and "judged the music, which my notes do not mention" in note
    assert "duster" in note and "crop duster pilot navigating" not in note  # the words, never the sentence
    clean = "I loved North by Northwest. Cary Grant running from the plane is so stylish. " * 8
    assert review_task.assess(clean, clean, inp).score > verdict.score
    assert prime.startswith("I ")


def test_a_stand_alone_opinion_is_cut_without_writing_the_review_again(catalog: Catalog) -> None:
    inp = north_review(catalog)
    kept = ("I loved North by Northwest, and I keep coming back to it. Cary Grant running from the plane is the "
            "moment I remember best, and it is so stylish that I grinned the whole way through. Every minute of it "
            "looks effortless, and I enjoyed myself from the first minute to the last one. ")
    raw = kept + "The music was top-notch."
    text = review_task.postprocess(raw, inp)
    assert "top-notch" not in text and len(text.split()) >= inp.min_words
    verdict = review_task.assess(text, raw, inp)
    assert verdict.ok and verdict.problems  # kept as it is; the cut is still named and scored
    assert review_task.assess(kept, kept, inp).score > verdict.score
    # story is no clean cut: that review is written again
    story = kept + "The film revolves around a crop duster pilot navigating through a mysterious mountain range."
    assert not review_task.assess(review_task.postprocess(story, inp), story, inp).ok


def test_target_length_follows_the_notes() -> None:
    assert review_task.target_words("loved it") == 60
    long_notes = ", ".join(f"point number {i} about the film" for i in range(20))
    assert review_task.target_words(long_notes) == 200
    assert 60 < review_task.target_words("creepy as hell, the glass, Hopkins barely blinks, the girl is tough") < 200
    assert review_task.note_points("creepy, the glass. Hopkins - blinks\nthe girl but tough") == [
        "creepy", "the glass", "Hopkins", "blinks", "the girl", "tough"]


def test_coverage_counts_the_points_of_the_notes_a_review_keeps() -> None:
    notes = "the ending at the airport, here's looking at you kid, bogart"
    kept, left = review_task.coverage("I loved the ending at the airport, and Bogart is perfect.", notes)
    assert left == ["here's looking at you kid"] and kept == pytest.approx(2 / 3)
    assert review_task.coverage("Set during World War II, it follows an expatriate.", notes)[0] == 0.0
    # "the" and "story" are no point of the member's (Jaws, 2026-12-05: a plot line and a verdict counted as 2/3)
    jaws = "the music!! shark barely shown, three guys on a boat, the old guy's story about the ship"
    assert review_task.note_points(jaws)[:2] == ["the music", "shark barely shown"]
    assert review_task.coverage("The story follows the chief of the town. I gave it 9/10.", jaws)[0] == 0.0


def test_two_drafts_are_made_one_that_keeps_the_points_either_kept(catalog: Catalog) -> None:
    inp = review_task.ReviewInput.create(
        film="Jaws", year=1975, notes="the music!! shark barely shown, three guys on a boat, the old guy's story",
        rating=9, scale=10)
    first = ("I loved Jaws. The music is a heartbeat of dread. The shark is barely shown, which makes it scarier. "
             "Overall, a 9/10 from me.")
    second = "I loved every minute of it. It keeps the three guys on a boat tense. The old guy's story gave me chills."
    merged = review_task.merge(first, second, inp)
    assert merged == ("I loved Jaws. The music is a heartbeat of dread. The shark is barely shown, which makes it "
                      "scarier. The old guy's story gave me chills. Overall, a 9/10 from me.")
    # "It keeps ..." leans on the sentence before it in its own draft: it does not move
    assert review_task.coverage(merged, inp.notes)[1] == ["three guys on a boat"]
    # on a tie the first is the base; the other way round, the second's points move in
    assert review_task.coverage(review_task.merge(second, first, inp), inp.notes)[0] == 1.0
    assert review_task.merge("I loved it. The music is dread.", second, inp).startswith("I loved every minute")
    assert review_task.merge(first, "Overall, it is 9/10.", inp) == first


# -- plot lines and billing ------------------------------------------------------------------------------------------

def test_plot_lines_are_read_by_film_id(tmp_path: Path) -> None:
    path = tmp_path / "plots.tsv"
    path.write_text("film_id\ttitle\tyear\tplot\tleads\tsource\n"
                    "7\tA Film\t1999\tA sailor is kept awake by a lighthouse beam.\tAnn Lee, Bo Ray\thttps://x\n"
                    "8\tNo Plot\t2000\t\t\t\n", encoding="utf-8")
    stories = read_stories(path)
    assert stories[7].plot == "A sailor is kept awake by a lighthouse beam." and stories[7].leads == ("Ann Lee",
                                                                                                        "Bo Ray")
    assert 8 not in stories and read_stories(tmp_path / "missing.tsv") == {}


def test_the_shipped_catalog_has_plot_lines_and_billed_leads(catalog: Catalog) -> None:
    film = catalog.resolve("Raging Bull 1980").film
    assert film is not None
    story = catalog.story(film)
    assert story is not None and story.plot
    assert catalog.principal_cast(film)[0] == "Robert De Niro"
    assert "John Turturro" not in catalog.principal_cast(film) and "Michael Badalucco" not in \
        catalog.principal_cast(film)
    assert catalog.story(Film(-1, "Added", 2020)) is None


def test_the_prompt_gives_the_plot_line(catalog: Catalog) -> None:
    film = catalog.resolve("Trainspotting 1996").film
    assert film is not None
    g = Grounding.for_film(catalog, film, "grim")
    story = catalog.story(film)
    assert story is not None and f"Plot: {story.plot}" in g.prompt_facts()
    assert g.plot == story.plot and people_of(catalog) is g.people


def test_the_prompt_names_the_stars_only_when_the_notes_speak_of_actors(catalog: Catalog) -> None:
    film = catalog.resolve("The Silence of the Lambs 1991").film
    assert film is not None
    assert "Starring:" not in Grounding.for_film(catalog, film, "creepy as hell, the interviews").prompt_facts()
    for notes in ("creepy, Hopkins barely blinks", "creepy, the cast is superb", "great performances"):
        facts = Grounding.for_film(catalog, film, notes).prompt_facts()
        assert "Starring: Anthony Hopkins, Jodie Foster" in facts, notes


# -- short names -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("query, title", [
    ("Star Wars 1977", "Star Wars: Episode IV – A New Hope"),
    ("Episode IV", "Star Wars: Episode IV – A New Hope"),
    ("Raiders 1981", "Raiders of the Lost Ark"),
    ("Empire Strikes Back 1980", "Star Wars: Episode V – The Empire Strikes Back"),
    ("Terminator 2", "Terminator 2: Judgment Day"),
])
def test_a_film_known_by_its_short_name_resolves(catalog: Catalog, query: str, title: str) -> None:
    film = catalog.resolve(query).film
    assert film is not None and film.title == title


def test_a_short_name_several_films_share_asks_which(catalog: Catalog) -> None:
    resolution = catalog.resolve("Star Wars")
    assert resolution.film is None and resolution.ambiguous
    assert catalog.resolve("Jaws 1975").film.title == "Jaws"  # a whole title still wins


async def test_a_review_with_an_invented_story_is_written_again_and_the_better_kept(catalog: Catalog) -> None:
    from dataclasses import replace

    from models.llm.jobs import JobQueue
    from models.llm.worker import BatchingWorker
    from models.tasks import runner
    from tests.fakes import FakeModel

    film = catalog.resolve("North by Northwest").film
    assert film is not None
    notes = "cary grant running from the plane, so stylish, the mount rushmore bit, tense all the way"
    clean = ("I loved North by Northwest. Cary Grant running from the plane is so stylish. The Mount Rushmore bit is "
             "tense all the way. ") * 4 + "I give it 4/5. "

    class Drafts(FakeModel):
        def __init__(self) -> None:
            super().__init__()
            self.prompts: list[str] = []

        def encode(self, messages: list[dict[str, str]], prefix: str = "") -> list[int]:
            content = messages[-1]["content"]
            self.prompts.append(content)
            again = "do not repeat it" in content
            text = clean if again else (clean + "The film revolves around a crop duster pilot navigating a "
                                                "mysterious mountain range.")
            return super().encode([{"role": "user", "content": f"say:{text}|stop"}])

    model = Drafts()
    queue = JobQueue()
    inp = ReviewInput.create(film.title, notes, year=film.year, rating=4, scale=5)
    inp = replace(inp, grounding=Grounding.for_film(catalog, film, inp.notes, inp.rating_text))
    async with BatchingWorker(model, queue):
        reply = await runner.submit(queue, review_task.SPEC, inp).reply()
    assert reply.attempts == 2 and len(model.prompts) == 2
    assert "told story that my notes and the facts do not give (duster, pilot" in model.prompts[1]
    assert "crop" not in reply.text and "crop" not in reply.raw  # the second draft, with nothing cut


def test_a_part_the_plot_line_gives_may_be_named_and_no_other(catalog: Catalog) -> None:
    film = catalog.resolve("American Beauty 1999").film
    assert film is not None and "Lester Burnham" in catalog.story(film).plot
    g = Grounding.for_film(catalog, film, notes="aged badly, spacey is good", rating="2.5/5")
    assert g.reason("Kevin Spacey plays Lester Burnham with a sly edge.") is None
    assert g.reason("Kevin Spacey plays the villain with a sly edge.") == \
        "a part the catalog does not give: Kevin Spacey"
    butch = catalog.resolve("Butch Cassidy and the Sundance Kid").film
    g = Grounding.for_film(catalog, butch, notes="the cliff jump")
    sentence = ('The film follows outlaws known as Butch Cassidy and his partner, the "Sundance Kid", on the run, '
                "to the cliff jump.")
    assert g.reason(sentence) is None  # Butch Cassidy is no part given to Ted Cassidy, who is in the cast


@pytest.mark.parametrize("query, in_plot, notes, rating, verdicts", [
    # the notes say "the hero", the plot line names Benjamin: that he is "the hero" neither says
    ("The Graduate 1967", "Benjamin Braddock", "the ending on the bus, the hero is kind of a blank", "6/10", [
        ("However, the hero, Benjamin Braddock, was kind of a blank.", "a part nobody gave: the hero, Benjamin"),
        ("Benjamin Braddock, the hero, was a blank.", "a part nobody gave: Braddock, the hero"),
        ("The hero was kind of a blank.", None)]),
    # the plot line gives "Carl Fredricksen (Asner)": Asner plays Carl, and no other part it does not give
    ("Up 2009", "(Asner)", "the first 10 minutes destroyed me, the old man and the kid", "4.5/5", [
        ("The old man and the kid, played by Asner and Nagai, are a perfect match.",
         "a part the plot line does not give: Asner"),
        ("Carl Fredricksen, played by Asner, is a widower with a promise to keep.", None),
        ("The old man and the kid are a perfect match.", None)]),
])
def test_a_part_needs_one_source_that_gives_it(catalog: Catalog, query: str, in_plot: str, notes: str, rating: str,
                                                verdicts: list[tuple[str, str | None]]) -> None:
    film = catalog.resolve(query).film
    assert film is not None and in_plot in catalog.story(film).plot
    g = Grounding.for_film(catalog, film, notes=notes, rating=rating)
    assert [g.reason(sentence) for sentence, _ in verdicts] == [reason for _, reason in verdicts]


def test_a_sentence_about_the_review_itself_is_a_leak(catalog: Catalog) -> None:
    g = Grounding.for_film(catalog, None, notes="chaotic but the mom and daughter stuff got me", rating="3.5/5")
    assert g.reason("The review is clearly positive, and I gave it a 3.5/5.") == "the prompt's words"
    # the verdict's words of the prompt, said of the film (Shawshank, Fargo in a review_quality run)
    assert g.reason("I loved it for its warm and enthusiastic review.") == "the prompt's words"
    assert g.reason("The film's enthusiastic tone throughout is a testament to its quality.") == "the prompt's words"
    assert g.reason("The mom and daughter stuff got me, warm and funny and sad.") is None


def test_a_list_is_not_cut_into_clauses(catalog: Catalog) -> None:
    film = catalog.resolve("The Shawshank Redemption 1994").film
    g = Grounding.for_film(catalog, film, notes="hope, the friendship, the old guy narrating, the escape",
                           rating="5/5")
    # cut at ", and", the list's first items were left as a sentence with no verb ("The film's themes of hope,
    # friendship.", read in a review_quality run, 2026-12-06): the whole goes instead
    assert g.check("The film's themes of hope, friendship, and the escape are set in the 1950s.").text == ""


def test_points_both_drafts_left_out_are_asked_on_their_own_and_put_before_the_verdict(catalog: Catalog) -> None:
    from dataclasses import replace
    film = catalog.resolve("Jaws 1975").film
    assert film is not None
    inp = ReviewInput.create(film.title, "the music!!, shark barely shown, the old guy's story about the ship",
                             year=film.year, rating=9, scale=10)
    inp = replace(inp, grounding=Grounding.for_film(catalog, film, inp.notes, inp.rating_text))
    text = "The music was a standout. Overall, I loved it."
    asked = review_task.gaps(text, inp)
    assert [start for _, start in asked] == ["I", "The old guy's story about the ship", "Overall, I give it"]
    assert '"shark barely shown"' in asked[0][0] and "9/10" in asked[2][0]
    written = ["I liked that the shark is barely shown.", "The old guy's story about the ship is the best part.",
               "Overall, I give it 9/10."]
    assert review_task.fill(text, written, inp) == (
        "The music was a standout. I liked that the shark is barely shown. The old guy's story about the ship is the "
        "best part. Overall, I loved it. Overall, I give it 9/10.")
    # a sentence that misses its point, or a verdict without the rating, is not put in
    assert review_task.fill(text, ["I liked it a lot, really.", "The ship was big.", "Overall, I loved it all."],
                            inp) == text
    assert review_task.gaps("I loved the music, the shark barely shown, the old guy's story. 9/10.", inp) == []


def test_advice_against_the_film_needs_a_rating_or_a_criticism() -> None:
    # read by eye in a review_quality run (Chinatown, no rating, 2026-12-06)
    chinatown = Fidelity(notes="twisty plot, the water, the nose thing, the ending is brutal")
    assert chinatown.reason("Overall, I would not recommend it to anyone.") == \
        "a criticism the member did not make: would not recommend"
    assert chinatown.reason("I would recommend it to anyone who likes a twisty plot.") is None
    assert Fidelity(notes="twisty plot, but too slow").reason("I wouldn't recommend it.") is None
    assert Fidelity(notes="twisty plot", share=0.2).opinion_reason("I would not recommend it.") is None


def test_the_verdict_check_reads_the_middle_of_a_review_not_only_its_frame() -> None:
    """A praising opening and verdict around complaints the notes never made: read at once, the frame wins; read in
    windows of a few sentences, the complaints count by their words."""
    def positive(text: str) -> float:  # a planted classifier: praise words read positive, the rest negative
        return 0.9 if any(w in text for w in ("enjoyed", "glad")) else 0.1
    text = ("I really enjoyed The Big Lebowski. The bowling was a central element of the plot, but it made no sense "
            "to me at all, and I found the pacing slow and the story hard to follow from the start to the very end "
            "of it. The rug was a source of endless frustration for him, and the characters felt random and flat in "
            "almost every scene they were in, with nothing to hold on to. Overall, I give it 4/5, and I'm glad I saw "
            "it.")
    assert positive(text) == 0.9
    assert review_task.reading(text, positive) < 0.5
    inp = ReviewInput.create(film="The Big Lebowski", notes="the Dude, the bowling, the rug", rating=4, scale=5,
                             positive=positive)
    verdict = review_task.assess(text, text, inp)
    assert "reads negative" in verdict.reason
    assert review_task.reading("I enjoyed it. I was glad.", positive) == 0.9  # short: read whole
