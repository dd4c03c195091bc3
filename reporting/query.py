"""Query any set of runs with SQL: every table of every run, and the ``runs`` index, in DuckDB.

    python -m corridor_abm.reporting.query outputs/multirun/my_sweep "SELECT count(*) FROM relocations"
    python -m corridor_abm.reporting.query outputs/reps/baseline outputs/reps/s2 "SELECT ..." --csv out.csv

Each folder may be a run, a replicate set, a sweep, or any folder holding them. The database
(in memory) has:

* ``runs`` — one row per run found (:mod:`reporting.index`), with ``run`` (its folder, relative
  to the current directory when it lies below it), ``root`` (the folder given) and one column per
  overridden key (quote dotted names: ``"land.sz_supply"``);
* one view per table of :data:`model.tables.TABLE_SCHEMAS` (``city_quarter``, ``relocations``,
  ``firms_by_class``, ...) over the parquet files of every complete run, with a first column
  ``run`` to join on ``runs``.

From Python::

    from corridor_abm.reporting.query import connect, query
    con = connect(["outputs/multirun/my_sweep"])         # a duckdb connection
    frame = query(["outputs/multirun/my_sweep"], "SELECT * FROM runs")   # a pandas DataFrame

The files are plain parquet with fixed types (``model.runio.arrow_schema``): R's ``arrow``,
DuckDB or pyarrow read them as they are, e.g. ``duckdb -c "SELECT * FROM
'outputs/multirun/x/*/tables/relocations.parquet'"``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pandas as pd

from corridor_abm.model.tables import TABLE_SCHEMAS
from corridor_abm.reporting.index import index_table

TABLES: tuple[str, ...] = tuple(TABLE_SCHEMAS)
"""The per-run tables that become views."""


def _shown(path: Path) -> str:
    """A run's folder as the ``run`` column shows it: relative to the working directory if below it."""
    path = path.resolve()
    try:
        return path.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def connect(paths: Iterable[str | Path], database: str = ":memory:") -> duckdb.DuckDBPyConnection:
    """Open runs as tables in an embedded DuckDB database.

    Args:
        paths: Run, replicate-set, sweep or other folders holding runs.
        database: DuckDB database (default in memory).

    Returns:
        A connection with the table ``runs`` and one view per run table.

    Raises:
        FileNotFoundError: if a folder does not exist or no run is found.
    """
    frames = []
    for raw in paths:
        root = Path(raw)
        if not root.is_dir():
            raise FileNotFoundError(f"{root}: no such folder")
        frame = index_table(root).to_pandas()
        if frame.empty:
            continue
        frame["run"] = [_shown(root / r) for r in frame["run"]]
        frame.insert(1, "root", str(raw))
        frames.append(frame)
    if not frames:
        raise FileNotFoundError(f"no run found under {', '.join(str(p) for p in paths)}")
    runs = pd.concat(frames, ignore_index=True)
    if runs["run"].duplicated().any():
        runs = runs.drop_duplicates("run")  # a folder given twice, or inside another given folder
    con = duckdb.connect(database)
    con.register("runs_frame", runs)
    con.execute("CREATE TABLE runs AS SELECT * FROM runs_frame")
    con.unregister("runs_frame")
    complete = runs[runs["status"] == "complete"]["run"].tolist()
    for table in TABLES:
        files = {run: Path(run) / "tables" / f"{table}.parquet" for run in complete}
        files = {run: f.resolve().as_posix() for run, f in files.items() if f.is_file()}
        if not files:
            continue
        con.execute(f"CREATE OR REPLACE TEMP TABLE _files_{table} (file VARCHAR, run VARCHAR)")
        con.executemany(f"INSERT INTO _files_{table} VALUES (?, ?)", [(f, r) for r, f in files.items()])
        listed = ", ".join(_sql_text(f) for f in files.values())
        con.execute(
            f"CREATE VIEW {table} AS SELECT f.run, t.* EXCLUDE (filename) "
            f"FROM read_parquet([{listed}], filename = true, union_by_name = true) t "
            f"JOIN _files_{table} f ON t.filename = f.file"
        )
    return con


def query(paths: Iterable[str | Path], sql: str) -> pd.DataFrame:
    """Run one SQL statement over the runs under ``paths`` and return the result.

    Args:
        paths: Run, replicate-set, sweep or other folders holding runs.
        sql: A DuckDB SQL query over ``runs`` and the run tables.

    Returns:
        The result as a pandas DataFrame.
    """
    con = connect(paths)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m corridor_abm.reporting.query DIR [DIR ...] "SQL" [--csv FILE]``."""
    parser = argparse.ArgumentParser(
        description="Query runs with SQL (DuckDB): the runs index as `runs`, every run table as a view "
        f"({', '.join(TABLES)}), each with a `run` column to join on.",
    )
    parser.add_argument("dirs", nargs="+", type=Path, help="run, replicate-set or sweep folders")
    parser.add_argument("sql", help='the SQL query (quote dotted override columns: "land.sz_supply")')
    parser.add_argument("--csv", type=Path, help="write the result to this CSV file as well")
    parser.add_argument("--max-rows", type=int, default=200, help="rows to print (default 200)")
    args = parser.parse_args(argv)
    try:
        result = query(args.dirs, args.sql)
    except (FileNotFoundError, duckdb.Error) as err:
        print(f"query: {err}", file=sys.stderr)
        return 2
    if args.csv:
        result.to_csv(args.csv, index=False)
    with pd.option_context("display.max_rows", args.max_rows, "display.max_columns", 50, "display.width", 200):
        print(result.to_string(index=False, max_rows=args.max_rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
