"""The command line without a model: friendly errors, the token help, and input building."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot import cli
from bot.desk import RequestDesk
from bot.services import Services
from bot.settings import Settings
from models.llm.jobs import JobQueue
from models.llm.worker import BatchingWorker
from models.tasks import InputError, PitchInput, SceneInput
from models.tasks import pitch as pitch_task
from tests.fakes import FakeModel
from tests.store_probe import ProbeStore


def test_run_without_token_explains_how_to_get_one(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    code = cli.main(["--env-file", str(tmp_path / "none.env"), "run"])
    err = capsys.readouterr().err
    assert code == 2
    assert "DISCORD_TOKEN=" in err and "discord.com/developers/applications" in err and "cinebot console" in err


def test_wrong_setting_stops_startup_naming_the_variable(capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CINEBOT_MAX_BATCH", "abc")
    assert cli.main(["run"]) == 2
    assert "CINEBOT_MAX_BATCH='abc' is not a whole number" in capsys.readouterr().err


def test_bad_task_input_is_refused_before_loading_a_model(capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_a: object, **_k: object) -> None:
        raise AssertionError("the model must not load for bad input")

    monkeypatch.setattr("models.llm.registry.load", boom)
    assert cli.main(["ask", "pitch", "--premise", "short"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cinebot: ") and "Traceback" not in err


def test_scene_file_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pdf = tmp_path / "script.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    assert cli.main(["ask", "scene", "--file", str(pdf)]) == 2
    assert ".fountain" in capsys.readouterr().err
    assert cli.main(["ask", "scene", "--file", str(tmp_path / "missing.txt")]) == 2
    assert "Could not read" in capsys.readouterr().err


def test_console_job_builds_each_task(tmp_path: Path) -> None:
    services = Services(Settings.load(env={}, env_file=None))
    assert isinstance(cli.console_job("pitch", {"premise": "a ghost haunts a multiplex cinema"}, services).inp,
                      PitchInput)
    review = cli.console_job("review", {"film": "Heat", "notes": "great shootout", "year": "1995",
                                        "rating": "9", "spoilers": "y"}, services).inp
    assert review.year == 1995 and review.rating == 9 and review.spoilers
    with pytest.raises(InputError, match="must be a number"):
        cli.console_job("review", {"film": "Heat", "notes": "great", "year": "ninety"}, services)
    script = tmp_path / "scene.fountain"
    script.write_text("INT. HOUSE - DAY\n\nA door opens.\n")
    scene = cli.console_job("scene", {"excerpt": str(script)}, services).inp
    assert isinstance(scene, SceneInput) and "door opens" in scene.excerpt


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


SCRIPT = ('**Title:** "Night Lamp"\n**Logline:** A keeper guards a light. Something sleeps below.\n'
          "**Synopsis:** Mara keeps the lamp lit. The beam hums at night. One night it fails.|stop")


@pytest.mark.parametrize("tty", [False, True])
async def test_stream_reply_prints_the_clean_final_text(tty: bool, tmp_path: Path) -> None:
    queue = JobQueue()
    out = _Tty() if tty else io.StringIO()
    async with await ProbeStore.open(tmp_path / "cli.sqlite3") as store, \
            BatchingWorker(FakeModel(default=SCRIPT), queue):
        desk = RequestDesk(store, queue, Settings.load(env={}, env_file=None), model_name="fake")
        job = pitch_task.prepare(premise="a keeper guards a sleeping thing")
        reply = await cli.stream_reply(desk, job, out)
        stored = await store.get_job(1)  # through the desk, as every request: stored
    text = out.getvalue()
    assert reply.text.startswith("**Title:** Night Lamp")
    assert stored is not None and (stored.guild_id, stored.status, stored.output) == (None, "done", reply.text)
    if tty:  # streamed, then redrawn where the clean-up changed what was shown; ends with the clean text
        assert text.endswith(reply.text + "\n") and "\x1b[J" in text
    else:
        assert text == reply.text + "\n"


@pytest.mark.parametrize(
    ("error", "says"),
    [("LoginFailure", "Discord rejected DISCORD_TOKEN"), ("PrivilegedIntentsRequired", "Message Content Intent")],
)
def test_run_explains_discord_refusals(error: str, says: str, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    import discord

    async def refused(settings: object) -> None:
        if error == "LoginFailure":
            raise discord.LoginFailure("Improper token has been passed.")
        raise discord.PrivilegedIntentsRequired(None)

    monkeypatch.setattr("bot.core.run_bot", refused)
    monkeypatch.setenv("DISCORD_TOKEN", "not-a-real-token")
    assert cli.main(["run"]) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err


def test_catalog_add_and_import_extend_the_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from models.film.catalog import Catalog

    films = tmp_path / "films.sqlite3"
    monkeypatch.setenv("CINEBOT_FILMS_PATH", str(films))
    assert cli.main(["catalog", "add", "--title", "Past Lives", "--year", "2023", "--director", "Celine Song",
                     "--genre", "Drama"]) == 0
    assert "Added Past Lives (2023), Celine Song" in capsys.readouterr().out
    csv_file = tmp_path / "new.csv"
    csv_file.write_text("Title,Year,Director,Genre\nAftersun,2022,Charlotte Wells,Drama\n", encoding="utf-8")
    assert cli.main(["catalog", "import", str(csv_file)]) == 0
    assert "Imported 1 films" in capsys.readouterr().out
    with Catalog.open(extra_path=films) as catalog:
        found = catalog.resolve("aftersun").film
        assert found is not None and found.directors == ("Charlotte Wells",)
        assert catalog.resolve("Past Lives 2023").film is not None
    bad = tmp_path / "bad.csv"
    bad.write_text("Name,When\nX,2020\n", encoding="utf-8")
    assert cli.main(["catalog", "import", str(bad)]) == 2
    assert "Title column" in capsys.readouterr().err


def test_backend_flag_openai_without_a_url_is_one_line(capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CINEBOT_OPENAI_URL", raising=False)
    assert cli.main(["--backend", "openai", "--env-file", "/nonexistent", "ask", "pitch", "--premise",
                     "a lighthouse keeper learns the beam keeps something asleep"]) == 2
    err = capsys.readouterr().err
    assert "--backend openai needs CINEBOT_OPENAI_URL" in err and "Traceback" not in err
