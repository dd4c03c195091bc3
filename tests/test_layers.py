"""The code's structure: imports go one way, no import cycle at run time, small modules.

Every import of the project names the installed package, ``corridor_abm.<folder>``; bare
``model``/``agents``/... would load a second copy of a module, or someone else's package.
The simulation core (``model/``, ``agents/``) imports nothing from ``reporting/``,
``calibration/``, ``app/`` or ``explorer/``; scripts import nothing from the tests; the model class stays small
and no core file grows past 700 lines (add a process module instead).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE = ("model", "agents")
ABOVE_CORE = ("reporting", "calibration", "app", "explorer")
FOLDERS = (*CORE, *ABOVE_CORE, "scenarios", "backtest")
PACKAGE = "corridor_abm."


def _modules(package: str) -> dict[str, Path]:
    return {
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p
        for p in (ROOT / package).rglob("*.py")
    }


def _imports(path: Path, runtime_only: bool, raw: bool = False) -> set[str]:
    """Modules a file imports (all of them, or only those imported at run time: not under
    ``if TYPE_CHECKING``), the project's named by folder (``model.border``, without the package
    prefix) unless ``raw``."""
    tree = ast.parse(path.read_text())
    skip: set[int] = set()
    if runtime_only:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                skip |= {id(n) for n in ast.walk(node)}
    out = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names}
    return out if raw else {m.removeprefix(PACKAGE) for m in out}


def _python_files() -> list[Path]:
    return [p for folder in (*FOLDERS, "scripts", "tests") for p in (ROOT / folder).rglob("*.py")] + [ROOT / "run.py"]


def test_every_import_of_the_project_names_the_installed_package():
    files = _python_files()
    assert len(files) > 100
    for path in files:
        bare = {m for m in _imports(path, runtime_only=False, raw=True) if m.split(".")[0] in FOLDERS}
        assert not bare, f"{path.relative_to(ROOT)} imports {sorted(bare)}: write corridor_abm.<folder>"


def test_the_core_imports_nothing_from_the_layers_above():
    for package in CORE:
        for name, path in _modules(package).items():
            bad = {m for m in _imports(path, runtime_only=False) if m.split(".")[0] in ABOVE_CORE}
            assert not bad, f"{name} imports {sorted(bad)}"


def test_scripts_import_nothing_from_the_tests():
    for path in (ROOT / "scripts").glob("*.py"):
        bad = {m for m in _imports(path, runtime_only=False) if m.split(".")[0] == "tests"}
        assert not bad, f"{path.name} imports {sorted(bad)}"


def test_no_import_cycle_at_run_time():
    modules = {**_modules("model"), **_modules("agents"), **_modules("app"), **_modules("explorer")}
    graph = {name: {m for m in _imports(path, runtime_only=True) if m in modules} for name, path in modules.items()}
    assert sum(map(len, graph.values())) > 100  # the graph is read (imports resolved to modules)
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*trail, node, nxt]))
            if nxt not in state:
                visit(nxt, [*trail, node])
        state[node] = 2

    for name in graph:
        if name not in state:
            visit(name, [])


def test_the_model_class_and_the_core_files_stay_small():
    assert len((ROOT / "model" / "corridor.py").read_text().splitlines()) <= 400
    for package in CORE:
        for name, path in _modules(package).items():
            assert len(path.read_text().splitlines()) <= 700, f"{name} has grown past 700 lines"
