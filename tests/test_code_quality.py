"""Code quality of the Python packages: no import cycles, ruff and mypy --strict clean.

``PACKAGES`` lists the packages held to these checks (the host model and the whole
test bench, unit benches included); the rule set is in ``pyproject.toml``
(``[tool.ruff.lint]``, ``[tool.mypy]``).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from import_graph import find_cycles, format_cycle, import_graph, module_files

REPO = Path(__file__).resolve().parent.parent

#: packages held to the import-cycle, ruff and mypy checks
PACKAGES = ["pymodel", "tb"]


@pytest.mark.parametrize("package", PACKAGES)
def test_import_graph_has_no_cycles(package: str) -> None:
    """No module of the package imports itself through others (type-only imports count)."""
    cycles = find_cycles(import_graph(REPO, package))
    assert not cycles, f"import cycles in {package}/:\n" + "\n".join(
        f"  {format_cycle(c)}" for c in cycles
    )


@pytest.mark.parametrize("package", PACKAGES)
def test_every_module_imports_first(package: str) -> None:
    """Each module imports on its own in a fresh interpreter, before any other of the
    package (an import cycle fails this for some order)."""
    script = textwrap.dedent(
        """
        import importlib, sys, traceback
        package, names = sys.argv[1], sys.argv[2:]
        failed = []
        for name in names:
            for loaded in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
                del sys.modules[loaded]
            try:
                importlib.import_module(name)
            except Exception:
                failed.append(name + ":\\n" + traceback.format_exc(limit=-3))
        print("\\n".join(failed))
        sys.exit(1 if failed else 0)
        """
    )
    names = sorted(module_files(REPO, package))
    run = subprocess.run(
        [sys.executable, "-c", script, package, *names],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, f"modules that fail to import first:\n{run.stdout}{run.stderr}"


def test_import_graph_sees_type_only_and_package_cycles(tmp_path: Path) -> None:
    """The checker itself: a TYPE_CHECKING circle and a circle through a package
    ``__init__`` are found; a package importing its own submodules is not a circle."""
    files = {
        "pkg/__init__.py": "from pkg.sub import api\n",
        "pkg/errors.py": (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.cache import Event\n"
        ),
        "pkg/cache.py": "from pkg.errors import CacheError\n",
        "pkg/sub/__init__.py": "from pkg.sub.api import f\n",
        "pkg/sub/api.py": "from . import leaf\nfrom pkg.low import g\n",
        "pkg/sub/leaf.py": "",
        "pkg/low.py": "from pkg.sub.leaf import x\n",
    }
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    graph = import_graph(tmp_path, "pkg")
    assert graph["pkg.sub.api"] == {"pkg.sub.leaf", "pkg.low"}
    assert graph["pkg.low"] == {"pkg.sub.leaf", "pkg.sub"}
    assert find_cycles(graph) == [
        ["pkg.cache", "pkg.errors", "pkg.cache"],
        ["pkg.low", "pkg.sub", "pkg.sub.api", "pkg.low"],
    ]


def _tool(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    if importlib.util.find_spec(module) is None:
        pytest.fail(f"{module} is not installed: `make setup` installs requirements.lock")
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.parametrize("package", PACKAGES)
def test_ruff(package: str) -> None:
    """``ruff check`` with the rule set of pyproject.toml finds nothing."""
    run = _tool("ruff", "check", "--no-fix", package)
    assert run.returncode == 0, f"ruff check {package}:\n{run.stdout}{run.stderr}"


@pytest.mark.parametrize("package", PACKAGES)
def test_mypy_strict(package: str) -> None:
    """``mypy --strict`` finds nothing."""
    run = _tool("mypy", "--strict", package)
    assert run.returncode == 0, f"mypy --strict {package}:\n{run.stdout}{run.stderr}"
