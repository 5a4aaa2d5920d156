"""The OpenAI-compatible backend: each job is one streamed ``POST {base_url}/chat/completions`` to a remote engine.

vLLM, SGLang, llama.cpp's server, llama-cpp-python's server, Ollama and TGI all speak this API. The engine does the
batching; `OpenAIServer` only consumes the `JobQueue` on the event loop (aiohttp, no thread of its own), with at most
`max_in_flight` requests open at once, so that jobs beyond that wait in the queue and their places stay meaningful.

Each job streams Server-Sent Events (``data: {json}`` lines, ending with ``data: [DONE]``) and pushes every text
delta to its handle, as the batching worker does. Whatever goes wrong (the server is down, busy, fails, stalls or
sends something unreadable) ends that one job with a `JobError` worded for the member, and a log line; the other
jobs and the bot go on.

The answer's prefix (`GenerationRequest.prefix`, e.g. "I" for a first-person review) is sent as a trailing assistant
message with vLLM's ``continue_final_message``/``add_generation_prompt`` (dropped for good if a server refuses them
with a 400): vLLM and llama.cpp's C++ server continue it. llama-cpp-python's server ignores those flags, closes the
assistant turn and opens a new one, so the model answers from scratch (and often repeats the prefix). `PrefixJoin`
makes the text start with the prefix exactly once either way, and the prefix is also asked for in words
(``prefix_hint``: 'Start your answer with "I".' added to the last user message sent, unless it asks already) so
that a server that ignores the prefill still tends to start with it.

Token counts come from the ``usage`` the server sends (vLLM with ``stream_options.include_usage``). Servers that send
none when streaming (llama-cpp-python) get `completion_tokens` = the number of content chunks (one token each on
the servers we know) and `prompt_tokens` = 0, meaning "not reported".
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import aiohttp

from models.llm.jobs import JobCancelled, JobError, JobHandle, JobQueue, JobResult, PromptTooLong, deliver
from models.llm.protocol import BackendStatus, Message
from models.llm.serving import FAILED, cancelled, not_to_start, shut_down, stop_taking

log = logging.getLogger(__name__)

T = TypeVar("T")

# What members read; no jargon, no status codes.
UNREACHABLE = "cinebot can't reach its language model right now. Please try again in a few minutes."
BUSY = "cinebot's language model is too busy right now. Please try again in a minute."
SERVER_FAILED = "cinebot's language model ran into a problem while writing your reply. Please try again in a moment."
STALLED = "cinebot's language model stopped responding while writing your reply. Please try again in a moment."
UNREADABLE = "cinebot's language model sent back something cinebot couldn't read. Please try again."
CUT_OFF = "cinebot's language model stopped before finishing your reply. Please try again."
BROKE_OFF = "The connection to cinebot's language model broke off while writing your reply. Please try again."
TURNED_DOWN = ("cinebot's language model turned this request down (a setup problem on cinebot's side). "
               "Please try again later.")
TOO_LONG = "Your request is too long for cinebot's language model. Shorten it and try again."

IDLE_CONNECTION_S = 4.0  # idle keep-alive connections are closed after this long
STALE_RETRIES = 3  # a request written into connections the server had closed is sent again, at most this often
_PREFILL_FLAGS = {"continue_final_message": True, "add_generation_prompt": False}  # vLLM's, for the prefix
_CONTEXT_WORDS = ("context length", "context window", "context size", "maximum context", "context_length",
                  "too long", "too many tokens", "exceed")


@dataclass(frozen=True)
class OpenAIConfig:
    base_url: str  # ends in /v1, no trailing slash
    model: str | None = None  # None: the first id the server's GET /models lists
    api_key: str | None = None
    max_in_flight: int = 8  # requests open at once; the rest wait in the queue
    stall_s: float = 60.0  # a stream that sends no data for this long fails
    max_new_tokens: int = 0  # 0: each job's own cap; else a ceiling for every job
    connect_timeout_s: float = 10.0
    retry_backoff_s: float = 1.0  # wait before the one retry of a 429 or 503 without Retry-After
    max_retry_after_s: float = 5.0  # a longer Retry-After is capped to this
    status_timeout_s: float = 2.0  # GET /models in `status()` (/cinebot show waits 2.5 s at most)
    take_wait_s: float = 0.25  # how long one `queue.take` blocks (in a thread) when the queue is empty
    poll_s: float = 0.05  # how often a waiting request checks for a cancel
    prefix_hint: bool = True  # also ask for the prefix in words (for servers that ignore the trailing message)


class _Stall(Exception):
    """No data before the stall deadline."""


class PrefixJoin:
    """Joins a reply to the prefix the job asked for, so that the text starts with the prefix exactly once.

    A server that continued the prefix sends its continuation (" loved it", "'m"): that is appended as it comes. A
    server that started a new answer may repeat the prefix ("I loved it", "**Title:** X"): the repeat is dropped
    (matched ignoring ``*`` and ``_``, so "Title: X" repeats "**Title:**" too). Any other new start follows the
    prefix after a space, or after ". " when the prefix is a phrase and the answer starts a sentence ("I watched
    Alien. I'm glad ..."). A one-word prefix before an unrelated answer cannot read well ("I The film ..."); the
    ``prefix_hint`` makes that rare. `feed` returns the text to emit after the prefix (buffering the first few
    characters until it can tell), `finish` whatever is still held at the end.
    """

    _MARKUP = "*_"
    _GLUE = ",.;:!?'’)]}…-"  # a reply starting with these continues the prefix's last word

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.mode = "" if prefix else "none"  # "continued", "repeated" or "fresh", once decided
        self._head = ""

    def feed(self, delta: str) -> str:
        if self.mode:
            return delta
        self._head += delta
        return self._decide(final=False)

    def finish(self) -> str:
        return "" if self.mode else self._decide(final=True)

    def _decide(self, *, final: bool) -> str:
        head = self._head
        body = head.lstrip()
        if not body and not final:
            return ""
        end = self._repeat_end(body)
        if end is None and not final:
            return ""  # so far the reply reads like the prefix: wait for more
        if end is None or end >= 0:
            self.mode = "repeated"
            return body[end:] if end is not None else ""
        if head[:1].isspace() or self.prefix[-1:].isspace() or head[:1] in self._GLUE:
            self.mode = "continued"
            return head
        self.mode = "fresh"
        prefix = self.prefix.strip()
        if " " in prefix and prefix[-1:].isalnum() and body[:1].isupper():
            return ". " + body  # a phrase, then the model's own first sentence: "I watched Alien. The film ..."
        return " " + body

    def _repeat_end(self, body: str) -> int | None:
        """Where a repeat of the prefix ends in `body`; -1 when body does not repeat it, None when it can't tell."""
        i = 0
        for ch in self.prefix:
            if ch in self._MARKUP:
                continue
            while i < len(body) and body[i] in self._MARKUP:
                i += 1
            if i == len(body):
                return None
            if body[i] != ch:
                return -1
            i += 1
        while i < len(body) and body[i] in self._MARKUP:
            i += 1
        return None if i == len(body) else i


def _hinted(messages: list[Message], prefix: str) -> list[Message]:
    """The messages with "Start your answer with "…"." added to the last user message, unless it asks already."""
    quoted = f'"{prefix}"'
    for i in range(len(messages) - 1, -1, -1):
        if messages[i].get("role") == "user":
            content = messages[i].get("content", "")
            if quoted not in content:
                messages[i] = {**messages[i], "content": content + f"\n\nStart your answer with {quoted}."}
            break
    return messages


def _retry_wait(header: str | None, default_s: float, cap_s: float) -> float:
    try:
        wait = float(header) if header else default_s
    except ValueError:  # an HTTP date: not worth parsing for a short wait
        wait = default_s
    return min(max(wait, 0.0), cap_s)


def _is_context_error(text: str) -> bool:
    lowered = text.lower()
    return "too long" in lowered or ("context" in lowered and any(word in lowered for word in _CONTEXT_WORDS))


def _error_message(text: str) -> str:
    """The server's own error message from a JSON error body, for the logs."""
    try:
        data = json.loads(text)
    except ValueError:
        return text.strip()[:300]
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or error)[:300]
    if isinstance(error, str):
        return error[:300]
    return text.strip()[:300]


class _Reply:
    """One job's stream so far: the text, the counts and how it ended."""

    def __init__(self, prefix: str) -> None:
        self.join = PrefixJoin(prefix)
        self.pieces: list[str] = [prefix] if prefix else []
        self.content_chunks = 0
        self.events = 0
        self.usage: dict[str, Any] | None = None
        self.model: str | None = None
        self.finish_reason: str | None = None
        self.done = False  # [DONE] seen

    def take(self, data: str) -> list[str]:
        """Read one SSE data payload; the new pieces to stream. Raises `JobError` on a chunk it cannot use."""
        self.events += 1
        if data == "[DONE]":
            self.done = True
            return []
        try:
            chunk = json.loads(data)
        except ValueError:
            log.warning("the language model sent a line that is not JSON: %r", data[:200])
            raise JobError(UNREADABLE) from None
        if not isinstance(chunk, dict):
            log.warning("the language model sent a chunk that is not an object: %r", data[:200])
            raise JobError(UNREADABLE)
        if "error" in chunk:
            message = _error_message(data)
            log.warning("the language model reported an error mid-stream: %s", message)
            raise PromptTooLong(TOO_LONG) if _is_context_error(message) else JobError(SERVER_FAILED)
        choices = chunk.get("choices")
        usage = chunk.get("usage")
        if not isinstance(choices, list) or (not choices and not isinstance(usage, dict)):
            log.warning("the language model sent a chunk without choices: %r", data[:200])
            raise JobError(UNREADABLE)
        if isinstance(usage, dict):
            self.usage = usage
        if isinstance(chunk.get("model"), str) and chunk["model"]:
            self.model = chunk["model"]
        out: list[str] = []
        for choice in choices[:1]:
            delta = choice.get("delta") if isinstance(choice, dict) else None
            if not isinstance(delta, dict) and not (isinstance(choice, dict) and choice.get("finish_reason")):
                log.warning("the language model sent a choice without a delta: %r", data[:200])
                raise JobError(UNREADABLE)
            content = (delta or {}).get("content")
            if content is not None and not isinstance(content, str):
                log.warning("the language model sent content that is not text: %r", data[:200])
                raise JobError(UNREADABLE)
            if content:
                self.content_chunks += 1
                out.append(self.join.feed(content))
            if choice.get("finish_reason"):
                self.finish_reason = str(choice["finish_reason"])
        return self._keep(out)

    def end(self) -> list[str]:
        return self._keep([self.join.finish()])

    def _keep(self, out: list[str]) -> list[str]:
        out = [piece for piece in out if piece]
        self.pieces.extend(out)
        return out

    def tokens(self, key: str, fallback: int) -> int:
        value = (self.usage or {}).get(key)
        return value if isinstance(value, int) and value >= 0 else fallback


class OpenAIServer:
    """Consumes a `JobQueue` by sending each job to an OpenAI-compatible server (the `Server` protocol)."""

    backend = "openai"

    def __init__(self, queue: JobQueue, config: OpenAIConfig) -> None:
        self.queue = queue
        self.config = config
        self.base_url = config.base_url.rstrip("/")
        self.name = config.model or urlsplit(self.base_url).netloc  # replaced by the discovered id
        self._model_known = bool(config.model)
        self._session: aiohttp.ClientSession | None = None
        self._consumer: asyncio.Task[None] | None = None
        self._jobs: set[asyncio.Task[None]] = set()
        self._stopping = False
        self._aborting = False
        self._closed = False
        self._prefill_flags = True  # vLLM's continue_final_message / add_generation_prompt; off once refused

    # -- lifecycle --------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Start consuming the queue; call on the running event loop. Does not contact the server."""
        if self._consumer is not None:
            return
        self._session = self._new_session(limit=self.config.max_in_flight + 2)
        self._consumer = asyncio.get_running_loop().create_task(self._consume(), name="cinebot-openai")

    async def close(self, drain_s: float = 30.0) -> None:
        """Stop taking jobs, let running requests finish for up to `drain_s`, then cut off the rest."""
        stop_taking(self.queue)
        if self._closed:
            return
        self._closed = True
        self._stopping = True
        if self._consumer is not None:
            await asyncio.gather(self._consumer, return_exceptions=True)  # take() wakes at once on close
        pending = set(self._jobs)
        if pending:
            _done, pending = await asyncio.wait(pending, timeout=max(drain_s, 0.0))
        if pending:
            log.warning("cutting off %d request(s) still running after %.0f s", len(pending), drain_s)
            self._aborting = True
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def status(self) -> BackendStatus:
        """Ask GET /models (a short timeout): reachable, how fast, and the model name if it was not configured."""
        session = self._session if self._session is not None and not self._session.closed else None
        own = session is None
        if session is None:
            session = self._new_session(limit=1)
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.config.status_timeout_s):
                async with session.get(f"{self.base_url}/models", headers=self._headers()) as resp:
                    text = await resp.text()
            ms = (time.monotonic() - started) * 1000
            if resp.status != 200:
                hint = " (check CINEBOT_OPENAI_API_KEY)" if resp.status in (401, 403) else ""
                return self._status(False, f"{self.base_url} answered HTTP {resp.status}{hint}")
            self._learn_model(text)
            return self._status(True, f"{self.base_url} answered in {ms:.0f} ms")
        except TimeoutError:
            return self._status(False, f"{self.base_url} did not answer within {self.config.status_timeout_s:g} s")
        except aiohttp.ClientConnectorError as exc:
            refused = isinstance(exc.os_error, ConnectionRefusedError)
            why = "connection refused" if refused else (exc.strerror or type(exc.os_error).__name__)
            return self._status(False, f"{self.base_url}: {why}")
        except aiohttp.ClientError as exc:
            return self._status(False, f"{self.base_url}: {type(exc).__name__}")
        finally:
            if own:
                await session.close()

    def _status(self, reachable: bool, detail: str) -> BackendStatus:
        return BackendStatus(backend=self.backend, model=self.name, reachable=reachable, detail=detail)

    def _new_session(self, *, limit: int) -> aiohttp.ClientSession:
        timeout = aiohttp.ClientTimeout(total=None, connect=self.config.connect_timeout_s)
        # drop idle connections before servers do (llama.cpp's server closes them after 5 s), so that a request is
        # rarely written into a connection the server has already closed
        connector = aiohttp.TCPConnector(limit=limit, keepalive_timeout=IDLE_CONNECTION_S)
        return aiohttp.ClientSession(timeout=timeout, connector=connector)

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.config.api_key}"} if self.config.api_key else {}

    def _learn_model(self, text: str) -> None:
        """Take the first model id from a GET /models answer, when no model was configured."""
        if self._model_known:
            return
        try:
            data = json.loads(text).get("data") or []
            first = data[0]["id"]
        except (ValueError, AttributeError, LookupError, TypeError):
            log.warning("the server's /models answer lists no model: %r", text[:200])
            return
        if isinstance(first, str) and first:
            self.name, self._model_known = first, True
            log.info("the OpenAI-compatible server serves %s", first)

    async def _discover(self) -> None:
        """GET /models for the model id, once, before the first request (failures are left to the request)."""
        if self._model_known or self._session is None:
            return
        try:
            async with asyncio.timeout(self.config.status_timeout_s):
                async with self._session.get(f"{self.base_url}/models", headers=self._headers()) as resp:
                    if resp.status == 200:
                        self._learn_model(await resp.text())
        except (TimeoutError, aiohttp.ClientError) as exc:
            log.debug("could not ask %s/models for the model: %s", self.base_url, exc)

    # -- consuming the queue ----------------------------------------------------------------------------------
    async def _consume(self) -> None:
        """Take jobs while fewer than `max_in_flight` run, one task per job."""
        cfg = self.config
        while not self._stopping and not self.queue.closed:
            room = cfg.max_in_flight - len(self._jobs)
            if room <= 0:  # full: wait for a request to end (or for close, checked each round)
                await asyncio.wait(set(self._jobs), timeout=cfg.take_wait_s, return_when=asyncio.FIRST_COMPLETED)
                continue
            try:
                handles = await asyncio.to_thread(self.queue.take, room, wait_s=cfg.take_wait_s)
            except Exception:  # never let the consumer die: the bot would stop answering
                log.exception("could not take jobs from the queue")
                await asyncio.sleep(cfg.take_wait_s)
                continue
            if handles and not self._model_known:
                await self._discover()
            for handle in handles:
                task = asyncio.get_running_loop().create_task(self._run(handle), name=f"cinebot-openai-job-{handle.id}")
                self._jobs.add(task)
                task.add_done_callback(self._jobs.discard)

    async def _run(self, handle: JobHandle) -> None:
        """One job, start to end; every way out settles the handle."""
        request = handle.request
        now = time.monotonic()
        refused = not_to_start(handle, now)
        if refused is not None:
            self._emit(handle, "error", refused)
            return
        if request.prefix:
            self._emit(handle, "piece", request.prefix)
        try:
            result = await self._generate(handle)
        except JobError as exc:
            self._emit(handle, "error", exc)
        except asyncio.CancelledError:
            self._emit(handle, "error", shut_down(started=True))
            if not self._aborting:  # cancelled by someone else (the loop shutting down): let it propagate
                raise
        except Exception:
            log.exception("job %s failed in the OpenAI-compatible backend", handle.id)
            self._emit(handle, "error", JobError(FAILED))
        else:
            self.queue.record_duration(time.monotonic() - handle.submitted_at)
            log.debug("job %s: %d tokens in %.2f s (%.2f s queued), %s", handle.id, result.completion_tokens,
                      result.generate_s, result.queue_s, result.finish_reason)
            self._emit(handle, "done", result)

    def _emit(self, handle: JobHandle, kind: str, payload: object) -> None:
        try:
            same_loop = handle.loop is asyncio.get_running_loop()
        except RuntimeError:
            same_loop = False
        if same_loop:
            handle.apply((kind, payload))
        else:
            deliver([(handle, (kind, payload))])

    # -- one request ------------------------------------------------------------------------------------------
    def _body(self, handle: JobHandle) -> dict[str, Any]:
        request = handle.request
        max_new = request.max_new_tokens
        if self.config.max_new_tokens:
            max_new = min(max_new, self.config.max_new_tokens)
        messages = [dict(m) for m in request.messages]
        body: dict[str, Any] = {}
        if self._model_known:
            body["model"] = self.name
        if request.prefix:
            if self.config.prefix_hint:
                messages = _hinted(messages, request.prefix)
            messages.append({"role": "assistant", "content": request.prefix})
            if self._prefill_flags:
                body |= _PREFILL_FLAGS
        body |= {"messages": messages, "max_tokens": max_new, "temperature": 0, "stream": True,
                 "stream_options": {"include_usage": True}}
        if request.ignore_stop:
            body["ignore_eos"] = True  # vLLM's and llama.cpp's server's extra parameter
        return body

    async def _generate(self, handle: JobHandle) -> JobResult:
        started = time.monotonic()
        body = self._body(handle)
        resp = await self._post(handle, body)
        reply = _Reply(handle.request.prefix)
        try:
            if resp.content_type == "application/json":  # a server that does not stream
                await self._read_whole(handle, resp, reply)
            else:
                await self._read_stream(handle, resp, reply)
        finally:
            resp.close()  # also tells the server to stop generating when we stop early
        if reply.events == 0:
            raise await self._explain_empty(handle, body)
        if reply.finish_reason is None:
            how = "[DONE]" if reply.done else "the end of the stream"
            log.warning("job %s: %s came before a finish reason (llama-cpp-python's server does this to a running "
                        "request when another arrives, unless it runs with --interrupt_requests false)",
                        handle.id, how)
            raise JobError(CUT_OFF)
        if not reply.done:
            log.debug("job %s: the stream ended without [DONE] after finishing", handle.id)
        for piece in reply.end():
            self._emit(handle, "piece", piece)
        text = "".join(reply.pieces)
        return JobResult(
            text=text,
            prompt_tokens=reply.tokens("prompt_tokens", 0),
            completion_tokens=reply.tokens("completion_tokens", reply.content_chunks),
            queue_s=started - handle.submitted_at,
            generate_s=time.monotonic() - started,
            model=reply.model or self.name,
            finish_reason="length" if reply.finish_reason == "length" else "stop",
        )

    async def _post(self, handle: JobHandle, body: dict[str, Any], *,
                    retry_busy: bool = True) -> aiohttp.ClientResponse:
        """The response, after at most one retry of a 429 or 503 (and one of a stale connection); else a `JobError`."""
        url = f"{self.base_url}/chat/completions"
        busy_retried, stale_retried = False, 0
        while True:
            session = self._session
            if session is None or session.closed:
                raise shut_down(started=False)
            try:
                resp = await self._watch(handle, session.post(url, json=body, headers=self._headers()),
                                         deadline=time.monotonic() + self.config.stall_s)
            except aiohttp.ClientConnectorError as exc:
                log.warning("job %s: cannot reach %s: %s", handle.id, self.base_url, exc)
                raise JobError(UNREACHABLE) from None
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
                if stale_retried < STALE_RETRIES:  # a kept-alive connection the server had closed: again, on another
                    stale_retried += 1
                    log.info("job %s: the connection to %s was closed (%r); sending again", handle.id, url, exc)
                    continue
                log.warning("job %s: the request to %s failed: %r", handle.id, url, exc)
                raise JobError(BROKE_OFF) from None
            except aiohttp.ClientError as exc:
                log.warning("job %s: the request to %s failed: %r", handle.id, url, exc)
                raise JobError(BROKE_OFF) from None
            except _Stall:
                log.warning("job %s: %s sent no answer within %.0f s", handle.id, url, self.config.stall_s)
                raise JobError(STALLED) from None
            if resp.status < 300:
                return resp
            message = _error_message(await self._error_text(resp))
            if resp.status == 400 and any(flag in message and flag in body for flag in _PREFILL_FLAGS):
                log.warning("%s does not take %s (%s); sending prefixes without them from now on", self.base_url,
                            " and ".join(_PREFILL_FLAGS), message)
                self._prefill_flags = False
                body = {key: value for key, value in body.items() if key not in _PREFILL_FLAGS}
                continue
            if resp.status in (429, 503) and retry_busy and not busy_retried:
                busy_retried = True
                wait = _retry_wait(resp.headers.get("Retry-After"), self.config.retry_backoff_s,
                                   self.config.max_retry_after_s)
                log.warning("job %s: %s answered HTTP %d (%s); retrying once in %.1f s", handle.id, url,
                            resp.status, message, wait)
                await self._watch(handle, asyncio.sleep(wait), deadline=None)
                continue
            raise self._http_error(handle, resp.status, message)

    async def _error_text(self, resp: aiohttp.ClientResponse) -> str:
        try:
            async with asyncio.timeout(self.config.status_timeout_s):
                return (await resp.content.read(4096)).decode("utf-8", "replace")
        except (TimeoutError, aiohttp.ClientError):
            return ""
        finally:
            resp.close()

    def _http_error(self, handle: JobHandle, status: int, message: str) -> JobError:
        log.warning("job %s: %s answered HTTP %d: %s", handle.id, self.base_url, status, message)
        if status in (400, 413) and _is_context_error(message):
            return PromptTooLong(TOO_LONG)
        if status in (429, 503):
            return JobError(BUSY)
        if status >= 500:
            return JobError(SERVER_FAILED)
        if status in (401, 403):
            log.error("the OpenAI-compatible server refused the API key: check CINEBOT_OPENAI_API_KEY")
        elif status == 404:
            log.error("the OpenAI-compatible server does not know the model %r or the URL %s: check "
                      "CINEBOT_OPENAI_MODEL and CINEBOT_OPENAI_URL", self.name, self.base_url)
        return JobError(TURNED_DOWN)

    async def _read_stream(self, handle: JobHandle, resp: aiohttp.ClientResponse, reply: _Reply) -> None:
        """Read SSE lines until [DONE] or the end, streaming each delta; the stall clock restarts on data only."""
        last_data = time.monotonic()
        while not reply.done:
            try:
                line = await self._watch(handle, resp.content.readline(), deadline=last_data + self.config.stall_s)
            except _Stall:
                if reply.finish_reason is not None:  # finished, but neither [DONE] nor the end came
                    log.warning("job %s: no [DONE] within %.0f s of the finish; taking the reply as it is",
                                handle.id, self.config.stall_s)
                    return
                log.warning("job %s: the stream sent no data for %.0f s", handle.id, self.config.stall_s)
                raise JobError(STALLED) from None
            except (aiohttp.ClientPayloadError, aiohttp.ClientConnectionError) as exc:
                if reply.finish_reason is not None:
                    return
                log.warning("job %s: the stream broke off: %r", handle.id, exc)
                raise JobError(BROKE_OFF) from None
            except ValueError:  # aiohttp: a line over its limit
                log.warning("job %s: the stream sent an overlong line", handle.id)
                raise JobError(UNREADABLE) from None
            if not line:
                return  # the end of the stream
            text = line.decode("utf-8", "replace").strip()
            if not text.startswith("data:"):
                continue  # blank lines, ": ping" comments, "event:" and "id:" fields
            last_data = time.monotonic()
            for piece in reply.take(text[5:].strip()):
                self._emit(handle, "piece", piece)

    async def _read_whole(self, handle: JobHandle, resp: aiohttp.ClientResponse, reply: _Reply) -> None:
        """A non-streamed answer: one JSON object with the whole message."""
        try:
            raw = await self._watch(handle, resp.read(), deadline=time.monotonic() + self.config.stall_s)
            data = json.loads(raw)
            choice = data["choices"][0]
            chunk = {"model": data.get("model"), "usage": data.get("usage"),
                     "choices": [{"delta": {"content": choice["message"].get("content") or ""},
                                  "finish_reason": choice.get("finish_reason") or "stop"}]}
        except _Stall:
            log.warning("job %s: no answer within %.0f s", handle.id, self.config.stall_s)
            raise JobError(STALLED) from None
        except (ValueError, LookupError, TypeError, AttributeError):
            log.warning("job %s: an unreadable JSON answer", handle.id)
            raise JobError(UNREADABLE) from None
        for piece in reply.take(json.dumps(chunk)):
            self._emit(handle, "piece", piece)
        reply.done = True

    async def _explain_empty(self, handle: JobHandle, body: dict[str, Any]) -> JobError:
        """A stream that sent nothing at all. llama-cpp-python's server does that (200, empty stream) when the
        prompt is over its context; the same request unstreamed, for one token, says so with a 400."""
        probe = {key: value for key, value in body.items() if key != "stream_options"}
        probe |= {"stream": False, "max_tokens": 1}
        try:
            (await self._post(handle, probe, retry_busy=False)).close()
        except PromptTooLong as exc:
            log.warning("job %s: the prompt is over the server's context", handle.id)
            return exc
        except JobCancelled as exc:
            return exc
        except JobError:
            pass
        log.warning("job %s: the stream ended before sending any data", handle.id)
        return JobError(CUT_OFF)

    async def _watch(self, handle: JobHandle, aw: Awaitable[T], *, deadline: float | None) -> T:
        """Await `aw`, checking for a cancel every `poll_s`; `_Stall` once `deadline` (monotonic) passes."""
        task: asyncio.Future[T] = asyncio.ensure_future(aw)
        try:
            while True:
                if handle.cancel_requested.is_set():
                    log.info("job %s cancelled while running", handle.id)
                    raise cancelled()
                timeout = self.config.poll_s
                if deadline is not None:
                    timeout = min(timeout, max(deadline - time.monotonic(), 0.0))
                done, _ = await asyncio.wait({task}, timeout=timeout)
                if done:
                    return task.result()
                if deadline is not None and time.monotonic() >= deadline:
                    raise _Stall()
        finally:
            if not task.done():
                task.cancel()
                _close_later(task)


def _close_later(task: asyncio.Future[Any]) -> None:
    """Close a response that a cancelled request task may still produce, and silence its error."""

    def done(fut: asyncio.Future[Any]) -> None:
        if fut.cancelled():
            return
        if fut.exception() is None and isinstance(fut.result(), aiohttp.ClientResponse):
            fut.result().close()

    task.add_done_callback(done)

