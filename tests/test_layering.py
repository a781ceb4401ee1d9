"""The core imports only the standard library, cryptography and itself (style: Layout)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

CORE = [
    "frontgate",
    "frontgate.errors",
    "frontgate._types",
    "frontgate.encoding",
    "frontgate.times",
    "frontgate.policy",
    "frontgate.keys",
    "frontgate.signer",
    "frontgate.distribution",
    "frontgate.streaming",
    "frontgate.sources",
    "frontgate.verify",
    "frontgate.responses",
    "frontgate.compat.botocore",
    "frontgate.cli",
]
FORBIDDEN = [
    "django",
    "flask",
    "starlette",
    "fastapi",
    "uvicorn",
    "boto3",
    "botocore",
    "click",
    "httpx",
]
_PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


@pytest.mark.parametrize("module", CORE)
def test_core_module_imports_no_framework(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, module], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout))
    assert not loaded & set(FORBIDDEN), f"{module} imports {sorted(loaded & set(FORBIDDEN))}"


def test_sign_command_imports_nothing_heavy() -> None:
    # the signing path of the CLI: what `frontgate sign` imports beyond the core
    code = (
        "import sys, json\n"
        "from frontgate.cli import build_parser\n"
        "import frontgate.signer, frontgate.sources\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout))
    heavy = {"frontgate.verify", "frontgate.aws", "frontgate.edge", "asyncio", "ssl", "email"}
    assert not loaded & heavy


def _import_graph() -> dict[str, set[str]]:
    """Every frontgate module -> the frontgate modules it imports anywhere in its text
    (top level, inside functions, under TYPE_CHECKING): a lazy import is still a cycle."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "src"
    modules: dict[str, Path] = {}
    for path in (root / "frontgate").rglob("*.py"):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
            for target in targets:
                # the deepest module the name refers to (a name may be a class in a module)
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name and not name.startswith(target + "."):
                    edges.add(target)
        graph[name] = edges
    return graph


def test_no_import_cycles() -> None:
    graph = _import_graph()
    # a package's __init__ re-exporting its modules is not a cycle; anything else is
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if nxt == "frontgate" or nxt.endswith(".__init__"):
                continue
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_core_never_imports_adapters() -> None:
    adapters = ("frontgate.cli", "frontgate.edge", "frontgate.integrations", "frontgate.aws")
    for module, edges in _import_graph().items():
        if module in CORE and module not in ("frontgate", "frontgate.cli"):
            bad = sorted(e for e in edges if e.startswith(adapters))
            assert not bad, f"{module} (core) imports {bad}"
