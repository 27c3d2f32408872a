"""A few hundred seeded fuzz cases over every annotation format and audio reader (benchmarks.fuzz at depth)."""

import random

from benchmarks import fuzz, fuzz_mutators


def test_every_registered_writable_format_and_the_audio_readers_are_fuzzed():
    from hark.annotations.formats import annotation_formats

    names = {t.name for t in fuzz.targets()}
    expected = {n for n, f in annotation_formats.items() if (f.can_write or n == "soundevent") and not f.read_as}
    assert expected <= names
    assert {"wav16", "wav-float", "flac", "aiff", "ogg", "cbin"} <= names


def test_the_mutators_are_seeded():
    data = b"song.wav,100,200,annotated,a\nsong.wav,300,400,annotated,b\n"
    first = [fuzz_mutators.mutate_text(random.Random(f"0:x:{n}"), data, None) for n in range(30)]
    again = [fuzz_mutators.mutate_text(random.Random(f"0:x:{n}"), data, None) for n in range(30)]
    assert first == again and len({m for _, m in first}) > 5


def test_a_traceback_and_a_long_error_are_failures(tmp_path):
    from hark.errors import HarkError

    path = tmp_path / "song.csv"
    assert fuzz.judge(ValueError("x"), path)[0] == "traceback"
    assert fuzz.judge(HarkError(f"{path}: " + "x" * 400), path)[0] == "bad-error"
    assert fuzz.judge(HarkError(f"{path}: two\nlines"), path)[0] == "bad-error"
    assert fuzz.judge(HarkError("no file named"), path)[0] == "bad-error"
    assert fuzz.judge(HarkError(f"{path}:3: bad cell"), path) == ("error", f"{path}:3: bad cell")


def test_a_few_hundred_mutants_give_no_traceback_crash_or_hang():
    results = fuzz.fuzz(cases=300, seed=1, timeout=10.0)
    assert len(results) == 300
    failures = [f"{c.outcome}: {c.target} #{c.number} ({c.mutation}): {c.detail}" for c in results if c.outcome not in fuzz.PASSING]
    assert not failures, "\n".join(failures[:10])
    # the mutants are not all refused: the suite also exercises the readers' good paths
    assert sum(c.outcome == "ok" for c in results) > 20
