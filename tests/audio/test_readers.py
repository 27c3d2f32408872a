"""Contract tests over every registered audio reader, and the plugin hook itself."""

import numpy as np
import pytest
import soundfile as sf

from hark.audio import AudioInfo, AudioReader, audio_readers, open_recording
from hark.registry import Registry


@pytest.mark.parametrize("name", audio_readers.names())
def test_every_reader_reads_slices_consistently(tmp_path, name):
    rng = np.random.default_rng(0)
    rate = 250_000
    data = (0.3 * rng.standard_normal((rate // 2, 2))).astype(np.float32)
    sf.write(tmp_path / "r.wav", data, rate, subtype="FLOAT")
    rec = open_recording(tmp_path / "r.wav", channel=1, reader=name)
    assert rec.info == AudioInfo(rate, rate // 2, 2, "WAV", "FLOAT")
    whole = rec.read()
    assert whole.dtype == np.float32 and whole.shape == (rate // 2,)
    np.testing.assert_allclose(rec.read(5000, 9000), whole[5000:9000], atol=1e-4)


def test_a_third_party_reader_is_used_by_name(tmp_path):
    class Doubling(AudioReader):
        """Doubles every sample (a stand-in for a lab's own format)."""

        def open(self, path):
            inner = audio_readers.get("soundfile")().open(path)

            class Stream:
                info = inner.info

                def read(self, start, stop):
                    return 2 * inner.read(start, stop)

                def close(self):
                    inner.close()

            return Stream()

    sf.write(tmp_path / "x.wav", np.full(100, 0.25, np.float32), 1000, subtype="FLOAT")
    registry = Registry[type[AudioReader]]("audio reader", "hark.tests-none")
    registry.add("doubling", Doubling)
    with pytest.raises(ValueError, match="already registered"):
        registry.add("doubling", Doubling)
    audio_readers.add("test-doubling", Doubling)
    try:
        assert open_recording(tmp_path / "x.wav", reader="test-doubling").read()[0] == 0.5
    finally:
        audio_readers._items.pop("test-doubling")


def test_find_recordings_walks_folders_in_order_and_leaves_dot_folders_out(tmp_path):
    import numpy as np
    import soundfile as sf

    from hark.audio import find_recordings
    from hark.errors import HarkError

    for name in ("b/2.wav", "b/1.flac", "a.wav", ".hark/cache.wav", "b/.hidden/x.wav"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        sf.write(tmp_path / name, np.zeros(10, np.float32), 1000)
    (tmp_path / "b" / "notes.txt").write_text("x")
    assert find_recordings([tmp_path]) == [tmp_path / "a.wav", tmp_path / "b/1.flac", tmp_path / "b/2.wav"]
    assert find_recordings([tmp_path / "b/2.wav", tmp_path / "a.wav"]) == [tmp_path / "b/2.wav", tmp_path / "a.wav"]
    with pytest.raises(HarkError, match=r"^missing.wav: no such file or folder$"):
        find_recordings([tmp_path / "missing.wav"], name=lambda p: p.name)
    assert find_recordings([tmp_path / "b" / ".hidden"]) == [tmp_path / "b/.hidden/x.wav"]  # named, so not left out
    (tmp_path / "texts").mkdir()
    (tmp_path / "texts" / "notes.txt").write_text("x")
    with pytest.raises(HarkError, match=r"^texts: folder holds no recordings \(\.aif"):
        find_recordings([tmp_path / "texts"], name=lambda p: p.name)
