"""Unit tests for models/tasks: input checks, prompts and the post-processing of crafted model outputs."""

from __future__ import annotations

import re
from typing import Any

import pytest

from models.tasks import (
    SPECS,
    DiscussionInput,
    ExplainInput,
    InputError,
    MoodInput,
    PitchInput,
    ReviewInput,
    SceneInput,
    TaskSpec,
    mood,
    pitch,
    review,
    scene,
)
from models.tasks.scene import fountain_to_text, read_script, window
from models.text import (
    bold_labels,
    clean_text,
    neutralize_mentions,
    postprocess_text,
    require_text,
    split_sentences,
)

# What Discord would turn into a ping or a link.
DISCORD_MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d+>|<#\d+>")


def user_content(messages: list[dict[str, str]]) -> str:
    assert [m["role"] for m in messages] == ["system", "user"]
    return messages[1]["content"]


# ------------------------------------------------------------------------------------------------
# clean_text
# ------------------------------------------------------------------------------------------------


def test_clean_text_removes_control_characters_and_keeps_newlines() -> None:
    assert clean_text("a\x00b\x07c\x1bd\nnext\x7f line") == "abcd\nnext line"


def test_clean_text_turns_tabs_into_spaces() -> None:
    assert clean_text("a\tb\t\tc") == "a b c"


@pytest.mark.parametrize(
    "invisible",
    list("\u200b\u200c\u200d\u2060\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"),
)
def test_clean_text_removes_zero_width_and_bidi_characters(invisible: str) -> None:
    assert clean_text(f"{invisible}ev{invisible}il{invisible}") == "evil"


def test_clean_text_normalises_whitespace() -> None:
    raw = "  first   line  \r\n\r\n\r\n\r\n   second\u00a0\u00a0line   \n\n\n\nthird  "
    assert clean_text(raw) == "first line\n\nsecond line\n\nthird"


def test_clean_text_nfc_normalises() -> None:
    assert clean_text("Ame\u0301lie") == "Amélie"


# ------------------------------------------------------------------------------------------------
# require_text
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, "", "   \n\t ", "\u200b\u200b"])
def test_require_text_rejects_empty(value: str | None) -> None:
    with pytest.raises(InputError) as err:
        require_text(value, field="notes", command="review", limit=4000)
    assert "notes" in str(err.value)
    assert "/review" in str(err.value)
    assert "empty" in str(err.value)


def test_require_text_over_limit_names_field_length_and_limit() -> None:
    with pytest.raises(InputError) as err:
        require_text("x" * 4210, field="notes", command="review", limit=4000)
    msg = str(err.value)
    assert "/review notes" in msg
    assert "4,210" in msg
    assert "4,000" in msg
    assert msg.endswith(".")


def test_require_text_limit_counts_cleaned_text() -> None:
    # 12 visible characters padded with whitespace and zero-width characters fit a limit of 12
    assert (
        require_text("  hello\u200b world! \u200b  ", field="text", command="mood", limit=12)
        == "hello world!"
    )


def test_require_text_too_short_asks_for_more() -> None:
    with pytest.raises(InputError) as err:
        require_text("a heist", field="premise", command="pitch", limit=1000, min_chars=10)
    msg = str(err.value)
    assert "tell me a bit more" in msg.lower()
    assert "10" in msg
    assert "7" in msg


# ------------------------------------------------------------------------------------------------
# neutralize_mentions
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("hi @everyone", "hi @\u200beveryone"),
        ("hi @here!", "hi @\u200bhere!"),
        ("thanks <@123>", "thanks @user"),
        ("thanks <@!123>", "thanks @user"),
        ("ping <@&5>", "ping @role"),
        ("see <#42>", "see #channel"),
    ],
)
def test_neutralize_mentions(raw: str, expected: str) -> None:
    out = neutralize_mentions(raw)
    assert out == expected
    assert not DISCORD_MENTION.search(out)


def test_neutralize_mentions_nested_and_idempotent() -> None:
    raw = "<<@1>@1> <@<@&2>3> @@everyone @EVERYONE"
    out = neutralize_mentions(raw)
    assert not DISCORD_MENTION.search(out)
    assert not re.search(r"@everyone", out, re.IGNORECASE)
    assert neutralize_mentions(out) == out


def test_neutralize_mentions_leaves_plain_text() -> None:
    text = "mail me at film@example.com, 5 < 6 > 4, #1 movie"
    assert neutralize_mentions(text) == text


# ------------------------------------------------------------------------------------------------
# postprocess_text
# ------------------------------------------------------------------------------------------------


def test_postprocess_collapses_sentence_loop() -> None:
    assert postprocess_text("I loved it. I loved it. I loved it.") == "I loved it."


def test_postprocess_collapses_sentence_loop_with_varied_punctuation_and_case() -> None:
    out = postprocess_text("The score soars! the score soars. THE SCORE SOARS! Go see it.")
    assert out == "The score soars! Go see it."


def test_postprocess_collapses_word_stutter() -> None:
    assert postprocess_text("It was was was great and the the the ending worked.") == (
        "It was great and the ending worked."
    )


def test_postprocess_collapses_phrase_loop_without_punctuation() -> None:
    assert postprocess_text("It is so good so good so good so good.") == "It is so good."


def test_postprocess_keeps_a_word_said_twice() -> None:
    assert postprocess_text("I know that that is true.") == "I know that that is true."


def test_postprocess_drops_a_sentence_seen_earlier() -> None:
    out = postprocess_text("The cast is superb. The plot drags. The cast is superb. The ending lands.")
    assert out == "The cast is superb. The plot drags. The ending lands."


def test_postprocess_keeps_short_sentences_that_recur_apart() -> None:
    out = postprocess_text("Was it good? Yes. Was the ending good? Yes.")
    assert out == "Was it good? Yes. Was the ending good? Yes."


def test_postprocess_stops_at_a_repeated_paragraph() -> None:
    raw = (
        "First paragraph about the tension.\n\n"
        "Second paragraph about the ship.\n\n"
        "First paragraph about the tension.\n\n"
        "A new paragraph after the loop started."
    )
    assert postprocess_text(raw) == "First paragraph about the tension.\n\nSecond paragraph about the ship."


def test_postprocess_stops_at_a_truncated_copy_of_a_paragraph() -> None:
    raw = (
        "The film opens in silence. The crew wakes up slowly.\n\n"
        "Then the distress call arrives.\n\n"
        "The film opens in silence. The crew wa"
    )
    assert (
        postprocess_text(raw)
        == "The film opens in silence. The crew wakes up slowly.\n\nThen the distress call arrives."
    )


def test_postprocess_cuts_an_unfinished_last_sentence() -> None:
    assert postprocess_text("A tense film. The ending, however, was") == "A tense film."


@pytest.mark.parametrize(
    "complete",
    ['He said "go."', "It ends (finally.)", "Really?!", "Wait for it…", "So *good.*"],
)
def test_postprocess_keeps_text_ending_at_a_boundary(complete: str) -> None:
    assert postprocess_text(complete) == complete


def test_postprocess_adds_ellipsis_when_there_is_no_boundary() -> None:
    assert postprocess_text("a slow burn with a great score and") == "a slow burn with a great score and…"


def test_postprocess_does_not_split_decimals() -> None:
    assert postprocess_text("I give it 3.5 out of 5") == "I give it 3.5 out of 5…"


def test_postprocess_cuts_a_full_echo_of_the_prompt() -> None:
    echo = "Film: Alien (1979)\nMy notes:\ntense, scary"
    raw = "Film: Alien (1979) My notes: tense, scary\n\nAlien is tense and scary."
    assert postprocess_text(raw, echo=echo) == "Alien is tense and scary."


def test_postprocess_cuts_echoed_prompt_lines() -> None:
    echo = "Premise: a cop and a dog in space\nGenre: comedy"
    raw = (
        "Premise: a cop and a dog in space\n\n"
        "**Title:** Space Paws\n**Logline:** A cop and her dog save a station."
    )
    assert postprocess_text(raw, echo=echo) == (
        "**Title:** Space Paws\n**Logline:** A cop and her dog save a station."
    )


def test_postprocess_cuts_an_echoed_labelled_block() -> None:
    echo = "Film: Heat\nMy notes:\ngreat shootout\nlong but worth it"
    raw = "My notes:\ngreat shootout\nlong but worth it\nHeat is long but worth it."
    assert postprocess_text(raw, echo=echo) == "Heat is long but worth it."


def test_postprocess_keeps_text_that_only_starts_like_the_echo() -> None:
    echo = "Film: Alien\nMy notes:\nscary"
    raw = "Film: Alien is the scariest film I know."
    assert postprocess_text(raw, echo=echo) == raw


@pytest.mark.parametrize(
    "raw",
    [
        "# Review\n\nI loved it.",
        "**Review of Alien**\nI loved it.",
        "Review:\nI loved it.",
        "Review: I loved it.",
        "**Review:** I loved it.",
    ],
)
def test_postprocess_strips_a_leading_heading(raw: str) -> None:
    assert postprocess_text(raw, strip_heading="Review") == "I loved it."


def test_postprocess_keeps_a_first_line_that_is_not_a_heading() -> None:
    raw = "Reviewing this film was a joy."
    assert postprocess_text(raw, strip_heading="Review") == raw


def test_postprocess_keeps_markdown_structure() -> None:
    raw = (
        "**Title:** Night Shift\n"
        "**Logline:** A nurse hunts a thief.\n"
        "**Synopsis:** She works nights. She notices things.\n\n"
        "- Tone: tense.\n"
        "- Genre: thriller."
    )
    assert postprocess_text(raw) == raw


def test_postprocess_cuts_back_to_a_complete_markdown_line() -> None:
    raw = "**Title:** Night Shift\n**Logline:** A nurse who"
    assert postprocess_text(raw) == "**Title:** Night Shift"


def test_postprocess_neutralises_mentions() -> None:
    out = postprocess_text("Hey @everyone and @here, <@123> and <@&5> loved it.")
    assert not DISCORD_MENTION.search(out)
    assert out == "Hey @\u200beveryone and @\u200bhere, @user and @role loved it."


def test_postprocess_of_pure_echo_is_empty() -> None:
    assert postprocess_text("Film: Alien", echo="Film: Alien") == ""


def test_split_sentences() -> None:
    assert split_sentences('He left. "Why?" she asked… Then 3.5 stars') == [
        "He left.",
        '"Why?"',
        "she asked…",
        "Then 3.5 stars",
    ]


def test_bold_labels_normalises_label_forms() -> None:
    raw = "Setting: a bar.\n**Blocking**: she sits.\n## Light\n- Sound: rain.\n**Camera:** wide."
    assert bold_labels(raw, scene.SECTIONS) == (
        "**Setting:** a bar.\n**Blocking:** she sits.\n**Light:**\n**Sound:** rain.\n**Camera:** wide."
    )


# ------------------------------------------------------------------------------------------------
# review
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rating", "scale", "expected_scale", "text"),
    [
        (4, None, 5, "4/5"),
        (5, None, 5, "5/5"),
        (0, None, 5, "0/5"),
        (5.5, None, 10, "5.5/10"),
        (7.5, None, 10, "7.5/10"),
        (10, None, 10, "10/10"),
        (4, 10, 10, "4/10"),
        (3, 5, 5, "3/5"),
    ],
)
def test_review_rating_scale_inference(
    rating: float, scale: int | None, expected_scale: int, text: str
) -> None:
    inp = ReviewInput.create("Alien", "scary", rating=rating, scale=scale)
    assert inp.scale == expected_scale
    assert inp.rating_text == text
    assert text in user_content(review.build_messages(inp))


def test_review_without_rating_has_no_scale() -> None:
    inp = ReviewInput.create("Alien", "scary", scale=10)
    assert inp.rating is None
    assert inp.scale is None
    assert "no rating" in review.build_messages(inp)[1]["content"]


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"rating": 10.5}, "0 to 10"),
        ({"rating": -1}, "0 to 10"),
        ({"rating": float("nan")}, "0 to 10"),
        ({"rating": 8, "scale": 5}, "5-point"),
        ({"rating": 3, "scale": 7}, "5 or 10"),
        ({"year": 1869}, "1870"),
        ({"year": 2101}, "2100"),
    ],
)
def test_review_rejects_bad_numbers(kwargs: dict[str, float], needle: str) -> None:
    with pytest.raises(InputError) as err:
        ReviewInput.create("Alien", "scary", **kwargs)  # type: ignore[arg-type]
    assert needle in str(err.value)


@pytest.mark.parametrize("year", [1870, 2100])
def test_review_accepts_year_bounds(year: int) -> None:
    assert ReviewInput.create("Alien", "scary", year=year).year == year


@pytest.mark.parametrize(
    ("film", "notes", "tone", "numbers"),
    [
        ("x" * 201, "ok", None, ("201", "200")),
        ("Alien", "n" * 4001, None, ("4,001", "4,000")),
        ("Alien", "ok", "t" * 101, ("101", "100")),
    ],
)
def test_review_length_limits(film: str, notes: str, tone: str | None, numbers: tuple[str, str]) -> None:
    with pytest.raises(InputError) as err:
        ReviewInput.create(film, notes, tone=tone)
    for n in numbers:
        assert n in str(err.value)
    assert "/review" in str(err.value)


def test_review_limits_are_inclusive() -> None:
    inp = ReviewInput.create("x" * 200, "n" * 4000, tone="t" * 100)
    assert (len(inp.film), len(inp.notes), len(inp.tone or "")) == (200, 4000, 100)


@pytest.mark.parametrize(("film", "notes"), [("", "notes"), ("Alien", " \n ")])
def test_review_requires_film_and_notes(film: str, notes: str) -> None:
    with pytest.raises(InputError):
        ReviewInput.create(film, notes)


def test_review_create_cleans_inputs() -> None:
    inp = ReviewInput.create("  Blade\nRunner\u200b ", "  loved   it\n\n\n\nthe rain  ", tone="  ", year=1982)
    assert inp.film == "Blade Runner"
    assert inp.notes == "loved it\n\nthe rain"
    assert inp.tone is None


def test_review_build_messages_contains_inputs() -> None:
    inp = ReviewInput.create(
        "Heat", "the shootout slaps\nVal Kilmer rules", year=1995, rating=9, tone="hyped"
    )
    messages = review.build_messages(inp)
    user = user_content(messages)
    for part in ("Heat (1995)", "the shootout slaps", "Val Kilmer rules", "9/10", "hyped"):
        assert part in user
    system = messages[0]["content"]
    assert "first-person voice" in system and "No spoilers unless the writer allows them" in system
    assert f"About {review.target_words(inp.notes)} words" in user and "Add no opinions of your own" in system
    assert "Name only people the facts or the notes name" in system
    assert user.endswith('Start with "I".')


def test_review_spoilers_switch_the_rule() -> None:
    on = review.build_messages(ReviewInput.create("Heat", "notes", spoilers=True))
    off = review.build_messages(ReviewInput.create("Heat", "notes"))
    assert on[0] == off[0]  # the system prompt (no spoilers, unless allowed) is shared, for the prefix cache
    assert "Spoilers are allowed" in on[1]["content"] and "Spoilers are allowed" not in off[1]["content"]


def test_review_postprocess_removes_echo_heading_and_loops() -> None:
    inp = ReviewInput.create("Alien", "tense, scary", year=1979, rating=4)
    raw = (
        "Film: Alien (1979)\nMy rating: 4/5\n\n# Review\n\n"
        "Alien is tense and scary, 4/5. I loved it. I loved it. I loved it. The ship design is"
    )
    assert review.postprocess(raw, inp) == "Alien is tense and scary, 4/5. I loved it."


# ------------------------------------------------------------------------------------------------
# mood
# ------------------------------------------------------------------------------------------------


def test_mood_input_limits() -> None:
    assert MoodInput.create(" great film \u200b").text == "great film"
    with pytest.raises(InputError) as err:
        MoodInput.create("x" * 4001)
    assert "4,000" in str(err.value) and "4,001" in str(err.value)
    with pytest.raises(InputError):
        MoodInput.create("")


def explain_input(text: str = "The first hour dragged, but that ending left me shaking.") -> ExplainInput:
    return ExplainInput.create(text=text, label="positive", positive=0.93, emotions=("surprise", "neutral", "joy"))


def test_explain_input_keeps_the_verdict() -> None:
    inp = explain_input()
    assert inp.emotions == ("surprise", "joy")  # neutral is not an emotion to explain
    assert inp.verdict == "positive (93% sure)"
    assert ExplainInput.create("bad", "negative", 0.12).verdict == "negative (88% sure)"
    assert ExplainInput.create("hm", "mixed", 0.54).verdict == "mixed (54% positive)"
    assert ExplainInput.create("x", "positive", 1.7).positive == 1.0
    with pytest.raises(ValueError):
        ExplainInput.create("x", "unclear", 0.5)
    with pytest.raises(InputError):
        ExplainInput.create("   ", "positive", 0.9)


def test_explain_prompt_has_the_text_and_the_verdict_and_asks_for_one_sentence() -> None:
    messages = mood.explain_messages(explain_input())
    assert [m["role"] for m in messages] == ["system", "user"]
    assert "ONE short sentence" in messages[0]["content"] and "no JSON" in messages[0]["content"]
    user = user_content(messages)
    assert "that ending left me shaking" in user
    assert "positive (93% sure)" in user and "surprise, joy" in user
    assert mood.SPEC.build_messages is mood.explain_messages and mood.SPEC.name == "mood"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("The ending's shock outweighs the slow start. It also mentions the score.",
         "The ending's shock outweighs the slow start."),
        ("Explanation: the praise for the ending wins over the complaint.",
         "the praise for the ending wins over the complaint."),
        ('"The ending left the writer shaken."', "The ending left the writer shaken."),
        ("- The words left me shaking carry the mood.\n- more", "The words left me shaking carry the mood."),
        ("It reads positive because @everyone loved it", "It reads positive because @\u200beveryone loved it…"),
        ("", ""),
    ],
)
def test_explain_postprocess_keeps_one_clean_sentence(raw: str, expected: str) -> None:
    assert mood.explain_postprocess(raw, explain_input()) == expected


def test_explain_postprocess_caps_the_length() -> None:
    out = mood.explain_postprocess(" ".join(f"w{i}" for i in range(200)) + " end.", explain_input())
    assert len(out) <= mood.EXPLANATION_LIMIT and out.endswith("…")


def discussion_input() -> DiscussionInput:
    return DiscussionInput.create(
        place="#film-talk", count=120, positive_share=0.55, negative_share=0.3,
        liked=["The score is gorgeous", "x" * 1000, "   ", "the score is GORGEOUS", *[f"liked {i}" for i in range(10)]],
        disliked=["The middle act drags\nand the dialogue is clunky"], film="Alien (1979)",
    )


def test_discussion_input_trims_the_quotes() -> None:
    inp = discussion_input()
    assert len(inp.liked) == mood.QUOTES and inp.liked[0] == "The score is gorgeous"
    assert len(inp.liked[1]) <= mood.QUOTE_LIMIT and inp.liked[1].endswith("…")
    assert "" not in inp.liked and inp.liked[2:] == ("liked 0", "liked 1", "liked 2")  # no blanks, no repeats
    assert inp.disliked == ("The middle act drags and the dialogue is clunky",)


def test_channel_prompt_has_the_figures_and_both_sides() -> None:
    messages = mood.channel_messages(discussion_input())
    assert "liked and what they disliked" in messages[0]["content"]
    user = user_content(messages)
    assert "#film-talk about Alien (1979): 120 messages, 55% positive, 30% negative" in user
    assert "- The score is gorgeous" in user and "- The middle act drags and the dialogue is clunky" in user
    empty = DiscussionInput.create(place="#x", count=1, positive_share=1.0, negative_share=0.0, liked=["yay"],
                                   disliked=[])
    assert "Most negative messages:\n(none)" in user_content(mood.channel_messages(empty))


def test_channel_postprocess_is_prose_capped_and_mention_safe() -> None:
    inp = discussion_input()
    raw = "Summary:\n- People loved the score and the film.\n- They found the middle act clunky, @everyone."
    assert mood.channel_postprocess(raw, inp) == (
        "People loved the score and the film. They found the middle act clunky, @\u200beveryone.")
    long = " ".join(f"The score {i} is gorgeous in the film." for i in range(60))
    out = mood.channel_postprocess(long, inp)
    assert len(out) <= mood.SUMMARY_LIMIT and out.endswith(".")


# ------------------------------------------------------------------------------------------------
# scene
# ------------------------------------------------------------------------------------------------


def test_scene_create_limits() -> None:
    assert SceneInput.create("INT. BAR - NIGHT\n\nShe waits.").excerpt == "INT. BAR - NIGHT\n\nShe waits."
    assert len(SceneInput.create("x" * 6000).excerpt) == 6000
    with pytest.raises(InputError) as err:
        SceneInput.create("x" * 6001)
    assert "6,000" in str(err.value) and "6,001" in str(err.value)
    with pytest.raises(InputError):
        SceneInput.create("  ")


LIMIT = 100 * 1024  # the attachment limit's default (CINEBOT_MAX_ATTACHMENT_KB=100)


@pytest.mark.parametrize("filename", ["scene.pdf", "scene.docx", "scene", "scene.txt.exe"])
def test_scene_attachment_rejects_other_types(filename: str) -> None:
    with pytest.raises(InputError) as err:
        read_script(filename, b"INT. BAR - NIGHT", LIMIT)
    assert ".fountain" in str(err.value) and ".txt" in str(err.value)


@pytest.mark.parametrize("filename", ["scene.txt", "SCENE.TXT", "draft.Fountain"])
def test_scene_attachment_accepts_text_types(filename: str) -> None:
    assert read_script(filename, b"She waits.", LIMIT) == "She waits."


def test_scene_attachment_size_limit() -> None:
    with pytest.raises(InputError) as err:
        read_script("big.txt", b"a" * (LIMIT + 1), LIMIT)
    assert "the limit for /scene files is 100 KB" in str(err.value)
    with pytest.raises(InputError) as err:
        read_script("big.txt", b"a" * 2049, 2048)
    assert "is 2 KB; the limit for /scene files is 2 KB" in str(err.value)


@pytest.mark.parametrize("data", [b"\xff\xfe\x00b\xc3", b"abc\x00\x00def", "caf\u00e9".encode("latin-1")])
def test_scene_attachment_must_be_utf8_text(data: bytes) -> None:
    with pytest.raises(InputError) as err:
        read_script("scene.fountain", data, LIMIT)
    assert "isn't a text file" in str(err.value)


def test_scene_attachment_accepts_utf8_bom() -> None:
    data = "\ufeffINT. CAFÉ - DAY\n\nShe waits.".encode()
    assert read_script("scene.txt", data, LIMIT) == "INT. CAFÉ - DAY\n\nShe waits."


def test_a_script_over_the_excerpt_limit_is_cut_to_the_scenes_that_fit() -> None:
    plain = window(read_script("long.txt", b"word " * 1500, LIMIT))  # 7,500 characters, no scene headings
    assert plain.cut and len(plain.text) <= 6000 and plain.label() == f"the opening {len(plain.text):,} characters"
    scenes = "\n\n".join(f"EXT. DOCK {i} - DAWN\n\n" + "Gulls wheel over the nets. " * 40 for i in range(1, 9))
    first = window(scenes)
    assert first.cut and first.first == 1 and first.last < 8 and len(first.text) <= 6000
    assert first.text.startswith("EXT. DOCK 1 - DAWN") and first.label() == f"scenes 1-{first.last} of 8"
    last = window(scenes, start=8)
    assert last.text.startswith("EXT. DOCK 8 - DAWN") and last.label() == "scene 8 of 8"
    assert not window("INT. BAR - NIGHT\n\nShe waits.").cut
    with pytest.raises(InputError, match="has 8 scenes, so there is no scene 9"):
        window(scenes, start=9)
    for single in ("INT. BAR - NIGHT\n\nShe waits.", "She waits."):  # one heading, or none: one scene
        with pytest.raises(InputError, match="is a single scene, so there is no scene 2") as err:
            window(single, start=2)
        assert "from 1 to" not in str(err.value)


def test_fountain_markup_is_made_readable() -> None:
    source = (
        "Title: The Long Night\n"
        "Author: Sam\n"
        "Draft date: 1/1/2025\n"
        "\n"
        ".INT. KITCHEN - NIGHT #1#\n"
        "\n"
        "# ACT ONE\n"
        "= Dana finds the letter.\n"
        "/* an old version\n of the scene */\n"
        "!DANA enters, soaked. [[make this wetter]]\n"
        "\n"
        "@McCLANE ^\n"
        "(quietly)\n"
        "Where's the *letter*?\n"
        "\n"
        "> CUT TO:\n"
        "\n"
        "===\n"
        "> THE END <\n"
    )
    assert fountain_to_text(source) == (
        "INT. KITCHEN - NIGHT\n\nDANA enters, soaked.\n\nMcCLANE\n(quietly)\nWhere's the letter?"
        "\n\nCUT TO:\n\nTHE END"
    )


def test_fountain_keeps_plain_text_and_ellipses() -> None:
    source = "Notes about this scene are below.\n\n...and then she ran."
    assert fountain_to_text(source) == source


def test_scene_build_messages() -> None:
    inp = SceneInput.create("INT. BAR - NIGHT\n\nMARA slides a key across the counter.")
    messages = scene.build_messages(inp)
    assert "MARA slides a key across the counter." in user_content(messages)
    system = messages[0]["content"]
    for label in ("**Setting:**", "**Blocking:**", "**Light:**", "**Sound:**", "**Camera:**"):
        assert label in system
    assert "Present tense" in system
    assert "100 to 250 words" in system


def test_scene_postprocess_formats_sections() -> None:
    inp = SceneInput.create("INT. BAR - NIGHT\n\nMara waits.")
    raw = (
        "Scene description:\n"
        "Setting: A bar at night.\n"
        "Blocking: Mara waits. Mara waits. Mara waits.\n"
        "### Light\n"
        "Low, warm light.\n"
        "**Sound:** Rain outside.\n"
        "**Camera:** A slow push"
    )
    assert scene.postprocess(raw, inp) == (
        "**Setting:** A bar at night.\n**Blocking:** Mara waits.\n**Light:** Low, warm light.\n"
        "**Sound:** Rain outside."
    )


SCENE_ANSWER = ("**Setting:** A bar at night.\n**Blocking:** Mara waits; Theo enters.\n**Light:** Neon.\n"
                "**Sound:** Rain.\n**Camera:** Wide, then close.")


@pytest.mark.parametrize(
    "raw",
    [
        f"<<<\n{SCENE_ANSWER}\n>>>",  # the answer between the prompt's marks
        f"<<< {SCENE_ANSWER}",
        "<<<\nINT. BAR - NIGHT\nMara waits by the jukebox. Theo enters, soaked.\n>>>\n" + SCENE_ANSWER,  # an echo
        "Screenplay excerpt:\n<<<\nINT. BAR - NIGHT\nMara waits by the jukebox.\n" + SCENE_ANSWER,  # never closed
        SCENE_ANSWER.replace("at night.", "at night. >>>").replace("Rain.", "<<<Rain.>>>"),  # stray marks
    ],
)
def test_scene_reply_never_shows_the_prompts_marks(raw: str) -> None:
    inp = SceneInput.create("INT. BAR - NIGHT\nMara waits by the jukebox. Theo enters, soaked.")
    assert scene.postprocess(raw, inp) == SCENE_ANSWER


def test_scene_hides_an_echo_still_being_written_and_keeps_an_answer_after_an_unclosed_mark() -> None:
    inp = SceneInput.create("INT. BAR - NIGHT\nMara waits.")
    assert scene.postprocess("<<<\nINT. BAR - NIGHT\nMara waits.", inp) == ""  # a snapshot while it streams
    assert scene.postprocess("<<<\nA bar at night. Mara waits by the door.", inp) == (
        "A bar at night. Mara waits by the door.")


# ------------------------------------------------------------------------------------------------
# pitch
# ------------------------------------------------------------------------------------------------


def test_pitch_premise_too_short() -> None:
    with pytest.raises(InputError) as err:
        PitchInput.create("  heist  ")
    assert "tell me a bit more" in str(err.value).lower()
    assert "10" in str(err.value)


@pytest.mark.parametrize(
    ("kwargs", "numbers"),
    [
        ({"premise": "p" * 1001}, ("1,001", "1,000")),
        ({"premise": "a heist in Lisbon", "genre": "g" * 61}, ("61", "60")),
        ({"premise": "a heist in Lisbon", "tone": "t" * 61}, ("61", "60")),
    ],
)
def test_pitch_limits(kwargs: dict[str, str], numbers: tuple[str, str]) -> None:
    with pytest.raises(InputError) as err:
        PitchInput.create(**kwargs)
    for n in numbers:
        assert n in str(err.value)
    assert "/pitch" in str(err.value)


def test_pitch_create_cleans_and_accepts_bounds() -> None:
    inp = PitchInput.create("p" * 10, genre=" neo\nnoir ", tone="")
    assert inp == PitchInput("p" * 10, "neo noir", None)
    assert len(PitchInput.create("p" * 1000, genre="g" * 60, tone="t" * 60).premise) == 1000


def test_pitch_build_messages() -> None:
    inp = PitchInput.create("A retired stuntwoman robs the studio that fired her", genre="heist", tone="wry")
    messages = pitch.build_messages(inp)
    user = user_content(messages)
    for part in ("A retired stuntwoman robs the studio that fired her", "heist", "wry"):
        assert part in user
    system = messages[0]["content"]
    for label in ("**Title:**", "**Logline:**", "**Synopsis:**"):
        assert label in system
    assert "80 to 150 words" in system


def test_pitch_postprocess_keeps_logline_to_one_sentence() -> None:
    inp = PitchInput.create("A cop and a dog solve crimes in space")
    raw = (
        "Title: Space Paws\n"
        "Logline: A cop and her dog must save the station. Nobody believes them.\n"
        "Synopsis: Officer Ray and her dog Biscuit patrol the station. A thief strikes."
    )
    assert pitch.postprocess(raw, inp) == (
        "**Title:** Space Paws\n"
        "**Logline:** A cop and her dog must save the station.\n"
        "**Synopsis:** Officer Ray and her dog Biscuit patrol the station. A thief strikes."
    )


def test_pitch_postprocess_moves_extra_logline_sentences_to_a_missing_synopsis() -> None:
    inp = PitchInput.create("A cop and a dog solve crimes in space")
    raw = '**Title:** "Space Paws"\n**Logline:** A cop and her dog must save the station. They win.'
    assert pitch.postprocess(raw, inp) == (
        "**Title:** Space Paws\n"
        "**Logline:** A cop and her dog must save the station.\n"
        "**Synopsis:** They win."
    )


def test_pitch_postprocess_removes_echoed_premise() -> None:
    inp = PitchInput.create("A cop and a dog solve crimes in space", genre="comedy")
    raw = (
        "Premise: A cop and a dog solve crimes in space\nGenre: comedy\n\n"
        "**Title:** Space Paws\n**Logline:** A cop and her dog save the station."
    )
    assert (
        pitch.postprocess(raw, inp)
        == "**Title:** Space Paws\n**Logline:** A cop and her dog save the station."
    )


# ------------------------------------------------------------------------------------------------
# SPECS
# ------------------------------------------------------------------------------------------------


def test_specs_registry() -> None:
    assert set(SPECS) == {"review", "mood", "mood_channel", "scene", "pitch"}
    assert {name: spec.name for name, spec in SPECS.items()} == {k: k for k in SPECS}
    assert {name: spec.max_new_tokens for name, spec in SPECS.items()} == {
        "review": 320,
        "mood": 60,
        "mood_channel": 120,
        "scene": 380,
        "pitch": 300,
    }
    assert all(isinstance(spec, TaskSpec) for spec in SPECS.values())


@pytest.mark.parametrize(
    ("name", "inp"),
    [
        ("review", ReviewInput("Alien", "scary")),
        ("mood", ExplainInput("great", "positive", 0.9)),
        ("mood_channel", DiscussionInput("#general", 3, 0.6, 0.3, ("hi everyone, great",), ("awful",))),
        ("scene", SceneInput("She waits.")),
        ("pitch", PitchInput("A heist in Lisbon")),
    ],
)
def test_specs_build_and_postprocess(name: str, inp: object) -> None:
    spec = SPECS[name]
    messages = spec.build_messages(inp)
    assert [m["role"] for m in messages] == ["system", "user"]
    assert all(m["content"].strip() for m in messages)
    assert "@\u200beveryone" in spec.postprocess("Hi @everyone.", inp)


def test_task_spec_is_frozen() -> None:
    with pytest.raises(AttributeError):
        SPECS["review"].max_new_tokens = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("module", "inputs"),
    [
        (review, [ReviewInput.create("Heat", "tense", rating=4, tone="wry", spoilers=True),
                  ReviewInput.create("Alien", "scary")]),
        (pitch, [PitchInput.create("a chess hustler teaches a robot to cheat", genre="comedy", tone="dry"),
                 PitchInput.create("a ghost haunts a multiplex cinema")]),
        (scene, [SceneInput.create("INT. ROOM - DAY\nA door."), SceneInput.create("EXT. SEA - NIGHT\nWaves.")]),
        (mood, [explain_input("great"), ExplainInput.create("awful", label="negative", positive=0.1)]),
    ],
)
def test_system_prompt_is_the_same_for_every_input(module: Any, inputs: list[Any]) -> None:
    """The worker caches each task's system prompt (prefix caching): it must not vary with the input."""
    first, second = (module.SPEC.build_messages(i)[0] for i in inputs)
    assert first["role"] == "system" and first == second
