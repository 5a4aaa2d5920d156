"""Settings: defaults, .env files, and wrong values that stop startup with the variable's name."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import DEFAULT_MODEL, Settings, SettingsError


def test_defaults_without_env() -> None:
    s = Settings.load(env={}, env_file=None)
    assert s.model == DEFAULT_MODEL and s.discord_token is None and s.max_batch == 32


def test_env_overrides_dotenv_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("CINEBOT_MAX_BATCH=4\nCINEBOT_MODEL=smollm2-135m\nDISCORD_TOKEN=abc\n")
    s = Settings.load(env={"CINEBOT_MAX_BATCH": "8"}, env_file=env_file)
    assert s.max_batch == 8 and s.model == "smollm2-135m" and s.discord_token == "abc"


@pytest.mark.parametrize(
    ("var", "value", "says"),
    [
        ("CINEBOT_MAX_BATCH", "abc", "CINEBOT_MAX_BATCH='abc' is not a whole number"),
        ("CINEBOT_MAX_BATCH", "0", "CINEBOT_MAX_BATCH=0 is out of range"),
        ("CINEBOT_DEVICE", "tpu", "CINEBOT_DEVICE='tpu' is not one of auto, cpu, cuda"),
        ("CINEBOT_LOG_LEVEL", "loud", "CINEBOT_LOG_LEVEL='loud'"),
        ("CINEBOT_BACKEND", "vllm", "CINEBOT_BACKEND='vllm' is not one of auto, llamacpp, transformers, openai"),
        ("CINEBOT_INT8", "maybe", "CINEBOT_INT8='maybe' is not one of auto, on, off"),
        ("CINEBOT_OPENAI_URL", "localhost:8080", "CINEBOT_OPENAI_URL='localhost:8080' is not an http(s) URL"),
        ("CINEBOT_OPENAI_STALL_S", "0", "CINEBOT_OPENAI_STALL_S=0 is out of range"),
        ("CINEBOT_OPENAI_MAX_IN_FLIGHT", "many", "CINEBOT_OPENAI_MAX_IN_FLIGHT='many' is not a whole number"),
        ("CINEBOT_BACKEND", "openai", "CINEBOT_BACKEND=openai needs CINEBOT_OPENAI_URL"),
    ],
)
def test_wrong_values_name_the_variable(var: str, value: str, says: str) -> None:
    with pytest.raises(SettingsError) as info:
        Settings.load(env={var: value}, env_file=None)
    assert says in str(info.value)


def test_env_example_lists_every_setting() -> None:
    from dataclasses import fields

    from bot.settings import env_var

    example = (Path(__file__).resolve().parents[2] / ".env.example").read_text()
    for f in fields(Settings):
        assert f"\n{env_var(f.name)}=" in "\n" + example or f"\n# {env_var(f.name)}=" in "\n" + example, f.name


def test_reaction_scores_parse_and_ignore_the_variation_selector() -> None:
    s = Settings.load(env={"CINEBOT_REACTION_SCORES": "👍=1, ❤=2, 🎬=-1"}, env_file=None)
    assert s.reaction_score("👍") == 1 and s.reaction_score("❤️") == 2 and s.reaction_score("🎬") == -1
    assert s.reaction_score("🍿") == 0
    with pytest.raises(SettingsError, match="emoji=score"):
        Settings.load(env={"CINEBOT_REACTION_SCORES": "👍=lots"}, env_file=None)


def test_openai_settings_and_the_key_stays_out_of_logs() -> None:
    s = Settings.load(env={"CINEBOT_BACKEND": "openai", "CINEBOT_OPENAI_URL": "http://10.0.0.5:8000/v1/",
                           "CINEBOT_OPENAI_API_KEY": "sk-secret", "DISCORD_TOKEN": "tok-secret"}, env_file=None)
    assert (s.backend, s.openai_url, s.openai_max_in_flight) == ("openai", "http://10.0.0.5:8000/v1", 8)
    assert s.openai_api_key == "sk-secret" and "sk-secret" not in repr(s) and "tok-secret" not in repr(s)
