import numpy as np
import pytest

from hark.cli.app import main
from hark.infer.probabilities import read_probabilities
from hark.models.store import checkpoint_path
from tests.infer.helpers import make_model, tiny_architectures, write_recording  # noqa: F401 (a fixture)

pytestmark = pytest.mark.usefixtures("tiny_architectures")


def test_classify_a_folder_of_recordings(tmp_path, capsys):
    model = make_model(tmp_path / "model")
    (tmp_path / "recs").mkdir()
    a = write_recording(tmp_path / "recs" / "a.wav", 0.5)
    write_recording(tmp_path / "recs" / "b.wav", 0.3, seed=2)
    out = tmp_path / "out"
    argv = ["classify", "--model", str(model), "--out", str(out), "--device", "cpu", "--no-progress", str(tmp_path / "recs")]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"{out / 'a.wav-probabilities.npy'}: 994 frames", f"{out / 'b.wav-probabilities.npy'}: 594 frames"]
    plain = read_probabilities(a, out)[1]
    assert main([*argv[:-1], "--prior", "song=0.2", "--chunk-seconds", "0.01", "--engine", "torch", str(a)]) == 0
    _, weighted, meta = read_probabilities(a, out)
    assert meta.priors == {"song": 0.2}
    expected = plain * [0.4, 1.6]
    np.testing.assert_allclose(weighted, expected / expected.sum(axis=1, keepdims=True), atol=1e-5)


def test_classify_bad_inputs_are_one_line(tmp_path, capsys):
    model = make_model(tmp_path / "model")
    rec = write_recording(tmp_path / "rec.wav", 0.2)
    fast = write_recording(tmp_path / "fast.wav", 0.2, samplerate=44100)
    out = str(tmp_path / "out")
    base = ["classify", "--model", str(model), "--out", out, "--device", "cpu"]
    cases = [
        ([*base, str(fast)], "fast.wav: sampled at 44100 Hz, but the model"),
        ([*base, str(tmp_path / "nothing.wav")], "nothing.wav: no such file"),
        ([*base, "--engine", "onnx", str(rec)], "has no frozen model; run hark freeze"),
        ([*base, "--engine", "jax", str(rec)], "expected auto, torch or onnx"),
        ([*base, "--prior", "song", str(rec)], "expected LABEL=PREVALENCE"),
        ([*base, "--prior", "bird=0.1", str(rec)], "no such output"),
        ([*base, "--chunk-seconds", "0", str(rec)], "must be positive"),
        (["classify", "--model", str(tmp_path), "--out", out, str(rec)], "not a hark model folder"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip()
        assert err.startswith("hark: error: ") and message in err and "\n" not in err, (argv, err)
    checkpoint_path(model, 100).write_bytes(b"PK\x03\x04 not really a zip")
    assert main([*base, str(rec)]) == 2
    err = capsys.readouterr().err.strip()
    assert "ckpt-000100.pt: not a readable checkpoint" in err and "\n" not in err
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_classify_keeps_one_model_per_folder_and_says_when_the_disk_is_too_small(tmp_path, capsys):
    from tests.full_disk import tiny_disk

    model = make_model(tmp_path / "model", steps=(100, 200))
    rec = write_recording(tmp_path / "rec.wav", 0.3)
    out = tmp_path / "out"
    base = ["classify", "--model", str(model), "--out", str(out), "--device", "cpu", "--no-progress", "--engine", "torch"]
    assert main([*base, "--checkpoint", "100", str(rec)]) == 0
    capsys.readouterr()
    assert main([*base, "--checkpoint", "200", str(rec)]) == 2
    err = capsys.readouterr().err.strip()
    assert "step 100" in err and "step 200" in err and "--move-old" in err and "\n" not in err
    assert read_probabilities(rec, out)[2].checkpoint_step == 100
    assert main([*base, "--checkpoint", "200", "--move-old", str(rec)]) == 0
    assert read_probabilities(rec, out)[2].checkpoint_step == 200
    assert len(list(out.glob("oldfiles-*/rec.wav-probabilities.npy"))) == 1
    long = write_recording(tmp_path / "long.wav", 70.0)  # 1.1 MB of probabilities
    with tiny_disk(tmp_path) as disk:
        assert main([*base[:3], "--out", str(disk), *base[5:], str(long)]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith(f"hark: error: {disk}: 1.0 MB free, but the probabilities") and "\n" not in err
