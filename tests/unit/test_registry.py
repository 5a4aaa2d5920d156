"""Model sources: joining and verifying the chunked default, and resolving names and paths."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from models.llm import registry
from models.llm.registry import ModelError


def _parts(tmp_path: Path) -> tuple[list[Path], str]:
    parts = []
    for i, data in enumerate([b"abc" * 1000, b"def" * 777, b"ghi"]):
        p = tmp_path / f"part{i}.bin"
        p.write_bytes(data)
        parts.append(p)
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in parts)).hexdigest()
    return parts, digest


def test_join_once_then_verify(tmp_path: Path) -> None:
    parts, digest = _parts(tmp_path)
    target = registry.join_qwen(tmp_path / "cache", parts=parts, expected_sha256=digest, progress=False)
    assert target.read_bytes() == b"".join(p.read_bytes() for p in parts)
    parts[0].unlink()  # joined already: the parts are not read again
    again = registry.join_qwen(tmp_path / "cache", parts=parts, expected_sha256=digest, progress=False)
    assert again == target


def test_mismatch_is_refused_and_nothing_is_kept(tmp_path: Path) -> None:
    parts, _ = _parts(tmp_path)
    with pytest.raises(ModelError, match="Refusing to load"):
        registry.join_qwen(tmp_path / "cache", parts=parts, expected_sha256="0" * 64, progress=False)
    assert not list((tmp_path / "cache" / "models").iterdir())


def test_tampered_joined_file_is_refused(tmp_path: Path) -> None:
    parts, digest = _parts(tmp_path)
    target = registry.join_qwen(tmp_path / "cache", parts=parts, expected_sha256=digest, progress=False)
    target.write_bytes(b"evil" + target.read_bytes()[4:])
    with pytest.raises(ModelError, match="Refusing to load"):
        registry.join_qwen(tmp_path / "cache", parts=parts, expected_sha256=digest, progress=False)
    assert not target.exists()


def test_resolve_paths_presets_and_ids(tmp_path: Path) -> None:
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"x")
    assert registry.resolve(str(gguf), tmp_path) == registry.ModelSource("m.gguf", str(tmp_path), "m.gguf")
    assert registry.resolve(str(tmp_path), tmp_path).gguf_file == "m.gguf"
    (tmp_path / "n.gguf").write_bytes(b"y")
    with pytest.raises(ModelError, match=r"several \.gguf"):
        registry.resolve(str(tmp_path), tmp_path)
    assert registry.resolve("Qwen/Qwen2.5-1.5B-Instruct", tmp_path).location == "Qwen/Qwen2.5-1.5B-Instruct"
    with pytest.raises(ModelError, match="Unknown model"):
        registry.resolve("no-such-model", tmp_path)
    txt = tmp_path / "weights.txt"
    txt.write_text("x")
    with pytest.raises(ModelError, match=r"not a \.gguf"):
        registry.resolve(str(txt), tmp_path)
    smol = registry.resolve("smollm2-135m", tmp_path)
    assert smol.gguf_file == registry.SMOLLM_FILE and (Path(smol.location) / smol.gguf_file).is_file()


def test_cpu_gets_fp32() -> None:
    import torch

    from models.llm.backends.transformers import pick_device

    device, dtype = pick_device("cpu")
    assert (device, dtype) == ("cpu", torch.float32)


def test_the_backend_auto_picks(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    gguf = registry.ModelSource("m", "/models", "m.gguf")
    folder = registry.ModelSource("org/m", "org/m")
    monkeypatch.setattr(registry, "cuda_present", lambda: False)
    monkeypatch.setattr(registry, "llamacpp_available", lambda: True)
    assert registry.choose_backend("auto", gguf, "auto") == "llamacpp"
    assert registry.choose_backend("auto", folder, "auto") == "transformers"  # llama.cpp needs a GGUF
    assert registry.choose_backend("auto", gguf, "cuda") == "transformers"
    assert registry.choose_backend("transformers", gguf, "cpu") == "transformers"
    monkeypatch.setattr(registry, "cuda_present", lambda: True)
    assert registry.choose_backend("auto", gguf, "auto") == "transformers"  # a GPU: transformers on CUDA
    assert registry.choose_backend("auto", gguf, "cpu") == "llamacpp"
    monkeypatch.setattr(registry, "cuda_present", lambda: False)
    monkeypatch.setattr(registry, "llamacpp_available", lambda: False)
    with caplog.at_level("WARNING"):
        assert registry.choose_backend("auto", gguf, "auto") == "transformers"
    assert "scripts/setup.sh" in caplog.text
    with pytest.raises(ModelError, match=r"needs a \.gguf model"):
        registry.choose_backend("llamacpp", folder, "cpu")


def test_a_missing_llama_cpp_is_one_line_with_the_fix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import builtins

    real_import = builtins.__import__

    def no_llama(name: str, *args: object, **kwargs: object) -> object:
        if name == "llama_cpp":
            raise ImportError("No module named 'llama_cpp'")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_llama)
    with pytest.raises(ModelError, match=r"scripts/setup\.sh` builds it"):
        registry.load("smollm2-135m", tmp_path, backend="llamacpp", progress=False)
