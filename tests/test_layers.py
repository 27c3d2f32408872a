"""hark's subpackages form layers, and every import points down (docs/architecture.md).

The layers, lowest first (an import may only reach a strictly lower layer, never one beside
or above it, so there is no cycle either):

0. errors: the one-line errors everything raises
1. the package root and its other top-level modules: registry, params, fileio
2. jobs: how work runs (a job kind registry, local processes, Dask); it imports no stage,
   each stage registers its own kinds through the ``hark.jobs`` entry points
3. audio: reading recordings; video beside it: reading the movies filmed with them
4. annotations: events and their file formats (they find recordings through audio)
5. dsp: windows, spectrograms, filters, resampling as pure functions
6. models: architectures and their front ends
7. the stages that need only what lies below: detect, calls, evaluate, embed
8. train (it writes a model's first thresholds with evaluate's accuracy tables)
9. the stages built on train: infer (evaluate's events and segments, train's data) and
   validate (train, then evaluate)
10. demo: synthetic data and the tutorials' pipelines, which run detect, train, infer, evaluate
11. gui: the browser interface
12. cli: the command line (``hark gui`` starts the GUI)

Imports are read from the source with :mod:`ast`, at module level and inside functions
alike: a function-level import is as much a dependency as one at the top (it is only
deferred, to keep start-up fast), so both count.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from tests.conftest import REPO_ROOT

SOURCE = REPO_ROOT / "src" / "hark"

LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors",),
    ("hark", "registry", "params", "fileio"),
    ("jobs",),
    ("audio", "video"),
    ("annotations",),
    ("dsp",),
    ("models",),
    ("detect", "calls", "evaluate", "embed"),
    ("train",),
    ("infer", "validate"),
    ("demo",),
    ("gui",),
    ("cli",),
)
LAYER_OF = {part: level for level, parts in enumerate(LAYERS) for part in parts}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SOURCE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def part_of(module: str) -> str:
    """The subpackage (or top-level module) a module of hark belongs to; ``hark`` for the root."""
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else "hark"


def imported_modules(path: Path) -> set[str]:
    """Every hark module ``path`` imports, anywhere in it (relative imports resolved)."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                names = [".".join(base + ([node.module] if node.module else []))]
            else:
                names = [node.module or ""]
        else:
            continue
        found.update(name for name in names if name == "hark" or name.startswith("hark."))
    return found


def arrows() -> dict[tuple[str, str], set[str]]:
    """(importing part, imported part) -> the module imports that make the arrow."""
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    for path in sorted(SOURCE.rglob("*.py")):
        source = module_name(path)
        for target in imported_modules(path):
            if part_of(source) != part_of(target):
                found[(part_of(source), part_of(target))].add(f"{source} imports {target}")
    return found


def test_every_subpackage_and_top_level_module_has_a_layer():
    parts = {part_of(module_name(path)) for path in SOURCE.rglob("*.py")}
    assert parts - set(LAYER_OF) == set(), "add the new subpackage to LAYERS in tests/test_layers.py and to docs/architecture.md"


def test_the_walk_sees_module_level_and_function_level_imports():
    # known answers: hark.cli.app imports hark.errors at the top, hark.cli.gui imports the GUI inside its command
    assert "hark.errors" in imported_modules(SOURCE / "cli" / "app.py")
    assert any(name.startswith("hark.gui") for name in imported_modules(SOURCE / "cli" / "gui.py"))
    assert ("cli", "gui") in arrows()


def test_no_import_points_up_or_sideways():
    wrong = [
        f"{source} (layer {LAYER_OF[source]}) -> {target} (layer {LAYER_OF[target]}): {', '.join(sorted(why)[:3])}"
        for (source, target), why in sorted(arrows().items())
        if source in LAYER_OF and target in LAYER_OF and LAYER_OF[target] >= LAYER_OF[source]
    ]
    assert wrong == []


def test_no_cycle_between_subpackages():
    graph = defaultdict(set)
    for source, target in arrows():
        graph[source].add(target)
    cycles, state = [], {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(" -> ".join(path[path.index(nxt):] + [node, nxt]) if nxt in path else f"{node} -> {nxt}")
            elif nxt not in state:
                visit(nxt, path + [node])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    assert cycles == []
