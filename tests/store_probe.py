"""A Store with the lookups only tests need: which job a Discord message is the reply to, a job's net score, a
message's feedback rows. The bot never asks these (it writes them); tests read them to check what was stored."""

from __future__ import annotations

from bot.store import FeedbackRow, JobRow, Store, _feedback, _job


class ProbeStore(Store):
    async def get_job(self, job_id: int) -> JobRow | None:
        row = await self._one("SELECT * FROM jobs WHERE id = ?", (job_id,))
        return None if row is None else _job(row)

    async def is_reply(self, message_id: int) -> bool:
        return await self._one("SELECT 1 FROM replies WHERE message_id = ?", (message_id,)) is not None

    async def feedback_rows(self, message_id: int) -> list[FeedbackRow]:
        rows = await self._all(
            "SELECT * FROM feedback WHERE message_id = ? ORDER BY created_at, user_id, emoji", (message_id,))
        return [_feedback(row) for row in rows]

    async def job_score(self, job_id: int) -> int:
        """The sum of the active reactions' scores on all of the job's messages."""
        row = await self._one("SELECT COALESCE(SUM(score), 0) FROM feedback WHERE job_id = ? AND active = 1", (job_id,))
        return int(row[0]) if row is not None else 0
