"""``SpamModel``: a spam scorer loaded only from verified bytes.

A model file is a joblib file (a zlib-compressed pickle), and unpickling can run code. So no byte
of a file is unpickled before its SHA-256 matched: the bundled model's hash is pinned below, any
other file is checked against the hash its caller passes or the one in its JSON manifest, or is
loaded only with an explicit ``trust=True``. The hash is taken of the very bytes then unpickled.
On top of that, the payload holds builtins only (dicts, lists, str, float, bytes) and is read with
an unpickler that refuses every import, so even a trusted file cannot run code while loading,
and loading imports neither joblib nor scikit-learn.

The payload is the fitted linear model exported to plain data (:mod:`.scorer`) plus the
scikit-learn pipeline it was exported from, as pickled bytes that are unpickled (with the full
unpickler) only when :attr:`SpamModel.pipeline` is read, to inspect or compare.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.resources
import io
import json
import os
import pickle
import re
import tempfile
import zlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from ..markup import SanitizedHTML
from .explanation import Contribution, Explanation
from .features import CommentLike, prepare
from .format import BUNDLED_FILE, FORMAT, Thresholds
from .scorer import LinearScorer

__all__ = [
    "BUNDLED_FILE",
    "BUNDLED_SHA256",
    "FORMAT",
    "ModelVerificationError",
    "SpamModel",
    "Thresholds",
    "manifest_path",
]

BUNDLED_SHA256: Final = "ab80c31b65a8b910934dec396b2da7ae3c5eea05de2a7469541163b1e0d31046"
"""SHA-256 of the bundled model file; ``safecomment train --bundled`` prints it."""

_SHA256: Final = re.compile(r"[0-9a-f]{64}")


class ModelVerificationError(ValueError):
    """A model file failed verification or is not a spam model; nothing in it was run."""


class _BuiltinsOnly(pickle.Unpickler):
    """An unpickler for data made of builtins: any class or function reference is refused."""

    def find_class(self, module: str, name: str) -> Any:
        raise ModelVerificationError(
            f"model payload refers to {module}.{name}; a spam model holds plain data only"
        )


def manifest_path(path: str | os.PathLike[str]) -> Path:
    """The JSON manifest that goes with a model file: same name, ``.json`` suffix."""
    return Path(path).with_suffix(".json")


def _checked_hash(value: object, where: str) -> str:
    text = value.strip().lower() if isinstance(value, str) else ""
    if not _SHA256.fullmatch(text):
        raise ModelVerificationError(f"{where}: not a SHA-256 hex digest")
    return text


def _expected_hash(path: Path, sha256: str | None, trust: bool) -> str | None:
    """The hash ``path`` must have: the caller's, else its manifest's; ``None`` when trusted."""
    if sha256 is not None:
        return _checked_hash(sha256, "sha256 argument")
    if trust:
        return None
    manifest = manifest_path(path)
    try:
        recorded = json.loads(manifest.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelVerificationError(
            f"{path.name}: no manifest ({manifest.name}) to verify it against; pass the file's "
            "sha256, or trust=True for a file you made yourself"
        ) from None
    except (OSError, ValueError) as error:
        raise ModelVerificationError(f"{manifest.name}: unreadable manifest ({error})") from None
    return _checked_hash(recorded.get("sha256") if isinstance(recorded, dict) else None,
                         f"{manifest.name} sha256")


def _unpickled(raw: bytes, name: str) -> Any:
    """The payload of a joblib file (zlib-compressed or plain pickle), builtins only."""
    if raw[:1] == b"\x78":  # zlib, as joblib.dump(compress=("zlib", n)) writes
        try:
            raw = zlib.decompress(raw)
        except zlib.error as error:
            raise ModelVerificationError(f"{name}: damaged compressed data ({error})") from None
    if raw[:1] != b"\x80":
        raise ModelVerificationError(f"{name}: not a joblib/pickle file")
    try:
        return _BuiltinsOnly(io.BytesIO(raw)).load()
    except ModelVerificationError:
        raise
    except Exception as error:  # noqa: BLE001 - any unpickling failure means a bad file
        raise ModelVerificationError(f"{name}: unreadable model data ({error!r})") from None


class SpamModel:
    """A calibrated spam scorer: :meth:`score` gives P(spam) in 0..1 for a comment or a text.

    Get one with :meth:`load` (the bundled, verified default) or :meth:`train`. Scoring reads a
    comment's text and links, and for comment objects whether ``author_url`` is set; it needs
    numpy only.
    """

    def __init__(self, payload: Mapping[str, Any], *, sha256: str | None = None) -> None:
        """Build from a payload (what :meth:`save` writes); use :meth:`load` or :meth:`train`."""
        self._setup(payload, sha256)

    def _setup(self, payload: Mapping[str, Any], sha256: str | None) -> None:
        if not isinstance(payload, Mapping) or payload.get("format") != FORMAT:
            raise ModelVerificationError(f"not a safecomment spam model (format {FORMAT})")
        try:
            self._scorer = LinearScorer(payload)
            hold, spam = (float(value) for value in payload["thresholds"])
            info = payload["info"]
            pipeline = payload.get("pipeline")
            if not isinstance(info, dict) or not isinstance(pipeline, bytes | None):
                raise TypeError("info must be a dict and pipeline bytes or None")
        except (KeyError, TypeError, ValueError) as error:
            raise ModelVerificationError(f"model payload is malformed: {error!r}") from None
        if not 0.0 <= hold <= spam <= 1.0:
            raise ModelVerificationError("model thresholds must be 0 <= hold <= spam <= 1")
        self._thresholds = Thresholds(hold, spam)
        self._info: dict[str, Any] = info
        self._pipeline_bytes: bytes | None = pipeline
        self._pipeline: Any = None
        self.sha256 = sha256

    # -- files ----------------------------------------------------------------------------------

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str] | None = None,
        *,
        sha256: str | None = None,
        trust: bool = False,
    ) -> SpamModel:
        """Load the bundled model (``path=None``) or a model file, verifying it first.

        The bundled file must match :data:`BUNDLED_SHA256`. Another file must match ``sha256``
        when given, else the ``sha256`` in its manifest (:func:`manifest_path`); with neither, it
        loads only with ``trust=True``. A manifest is written next to the model by the same
        hand, so it catches corruption and mix-ups, not an attacker who can write both files:
        for files from elsewhere, pass the hash you got through a trusted channel.
        Raises :class:`ModelVerificationError` (a ``ValueError``) or ``OSError``.
        """
        if path is None:
            name = f"bundled model {BUNDLED_FILE}"
            resource = importlib.resources.files("safecomment.models").joinpath(BUNDLED_FILE)
            raw = resource.read_bytes()
            expected: str | None = (
                BUNDLED_SHA256 if sha256 is None else _checked_hash(sha256, "sha256 argument")
            )
        else:
            file = Path(path)
            name = file.name
            raw = file.read_bytes()
            expected = _expected_hash(file, sha256, trust)
        actual = hashlib.sha256(raw).hexdigest()
        if expected is not None and not hmac.compare_digest(actual, expected):
            raise ModelVerificationError(
                f"{name}: SHA-256 mismatch (expected {expected}, file has {actual}); the file "
                "was changed or replaced, so it was not loaded"
            )
        return cls(_unpickled(raw, name), sha256=actual)

    def save(self, path: str | os.PathLike[str]) -> str:
        """Write the joblib file and its JSON manifest (each atomically); return the SHA-256."""
        import joblib  # only for writing: loading needs neither joblib nor scikit-learn

        file = Path(path)
        buffer = io.BytesIO()
        joblib.dump(self._payload(), buffer, compress=("zlib", 9))
        raw = buffer.getvalue()
        self.sha256 = hashlib.sha256(raw).hexdigest()
        manifest = {"file": file.name, "bytes": len(raw), **self.manifest}
        _write_atomic(file, raw)
        _write_atomic(manifest_path(file), (json.dumps(manifest, indent=2) + "\n").encode())
        return self.sha256

    @property
    def payload(self) -> dict[str, Any]:
        """The plain-data payload :meth:`save` writes (builtins only), e.g. to train on top of."""
        return self._payload()

    def _payload(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            **self._scorer.to_payload(),
            "thresholds": list(self._thresholds),
            "info": self._info,
            "pipeline": self._pipeline_bytes,
        }

    @classmethod
    def train(
        cls,
        texts: Sequence[str | CommentLike],
        labels: Sequence[bool | int],
        *,
        groups: Sequence[str] | None = None,
        **options: Any,
    ) -> SpamModel:
        """Train on texts or comments with labels (1/True = spam); imports scikit-learn.

        ``groups`` names each example's source (site, video, corpus) so that calibration and the
        thresholds are validated across sources; ``options`` are
        :class:`~safecomment.spam.fit.TrainingOptions` fields.
        """
        from .fit import TrainingOptions, fit_payload

        return cls(fit_payload(texts, labels, groups=groups, options=TrainingOptions(**options)))

    # -- scoring --------------------------------------------------------------------------------

    @property
    def thresholds(self) -> Thresholds:
        """``(hold, spam)``: scores from ``hold`` are held for a moderator, from ``spam`` spam."""
        return self._thresholds

    @property
    def manifest(self) -> dict[str, Any]:
        """What the manifest records: hash, versions, training data and checksums, metrics."""
        return {"sha256": self.sha256, **self._info, "thresholds": self._thresholds._asdict()}

    def score(self, comment: str | CommentLike) -> float:
        """P(spam) for one comment (HTML ``str``, or an object with ``content``/``author_url``)."""
        return float(self._scorer.scores([prepare(comment)])[0])

    def score_batch(
        self,
        comments: Iterable[str | CommentLike],
        *,
        sanitized: Sequence[SanitizedHTML | None] | None = None,
    ) -> npt.NDArray[np.float64]:
        """P(spam) for each comment, as a float array in input order.

        ``sanitized`` (optional, one per comment) is each content as :func:`~safecomment.sanitize`
        made it with the default policy, or ``None``; it saves cleaning a comment again.
        """
        comments = list(comments)
        if sanitized is None:
            return self._scorer.scores([prepare(comment) for comment in comments])
        if len(sanitized) != len(comments):
            raise ValueError("sanitized must hold one entry per comment")
        return self._scorer.scores(list(map(prepare, comments, sanitized)))

    def explain(self, comment: str | CommentLike) -> Explanation:
        """The features that pushed ``comment``'s score up or down, strongest first.

        Each :class:`~safecomment.spam.explanation.Contribution` is in log-odds of spam; the
        explanation's ``baseline`` plus all of them is the log-odds of :meth:`score`.
        """
        doc = prepare(comment)
        baseline, found = self._scorer.contributions(doc)
        ranked = sorted(found, key=lambda item: (-abs(item[1]), item[0]))
        return Explanation(
            float(self._scorer.scores([doc])[0]), baseline,
            tuple(Contribution(name, float(value)) for name, value in ranked),
        )

    @property
    def pipeline(self) -> Any:
        """The fitted scikit-learn ``Pipeline`` this model was exported from (imports sklearn).

        Its ``predict_proba(comments)[:, 1]`` equals :meth:`score_batch` to within 1e-9.
        """
        if self._pipeline is None:
            if self._pipeline_bytes is None:
                raise AttributeError("this model was saved without its scikit-learn pipeline")
            # bytes from a file whose SHA-256 was verified (or that the caller chose to trust)
            self._pipeline = pickle.loads(self._pipeline_bytes)  # noqa: S301
        return self._pipeline

    def __getstate__(self) -> dict[str, Any]:
        """Pickle as the plain payload (cheap to send to worker processes), minus the pipeline."""
        return {"payload": {**self._payload(), "pipeline": None}, "sha256": self.sha256}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Rebuild from :meth:`__getstate__`."""
        self._setup(state["payload"], state["sha256"])

    def __repr__(self) -> str:
        hold, spam = self._thresholds
        digest = "unsaved" if self.sha256 is None else self.sha256[:12]
        return f"SpamModel(sha256={digest}, hold={hold:.4f}, spam={spam:.4f})"


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(handle, 0o644)  # a model or its manifest is not a secret
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
