"""hark embed's index and hark search's hits, on noise with a fly sine bout planted twice."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from hark.audio import open_recording
from hark.demo.generate import write_wav
from hark.embed import index as index_module
from hark.embed.index import MANIFEST, PARTS, EmbedParams, embed_corpus, load_embedder, read_index
from hark.embed.search import SearchParams, parse_query, query_label, search_index
from hark.errors import HarkError
from tests.embed.conftest import fly_model  # noqa: F401  (the module's trained model)
from tests.embed.search_corpus import COPY_S, ORIGINAL_S, planted_corpus


@pytest.fixture(scope="module")
def corpus(fly_model, tmp_path_factory):  # noqa: F811
    """(fly data, model, planted corpus, its index)."""
    data, model = fly_model
    root = tmp_path_factory.mktemp("search")
    planted = planted_corpus(data, root)
    index = embed_corpus(model, [planted.folder], root / "index")
    return data, model, planted, index


def starts_s(hits) -> list[float]:
    return [hit.start / hit.samplerate for hit in hits]


def test_the_query_itself_comes_first_and_its_planted_copy_second(corpus):
    _, _, planted, index = corpus
    hop_s = index.manifest["hop"] / planted.samplerate
    hits = search_index(index.folder, planted.background, ORIGINAL_S, ORIGINAL_S + planted.bout_s, SearchParams(top=5))
    assert len(hits) == 5
    assert abs(starts_s(hits)[0] - ORIGINAL_S) <= hop_s / 2 and hits[0].similarity == pytest.approx(1.0, abs=1e-6)
    assert abs(starts_s(hits)[1] - COPY_S) <= hop_s / 2
    assert [h.similarity for h in hits] == sorted((h.similarity for h in hits), reverse=True)
    assert hits[1].similarity > hits[2].similarity + 0.05
    # distinct sounds: no two hits overlap
    spans = sorted((h.start, h.stop) for h in hits)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
    assert all(h.stop - h.start == round(planted.bout_s * planted.samplerate) for h in hits)


def test_a_query_from_a_recording_outside_the_index_finds_both_planted_bouts(corpus):
    _, _, planted, index = corpus
    hop_s = index.manifest["hop"] / planted.samplerate
    hits = search_index(index.folder, planted.source, planted.bout_start_s, planted.bout_start_s + planted.bout_s, SearchParams(top=3))
    found = sorted(starts_s(hits)[:2])
    assert abs(found[0] - ORIGINAL_S) <= 2 * hop_s and abs(found[1] - COPY_S) <= 2 * hop_s  # each end snaps to the grid
    assert hits[2].similarity < hits[1].similarity - 0.05  # the rest (planted pulse song, noise) clearly less alike


def test_the_index_holds_centred_unit_rows_on_its_grid(corpus):
    _, model, planted, index = corpus
    manifest = json.loads((index.folder / MANIFEST).read_text())
    vectors, rows = index.vectors(), index.rows()
    embedder = load_embedder(model, EmbedParams())
    [entry] = manifest["recordings"]
    assert entry["path"] == str(planted.background.resolve()) and entry["rows"] == embedder.row_count(entry["samples"])
    assert vectors.shape == (manifest["rows"], embedder.dims) and vectors.dtype == np.float16
    assert np.allclose(np.linalg.norm(np.asarray(vectors, np.float32), axis=1), 1.0, atol=2e-3)
    assert np.array_equal(rows[:, 1], np.arange(entry["rows"]) * embedder.hop + embedder.context // 2)
    assert manifest["settings"]["fingerprint"]["model"] == str(model.resolve())
    assert embedder.hop == max(1, embedder.context // 4 // embedder.stride) * embedder.stride  # the documented default


def test_chunks_of_any_size_give_the_same_rows(corpus):
    _, model, planted, _ = corpus
    embedder = load_embedder(model, EmbedParams(hop_s=0.02, window_s=0.06))
    audio = open_recording(planted.background).read(0, 40_000)
    n_rows = embedder.row_count(len(audio))
    whole = np.concatenate(list(embedder.rows_of(lambda lo, hi: audio[lo:hi], 0, n_rows)))
    small = dataclasses.replace(embedder, chunk_frames=embedder.window_frames + 3 * embedder.hop_frames)
    pieces = list(small.rows_of(lambda lo, hi: audio[lo:hi], 0, n_rows))
    assert len(pieces) > 10
    assert np.allclose(np.concatenate(pieces), whole, atol=1e-4)


def test_a_killed_run_resumes_and_skips_the_recordings_already_embedded(corpus, tmp_path):
    data, model, planted, index = corpus
    recordings = [planted.background, data / "fly-01.wav"]
    out = tmp_path / "index"

    first_share = 180 / (180 + 30)  # the first recording's share of the corpus's samples

    def killed_after_the_first(fraction):
        if fraction > first_share + 0.01:  # part-way through the second
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        embed_corpus(model, recordings, out, progress=killed_after_the_first)
    assert not (out / MANIFEST).exists() and len(list((out / PARTS).glob("*.json"))) == 1
    [done] = (out / PARTS).glob("*.npy")
    written = done.stat().st_mtime_ns
    resumed = embed_corpus(model, recordings, out)
    assert done.stat().st_mtime_ns == written
    assert "done before, skipped" in (out / "embed.log").read_text()
    fresh = embed_corpus(model, recordings, tmp_path / "fresh")
    assert np.array_equal(np.asarray(resumed.vectors()), np.asarray(fresh.vectors()))
    assert resumed.manifest["rows"] == fresh.manifest["rows"] > index.manifest["rows"]


def test_the_log_tells_the_progress_within_a_recording(corpus, tmp_path, monkeypatch):
    data, model, _, _ = corpus
    monkeypatch.setattr(index_module, "LOG_EVERY_S", 0.0)  # a line at every chunk
    embed_corpus(model, [data / "fly-01.wav"], tmp_path / "index", EmbedParams(memory_mb=16))
    log = (tmp_path / "index" / "embed.log").read_text().splitlines()
    assert "chunks of" in log[0] and log[-1].endswith("rows written")
    assert re.fullmatch(r"1/1 \d+% \([0-9.]+x real time\)", log[-3]) and re.fullmatch(r"1/1 .*fly-01.wav: \d+ rows, .*", log[-2])


def test_the_query_label_is_the_annotated_label_it_overlaps(corpus):
    _, _, planted, _ = corpus
    assert query_label(planted.source, planted.bout_start_s, planted.bout_start_s + planted.bout_s) == "mel-sine"
    assert query_label(planted.background, ORIGINAL_S, ORIGINAL_S + 0.5) == "found"


@pytest.mark.parametrize(
    ("text", "message"),
    [("song.wav", "expected REC:START-STOP"), ("song.wav:1-", "expected REC:START-STOP"), ("song.wav:a-b", "expected REC:START-STOP")],
)
def test_a_malformed_query_is_one_line(text, message):
    with pytest.raises(HarkError, match=message):
        parse_query(text)


def test_parse_query_keeps_colons_in_the_path():
    assert parse_query("C:/data/a.wav:1.5-2") == (Path("C:/data/a.wav"), 1.5, 2.0)


def test_bad_queries_and_changed_models_are_one_line_errors(corpus, tmp_path):
    _, model, planted, index = corpus
    with pytest.raises(HarkError, match="outside the recording"):
        search_index(index.folder, planted.background, 179.5, 181.0)
    with pytest.raises(HarkError, match="start must come before the stop"):
        search_index(index.folder, planted.background, 5.0, 5.0)
    other_rate = tmp_path / "fast.wav"
    write_wav(other_rate, np.zeros(10_000, np.float32), planted.samplerate * 2)
    with pytest.raises(HarkError, match=f"sampled at {planted.samplerate * 2} Hz"):
        search_index(index.folder, other_rate, 0.1, 0.5)
    with pytest.raises(HarkError, match="sampled at"):
        embed_corpus(model, [other_rate], tmp_path / "never")
    assert not (tmp_path / "never").exists()
    # another model: a copy in another folder; then that copy's checkpoint retrained (changed)
    copy = tmp_path / "model-copy"
    shutil.copytree(model, copy)
    with pytest.raises(HarkError, match="another model"):
        embed_corpus(copy, [planted.folder], index.folder)
    with pytest.raises(HarkError, match="built with the model"):
        search_index(index.folder, planted.background, 1.0, 1.5, model=copy)
    copied_index = embed_corpus(copy, [planted.folder], tmp_path / "copy-index")
    [checkpoint] = sorted(copy.glob("ckpt-*.pt"))[-1:]
    state = torch.load(checkpoint, weights_only=True)
    first = next(iter(state["model"]))
    state["model"][first] = state["model"][first] + 0.01
    torch.save(state, checkpoint)
    with pytest.raises(HarkError, match="changed since the index was built"):
        search_index(copied_index.folder, planted.background, 1.0, 1.5)
    with pytest.raises(HarkError, match="not an embedding index"):
        read_index(tmp_path)
