"""The package's import graph has no cycle (function-level imports included), the model format
sits in a leaf module, and importing the spam features compiles nothing."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "src"


def import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports anywhere in its source (relative or absolute)."""
    modules: dict[str, tuple[Path, bool]] = {}
    for path in (ROOT / "safecomment").rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        package = parts[-1] == "__init__"
        modules[".".join(parts[:-1] if package else parts)] = (path, package)
    graph: dict[str, set[str]] = {}
    for name, (path, package) in modules.items():
        here = name if package else name.rpartition(".")[0]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                parts = here.split(".")
                base = parts[: len(parts) - node.level + 1] if node.level else []
                target = ".".join([*base, *([node.module] if node.module else [])])
                candidates = [target, *(f"{target}.{alias.name}" for alias in node.names)]
            elif isinstance(node, ast.Import):
                candidates = [alias.name for alias in node.names]
            else:
                continue
            found.update(c for c in candidates if c in modules and c != name)
        graph[name] = found
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                found.append([*stack[stack.index(target):], target])
            elif target not in state:
                visit(target, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    return found


def test_the_package_has_no_import_cycle() -> None:
    graph = import_graph()
    assert "safecomment.spam.model" in graph and "safecomment.spam.fit" in graph
    assert cycles(graph) == []


def test_the_checker_sees_a_cycle_when_there_is_one() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]


def test_the_model_format_is_a_leaf_and_the_loader_never_imports_training() -> None:
    graph = import_graph()
    assert graph["safecomment.spam.format"] == set()
    assert "safecomment.spam.format" in graph["safecomment.spam.model"]
    assert "safecomment.spam.format" in graph["safecomment.spam.fit"]
    assert "safecomment.spam.train" not in graph["safecomment.spam.model"]
    assert "safecomment.spam.model" not in graph["safecomment.spam.fit"]


def test_spam_modules_have_no_command_line_of_their_own() -> None:
    for path in (ROOT / "safecomment" / "spam").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert "argparse" not in source and "__main__" not in source, path.name


def test_importing_the_features_compiles_no_sanitizer() -> None:
    probe = (
        "import safecomment.spam.features as f, safecomment.spam.model\n"
        "assert f._sanitizer.cache_info().currsize == 0, 'compiled at import'\n"
        "f.prepare('<b>x</b>')\n"
        "assert f._sanitizer.cache_info().currsize == 1\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=False, timeout=120)
    assert run.returncode == 0, run.stderr
