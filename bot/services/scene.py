"""/scene: a pasted excerpt or an attached .fountain/.txt script, to a checked scene-description job.

Pasted text is limited to the excerpt limit (Discord's option says so); an attached file to the attachment size
limit (`CINEBOT_MAX_ATTACHMENT_KB`). A longer script is not refused: the scenes from `start` on that fit the
excerpt limit are described, and the reply's heading says which ("scenes 3-4 of 12").
"""

from __future__ import annotations

import logging

from bot.services.base import Prepared
from models.tasks import InputError, SceneInput
from models.tasks import scene as scene_task

log = logging.getLogger(__name__)


def _either() -> InputError:
    return InputError("Give me either an excerpt or a .fountain/.txt attachment (one of the two).")


def check_file(filename: str, size: int, max_bytes: int, *, excerpt: str | None = None) -> None:
    """Before downloading an attachment: refuse one that is too big or not a script, or that comes with a pasted
    excerpt too (InputError)."""
    if excerpt is not None:
        raise _either()
    if size > max_bytes:
        raise InputError("{name} is {size:,.0f} KB; the limit is {limit:,} KB. Attach just the scenes you want "
                         "described.", name=filename, size=size / 1024, limit=max_bytes // 1024)
    if not filename.lower().endswith(scene_task.ALLOWED_SUFFIXES):
        raise InputError("{name} isn't a script I can read: attach a .fountain or .txt file.", name=filename)


def prepare(*, excerpt: str | None = None, file: tuple[str, bytes] | None = None, start: int | None = None,
            max_bytes: int = 0) -> Prepared:
    """One of `excerpt` (pasted text) or `file` (name, data: at most `max_bytes`, the attachment limit);
    `start`: the file's scene to begin with."""
    if (excerpt is None) == (file is None):
        raise _either()
    if file is None:
        if start is not None:
            raise InputError("The start option picks a scene of an attached script: attach a .fountain or .txt "
                             "file, or leave start out.")
        inp = SceneInput.create(excerpt=excerpt)
        return Prepared("scene", scene_task.SPEC, inp, {"excerpt": inp.excerpt, "attachment": None}, "Scene")
    if max_bytes <= 0:
        raise ValueError("a file needs max_bytes, the attachment size limit (CINEBOT_MAX_ATTACHMENT_KB)")
    name, data = file
    part = scene_task.window(scene_task.read_script(name, data, max_bytes), start or 1)
    inp = SceneInput.create(excerpt=part.text)
    title = f"Scene · {name}" + (f" ({part.label()})" if part.label() else "")
    inputs = {"excerpt": inp.excerpt, "attachment": name, "start": start or 1, "part": part.label() or None}
    return Prepared("scene", scene_task.SPEC, inp, inputs, title)
