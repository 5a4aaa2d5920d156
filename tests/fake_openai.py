"""A small fake OpenAI-compatible server (aiohttp.web on 127.0.0.1) for the fault tests of the OpenAI backend.

Each POST /v1/chat/completions takes the next scripted `Reply` (or `default`) and plays it: an HTTP error, a stream
of text deltas with a finish reason, usage and [DONE], or one of the ways a stream goes wrong (stalls, breaks off,
sends a line that is not JSON). GET /v1/models lists `models`. The fake records every request body and header, how
many requests were open at once, and how many streams the client hung up on.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)


def free_port() -> int:
    """A port nothing listens on right now (connecting to it is refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def words(text: str) -> list[str]:
    """Split text into deltas the way tokenizers do: each word carries its leading space."""
    parts = text.split(" ")
    return [p if i == 0 else " " + p for i, p in enumerate(parts)]


@dataclass
class Reply:
    """One scripted answer to a chat completion request."""

    text: str = "A fine film."
    pieces: list[str] | None = None  # the deltas; default: `words(text)`
    finish: str | None = "stop"  # the finish reason on the last chunk (None: never sent)
    usage: bool = True  # send a usage chunk (prompt 11 tokens, completion = number of pieces)
    done: bool = True  # send data: [DONE]
    delay_s: float = 0.0  # before each piece
    status: int = 200
    body: str = ""  # the body of an error status
    headers: dict[str, str] = field(default_factory=dict)
    hold: asyncio.Event | None = None  # wait for this before the first piece
    stall_after: int | None = None  # after this many pieces, send only ": ping" comments, forever
    drop_after: int | None = None  # after this many pieces, cut the connection
    reset: bool = False  # cut the connection before answering at all
    raw: list[str] | None = None  # send these data payloads verbatim instead of the pieces
    model: str = "fake-model"
    role: bool = True  # open with a {"role": "assistant"} delta
    content_type: str = "text/event-stream"


class FakeOpenAI:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.script: deque[Reply] = deque()
        self.default = Reply()
        self.models: list[str] = ["fake-model"]
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.open = 0
        self.most_open = 0
        self.hangups = 0  # streams the client closed before the end
        self.finished = 0  # streams played to the end
        self._runner: web.AppRunner | None = None
        self._changed = asyncio.Event()  # set (and replaced) on each request and hang-up

    def _change(self) -> None:
        self._changed, changed = asyncio.Event(), self._changed
        changed.set()

    async def wait_for(self, ready: Callable[[], object], within_s: float = 5.0, what: str = "the fake") -> None:
        """Wait until `ready()` is true, re-checked after each request and hang-up."""
        try:
            async with asyncio.timeout(within_s):
                while not ready():
                    await self._changed.wait()
        except TimeoutError:
            raise AssertionError(f"{what} did not happen within {within_s} s") from None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def then(self, *replies: Reply) -> FakeOpenAI:
        self.script.extend(replies)
        return self

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/v1/models", self._models)
        app.router.add_post("/v1/chat/completions", self._chat)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.1)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": m, "object": "model"} for m in self.models]})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        self._change()
        reply = self.script.popleft() if self.script else self.default
        if reply.reset:
            assert request.transport is not None
            request.transport.close()
            return web.Response()  # never sent: the connection is gone
        if reply.status != 200:
            return web.Response(status=reply.status, text=reply.body, headers=reply.headers,
                                content_type="application/json")
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        try:
            if reply.content_type == "application/json":
                return web.json_response({"model": reply.model, "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": reply.text},
                     "finish_reason": reply.finish}]})
            return await self._stream(request, reply)
        finally:
            self.open -= 1

    async def _stream(self, request: web.Request, reply: Reply) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": reply.content_type, "Cache-Control": "no-cache"})
        await resp.prepare(request)
        pieces = reply.pieces if reply.pieces is not None else words(reply.text)

        async def send(line: str) -> None:
            await resp.write(line.encode())

        def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
            return "data: " + json.dumps({"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": reply.model,
                                          "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}) + "\n\n"

        try:
            if reply.hold is not None:
                await reply.hold.wait()
            if reply.role:
                await send(chunk({"role": "assistant"}))
            if reply.raw is not None:
                for payload in reply.raw:
                    await send(f"data: {payload}\n\n")
                return resp
            for i, piece in enumerate(pieces):
                if reply.stall_after is not None and i == reply.stall_after:
                    while True:  # pings keep the connection busy, but carry no data
                        await send(": ping\n\n")
                        await asyncio.sleep(0.05)
                if reply.drop_after is not None and i == reply.drop_after:
                    assert request.transport is not None
                    request.transport.close()
                    return resp
                if reply.delay_s:
                    await asyncio.sleep(reply.delay_s)
                await send(chunk({"content": piece}))
            if reply.finish is not None:
                await send(chunk({}, reply.finish))
            if reply.usage:
                await send("data: " + json.dumps({"object": "chat.completion.chunk", "model": reply.model,
                                                  "choices": [], "usage": {"prompt_tokens": 11,
                                                                           "completion_tokens": len(pieces),
                                                                           "total_tokens": 11 + len(pieces)}})
                           + "\n\n")
            if reply.done:
                await send("data: [DONE]\n\n")
            self.finished += 1
            await resp.write_eof()
        except ConnectionError:  # ConnectionResetError: "Cannot write to closing transport"
            self.hangups += 1
            self._change()
            log.debug("the client hung up")
        except asyncio.CancelledError:
            self.hangups += 1
            self._change()
            raise
        return resp


@asynccontextmanager
async def fake_openai(port: int | None = None) -> AsyncIterator[FakeOpenAI]:
    server = FakeOpenAI(port)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
