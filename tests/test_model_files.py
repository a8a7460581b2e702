"""Model files that verify but misbehave (issue 9, finding 7): each one below is the bundled model
changed in one way and written with a manifest that matches it, so only the loader's own checks
stand between it and a report. Every one must end in a ModelVerificationError (exit 2 from the
CLI), with nothing read past a cap and no NaN in any score."""

from __future__ import annotations

import hashlib
import importlib.resources
import json
import math
import os
import pickle
import threading
import tracemalloc
import warnings
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

import safecomment.spam.model as model_module
from fixtures.hostile import BENIGN, HOSTILE
from safecomment import ModelVerificationError, SpamModel
from safecomment.cli import main
from safecomment.spam.model import BUNDLED_FILE, BUNDLED_SHA256, MAX_FILE_BYTES, manifest_path
from safecomment.spam.scorer import encode_array

Payload = dict[str, Any]
TEXTS = [html for _, html in HOSTILE] + [case.html for case in BENIGN] + ["", "Buy now!!! " * 50]


def good_payload() -> Payload:
    """The bundled model's payload, without its scikit-learn pipeline (not needed to score)."""
    raw = importlib.resources.files("safecomment.models").joinpath(BUNDLED_FILE).read_bytes()
    assert hashlib.sha256(raw).hexdigest() == BUNDLED_SHA256  # verified, so safe to unpickle
    payload: Payload = pickle.loads(zlib.decompress(raw))
    payload["pipeline"] = None
    return payload


@pytest.fixture(scope="module")
def pristine() -> Payload:
    return good_payload()


@pytest.fixture
def payload(pristine: Payload) -> Payload:
    return pickle.loads(pickle.dumps(pristine))  # a deep copy each test may change


def write(path: Path, data: bytes) -> Path:
    """``data`` as a model file at ``path`` with a manifest that matches it."""
    path.write_bytes(data)
    manifest = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    manifest_path(path).write_text(json.dumps(manifest))
    return path


def write_model(path: Path, payload: object) -> Path:
    return write(path, zlib.compress(pickle.dumps(payload, protocol=5), 1))


def array(payload: Payload, block: str, key: str) -> np.ndarray:
    return np.frombuffer(payload[block][key], dtype="<f8").copy()


def set_value(payload: Payload, block: str, key: str, value: float) -> None:
    values = array(payload, block, key)
    values[len(values) // 2] = value
    payload[block][key] = encode_array(values)


def test_the_unchanged_payload_loads_and_scores_like_the_bundled_model(
    tmp_path: Path, payload: Payload
) -> None:
    model = SpamModel.load(write_model(tmp_path / "good.joblib", payload))
    assert model.score_batch(TEXTS).tolist() == SpamModel.load().score_batch(TEXTS).tolist()


ARRAYS = [
    ("word", "idf"), ("word", "coef"), ("char", "idf"), ("char", "coef"),
    ("structure", "mean"), ("structure", "scale"), ("structure", "coef"),
]


@pytest.mark.parametrize(("block", "key"), ARRAYS)
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 1e300, -1e300])
def test_a_non_finite_or_huge_array_value_is_refused(
    tmp_path: Path, payload: Payload, block: str, key: str, value: float
) -> None:
    set_value(payload, block, key, value)
    with pytest.raises(ModelVerificationError, match=f"{block} {key}.*finite"):
        SpamModel.load(write_model(tmp_path / "m.joblib", payload))


@pytest.mark.parametrize(
    ("block", "key"), [("structure", "scale"), ("word", "idf"), ("char", "idf")]
)
@pytest.mark.parametrize("value", [0.0, -0.0, -1.0, 1e-300])
def test_scales_and_idf_weights_must_be_positive(
    tmp_path: Path, payload: Payload, block: str, key: str, value: float
) -> None:
    set_value(payload, block, key, value)
    with pytest.raises(ModelVerificationError, match=f"{block} {key}"):
        SpamModel.load(write_model(tmp_path / "m.joblib", payload))


def _with_prior(payload: Payload) -> Payload:
    """``payload`` as a site model on top of itself (a prior is a scorer's payload)."""
    scorer = ("word", "char", "structure", "intercept", "calibration")
    prior = pickle.loads(pickle.dumps({key: payload[key] for key in scorer}))
    return {**payload, "prior": prior, "prior_coef": 0.5}


def test_a_site_models_prior_is_checked_like_the_model(tmp_path: Path, payload: Payload) -> None:
    site = _with_prior(payload)
    assert 0.0 <= SpamModel.load(write_model(tmp_path / "site.joblib", site)).score(TEXTS[0]) <= 1
    set_value(site["prior"], "structure", "scale", 0.0)  # would make every score NaN
    with pytest.raises(ModelVerificationError, match="structure scale"):
        SpamModel.load(write_model(tmp_path / "zero.joblib", site))
    with pytest.raises(ModelVerificationError, match="prior_coef"):
        SpamModel.load(write_model(tmp_path / "coef.joblib", {**_with_prior(payload),
                                                             "prior_coef": math.inf}))


def _set_intercept(payload: Payload, value: object) -> None:
    payload["intercept"] = value


def _set_calibration(payload: Payload, value: object) -> None:
    payload["calibration"] = [payload["calibration"][0], value]


def _set_hold(payload: Payload, value: object) -> None:
    payload["thresholds"] = [value, payload["thresholds"][1]]


@pytest.mark.parametrize(
    ("where", "change"),
    [("intercept", _set_intercept), ("calibration", _set_calibration),
     ("thresholds", _set_hold)],
)
@pytest.mark.parametrize(
    "value", [math.nan, math.inf, -math.inf, 10**400, -(10**400), 2**1000, True, "0.5", None]
)
def test_a_bad_scalar_is_refused_without_a_traceback(
    tmp_path: Path, payload: Payload, where: str,
    change: Callable[[Payload, object], None], value: object,
) -> None:
    change(payload, value)
    with pytest.raises(ModelVerificationError, match=where):
        SpamModel.load(write_model(tmp_path / "m.joblib", payload))


@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_info_must_be_json_data(tmp_path: Path, payload: Payload, value: float) -> None:
    payload["info"]["metrics"] = {"auc": value}  # it would be written into a manifest
    with pytest.raises(ModelVerificationError, match="malformed"):
        SpamModel.load(write_model(tmp_path / "m.joblib", payload))


def test_a_pickled_model_with_nan_is_refused_too(payload: Payload) -> None:
    state = SpamModel(payload).__getstate__()
    state["payload"]["calibration"] = [math.nan, 0.0]
    with pytest.raises(ModelVerificationError, match="calibration"):
        SpamModel.__new__(SpamModel).__setstate__(state)


def test_the_extremes_allowed_still_give_finite_scores(payload: Payload) -> None:
    # every number at the edge of its range: the bounds alone keep NaN out of every score
    limit, least = model_module._MAX_MAGNITUDE, model_module._MIN_POSITIVE
    for block, key in ARRAYS:
        size = len(array(payload, block, key))
        if key in ("idf", "scale"):
            extremes = [least, limit]
        else:
            extremes = [-limit, limit]
        payload[block][key] = encode_array(np.resize(extremes, size))
    payload["intercept"] = limit
    for calibration in ([-limit, limit], [limit, -limit], [least, 0.0]):
        payload["calibration"] = calibration
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # exp() overflow: a 0 or 1 score
            scores = SpamModel(payload).score_batch(TEXTS)
        assert np.all(np.isfinite(scores)) and np.all((scores >= 0) & (scores <= 1))


# -- what is read, and how much -------------------------------------------------------------------


def test_a_decompression_bomb_stops_at_the_cap(
    tmp_path: Path, payload: Payload, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a genuine model padded with zeros: 1:1000 compression, as the 300 KB -> 656 MB report did
    cap = 16 * 1024 * 1024  # above the bundled model's own payload
    monkeypatch.setattr(model_module, "MAX_PAYLOAD_BYTES", cap)
    payload["info"]["padding"] = "0" * (8 * cap)
    path = write_model(tmp_path / "bomb.joblib", payload)
    assert path.stat().st_size < cap // 8  # small: only the payload cap can catch it
    tracemalloc.start()
    try:
        with pytest.raises(ModelVerificationError, match="expands to more than"):
            SpamModel.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 3 * cap  # never the whole expansion
    del payload["info"]["padding"]
    payload["info"]["fits"] = "0" * (cap // 2)
    SpamModel.load(write_model(path, payload))  # under the cap: loads


def _count_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files the loader reads from now on."""
    reads: list[str] = []
    read = model_module._read_all

    def counted(file: Any, name: str) -> bytes:
        reads.append(name)
        return read(file, name)

    monkeypatch.setattr(model_module, "_read_all", counted)
    return reads


def test_a_file_over_the_size_cap_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "huge.joblib"
    with path.open("wb") as out:
        out.truncate(MAX_FILE_BYTES + 1)  # sparse: costs no disk
    reads = _count_reads(monkeypatch)
    for how in ({"trust": True}, {"sha256": BUNDLED_SHA256}):
        with pytest.raises(ModelVerificationError, match="more than the .* allowed"):
            SpamModel.load(path, **how)
    assert reads == []


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_a_device_is_refused_before_a_byte_is_read() -> None:
    for how in ({"trust": True}, {}):
        with pytest.raises(ModelVerificationError, match="not a regular file"):
            SpamModel.load("/dev/zero", **how)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("which", ["model", "manifest"])
def test_a_fifo_is_refused_without_waiting_for_a_writer(
    tmp_path: Path, payload: Payload, which: str
) -> None:
    path = tmp_path / "m.joblib"
    if which == "model":
        os.mkfifo(path)
    else:
        path.write_bytes(b"\x80")
        os.mkfifo(manifest_path(path))
    outcome: list[BaseException] = []

    def load() -> None:
        try:
            SpamModel.load(path)
        except BaseException as error:  # noqa: BLE001 - handed to the test's thread
            outcome.append(error)

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    thread.join(timeout=20)
    assert not thread.is_alive(), "load() blocked on a FIFO"
    assert isinstance(outcome[0], ModelVerificationError)
    assert "not a regular file" in str(outcome[0])


def test_the_manifest_is_checked_before_the_model_is_read(
    tmp_path: Path, payload: Payload, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_model(tmp_path / "m.joblib", payload)
    reads = _count_reads(monkeypatch)
    manifest = manifest_path(path)
    recorded = json.loads(manifest.read_text())
    cases: list[tuple[object, str]] = [
        ({**recorded, "bytes": recorded["bytes"] + 1}, "manifest records"),
        ({**recorded, "bytes": "many"}, "byte count"),
        ({**recorded, "bytes": True}, "byte count"),
        ({"sha256": "nan"}, "sha256"),
        ([recorded], "not a JSON object"),
    ]
    for content, message in cases:
        manifest.write_text(json.dumps(content))
        with pytest.raises(ModelVerificationError, match=message):
            SpamModel.load(path)
    manifest.unlink()
    with pytest.raises(ModelVerificationError, match="no manifest"):
        SpamModel.load(path)
    with manifest.open("wb") as out:
        out.truncate(model_module._MAX_MANIFEST_BYTES + 1)
    with pytest.raises(ModelVerificationError, match="more than the .* allowed"):
        SpamModel.load(path)
    assert "m.joblib" not in reads  # the model itself was never read


@pytest.mark.parametrize("damage", ["truncated", "trailing bytes"])
def test_damaged_compression_is_refused(tmp_path: Path, payload: Payload, damage: str) -> None:
    data = zlib.compress(pickle.dumps(payload, protocol=5), 1)
    data = data[: len(data) // 2] if damage == "truncated" else data + b"extra"
    with pytest.raises(ModelVerificationError, match="damaged"):
        SpamModel.load(write(tmp_path / "m.joblib", data))


def test_save_refuses_a_model_load_would_refuse(
    tmp_path: Path, payload: Payload, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = SpamModel(payload)
    monkeypatch.setattr(model_module, "MAX_PAYLOAD_BYTES", 1024)
    path = tmp_path / "m.joblib"
    with pytest.raises(ModelVerificationError, match="expands to more than"):
        model.save(path)
    assert list(tmp_path.iterdir()) == []  # nothing half-written


# -- the command line: exit 2, one line, no traceback -----------------------------------------


@pytest.fixture
def export(tmp_path: Path) -> Path:
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"id": "1", "content": "Nice post", "author_name": "Ann",
                                "author_email": "ann@example.org"}) + "\n")
    return path


def test_cli_refuses_bad_model_files_with_exit_2(
    tmp_path: Path, payload: Payload, export: Path
) -> None:
    set_value(payload, "word", "coef", math.nan)
    bad = {
        "nan": write_model(tmp_path / "nan.joblib", payload),
        "device": Path("/dev/zero"),
    }
    for name, path in bad.items():
        if not path.exists():
            continue
        result = CliRunner().invoke(main, ["moderate", "--model", str(path), str(export)])
        assert result.exit_code == 2, (name, result.output)
        assert "Traceback" not in result.output
        assert "NaN" not in result.stdout


def test_cli_no_manifest_message_says_what_a_cli_user_can_do(
    tmp_path: Path, payload: Payload, export: Path
) -> None:
    path = write_model(tmp_path / "m.joblib", payload)
    manifest_path(path).unlink()
    result = CliRunner().invoke(main, ["moderate", "--model", str(path), str(export)])
    assert result.exit_code == 2
    assert "no manifest" in result.output and "m.json" in result.output
    assert "trust" not in result.output
