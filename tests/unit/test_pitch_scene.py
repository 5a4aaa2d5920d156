"""The checks that keep /pitch, /scene and a channel's /mood to what they were given: each rule on planted text."""

from __future__ import annotations

import asyncio

import pytest

from models.llm.jobs import JobQueue
from models.llm.worker import BatchingWorker
from models.tasks import DiscussionInput, PitchInput, SceneInput, TaskSpec, mood, pitch, runner, scene
from tests.fakes import FakeModel

# -- /pitch -------------------------------------------------------------------------------------------------------

BEAM = PitchInput.create("A lighthouse keeper learns that the beam keeps something asleep under the sea.")


def a_pitch(logline: str, synopsis: str = "The keeper guards the light by the sea.") -> str:
    return f"**Title:** Night Lamp\n**Logline:** {logline}\n**Synopsis:** {synopsis}"


def test_a_pitch_that_restates_the_premise_passes() -> None:
    text = a_pitch("A lighthouse keeper learns that the beam keeps something asleep under the sea, and it stirs.",
                   "When the lamp flickers, the sleeping thing begins to wake.")
    assert pitch.assess(text, text, BEAM).ok


def test_a_pitch_that_turns_the_premise_round_fails() -> None:
    """The failure that started this: "keeps something asleep" became "keeps a sleeping sailor awake"."""
    text = a_pitch("A lighthouse keeper finds that the beam keeps a sleeping sailor awake under the sea.")
    verdict = pitch.assess(text, text, BEAM)
    assert not verdict.ok and "it said 'awake' where the premise says 'asleep'" in verdict.problems


def test_a_pitch_that_loses_a_premise_word_fails_and_names_it() -> None:
    text = a_pitch("A lighthouse keeper fights a storm at sea.", "The keeper is alone.")
    verdict = pitch.assess(text, text, BEAM)
    assert not verdict.ok and "'beam'" in verdict.reason and "'asleep'" in verdict.reason
    assert "'lighthouse'" not in verdict.reason  # kept words are not named
    better = a_pitch("A lighthouse keeper learns the beam keeps something asleep under the sea.")
    assert pitch.assess(better, better, BEAM).score > verdict.score


def test_words_are_compared_by_root() -> None:
    inp = PitchInput.create("A retired stuntwoman robs the film studio that fired her.")
    text = a_pitch("Fired by her studio, a stuntwoman, long retired, is robbing the film lot.")
    assert pitch.assess(text, text, inp).ok


def test_the_second_try_names_what_was_lost_and_restates_the_premise() -> None:
    text = a_pitch("A lighthouse keeper finds that the beam keeps a sleeping sailor awake under the sea.")
    note, prime = pitch.firmer(BEAM, pitch.assess(text, text, BEAM))
    assert "it said 'awake' where the premise says 'asleep'" in note and BEAM.premise in note
    assert prime == "**Title:**"


def test_the_prompt_asks_the_logline_to_restate_the_premise() -> None:
    system = pitch.build_messages(BEAM)[0]["content"]
    assert "restates the premise faithfully" in system and "Never reverse" in system
    assert "The logline restates the premise in the premise's own words" in system


async def test_a_pitch_that_lost_the_premise_is_written_again_and_the_better_kept() -> None:
    class TwoDrafts(FakeModel):
        def encode(self, messages: list[dict[str, str]], prefix: str = "") -> list[int]:
            if "A first draft of this pitch changed the premise" in messages[-1]["content"]:
                logline = "A lighthouse keeper learns the beam keeps something asleep under the sea."
                self.default = f" Night Lamp\n**Logline:** {logline}\n**Synopsis:** It stirs.|stop"
            return super().encode(messages, prefix)

    model = TwoDrafts(default=a_pitch("A keeper fights a storm.") + "|stop")
    queue = JobQueue()
    async with BatchingWorker(model, queue):
        reply = await runner.submit(queue, pitch.SPEC, BEAM).reply()
    assert reply.attempts == 2 and "keeps something asleep" in reply.text


# -- /scene -------------------------------------------------------------------------------------------------------

BAR = SceneInput.create(
    "INT. BAR - NIGHT\n\nMARA waits by the jukebox, turning a coin over and over in her fingers.\n\n"
    "THEO enters, soaked, and sits at the far end of the counter.\n\nMARA\nYou're late.")
GOOD = ("**Setting:** A bar at night, the jukebox glowing.\n**Blocking:** Mara waits with a coin; Theo comes in wet "
        "and sits far from her.\n**Light:** Warm, low light from the jukebox.\n**Sound:** Rain, then Mara's dry line."
        "\n**Camera:** A wide shot, then a slow push in on Mara.")


def test_a_whole_description_in_its_own_words_passes() -> None:
    assert scene.assess(GOOD, GOOD, BAR).ok


def test_a_description_without_light_sound_and_camera_fails_and_keeps_what_passed() -> None:
    text = GOOD.split("\n**Light:**")[0]
    verdict = scene.assess(text, text, BAR)
    assert not verdict.ok
    assert {"it had no Light section", "it had no Sound section", "it had no Camera section"} <= set(verdict.problems)
    note, prime = scene.firmer(BAR, verdict)
    assert "it had no Light section" in note
    assert prime == text + "\n**Light:**"  # the next try goes on from the sections that passed


def test_a_section_that_copies_the_excerpt_fails() -> None:
    text = GOOD.replace("Mara waits with a coin; Theo comes in wet and sits far from her.",
                        "Mara waits by the jukebox, turning a coin over and over in her fingers.")
    verdict = scene.assess(text, text, BAR)
    assert not verdict.ok and "its Blocking section copied the excerpt" in verdict.reason
    assert scene.firmer(BAR, verdict)[1].endswith("**Setting:** A bar at night, the jukebox glowing.\n**Blocking:**")


def test_a_section_that_names_a_new_character_fails() -> None:
    text = GOOD.replace("Theo comes in wet", "Theo and his brother Victor come in wet")
    verdict = scene.assess(text, text, BAR)
    assert not verdict.ok and "its Blocking section named Victor, not in the excerpt" in verdict.problems


def test_each_section_is_cut_to_its_few_sentences() -> None:
    raw = GOOD.replace("Warm, low light from the jukebox.", "Warm light. Low light. Red light. Blue light. Dim.")
    raw = raw.replace("Mara waits with a coin;", "Mara waits. She turns a coin. She looks up. She sighs.")
    out = scene.postprocess(raw, BAR)
    assert "**Light:** Warm light. Low light.\n**Sound:**" in out  # two for Light
    assert "**Blocking:** Mara waits. She turns a coin. She looks up.\n**Light:**" in out  # three for Blocking


def test_a_section_that_repeats_the_instructions_fails() -> None:
    text = GOOD.replace("Rain, then Mara's dry line.", "Voices, room tone, effects and music for the scene.")
    verdict = scene.assess(text, text, BAR)
    assert not verdict.ok and "its Sound section repeated these instructions" in verdict.reason


def test_the_loglines_quotes_are_dropped() -> None:
    raw = '**Title:** "Night Lamp"\n**Logline:** "A keeper keeps it asleep."\n**Synopsis:** It stirs.'
    assert pitch.postprocess(raw, BEAM) == (
        "**Title:** Night Lamp\n**Logline:** A keeper keeps it asleep.\n**Synopsis:** It stirs.")


def test_the_prompt_budgets_each_section_and_forbids_copying() -> None:
    system = scene.build_messages(BAR)[0]["content"]
    assert "**Setting:** one sentence" in system and "never copy the excerpt's sentences" in system
    assert scene.SPEC.prime == "**Setting:**"


@pytest.mark.parametrize(("sentence", "reason"), [
    ("The bar is lit by a single lamp on the counter.", "it staged lamp, not in the excerpt"),
    ("Theo wears a suit and a tie.", "it staged suit, tie, not in the excerpt"),
    ("The students watch from a large, crowded classroom.", "it staged students, classroom, not in the excerpt"),
    ("The bar is described as dark.", "it talked about the excerpt instead of the scene"),
    ("We can infer that it is raining outside.", "it talked about the excerpt instead of the scene"),
    ("Mara waits by the jukebox, turning a coin over and over.", "it copied the excerpt"),
    ("Mara and her sister Lena wait.", "it named Lena, not in the excerpt"),
    ("Turning a coin over and over, Mara waits by the jukebox as Theo enters, soaked.",
     "it was mostly the excerpt's words"),
    ("Theo sits at the far end.", "it was mostly the excerpt's words"),  # short, and still copied
    # read in a task_quality run: a costume behind coordinated adjectives, a pose and an arrangement no excerpt gave
    ("Theo is dressed in a chipper and flighty outfit.", "it staged outfit, not in the excerpt"),
    ("Theo waits, his hands on his hips.", "it staged hips, not in the excerpt"),
    ("The bottles stand in rows.", "it staged bottles, rows, not in the excerpt"),
    ("The regulars are all wearing white hats.", "it staged regulars, hats, not in the excerpt"),
])
def test_a_sentence_the_excerpt_does_not_back_is_named_with_its_reason(sentence: str, reason: str) -> None:
    assert scene.unsupported(sentence, BAR.excerpt).startswith(reason)


@pytest.mark.parametrize("sentence", [
    "Mara turns the coin in her fingers by the jukebox.",  # the excerpt's things
    "A wide shot of the counter, then a close-up on her face.",  # the craft's words and the body
    "Warm light spills from the jukebox across the walls and the floor.",
    "Rain drums while a low murmur fills the room.",  # no determiner: not taken for a thing
    "The moment hangs in a tense, quiet silence.",
])
def test_a_sentence_with_the_excerpts_things_and_the_crafts_words_stands(sentence: str) -> None:
    assert scene.unsupported(sentence, BAR.excerpt) == ""


@pytest.mark.parametrize(("sentence", "kept"), [
    # read by eye in a task_quality run (2026-12-05): an add-on that stages what the excerpt lacks goes, its own
    # clause stays
    ("Theo sits far from Mara, with his hands resting on his knees.", "Theo sits far from Mara."),
    ("The jukebox glows red, giving the bar a sense of authority and professionalism.", "The jukebox glows red."),
    ("The camera moves slowly and steadily, allowing the viewer to see the details of the bar.",
     "The camera moves slowly and steadily."),
    ("Theo waits at the counter, with a lamp and a ledger beside him.", "Theo waits at the counter."),  # mended
    # an add-on of the excerpt's things or the craft's words stays
    ("Warm light spills from the jukebox, casting long shadows across the counter.",
     "Warm light spills from the jukebox, casting long shadows across the counter."),
    # the second clause stands alone
    ("A breeze blows through the door, and Theo sits at the counter.", "Theo sits at the counter."),
    # no clause of its own left: cut
    ("A lamp hangs over the table, with a ledger beside it.", ""),
])
def test_padding_is_cut_and_the_sentences_own_clause_kept(sentence: str, kept: str) -> None:
    assert scene._kept(sentence, BAR.excerpt) == kept


def test_a_short_line_of_the_excerpt_copied_whole_is_cut_and_a_mostly_copied_section_named() -> None:
    train = SceneInput.create("INT. NIGHT TRAIN - NIGHT\n\nThe CONDUCTOR looks at the ticket in her hand. Then at "
                              "the dark window.\n\nThe train slows.")
    assert scene.unsupported("Then at the dark window.", train.excerpt).startswith("it copied the excerpt")
    assert scene.unsupported("She turns to the window.", train.excerpt) == ""
    text = GOOD.replace("Mara waits with a coin; Theo comes in wet and sits far from her.",
                        "Mara waits by the jukebox. Theo enters, soaked, and sits. Late.")
    verdict = scene.assess(text, text, BAR)
    assert "its Blocking section was mostly the excerpt's own lines" in verdict.reason


def test_things_are_the_heads_of_noun_phrases() -> None:
    assert scene.things("The room is dimly lit by a single lamp.") == ["room", "lamp"]
    assert scene.things("This large, artful building stands on shelves of a windscreen indicates.") == [
        "building", "shelves", "windscreen"]


def test_an_invented_sentence_is_cut_and_the_next_try_is_told_why() -> None:
    raw = GOOD.replace("Warm, low light from the jukebox.", "A single lamp hangs over the pool table.")
    out = scene.postprocess(raw, BAR)
    assert "lamp" not in out and "**Light:**\n**Sound:** Rain" in out
    verdict = scene.assess(out, raw, BAR)
    assert not verdict.ok
    assert "it had no Light section (every sentence of it was cut: it staged lamp, table, not in the excerpt)" in (
        verdict.problems)
    assert "A single lamp" not in scene.firmer(BAR, verdict)[1]  # the retry starts from what passed


def test_a_section_the_second_try_lost_is_taken_from_the_first() -> None:
    first = GOOD.replace("Rain, then Mara's dry line.", "")
    second = GOOD.replace("Warm, low light from the jukebox.", "").replace("A wide shot", "A high shot")
    merged = scene.merge(first, second, BAR)
    assert "**Light:** Warm, low light from the jukebox.\n**Sound:** Rain, then Mara's dry line." in merged
    assert "A high shot" in merged and scene.assess(merged, merged, BAR).ok


async def test_the_two_tries_are_made_one_when_each_lost_a_section() -> None:
    invented = GOOD.replace("Rain, then Mara's dry line.", "A jazz band plays in the corner.")

    class TwoDrafts(FakeModel):
        def encode(self, messages: list[dict[str, str]], prefix: str = "") -> list[int]:
            if "A first draft of this description went wrong" in messages[-1]["content"]:
                assert prefix.endswith("**Light:** Warm, low light from the jukebox.\n**Sound:**")  # from what passed
                self.default = " Rain, then Mara's dry line.\n**Camera:** A crane shot over the pool table.|stop"
            return super().encode(messages, prefix)

    model = TwoDrafts(default=invented.removeprefix("**Setting:**") + "|stop")
    queue = JobQueue()
    async with BatchingWorker(model, queue):
        reply = await runner.submit(queue, scene.SPEC, BAR).reply()
    assert reply.attempts == 2
    assert reply.text == GOOD  # Sound from the second try, Camera from the first


async def test_a_section_both_tries_left_empty_is_written_on_its_own() -> None:
    invented = GOOD.replace("Rain, then Mara's dry line.", "A jazz band plays in the corner.")
    asked: list[str] = []

    class SoundAlone(FakeModel):
        def encode(self, messages: list[dict[str, str]], prefix: str = "") -> list[int]:
            content = messages[-1]["content"]
            if "Write only the **Sound:** section now" in content:
                asked.append(prefix)
                self.default = " Rain, then Mara's dry line.\n**Camera:** A crane shot over the pool table.|stop"
            elif "A first draft of this description went wrong" in content:
                self.default = " A jazz band plays in the corner.\n**Camera:** A wide shot, then a slow push in on " \
                               "Mara.|stop"
            return super().encode(messages, prefix)

    model = SoundAlone(default=invented.removeprefix("**Setting:**") + "|stop")
    queue = JobQueue()
    async with BatchingWorker(model, queue):
        reply = await runner.submit(queue, scene.SPEC, BAR).reply()
    assert asked == ["**Sound:**"]  # only the empty section, started with its label
    assert reply.attempts == 3
    assert reply.text == GOOD  # the Sound written on its own, put in its place; the rest of its answer not taken


def test_only_the_empty_sections_are_asked_and_a_still_empty_one_stays_out() -> None:
    text = GOOD.replace("\n**Sound:** Rain, then Mara's dry line.", "").replace("A wide shot, then a slow push in "
                                                                                 "on Mara.", "")
    assert [prime for _, prime in scene.gaps(text, BAR)] == ["**Sound:**", "**Camera:**"]
    assert "voices, room tone, effects and music" in scene.gaps(text, BAR)[0][0]
    filled = scene.fill(text, ["**Sound:** A jazz band plays in the corner.", "**Camera:** A close shot of Mara's "
                               "coin."], BAR)
    assert "**Sound:**" not in filled and filled.endswith("**Camera:** A close shot of Mara's coin.")
    assert scene.gaps(GOOD, BAR) == []
    no_blocking = GOOD.replace("Mara waits with a coin; Theo comes in wet and sits far from her.", "")
    assert [prime for _, prime in scene.gaps(no_blocking, BAR)] == ["**Blocking:** Frame left,"]


def test_a_setting_cut_whole_is_said_from_the_scene_heading() -> None:
    raw = GOOD.replace("A bar at night, the jukebox glowing.", "A crowded casino in Las Vegas, after a wedding.")
    assert "**Setting:** Interior: bar, at night.\n**Blocking:**" in scene.postprocess(raw, BAR)
    assert scene.heading_setting("EXT. DESERT HIGHWAY - DUSK\n\nA truck.") == "Exterior: desert highway, at dusk."
    assert scene.heading_setting("A truck on a road.") == ""
    assert scene.heading_setting("INT. LIBRARY--DAY\n\nBooks.") == "Interior: library, by day."  # the shipped script


def test_the_prompt_lists_the_excerpts_things() -> None:
    user = scene.build_messages(BAR)[1]["content"]
    assert "The things the excerpt has (stage only these" in user
    assert "jukebox, coin, fingers, counter." in user


# -- a channel's /mood --------------------------------------------------------------------------------------------

CHANNEL = DiscussionInput.create(place="#film-talk", count=6, positive_share=0.5, negative_share=0.5,
                                 liked=["loved the jazzy score", "the vault sequence was so tense"],
                                 disliked=["the middle dragged a lot", "that final twist felt cheap"])


def test_a_summary_in_the_messages_words_passes() -> None:
    text = "People loved the jazzy score and the tense vault sequence, but felt the middle dragged and the twist cheap."
    assert mood.channel_assess(text, text, CHANNEL).ok


def test_a_summary_that_says_what_no_message_says_fails_and_names_it() -> None:
    text = "People loved the score and Tom Hanks, but the car chase in Paris dragged."
    verdict = mood.channel_assess(text, text, CHANNEL)
    assert not verdict.ok
    for word in ("'Tom'", "'Hanks'", "'car'", "'chase'", "'Paris'"):
        assert word in verdict.reason
    note, _ = mood.channel_firmer(CHANNEL, verdict)
    assert "'Paris'" in note


@pytest.mark.parametrize(("sentence", "mended"), [
    # issue 20's heist discussion: both sentences were dropped whole for "excitement" and "length"
    ("People liked the jazzy score, the vault sequence, and the overall excitement of the film.",
     "People liked the jazzy score and the vault sequence."),
    ("They disliked the length, the final twist, and the middle dragging.",
     "They disliked the final twist and the middle dragging."),
    ("They disliked the length and the car chase.", ""),  # nothing of the list left
    ("Critics in Paris disliked the twist and the middle.", ""),  # its start says what no message says
])
def test_a_listed_thing_no_message_names_is_taken_out_of_its_list(sentence: str, mended: str) -> None:
    assert mood.mend_list(sentence, CHANNEL) == mended
    assert mood.channel_postprocess(f"People loved the jazzy score. {sentence}", CHANNEL) == (
        f"People loved the jazzy score. {mended}".strip())


def test_a_thing_listed_on_the_side_its_messages_are_not_on_is_taken_out() -> None:
    # issue 20's festival discussion: "the opening film" liked, though only "the opening film was a mess" names it
    festival = DiscussionInput.create(place="#fest", count=5, positive_share=0.4, negative_share=0.6,
                                      liked=["the short films block was the highlight of the day",
                                             "the q&a with the director was fun"],
                                      disliked=["the opening film was a mess", "the closing film was too long"])
    raw = ("People liked the Q&A with the director, the short films block, and the opening film. They disliked the "
           "opening film and the closing film, but loved the short films block.")
    assert mood.channel_postprocess(raw, festival) == (
        "People liked the Q&A with the director and the short films block. They disliked the opening film and the "
        "closing film, but loved the short films block.")
    verdict = mood.channel_assess(raw, raw, festival)
    assert verdict.problems == ("it said people liked 'the opening film', which their messages do not say",)
    # a turn starts a list of the other side
    assert mood.wrong_items("They disliked the opening film, but loved the q&a.", festival) == []
    assert mood.wrong_items("People loved the q&a and hated the opening film.", festival) == []
    assert mood.wrong_items("They disliked the opening film, but loved the closing film.", festival) == [
        "the closing film"]


def test_inflections_contractions_and_spellings_count_as_said() -> None:
    text = "They've praised the colors. The trying second hour was going nowhere."
    inp = DiscussionInput.create(place="#x", count=3, positive_share=0.5, negative_share=0.5,
                                 liked=["the colours are lovely"],
                                 disliked=["the second hour tries hard", "goes nowhere"])
    assert mood.channel_assess(text, text, inp).ok


def test_a_list_under_a_heading_becomes_a_sentence() -> None:
    raw = ("People liked:\n- The jazzy score\n- the vault sequence\n\nPeople disliked:\n- the middle dragged.\n"
           "That is all.")
    assert mood.channel_postprocess(raw, CHANNEL) == (
        "People liked the jazzy score and the vault sequence. People disliked the middle dragged. That is all.")


def test_the_second_try_gives_no_start() -> None:
    text = "People loved Paris."
    note, prime = mood.channel_firmer(CHANNEL, mood.channel_assess(text, text, CHANNEL))
    assert "'Paris'" in note and "prose" in note and prime == ""


def test_the_channel_prompt_asks_for_the_messages_words_only() -> None:
    system = mood.channel_messages(CHANNEL)[0]["content"]
    assert "Say only what the messages say" in system and "messages' own words" in system
    assert "a machine's guess and it errs" in system  # the classifier's sides are not the model's to follow blindly


def test_the_checks_run_in_the_worker_thread_without_a_loop() -> None:
    assert asyncio.run(asyncio.to_thread(scene.assess, GOOD, GOOD, BAR)).ok


@pytest.mark.parametrize("spec", [pitch.SPEC, scene.SPEC, mood.CHANNEL_SPEC])
def test_the_specs_have_a_check_and_a_second_try(spec: TaskSpec) -> None:
    assert spec.assess is not None and spec.firmer is not None


def test_a_sentence_no_message_supports_is_dropped_and_the_draft_is_written_again() -> None:
    raw = "People loved the jazzy score. The car chase in Paris dragged. The final twist felt cheap to some."
    text = mood.channel_postprocess(raw, CHANNEL)
    assert text == "People loved the jazzy score. The final twist felt cheap to some."
    verdict = mood.channel_assess(text, raw, CHANNEL)
    assert not verdict.ok and "'Paris'" in verdict.reason  # the draft is judged, not what was left of it
    clean = "People loved the jazzy score and the tense vault sequence."
    assert mood.channel_assess(clean, clean, CHANNEL).score > verdict.score
    # nothing supported: no summary at all (the report shows its figures), and the reason is still named
    assert mood.channel_postprocess("Tom Hanks was in Paris.", CHANNEL) == ""
    assert "'Hanks'" in mood.channel_assess("", "Tom Hanks was in Paris.", CHANNEL).problems[0]
