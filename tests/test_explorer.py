"""The browser explorer: its model adapter, its figures, and the page in a real headless browser.

The browser test starts the explorer's server (``explorer.serve.serve``, as ``python run.py
mode=explore`` does) on a free port of 127.0.0.1, drives Debian's Chromium with Playwright, moves
a lever, rebuilds the model, steps it and checks that the map and the series change; it writes a
screenshot to ``outputs/test-artefacts/explorer.png`` (``CORRIDOR_TEST_ARTEFACTS`` to change).
Outside CI it is skipped when Chromium or Playwright is missing; in CI (``CI`` set) it fails.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from corridor_abm.app.settings import compose_config
from corridor_abm.explorer.corridor_explorer import LEVERS, CorridorExplorer, explorer_config
from corridor_abm.explorer.views import flows_figure, map_figure, series_figure
from corridor_abm.model.params import ConfigError

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTEFACTS = Path(os.environ.get("CORRIDOR_TEST_ARTEFACTS", ROOT / "outputs" / "test-artefacts"))


def test_levers_act_on_top_of_the_scenario_and_are_clipped_to_their_range():
    s2 = explorer_config("s2_land_exhaustion")
    moved = explorer_config(
        "s2_land_exhaustion", levers={"land_sz": 0.5, "border_capital": 0.5, "talent_subsidy_sz": 20, "land_dg": -5}
    )
    assert s2.land.sz_supply == 0.0 and moved.land.sz_supply == 0.5
    assert moved.border.capital_friction == pytest.approx(0.5 * s2.border.capital_friction)
    assert moved.government.talent_subsidy.sz == s2.government.talent_subsidy.sz + 20_000
    assert moved.land.dg_supply == 0.0  # clipped at the key's lower bound
    assert moved.n_firms == 625 and moved.n_talent == 6250
    neutral = explorer_config("s2_land_exhaustion", levers={lever.name: lever.neutral for lever in LEVERS})
    assert neutral == s2


def test_the_scenario_and_the_baseline_are_paired_and_the_figures_draw():
    model = CorridorExplorer(scenario="baseline", land_sz=-1.0)
    assert model.levers_in_force() == [("land.sz_supply", 1.0, 0.0)]
    for figure in (map_figure, series_figure, flows_figure):
        assert figure(model).axes  # before the first step too
    for _ in range(3):
        model.step()
    assert model.quarter == "2018Q3" and model.steps == 3
    scen, base = model.tables("scenario")["city_quarter"], model.tables("baseline")["city_quarter"]
    assert len(scen) == len(base) == 12
    assert scen["commercial_floor_m2"].iloc[-4:].sum() < base["commercial_floor_m2"].iloc[-4:].sum()
    # the baseline beside it is the baseline scenario run alone with the same seed, quarter by quarter
    alone = CorridorExplorer(scenario="baseline", show_baseline=False)
    for _ in range(3):
        alone.step()
    assert alone.baseline is None and list(alone.models()) == ["scenario"]
    pd.testing.assert_frame_equal(alone.tables("scenario")["city_quarter"], base)
    fields = model.cell_fields("scenario")
    assert np.isfinite(fields["rent"]).all() and fields["firms_per_km2"].sum() > 0
    assert len(map_figure(alone).axes) == 5  # one row: three maps and the colour bars of two


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_server(url: str, proc: subprocess.Popen, limit: float = 180.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the explorer's server stopped with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"the explorer's server did not answer at {url}")


def _browser_available() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return shutil.which(CHROMIUM) is not None or Path(CHROMIUM).exists()


@pytest.fixture(scope="module")
def explorer_url(tmp_path_factory):
    if not _browser_available():
        if os.environ.get("CI"):
            pytest.fail("CI needs Chromium (apt-get install chromium) and Playwright (pip install -e '.[test]')")
        pytest.skip("no Chromium or Playwright here (CI installs them: .ci/run)")
    from corridor_abm.explorer.serve import serve

    port = _free_port()
    log = tmp_path_factory.mktemp("explorer") / "server.log"
    with log.open("w") as out:
        proc = serve("127.0.0.1", port, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_for_server(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        print(log.read_text()[-3000:])


def _image_sources(page) -> list[str]:
    return [page.locator("img").nth(i).get_attribute("src") or "" for i in range(page.locator("img").count())]


def _pixels(page) -> list[bytes]:
    """What the map, the series and the flows look like on screen (PNG of each image element)."""
    return [page.locator("img").nth(i).screenshot() for i in range(3)]


def test_page_loads_a_lever_moves_and_steps_update_the_map_and_series(explorer_url):
    from playwright.sync_api import expect, sync_playwright

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1150})
            page.goto(explorer_url)
            expect(page.get_by_text("baseline: quarter —")).to_be_visible(timeout=180_000)
            expect(page.locator("img")).to_have_count(3, timeout=60_000)  # map, series, flows
            before = _image_sources(page)
            pixels_before = _pixels(page)

            # move Shenzhen's land supply to its lowest value (-1: no new floor space) ...
            slider = page.locator(".v-input", has_text="SZ land supply").locator(".v-slider").first
            box = slider.bounding_box()
            assert box is not None
            page.mouse.click(box["x"] + 1, box["y"] + box["height"] / 2)
            # ... rebuild the model with it, then step three quarters
            page.get_by_role("button", name="Reset").click()
            expect(page.get_by_text("land.sz_supply")).to_be_visible(timeout=120_000)
            for k in range(1, 4):
                page.get_by_role("button", name="Step").click()
                expect(page.get_by_text(f"Step: {k}")).to_be_visible(timeout=120_000)
            expect(page.get_by_text("baseline: quarter 2018Q3")).to_be_visible(timeout=120_000)
            page.wait_for_function(
                "srcs => Array.from(document.images).every((img, i) => img.src !== srcs[i])", arg=before, timeout=60_000
            )
            after = _image_sources(page)
            pixels_after = _pixels(page)
            page.screenshot(path=str(ARTEFACTS / "explorer.png"), full_page=True)
        finally:
            browser.close()
    assert len(after) == 3 and all(a != b for a, b in zip(after, before))  # map, series, flows replaced ...
    unchanged = [name for name, a, b in zip(("map", "series", "flows"), pixels_after, pixels_before) if a == b]
    assert not unchanged, f"{unchanged} look the same after the lever and three steps"  # ... and look different
    assert (ARTEFACTS / "explorer.png").stat().st_size > 50_000


def test_explore_mode_serves_the_page_on_the_configured_address():
    from corridor_abm.app.settings import MODES
    from corridor_abm.explorer.serve import server_command, server_env

    assert MODES["explore"] == "corridor_abm.explorer.serve:explore_mode"
    cfg = compose_config("s2_land_exhaustion", ["mode=explore", "explore.port=8801", "seed=4"])
    command = server_command(cfg.explore.host, cfg.explore.port)
    assert command[command.index("--port") + 1] == "8801" and command[command.index("--host") + 1] == "127.0.0.1"
    assert "corridor_abm.explorer.page" in command and "--production" in command and "--no-check-version" in command
    start = json.loads(server_env(cfg.scenario_name, cfg.seed, cfg.explore.population_share)["CORRIDOR_EXPLORER"])
    assert start == {"scenario": "s2_land_exhaustion", "seed": 4, "population_share": 0.025}
    with pytest.raises(ConfigError, match="explore.port"):
        compose_config("baseline", ["explore.port=80"])
