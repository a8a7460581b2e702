"""The public corpora: verified before parsing, counted as their README says, label leaks gone;
and the bundled model is exactly what the documented command rebuilds from them."""

from __future__ import annotations

import importlib.resources
import json
from collections import Counter
from pathlib import Path

import pytest
import sklearn

from safecomment import CorpusError
from safecomment.spam.corpora import BLOGS, CORPORA, FORM_ERA, SMS, YOUTUBE, data_dir, load_corpus
from safecomment.spam.model import BUNDLED_FILE, BUNDLED_SHA256
from safecomment.spam.train import train_bundled

# rows, spam, ham per file, from ../shared/data/README.md
COUNTS = {
    "Youtube01-Psy": (350, 175, 175),
    "Youtube02-KatyPerry": (350, 175, 175),
    "Youtube03-LMFAO": (438, 236, 202),
    "Youtube04-Eminem": (448, 245, 203),
    "SMSSpamCollection": (5574, 747, 4827),
}


@pytest.fixture(scope="module")
def corpus_dir() -> Path:
    directory = data_dir()
    if not (directory / CORPORA["youtube"]).is_dir():
        pytest.skip(f"corpora not found at {directory} (set SAFECOMMENT_DATA to their directory)")
    return directory


def fake_corpora(root: Path, content: bytes) -> Path:
    for name, files in (("youtube", YOUTUBE), ("sms", SMS)):
        (root / CORPORA[name]).mkdir(parents=True)
        for file_name in files:
            (root / CORPORA[name] / file_name).write_bytes(content)
    return root


def test_data_dir_honours_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SAFECOMMENT_DATA", str(tmp_path))
    assert data_dir() == tmp_path
    monkeypatch.delenv("SAFECOMMENT_DATA")
    assert data_dir().parts[-2:] == ("shared", "data")


def test_a_file_that_differs_from_its_published_hash_is_not_parsed(tmp_path: Path) -> None:
    root = fake_corpora(tmp_path, b"CONTENT,CLASS\nfree money,1\n")
    with pytest.raises(CorpusError, match="Youtube01-Psy.csv: SHA-256 .* is not the published"):
        load_corpus(("youtube",), root)


def test_missing_corpora_say_how_to_point_at_them(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="SAFECOMMENT_DATA"):
        load_corpus(("sms",), tmp_path)
    with pytest.raises(CorpusError, match="unknown corpus"):
        load_corpus(("enron",), tmp_path)


@pytest.mark.shared_data
def test_counts_match_the_readme(corpus_dir: Path) -> None:
    corpus = load_corpus(directory=corpus_dir)
    rows = Counter(c.source for c in corpus.comments)
    spam = Counter(c.source for c in corpus.comments if c.status == "spam")
    assert {s: (rows[s], spam[s], rows[s] - spam[s]) for s in rows} == COUNTS
    assert set(corpus.checksums) == set(YOUTUBE) | set(SMS)
    assert corpus.labels.count(True) == sum(s for _, s, _ in COUNTS.values())


@pytest.mark.shared_data
def test_only_text_and_label_survive(corpus_dir: Path) -> None:
    comments = load_corpus(("youtube",), corpus_dir).comments
    assert not any("\ufeff" in c.content for c in comments)  # the 2015-comment-system marker
    assert all(c.created is None and c.author_name == "" for c in comments)  # no DATE/AUTHOR
    assert all(c.id == f"{c.source}:{n}" for n, c in enumerate(
        (c for c in comments if c.source == "Youtube01-Psy"), start=1))  # no COMMENT_ID
    assert any("\n" in c.content for c in comments)  # quoted newlines stay inside a record


@pytest.mark.shared_data
def test_the_bundled_model_is_what_the_command_rebuilds(corpus_dir: Path, tmp_path: Path) -> None:
    manifest = json.loads(
        importlib.resources.files("safecomment.models").joinpath("spam-default.json").read_text()
    )
    if manifest["versions"]["scikit-learn"] != sklearn.__version__:
        pytest.skip("the bundled pipeline was pickled by another scikit-learn version")
    model = train_bundled(corpus_dir)
    digest = model.save(tmp_path / BUNDLED_FILE)
    assert digest == BUNDLED_SHA256 == manifest["sha256"], (
        "the bundled model is stale: safecomment train --bundled -o models/spam-default.joblib, "
        "then pin its hash"
    )
    assert model.manifest["training"]["data"] == {**YOUTUBE, **BLOGS}
    # only licence-allowed sources: YouTube and the two MIT blogs, never SMS or other blogs
    assert set(model.manifest["training"]["sources"]) == {
        "Youtube01-Psy", "Youtube02-KatyPerry", "Youtube03-LMFAO", "Youtube04-Eminem",
        "chrisrisner", "spinningnumbers",
    }


# form-era (ham dated on or after the blog's first comment PR) ham and all spam, per blog
BLOG_COUNTS = {
    "archivefever": (179, 1471), "chrisrisner": (23, 409), "haacked": (545, 830),
    "hajekj": (37, 85), "jdieter": (26, 420), "maartenba": (193, 144), "perfmatters": (261, 99),
    "spinningnumbers": (262, 333), "yasoob": (162, 521),
}


@pytest.mark.shared_data
def test_blogs_keep_form_era_ham_every_field_and_their_licences(corpus_dir: Path) -> None:
    corpus = load_corpus(("blogs",), corpus_dir)
    counts = Counter((c.source, c.status) for c in corpus.comments)
    assert {b: (counts[b, "approved"], counts[b, "spam"]) for b in FORM_ERA} == BLOG_COUNTS
    assert all(
        c.created is not None and c.created.date().isoformat() >= FORM_ERA[c.source]
        for c in corpus.comments if c.status == "approved"
    )
    assert sum(c.author_url is not None for c in corpus.comments) > 500
    assert all(c.thread_id for c in corpus.comments)
    assert corpus.licences["spinningnumbers"] == corpus.licences["chrisrisner"] == "MIT"
    assert corpus.licences["jdieter"] == "GPL-3.0" and corpus.licences["haacked"] == "none"
