"""The fitted linear spam model as plain data, and its arithmetic done by hand with numpy.

:func:`~safecomment.spam.fit.fit_payload` exports the scikit-learn pipeline's fitted numbers here:
per n-gram block the terms with their IDF and weight, the structure features' scaling and
weights, the intercept and the Platt calibration. :meth:`LinearScorer.scores` then redoes what
the pipeline computes (sublinear TF times IDF, L2 norm per block, dot product, sigmoid) for a whole
batch in a few numpy calls, without scikit-learn's per-call overhead or import.

A model trained on top of another (a site's model over the bundled one, its *prior*) carries the
prior's payload and adds the prior's calibrated log-odds, times one weight, to its own.

Character n-grams are counted word by word through a cache of each word's known columns: a
document's n-grams are the union of its words' (:func:`~safecomment.spam.features.char_ngrams`),
and words repeat across comments, so most words cost one dict lookup instead of a dozen slices.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from .features import (
    CONTEXT_FEATURES,
    STRUCTURE_FEATURES,
    Prepared,
    structure_matrix,
    word_char_ngrams,
    word_ngrams,
)

__all__ = ["LinearScorer", "encode_array", "prior_logits"]

_CACHED_WORDS: Final = 30_000  # words whose character n-gram columns are kept (~10 MB at most)
_FLOAT: Final = np.dtype("<f8")  # how arrays are stored in a payload: little-endian float64


def _array(data: object, size: int, name: str) -> npt.NDArray[np.float64]:
    """A read-only float64 array of ``size`` finite numbers from a payload's bytes."""
    if not isinstance(data, bytes) or len(data) != size * _FLOAT.itemsize:
        raise ValueError(f"{name}: expected {size} float64 values")
    array = np.frombuffer(data, dtype=_FLOAT).astype(np.float64, copy=False)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name}: not all finite")
    return array


def encode_array(values: npt.ArrayLike) -> bytes:
    """How a payload stores an array of numbers: little-endian float64 bytes."""
    return np.asarray(values, dtype=_FLOAT).tobytes()


def _vocabulary(terms: object, offset: int, name: str) -> dict[str, int]:
    if not isinstance(terms, list) or not all(isinstance(term, str) for term in terms):
        raise ValueError(f"{name} terms: expected a list of str")
    vocabulary = {term: offset + column for column, term in enumerate(terms)}
    if len(vocabulary) != len(terms):
        raise ValueError(f"{name} terms: not distinct")
    return vocabulary


class LinearScorer:
    """Calibrated P(spam) from word and character TF-IDF blocks plus scaled structure features."""

    __slots__ = (
        "_by_word", "_char", "_coef", "_idf", "_mean", "_scale", "_structure_coef", "_word",
        "_word_terms",
        "calibration", "intercept", "prior", "prior_coef",
    )

    def __init__(self, payload: Mapping[str, Any], *, nested: bool = True) -> None:
        """Read the ``word``/``char``/``structure``/``intercept``/``calibration`` entries, and
        ``prior``/``prior_coef`` when present (only when ``nested``: a prior has no prior).

        Raises ``ValueError``, ``KeyError`` or ``TypeError`` for a malformed payload.
        """
        word, char, structure = payload["word"], payload["char"], payload["structure"]
        self._word = _vocabulary(word["terms"], 0, "word")
        self._char = _vocabulary(char["terms"], len(self._word), "char")
        self._idf = np.concatenate([
            _array(word["idf"], len(self._word), "word idf"),
            _array(char["idf"], len(self._char), "char idf"),
        ])
        self._coef = np.concatenate([
            _array(word["coef"], len(self._word), "word coef"),
            _array(char["coef"], len(self._char), "char coef"),
        ])
        if tuple(structure["names"]) != STRUCTURE_FEATURES:
            raise ValueError("structure features differ from this safecomment's; retrain")
        size = len(STRUCTURE_FEATURES)
        self._mean = _array(structure["mean"], size, "structure mean")
        self._scale = _array(structure["scale"], size, "structure scale")
        self._structure_coef = _array(structure["coef"], size, "structure coef")
        self.intercept = float(payload["intercept"])
        a, b = payload["calibration"]
        self.calibration = (float(a), float(b))
        self.prior: LinearScorer | None = None
        self.prior_coef = 0.0
        if "prior" in payload:
            if not nested:
                raise ValueError("a prior model cannot have a prior of its own")
            self.prior = LinearScorer(payload["prior"], nested=False)
            self.prior_coef = float(payload["prior_coef"])
        numbers = (self.intercept, *self.calibration, self.prior_coef)
        if not all(map(math.isfinite, numbers)):
            raise ValueError("intercept, calibration and prior_coef must be finite")
        self._by_word: dict[str, tuple[int, ...]] = {}
        self._word_terms: list[str] | None = None

    def to_payload(self) -> dict[str, Any]:
        """The entries :meth:`__init__` reads, as builtins only (bytes for arrays)."""
        split = len(self._word)
        return {
            "word": {"terms": list(self._word), "idf": encode_array(self._idf[:split]),
                     "coef": encode_array(self._coef[:split])},
            "char": {"terms": list(self._char), "idf": encode_array(self._idf[split:]),
                     "coef": encode_array(self._coef[split:])},
            "structure": {
                "names": list(STRUCTURE_FEATURES),
                "mean": encode_array(self._mean),
                "scale": encode_array(self._scale),
                "coef": encode_array(self._structure_coef),
            },
            "intercept": self.intercept,
            "calibration": list(self.calibration),
            **({} if self.prior is None else
               {"prior": self.prior.to_payload(), "prior_coef": self.prior_coef}),
        }

    def scores(self, docs: Sequence[Prepared]) -> npt.NDArray[np.float64]:
        """P(spam) for each prepared document."""
        if not docs:
            return np.zeros(0)
        a, b = self.calibration
        result: npt.NDArray[np.float64] = 1.0 / (1.0 + np.exp(a * self._decision(docs) + b))
        return result

    def logits(self, docs: Sequence[Prepared]) -> npt.NDArray[np.float64]:
        """The calibrated log-odds of spam for each prepared document."""
        a, b = self.calibration
        result: npt.NDArray[np.float64] = -(a * self._decision(docs) + b)
        return result

    def _decision(self, docs: Sequence[Prepared]) -> npt.NDArray[np.float64]:
        """The linear model's raw decision value (before calibration) for each document."""
        columns: list[int] = []
        counts: list[int] = []
        sizes: list[int] = []  # per document: known word n-grams, then known character n-grams
        for doc in docs:
            for counted in (self._word_counts(doc), self._char_counts(doc)):
                columns += counted.keys()
                counts += counted.values()
                sizes.append(len(counted))
        column = np.fromiter(columns, dtype=np.intp, count=len(columns))
        value = np.log(np.fromiter(counts, dtype=np.float64, count=len(counts)))
        value += 1.0
        value *= self._idf[column]
        segment = np.repeat(np.arange(len(sizes)), sizes)  # 2 * document + block
        squares = np.bincount(segment, weights=value * value, minlength=len(sizes))
        dot = np.bincount(segment, weights=value * self._coef[column], minlength=len(sizes))
        text = np.divide(dot, np.sqrt(squares), out=np.zeros(len(sizes)), where=squares > 0)
        scaled = (structure_matrix(docs) - self._mean) / self._scale
        decision: npt.NDArray[np.float64] = (
            self.intercept + text.reshape(-1, 2).sum(axis=1) + scaled @ self._structure_coef
        )
        if self.prior is not None:
            decision += self.prior_coef * self.prior.logits(docs)
        return decision

    def contributions(self, doc: Prepared) -> tuple[float, list[tuple[str, float]]]:
        """How one document's score comes about, in calibrated log-odds of spam.

        Returns the baseline (the intercept's share) and ``(feature, contribution)`` for each
        feature that is present; baseline plus contributions is the document's log-odds. Word
        n-grams are named ``word 'x'``, the character n-grams are summed per word of the text
        (``spelling of 'x'``), structure features keep their names, a prior is ``prior model``.
        """
        a, b = self.calibration
        slope = -a
        found: list[tuple[str, float]] = []
        word = self._word_counts(doc)
        if word:
            terms = self._terms()
            found += (
                (f"word {terms[c]!r}", slope * push) for c, push in self._pushes(word).items()
            )
        chars = self._char_counts(doc)
        pushes = self._pushes(chars)
        per_char = {c: push / chars[c] for c, push in pushes.items()}
        per_word: dict[str, float] = {}
        for text_word in doc.text.lower().split():
            share = sum(per_char[c] for c in self._char_columns(text_word))
            per_word[text_word] = per_word.get(text_word, 0.0) + share
        found += ((f"spelling of {w!r}", slope * v) for w, v in per_word.items() if v)
        # A structure feature that is present is measured from the training mean; one at 0 (no
        # links, no website...) or one of CONTEXT_FEATURES is not listed, its pull from the
        # mean goes into the baseline.
        intercept = self.intercept
        values = structure_matrix([doc])[0]
        centred = (values - self._mean) / self._scale * self._structure_coef
        for name, value, push in zip(STRUCTURE_FEATURES, values, centred, strict=True):
            if value and name not in CONTEXT_FEATURES:
                found.append((name, slope * float(push)))
            else:
                intercept += float(push)
        if self.prior is not None:
            found.append(("prior model", slope * self.prior_coef * float(
                self.prior.logits([doc])[0])))
        return -(a * intercept + b), found

    def _pushes(self, counted: Mapping[int, int]) -> dict[int, float]:
        """Each column's sublinear TF-IDF value, L2-normalised over the block, times its weight:
        what the column adds to the raw decision value."""
        if not counted:
            return {}
        column = np.fromiter(counted.keys(), dtype=np.intp, count=len(counted))
        value = 1.0 + np.log(np.fromiter(counted.values(), dtype=np.float64, count=len(counted)))
        value *= self._idf[column]
        value /= math.sqrt(float(value @ value)) or 1.0
        return dict(zip(counted.keys(), (value * self._coef[column]).tolist(), strict=True))

    def _terms(self) -> list[str]:
        """The word n-grams by column (built on first use)."""
        if self._word_terms is None:
            self._word_terms = list(self._word)
        return self._word_terms

    def _word_counts(self, doc: Prepared) -> dict[int, int]:
        get = self._word.get
        counted: dict[int, int] = {}
        for gram, count in Counter(word_ngrams(doc)).items():
            column = get(gram)
            if column is not None:
                counted[column] = count
        return counted

    def _char_counts(self, doc: Prepared) -> Counter[int]:
        columns: list[int] = []
        for word in doc.text.lower().split():
            columns += self._char_columns(word)
        return Counter(columns)

    def _char_columns(self, word: str) -> tuple[int, ...]:
        """The known character n-gram columns of one lower-cased word (cached)."""
        known = self._by_word.get(word)
        if known is None:
            get = self._char.get
            known = tuple(c for c in map(get, word_char_ngrams(word)) if c is not None)
            if len(self._by_word) >= _CACHED_WORDS:
                self._by_word.clear()
            self._by_word[word] = known
        return known


def prior_logits(docs: Sequence[Prepared], prior: Mapping[str, Any]) -> npt.NDArray[np.float64]:
    """The prior model's (a payload's) calibrated log-odds, as a one-column feature matrix."""
    return LinearScorer(prior, nested=False).logits(docs).reshape(-1, 1)
