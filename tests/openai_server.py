"""A real OpenAI-compatible server for tests: llama-cpp-python's own server with the test model, on 127.0.0.1.

`openai_server` (session scope) starts ``python -m llama_cpp.server`` with SmolLM2-135M as a subprocess on a free
port, waits until GET /v1/models answers, yields the base URL (``http://127.0.0.1:<port>/v1``) and stops the server
at the end of the session. Use it by importing the fixture into a test module (``from tests.openai_server import
openai_server``) or by listing this module in ``pytest_plugins``. It skips only when llama_cpp is not installed; a
server that does not come up fails the test with the server's own output.

The server runs with ``--interrupt_requests false``: by default llama-cpp-python's server ends a running stream
(with [DONE] and no finish reason) as soon as another request arrives, instead of queueing it.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fake_openai import free_port

log = logging.getLogger(__name__)

MODEL_ALIAS = "smollm2-135m"
START_TIMEOUT_S = 60.0
SERVER_PACKAGES = "fastapi uvicorn sse-starlette starlette-context pydantic-settings"


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1 never goes through a proxy


def _answers(url: str) -> bool:
    try:
        with _DIRECT.open(f"{url}/models", timeout=1.0) as resp:
            return resp.status == 200 and bool(json.load(resp).get("data"))
    except (OSError, ValueError):
        return False


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no output)"


class _Running:
    """The one server of this test session, shared by every module that imports the fixture."""

    proc: subprocess.Popen[bytes] | None = None
    url = ""
    users = 0


def _start(tmp_path_factory: pytest.TempPathFactory) -> str:
    from models.llm.registry import smollm_path

    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    output = tmp_path_factory.mktemp("openai-server") / "server.log"
    # One thread: the 135M model needs no more, and llama.cpp's spinning threads slow down badly (10x) on cores
    # that other work shares. CINEBOT_TEST_SERVER_THREADS overrides it.
    threads = os.environ.get("CINEBOT_TEST_SERVER_THREADS", "1")
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(smollm_path()), "--model_alias", MODEL_ALIAS,
               "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--n_threads", threads,
               "--n_threads_batch", threads, "--interrupt_requests", "false", "--verbose", "false"]
    with output.open("wb") as sink:
        _Running.proc = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + START_TIMEOUT_S
    while not _answers(url):
        if _Running.proc.poll() is not None:
            pytest.fail(f"llama-cpp-python's server exited with {_Running.proc.returncode} before answering. If it "
                        f"is missing packages: pip install {SERVER_PACKAGES}\n{_tail(output)}")
        if time.monotonic() > deadline:
            pytest.fail(f"llama-cpp-python's server did not answer {url}/models within {START_TIMEOUT_S:.0f} s"
                        f"\n{_tail(output)}")
        time.sleep(0.2)
    log.info("llama-cpp-python's server is up at %s", url)
    _Running.url = url
    return url


def _stop() -> None:
    proc, _Running.proc, _Running.url = _Running.proc, None, ""
    if proc is None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def openai_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of llama-cpp-python's server running the test model."""
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama_cpp is not installed (scripts/setup.sh builds llama-cpp-python)")
    # Each module that imports this fixture gets its own copy of it; they share one server, stopped after the last.
    _Running.users += 1
    try:
        yield _Running.url or _start(tmp_path_factory)
    finally:
        _Running.users -= 1
        if _Running.users == 0:
            _stop()
