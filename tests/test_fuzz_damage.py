"""Property-based: compare and resume never produce a result from a damaged run.

Hypothesis damages copies of finished runs — truncates, empties, deletes, flips a byte in,
appends to, swaps or chmods a table or the provenance, of a single run or of one replicate of a
replicate set — and checks that the comparison is refused with a message naming the damaged
file (or, where the damage changed no byte, e.g. chmod for root, that the bytes are intact),
and that resume does not take the run as finished. A few damaged runs are then really rerun
and must come back identical to the undamaged ones.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corridor_abm.app.experiments import finished_with, run_mode
from corridor_abm.model.runio import run_status
from corridor_abm.reporting.compare import CompareError, check_compare
from tests.test_experiments import tiny_config

QUICK = ("quarters=2",)
DAMAGES = ("truncate", "empty", "delete", "flip", "append", "swap", "chmod")


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> dict[str, Path]:
    """Finished runs: the baseline and S2 (single runs), and a baseline replicate set of two."""
    root = tmp_path_factory.mktemp("pristine")
    runs = {
        "baseline": root / "baseline",
        "s2": root / "s2",
        "reps": root / "reps",
        "reps_s2": root / "reps_s2",
    }
    run_mode(tiny_config("baseline", *QUICK), runs["baseline"])
    run_mode(tiny_config("s2_land_exhaustion", *QUICK), runs["s2"])
    run_mode(tiny_config("baseline", *QUICK, "replicates=2", "workers=1"), runs["reps"])
    # the replicate set's partner in a comparison: the same tables under another recorded label
    # (cheaper than simulating it; the checksums cover the tables, not the provenance)
    shutil.copytree(runs["reps"], runs["reps_s2"])
    for prov_path in runs["reps_s2"].rglob("provenance.json"):
        prov = json.loads(prov_path.read_text())
        prov["scenario"] = prov["config"]["scenario_name"] = "partner"
        prov_path.write_text(json.dumps(prov))
    return runs


CONFIGS = {
    "baseline": ("baseline", []),
    "s2": ("s2_land_exhaustion", []),
    "reps": ("baseline", ["replicates=2", "workers=1"]),
}


def _files(run: Path) -> list[Path]:
    return sorted(p for p in run.rglob("*") if p.is_file() and p.suffix in (".parquet", ".json"))


def _damage(path: Path, how: str, other: Path, at: int) -> None:
    data = path.read_bytes()
    if how == "truncate":
        path.write_bytes(data[: at % max(len(data) - 1, 1)])
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "delete":
        path.unlink()
    elif how == "flip":
        i = at % len(data)
        path.write_bytes(data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1 :])
    elif how == "append":
        path.write_bytes(data + b"\0" * (1 + at % 64))
    elif how == "swap":
        shutil.copyfile(other, path)
    else:
        path.chmod(0)


@settings(max_examples=50, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    target=st.sampled_from(["baseline", "s2", "reps"]),
    pick=st.integers(0, 10_000),
    how=st.sampled_from(DAMAGES),
    at=st.integers(0, 10_000),
)
def test_a_damaged_run_is_never_compared_nor_taken_as_finished(pristine, tmp_path_factory, target, pick, how, at):
    work = Path(tmp_path_factory.mktemp("damaged"))
    partner = {"baseline": "s2", "s2": "baseline", "reps": "reps_s2"}[target]
    copies = {name: Path(shutil.copytree(pristine[name], work / name)) for name in (target, partner)}
    run = copies[target]
    files = _files(run)
    victim = files[pick % len(files)]
    rel = victim.relative_to(run)
    other = pristine["s2" if target != "s2" else "baseline"] / "tables" / "city_quarter.parquet"
    _damage(victim, how, other, at)
    try:
        intact = victim.is_file() and victim.read_bytes() == (pristine[target] / rel).read_bytes()
    except OSError:
        intact = False
    out = work / "compared"
    try:
        check_compare([copies[target], copies[partner]], out)
        refused = None
    except CompareError as err:
        refused = str(err)
    status = run_status(run)
    scenario, extra = CONFIGS[target]
    resumed = finished_with(run, tiny_config(scenario, *QUICK, *extra))
    victim.parent.mkdir(parents=True, exist_ok=True)
    if victim.exists():
        victim.chmod(0o644)
    if intact:  # e.g. chmod for root: nothing was damaged, so the run may be used
        assert refused is None and status.complete and resumed, (rel, how, refused, status.reason)
        return
    assert refused is not None, f"compare used {run} with {rel} damaged ({how})"
    assert victim.name in refused and "\n" not in refused, refused
    assert not status.complete and victim.name in status.reason, status.reason
    assert not resumed, f"resume took {run} as finished with {rel} damaged ({how})"
    assert not out.exists(), "a refused comparison wrote its folder"


@pytest.mark.parametrize(
    ("target", "victim"), [("s2", "tables/city_quarter.parquet"), ("reps", "rep_001/provenance.json")]
)
def test_rerunning_a_damaged_run_repairs_it_exactly(pristine, tmp_path, target, victim):
    run = Path(shutil.copytree(pristine[target], tmp_path / target))
    path = run / victim
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    scenario, extra = CONFIGS[target]
    run_mode(tiny_config(scenario, *QUICK, *extra), run)
    assert run_status(run).complete
    for table in sorted(pristine[target].rglob("*.parquet")):
        rel = table.relative_to(pristine[target])
        pd.testing.assert_frame_equal(pd.read_parquet(run / rel), pd.read_parquet(table))
    assert os.access(run / victim, os.R_OK)
