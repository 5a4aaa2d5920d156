"""bench/task_quality.py's judge, each rule on planted text (no model)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench import task_quality as tq

BEAM = "A lighthouse keeper learns that the beam keeps something asleep under the sea."


def pitch_text(logline: str, synopsis: str = "The keeper tends the light by the sea.") -> str:
    return f"**Title:** Night Lamp\n**Logline:** {logline}\n**Synopsis:** {synopsis}"


# -- pitch --------------------------------------------------------------------------------------------------------

def test_a_pitch_that_keeps_the_premise_is_clean() -> None:
    text = pitch_text("A lighthouse keeper learns the beam keeps something asleep under the sea; one night it fails.",
                      "The sleeping thing stirs and threatens to awaken when the lamp dies.")
    assert tq.judge_pitch(BEAM, text) == []


def test_a_lost_premise_word_is_flagged_by_name() -> None:
    flags = tq.judge_pitch(BEAM, pitch_text("A lighthouse keeper guards the sea.", "He is lonely."))
    assert flags == ["lost: beam, keeps, asleep"]


def test_the_title_does_not_count_as_keeping_a_word() -> None:
    text = "**Title:** The Beam\n**Logline:** A lighthouse keeper keeps something asleep under the sea."
    assert tq.judge_pitch(BEAM, text) == ["lost: beam"]


def test_an_inverted_relation_is_flagged() -> None:
    """The real failure: "the beam keeps something asleep" became "a beam that keeps a sleeping sailor awake"."""
    text = pitch_text("A lighthouse keeper learns of a beam that keeps a sleeping sailor awake under the sea.")
    assert any(f.startswith("inverted: 'asleep' became 'awake' after 'keeps'") for f in tq.judge_pitch(BEAM, text))


def test_swapped_subject_and_object_are_flagged() -> None:
    premise = "A chess hustler teaches a robot to cheat."
    swapped = pitch_text("A robot teaches a chess hustler to cheat.", "The hustler learns.")
    assert any(f.startswith("swapped: 'robot ... teaches ... hustler'") for f in tq.judge_pitch(premise, swapped))
    kept = pitch_text("A chess hustler teaches a robot to cheat, until the robot teaches him back.")
    assert tq.judge_pitch(premise, kept) == []


def test_stems_match_inflections() -> None:
    premise = "A retired stuntwoman robs the film studio that fired her."
    text = pitch_text("Fired by her studio, a long-retired stuntwoman is robbing the film lot.")
    assert tq.judge_pitch(premise, text) == []


# -- scene --------------------------------------------------------------------------------------------------------

EXCERPT = ("INT. BAR - NIGHT\n\nMARA waits by the jukebox, turning a coin over and over in her fingers.\n\n"
           "THEO enters, soaked, and sits at the far end of the counter.\n\nMARA\nYou're late.")
SCENE = ("**Setting:** A bar at night, the jukebox glowing.\n**Blocking:** Mara waits with her coin; Theo comes in "
         "soaked and sits far down the counter.\n**Light:** A warm glow from the jukebox, deep shadows.\n"
         "**Sound:** Rain outside, the hum of the jukebox, Mara's dry line.\n"
         "**Camera:** A wide shot, then a slow push in on Mara's face.")


def test_a_scene_description_in_its_own_words_is_clean() -> None:
    assert tq.judge_scene(EXCERPT, SCENE) == []


def test_a_missing_section_is_flagged() -> None:
    text = SCENE.split("\n**Sound:**")[0]
    assert tq.judge_scene(EXCERPT, text) == ["missing: Sound, Camera"]


def test_a_long_verbatim_copy_is_flagged() -> None:
    text = SCENE.replace("Mara waits with her coin;", "Mara waits by the jukebox, turning a coin over and over;")
    flags = tq.judge_scene(EXCERPT, text)
    assert flags == ['copied (Blocking): "mara waits by the jukebox turning a coin over and over"']


def test_a_section_made_of_short_copies_is_flagged() -> None:
    excerpt = "She opens the door slowly. The cat runs out fast. A bell rings twice upstairs. Rain hits the glass hard."
    text = ("**Setting:** A hall.\n**Blocking:** She opens the door slowly and the cat runs out fast when a bell "
            "rings twice upstairs.\n**Light:** Grey.\n**Sound:** The bell.\n**Camera:** Wide.")
    assert any(f.startswith("copied (Blocking): ") for f in tq.judge_scene(excerpt, text))


def test_an_invented_character_and_an_invented_object_are_flagged() -> None:
    text = SCENE.replace("Theo comes in", "Theo and Victor come in").replace("her coin", "a revolver")
    flags = tq.judge_scene(EXCERPT, text)
    assert len(flags) == 1 and flags[0].startswith("not in the excerpt: revolver, Victor | **Blocking:**")


def test_talk_about_the_excerpt_is_flagged() -> None:
    text = SCENE.replace("A warm glow from the jukebox, deep shadows.",
                         "The excerpt does not mention the light, so we cannot describe it.")
    assert tq.judge_scene(EXCERPT, text) == [
        "talks about the excerpt instead of the scene | **Light:** The excerpt does not mention the light, so we "
        "cannot describe it."]


def test_staging_words_are_not_invented_things() -> None:
    text = SCENE.replace("A wide shot", "A low-angle close-up, a slow dolly and a rack focus")
    assert tq.judge_scene(EXCERPT, text) == []


def test_determiner_phrase_heads() -> None:
    assert tq.named_things("The large, artful building has a stained glass dome.") == ["building", "glass"]
    assert tq.named_things("Chalf grins at Nar across the table.") == ["Nar", "table"]
    # a noun in -er before its verb is no adjective (read by eye: "the loudspeaker adds", 2026-12-05)
    assert tq.named_things("The light from the grills and the loudspeaker adds to the mood.") == [
        "grills", "loudspeaker", "mood"]
    assert tq.named_things("The room is soft, with the music playing in the background.") == [
        "room", "music", "background"]
    # what someone wears or holds is a thing too (read by eye: invented "white dresses and white hats", 2026-12-05)
    assert tq.named_things("The patrons are all wearing white dresses.") == ["patrons", "dresses"]
    assert tq.named_things("Mei walks on, holding lanterns.") == ["lanterns"]


# -- mood ---------------------------------------------------------------------------------------------------------

MESSAGES = ["The vault sequence was so tense", "loved the jazzy score", "the middle dragged a lot",
            "that final twist felt cheap honestly", "the score is awful and way too loud"]
SIDES = "++--" + "-"


@pytest.fixture(scope="module")
def judge() -> tq.MoodJudge:
    return tq.MoodJudge()


def test_a_summary_in_the_messages_words_is_clean(judge: tq.MoodJudge) -> None:
    text = "People loved the tense vault sequence, but felt the middle dragged and the final twist was cheap."
    assert judge.judge(MESSAGES, text, SIDES) == []


def test_an_unsupported_claim_is_flagged(judge: tq.MoodJudge) -> None:
    flags = judge.judge(MESSAGES, "People praised Tom Hanks and the car chase in Paris.")
    assert flags == ["not in the messages: Tom, Hanks, car, chase, Paris | "
                     "People praised Tom Hanks and the car chase in Paris."]


def test_an_aspect_word_counts_when_the_messages_name_its_kind(judge: tq.MoodJudge) -> None:
    assert judge.judge(MESSAGES, "Some liked the music.") == []
    assert judge.judge(["the jokes were great"], "Some liked the music.") != []


def test_praise_for_what_the_messages_criticise_is_flagged(judge: tq.MoodJudge) -> None:
    flags = judge.judge(MESSAGES, "Everyone loved the twist.", SIDES)
    assert flags == ["wrong side: praises 'twist', which the messages criticise | Everyone loved the twist."]
    assert judge.judge(MESSAGES, "Everyone loved the twist.") == []  # without the sides, no side is judged
    assert judge.judge(MESSAGES, "The score split people.", SIDES) == []  # praised once, criticised once
    flags = judge.judge(MESSAGES, "People loved the score and found the middle dragged.", SIDES)
    assert flags == []


def test_a_message_in_its_own_words_keeps_its_side(judge: tq.MoodJudge) -> None:
    # read by eye in a task_quality run (2026-12-05): a lexicon reads "made me cry" as criticism, "like" as praise
    messages = ["the animated short about the lighthouse made me cry", "it felt like a string of sketches"]
    assert judge.judge(messages, "The animated short about the lighthouse made me cry.", "+-") == []
    assert judge.judge(messages, "The film felt like a string of sketches.", "+-") == []
    # put under the wrong verb, it is still the wrong side
    assert judge.judge(messages, "People loved that it felt like a string of sketches.", "+-") != []
    # a list goes on after a quoted message: "devastating" is its praise's (a real reply, read as criticism)
    indie = ["the grainy film look is beautiful", "the long takes were mesmerizing",
             "the lead actress gives a quiet, devastating performance",
             "nothing happens for two hours"]
    text = ("People liked the grainy look, the long takes were mesmerizing, and the lead actress gave a quiet, "
            "devastating performance. They disliked nothing happening for two hours.")
    assert judge.judge(indie, text, "+++-") == []
    assert judge.judge(indie, text.replace("People liked", "People hated"), "+++-") != []


def test_a_list_run_together_is_flagged(judge: tq.MoodJudge) -> None:
    text = "People liked: jazzy score vault sequence"
    assert judge.judge(MESSAGES, text, SIDES) == [f"not prose: a list run together | {text}"]


def test_a_list_keeps_the_side_of_its_verb(judge: tq.MoodJudge) -> None:
    flags = judge.judge(MESSAGES, "They disliked the middle, the twist, and the vault sequence.", SIDES)
    assert flags == ["wrong side: criticises 'vault', which the messages praise | and the vault sequence."]
    assert judge.judge(MESSAGES, "People liked the jazzy score, and the tension in the vault sequence.", SIDES) == []


# -- the report ---------------------------------------------------------------------------------------------------

def test_the_last_line_counts_flagged_replies(tmp_path: Path) -> None:
    rows = [
        {"task": "pitch", "id": "a", "premise": BEAM, "text": pitch_text(BEAM)},
        {"task": "pitch", "id": "b", "premise": BEAM, "text": pitch_text("A keeper.")},
        {"task": "scene", "id": "c", "file": "c.txt", "source": EXCERPT, "text": SCENE},
        {"task": "mood", "id": "d", "messages": MESSAGES, "sides": SIDES, "text": "People praised Paris."},
        {"task": "mood", "id": "e", "messages": MESSAGES, "text": "", "error": "JobError: declined"},
    ]
    saved = tmp_path / "replies.jsonl"
    saved.write_text("".join(json.dumps(row) + "\n" for row in rows))
    root = Path(tq.__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, str(root / "bench" / "task_quality.py"), "--replies", str(saved)],
                         capture_output=True, text=True, check=True, cwd=root).stdout.splitlines()
    assert out[-1] == "task_quality pitch premise_kept 1/2 scene unsupported 0/1 mood unsupported 2/2"
    assert "[mood e] no reply: JobError: declined" in out


def test_there_are_at_least_twenty_cases_of_each_task() -> None:
    cases = tq.load_cases(tq.TASKS)
    for task in tq.TASKS:
        assert sum(1 for c in cases if c["task"] == task) >= 20, task
    assert any(c.get("file", "").startswith("freakout_") for c in cases)


def test_the_judge_imports_nothing_of_the_bot() -> None:
    source = Path(tq.__file__).read_text()
    judge_part = source[source.index("# -- the judge"):]
    assert "from models" not in judge_part and "import models" not in judge_part
