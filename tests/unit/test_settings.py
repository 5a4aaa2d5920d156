"""Settings: defaults, .env files, wrong values that stop startup with the variable's name, and the documentation
(`.env.example`, the README's table) made from the same declarations."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import (
    ENV_EXAMPLE,
    README,
    SETTINGS,
    Settings,
    SettingsError,
    env_example,
    env_var,
    readme_table,
    replace_readme_table,
)


def test_defaults_without_env() -> None:
    s = Settings.load(env={}, env_file=None)
    assert s == Settings()
    assert s.model == "qwen2.5-coder-1.5b" and s.discord_token is None and s.max_batch == 32
    assert s.user_rate == (6, 60) and s.cache_dir == Path("~/.cache/cinebot").expanduser()
    assert s.reaction_score("👍") == 1 and s.reaction_score("😴") == -1


def test_every_default_is_its_setting_parsed() -> None:
    defaults = Settings()
    for name, spec in SETTINGS.items():
        assert getattr(defaults, name) == spec.parse(spec.var, spec.default), name
        assert Settings.load(env={spec.var: spec.default}, env_file=None) == defaults, name


def test_an_empty_value_means_the_default(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("CINEBOT_OPENAI_MODEL=big\nCINEBOT_MAX_BATCH=4\n")
    s = Settings.load(env={"CINEBOT_OPENAI_MODEL": "", "CINEBOT_MAX_BATCH": " ", "CINEBOT_DEV_GUILD_ID": ""},
                      env_file=env_file)
    assert (s.openai_model, s.max_batch, s.dev_guild_id) == (None, 32, None)


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


def test_env_example_and_readme_table_are_generated() -> None:
    fix = "regenerate them with `python -m bot.settings --write`"
    assert ENV_EXAMPLE.read_text(encoding="utf-8") == env_example(), f".env.example is out of date; {fix}"
    readme = README.read_text(encoding="utf-8")
    assert replace_readme_table(readme) == readme, f"the README's settings table is out of date; {fix}"


def test_replace_readme_table_keeps_the_text_around_it() -> None:
    old_table = "| variable | default | meaning |\n|---|---|---|\n| `OLD` | (none) | gone |\n"
    readme = "## Settings\n\nIntro.\n\n{}\n## Next\n"
    assert replace_readme_table(readme.format(old_table)) == readme.format(readme_table())


def test_the_documentation_lists_every_variable_with_its_default() -> None:
    from dotenv import dotenv_values

    example = dotenv_values(ENV_EXAMPLE)
    table = readme_table()
    for name, spec in SETTINGS.items():
        assert example[env_var(name)] == spec.default, name
        assert f"| `{spec.var}` | {f'`{spec.default}`' if spec.default else '(none)'} |" in table, name


def test_main_prints_the_documentation(capsys: pytest.CaptureFixture[str]) -> None:
    from bot.settings import main

    assert main(["--env-example"]) == 0 and capsys.readouterr().out == env_example()
    assert main(["--readme-table"]) == 0 and capsys.readouterr().out == readme_table()


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


def test_an_adapter_with_a_remote_server_is_refused_with_what_to_do_instead() -> None:
    env = {"CINEBOT_BACKEND": "openai", "CINEBOT_OPENAI_URL": "http://10.0.0.5:8000/v1", "CINEBOT_ADAPTER": "ad"}
    with pytest.raises(SettingsError, match="--lora"):
        Settings.load(env=env, env_file=None)
    assert Settings.load(env={**env, "CINEBOT_BACKEND": "llamacpp"}, env_file=None).adapter == Path("ad")
