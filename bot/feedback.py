"""Export the reaction feedback in the store as training data (`cinebot feedback export --format kto|dpo`).

`kto` (also `jsonl`): one line per job whose reactions add up to a non-zero score, in TRL's conversational
unpaired-preference form that KTO training reads: {"prompt": [...messages], "completion": [{"role": "assistant",
...}], "label": bool}, plus "command", "job_id", "model" and "score" for filtering.
`dpo`: one line per pair of takes (🔁) the members chose between, in TRL's conversational preference form:
{"prompt": [...], "chosen": [...], "rejected": [...]}; the prompt is the first take's without its variant's note.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any, TextIO

from bot.store import Store
from models.tasks.variants import variant

log = logging.getLogger(__name__)

FORMATS = ("kto", "dpo", "jsonl")  # jsonl: the kto rows, its name before pairs existed


def _without_note(row: dict[str, Any]) -> dict[str, Any]:
    note = variant(row["command"], row.pop("first_variant", None)).note
    prompt = list(row["prompt"])
    if note and prompt and prompt[-1]["content"].endswith(note):
        prompt[-1] = {**prompt[-1], "content": prompt[-1]["content"][: -len(note)]}
    return {**row, "prompt": prompt}


async def rows(store: Store, fmt: str = "kto", guild_id: int | None = None) -> AsyncIterator[dict[str, Any]]:
    """The rows of `fmt`, for one guild or (None) all."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}; use one of: {', '.join(FORMATS)}.")
    if fmt == "dpo":
        async for row in store.export_pairs(guild_id):
            yield _without_note(row)
        return
    async for row in store.export_feedback(guild_id):
        yield row


async def export(store: Store, out: TextIO, fmt: str = "kto", guild_id: int | None = None) -> int:
    """Write the rows of `fmt` to `out`, one JSON object a line; returns how many were written."""
    count = 0
    async for row in rows(store, fmt, guild_id):
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    log.info("exported %d feedback rows as %s", count, fmt)
    return count
