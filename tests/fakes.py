"""A fake `StepModel` for unit tests of the queue and the worker: no torch, deterministic, scriptable.

Each prompt's "answer" is scripted by its last message: `"say:hello world|stop"` makes the model emit the
words `hello`, ` world` and then a stop token. Rows of a batch are independent, as in a real model.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

STOP = 0


@dataclass
class FakeBatch:
    rows: list[list[int]] = field(default_factory=list)  # per row: the remaining scripted tokens


class FakeModel:
    name = "fake"
    max_context = 4096
    backend = "embedded"  # as a model in this process shows in /cinebot show
    detail = "in this process"
    slots = 0
    continuous = True
    prefill_budget = 0

    def __init__(self, step_delay_s: float = 0.0, default: str = "ok|stop") -> None:
        self.default = default  # the script for prompts without "say:" (e.g. real task prompts)
        self.vocab: dict[str, int] = {}
        self.words: dict[int, str] = {}
        self.prefills: list[int] = []  # batch size of each prefill
        self.decodes: list[int] = []  # batch size of each decode step
        self.step_delay_s = step_delay_s
        self.gate = threading.Event()  # tests can hold the worker between steps
        self.gate.set()
        self.fail_on: str | None = None  # a word whose encoding raises

    def _id(self, word: str) -> int:
        if word not in self.vocab:
            self.vocab[word] = len(self.vocab) + 1
            self.words[self.vocab[word]] = word
        return self.vocab[word]

    def encode(self, messages: list[dict[str, str]], prefix: str = "") -> list[int]:
        content = messages[-1]["content"]
        if self.fail_on and self.fail_on in content:
            raise RuntimeError("cannot encode")
        script = content.split("say:", 1)[1] if "say:" in content else self.default
        body, _, tail = script.partition("|")
        words = body.split(" ")
        ids = [self._id(w if i == 0 else " " + w) for i, w in enumerate(words)]
        if tail == "stop":
            ids.append(STOP)
        # the prompt is the script plus padding words so prompt lengths differ like real ones
        return [-1, *ids] + [-2] * (len(content) // 10)

    def is_stop(self, token: int) -> bool:
        return token == STOP

    def detokenize(self, ids: list[int]) -> str:
        return "".join(self.words.get(i, "") for i in ids)  # the stop token reads as nothing, as in real models

    def _next(self, row: list[int]) -> int:
        return row.pop(0) if row else self._id(" more")

    def prefill(self, prompts: list[list[int]]) -> tuple[FakeBatch, list[int]]:
        self.gate.wait()
        self.prefills.append(len(prompts))
        rows = [[t for t in p[1:] if t != -2] for p in prompts]
        first = [self._next(r) for r in rows]
        return FakeBatch(rows), first

    def decode(self, batch: FakeBatch, last_tokens: list[int]) -> list[int]:
        self.gate.wait()
        if self.step_delay_s:
            threading.Event().wait(self.step_delay_s)
        assert len(last_tokens) == len(batch.rows)
        self.decodes.append(len(batch.rows))
        return [self._next(r) for r in batch.rows]

    def merge(self, a: FakeBatch, b: FakeBatch) -> FakeBatch:
        return FakeBatch(a.rows + b.rows)

    def select(self, batch: FakeBatch, rows: list[int]) -> FakeBatch:
        return FakeBatch([batch.rows[i] for i in rows])


def say(text: str, stop: bool = True) -> tuple[dict[str, str], ...]:
    return ({"role": "user", "content": f"say:{text}{'|stop' if stop else ''}"},)


class ScriptedModel(FakeModel):
    """Answers each prompt with `answer(its last message)`; keeps every last message (`prompts`) and every start
    written for the model (`starts`) it was given."""

    def __init__(self, answer: Callable[[str], str]) -> None:
        super().__init__()
        self.answer = answer
        self.prompts: list[str] = []
        self.starts: list[str] = []

    def encode(self, messages: list[dict[str, str]], prefix: str = "") -> list[int]:
        content = messages[-1]["content"]
        self.prompts.append(content)
        self.starts.append(prefix)
        return super().encode([{"role": "user", "content": f"say:{self.answer(content)}|stop"}])
