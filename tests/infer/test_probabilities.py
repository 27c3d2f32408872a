import numpy as np
import pytest

from hark.errors import HarkError
from hark.infer.probabilities import ProbabilitiesMeta, probabilities_paths, probabilities_writer, read_probabilities


def write_array(folder, name="song.wav", frames=1000, stride=10, offset=50, seed=0, pieces=(0, 300, 301, 777)):
    array = np.random.default_rng(seed).random((frames, 3), dtype=np.float32)
    meta = ProbabilitiesMeta(
        recording=name, output_names=["a", "b", "c"], samplerate=1000, stride=stride, offset=offset,
        context=2 * offset, frames=frames, recording_samples=frames * stride + 2 * offset,
    )
    path = probabilities_paths(name, folder)[0]
    bounds = [*pieces, frames]
    with probabilities_writer(path, meta) as write:
        for first, stop in zip(bounds[:-1], bounds[1:]):
            write(first, array[first:stop])
    return array, meta


def test_slices_read_back_equal_the_full_array(tmp_path):
    array, _ = write_array(tmp_path)
    times, whole, meta = read_probabilities("song.wav", tmp_path)
    np.testing.assert_array_equal(whole, array)
    np.testing.assert_allclose(times, (50 + 10 * np.arange(1000)) / 1000)
    rng = np.random.default_rng(1)
    for _ in range(50):
        start_s, stop_s = np.sort(rng.uniform(-1, 11, 2))
        t, part, _ = read_probabilities(tmp_path / "song.wav-probabilities.npy", start_s=start_s, stop_s=stop_s)
        inside = (times >= start_s) & (times < stop_s)
        np.testing.assert_array_equal(part, whole[inside])
        np.testing.assert_array_equal(t, times[inside])
    # a time given exactly as a row's time starts there; the stop is exclusive
    t, part, _ = read_probabilities("song.wav", tmp_path, start_s=0.15, stop_s=0.25)
    np.testing.assert_allclose(t, [0.15, 0.16, 0.17, 0.18, 0.19, 0.2, 0.21, 0.22, 0.23, 0.24])


def test_recording_path_or_json_path_find_the_same_file(tmp_path):
    array, _ = write_array(tmp_path)
    for given, folder in [(tmp_path / "elsewhere" / "song.wav", tmp_path), (tmp_path / "song.wav-probabilities.json", None)]:
        np.testing.assert_array_equal(read_probabilities(given, folder)[1], array)


def test_a_failed_write_leaves_nothing_behind(tmp_path):
    write_array(tmp_path)
    before = (tmp_path / "song.wav-probabilities.npy").read_bytes()
    meta = ProbabilitiesMeta("song.wav", ["a", "b", "c"], 1000, 10, 50, 100, 10, 300)
    with pytest.raises(RuntimeError), probabilities_writer(tmp_path / "song.wav-probabilities.npy", meta) as write:
        write(0, np.zeros((5, 3), np.float32))
        raise RuntimeError("crash")
    assert (tmp_path / "song.wav-probabilities.npy").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["song.wav-probabilities.json", "song.wav-probabilities.npy"]


def test_missing_and_damaged_probabilities_tell_what_to_run(tmp_path):
    with pytest.raises(HarkError, match=r"no probabilities for other.wav; run hark classify --model MODEL --out .* other.wav first"):
        read_probabilities("other.wav", tmp_path)
    write_array(tmp_path)
    np.save(tmp_path / "song.wav-probabilities.npy", np.zeros((3, 3), np.float32))
    with pytest.raises(HarkError, match="run hark classify again"):
        read_probabilities("song.wav", tmp_path)
    (tmp_path / "song.wav-probabilities.json").write_text("{}")
    with pytest.raises(HarkError, match="not a hark probabilities description"):
        read_probabilities("song.wav", tmp_path)
