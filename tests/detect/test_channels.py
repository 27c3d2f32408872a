"""hark detect on each channel of a multi-channel recording: one CSV per channel, none overwritten."""

from __future__ import annotations

import numpy as np
import pytest

from hark.annotations.songexplorer import read_csv
from hark.demo.fly import synthesize_fly
from hark.demo.generate import write_wav
from hark.detect.run import DetectRequest, detect_files, plan_detection
from hark.errors import HarkError, ParameterError
from hark.jobs.per_recording import recording_jobs
from hark.jobs.spec import execute_job
from hark.params import validate_request

SECONDS = 20.0


@pytest.fixture(scope="module")
def two_channels(tmp_path_factory):
    """``two.wav``: channel 0 and channel 1 each a fly song of its own (different seeds), with its truth."""
    folder = tmp_path_factory.mktemp("two")
    songs = [synthesize_fly(SECONDS, rng=seed, recording="two.wav") for seed in (1, 2)]
    write_wav(folder / "two.wav", np.stack([samples for samples, _ in songs], axis=1), 2500)
    return folder / "two.wav", [[e for e in events if e.label == "mel-pulse"] for _, events in songs]


def covered(truth, detected) -> float:
    """The fraction of ``truth`` events overlapped by a ``time`` detection."""
    times = [e for e in detected if e.label == "time"]
    return float(np.mean([any(d.start < t.stop and t.start < d.stop for d in times) for t in truth]))


def spans(events):
    return [(e.start, e.stop, e.label) for e in events]


def test_each_channel_is_detected_on_its_own_into_its_own_csv(two_channels, tmp_path):
    recording, pulses = two_channels
    results = detect_files([recording], out_dir=tmp_path, channel="all")
    assert [r.output.name for r in results] == ["two.wav-ch0-detected.csv", "two.wav-ch1-detected.csv"]
    assert all(r.ok for r in results)
    found = [read_csv(r.output) for r in results]
    for channel, events in enumerate(found):
        assert {e.channel for e in events} == {channel} and {e.recording for e in events} == {"two.wav"}
        # each channel's pulses are found in its own CSV, and the other channel's are not
        assert covered(pulses[channel], events) >= 0.9
        assert covered(pulses[1 - channel], events) <= 0.2
    # the same events as detecting that channel alone (today's --channel N, today's name)
    for channel in (0, 1):
        [alone] = detect_files([recording], out_dir=tmp_path / f"alone{channel}", channel=channel)
        assert alone.output.name == "two.wav-detected.csv"
        assert spans(read_csv(alone.output)) == spans(found[channel])
        assert {e.channel for e in read_csv(alone.output)} == {None}


def test_a_second_run_of_another_channel_keeps_the_first_ones_csv(two_channels, tmp_path):
    recording, _ = two_channels
    [first] = detect_files([recording], out_dir=tmp_path, channel=[0])
    before = first.output.read_bytes()
    [second] = detect_files([recording], out_dir=tmp_path, channel="1,")
    assert (first.output.name, second.output.name) == ("two.wav-ch0-detected.csv", "two.wav-ch1-detected.csv")
    assert first.output.read_bytes() == before and second.output.read_bytes() != before


def test_all_on_a_mono_recording_is_channel_0_with_todays_name(tmp_path):
    samples, _ = synthesize_fly(4.0, rng=3, recording="mono.wav")
    write_wav(tmp_path / "mono.wav", samples, 2500)
    [result] = detect_files([tmp_path / "mono.wav"], out_dir=tmp_path / "out", channel="all")
    [plain] = detect_files([tmp_path / "mono.wav"], out_dir=tmp_path / "plain")
    assert result.output.name == "mono.wav-detected.csv" and result.output.read_bytes() == plain.output.read_bytes()


def test_bad_channels_are_one_line_and_nothing_is_written(two_channels, tmp_path):
    recording, _ = two_channels
    out = tmp_path / "out"
    with pytest.raises(HarkError) as missing:
        detect_files([recording], out_dir=out, channel=[0, 2])
    assert str(missing.value) == f"{recording}: channel 2 does not exist; the recording has 2 channel(s), numbered from 0"
    for bad, problem in (([], "the list of channels is empty"), ("1,1", "channel 1 is listed twice"), ("both", "expected a channel number")):
        with pytest.raises(ParameterError, match=problem) as raised:
            detect_files([recording], out_dir=out, channel=bad)
        assert raised.value.param == "channel" and "\n" not in str(raised.value)
    assert not out.exists() or not any(out.iterdir())


def test_detect_jobs_of_each_channel_write_what_the_local_run_writes(two_channels, tmp_path):
    """As on a cluster: each channel one ``detect`` job, its record as JSON, run by the job kind."""
    recording, _ = two_channels
    request = validate_request(DetectRequest, {"recordings": [recording], "out": tmp_path / "jobs", "channel": "0,1"})
    jobs = recording_jobs("detect", plan_detection(request))
    assert [job.params["channel"] for job in jobs] == [0, 1] and all(job.params["per_channel"] for job in jobs)
    assert all(execute_job(job).ok for job in jobs)
    local = detect_files([recording], out_dir=tmp_path / "local", channel="all")
    for result in local:
        from_job = tmp_path / "jobs" / result.output.name
        assert from_job.read_bytes() == result.output.read_bytes()
