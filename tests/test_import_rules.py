"""The packages' import rules (pyproject.toml's [tool.importlinter] contracts) hold:
the event store imports neither side, the write side never imports the read side, the
read side takes from orders only its allowed modules, and the domain imports no Django."""

from pathlib import Path

from importlinter.cli import lint_imports

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_every_import_contract_is_kept():
    assert lint_imports(config_filename=str(PYPROJECT), no_cache=True, no_logo=True) == 0
