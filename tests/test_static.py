"""Lint and type checks run with the tests, so CI enforces them (ruff, mypy)."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tool(name: str) -> str:
    path = Path(sys.executable).parent / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed; run `bash scripts/setup.sh --test`")
    return found


def test_ruff_is_clean() -> None:
    proc = subprocess.run([_tool("ruff"), "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-4000:]


def test_mypy_is_clean() -> None:
    proc = subprocess.run([_tool("mypy"), "bot", "models", "cogs"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-4000:]


# -- no import circles ---------------------------------------------------------------------------------------------

PACKAGES = ("bot", "cogs", "models")


def _module_of(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


class _Imports(ast.NodeVisitor):
    """The names a module imports: at the top or inside a function (a lazy import is still a dependency), not under
    `if TYPE_CHECKING:`; relative imports made absolute from `package`."""

    def __init__(self, package: str) -> None:
        self.package = package
        self.names: set[str] = set()

    def visit_If(self, node: ast.If) -> None:
        if "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        self.names.update(a.name for a in node.names)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:
            parts = self.package.split(".")
            up = parts[: len(parts) - node.level + 1]
            base = ".".join([*up, base] if base else up)
        self.names.add(base)
        self.names.update(f"{base}.{a.name}" for a in node.names)


def import_graph() -> dict[str, set[str]]:
    """Each module of the bot's packages and the modules of those packages it imports (`_Imports`)."""
    files = {_module_of(f): f for pkg in PACKAGES for f in (ROOT / pkg).rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        visitor = _Imports(name if path.name == "__init__.py" else name.rpartition(".")[0])
        visitor.visit(ast.parse(path.read_text(encoding="utf-8")))
        found = set()
        for imported in visitor.names:
            while imported and imported not in files:
                imported = imported.rpartition(".")[0]
            if imported and imported != name:
                found.add(imported)
        graph[name] = found
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import one another, directly or round a circle (Tarjan's strongly connected
    components of more than one module)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for other in graph.get(module, ()):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                top = stack.pop()
                group.append(top)
                if top == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_the_packages_import_in_no_circle() -> None:
    graph = import_graph()
    assert len(graph) > 50 and "models.film.catalog" in graph["models.film.grounding"]
    assert circles(graph) == []


def test_a_circle_is_found() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


# -- the request desk ----------------------------------------------------------------------------------------------


def outside_imports(module: str) -> set[str]:
    """Every module outside the bot's packages that `module` imports at run time, itself or through the modules of
    the packages it reaches (not under `if TYPE_CHECKING:`)."""
    graph = import_graph()
    files = {_module_of(f): f for pkg in PACKAGES for f in (ROOT / pkg).rglob("*.py")}
    seen, todo, outside = set(), [module], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = files[name]
        visitor = _Imports(name if path.name == "__init__.py" else name.rpartition(".")[0])
        visitor.visit(ast.parse(path.read_text(encoding="utf-8")))
        outside.update(n.partition(".")[0] for n in visitor.names if n.partition(".")[0] not in PACKAGES)
        todo.extend(graph[name])
    return outside


def test_the_request_desk_has_no_discord_in_it() -> None:
    """`bot.desk` is every request's way in (cogs, `cinebot ask`, benchmarks): Discord stays in `bot.flow`."""
    assert "discord" not in outside_imports("bot.desk")
    assert "discord" in outside_imports("bot.flow") and "aiosqlite" in outside_imports("bot.desk")


def test_the_catalogs_have_no_discord_in_them() -> None:
    """`bot.i18n` serves the desk and the command line too: Discord's side of it is `bot.translator`."""
    assert "discord" not in outside_imports("bot.i18n") and "babel" in outside_imports("bot.i18n")
    assert "discord" in outside_imports("bot.translator")


def test_no_cog_touches_the_store() -> None:
    """Cogs go through the desk (`bot.desk`): none reads `.store` or imports `bot.store`."""
    cogs = sorted((ROOT / "cogs").rglob("*.py"))
    assert len(cogs) > 5
    for path in cogs:
        text = path.read_text(encoding="utf-8")
        assert ".store" not in text, f"{path.name} touches the store"
        visitor = _Imports("cogs")
        visitor.visit(ast.parse(text))
        assert not any(n == "bot.store" or n.startswith("bot.store.") for n in visitor.names), path.name
