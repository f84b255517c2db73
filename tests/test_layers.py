"""The layers of DESIGN.md hold: ``lint-imports`` checks the contracts in pyproject.toml.

mypy runs in ``make lint`` (which ``.ci/run`` calls), not here: it takes about a
minute on the shared CI machine.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(
    config: Path, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(config), "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_the_layer_contracts_are_kept() -> None:
    done = _lint_imports(ROOT / "pyproject.toml", ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_an_import_upwards_breaks_the_contract(tmp_path: Path) -> None:
    """The same kind of contract fails on a store that imports a service: the check can fail."""
    pkg = tmp_path / "layered"
    for name, body in {
        "__init__.py": "",
        "service.py": "from layered import store\n",
        "store.py": "from layered.service import something\n",
    }.items():
        pkg.mkdir(exist_ok=True)
        (pkg / name).write_text(body)
    config = tmp_path / "contracts.toml"
    config.write_text(
        '[tool.importlinter]\nroot_package = "layered"\n\n'
        '[[tool.importlinter.contracts]]\nname = "layers"\ntype = "layers"\n'
        'layers = ["layered.service", "layered.store"]\n'
    )
    done = _lint_imports(config, tmp_path, env={"PYTHONPATH": str(tmp_path), "PATH": ""})
    assert done.returncode != 0
    assert "layered.store -> layered.service" in done.stdout
