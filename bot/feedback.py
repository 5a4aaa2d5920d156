"""Export the reaction feedback in the store as training data (`cinebot feedback export --format jsonl`).

Each line is one job whose reactions add up to a non-zero score, in TRL's conversational unpaired-preference form
that KTO training reads: {"prompt": [...messages], "completion": [{"role": "assistant", ...}], "label": bool},
plus "command", "job_id", "model" and "score" for filtering.
"""

from __future__ import annotations

import json
import logging
from typing import TextIO

from bot.store import Store

log = logging.getLogger(__name__)

FORMATS = ("jsonl",)


async def export(store: Store, out: TextIO, fmt: str = "jsonl") -> int:
    """Write the feedback rows to `out` in `fmt` (only 'jsonl' for now); returns how many rows were written."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}; use one of: {', '.join(FORMATS)}.")
    count = 0
    async for row in store.export_feedback():
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    log.info("exported %d feedback rows as %s", count, fmt)
    return count
