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
from typing import Any, Final, NamedTuple

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

__all__ = ["LinearScorer", "Scored", "encode_array", "prior_logits"]

_CACHED_WORDS: Final = 30_000  # words whose character n-gram columns are kept (~10 MB at most)
_FLOAT: Final = np.dtype("<f8")  # how arrays are stored in a payload: little-endian float64
_CONTEXT_MASK: Final = np.array([name in CONTEXT_FEATURES for name in STRUCTURE_FEATURES])


class Scored(NamedTuple):
    """What :meth:`LinearScorer.scored` computed for a batch, kept so that any of its documents
    can be explained without preparing or counting it again."""

    docs: Sequence[Prepared]
    column: npt.NDArray[np.intp]  # each document's known word n-grams, then its character ones
    counts: npt.NDArray[np.float64]  # how often each occurs in its document
    value: npt.NDArray[np.float64]  # its sublinear TF-IDF value, before the L2 norm
    bounds: npt.NDArray[np.intp]  # where each document's two blocks start, then the end
    text_sums: npt.NDArray[np.float64]  # each document's two n-gram blocks' share of decision
    structure: npt.NDArray[np.float64]  # structure_matrix(docs)
    decision: npt.NDArray[np.float64]  # the raw decision value, before calibration
    prior: Scored | None  # the prior's own, for a model with a prior


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
        return self.probabilities(self.scored(docs))

    def probabilities(self, scored: Scored) -> npt.NDArray[np.float64]:
        """P(spam) for each document of a :meth:`scored` batch."""
        a, b = self.calibration
        result: npt.NDArray[np.float64] = 1.0 / (1.0 + np.exp(a * scored.decision + b))
        return result

    def logits(self, docs: Sequence[Prepared]) -> npt.NDArray[np.float64]:
        """The calibrated log-odds of spam for each prepared document."""
        a, b = self.calibration
        result: npt.NDArray[np.float64] = -(a * self.scored(docs).decision + b)
        return result

    def scored(
        self, docs: Sequence[Prepared], structure: npt.NDArray[np.float64] | None = None
    ) -> Scored:
        """The linear model's arithmetic for each document, up to its raw decision value
        (before calibration); ``structure`` is :func:`structure_matrix` of ``docs`` if known."""
        columns: list[int] = []
        counts: list[int] = []
        sizes: list[int] = []  # per document: known word n-grams, then known character n-grams
        for doc in docs:
            for counted in (self._word_counts(doc), self._char_counts(doc)):
                columns += counted.keys()
                counts += counted.values()
                sizes.append(len(counted))
        column = np.fromiter(columns, dtype=np.intp, count=len(columns))
        count = np.fromiter(counts, dtype=np.float64, count=len(counts))
        value = np.log(count)
        value += 1.0
        value *= self._idf[column]
        segment = np.repeat(np.arange(len(sizes)), sizes)  # 2 * document + block
        squares = np.bincount(segment, weights=value * value, minlength=len(sizes))
        dot = np.bincount(segment, weights=value * self._coef[column], minlength=len(sizes))
        text = np.divide(dot, np.sqrt(squares), out=np.zeros(len(sizes)), where=squares > 0)
        if structure is None:
            structure = structure_matrix(docs)
        scaled = (structure - self._mean) / self._scale
        text_sums = text.reshape(-1, 2).sum(axis=1)
        decision: npt.NDArray[np.float64] = (
            self.intercept + text_sums + scaled @ self._structure_coef
        )
        prior = None
        if self.prior is not None:
            prior = self.prior.scored(docs, structure)
            a, b = self.prior.calibration
            decision += self.prior_coef * -(a * prior.decision + b)
        bounds = np.zeros(len(sizes) + 1, dtype=np.intp)
        np.cumsum(sizes, out=bounds[1:])
        return Scored(docs, column, count, value, bounds, text_sums, structure, decision, prior)

    def contributions(
        self, scored: Scored, rows: Sequence[int]
    ) -> list[tuple[float, list[tuple[str, float]]]]:
        """How each of the ``rows`` of a :meth:`scored` batch comes about, in calibrated
        log-odds of spam, with the very arithmetic of explaining one document alone.

        For each row: the baseline (the intercept's share) and ``(feature, contribution)`` for
        each feature that is present; baseline plus contributions is the document's log-odds.
        Word n-grams are named ``word 'x'``, the character n-grams are summed per word of the
        text (``spelling of 'x'``), structure features keep their names, a prior is ``prior
        model``.
        """
        if not rows:
            return []
        a, b = self.calibration
        slope = -a
        found: list[list[tuple[str, float]]] = [[] for _ in rows]
        pushes, per_char = self._block_pushes(scored, rows)
        terms = self._terms()
        bounds = scored.bounds.tolist()
        word_pushes = (slope * pushes).tolist()
        at = 0  # where this row's entries start in pushes
        for row, listed in zip(rows, found, strict=True):
            start, split, end = bounds[2 * row: 2 * row + 3]
            listed += (
                (f"word {terms[c]!r}", push)
                for c, push in zip(scored.column[start:split].tolist(),
                                   word_pushes[at:at + split - start], strict=True)
            )
            at += end - start
        for listed, spelling in zip(found, self._spellings(scored, rows, per_char), strict=True):
            listed += ((f"spelling of {w!r}", slope * v) for w, v in spelling)
        # A structure feature that is present is measured from the training mean; one at 0 (no
        # links, no website...) or one of CONTEXT_FEATURES is not listed, its pull from the
        # mean goes into the baseline.
        values = scored.structure[list(rows)]
        centred = (values - self._mean) / self._scale * self._structure_coef
        listed_mask = (values != 0) & ~_CONTEXT_MASK
        intercept = np.full(len(rows), self.intercept)
        for feature in range(len(STRUCTURE_FEATURES)):  # in order, as one float sum per row
            intercept += np.where(listed_mask[:, feature], 0.0, centred[:, feature])
        listed_rows, listed_features = np.nonzero(listed_mask)
        for k, feature, push in zip(listed_rows.tolist(), listed_features.tolist(),
                                    (slope * centred[listed_mask]).tolist(), strict=True):
            found[k].append((STRUCTURE_FEATURES[feature], push))
        if self.prior is not None and scored.prior is not None:
            for listed, logit in zip(found, self.prior._alone_logits(scored.prior, rows),
                                     strict=True):
                listed.append(("prior model", slope * self.prior_coef * logit))
        baselines = (-(a * intercept + b)).tolist()
        return list(zip(baselines, found, strict=True))

    def _alone_logits(self, scored: Scored, rows: Sequence[int]) -> list[float]:
        """The calibrated log-odds of each of the ``rows`` of a :meth:`scored` batch, each
        computed as for a batch of that one document (a batch's matrix product may round
        differently from one row's)."""
        a, b = self.calibration
        logits: list[float] = []
        for row in rows:
            scaled = (scored.structure[row:row + 1] - self._mean) / self._scale
            decision = (
                self.intercept + scored.text_sums[row:row + 1] + scaled @ self._structure_coef
            )
            logits.append(float(-(a * decision + b)[0]))
        return logits

    def _block_pushes(
        self, scored: Scored, rows: Sequence[int]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """For the n-gram entries of ``rows`` (in the batch's order): each column's sublinear
        TF-IDF value, L2-normalised over its block, times its weight (what the column adds to
        the raw decision value); and that push divided by the column's count."""
        bounds = scored.bounds.tolist()
        value = scored.value
        norms: list[float] = []
        sizes: list[int] = []
        for row in rows:
            for block in (2 * row, 2 * row + 1):
                start, end = bounds[block], bounds[block + 1]
                part = value[start:end]
                norms.append(math.sqrt(float(part @ part)) or 1.0)
                sizes.append(end - start)
        starts = [bounds[2 * row] for row in rows]
        lengths = [bounds[2 * row + 2] - bounds[2 * row] for row in rows]
        offsets = np.repeat(np.asarray(starts, dtype=np.intp) - np.cumsum([0, *lengths[:-1]]),
                            lengths)
        take = np.arange(len(offsets), dtype=np.intp) + offsets
        pushes = value[take] / np.repeat(norms, sizes) * self._coef[scored.column[take]]
        return pushes, pushes / scored.counts[take]

    def _spellings(
        self, scored: Scored, rows: Sequence[int], per_char: npt.NDArray[np.float64]
    ) -> list[list[tuple[str, float]]]:
        """For each row, each distinct word of its text with the sum of its character n-grams'
        shares (an n-gram's push divided by its count), summed in the text's order, where that
        sum is not zero."""
        bounds = scored.bounds.tolist()
        width = len(self._idf)
        keys: list[int] = []  # the character entries of all rows, as row * width + column
        places: list[int] = []  # where each of them is in per_char
        wanted: list[int] = []  # each word occurrence's n-gram columns, as keys like the above
        lengths: list[int] = []  # n-gram columns per word occurrence
        occurrences: list[int] = []  # the distinct word of each occurrence, over all rows
        distinct: list[list[str]] = []
        at = base = 0
        for k, row in enumerate(rows):
            start, split, end = bounds[2 * row: 2 * row + 3]
            keys += (k * width + c for c in scored.column[split:end].tolist())
            places += range(at + split - start, at + end - start)
            at += end - start
            index: dict[str, int] = {}
            for word in scored.docs[row].text.lower().split():
                grams = self._char_columns(word)
                wanted += (k * width + c for c in grams)
                lengths.append(len(grams))
                occurrences.append(base + index.setdefault(word, len(index)))
            distinct.append(list(index))
            base += len(index)
        key = np.fromiter(keys, dtype=np.int64, count=len(keys))
        order = np.argsort(key)
        found = order[np.searchsorted(key[order], np.fromiter(wanted, dtype=np.int64))]
        shares = np.bincount(
            np.repeat(np.arange(len(lengths)), lengths),
            weights=per_char[np.asarray(places, dtype=np.intp)[found]], minlength=len(lengths),
        )
        sums = np.bincount(occurrences, weights=shares, minlength=base)
        result: list[list[tuple[str, float]]] = []
        at = 0
        for words in distinct:
            result.append([(w, v) for w, v in zip(words, sums[at:at + len(words)].tolist(),
                                                   strict=True) if v])
            at += len(words)
        return result

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
