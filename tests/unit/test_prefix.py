"""The prompt encoding the in-process backends share: which system prompts are noted for KV reuse."""

from __future__ import annotations

from models.llm.backends.prefix import MIN_PREFIX, PREFIX_CANDIDATES, PromptEncoder, plain_turns
from models.llm.protocol import Message


def encoder() -> PromptEncoder:
    """One token per character, over plain text turns."""
    return PromptEncoder(plain_turns, lambda text: [ord(ch) for ch in text])


def chat(system: str, user: str) -> list[Message]:
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def test_encode_is_the_rendered_prompt_and_the_answers_prefix() -> None:
    ids = encoder().encode(chat("s" * MIN_PREFIX, "hello"), prefix="I")
    assert "".join(map(chr, ids)) == "s" * MIN_PREFIX + "\n\nhello\n\nI"


def test_the_longest_system_prompt_a_prompt_starts_with_is_found() -> None:
    enc = encoder()
    short, long = "a" * MIN_PREFIX, "a" * (MIN_PREFIX + 8)
    for system in (short, long, "b" * (MIN_PREFIX - 1)):  # the last is too short to be worth keeping
        enc.encode(chat(system, "x"))
    prompt = enc.encode(chat(long, "y"))
    assert enc.longest_prefix(prompt) == tuple(map(ord, long))
    assert enc.longest_prefix(enc.encode(chat("b" * (MIN_PREFIX - 1), "y"))) is None
    assert enc.longest_prefix(list(map(ord, long))) == tuple(map(ord, short))  # a prefix must leave something


def test_only_the_latest_system_prompts_are_kept() -> None:
    enc = encoder()
    systems = [f"{i:04d}" * MIN_PREFIX for i in range(PREFIX_CANDIDATES + 1)]
    for system in systems:
        enc.encode(chat(system, "x"))
    assert enc.longest_prefix(enc.encode(chat(systems[0], "y"))) is not None  # noted again just now
    assert enc.longest_prefix(list(map(ord, systems[1] + "\n\nz"))) is None  # the oldest, dropped
