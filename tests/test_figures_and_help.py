"""Figures for papers (palette, greyscale, formats), the command line's help and the install."""

from __future__ import annotations

import importlib.metadata
import itertools
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from corridor_abm.app.settings import MODES, compose_config, scenario_names
from corridor_abm.calibration import plots as calibration_plots
from corridor_abm.model.params import ConfigError
from corridor_abm.model.runio import reinstall_info
from corridor_abm.reporting.plots import plot_city_series, plot_run
from corridor_abm.reporting.style import (
    CITY_COLOURS,
    CITY_LINESTYLES,
    CITY_MARKERS,
    OKABE_ITO,
    grey_value,
    run_styles,
    save_figure,
)

ROOT = Path(__file__).resolve().parent.parent


def test_cities_differ_without_colour_and_in_greyscale():
    assert set(CITY_COLOURS.values()) <= set(OKABE_ITO.values())
    assert len({str(s) for s in CITY_LINESTYLES.values()}) == 4 and len(set(CITY_MARKERS.values())) == 4
    greys = sorted(grey_value(c) for c in CITY_COLOURS.values())
    assert min(b - a for a, b in itertools.pairwise(greys)) >= 0.05
    styles = run_styles([f"run {k}" for k in range(6)])
    assert len({(s["color"], str(s["linestyle"])) for s in styles.values()}) == 6
    assert len({str(s["linestyle"]) for s in styles.values()}) == 6  # runs differ by line style alone


def test_run_plots_write_pdf_and_svg(small_run, tmp_path):
    written = plot_run(small_run.tables, small_run.cmap, tmp_path / "pdf", "test", fmt="pdf", dpi=100)
    assert len(written) == 8 and all(p.suffix == ".pdf" and p.read_bytes()[:4] == b"%PDF" for p in written)
    assert not list((tmp_path / "pdf").glob("*.tmp.*"))
    svg = plot_city_series(small_run.tables["city_quarter"], "test", tmp_path / "city_series.svg")
    assert b"<svg" in (tmp_path / "city_series.svg").read_bytes()[:2000]
    labels = [ax.get_ylabel() for ax in svg.axes]
    assert all("(" in label for label in labels)  # every y axis names its unit
    assert all(ax.get_xlabel() == "year" for ax in svg.axes[-3:])


@pytest.mark.skipif("fork" not in __import__("multiprocessing").get_all_start_methods(), reason="no fork here")
def test_plots_drawn_with_a_helper_are_the_same_files(small_run, tmp_path):
    alone = plot_run(small_run.tables, small_run.cmap, tmp_path / "alone", "test", dpi=60, helper=False)
    helped = plot_run(small_run.tables, small_run.cmap, tmp_path / "helped", "test", dpi=60, helper=True)
    assert [p.name for p in alone] == [p.name for p in helped] and len(alone) == 8
    assert all(a.read_bytes() == h.read_bytes() for a, h in zip(alone, helped, strict=True))
    assert not list((tmp_path / "helped").glob("*.tmp.*"))


@pytest.mark.skipif("fork" not in __import__("multiprocessing").get_all_start_methods(), reason="no fork here")
def test_a_failing_plot_helper_stops_the_run(small_run, tmp_path):
    broken = {**small_run.tables, "city_quarter": small_run.tables["city_quarter"].iloc[:, :2]}  # the helper's figure
    with pytest.raises(RuntimeError, match="plotting helper process failed"):
        plot_run(broken, small_run.cmap, tmp_path, "test", dpi=60, helper=True)


def test_a_run_with_its_progress_bar_leaves_no_thread_behind():
    """The plotting helper forks only a process with one thread: the progress bar of `python
    run.py` must not leave tqdm's monitor thread running."""
    import threading

    from corridor_abm.model.simulate import simulate

    before = {t.name for t in threading.enumerate()}
    simulate(
        compose_config("baseline", ["n_firms=300", "n_talent=3000", "population_share=0.0125", "quarters=2"]),
        progress=True,
    )
    assert {t.name for t in threading.enumerate()} <= before


def test_figure_settings_are_validated():
    cfg = compose_config("baseline", ["output.format=pdf", "output.dpi=300"])
    assert cfg.output.format == "pdf" and cfg.output.dpi == 300
    with pytest.raises(ConfigError, match="output.format"):
        compose_config("baseline", ["output.format=gif"])
    with pytest.raises(ConfigError, match="output.dpi"):
        compose_config("baseline", ["output.dpi=10"])
    import matplotlib.pyplot as plt

    fig = plt.figure()
    with pytest.raises(ValueError, match="not one of"):
        save_figure(fig, Path("x.gif"))
    plt.close(fig)


def test_sobol_and_morris_bars_differ_without_colour(tmp_path, monkeypatch):
    captured = []
    monkeypatch.setattr(calibration_plots, "_save", lambda fig, path, dpi=150: captured.append(fig))
    params = ["a", "b", "c"]
    morris = pd.DataFrame(
        {"outcome": "y", "parameter": params, "mu_star": [1.0, 2, 3], "mu_star_conf": 0.1, "sigma": [0.5, 1, 2]}
    )
    sobol = pd.DataFrame(
        {
            "outcome": "y",
            "parameter": params,
            "S1": [0.1, 0.2, 0.3],
            "S1_conf": 0.05,
            "ST": [0.2, 0.4, 0.6],
            "ST_conf": 0.05,
        }
    )
    calibration_plots.plot_sensitivity(morris, sobol, {"y": "outcome y"}, tmp_path / "s.png")
    (fig,) = captured
    from matplotlib.container import BarContainer

    assert len(fig.axes) == 2
    for ax in fig.axes:
        pairs = [c for c in ax.containers if isinstance(c, BarContainer)]
        assert len(pairs) == 2
        bars = [pairs[0].patches[0], pairs[1].patches[0]]
        greys = [grey_value(b.get_facecolor()[:3]) for b in bars]
        hatches = [b.get_hatch() or "" for b in bars]
        assert abs(greys[0] - greys[1]) > 0.3 or hatches[0] != hatches[1], ax.get_title()
        assert ax.get_xlabel() or ax.get_ylabel()


def test_help_lists_modes_scenarios_with_their_documents_and_levers_with_units():
    proc = subprocess.run([sys.executable, "run.py", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert len(text.splitlines()) < 250 and "defaults:" not in text and "== Config ==" not in text
    for mode in MODES:
        assert re.search(rf"^  {mode}\s", text, flags=re.M), mode
    for name in scenario_names():
        assert re.search(rf"^  {name}\s", text, flags=re.M), name
        body = (ROOT / "scenarios" / "scenario" / f"{name}.yaml").read_text()
        cited = re.findall(r"\d{3}_[0-9a-f]{16}\.txt", body)
        if name == "historical":  # built on public figures, not on a seed document
            assert not cited and "Sources: docs/research/issue12_figures.md" in text, name
        else:
            assert cited and cited[0] in text, name
    for key, unit in [
        ("land.sz_supply", "[× baseline]"),
        ("government.talent_subsidy", "[¥ per eligible talent per year]"),
        ("border.capital_friction", "[share]"),
        ("transport.speedup_sz_dg", "[× speed]"),
        ("output.format", "[-]"),
    ]:
        assert re.search(rf"^  {re.escape(key)} = .*{re.escape(unit)}", text, flags=re.M), key
    assert "allowed [0, 20]" in text and "docs/parameters.md" in text


def test_console_command_and_reinstall_instructions():
    scripts = {e.name: e.value for e in importlib.metadata.entry_points(group="console_scripts")}
    assert scripts.get("corridor") == "corridor_abm.app.main:cli"
    # one installed package: none of the repository's generic folder names is a top-level name
    top = importlib.metadata.distribution("corridor-abm").read_text("top_level.txt")
    assert top is None or set(top.split()) <= {"corridor_abm"}, top
    info = reinstall_info()
    assert info["constraints"] == "constraints.txt" and "-c constraints.txt" in info["command"]
    pins = [line for line in (ROOT / "constraints.txt").read_text().splitlines() if "==" in line]
    assert {"mesa", "numpy", "pandas", "pyarrow", "duckdb", "solara"} <= {p.split("==")[0].lower() for p in pins}
    assert isinstance(info["differs_from_constraints"], dict)
    assert json.loads(json.dumps(info)) == info
