"""Property-based: every bad command-line override is refused in one line that names its key,
with a non-zero exit status, no traceback and no run folder.

Hypothesis draws bad overrides of every kind — wrong types, NaN and infinities, negative and
huge numbers, unknown and near-miss keys, unicode, empty values, paths with ``..``, derived
labels and unsupported starts — and runs each through the command line's entry
(:func:`app.cli.run_command`) in-process, with a hydra stand-in that fails the test if it is
ever reached. A few real ``python run.py`` processes check the same end to end.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import math
import string
import subprocess
import sys
import typing
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corridor_abm.app.cli import run_command
from corridor_abm.app.settings import Settings
from corridor_abm.model.params import PerCity, PerSector

ROOT = Path(__file__).resolve().parent.parent
SMALL = ["quarters=2", "n_firms=600", "n_talent=6000", "population_share=0.025", "output.plots=false"]


def _leaves(cls: type = Settings, prefix: str = "", meta: dict | None = None) -> dict[str, tuple[type, dict]]:
    out: dict[str, tuple[type, dict]] = {}
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        ftype = hints[f.name]
        fmeta = dict(f.metadata) or meta or {}
        if ftype in (PerCity, PerSector):
            for sub in dataclasses.fields(ftype):
                out[f"{prefix}{f.name}.{sub.name}"] = (float, fmeta)
        elif dataclasses.is_dataclass(ftype):
            out.update(_leaves(ftype, f"{prefix}{f.name}."))
        else:
            out[f"{prefix}{f.name}"] = (ftype, fmeta)
    return out


LEAVES = _leaves()
NUMERIC = sorted(k for k, (t, _) in LEAVES.items() if t in (int, float))
INTEGER = sorted(k for k, (t, _) in LEAVES.items() if t is int)
FLOAT = sorted(k for k, (t, _) in LEAVES.items() if t is float)
BOUNDED_ABOVE = sorted(k for k in NUMERIC if LEAVES[k][1].get("hi") is not None)
BOUNDED_BELOW = sorted(k for k in NUMERIC if LEAVES[k][1].get("lo") is not None and LEAVES[k][1]["lo"] >= 0)
BOOLEAN = sorted(k for k, (t, _) in LEAVES.items() if t is bool)
GROUPS = sorted({k.split(".")[0] for k in LEAVES if "." in k})


def _near_miss(key: str, data: st.DataObject) -> str:
    """A key one edit away from a real one (and not itself a key)."""
    letters = string.ascii_lowercase + "_"
    pos = data.draw(st.integers(0, len(key) - 1))
    edit = data.draw(st.sampled_from(["drop", "swap", "insert", "case"]))
    if edit == "drop":
        out = key[:pos] + key[pos + 1 :]
    elif edit == "swap":
        out = key[:pos] + data.draw(st.sampled_from(letters)) + key[pos + 1 :]
    elif edit == "insert":
        out = key[:pos] + data.draw(st.sampled_from(letters)) + key[pos:]
    else:
        out = key.upper()
    return out


@st.composite
def bad_override(draw: st.DrawFn) -> tuple[str, str]:
    """(override, text the one-line message must contain: the key)."""
    kind = draw(
        st.sampled_from(
            [
                "unknown",
                "near_miss",
                "unicode_key",
                "text_for_number",
                "nan_inf",
                "negative",
                "huge",
                "unicode_digits",
                "empty",
                "path",
                "derived",
                "start",
                "mode",
                "group",
                "bool",
                "list_for_number",
            ]
        )
    )
    data = draw(st.data())
    if kind == "unknown":
        group = draw(st.sampled_from(["", *[f"{g}." for g in GROUPS]]))
        name = draw(st.text(alphabet=string.ascii_lowercase + "_", min_size=3, max_size=12))
        key = f"{group}{name}"
        if key in LEAVES or key in GROUPS or key.startswith(("hydra", "scenario", "calibrated")):
            key = f"{key}_x9"
        return f"{key}=1", key
    if kind == "near_miss":
        real = draw(st.sampled_from(sorted(LEAVES)))
        key = _near_miss(real, data)
        if not key or key in LEAVES or key in GROUPS or key.split(".")[0] in ("hydra", "scenario", "calibrated"):
            key = real + "s"
        if key.startswith(".") or ".." in key or key.endswith("."):
            key = real + "_"
        return f"{key}=1", key
    if kind == "unicode_key":
        real = draw(st.sampled_from(sorted(LEAVES)))
        odd = draw(st.sampled_from(["é", "ß", "ü", "й", "σ"]))
        pos = draw(st.integers(1, len(real) - 1))
        key = real[:pos] + odd + real[pos:]
        return f"{key}=1", key
    if kind == "text_for_number":
        key = draw(st.sampled_from(NUMERIC))
        value = draw(st.sampled_from(["abc", "1.2.3", "one", "1e", "0x1g", "12abc", "nope"]))
        return f"{key}={value}", key
    if kind == "nan_inf":
        key = draw(st.sampled_from(NUMERIC))
        return f"{key}={draw(st.sampled_from(['nan', 'inf', '-inf', 'NaN', '+inf']))}", key
    if kind == "negative":
        key = draw(st.sampled_from(BOUNDED_BELOW))
        lo = LEAVES[key][1]["lo"]
        amount = draw(st.integers(1, 10**9))
        value = -amount if LEAVES[key][0] is int else -(amount + 0.5)
        assert value < lo
        return f"{key}={value}", key
    if kind == "huge":
        key = draw(st.sampled_from(BOUNDED_ABOVE))
        hi = LEAVES[key][1]["hi"]
        value = draw(st.sampled_from([10**30, 2**63, 10 ** (len(str(int(hi))) + 3)]))
        value = max(value, int(math.ceil(hi)) * 10 + 1)
        if LEAVES[key][0] is float:
            return f"{key}={float(value)!r}", key
        return f"{key}={value}", key
    if kind == "unicode_digits":
        key = draw(st.sampled_from(NUMERIC))
        digits = draw(st.sampled_from(["１２", "٣", "१०", "２.５", "①"]))
        return f"{key}='{digits}'", key
    if kind == "empty":
        key = draw(st.sampled_from(NUMERIC + BOOLEAN))
        return f"{key}=", key
    if kind == "path":
        value = draw(st.sampled_from(["../../../../outside", "../x", "a/../../b", "/etc/passwd", "..", "x/y", ""]))
        return f"calibration.name='{value}'", "calibration.name"
    if kind == "derived":
        key = draw(st.sampled_from(["scenario_name", "calibrated_set", "+scenario_name", "++calibrated_set"]))
        value = draw(st.sampled_from(["s2_land_exhaustion", "baseline", "x", "default"]))
        return f"{key}={value}", key.lstrip("+")
    if kind == "start":
        value = draw(
            st.sampled_from(["2030Q1", "2018Q2", "2018Q5", "2018", "Q1", "'２０１８Q１'", "2018q1", "'2018Q1 '"])
        )
        return f"start={value}", "start"
    if kind == "mode":
        value = draw(st.sampled_from(["nope", "RUN", "compares", "''", "calibrat"]))
        return f"mode={value}", "mode"
    if kind == "group":
        group = draw(st.sampled_from(["scenario", "calibrated"]))
        value = draw(st.sampled_from(["nope", "s2", "baseline2", "../baseline"]))
        return f"{group}={value}", value
    if kind == "bool":
        key = draw(st.sampled_from(BOOLEAN))
        return f"{key}={draw(st.sampled_from(['maybe', 'yesno', '[true]', 'off!']))}", key
    key = draw(st.sampled_from(INTEGER))
    return f"{key}={draw(st.sampled_from(['[1,2]', '{a:1}', '1.5', '2.0e0', 'true']))}", key


def _never(*_args: object) -> None:
    raise AssertionError("hydra was reached: the bad override was not refused before it")


@settings(
    max_examples=220,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(case=bad_override())
def test_every_bad_override_is_refused_in_one_line_naming_its_key(case, tmp_path_factory):
    override, key = case
    out = tmp_path_factory.getbasetemp() / "fuzz_run_dir"
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        status = run_command([*SMALL, override, f"hydra.run.dir={out}"], _never)
    text = err.getvalue()
    assert status == 2, (override, text)
    lines = text.strip().splitlines()
    assert len(lines) == 1, (override, text)
    assert "Traceback" not in text
    assert key in lines[0], (override, lines[0])
    assert not out.exists(), f"{override} left a run folder"


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("n_talent=1000000000", "n_talent"),
        ("calibration.name=../../../../outside", "calibration.name"),
    ],
)
def test_run_py_refuses_bad_overrides_before_creating_anything(override, key, tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "run.py", *SMALL, override, f"hydra.run.dir={out}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and key in lines[0] and "Traceback" not in proc.stderr, proc.stderr
    assert not out.exists(), "a refused command created its run folder"
