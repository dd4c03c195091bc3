"""No lost runs and no silent wrong labels (issue 14): every reproduction of the issue gives a
clear one-line error or the correct result, and nothing already written is lost."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest

from corridor_abm.app.cli import plan_command
from corridor_abm.app.compare import main as compare_main
from corridor_abm.app.experiments import finished_with, run_mode
from corridor_abm.app.settings import compose_config
from corridor_abm.model.params import ConfigError
from corridor_abm.model.runio import RunDirError, run_status
from corridor_abm.reporting.collect import collect_sweep
from corridor_abm.reporting.compare import CompareError, check_compare
from tests.test_experiments import tiny_config

ROOT = Path(__file__).resolve().parent.parent
TINY = ["quarters=2", "n_firms=600", "n_talent=6000", "population_share=0.025", "output.plots=false"]


def run_py(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """``python run.py ARGS`` (not checked)."""
    return subprocess.run([sys.executable, "run.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file of a folder with its size and modification time."""
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()
    }


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> dict[str, Path]:
    """Finished tiny runs: the baseline and S2."""
    root = tmp_path_factory.mktemp("finished")
    out = {"baseline": root / "baseline", "s2": root / "s2"}
    run_mode(tiny_config("baseline", "quarters=2"), out["baseline"])
    run_mode(tiny_config("s2_land_exhaustion", "quarters=2"), out["s2"])
    return out


# 1. compare into a run folder


def test_compare_into_a_compared_run_is_refused_and_the_run_is_kept(finished, capsys):
    base, s2 = finished["baseline"], finished["s2"]
    before = _snapshot(s2)
    assert compare_main([str(base), str(s2), "--out", str(s2)]) == 2
    err = capsys.readouterr().err
    assert "compare refused" in err and "inside the compared run" in err and len(err.strip().splitlines()) == 1
    assert _snapshot(s2) == before and run_status(s2).complete
    with pytest.raises(CompareError, match="inside the compared run"):
        check_compare([base, s2], s2 / "figures")


def test_run_py_compare_into_a_finished_run_leaves_it_and_its_hydra_record_alone(finished, tmp_path):
    base, s2 = finished["baseline"], finished["s2"]
    other = Path(shutil.copytree(base, tmp_path / "other_run"))
    (other / ".hydra").mkdir()
    (other / ".hydra" / "overrides.yaml").write_text("- seed=1\n")
    before = _snapshot(other)
    proc = run_py("mode=compare", f"runs=[{base},{s2}]", f"hydra.run.dir={other}")
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "holds a finished run" in proc.stderr and "Traceback" not in proc.stderr
    assert _snapshot(other) == before, "the finished run or its .hydra/ was touched"


# 2. the completion marker is kept when a command refuses


def test_a_refused_calibration_keeps_the_finished_folder(finished, tmp_path):
    run = Path(shutil.copytree(finished["baseline"], tmp_path / "run"))
    before = _snapshot(run)
    with pytest.raises(ConfigError, match=r"calibration.free: 'land.nope' not in"):
        plan_command(["mode=calibrate", "calibration.free=[land.nope]", f"hydra.run.dir={run}"])
    with pytest.raises(RunDirError, match="holds a finished run, not a calibrate"):
        plan_command(["mode=calibrate", f"hydra.run.dir={run}"])
    from corridor_abm.calibration.calibrate import run_calibration

    with pytest.raises(RunDirError, match="holds a finished run"):  # also when called from Python
        run_calibration(compose_config("baseline", ["mode=calibrate"]), run)
    assert _snapshot(run) == before and run_status(run).complete


def test_a_folder_that_is_not_writable_or_a_file_is_refused_before_anything(finished, tmp_path, monkeypatch):
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    with pytest.raises(RunDirError, match="is a file, not a folder"):
        plan_command([*TINY, f"hydra.run.dir={a_file}"])
    with pytest.raises(RunDirError, match="cannot be created: .*a_file is a file"):
        plan_command([*TINY, f"hydra.run.dir={a_file / 'run'}"])

    import tempfile

    def read_only(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "NamedTemporaryFile", read_only)  # a read-only folder, even for root
    run = Path(shutil.copytree(finished["baseline"], tmp_path / "run"))
    with pytest.raises(RunDirError, match=r"run is not writable \(Permission denied\)"):
        plan_command([*TINY, "quarters=2", f"hydra.run.dir={run}"])
    assert run_status(run).complete


# 3. sweep labels from each job's own configuration; no mixing of launches


def test_sweep_labels_come_from_the_jobs_and_launches_never_mix(tmp_path):
    sweep = tmp_path / "sweep"
    first = run_py("-m", *TINY, "land.sz_supply=0,1", f"hydra.sweep.dir={sweep}")
    assert first.returncode == 0, first.stderr[-2000:]
    kept = _snapshot(sweep)
    second = run_py("-m", *TINY, "land.sz_supply=5,6", f"hydra.sweep.dir={sweep}")
    assert second.returncode == 2 and "holds a finished run of another configuration" in second.stderr
    assert "land.sz_supply 0.0 → 5.0" in second.stderr and len(second.stderr.strip().splitlines()) == 1
    rejected = run_py("-m", *TINY, "land.sz_supply=7,8", "land.hz_supply=-1", f"hydra.sweep.dir={sweep}")
    assert rejected.returncode == 2 and "land.hz_supply = -1 is out of range" in rejected.stderr
    assert _snapshot(sweep) == kept, "a refused launch changed the sweep folder"
    # hydra's own record is rewritten by any launch; the labels do not read it
    (sweep / "0" / ".hydra" / "overrides.yaml").write_text("- land.sz_supply=7\n- land.hz_supply=-1\n")
    table = collect_sweep(sweep, write=False)
    assert table.groupby("job")["land.sz_supply"].first().to_dict() == {0: 0.0, 1: 1.0}
    # a smaller launch of the same sweep: job 1 is left out (not this launch's), and says so
    third = run_py("-m", *TINY, "land.sz_supply=0", f"hydra.sweep.dir={sweep}")
    assert third.returncode == 0, third.stderr[-2000:]
    assert "already complete, skipping" in third.stderr + third.stdout
    table = pd.read_parquet(sweep / "collected_city_quarter.parquet")
    assert sorted(table["job"].unique()) == [0] and "land.sz_supply" not in table.columns  # not swept this time
    assert collect_sweep(sweep, write=False).attrs["stale"] == [str(sweep / "1")]


def test_a_sweep_that_cannot_be_collected_exits_non_zero(tmp_path):
    from omegaconf import OmegaConf

    from corridor_abm.app.sweeps import SweepCallback

    config = OmegaConf.create({"mode": "run", "hydra": {"sweep": {"dir": str(tmp_path / "empty")}}})
    with pytest.raises(SystemExit) as stop:
        SweepCallback().on_multirun_end(config)
    assert stop.value.code == 1


# 4. labels that cannot be overridden; start; compare's own checks


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("scenario_name=s2_land_exhaustion", "scenario_name cannot be overridden: it is set by the scenario file"),
        ("calibrated_set=default", "calibrated_set cannot be overridden"),
        ("start=2030Q1", "start = '2030Q1' is not allowed: the model's data describe 2018"),
        ("start='２０１８Q１'", "start = '２０１８Q１' is not allowed"),
        ("quarters='１２'", "quarters = \"'１２'\" contains characters other than ASCII"),
        ("seed=9223372036854775808", r"seed = 9223372036854775808 is out of range: allowed \[0, 9223372036854775807\]"),
        ("n_talent=1000000000", r"n_talent = 1000000000 is out of range: allowed \[8, 5000000\]"),
        ("n_firms=100000000", r"n_firms = 100000000 is out of range"),
        ("calibration.population=2", "calibration.population = 2 is too small"),
        (
            "calibration.name=../../../../outside",
            "calibration.name = '../../../../outside' is not a calibrated set name",
        ),
        ("calibration.name=''", "calibration.name = '' is not"),
        ("calibration.sobol_samples=3", "calibration.sobol_samples = 3 is not a power of 2"),
    ],
)
def test_bad_labels_sizes_and_calibration_settings_are_refused_before_anything(override, message, tmp_path):
    with pytest.raises(ConfigError, match=message):
        plan_command([*TINY, override, f"hydra.run.dir={tmp_path / 'run'}"])
    assert not (tmp_path / "run").exists()


def _relabel(run: Path, dest: Path, **config) -> Path:
    """A copy of a run whose recorded configuration has some keys changed (its tables are intact)."""
    shutil.copytree(run, dest)
    prov = json.loads((dest / "provenance.json").read_text())
    prov["config"].update(config)
    (dest / "provenance.json").write_text(json.dumps(prov))
    return dest


def test_compare_refuses_the_same_run_twice_identical_runs_and_mixed_calibrated_sets(finished, tmp_path):
    base, s2 = finished["baseline"], finished["s2"]
    with pytest.raises(CompareError, match="given twice"):
        check_compare([base, base], tmp_path / "out")
    twin = shutil.copytree(base, tmp_path / "twin")
    with pytest.raises(CompareError, match="same configuration: every difference would be zero"):
        check_compare([base, twin], tmp_path / "out")
    uncalibrated = _relabel(s2, tmp_path / "uncalibrated", calibrated_set="uncalibrated")
    with pytest.raises(CompareError, match="calibrated_set=uncalibrated.*calibrated_set=default"):
        check_compare([base, uncalibrated], tmp_path / "out")
    assert not (tmp_path / "out").exists()


# 5. resume verifies the tables


def test_resume_reruns_a_truncated_or_old_run_instead_of_skipping_it(finished, tmp_path, caplog):
    config = tiny_config("baseline", "quarters=2")
    run = Path(shutil.copytree(finished["baseline"], tmp_path / "run"))
    table = run / "tables" / "city_quarter.parquet"
    table.write_bytes(table.read_bytes()[:50])
    assert not finished_with(run, config)
    assert "city_quarter.parquet is damaged" in caplog.text
    run_mode(config, run)
    pd.testing.assert_frame_equal(
        pd.read_parquet(table), pd.read_parquet(finished["baseline"] / table.relative_to(run))
    )
    prov = json.loads((run / "provenance.json").read_text())
    prov["schema_version"] = 1
    (run / "provenance.json").write_text(json.dumps(prov))
    assert "schema version 1" in run_status(run).reason and not finished_with(run, config)
    with pytest.raises(CompareError, match="schema version 1"):
        check_compare([run, finished["s2"]], tmp_path / "out")


# 6. interrupts and killed runs leave no workers behind


def _replicate_set(out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "run.py",
            "quarters=40",
            "n_firms=600",
            "n_talent=6000",
            "population_share=0.025",
            "output.plots=false",
            "output.progress=false",
            "replicates=4",
            "workers=2",
            f"hydra.run.dir={out}",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # a shell starts background jobs with Ctrl-C ignored, and children inherit that: undo it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _workers_started(proc: subprocess.Popen, timeout: float = 60) -> list[psutil.Process]:
    """The run's two replicate worker processes, once they run."""
    parent = psutil.Process(proc.pid)
    deadline = time.time() + timeout
    while time.time() < deadline:
        workers = [p for p in parent.children() if "spawn_main" in " ".join(p.cmdline())]
        if len(workers) >= 2:
            time.sleep(2)
            return workers
        time.sleep(0.2)
    raise AssertionError("the replicate workers did not start")


def _all_gone(processes: list[psutil.Process], timeout: float = 20) -> bool:
    _, alive = psutil.wait_procs(processes, timeout=timeout)
    return not alive


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_an_interrupted_replicate_set_stops_its_workers_and_says_so_in_one_line(tmp_path, sig):
    out = tmp_path / "reps"
    proc = _replicate_set(out)
    workers = _workers_started(proc)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == (143 if sig == signal.SIGTERM else 130), err
    assert "Traceback" not in err and "interrupted:" in err and "run the same command again" in err, err
    assert _all_gone(workers), "replicate workers outlived the interrupted run"
    assert not run_status(out).complete


def test_a_killed_replicate_set_leaves_no_worker_writing_into_its_folder(tmp_path):
    out = tmp_path / "reps"
    proc = _replicate_set(out)
    workers = _workers_started(proc)
    proc.kill()
    proc.communicate(timeout=60)
    assert _all_gone(workers, timeout=10), "replicate workers kept running after their run was killed"
    written = _snapshot(out)
    time.sleep(1.5)
    assert _snapshot(out) == written and not run_status(out).complete


def test_config_errors_and_interrupts_never_show_a_traceback_or_leave_a_folder(tmp_path):
    proc = run_py(*TINY, "land.sz_supply=abc", f"hydra.run.dir={tmp_path / 'bad'}")
    assert proc.returncode == 2 and proc.stderr.strip().splitlines() == [
        "configuration error: land.sz_supply = 'abc' is not allowed: Value 'abc' of type 'str' could not be "
        "converted to Float; allowed: a number in [0, 20]."
    ]
    assert not (tmp_path / "bad").exists()
    assert os.environ.get("HYDRA_FULL_ERROR") is None
