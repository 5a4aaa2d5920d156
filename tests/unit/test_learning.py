"""The learner (bot/learning.py) and the variants (models/tasks/variants.py): what a record means, bounded
exploration, per-server state in SQLite, forgetting, and two takes settling into a preference."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

from bot import feedback
from bot.learning import Learner, standings
from models.tasks.review import ReviewInput
from models.tasks.variants import STANDARD, variant, variants_for
from tests.store_probe import ProbeStore

GUILD, OTHER = 1, 2


def test_a_clearly_worse_variant_is_retired_and_the_best_never_is() -> None:
    rows = {r.variant.name: r for r in standings("review", {"brief": (12, 1), "lively": (0, 9), "measured": (1, 1)})}
    assert rows["lively"].retired and not rows["brief"].retired
    assert not rows["measured"].retired  # too few ratings to say
    assert not any(r.retired for r in standings("review", {}))
    assert rows[STANDARD].mean == 0.75  # two likes in hand before any reaction


def test_variants_shape_the_finished_text() -> None:
    inp = ReviewInput.create(film="Alien", notes="tense and grimy", rating=4, scale=5)
    brief = variant("review", "brief")
    assert brief.finish("What a ride! Loved it!", inp) == "4/5. What a ride. Loved it."
    assert brief.finish("I'd give it 4/5. Tense.", inp) == "I'd give it 4/5. Tense."  # the rating is there already
    lively = variant("review", "lively")
    said = lively.finish("I loved Dr. Dallas in it. The ship is grim.", inp)
    assert said == "I loved Dr. Dallas in it! The ship is grim."
    long = " ".join(f"Sentence {i} has exactly six words." for i in range(20))  # 120 words
    shortened = brief.finish(f"{long}\n\nMore.", inp)
    assert shortened == "4/5. " + " ".join(f"Sentence {i} has exactly six words." for i in range(10))
    assert brief.finish("One endless sentence " + "and on " * 40 + "it goes.", inp).count("and on") == 40
    assert brief.fit(inp).min_words == 20 and variant("review", STANDARD).fit(inp) is inp
    assert variant("review", "no such preset").name == STANDARD and [v.name for v in variants_for("film")] == [STANDARD]


async def _rated(store: ProbeStore, guild: int, name: str, score: int, message: int) -> int:
    job = await store.create_job(guild_id=guild, channel_id=5, user_id=7, command="pitch", inputs={"premise": "x"},
                                 prompt=[{"role": "user", "content": "Premise: x\n\nWrite the pitch." +
                                          variant("pitch", name).note}], settings={}, model="m", variant=name)
    await store.finish_job(job, output=f"{name} pitch", raw_output="", prompt_tokens=1, completion_tokens=1,
                           queue_s=0, generate_s=0, model="m")
    await store.add_reply(message_id=message, job_id=job, channel_id=5, guild_id=guild)
    if score:
        await store.record_reaction(message_id=message, user_id=9, emoji="👍" if score > 0 else "👎", score=score,
                                    added=True)
    return job


async def test_one_servers_reactions_steer_its_choices_only_and_can_be_forgotten(tmp_path: Path) -> None:
    async with await ProbeStore.open(tmp_path / "s.sqlite3") as store:
        for i in range(10):
            await _rated(store, GUILD, "lively", +1, 100 + i)
            await _rated(store, GUILD, "brief", -1, 200 + i)
            await _rated(store, GUILD, STANDARD, -1, 300 + i)
        learner = Learner(store, random.Random(3))
        assert await store.variant_record(GUILD, "pitch") == {"lively": (10, 0), "brief": (0, 10), STANDARD: (0, 10)}
        chosen = Counter([(await learner.choose(GUILD, "pitch")).name for _ in range(40)])
        assert chosen == {"lively": 40}  # the others are retired: nobody here gets them again
        assert (await learner.choose(GUILD, "pitch", besides="lively")).name in ("brief", STANDARD)
        elsewhere = Counter([(await learner.choose(OTHER, "pitch")).name for _ in range(60)])
        assert len(elsewhere) == 3  # another server has learned nothing: every variant still comes up
        await store.forget_learning(GUILD, "pitch")
        assert await store.variant_record(GUILD, "pitch") == {}
        assert (await learner.choose(None, "pitch")).name == STANDARD  # outside a server: the standard way


async def test_two_takes_settle_into_a_preference_pair_without_the_variant_note(tmp_path: Path) -> None:
    async with await ProbeStore.open(tmp_path / "s.sqlite3") as store:
        first = await _rated(store, GUILD, STANDARD, 0, 1)
        second = await _rated(store, GUILD, "lively", 0, 2)
        await store.add_take(first_job=first, second_job=second, user_id=7)
        assert await store.has_take(first) and await store.settle_take(second) is None  # not rated yet
        await store.record_reaction(message_id=1, user_id=9, emoji="👎", score=-1, added=True)
        assert await store.settle_take(first) == second
        rows = [row async for row in feedback.rows(store, "dpo", GUILD)]
        assert len(rows) == 1 and rows[0]["chosen"][0]["content"] == "lively pitch"
        assert rows[0]["prompt"][-1]["content"] == "Premise: x\n\nWrite the pitch."
        assert [row async for row in feedback.rows(store, "dpo", OTHER)] == []
        await store.record_reaction(message_id=1, user_id=9, emoji="👎", score=-1, added=False)
        assert await store.settle_take(first) is None  # rated alike again: no choice
        assert [row async for row in feedback.rows(store, "dpo")] == []
