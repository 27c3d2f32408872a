"""`hark train --data TABLE.csv --supervision clip`: a clip-label table as the ground truth, its
split and groups kept, bad tables and batches that do not fit refused in one line with nothing
written, `--batch-size auto`, and the progress line of a log that is no terminal."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
import soundfile as sf

from hark.cli.app import main
from hark.demo import generate_whale
from hark.models.store import load_config
from tests.annotations.helpers import snapshot

# a reduced clip model: trains a few steps in seconds
SMALL = ["--architecture", "resnet", "-a", "preset=custom", "-a", "channels=4,8", "-a", "window_ms=64", "-a", "stride_ms=32", "--threads", "1"]
QUICK = ["--steps", "6", "--validation-period", "3", "--batch-size", "4", "--no-progress"]


def whale_table(root: Path, n: int = 16, split: bool = True, groups: bool = False, keep_s: float | None = None) -> Path:
    """``n`` generated 2 s whale clips under names with spaces, '#' and '%', and a table of them
    (some rows URL-encoded), without the per-file CSVs: the table is the only ground truth."""
    generated = generate_whale(root / "generated", n_clips=n, seed=3)
    rows = []
    for i, recording in enumerate(generated):
        label = "upcall" if any(e.label == "upcall" for e in recording.events) else "noise"
        name = f"clip {i:02d} #{i % 3}.wav" if i % 2 else f"clip%{i:02d}.wav"
        (root / "clips").mkdir(exist_ok=True)
        shutil.copy(recording.wav, root / "clips" / name)
        if keep_s is not None:  # the clip's first keep_s seconds only
            audio, rate = sf.read(root / "clips" / name)
            sf.write(root / "clips" / name, audio[: int(keep_s * rate)], rate)
        written = name.replace("%", "%25").replace(" ", "%20").replace("#", "%23") if i % 4 == 1 else name
        row = {"file": f"clips/{written}", "label": label, "notes": "ignored"}
        if split:
            row["split"] = "validation" if i % 4 == 0 else "train"
        if groups:
            row["group"] = f"day{i // 4}"
        rows.append(row)
    shutil.rmtree(root / "generated")
    table = root / "table.csv"
    with open(table, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return table


def train(table: Path, model: Path, *extra: str) -> int:
    return main(["train", "--data", str(table), "--supervision", "clip", "--out", str(model), *SMALL, *QUICK, *extra])


def test_a_table_trains_every_label_on_its_own_split_and_logs_progress(tmp_path, capsys):
    table = whale_table(tmp_path / "data")
    model = tmp_path / "model"
    assert train(table, model) == 0  # no --labels: every label of the table
    err = capsys.readouterr().err
    assert load_config(model).labels == ["noise", "upcall"]
    split = json.loads((model / "split.json").read_text())
    validation = sorted(entry["recording"] for entry in split["validation"])
    with open(table) as f:
        held = sorted(row["file"].replace("%20", " ").replace("%23", "#").replace("%25", "%") for row in csv.DictReader(f) if row["split"] == "validation")
    assert validation == held and len(held) == 4
    assert not {entry["recording"] for entry in split["training"]} & set(validation)
    # the progress line a log file shows (stderr is no terminal here): step, loss, seconds per step, time left
    progress = [line for line in err.splitlines() if line.startswith("step 1/6: loss ")]
    assert progress and " s/step, " in progress[0] and progress[0].endswith(" left")
    assert main(["accuracy", str(model), "--no-figures"]) == 0

    # the table as the ground truth of hark classify's predictions.csv
    out = tmp_path / "out"
    clips = sorted((tmp_path / "data" / "clips").iterdir())
    assert main(["classify", "--model", str(model), "--out", str(out), *map(str, clips)]) == 0
    capsys.readouterr()
    assert main(["accuracy", "--truth", str(table), "--predictions", str(out), "--no-figures"]) == 0
    printed = capsys.readouterr().out
    with open(out / "predictions.csv") as f:
        predicted = {Path(row["file"]).name: row["label"] for row in csv.DictReader(f)}
    with open(table) as f:
        truth = {row["file"].replace("%20", " ").replace("%23", "#").replace("%25", "%").split("/")[-1]: row["label"] for row in csv.DictReader(f)}
    right = sum(predicted[name] == label for name, label in truth.items())
    assert f"16 files of {table}: accuracy {right / 16:.3f}, macro F1 " in printed
    with open(out / "accuracy" / "confusion-matrix.csv") as f:
        assert sum(int(v) for row in list(csv.reader(f))[1:] for v in row[1:] if v.isdigit()) == 16

    (out / "predictions.csv").write_text("".join((out / "predictions.csv").read_text().splitlines(keepends=True)[:-1]))
    assert main(["accuracy", "--truth", str(table), "--predictions", str(out), "--no-figures"]) != 0
    assert "predictions.csv: no prediction for clips/" in capsys.readouterr().err


def test_classifying_is_refused_before_any_file_is_read_when_its_batch_does_not_fit(tmp_path, capsys, monkeypatch):
    table = whale_table(tmp_path / "data", n=8)
    model, out = tmp_path / "model", tmp_path / "out"
    assert train(table, model) == 0
    capsys.readouterr()
    monkeypatch.setenv("HARK_MEMORY_GB", "0.01")  # a job's declared memory: less than the process holds already
    assert main(["classify", "--model", str(model), "--out", str(out), *map(str, sorted((tmp_path / "data" / "clips").iterdir()))]) != 0
    err = capsys.readouterr().err.strip()
    assert "classifying needs about" in err and "of the 0.01 GB HARK_MEMORY_GB allows" in err and len(err.splitlines()) == 1
    assert not any(out.iterdir())


def test_without_a_split_column_a_group_stays_on_one_side(tmp_path):
    table = whale_table(tmp_path / "data", split=False, groups=True)
    model = tmp_path / "model"
    assert train(table, model, "--data-param", "validation_percent=25") == 0
    split = json.loads((model / "split.json").read_text())
    day = {f"clips/clip {i:02d} #{i % 3}.wav" if i % 2 else f"clips/clip%{i:02d}.wav": f"day{i // 4}" for i in range(16)}
    sides = {side: {day[entry["recording"]] for entry in split[side]} for side in ("training", "validation")}
    assert sides["validation"] and not sides["training"] & sides["validation"]


def _rewrite(table: Path, edit) -> None:
    with open(table) as f:
        rows = list(csv.DictReader(f))
    rows = edit(rows)
    with open(table, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda rows: rows + [{**rows[0], "file": "clips/gone%20away.wav"}], "table.csv:18: no such file 'clips/gone%20away.wav' (nor 'clips/gone away.wav')"),
        (lambda rows: rows + [{**rows[1], "file": rows[1]["file"].replace("%20", " ").replace("%23", "#")}], "is listed twice (first on line 3)"),
        (lambda rows: rows[:-1] + [{**rows[-1], "label": "dolphin"}], "label 'dolphin' has a single clip"),
        (lambda rows: [{**row, "split": "test" if i == 5 else row["split"]} for i, row in enumerate(rows)], "table.csv:7: split 'test' is neither train nor validation"),
    ],
)
def test_a_bad_table_is_one_line_and_nothing_is_written(tmp_path, capsys, edit, message):
    table = whale_table(tmp_path / "data")
    _rewrite(table, edit)
    before = snapshot(tmp_path)
    assert train(table, tmp_path / "model") != 0
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1, err
    assert snapshot(tmp_path) == before and not (tmp_path / "model").exists()


def test_clips_shorter_than_the_spectrogram_window_are_refused_before_anything_is_written(tmp_path, capsys):
    table = whale_table(tmp_path / "data", n=8, keep_s=0.1)
    assert train(table, tmp_path / "model", "-a", "window_ms=500") != 0  # 0.1 s clips, a 0.5 s spectrogram window
    err = capsys.readouterr().err.strip()
    assert "the longest clip (200 samples) is shorter than one spectrogram window of resnet (1000 samples)" in err
    assert len(err.splitlines()) == 1 and not (tmp_path / "model").exists()


def test_a_batch_that_does_not_fit_is_refused_before_training_and_auto_picks_one_that_does(tmp_path, capsys):
    table = whale_table(tmp_path / "data", n=16)
    model = tmp_path / "model"
    # the process itself holds a few hundred MB: 0.05 GB leaves no room for any batch
    assert train(table, model, "--memory-gb", "0.05") != 0
    err = capsys.readouterr().err.strip()
    assert "needs about" in err and "GB for a batch of 4 windows of 2 s" in err and "of the 0.05 GB --memory-gb allows" in err
    assert "even a batch of one (--batch-size 1) does not fit" in err
    assert len(err.splitlines()) == 1 and not model.exists()

    from hark.train.memory import GB, _resident_bytes

    room = _resident_bytes() / GB + 0.6  # room for far more than the 12 training clips (tests/train/test_memory.py: tight limits)
    assert train(table, model, "--batch-size", "auto", "--memory-gb", f"{room:.3f}", "--steps", "2", "--validation-period", "2") == 0
    assert load_config(model).training["batch_size"] == 12  # the largest up to 32 that the training clips fill
    assert "batch size 12 (auto: about 0.1" in capsys.readouterr().out


def test_a_resumed_run_with_batch_size_auto_keeps_the_batch_it_started_with(tmp_path, capsys):
    table = whale_table(tmp_path / "data", n=16)
    model = tmp_path / "model"
    assert train(table, model, "--steps", "2", "--validation-period", "2") == 0  # a batch of 4
    # longer, with auto and another memory limit: resumes (auto alone would take all 12 clips)
    assert train(table, model, "--steps", "4", "--validation-period", "2", "--batch-size", "auto", "--memory-gb", "64") == 0
    assert "resuming" in capsys.readouterr().out
    config = load_config(model)
    assert config.training["batch_size"] == 4 and config.training["steps"] == 4


INSECT_SPECIES = ("Azanicadazuluensis", "Myopsaltalongicauda", "Platypleurahirtipennis")


def test_a_reduced_model_trains_on_three_insect_species_from_a_part_of_insectset32s_table(shared_data, tmp_path, capsys):
    insects = shared_data / "insects"
    if not (insects / "clips.csv").is_file():
        pytest.skip(f"InsectSet32 not found at {insects}")
    (tmp_path / "insects").symlink_to(insects)  # the table's paths are relative to it: a part of the table beside a link
    with open(insects / "clips.csv") as f:
        rows = [row for row in csv.DictReader(f) if row["label"] in INSECT_SPECIES]
    table = tmp_path / "three.csv"
    with open(table, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({**row, "file": f"insects/{row['file']}"} for row in rows)  # URL-encoded names, as shipped
    model = tmp_path / "model"
    argv = ["train", "--data", str(table), "--supervision", "clip", "--out", str(model), "--architecture", "resnet",
            "-a", "preset=custom", "-a", "channels=4,8", "-a", "window_ms=32", "-a", "stride_ms=16", "--threads", "1",
            "--data-param", "clip_window_s=2", "--steps", "4", "--validation-period", "4", "--batch-size", "auto", "--no-progress"]  # fmt: skip
    assert main(argv) == 0
    assert load_config(model).labels == sorted(INSECT_SPECIES)
    split = json.loads((model / "split.json").read_text())
    assert len(split["validation"]) == 3 and len(split["training"]) == 7  # the table's own split: one file a species validates
    assert {entry["labels"][0] for entry in split["validation"]} == set(INSECT_SPECIES)
    assert main(["info", str(table)]) == 0
    assert "split column: 7 training, 3 validation" in capsys.readouterr().out
