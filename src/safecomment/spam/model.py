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

A file that verifies can still be wrong (its manifest is written by the same hand), so loading
also bounds what it costs and what it can do: only a regular file is opened (never a device or a
FIFO), the file and its decompressed payload are capped (:data:`MAX_FILE_BYTES`,
:data:`MAX_PAYLOAD_BYTES`) before they are read or expanded past the cap, the manifest's byte
count is compared before the model is read, and every number of the model must be finite and in
range (scales and IDF weights positive), so no score is ever NaN.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.resources
import io
import json
import math
import operator
import os
import pickle
import re
import stat
import tempfile
import zlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Final

import numpy as np
import numpy.typing as npt

from ..errors import ModelVerificationError
from ..markup import SanitizedHTML
from ..policy import DEFAULT_POLICY, Policy
from .explanation import Contribution, Explanation
from .features import CommentLike, Prepared, prepare
from .format import BUNDLED_FILE, FORMAT, Thresholds
from .scorer import LinearScorer, Scored

__all__ = [
    "BUNDLED_FILE",
    "BUNDLED_SHA256",
    "FORMAT",
    "MAX_FILE_BYTES",
    "MAX_PAYLOAD_BYTES",
    "ModelVerificationError",
    "ScoredBatch",
    "SpamModel",
    "Thresholds",
    "manifest_path",
]

BUNDLED_SHA256: Final = "2eaf4a2e64a3afd9e9792682f7d7fac292fff2e99f2abb467e50f61d33542f89"
"""SHA-256 of the bundled model file; ``safecomment train --bundled`` prints it."""

MAX_FILE_BYTES: Final = 64 * 1024 * 1024
"""The largest model file :meth:`SpamModel.load` reads (the bundled one is under 0.5 MB)."""

MAX_PAYLOAD_BYTES: Final = 256 * 1024 * 1024
"""The largest decompressed payload :meth:`SpamModel.load` unpickles."""

_MAX_MANIFEST_BYTES: Final = 1024 * 1024
# Every number of a model lies within +-_MAX_MAGNITUDE, and scales and IDF weights are at least
# _MIN_POSITIVE: with those bounds no sum, product or quotient in the scorer overflows to inf,
# so no score can be NaN (the bundled model's numbers lie within 0.025..8 in magnitude).
_MAX_MAGNITUDE: Final = 1e6
_MIN_POSITIVE: Final = 1e-6
_ARRAYS: Final = {  # payload block -> its float64 arrays -> the smallest value allowed
    "word": {"idf": _MIN_POSITIVE, "coef": -_MAX_MAGNITUDE},
    "char": {"idf": _MIN_POSITIVE, "coef": -_MAX_MAGNITUDE},
    "structure": {"mean": -_MAX_MAGNITUDE, "scale": _MIN_POSITIVE, "coef": -_MAX_MAGNITUDE},
}
_SHA256: Final = re.compile(r"[0-9a-f]{64}")


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


def _open_regular(path: Path, limit: int) -> IO[bytes]:
    """``path`` opened for reading if it is a regular file of at most ``limit`` bytes.

    Opened without blocking, so a FIFO is refused instead of waited on; a device (``/dev/zero``)
    is refused before a byte is read.
    """
    handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    file = os.fdopen(handle, "rb")
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode):
            raise ModelVerificationError(f"{path.name}: not a regular file")
        if info.st_size > limit:
            raise ModelVerificationError(
                f"{path.name}: {info.st_size:,} bytes, more than the {limit:,} allowed"
            )
    except BaseException:
        file.close()
        raise
    return file


def _read_all(file: IO[bytes], name: str) -> bytes:
    """All of a file :func:`_open_regular` opened: the size it had then, not a byte more."""
    size = os.fstat(file.fileno()).st_size
    data = file.read(size + 1)  # a buffer of the file's size, not of the cap
    if len(data) != size:
        raise ModelVerificationError(f"{name}: the file changed while it was read")
    return data


def _expected(path: Path, sha256: str | None, trust: bool) -> tuple[str | None, int | None]:
    """The hash ``path`` must have (the caller's, else its manifest's; ``None`` when trusted)
    and, from the manifest, its size in bytes (``None`` when not recorded)."""
    if sha256 is not None:
        return _checked_hash(sha256, "sha256 argument"), None
    if trust:
        return None, None
    manifest = manifest_path(path)
    try:
        with _open_regular(manifest, _MAX_MANIFEST_BYTES) as file:
            text = _read_all(file, manifest.name)
        recorded = json.loads(text.decode("utf-8"))
    except FileNotFoundError:
        raise ModelVerificationError(
            f"{path.name}: no manifest ({manifest.name}) to verify it against; put the manifest "
            "that came with the model next to it (`safecomment train` writes one), or, from "
            "Python, pass SpamModel.load the file's sha256 as you got it from its author"
        ) from None
    except ModelVerificationError:
        raise
    except (OSError, ValueError) as error:
        raise ModelVerificationError(f"{manifest.name}: unreadable manifest ({error})") from None
    if not isinstance(recorded, dict):
        raise ModelVerificationError(f"{manifest.name}: the manifest is not a JSON object")
    size = recorded.get("bytes")
    if size is not None and (type(size) is not int or size < 0):
        raise ModelVerificationError(f"{manifest.name} bytes: not a byte count")
    return _checked_hash(recorded.get("sha256"), f"{manifest.name} sha256"), size


def _decompressed(raw: bytes, name: str) -> bytes:
    """A joblib file's pickle: zlib-decompressed (at most :data:`MAX_PAYLOAD_BYTES`) or as is."""
    if raw[:1] != b"\x78":  # zlib, as joblib.dump(compress=("zlib", n)) writes
        return raw
    inflater = zlib.decompressobj()
    try:
        data = inflater.decompress(raw, MAX_PAYLOAD_BYTES + 1)
    except zlib.error as error:
        raise ModelVerificationError(f"{name}: damaged compressed data ({error})") from None
    if len(data) > MAX_PAYLOAD_BYTES:
        raise ModelVerificationError(
            f"{name}: the compressed data expands to more than {MAX_PAYLOAD_BYTES:,} bytes"
        )
    if not inflater.eof or inflater.unused_data:
        raise ModelVerificationError(f"{name}: damaged compressed data (truncated or trailing)")
    return data


def _unpickled(raw: bytes, name: str) -> Any:
    """The payload of a joblib file (zlib-compressed or plain pickle), builtins only."""
    raw = _decompressed(raw, name)
    if raw[:1] != b"\x80":
        raise ModelVerificationError(f"{name}: not a joblib/pickle file")
    try:
        return _BuiltinsOnly(io.BytesIO(raw)).load()
    except ModelVerificationError:
        raise
    except Exception as error:  # noqa: BLE001 - any unpickling failure means a bad file
        raise ModelVerificationError(f"{name}: unreadable model data ({error!r})") from None


def _number(value: object, name: str, low: float = -_MAX_MAGNITUDE,
            high: float = _MAX_MAGNITUDE) -> float:
    """``value`` as a float if it is an int or float from ``low`` to ``high`` (so not NaN)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ModelVerificationError(
            f"model payload: {name} must be a finite number from {low:g} to {high:g}"
        )
    return float(value)


def _check_numbers(payload: Mapping[str, Any]) -> None:
    """Refuse a payload with a number that is not finite or out of range (see _MAX_MAGNITUDE)."""
    for block, arrays in _ARRAYS.items():
        for key, low in arrays.items():
            data = payload[block][key]
            if not isinstance(data, bytes) or len(data) % 8:
                raise TypeError(f"{block} {key} must be float64 bytes")
            values = np.frombuffer(data, dtype="<f8")
            if not np.all((values >= low) & (values <= _MAX_MAGNITUDE)):
                raise ModelVerificationError(
                    f"model payload: every {block} {key} value must be finite and from {low:g} "
                    f"to {_MAX_MAGNITUDE:g}"
                )
    _number(payload["intercept"], "intercept")
    calibration = payload["calibration"]
    if not isinstance(calibration, list | tuple) or len(calibration) != 2:
        raise TypeError("calibration must hold two numbers")
    for value in calibration:
        _number(value, "calibration")
    if "prior" in payload:  # a site model carries the model it learned on top of
        if not isinstance(payload["prior"], Mapping):
            raise TypeError("prior must be a model payload")
        _check_numbers(payload["prior"])
        _number(payload.get("prior_coef"), "prior_coef")


def _prepared(
    comments: Iterable[str | CommentLike], sanitized: Sequence[SanitizedHTML | None] | None
) -> list[Prepared]:
    """Each comment prepared for scoring, with its sanitised HTML when ``sanitized`` has it."""
    comments = list(comments)
    if sanitized is None:
        return [prepare(comment) for comment in comments]
    if len(sanitized) != len(comments):
        raise ValueError("sanitized must hold one entry per comment")
    return list(map(prepare, comments, sanitized))


class ScoredBatch:
    """A batch's spam scores (:attr:`scores`, P(spam) in input order) from
    :meth:`SpamModel.scored_batch`, ready to explain any of its comments cheaply."""

    __slots__ = ("_scored", "_scorer", "scores")

    def __init__(self, scorer: LinearScorer, scored: Scored | None) -> None:
        """Wrap a scorer's :meth:`~.scorer.LinearScorer.scored` batch (``None``: no comments)."""
        self._scorer = scorer
        self._scored = scored
        self.scores: npt.NDArray[np.float64] = (
            np.zeros(0) if scored is None else scorer.probabilities(scored)
        )

    def explain(self, indices: Iterable[int] | None = None) -> list[Explanation]:
        """:meth:`SpamModel.explain` of the comments at ``indices`` (all when ``None``), in
        that order."""
        rows = list(range(len(self.scores)) if indices is None else map(operator.index, indices))
        if not rows:
            return []
        if self._scored is None or not all(0 <= row < len(self.scores) for row in rows):
            raise IndexError(f"explain: an index outside this batch of {len(self.scores)}")
        explained = []
        for baseline, found in self._scorer.contributions(self._scored, rows):
            ranked = sorted(found, key=lambda item: (-abs(item[1]), item[0]))
            logit = baseline + math.fsum(value for _, value in found)
            explained.append(Explanation(
                1.0 / (1.0 + math.exp(-logit)), baseline,
                tuple(map(Contribution._make, ranked)),
            ))
        return explained


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
            _check_numbers(payload)
            self._scorer = LinearScorer(payload)
            hold, spam = (_number(value, "thresholds", 0.0, 1.0) for value in payload["thresholds"])
            info = payload["info"]
            pipeline = payload.get("pipeline")
            if not isinstance(info, dict) or not isinstance(pipeline, bytes | None):
                raise TypeError("info must be a dict and pipeline bytes or None")
            json.dumps(info, allow_nan=False)  # the manifest is written from it
        except ModelVerificationError:
            raise
        except (KeyError, TypeError, ValueError, RecursionError) as error:
            raise ModelVerificationError(f"model payload is malformed: {error!r}") from None
        if not hold <= spam:
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
        for files from elsewhere, pass the hash you got through a trusted channel. Whatever
        verified it, the file must be a regular file within :data:`MAX_FILE_BYTES`, expand to
        at most :data:`MAX_PAYLOAD_BYTES` and hold finite, in-range numbers only.
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
            with _open_regular(file, MAX_FILE_BYTES) as opened:
                expected, size = _expected(file, sha256, trust)  # before a byte of the model
                actual_size = os.fstat(opened.fileno()).st_size
                if size is not None and size != actual_size:
                    raise ModelVerificationError(
                        f"{name}: {actual_size:,} bytes, but its manifest records {size:,}; the "
                        "file was changed or replaced, so it was not loaded"
                    )
                raw = _read_all(opened, name)
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
        if len(raw) > MAX_FILE_BYTES:
            raise ModelVerificationError(
                f"{file.name}: {len(raw):,} bytes, more than the {MAX_FILE_BYTES:,} allowed"
            )
        _decompressed(raw, file.name)  # refuses what load() would refuse, before writing
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

    @property
    def sanitizing_policy(self) -> Policy:
        """The policy of the HTML :meth:`score_batch` takes as ``sanitized``: the default one."""
        return DEFAULT_POLICY

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
        return self._scorer.scores(_prepared(comments, sanitized))

    def scored_batch(
        self,
        comments: Iterable[str | CommentLike],
        *,
        sanitized: Sequence[SanitizedHTML | None] | None = None,
    ) -> ScoredBatch:
        """:meth:`score_batch`'s scores, kept with what scoring computed so that any of the
        comments can then be explained without being prepared or counted again."""
        docs = _prepared(comments, sanitized)
        if not docs:
            return ScoredBatch(self._scorer, None)
        return ScoredBatch(self._scorer, self._scorer.scored(docs))

    def explain_batch(
        self,
        comments: Iterable[str | CommentLike],
        *,
        sanitized: Sequence[SanitizedHTML | None] | None = None,
    ) -> list[Explanation]:
        """:meth:`explain` for each comment, in input order, vectorised over the batch (the same
        explanations, to the last bit); ``sanitized`` as in :meth:`score_batch`."""
        return self.scored_batch(comments, sanitized=sanitized).explain()

    def explain(
        self, comment: str | CommentLike, *, sanitized: SanitizedHTML | None = None
    ) -> Explanation:
        """The features that pushed ``comment``'s score up or down, strongest first.

        Each :class:`~safecomment.spam.explanation.Contribution` is in log-odds of spam; the
        explanation's ``baseline`` plus all of them is the log-odds of :meth:`score`.
        ``sanitized`` saves a clean, as in :meth:`score_batch`.
        """
        shared = None if sanitized is None else [sanitized]
        return self.explain_batch([comment], sanitized=shared)[0]

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
