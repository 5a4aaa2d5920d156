"""The seams of the language-model side, with no torch and no model library behind them.

Two levels, because engines batch in two ways:

- `StepModel` is a model the in-process `BatchingWorker` drives one token at a time (continuous batching in our
  own loop): transformers on CPU or CUDA, llama.cpp through its Python binding.
- `Server` is whatever consumes the `JobQueue`: the `BatchingWorker` around a `StepModel`, or the OpenAI-compatible
  client, which leaves the batching to the remote engine (vLLM, SGLang, llama.cpp's server, Ollama, TGI).

The cogs and the flow only ever see the queue; what serves it is chosen by `CINEBOT_BACKEND` (`bot.llm`). Code
that only talks to the queue imports this module and `models.llm.jobs`, never torch.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

log = logging.getLogger(__name__)

Message = dict[str, str]
"""One chat message: ``{"role": "system" | "user" | "assistant", "content": str}``."""

BACKENDS = ("auto", "llamacpp", "transformers", "openai")


class StepModel(Protocol):
    """A model the batching worker can drive one token at a time, greedy.

    `prefill` starts new sequences and returns an opaque running batch plus each one's first token; `decode`
    advances every row of a batch by one token; `merge` and `select` let jobs join and leave a running batch.
    A row's tokens must not depend on its batch-mates: a job's greedy output alone equals its output in a batch.
    """

    name: str
    max_context: int
    # what the worker plans with, and the status line shows
    backend: str  # "llamacpp", "transformers", or a test's own name
    detail: str  # one line: where and how it runs
    slots: int  # most sequences it holds at once (0: as many as the worker's max batch)
    continuous: bool  # jobs may join a running batch (False: a new batch only when the last one is done)
    prefill_budget: int  # prompt tokens the worker admits per step (0: no limit)

    def encode(self, messages: list[Message], prefix: str = "") -> list[int]: ...

    def is_stop(self, token: int) -> bool: ...

    def detokenize(self, ids: list[int]) -> str: ...

    def prefill(self, prompts: list[list[int]]) -> tuple[Any, list[int]]: ...

    def decode(self, batch: Any, last_tokens: list[int]) -> list[int]: ...

    def merge(self, a: Any, b: Any) -> Any: ...

    def select(self, batch: Any, rows: list[int]) -> Any: ...


@dataclass(frozen=True)
class BackendStatus:
    """What `/cinebot show` and the logs say about the backend."""

    backend: str  # "llamacpp", "transformers" or "openai"
    model: str
    reachable: bool
    detail: str = ""  # one line: where it runs, or why it cannot be reached

    def line(self) -> str:
        state = "ready" if self.reachable else "NOT reachable"
        return f"{self.backend} · {self.model} · {state}" + (f" ({self.detail})" if self.detail else "")


class Server(Protocol):
    """Whatever consumes the job queue: started by `bot.llm.open_engine`, closed (draining) at shutdown."""

    def start(self) -> None: ...

    async def close(self, drain_s: float = 30.0) -> None: ...

    async def status(self) -> BackendStatus: ...
