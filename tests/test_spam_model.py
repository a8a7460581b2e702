"""SpamModel: verified loading (nothing in a bad file runs), scoring, and its equality with the
scikit-learn pipeline it was exported from."""

from __future__ import annotations

import hashlib
import importlib.resources
import json
import pathlib
import pickle
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import safecomment.spam.model as model_module
from fixtures.hostile import BENIGN, HOSTILE
from safecomment import (
    Comment,
    InputTooLongError,
    ModelVerificationError,
    SanitizedHTML,
    SpamModel,
    sanitize,
)
from safecomment.spam.model import BUNDLED_FILE, BUNDLED_SHA256, manifest_path

SPAMMY = "Check out my channel!!! Subscribe http://bit.ly/free-money and WIN"
HAMMY = "I love this song, the chorus is beautiful"
TEXTS = [SPAMMY, HAMMY, "", "<a href='http://example.com'>x</a> www.example.org", "ÀÉÎ 123 !!!"]


@pytest.fixture(scope="module")
def bundled() -> SpamModel:
    return SpamModel.load()


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    """A copy of the bundled model with its manifest, in a writable directory."""
    resource = importlib.resources.files("safecomment.models").joinpath(BUNDLED_FILE)
    path = tmp_path / "model.joblib"
    path.write_bytes(resource.read_bytes())
    manifest_path(path).write_text(json.dumps({"sha256": BUNDLED_SHA256}))
    return path


class Touch:
    """A pickle payload that creates a file when unpickled (the attack verification stops)."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return (pathlib.Path.touch, (self.target,))


def test_bundled_model_is_small_pinned_and_has_sane_thresholds(bundled: SpamModel) -> None:
    resource = importlib.resources.files("safecomment.models").joinpath(BUNDLED_FILE)
    data = resource.read_bytes()
    assert len(data) <= 2 * 1024 * 1024
    assert hashlib.sha256(data).hexdigest() == BUNDLED_SHA256 == bundled.sha256
    hold, spam = bundled.thresholds
    assert 0.0 < hold <= spam < 1.0
    assert bundled.manifest["training"]["data"]  # file checksums of the corpora


def test_scores_are_probabilities_that_rank_spam_above_ham(bundled: SpamModel) -> None:
    spam, ham = bundled.score(SPAMMY), bundled.score(HAMMY)
    assert 0.0 <= ham < bundled.thresholds.hold <= bundled.thresholds.spam <= spam <= 1.0


def test_batch_equals_one_at_a_time_and_the_sklearn_pipeline(bundled: SpamModel) -> None:
    batch = bundled.score_batch(TEXTS)
    assert batch.shape == (len(TEXTS),) and batch.dtype == np.float64
    assert batch.tolist() == pytest.approx([bundled.score(t) for t in TEXTS], abs=1e-12)
    reference = bundled.pipeline.predict_proba(TEXTS)[:, 1]
    assert np.max(np.abs(batch - reference)) <= 1e-9


def test_comments_and_comment_like_objects_score_like_their_text(bundled: SpamModel) -> None:
    comment = Comment("7", SPAMMY, source="site")  # the name is a feature now (issue 12)
    assert bundled.score(comment) == bundled.score(SPAMMY)
    assert bundled.score(SimpleNamespace(content=HAMMY, author_url=None)) == bundled.score(HAMMY)
    assert bundled.score_batch([comment, HAMMY]).tolist() == pytest.approx(
        [bundled.score(SPAMMY), bundled.score(HAMMY)])


def test_empty_blank_and_huge_comments_get_defined_scores(bundled: SpamModel) -> None:
    empty = bundled.score("")
    assert 0.0 <= empty <= 1.0
    assert bundled.score(" \n\t ") == empty == bundled.score("<p></p>")
    huge = bundled.score("Subscribe to my channel " * 45_000)  # ~1 MB
    assert 0.0 <= huge <= 1.0
    assert bundled.score_batch([]).shape == (0,)


def test_non_text_input_is_a_type_error(bundled: SpamModel) -> None:
    with pytest.raises(TypeError):
        bundled.score(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        bundled.score_batch(["ok", 3])  # type: ignore[list-item]


def test_a_pickled_model_scores_the_same_without_its_pipeline(bundled: SpamModel) -> None:
    copy = pickle.loads(pickle.dumps(bundled))
    assert copy.score_batch(TEXTS).tolist() == bundled.score_batch(TEXTS).tolist()
    assert copy.thresholds == bundled.thresholds and copy.sha256 == bundled.sha256
    with pytest.raises(AttributeError, match="without its scikit-learn pipeline"):
        _ = copy.pipeline


def test_scoring_needs_no_scikit_learn() -> None:
    code = (
        "import sys\n"
        "from safecomment.spam.model import SpamModel\n"
        "SpamModel.load().score_batch(['Check out http://bit.ly/x', 'nice'])\n"
        "assert 'sklearn' not in sys.modules and 'joblib' not in sys.modules, 'imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_file_matching_its_manifest_loads(saved: Path, bundled: SpamModel) -> None:
    model = SpamModel.load(saved)
    assert model.sha256 == BUNDLED_SHA256
    assert model.score_batch(TEXTS).tolist() == bundled.score_batch(TEXTS).tolist()


def test_the_bundled_model_is_checked_against_the_pinned_hash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(model_module, "BUNDLED_SHA256", "0" * 64)
    with pytest.raises(ModelVerificationError, match="SHA-256 mismatch"):
        SpamModel.load()


def test_a_changed_byte_is_refused(saved: Path) -> None:
    data = bytearray(saved.read_bytes())
    data[len(data) // 2] ^= 0x01
    saved.write_bytes(bytes(data))
    with pytest.raises(ModelVerificationError, match="changed or replaced"):
        SpamModel.load(saved)


@pytest.mark.parametrize("how", ["manifest", "sha256 argument", "trusted"])
def test_a_malicious_pickle_runs_nothing(saved: Path, tmp_path: Path, how: str) -> None:
    target = tmp_path / "created-by-the-payload"
    payload = pickle.dumps(Touch(target))
    saved.write_bytes(payload)  # the manifest still holds the genuine model's hash
    with pytest.raises(ModelVerificationError):
        if how == "manifest":
            SpamModel.load(saved)
        elif how == "sha256 argument":
            SpamModel.load(saved, sha256=BUNDLED_SHA256)
        else:  # even a trusted file is read with an unpickler that refuses every import
            SpamModel.load(saved, trust=True)
    assert not target.exists()
    pickle.loads(payload)  # the payload is real: a plain unpickler does create the file
    assert target.exists()


def test_a_file_without_manifest_needs_a_hash_or_trust(saved: Path) -> None:
    manifest_path(saved).unlink()
    # the message says what works from the CLI too: trust=True is for Python callers only
    with pytest.raises(ModelVerificationError, match="no manifest.*next to it") as info:
        SpamModel.load(saved)
    assert "trust" not in str(info.value)
    assert SpamModel.load(saved, sha256=BUNDLED_SHA256.upper()).sha256 == BUNDLED_SHA256
    assert SpamModel.load(saved, trust=True).sha256 == BUNDLED_SHA256
    with pytest.raises(ModelVerificationError, match="mismatch"):
        SpamModel.load(saved, sha256="f" * 64)


@pytest.mark.parametrize("manifest", ["{not json", "[]", '{"sha256": "abc"}', "{}"])
def test_an_unusable_manifest_is_refused(saved: Path, manifest: str) -> None:
    manifest_path(saved).write_text(manifest)
    with pytest.raises(ModelVerificationError, match="manifest|sha256"):
        SpamModel.load(saved)


@pytest.mark.parametrize(
    "payload",
    [{"format": "something-else"}, {"format": model_module.FORMAT}, ["not", "a", "dict"]],
)
def test_plain_data_that_is_not_a_model_is_refused(tmp_path: Path, payload: object) -> None:
    path = tmp_path / "other.joblib"
    path.write_bytes(pickle.dumps(payload))
    with pytest.raises(ModelVerificationError, match="spam model|malformed"):
        SpamModel.load(path, trust=True)


def test_garbage_is_refused_as_not_a_model(tmp_path: Path) -> None:
    path = tmp_path / "garbage.joblib"
    path.write_bytes(b"\x78garbage")
    with pytest.raises(ModelVerificationError, match="damaged"):
        SpamModel.load(path, trust=True)
    path.write_bytes(b"PK\x03\x04 a zip")
    with pytest.raises(ModelVerificationError, match="not a joblib"):
        SpamModel.load(path, trust=True)


def test_repr_shows_hash_and_thresholds(bundled: SpamModel) -> None:
    assert repr(bundled).startswith(f"SpamModel(sha256={BUNDLED_SHA256[:12]}, hold=")


def test_scores_stay_exact_when_the_word_cache_overflows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("safecomment.spam.scorer._CACHED_WORDS", 3)
    model = SpamModel.load()  # a fresh cache
    texts = [f"word{i} check out channel{i} subscribe love song" for i in range(20)]
    reference = model.pipeline.predict_proba(texts)[:, 1]
    assert np.max(np.abs(model.score_batch(texts) - reference)) <= 1e-9
    assert np.max(np.abs(model.score_batch(texts[::-1]) - reference[::-1])) <= 1e-9


def _sanitized_or_none(content: str) -> SanitizedHTML | None:
    try:
        return sanitize(content)
    except InputTooLongError:
        return None


def test_scores_are_the_same_with_the_callers_sanitised_html(bundled: SpamModel) -> None:
    # Each kind of content where the features' own preparation differs from sanitize():
    # block tags (spaced), a byte-order mark (dropped), text past MAX_CHARS (cut), too deep.
    contents = [html for _, html in HOSTILE] + [case.html for case in BENIGN] + [
        "<p>Buy</p><p>now</p> http://pills.example/", "\ufeffcheap pills", "spam " * 5_000,
        "<q>" * 600, "<b>ok</b> see www.example.org", "",
    ]
    comments = [Comment(str(n), content) for n, content in enumerate(contents)]
    sanitized = [_sanitized_or_none(content) for content in contents]
    assert np.array_equal(
        bundled.score_batch(comments, sanitized=sanitized), bundled.score_batch(comments)
    )
    with pytest.raises(ValueError, match="one entry per comment"):
        bundled.score_batch(comments, sanitized=sanitized[:-1])
