"""The README's commands run as printed (tests/docs_blocks.py), and none is left out silently.

Every command block of the README and of docs/*.md is listed here: run by a test of this file
(the quick ones: seconds), run by a tutorial test elsewhere (each training run once, its figures
checked there), or skipped for the reason written beside it; a block in no list, or a list entry
that no page prints any more, fails.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from hark.annotations.songexplorer import read_csv
from tests.conftest import REPO_ROOT
from tests.docs_blocks import Command, Tutorial, bind, command_blocks, find_block, missing_output, page_blocks, shared_workdir

CANDIDATES = "Tutorial: candidate sounds in fly song"

RUN_HERE = {f"README.md: {CANDIDATES} #{i}" for i in range(4)}
RUN_BY = {
    "README.md: Tutorial: a model of fly song #0": "tests/cli/test_tutorial_fly.py",
    "README.md: Tutorial: bird song, syllable by syllable #0": "tests/cli/test_tutorial_finch.py",
    "README.md: Tutorial: whale up-calls from a clip table #0": "tests/cli/test_clip_whale.py",
    "README.md: Tutorial: insect species from InsectSet32 #0": "tests/cli/test_tutorial_insects.py",
    "docs/training.md: Finding a learning rate: `--find-lr` #0": "tests/cli/test_find_lr.py",
    "docs/training.md: Deleting checkpoints #0": "tests/models/test_checkpoints.py",
    "README.md: Tutorial: mouse USVs as boxes, DeepSqueak's way #0": "tests/cli/test_tutorial_usv.py",
    "docs/calls.md: Syntax: bouts and transitions (`hark syntax`) #0": "tests/cli/test_syntax.py",
    # its detector half, once per held-out recording; the denoiser half is the README's above
    "docs/ultrasonic.md: Ultrasonic calls: detection as boxes #0": "tests/cli/test_usv.py",
}
SKIPPED = {
    "README.md: hark #0": "make test runs this suite itself; make demo is `hark demo` (tests/demo/test_run.py) after set-up",
    "README.md: Choosing a model: cross-validation and comparisons #0": "trains 15 models (6.6 min on 2 cores); "
    "tests/cli/test_xvalidate.py runs xvalidate, generalize and compare on small data",
    "README.md: Annotating and reviewing in the browser #0": "hark gui serves until stopped; tests/gui start and drive it",
    "README.md: Running on a cluster #0": "needs a Dask scheduler at labserver:8786; tests/jobs/test_scheduler.py runs one",
    "README.md: Benchmarks #0": "make bench measures speed for many minutes (timings belong to benchmarks, not tests)",
}


def test_parser_tells_prompts_output_comments_and_continuations_apart():
    text = "\n".join([
        "# Title", "prose", "```", "make demo   # set up", "```",
        "## Two", "```", "$ hark info DIR", "2 recordings in DIR", "...", " annotated  pulse   3", "$ hark detect \\",
        "    --out out 'a #b.wav'   # c", "out/a.csv: 1 time", "```",
        "```python", "hark = 1", "```", "```", "src/hark/   the package", "```",
        "```", "hark train --data GT \\", "    --out MODEL", "hark accuracy MODEL; hark freeze MODEL", "```",
    ])  # fmt: skip
    blocks = command_blocks(text, "page.md")
    assert [(b.heading, b.index, b.line) for b in blocks] == [("Title", 0, 3), ("Two", 0, 7), ("Two", 1, 22)]
    assert blocks[0].commands == (Command("make demo", "set up"),)
    assert blocks[1].commands == (
        Command("hark info DIR", "", ("2 recordings in DIR", "...", "annotated  pulse   3")),
        Command("hark detect --out out 'a #b.wav'", "c", ("out/a.csv: 1 time",)),
    )
    assert [c.text for c in blocks[2].commands] == ["hark train --data GT --out MODEL", "hark accuracy MODEL; hark freeze MODEL"]
    assert blocks[2].id == "page.md: Two #1"
    assert [c.text for c in blocks[2].before("hark accuracy").commands] == ["hark train --data GT --out MODEL"]
    with pytest.raises(LookupError, match="hark freeze"):
        blocks[2].before("hark freeze")  # a command only in the middle of a line is not a command of the block
    with pytest.raises(ValueError, match="never closes"):
        command_blocks("```\nhark info x\n", "bad.md")


def test_placeholders_bind_as_whole_words_or_folder_prefixes_only():
    places = {"GT": "data/fly", "REC...": ["a.wav", "b.wav"], "DIR": "out", "usv/": "../shared/data/usv/"}
    assert bind("hark x --data GT --truth GT_TEST --out DIR REC...", places) == "hark x --data data/fly --truth GT_TEST --out out a.wav b.wav"
    assert bind("hark y GT/rec.wav-annotated-me.csv DIR_WITH_CSVS --labels usv usv/1/gt_1.csv", places) == (
        "hark y data/fly/rec.wav-annotated-me.csv DIR_WITH_CSVS --labels usv ../shared/data/usv/1/gt_1.csv"
    )
    with pytest.raises(ValueError, match="plain paths"):
        bind("hark z DIR", {"DIR": "a folder; rm -rf x"})


def test_printed_output_must_appear_in_order_with_table_rules_ignored():
    actual = "3 recordings in fly\n┃ recording ┃ rate ┃\n│ a.wav     │ 2500 │\n│ annotated │ pulse │ 140 │\n"
    assert missing_output(["3 recordings in fly", "a.wav   2500", "...", "annotated  pulse  140"], actual) is None
    assert missing_output(["annotated pulse 140", "a.wav 2500"], actual) == "a.wav 2500"
    assert missing_output(["annotated pulse 141"], actual) == "annotated pulse 141"


def test_the_runner_binds_repeats_speeds_up_and_checks_exit_codes_and_printed_output(tmp_path):
    sf.write(tmp_path / "a_1.wav", np.zeros(8000, dtype="float32"), 8000)
    sf.write(tmp_path / "a_2.wav", np.zeros(4000, dtype="float32"), 8000)
    repeated = command_blocks("# T\n```\nhark info DIR/a_1.wav   # and 2\n```\n")
    ran = Tutorial(tmp_path, {"DIR": "."}, {"hark info": ["--json"]}, {"and 2": [{"_1": "_2"}]}).run(*repeated)
    assert [r.command for r in ran] == ["hark info ./a_1.wav --json", "hark info ./a_2.wav --json"]
    assert [json.loads(r.stdout)["frames"] for r in ran] == [8000, 4000]

    prompted = command_blocks("\n".join(["# T", "```", "$ hark info REC", "sample rate  8000 Hz", "...", "frames  8000", "```"]))
    assert Tutorial(tmp_path, {"REC": "a_1.wav"}).run(*prompted)[0].command == "hark info a_1.wav"
    with pytest.raises(AssertionError, match="printed 'frames  8000'"):
        Tutorial(tmp_path, {"REC": "a_2.wav"}).run(*prompted)
    with pytest.raises(AssertionError, match="exit 2: hark: error: nothere.wav"):
        Tutorial(tmp_path, {"REC": "nothere.wav"}).run(*prompted)
    with pytest.raises(LookupError, match="hark train"):
        Tutorial(tmp_path, speedups={"hark train": ["--steps", "1"]}).run(*prompted)


def test_every_command_block_is_run_or_skipped_for_a_written_reason():
    readme = {b.id for b in page_blocks(REPO_ROOT / "README.md", REPO_ROOT)}
    lists = [RUN_HERE, set(RUN_BY), set(SKIPPED), set(DOCS_REFERENCE)]
    listed = set().union(*lists)
    docs = {b.id for page in sorted((REPO_ROOT / "docs").glob("*.md")) for b in page_blocks(page, REPO_ROOT)}
    assert sum(len(ids) for ids in lists) == len(listed), "a block is in two lists"
    assert not (readme | docs) - listed, f"command blocks neither run nor skipped with a reason: {sorted((readme | docs) - listed)}"
    assert not listed - (readme | docs), f"listed blocks that no page prints (renamed heading?): {sorted(listed - (readme | docs))}"
    for block_id, test_file in RUN_BY.items():
        heading = block_id.split(": ", 1)[1].rsplit(" #", 1)[0]
        source = (REPO_ROOT / test_file).read_text()
        assert heading in source and "find_block" in source, f"{test_file} does not run {block_id}"


@pytest.mark.shared_data
def test_fly_candidate_sounds_tutorial_runs_as_printed(shared_data, tmp_path):
    blocks = [find_block(page_blocks(REPO_ROOT / "README.md", REPO_ROOT), CANDIDATES, i) for i in range(4)]
    work = shared_workdir(tmp_path, shared_data)
    # the prose's files: IN.csv/OUT.txt any CSV and label track (the detections just written,
    # then the same track back), rec.wav a recording, usv/ a folder of ultrasonic recordings
    (work / "rec.wav").symlink_to(shared_data / "fly" / "PS_20130625111709_ch3.wav")
    (work / "usv").mkdir()
    (work / "usv" / "rec_4.wav").symlink_to(shared_data / "usv" / "4" / "rec_4.wav")
    places = {"IN.csv": "detections/PS_20130625111709_ch3.wav-detected.csv", "OUT.txt": "labels.txt"}
    # hark info's table and hark detect's counts are checked against the lines the README prints
    Tutorial(work, places).run(*blocks)

    detected = read_csv(work / "detections" / "PS_20130625111709_ch3.wav-detected.csv")
    assert (work / "detections" / "PS.selections.txt").read_text().startswith("Selection\t")
    track = (work / "labels.txt").read_text().splitlines()
    assert len(track) == len(detected)
    back = read_csv(work / "rec.wav-annotated-me.csv")
    assert [(e.start, e.stop, e.label) for e in back] == [(e.start, e.stop, e.label) for e in detected]
    assert read_csv(work / "usv" / "rec_4.wav-detected.csv")  # the high-pass detector finds calls


# docs/*.md are reference pages: their blocks show a command's forms, not a sequence to copy.
# Their sequences that are tutorials are the README's, run above and by the tutorial tests.
DOCS_REFERENCE = {
    "docs/annotate-less.md: Annotate less: suggestions and rounds of retraining #0": "a loop with a person's review in it; "
    "tests/infer/test_suggest.py and tests/train/test_continue.py run suggest and continue on demo data",
    "docs/annotations.md: `hark convert` #0": "forms of hark convert (song.wav, labels.txt: any files); the README's convert block runs",
    "docs/calls.md: Call statistics #0": "hark calls on a predicted or annotated folder; run in the README's USV tutorial",
    "docs/channels.md: Channels: detecting and classifying each channel of a multi-channel recording #0": "forms of --channel; "
    "tests/cli/test_channels.py runs detect, classify and ethogram per channel on a generated two-channel recording",
    "docs/channels.md: Models that read several channels at once #0": "forms of --channels (GT, MODEL: any folders); "
    "tests/train/test_channels_train.py trains, classifies and freezes a model of two channels on a generated folder",
    "docs/clusters.md: Activations and cluster maps: finding mistakes and new sounds #0": "needs a trained MODEL; "
    "tests/cli/test_activations_cluster.py runs both on demo data",
    "docs/clusters.md: Search by example (`hark embed`, `hark search`) #0": "needs a trained MODEL; "
    "tests/cli/test_search.py runs both on demo data",
    "docs/denoise.md: Denoising detections #0": "the README's USV tutorial runs the same train and denoise (minutes of training)",
    "docs/denoise.md: hark denoise #0": "forms of hark denoise; tests/cli/test_denoise.py runs them",
    "docs/detect.md: Detecting candidate sounds: `hark detect` #0": "forms of hark detect; the README's detect blocks run",
    "docs/gui.md: The browser GUI: `hark gui` #0": "hark gui serves until stopped; tests/gui start and drive it",
    "docs/inference.md: Applying a model: `hark freeze`, `hark classify`, `hark ethogram`, `hark misses` #0": "the README's "
    "fly tutorial runs the same commands",
    "docs/inference.md: `hark classify`: probabilities over time #0": "a synopsis with [optional] parts",
    "docs/inference.md: `hark ethogram`: events at the thresholds of a ratio #0": "a synopsis with [optional] parts",
    "docs/inference.md: `hark misses`: detected sounds no prediction covers #0": "a synopsis with [optional] parts",
    "docs/jobs.md: Where jobs run: `hark.toml` and `--cluster` #0": "needs a Dask scheduler at labserver:8786; tests/jobs run one",
    "docs/jobs.md: tcp: an existing Dask scheduler #0": "starts a Dask scheduler and workers that serve until stopped",
    "docs/models.md: `autoencoder` #0": "a synopsis with [optional] parts",
    "docs/models.md: Ensembles: `hark ensemble` #0": "three trainings and [optional] parts; tests/cli/test_ensemble_transfer.py",
    "docs/models.md: Transfer learning: `hark train --transfer` #0": "a synopsis with [optional] parts",
    "docs/models.md: Clip models: a new head on a trained body #0": "needs a trained clip MODEL and a new table; "
    "tests/models/test_transfer_clip.py transfers a whale resnet to new labels",
    "docs/segmentation.md: Segmentation: syllables from a dense model, and how well they match annotations #0": "the "
    "README's bird-song tutorial runs the same classify, ethogram and accuracy --truth",
    "docs/segmentation.md: Scoring against annotations: `hark accuracy --truth` #0": "a synopsis with [optional] parts",
    "docs/streaming.md: Real time: `hark stream` #0": "a synopsis with [optional] parts",
    "docs/video.md: Video models #0": "needs recordings with movies beside them; tests/train/test_video_training.py trains "
    "and classifies the same architectures on demo fly song with generated time-code movies",
    "docs/training.md: Training: the loop, its checkpoints and its schedules #0": "one training with the loop's options; "
    "tests/train/test_schedules.py and test_trainer.py test them",
    "docs/training-data.md: Clip-label tables #0": "the form of hark train with a table; tests/cli/test_clip_table.py trains from tables",
    "docs/training-data.md: Augmentation #0": "a dense training with three augmentations; tests/train test each augmentation",
    "docs/ultrasonic.md: Sample rates #0": "tests/cli/test_bat.py converts and resamples the bat project",
    "docs/ultrasonic.md: Bats #0": "tests/cli/test_bat.py trains and detects on the bat recordings",
    "docs/validation.md: hark xvalidate: k-fold over annotations #0": "eight trainings; tests/cli/test_xvalidate.py",
    "docs/validation.md: hark generalize: withheld recordings, nested #0": "three trainings; tests/cli/test_xvalidate.py",
    "docs/validation.md: A grid of hyperparameters #0": "sixteen trainings; tests/cli/test_xvalidate.py",
    "docs/validation.md: hark compare #0": "needs xvalidate's runs; tests/validate/test_compare.py",
}
