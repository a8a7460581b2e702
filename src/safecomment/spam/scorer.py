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

:meth:`LinearScorer.scored` keeps a batch's arithmetic (:class:`Scored`), so that
:meth:`LinearScorer.contributions` explains any of its documents without counting them again,
all of them in a few numpy calls; where a batch's arithmetic could round differently from one
document's (a block's L2 norm, a matrix product), it is redone per document, so an explanation
does not depend on the batch it came from.
"""

from __future__ import annotations

import itertools
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
        "_word_names_cache",
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
        self._word_names_cache: list[str] | None = None

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
        take, sizes, pushes = self._pushes(scored, rows)
        block = np.repeat(np.array([False, True] * len(rows)), sizes)  # False: word, True: char
        names = self._word_names()
        word_columns = scored.column[take[~block]].tolist()
        word_pushes = (slope * pushes[~block]).tolist()
        spellings = self._spellings(scored, rows, take[block], pushes[block], sizes[1::2])
        found: list[list[tuple[str, float]]] = []
        at = 0
        for size, spelling in zip(sizes[::2], spellings, strict=True):
            listed = list(zip(map(names.__getitem__, word_columns[at:at + size]),
                              word_pushes[at:at + size], strict=True))
            listed += ((f"spelling of {w!r}", slope * v) for w, v in spelling)
            found.append(listed)
            at += size
        # A structure feature that is present is measured from the training mean; one at 0 (no
        # links, no website...) or one of CONTEXT_FEATURES is not listed, its pull from the
        # mean goes into the baseline.
        values = scored.structure[list(rows)]
        centred = (values - self._mean) / self._scale * self._structure_coef
        listed_mask = (values != 0) & ~_CONTEXT_MASK
        pulls = np.where(listed_mask, 0.0, centred)
        pulls[:, 0] += self.intercept  # then summed one by one in order, as floats are
        intercept = np.cumsum(pulls, axis=1)[:, -1]
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

    def _pushes(
        self, scored: Scored, rows: Sequence[int]
    ) -> tuple[npt.NDArray[np.intp], list[int], npt.NDArray[np.float64]]:
        """The n-gram entries of ``rows`` (their places in the batch, row by row, each row's
        word block then its character block), each block's size, and each entry's push: its
        sublinear TF-IDF value, L2-normalised over its block, times its weight (what the column
        adds to the raw decision value)."""
        bounds = scored.bounds.tolist()
        value = scored.value
        norms: list[float] = []
        sizes: list[int] = []
        for row in rows:
            for start, end in ((bounds[2 * row], bounds[2 * row + 1]),
                               (bounds[2 * row + 1], bounds[2 * row + 2])):
                part = value[start:end]  # one dot product per block, as for one document
                norms.append(math.sqrt(float(part @ part)) or 1.0)
                sizes.append(end - start)
        lengths = np.asarray(sizes, dtype=np.intp).reshape(-1, 2).sum(axis=1)
        starts = np.asarray([bounds[2 * row] for row in rows], dtype=np.intp)
        take = np.arange(int(lengths.sum()), dtype=np.intp) + np.repeat(
            starts - (np.cumsum(lengths) - lengths), lengths
        )
        pushes = value[take] / np.repeat(norms, sizes) * self._coef[scored.column[take]]
        return take, sizes, pushes

    def _spellings(
        self,
        scored: Scored,
        rows: Sequence[int],
        take: npt.NDArray[np.intp],
        pushes: npt.NDArray[np.float64],
        sizes: list[int],
    ) -> list[list[tuple[str, float]]]:
        """For each row, each distinct word of its text with the sum of its character n-grams'
        shares (an n-gram's push divided by its count; ``take``, ``pushes`` and ``sizes`` are
        the rows' character entries), summed in the text's order, where that sum is not zero."""
        width = len(self._idf)
        share = pushes / scored.counts[take]
        key = np.repeat(np.arange(len(rows)), sizes) * width + scored.column[take]
        order = np.argsort(key)  # to find (row, column) among the rows' entries
        grams: list[tuple[int, ...]] = []  # each word occurrence's columns, over all rows
        owner: list[int] = []  # the row of each occurrence
        occurrences: list[int] = []  # its distinct word, numbered over all rows
        distinct: list[list[str]] = []
        total = 0  # distinct words so far
        for k, row in enumerate(rows):
            words = scored.docs[row].text.lower().split()
            grams += map(self._char_columns, words)
            owner += [k] * len(words)
            number = dict(zip(dict.fromkeys(words), itertools.count(total)))
            occurrences += map(number.__getitem__, words)
            distinct.append(list(number))
            total += len(number)
        lengths = np.fromiter(map(len, grams), dtype=np.intp, count=len(grams))
        wanted = np.repeat(np.asarray(owner, dtype=np.intp), lengths) * width + np.fromiter(
            itertools.chain.from_iterable(grams), dtype=np.intp, count=int(lengths.sum())
        )
        found = order[np.searchsorted(key[order], wanted)]
        shares = np.bincount(
            np.repeat(np.arange(len(grams)), lengths), weights=share[found],
            minlength=len(grams),
        )
        sums = np.bincount(occurrences, weights=shares, minlength=total).tolist()
        result: list[list[tuple[str, float]]] = []
        at = 0
        for words in distinct:
            result.append([(w, v) for w, v in zip(words, sums[at:at + len(words)], strict=True)
                           if v])
            at += len(words)
        return result

    def _word_names(self) -> list[str]:
        """Each word n-gram column's feature name, ``word 'x'`` (built on first use)."""
        if self._word_names_cache is None:
            self._word_names_cache = [f"word {term!r}" for term in self._word]
        return self._word_names_cache

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
