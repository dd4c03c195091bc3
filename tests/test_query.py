"""Queries across runs: the runs index, fixed table schemas, one dataset over many runs, SQL.

Uses the shared four-job sweep (2 scenarios × 2 values of ``land.hz_supply``, 2 quarters), a
replicate set and a one-quarter run, all of the current code, and a run whose tables are empty.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from corridor_abm.app.experiments import run_replicates, save_run
from corridor_abm.model.runio import SCHEMA_VERSION, arrow_schema, read_tables, to_arrow, write_tables
from corridor_abm.model.simulate import simulate
from corridor_abm.model.tables import COLUMN_TYPES, TABLE_SCHEMAS
from corridor_abm.reporting.index import INDEX_FILE, read_index
from corridor_abm.reporting.query import connect, query
from tests.conftest import small_config

ROOT = Path(__file__).resolve().parent.parent

FIRMS_LEAVING_SZ = """
SELECT r."land.hz_supply" AS hz_supply, m.size_class, count(*) AS firms_left
FROM relocations m JOIN runs r USING (run)
WHERE m.from_city = 'SZ' AND m.to_city <> 'SZ' AND m.kind = 'whole firm'
GROUP BY ALL ORDER BY ALL
"""
"""The README's recipe: whole firms that left Shenzhen, by size class and swept value."""

PAIRED = """
WITH f AS (SELECT r.scenario, r.seed, r."land.hz_supply" AS hz, c.quarter, c.city, c.firms
           FROM city_quarter c JOIN runs r USING (run))
SELECT s.scenario, s.hz, s.city, s.quarter, avg(s.firms - b.firms) AS diff, count(*) AS pairs
FROM f s JOIN f b ON b.scenario = 'baseline' AND b.seed = s.seed AND b.hz = s.hz
                 AND b.quarter = s.quarter AND b.city = s.city
WHERE s.scenario <> 'baseline'
GROUP BY ALL ORDER BY ALL
"""
"""The README's recipe: paired differences scenario − baseline (same seed) of any table."""


@pytest.fixture(scope="module")
def more_runs(tmp_path_factory) -> Path:
    """A replicate set of two quick runs and a one-quarter run, under one folder."""
    root = tmp_path_factory.mktemp("runs")
    cfg = small_config(quarters=1, n_firms=600, n_talent=6000, population_share=0.025)
    cfg.replicates, cfg.workers, cfg.output.plots = 2, 1, False
    run_replicates(cfg, root / "reps")
    one = small_config(quarters=1, n_firms=600, n_talent=6000, population_share=0.025, seed=5)
    save_run(simulate(one), root / "one_quarter", plots=False)
    return root


def test_every_run_replicate_set_and_sweep_writes_a_runs_index(shared_sweep, more_runs, tmp_path):
    sweep = pd.read_parquet(shared_sweep / INDEX_FILE)
    assert len(sweep) == 4 and (sweep["status"] == "complete").all()
    assert sorted(sweep["run"]) == ["0", "1", "2", "3"] and sorted(sweep["job"]) == [0, 1, 2, 3]
    assert set(sweep["scenario"]) == {"baseline", "s2_land_exhaustion"}
    assert sorted(sweep["land.hz_supply"]) == [0.5, 0.5, 1.0, 1.0]
    assert sweep["land.hz_supply"].dtype.kind == "f"
    assert (sweep["schema_version"] == SCHEMA_VERSION).all() and sweep["commit"].notna().all()
    assert sweep["overrides"].str.contains("land.hz_supply=").all()
    reps = pd.read_parquet(more_runs / "reps" / INDEX_FILE)
    assert list(reps["replicate"]) == [0, 1] and reps["seed"].nunique() == 2
    assert (reps["master_seed"] == 20180101).all()
    single = pd.read_parquet(more_runs / "one_quarter" / INDEX_FILE)
    assert list(single["run"]) == ["."] and single["replicate"].tolist() == [-1]
    everything = read_index(more_runs)
    assert sorted(everything["run"]) == ["one_quarter", "reps/rep_000", "reps/rep_001"]
    # an interrupted run is listed as incomplete (and its tables are left out of queries)
    shutil.copytree(more_runs / "one_quarter", tmp_path / "broken")
    (tmp_path / "broken" / "provenance.json").unlink()
    assert read_index(tmp_path)["status"].tolist() == ["incomplete"]


def test_every_table_has_its_fixed_schema_with_units_and_meanings(shared_sweep, more_runs):
    files = sorted(shared_sweep.glob("*/tables/*.parquet")) + sorted(more_runs.rglob("tables/*.parquet"))
    seen = set()
    for path in files:
        name = path.stem
        if name not in TABLE_SCHEMAS:
            continue
        schema = pq.read_schema(path)
        seen.add(name)
        assert schema.names == list(COLUMN_TYPES[name]), path
        assert not any(pa.types.is_null(f.type) or pa.types.is_large_string(f.type) for f in schema), path
        for field in schema:
            assert field.metadata[b"unit"] and field.metadata[b"meaning"], (path, field.name)
        assert schema.metadata[b"table"] == name.encode()
        if "quarter" in schema.names:
            assert schema.field("quarter").type == pa.string()
    assert seen == set(TABLE_SCHEMAS)


def test_an_empty_table_keeps_its_types_and_reads_with_full_ones(shared_sweep, tmp_path):
    tables = read_tables(shared_sweep / "0")
    empty = {name: frame.iloc[:0] for name, frame in tables.items()}  # a run in which nothing happened
    write_tables(empty, tmp_path)
    for name in TABLE_SCHEMAS:
        path = tmp_path / "tables" / f"{name}.parquet"
        assert pq.read_schema(path) == arrow_schema(name), name  # `quarter` is a string, not null
        both = ds.dataset([str(path), str(shared_sweep / "0" / "tables" / f"{name}.parquet")]).to_table()
        assert both.num_rows == len(tables[name])


def test_pyarrow_reads_every_table_of_every_run_as_one_dataset(shared_sweep, more_runs):
    import duckdb

    for name in TABLE_SCHEMAS:  # DuckDB over a glob, without the query tool (it failed on null columns)
        glob = (shared_sweep / "*" / "tables" / f"{name}.parquet").as_posix()
        count = duckdb.connect().execute(f"SELECT count(*) FROM read_parquet('{glob}')").fetchone()[0]
        assert count == sum(pq.read_metadata(p).num_rows for p in shared_sweep.glob(f"*/tables/{name}.parquet"))
    for name in TABLE_SCHEMAS:
        paths = [str(p) for p in [*shared_sweep.glob(f"*/tables/{name}.parquet"), *more_runs.rglob(f"{name}.parquet")]]
        assert len(paths) == 7, name
        table = ds.dataset(paths, format="parquet").to_table()
        assert table.schema.names == list(COLUMN_TYPES[name])
        assert table.num_rows == sum(pq.read_metadata(p).num_rows for p in paths)


def test_values_survive_the_fixed_schema():
    result = simulate(small_config(quarters=2, n_firms=600, n_talent=6000, population_share=0.025, seed=3))
    for name, frame in result.tables.items():
        back = to_arrow(frame, name).to_pandas()
        pd.testing.assert_frame_equal(frame.reset_index(drop=True), back, check_dtype=False)


def test_one_sql_query_answers_who_left_shenzhen_by_swept_value(shared_sweep, more_runs):
    con = connect([shared_sweep, more_runs])
    tables = {row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"runs", *TABLE_SCHEMAS} <= tables
    assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 7
    rows = con.execute("SELECT count(*), count(DISTINCT run) FROM city_quarter").fetchone()
    assert rows == (4 * 2 * 4 + 2 * 1 * 4 + 4, 7)
    con.close()
    moves = query([shared_sweep], FIRMS_LEAVING_SZ)
    assert list(moves.columns) == ["hz_supply", "size_class", "firms_left"]
    # the same counts by hand from the files and the jobs' overrides
    index = read_index(shared_sweep).set_index("run")
    by_hand: dict[tuple[float, str], int] = {}
    for path in shared_sweep.glob("*/tables/relocations.parquet"):
        t = pd.read_parquet(path)
        left = t[(t["from_city"] == "SZ") & (t["to_city"] != "SZ") & (t["kind"] == "whole firm")]
        hz = float(index.loc[path.parent.parent.name, "land.hz_supply"])
        for size, n in left["size_class"].value_counts().items():
            by_hand[(hz, size)] = by_hand.get((hz, size), 0) + int(n)
    assert {(float(r.hz_supply), r.size_class): int(r.firms_left) for r in moves.itertuples()} == by_hand
    paired = query([shared_sweep], PAIRED)
    assert len(paired) == 2 * 4 * 2 and (paired["pairs"] == 1).all()  # 2 hz values × cities × quarters


def test_the_query_command_prints_the_answer(shared_sweep):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "corridor_abm.reporting.query",
            str(shared_sweep),
            "SELECT scenario, count(*) AS n FROM runs GROUP BY 1 ORDER BY 1",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "baseline" in proc.stdout and "s2_land_exhaustion" in proc.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "reporting.query", str(shared_sweep), "SELECT nope FROM runs"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert bad.returncode == 2 and "nope" in bad.stderr
