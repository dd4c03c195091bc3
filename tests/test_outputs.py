"""The command line writes a complete, documented run directory — or visibly an incomplete one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from corridor_abm.app import experiments as save
from corridor_abm.model.runio import is_complete, read_tables
from corridor_abm.model.simulate import simulate
from corridor_abm.model.tables import TABLE_SCHEMAS
from tests.conftest import TINY_SAMPLE, small_config

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = {name: columns for name, (_, columns) in TABLE_SCHEMAS.items()}
TINY = ["quarters=3", *TINY_SAMPLE]


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run")
    proc = subprocess.run(
        [sys.executable, "run.py", *TINY, f"hydra.run.dir={out}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def test_cli_run_is_complete_with_provenance(cli_run):
    assert is_complete(cli_run)
    prov = json.loads((cli_run / "provenance.json").read_text())
    assert prov["seed"] == 20180101 and prov["scenario"] == "baseline"
    assert {"numpy", "mesa", "hydra-core", "pandas"} <= set(prov["packages"])
    assert "commit" in prov["git"] and prov["wall_seconds"] > 0
    assert prov["config"]["quarters"] == 3
    for name in (
        "city_series",
        "relocation_flows",
        "size_selection_SZ",
        "maps",
        "base_map",
        "innovation_and_capital",
        "government",
    ):
        assert (cli_run / "plots" / f"{name}.png").stat().st_size > 10_000


def test_tables_follow_the_documented_schemas(cli_run):
    tables = read_tables(cli_run)
    readme = (ROOT / "README.md").read_text()
    for name, columns in SCHEMAS.items():
        assert list(tables[name].columns) == list(columns), name
        for col in columns:
            assert f"`{col}`" in readme, f"README does not document {name}.{col}"
    city = tables["city_quarter"]
    assert len(city) == 3 * 4 and city["quarter"].iloc[0] == "2018Q1"


def test_the_commuting_matrix_adds_up_to_jobs_residents_and_border_commuters(cli_run):
    """Each city's row of the commuting matrix (``residents_working_in_*``) counts its employed
    residents; its columns add up to the jobs of each city; the cells across the HK–mainland
    border are the cross-border commuters."""
    city = read_tables(cli_run)["city_quarter"]
    codes = ["hk", "sz", "dg", "hz"]
    cols = [f"residents_working_in_{c}" for c in codes]
    for _, q in city.groupby("t"):
        q = q.set_index("city")
        pd.testing.assert_series_equal(q[cols].sum(axis=1), q["talent"] - q["unemployed"], check_names=False, rtol=1e-9)
        jobs = q[cols].sum(axis=0)
        assert jobs.to_numpy().tolist() == pytest.approx(q.loc[["HK", "SZ", "DG", "HZ"], "jobs"].tolist())
        across = q.loc["HK", cols[1:]].sum() + q.loc[["SZ", "DG", "HZ"], cols[0]].sum()
        assert across == pytest.approx(q["cross_border_commuters"].sum())
        assert q["cross_border_commuters"].sum() > 0


def test_readme_schemas_are_generated_from_the_code():
    from scripts.write_docs import schema_markdown

    assert schema_markdown() in (ROOT / "README.md").read_text(), "run: python scripts/write_docs.py"


def test_bad_input_stops_before_the_run(tmp_path):
    for arg, message in [
        ("land.sz_suply=0", "Unknown config key 'land.sz_suply'"),
        ("land.sz_supply=-1", "out of range"),
    ]:
        out = tmp_path / arg.split("=")[0]
        proc = subprocess.run(
            [sys.executable, "run.py", arg, f"hydra.run.dir={out}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode != 0
        assert message in proc.stdout + proc.stderr
        assert not is_complete(out)


def test_failure_while_writing_leaves_an_incomplete_run(tmp_path, monkeypatch):
    result = simulate(small_config(quarters=2, n_firms=600, n_talent=6000, population_share=0.025))

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(save, "plot_run", broken)
    with pytest.raises(RuntimeError):
        save.save_run(result, tmp_path)
    assert not is_complete(tmp_path)
    assert not (tmp_path / "provenance.json").exists()
    with pytest.raises(FileNotFoundError):
        read_tables(tmp_path)
    # a successful rewrite into the same directory completes it
    monkeypatch.undo()
    save.save_run(result, tmp_path, plots=False)
    assert is_complete(tmp_path)
    assert isinstance(read_tables(tmp_path)["city_quarter"], pd.DataFrame)
