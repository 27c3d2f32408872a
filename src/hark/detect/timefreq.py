"""SongExplorer's time-freq-threshold detector, streamed in chunks.

Time domain: a sound is where ``|x - center| > time_sigma[0] * spread`` (center and spread
from the whole recording: median and MAD, or mean and standard deviation); gaps shorter
than ``time_smooth`` are filled.

Frequency domain: half-overlapping windows of ``frequency_n`` are tested for a sinusoid
with the multitaper harmonic F-test (``2 * frequency_nw`` DPSS tapers, keeping the well
concentrated ones); a window is tonal when some frequency inside ``frequency_range`` is
significant at ``frequency_p[0] / nfft`` (a Bonferroni correction over the FFT bins).
Tonal stretches shorter than ``frequency_smooth`` are dropped and gaps shorter than it
filled. Each window stands for the middle half of its samples.

Candidate ambient ("neither") is what passes neither test with the lenient second
thresholds ``time_sigma[1]`` and ``frequency_p[1]``.
"""

from __future__ import annotations

from queue import SimpleQueue
from typing import Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from hark.annotations.event import Event, Kind
from hark.audio.recording import Recording
from hark.detect import intervals as iv
from hark.detect.base import Detector, ProgressCallback, register_detector
from hark.detect.multitaper import PeakFTest, f_critical_value, fft_length, slepian_tapers
from hark.detect.noise import NoiseLevelAccumulator
from hark.detect.time_candidates import candidates_of, time_runs_of
from hark.detect.timefreq_peaks import ChunkPeaks
from hark.errors import HarkError
from hark.jobs.threads import in_order
from hark.params import Params

_F_TEST_BYTES = 4 * 2**20  # one batch of tapered spectra: small enough to stay in cache (4 MB: 9 % faster than 8 MB)
_TIME_CANDIDATE_BYTES = 256 * 2**20  # the time-domain candidates kept from the first pass, at most


def _pair(value, name: str):
    if isinstance(value, str):
        parts = [p for p in value.replace(" ", "").split(",")]
        if len(parts) != 2 or not all(parts):
            raise ValueError(f"{name} needs two numbers separated by a comma, like 9,4")
        return tuple(parts)
    return value


class TimeFreqThresholdParams(Params):
    """Parameters of the time-freq-threshold detector, named as in SongExplorer."""

    time_sigma: tuple[float, float] = Field(
        (9.0, 4.0), description="sounds exceed the first multiple of the noise spread; ambient stays below the second"
    )
    time_smooth: float = Field(6.4, ge=0, description="time-domain gaps shorter than this are filled (ms)")
    time_sigma_robust: Literal["median", "mean"] = Field(
        "median", description="noise level from median and MAD (robust) or mean and standard deviation"
    )
    frequency_n: float = Field(25.6, gt=0, description="window of the multitaper F-test (ms)")
    frequency_nw: float = Field(4.0, ge=1, le=32, description="time-bandwidth product of the DPSS tapers")
    frequency_p: tuple[float, float] = Field(
        (0.1, 1.0), description="F-test significance for sounds and, more lenient, for excluding ambient (x 1/nfft)"
    )
    frequency_range: tuple[float, float | None] = Field(
        (0.0, None), description="only lines between these frequencies count (Hz); 'LO-HI', 'LO-' or '-HI'"
    )
    frequency_smooth: float = Field(
        25.6, ge=0, description="tonal stretches shorter than this are dropped and gaps shorter filled (ms)"
    )

    @field_validator("time_sigma", "frequency_p", mode="before")
    @classmethod
    def _split_pair(cls, value, info):
        return _pair(value, info.field_name)

    @field_validator("frequency_range", mode="before")
    @classmethod
    def _split_range(cls, value):
        if isinstance(value, str):
            lo, sep, hi = value.replace(" ", "").partition("-")
            if not sep:
                raise ValueError("write the range as LO-HI, LO- or -HI (Hz)")
            return (float(lo) if lo else 0.0, float(hi) if hi else None)
        return value

    @model_validator(mode="after")
    def _check(self):
        signal, ambient = self.time_sigma
        if not 0 < ambient <= signal:
            raise ValueError(f"time_sigma {signal:g},{ambient:g}: need 0 < second <= first")
        p_signal, p_ambient = self.frequency_p
        if not 0 < p_signal <= p_ambient:
            raise ValueError(f"frequency_p {p_signal:g},{p_ambient:g}: need 0 < first <= second")
        lo, hi = self.frequency_range
        if lo < 0 or (hi is not None and hi <= lo):
            raise ValueError(f"frequency_range {lo:g}-{hi}: need 0 <= LO < HI")
        return self


@register_detector("time-freq-threshold")
class TimeFreqThresholdDetector(Detector):
    """Amplitude threshold in time, multitaper F-test in frequency (SongExplorer's default detector)."""

    Params = TimeFreqThresholdParams
    chunk_size = 2**20  # samples per chunk: bounds memory whatever the recording's length
    windows_computed: tuple[int, int] | None = None
    """After :meth:`detect`: the F-tests computed and the recording's windows (the benchmark's report)."""
    chunks_read_again: tuple[int, int] | None = None
    """After :meth:`detect` with the median: the chunks read a second time for the time-domain
    thresholds, and all chunks (hark.detect.time_candidates)."""

    def labels(self) -> tuple[str, ...]:
        return ("time", "frequency", "neither")

    def detect(self, recording: Recording, progress: ProgressCallback | None = None) -> list[Event]:
        p = self.params
        rate = recording.samplerate
        window = max(int(round(p.frequency_n / 1000 * rate)), 4)
        hop = window // 2
        if window > recording.frames:
            raise HarkError(
                f"{recording.path}: frequency_n {p.frequency_n:g} ms ({window} samples) is longer than the recording"
            )
        lo_hz, hi_hz = p.frequency_range
        if lo_hz >= rate / 2:
            raise HarkError(f"{recording.path}: frequency_range starts at {lo_hz:g} Hz, above the Nyquist frequency {rate / 2:g} Hz")
        done = _ProgressSteps(progress, total=2 * recording.frames)
        time_smooth = max(int(round(p.time_smooth / 1000 * rate)), 1)
        freq_smooth = int(round(p.frequency_smooth / 1000 * rate)) // hop

        try:
            tapers = slepian_tapers(window, p.frequency_nw)
        except ValueError as err:  # a window of a few samples: a recording at a few Hz
            raise HarkError(f"{recording.path}: at {rate} Hz, frequency_n {p.frequency_n:g} ms is {window} samples: {err}") from None
        nfft = fft_length(window)
        freqs = np.fft.rfftfreq(nfft, d=1.0 / rate)
        in_range = np.flatnonzero((freqs >= lo_hz) & (freqs <= (hi_hz if hi_hz is not None else rate / 2)))
        if len(in_range) == 0:
            raise HarkError(f"{recording.path}: frequency_range {lo_hz:g}-{hi_hz:g} Hz holds no frequency the F-test resolves")
        bins = slice(in_range[0], in_range[-1] + 1)
        crit_signal = f_critical_value(p.frequency_p[0] / nfft, len(tapers))
        crit_ambient = f_critical_value(p.frequency_p[1] / nfft, len(tapers))
        # Tonal runs shorter than freq_smooth windows are dropped, which spares computing most
        # windows (hark.detect.timefreq_peaks); chunks then start at a multiple of that many windows.
        min_run = freq_smooth if freq_smooth * hop <= self.chunk_size else 1
        chunk_size = max(self.chunk_size // (hop * max(min_run, 1)), 1) * hop * max(min_run, 1)
        frames = recording.frames
        threads = max(self.threads, 1)
        starts = range(0, frames, chunk_size)
        # one F-test per thread (each keeps its own buffers), lent to the chunk being worked on
        all_peaks = [self._chunk_peaks(tapers, nfft, bins, window, hop, min_run, crit_ambient) for _ in range(threads)]
        free_peaks: SimpleQueue = SimpleQueue()
        for peaks_of in all_peaks:
            free_peaks.put(peaks_of)

        def read(begin: int) -> np.ndarray:
            # each chunk as recording.chunks(chunk_size, overlap=window) gives it
            return recording.read(begin, min(begin + chunk_size + window, frames))

        def tonal_runs(data: np.ndarray, begin: int):
            peaks_of = free_peaks.get()
            try:
                peak_f = peaks_of(data, chunk_size // hop)
            finally:
                free_peaks.put(peaks_of)
            first_window = begin // hop
            return iv.runs(peak_f > crit_signal, first_window), iv.runs(peak_f > crit_ambient, first_window)

        def time_runs(new: np.ndarray, begin: int, level):
            deviation = np.abs(new - level.center)
            return tuple(
                iv.fill_gaps(iv.runs(deviation > sigma * level.spread, begin), time_smooth) for sigma in p.time_sigma
            )

        time_sound, time_busy, tonal, tonal_busy = [], [], [], []
        try:
            if p.time_sigma_robust == "median":
                # The F-test does not depend on the noise level: it runs in the pass that counts the
                # histogram, which also keeps what the time-domain thresholds will need of each
                # chunk (hark.detect.time_candidates); only chunks where that missed are read again.
                accumulator = NoiseLevelAccumulator("median")

                def first_pass(begin: int):
                    data = read(begin)
                    new = data[:chunk_size]
                    kept = candidates_of(new, p.time_sigma, time_smooth)
                    return len(new), accumulator.counts_of(new), tonal_runs(data, begin), kept

                kept_of, kept_bytes = [], 0
                for n, counts, (sound, busy), kept in in_order(first_pass, starts, threads):
                    accumulator.add_counts(counts, n)
                    tonal.append(sound)
                    tonal_busy.append(busy)
                    if kept is not None and kept_bytes + kept.nbytes > _TIME_CANDIDATE_BYTES:
                        kept = None  # read again instead: memory stays bounded on any recording
                    kept_bytes += kept.nbytes if kept is not None else 0
                    kept_of.append(kept)
                    done.advance(n)
                level = _checked_level(accumulator, recording)
                found = [time_runs_of(kept, level, p.time_sigma, time_smooth, begin) for begin, kept in zip(starts, kept_of)]
                del kept_of
                again = [begin for begin, runs in zip(starts, found) if runs is None]
                self.chunks_read_again = (len(again), len(starts))

                def second_pass(begin: int):
                    new = read(begin)[:chunk_size]
                    return time_runs(new, begin, level)

                reread = in_order(second_pass, again, threads)
                for begin, runs in zip(starts, found):
                    sound, busy = runs if runs is not None else next(reread)
                    time_sound.append(sound)
                    time_busy.append(busy)
                    done.advance(min(chunk_size, frames - begin))
            else:
                # the mean's float sums depend on the chunks: the noise pass keeps its own
                self.chunks_read_again = None
                level = self._noise_level(recording, done)

                def both(begin: int):
                    data = read(begin)
                    new = data[:chunk_size]
                    return len(new), time_runs(new, begin, level), tonal_runs(data, begin)

                for n, (sound, busy), (tone, tone_busy) in in_order(both, starts, threads):
                    time_sound.append(sound)
                    time_busy.append(busy)
                    tonal.append(tone)
                    tonal_busy.append(tone_busy)
                    done.advance(n)
        finally:
            for peaks_of in all_peaks:
                peaks_of.__exit__(None, None, None)
        self.windows_computed = (sum(peaks_of.computed for peaks_of in all_peaks), (frames - window) // hop + 1)

        offset = (window - hop) // 2

        def in_time(parts):
            return iv.fill_gaps(np.concatenate(parts), time_smooth)

        def in_frequency(parts):
            # rejoin runs cut at chunk borders before dropping short ones
            joined = iv.fill_gaps(np.concatenate(parts), 1)
            window_runs = iv.fill_gaps(iv.drop_short(joined, freq_smooth), freq_smooth)
            return iv.scale_runs(window_runs, hop, offset)

        sounds_time = in_time(time_sound)
        sounds_freq = in_frequency(tonal)
        busy = iv.union(in_time(time_busy), in_frequency(tonal_busy))
        ambient = iv.complement(busy, 0, frames)
        events = [
            Event(recording.name, int(a), int(b), Kind.DETECTED, label)
            for label, found in (("time", sounds_time), ("frequency", sounds_freq), ("neither", ambient))
            for a, b in np.clip(found, 0, frames)
            if b > a
        ]
        done.finish()
        return sorted(events, key=lambda e: (e.start, e.stop, e.label))

    def _noise_level(self, recording: Recording, done: "_ProgressSteps"):
        accumulator = NoiseLevelAccumulator(self.params.time_sigma_robust)
        size, frames = self.chunk_size, recording.frames

        def read(begin: int) -> np.ndarray:
            return recording.read(begin, min(begin + size, frames))

        for data in in_order(read, range(0, frames, size), max(self.threads, 1)):
            accumulator.add(data)
            done.advance(len(data))
        return _checked_level(accumulator, recording)

    def _chunk_peaks(self, tapers, nfft, bins, window, hop, min_run, threshold) -> ChunkPeaks:
        """The windows' peak F statistics of one chunk at a time, for one of the detector's threads
        (a method, so that a test can compare with another computation)."""
        return ChunkPeaks([PeakFTest(tapers, nfft, bins, _F_TEST_BYTES)], window, hop, min_run, threshold)


def _checked_level(accumulator: NoiseLevelAccumulator, recording: Recording):
    level = accumulator.level()
    if level.spread <= 0:
        raise HarkError(f"{recording.path}: the recording is silent or constant; no noise level to threshold against")
    return level


class _ProgressSteps:
    def __init__(self, callback: ProgressCallback | None, total: int):
        self.callback = callback
        self.total = max(total, 1)
        self.done = 0

    def advance(self, n: int) -> None:
        self.done += n
        if self.callback:
            self.callback(min(self.done / self.total, 1.0))

    def finish(self) -> None:
        if self.callback:
            self.callback(1.0)
