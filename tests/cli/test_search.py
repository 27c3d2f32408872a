"""hark embed then hark search, as a user types them, and their one-line refusals that write nothing."""

from __future__ import annotations

import numpy as np
import pytest

from hark.annotations.event import Kind
from hark.annotations.songexplorer import read_csv
from hark.cli.app import main
from hark.demo.generate import write_wav
from tests.embed.conftest import fly_model  # noqa: F401  (the module's trained model)
from tests.embed.search_corpus import COPY_S, ORIGINAL_S, planted_corpus


@pytest.fixture(scope="module")
def indexed(fly_model, tmp_path_factory):  # noqa: F811
    """(model, planted corpus, index folder), the index built by hark embed."""
    data, model = fly_model
    root = tmp_path_factory.mktemp("cli-search")
    planted = planted_corpus(data, root)
    index = root / "index"
    assert main(["embed", "--model", str(model), "--out", str(index), "--no-progress", str(planted.folder)]) == 0
    return model, planted, index


def test_embed_then_search_prints_and_writes_the_hits(indexed, tmp_path, capsys):
    _, planted, index = indexed
    assert "1/1" in (index / "embed.log").read_text()
    hits_csv = tmp_path / "hits.csv"
    query = f"{planted.background}:{ORIGINAL_S:g}-{ORIGINAL_S + planted.bout_s:g}"
    capsys.readouterr()
    assert main(["search", str(index), "--query", query, "--top", "3", "--out", str(hits_csv)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].split() == ["rank", "similarity", "start", "stop", "recording"]
    assert len(printed) == 1 + 3 + 1 and "3 hits labelled found" in printed[-1]
    events = read_csv(hits_csv)
    assert [e.kind for e in events] == [Kind.FOUND] * 3 and {e.label for e in events} == {"found"}
    rate = planted.samplerate
    assert abs(events[0].start / rate - ORIGINAL_S) < 0.05 and abs(events[1].start / rate - COPY_S) < 0.05
    assert events[0].score == pytest.approx(1.0, abs=1e-5) and events[0].score >= events[1].score >= events[2].score


def test_the_hits_take_the_query_label_or_the_one_given(indexed, tmp_path):
    _, planted, index = indexed
    query = f"{planted.source}:{planted.bout_start_s:g}-{planted.bout_start_s + planted.bout_s:g}"
    assert main(["search", str(index), "-q", query, "-k", "2", "-o", str(tmp_path / "a.csv")]) == 0
    assert {e.label for e in read_csv(tmp_path / "a.csv")} == {"mel-sine"}
    assert main(["search", str(index), "-q", query, "-k", "2", "-o", str(tmp_path / "b.csv"), "--label", "sine-like"]) == 0
    assert {e.label for e in read_csv(tmp_path / "b.csv")} == {"sine-like"}


def error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("hark: error: ")
    return err


def test_bad_searches_are_one_line_and_write_nothing(indexed, tmp_path, capsys):
    _, planted, index = indexed
    out = tmp_path / "hits.csv"
    cases = {
        f"{planted.background}:179.9-181": "outside the recording",
        f"{planted.background}:12-12": "start must come before the stop",
        f"{planted.background}:12": "expected REC:START-STOP",
        f"{tmp_path / 'none.wav'}:1-2": "no such file",
    }
    for query, message in cases.items():
        assert main(["search", str(index), "--query", query, "--out", str(out)]) == 2
        assert message in error_line(capsys)
    assert main(["search", str(index), "--query", f"{planted.background}:1-2", "--top", "0", "--out", str(out)]) == 2
    assert "--top" in error_line(capsys)
    assert main(["search", str(tmp_path), "--query", f"{planted.background}:1-2", "--out", str(out)]) == 2
    assert "not an embedding index" in error_line(capsys)
    assert main(["search", str(index), "--query", f"{planted.background}:1-2", "--model", str(tmp_path), "--out", str(out)]) == 2
    assert "built with the model" in error_line(capsys)
    assert not out.exists()


def test_bad_embeds_are_one_line_and_write_nothing(indexed, tmp_path, capsys):
    model, planted, _ = indexed
    empty = tmp_path / "empty"
    empty.mkdir()
    other_rate = tmp_path / "rate" / "fast.wav"
    other_rate.parent.mkdir()
    write_wav(other_rate, np.zeros(10_000, np.float32), planted.samplerate * 2)
    short = tmp_path / "short.wav"
    write_wav(short, np.zeros(100, np.float32), planted.samplerate)
    for args, message in [
        ([str(short)], "shorter than one row"),
        ([str(empty)], "folder holds no recordings"),
        ([str(other_rate.parent)], "but the model was trained at"),
        (["--hop", "0", str(planted.folder)], "--hop"),
        (["--dtype", "int8", str(planted.folder)], "--dtype"),
    ]:
        out = tmp_path / "index"
        assert main(["embed", "--model", str(model), "--out", str(out), *args]) == 2
        assert message in error_line(capsys)
        assert not out.exists()
