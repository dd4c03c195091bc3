"""The corridor model as one installed package, ``corridor_abm``.

The repository keeps the design's top-level folders (``model/``, ``agents/``, ``app/``,
``calibration/``, ``reporting/``, ``explorer/``, ``scenarios/``, ``backtest/``); installed, they are
the subpackages ``corridor_abm.model``, ``corridor_abm.agents``, ... (``pyproject.toml`` maps
them), so that no generic name such as ``model`` or ``agents`` lands in ``site-packages``.
Every import in the code names ``corridor_abm.<folder>``.

In a source checkout this folder holds only this file: the package's search path is then the
repository root, so ``corridor_abm.model`` is the folder ``model/`` of the checkout that
imported it (a worktree on ``PYTHONPATH`` runs its own code, not the installed one's).
"""

from pathlib import Path

_HERE = Path(__file__).resolve().parent
if not (_HERE / "model").is_dir() and (_HERE.parent / "model" / "__init__.py").is_file():
    __path__ = [str(_HERE.parent)]  # noqa: F821 — a source checkout: the folders live beside this one
