"""Comparison of scenarios with the baseline: figures from two tiny runs, paired differences
(exactly zero when the scenario equals the baseline), and clear refusals of runs that cannot be
paired."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from corridor_abm.app.experiments import compare_mode, run_mode
from corridor_abm.model.runio import is_complete
from corridor_abm.reporting.compare import (
    CompareError,
    choose_baseline,
    compare_runs,
    final_year_summary,
    load_city_quarter,
    load_run_sets,
    paired_differences,
    variables_of,
)
from tests.test_experiments import tiny_config

ROOT = Path(__file__).resolve().parent.parent
FIGURES = ("city_series", "difference_from_baseline", "maps_change", "relocation_flows")


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """Replicate sets (2 replicates, same master seed) of the baseline, S2, and a copy of the
    baseline under another scenario name (set in Python: the command line cannot relabel a run)."""
    root = tmp_path_factory.mktemp("compare_runs")
    out = {}
    for name, scenario, label in (
        ("baseline", "baseline", None),
        ("s2", "s2_land_exhaustion", None),
        ("copy", "baseline", "baseline_copy"),
    ):
        out[name] = root / name
        config = tiny_config(scenario, "replicates=2")
        if label:
            config.scenario_name = label
        run_mode(config, out[name])
    return out


@pytest.fixture(scope="module")
def compared(runs, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("compared")
    compare_runs([runs["s2"], runs["baseline"]], out)
    return out


def test_compare_draws_its_figures_and_summary_from_two_runs(compared):
    for name in (*FIGURES, "summary_s2_land_exhaustion"):
        assert (compared / "figures" / f"{name}.png").stat().st_size > 20_000, name
    assert not list((compared / "figures").glob("*.tmp.png"))
    prov = json.loads((compared / "provenance.json").read_text())
    assert is_complete(compared) and prov["kind"] == "compare" and prov["baseline"] == "baseline"
    assert [r["label"] for r in prov["runs"]] == ["baseline", "s2_land_exhaustion"]
    summary = pd.read_parquet(compared / "compare_summary.parquet")
    assert set(summary["scenario"]) == {"s2_land_exhaustion"} and set(summary["baseline"]) == {"baseline"}
    assert {"HK", "SZ", "DG", "HZ", "ALL"} == set(summary["city"])
    assert (summary["n_pairs"] == 2).all()
    assert (summary["diff_p05"] <= summary["diff_mean"] + 1e-9).all()
    assert (summary["diff_mean"] <= summary["diff_p95"] + 1e-9).all()
    assert "mean_commercial_rent" not in set(summary.loc[summary["city"] == "ALL", "variable"])
    rent = summary.query("city == 'SZ' and variable == 'mean_commercial_rent'").iloc[0]
    assert rent["diff_mean"] == pytest.approx(rent["scenario_mean"] - rent["baseline_mean"])
    assert rent["diff_mean"] > 0, "no new floor space in Shenzhen raises its rents within a year"
    csv = pd.read_csv(compared / "compare_summary.csv")
    assert len(csv) == len(summary)


def test_paired_differences_are_zero_when_the_scenario_equals_the_baseline(runs):
    sets = load_run_sets([runs["baseline"], runs["copy"]])
    assert [s.label for s in sets] == ["baseline", "baseline_copy"]
    assert sets[0].seeds == sets[1].seeds
    city = load_city_quarter(sets)
    diffs = paired_differences(city, "baseline", variables_of(city))
    assert len(diffs) == len(city) // 2 * len(variables_of(city))
    assert (diffs["diff"] == 0).all()
    summary = final_year_summary(city, "baseline")
    assert not summary.empty
    assert (summary[["diff_mean", "diff_p05", "diff_p95"]].to_numpy() == 0).all()


def test_differences_are_paired_by_seed(runs):
    sets = load_run_sets([runs["baseline"], runs["s2"]])
    city = load_city_quarter(sets)
    diffs = paired_differences(city, "baseline", ["firms"])
    for seed in sets[0].seeds:
        mine = city[city["seed"] == seed]
        base = mine[mine["label"] == "baseline"].set_index(["t", "city"])["firms"]
        scen = mine[mine["label"] == "s2_land_exhaustion"].set_index(["t", "city"])["firms"]
        got = diffs[diffs["seed"] == seed].set_index(["t", "city"])["diff"]
        np.testing.assert_array_equal(got.sort_index().to_numpy(), (scen - base).sort_index().to_numpy())


def test_the_run_named_baseline_is_the_baseline_wherever_it_is_listed(runs):
    sets = load_run_sets([runs["s2"], runs["copy"], runs["baseline"]])
    assert choose_baseline(sets).label == "baseline"


def _copy_with(run_set: Path, dest: Path, **changes) -> Path:
    """A copy of a replicate set whose replicates' provenance has top-level or config keys changed."""
    shutil.copytree(run_set, dest)
    for prov_path in dest.glob("rep_*/provenance.json"):
        prov = json.loads(prov_path.read_text())
        for key, value in changes.items():
            if key == "schema_version":
                prov[key] = value
            else:
                prov["config"][key] = value
        prov_path.write_text(json.dumps(prov))
    return dest


def test_compare_refuses_runs_that_cannot_be_paired(runs, tmp_path):
    base = runs["baseline"]
    with pytest.raises(CompareError, match="runs is empty"):
        load_run_sets([])
    with pytest.raises(CompareError, match="at least two runs"):
        load_run_sets([base])
    with pytest.raises(CompareError, match="nope: no such run directory"):
        compare_runs([base, tmp_path / "nope"], tmp_path / "out")
    unfinished = shutil.copytree(runs["s2"], tmp_path / "unfinished")
    (unfinished / "provenance.json").unlink()
    with pytest.raises(CompareError, match="unfinished is not a complete run"):
        compare_runs([base, unfinished], tmp_path / "out")
    longer = _copy_with(runs["s2"], tmp_path / "longer", quarters=5)
    with pytest.raises(CompareError, match=r"longer.*quarters=5.*baseline.*quarters=4.*not be paired"):
        compare_runs([base, longer], tmp_path / "out")
    old = _copy_with(runs["s2"], tmp_path / "old_schema", schema_version=0)
    with pytest.raises(CompareError, match=r"old_schema.*schema version 0"):
        compare_runs([base, old], tmp_path / "out")
    with pytest.raises(CompareError, match=r"rep_000.*seeds.*baseline.*seeds.*same seed= and replicates="):
        compare_runs([base, runs["s2"] / "rep_000"], tmp_path / "out")
    assert not (tmp_path / "out" / "figures").exists(), "a refused comparison writes nothing"


def test_compare_mode_exits_with_the_reason(runs, tmp_path):
    config = tiny_config()
    config.mode = "compare"
    config.runs = [str(runs["baseline"])]
    with pytest.raises(SystemExit, match="compare refused: .*at least two runs"):
        compare_mode(config, tmp_path / "out")


def test_compare_from_the_command_line(runs, tmp_path):
    out = tmp_path / "cli"
    proc = subprocess.run(
        [sys.executable, "run.py", "mode=compare", f"runs=[{runs['baseline']},{runs['copy']}]", f"hydra.run.dir={out}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert is_complete(out)
    for name in (*FIGURES, "summary_baseline_copy"):
        assert (out / "figures" / f"{name}.png").is_file(), name
    refused = subprocess.run(
        [sys.executable, "run.py", "mode=compare", f"runs=[{runs['baseline']}]", f"hydra.run.dir={tmp_path / 'no'}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert refused.returncode != 0 and "compare refused" in refused.stderr and "at least two runs" in refused.stderr


def test_scenario_table_pairs_seeds_and_prices_the_extra_innovations():
    from scripts.scenario_table import markdown, outcomes, scenario_table

    rows = []
    for label, bump in (("baseline", 0.0), ("s9", 1.0)):
        for seed in (1, 2):
            for t in range(4):
                for city in ("HK", "SZ", "DG", "HZ"):
                    sz = city == "SZ"
                    rows.append(
                        {
                            "label": label,
                            "seed": seed,
                            "t": t,
                            "city": city,
                            "firms": 100.0 * seed + (10.0 * bump if sz else 0.0),
                            "talent": 1000.0,
                            "mean_commercial_rent": 200.0 - (20.0 * bump if sz else 0.0),
                            "mean_house_price": 5e4,
                            "relocations_out": 1.0,
                            "innovations": 10.0 + 5.0 * bump,
                            "gov_spending": 1e9 + 1e8 * bump,
                            "cross_border_commuters": 50.0 + (5.0 * bump if sz else 0.0),
                            "startups_hk_founders": 2.0,
                            "vc_cross_border_amount": 0.0,
                        }
                    )
    table = scenario_table(outcomes(pd.DataFrame(rows)).sort_index(), "baseline")
    row = table.loc["s9"]
    assert row["pairs"] == 2 and row["sz_firms_agree"] == 2
    assert row["sz_firms"] == pytest.approx(100 * (10 / 100 + 10 / 200) / 2)  # mean over the pairs
    assert row["sz_rent"] == pytest.approx(-10.0)
    assert row["innovations"] == pytest.approx(50.0)
    # 4 quarters × 4 cities × ¥0.1bn extra, for 4 × 4 × 5 extra innovations
    assert row["extra_spending_bn"] == pytest.approx(1.6)
    assert row["yuan_per_innovation"] == pytest.approx(1.6e9 / 80)
    assert row["commuters"] == pytest.approx(100 * 5 / 200)  # SZ's +5 over the four cities' 200
    assert row["hk_startups"] == pytest.approx(0.0)
    assert np.isnan(row["vc_cross"])  # no baseline level: no % change
    text = markdown(table)
    assert "| `s9` | +7.5% (2/2)" in text and "| —" in text


def test_pattern_table_counts_moves_and_second_sites(monkeypatch):
    import scripts.scenario_table as st

    city = pd.DataFrame({"label": "baseline", "seed": [1] * 8, "t": list(range(8)), "city": "SZ"})
    tables = {
        "relocations": pd.DataFrame(
            {
                "label": "baseline",
                "seed": 1,
                "from_city": ["SZ", "SZ", "SZ", "SZ"],
                "to_city": ["DG", "DG", "HZ", "SZ"],
                "kind": ["whole firm", "whole firm", "whole firm", "whole firm"],
                "size_class": ["small", "small", "large", "small"],
            }
        ),
        "establishments": pd.DataFrame(
            {
                "label": "baseline",
                "seed": 1,
                "event": ["open", "open", "open", "relocate"],
                "kind": ["plant", "plant", "R&D centre", "plant"],
                "from_city": ["SZ", "SZ", "DG", "SZ"],
                "to_city": ["DG", "SZ", "SZ", "HZ"],
            }
        ),
        "firms_by_class": pd.DataFrame(
            {"label": "baseline", "seed": 1, "city": "SZ", "size_class": ["small", "large"], "firms": [400.0, 40.0]}
        ),
    }
    monkeypatch.setattr(st, "load_table", lambda sets, name: tables[name])
    row = st.patterns([], city).loc[("baseline", 1)]
    assert row["small_out"] == pytest.approx(100 * 2 / 100)  # 2 moves over 400 firm-quarters = 100 firm-years
    assert row["above_out"] == pytest.approx(100 * 1 / 10)
    assert row["dg_share"] == pytest.approx(2 / 3)
    assert row["plants_out"] == pytest.approx(1 / 2) and row["plants_in_sz"] == pytest.approx(1 / 2)  # 8 quarters
    assert row["rd_out"] == 0 and row["rd_into_sz"] == pytest.approx(1 / 2)
    assert "`baseline`" in st.patterns_markdown(st.patterns([], city))


def test_scenario_facts_are_means_over_seeds():
    from scripts.scenario_facts import baseline_facts, scenario_facts

    rows = []
    for seed in (1, 2):
        for t, quarter in enumerate(("2018Q1", "2018Q2", "2019Q1")):
            for city in ("HK", "SZ", "DG", "HZ"):
                rows.append(
                    {
                        "label": "baseline",
                        "seed": seed,
                        "t": t,
                        "quarter": quarter,
                        "city": city,
                        "firms": 10.0 * seed + t,
                        "jobs": 100.0,
                        "talent": 200.0,
                        "entries": 1.0,
                        "exits": float(seed),
                        "mean_commercial_rent": (100.0 if city == "HK" else 50.0) * (1 + t),
                        "cross_border_commuters": 5.0 if city == "SZ" else 0.0,
                    }
                )
    city = pd.DataFrame(rows)
    moves = pd.DataFrame(
        {
            "label": "baseline",
            "seed": [1, 1, 2, 2],
            "quarter": ["2018Q1", "2018Q2", "2018Q1", "2019Q1"],
            "kind": "whole firm",
            "from_city": ["SZ", "SZ", "SZ", "DG"],
            "to_city": ["DG", "HK", "DG", "SZ"],
            "size_class": "small",
        }
    )
    text = "\n".join(baseline_facts(city, moves, "baseline"))
    assert "seeds: 2" in text
    assert "corridor firms: 60 (2018Q1) -> 68 (2019Q1)" in text  # 4 cities × mean(10, 20) + 4 × 2
    assert "exits a year: 2018 12, 2019 6" in text  # mean over seeds of 4 cities × seed × quarters
    assert "SZ commercial rent: x3.00" in text and "SZ commercial rent / HK's: 0.50" in text
    assert "cross-border commuters 2018Q1: 5" in text
    assert "SZ whole-firm moves by destination (SZ: within), 2018: HK 0.5, SZ 0.0, DG 1.0, HZ 0.0" in text
    assert "DG -> SZ whole-firm moves, whole run: 0" in text  # 1 move over 2 seeds, rounded
    final = "\n".join(scenario_facts(city, "baseline"))
    assert "firms: HK 17, SZ 17, DG 17, HZ 17; all 68" in final


def test_flow_facts_pair_seeds_and_split_the_change_in_firms():
    from scripts.scenario_facts import flow_facts

    rows = []
    for label, extra in (("baseline", 0.0), ("s2", 1.0)):
        for seed in (1, 2):
            for t in (0, 1):
                rows.append(
                    {
                        "label": label,
                        "seed": seed,
                        "t": t,
                        "quarter": ("2018Q1", "2018Q2")[t],
                        "city": "SZ",
                        "firms": 100.0 * seed - (5.0 * extra if t == 1 else 0.0),
                        "entries": 10.0 * seed - 2.0 * extra,  # pairing cancels the seed effect
                        "exits": 3.0,
                        "relocations_out": 1.0 + 2.0 * extra,
                        "relocations_in": 1.0 - 0.5 * extra,
                    }
                )
    text = flow_facts(pd.DataFrame(rows), "baseline", "s2")[0]
    assert "(paired mean): -5;" in text
    assert "entries -4, exits +0, moves out +4, moves in -1 (net -9)" in text


def test_net_site_facts_count_sites_leaving_less_those_entering_and_pair_seeds():
    from scripts.scenario_facts import net_site_facts

    def event(label, seed, event, kind, frm, to):
        return {"label": label, "seed": seed, "event": event, "kind": kind, "from_city": frm, "to_city": to}

    rows = []
    for seed in (1, 2):
        # the baseline: per seed one plant opened out of SZ and one moved back in (net 0), and one
        # R&D centre moved out (net 1); a move within SZ, a move between DG and HZ and a closure
        # outside SZ never count
        rows += [
            event("baseline", seed, "open", "plant", "SZ", "DG"),
            event("baseline", seed, "relocate", "plant", "DG", "SZ"),
            event("baseline", seed, "relocate", "R&D centre", "SZ", "DG"),
            event("baseline", seed, "relocate", "plant", "SZ", "SZ"),
            event("baseline", seed, "relocate", "plant", "DG", "HZ"),
            event("baseline", seed, "close", "plant", "DG", "SZ"),
        ]
        # the scenario: seed 1 sends one more plant out; seed 2 two more; no R&D centre leaves
        rows += [event("s2", seed, "open", "plant", "SZ", "DG")] * (1 + seed)
        rows += [event("s2", seed, "relocate", "plant", "DG", "SZ")]
    lines = net_site_facts(pd.DataFrame(rows), "baseline", "s2")
    plant, centre, both = lines[1], lines[2], lines[3]
    assert "out 1.0 -> 2.5, in 1.0 -> 1.0; net 0.0 -> 1.5 (paired +1.5, se 0.5, more in 2 of 2 pairs)" in plant
    assert "net 1.0 -> 0.0 (paired -1.0, se 0.0, more in 0 of 2 pairs)" in centre
    assert "net 1.0 -> 1.5 (paired +0.5, se 0.5, more in 1 of 2 pairs)" in both
