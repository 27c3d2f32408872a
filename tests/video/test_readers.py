"""Contract tests over every registered video reader, on movies whose frames carry their time."""

from __future__ import annotations

import av
import pytest

from hark.errors import FileFormatError, HarkError
from hark.video import (
    VideoTooShortError,
    check_covers,
    frame_at,
    frame_index_of,
    frames_between,
    open_video,
    video_readers,
    write_time_movie,
)

FPS = 25.0
SECONDS = 6.0


@pytest.fixture(scope="module")
def movies(tmp_path_factory):
    """One time-code movie per container (and a long-GOP H.264 one, whose seeks land far before the frame)."""
    folder = tmp_path_factory.mktemp("movies")
    made = {suffix: write_time_movie(folder / f"clock{suffix}", SECONDS, fps=FPS) for suffix in (".mp4", ".avi", ".mov", ".mkv")}
    # (PyAV's wheels carry libx264; a build without it tests MPEG-4 twice rather than fail)
    h264 = "libx264" if "libx264" in av.codecs_available else "mpeg4"
    made["h264"] = write_time_movie(folder / "clock-h264.mp4", SECONDS, fps=FPS, codec=h264)
    return made


@pytest.mark.parametrize("name", video_readers.names())
@pytest.mark.parametrize("kind", [".mp4", ".avi", ".mov", ".mkv", "h264"])
def test_every_reader_gives_the_frame_shown_at_a_time(name, kind, movies):
    stream = open_video(movies[kind], name)
    try:
        info = stream.info
        assert info.frames == round(SECONDS * FPS) and info.fps == pytest.approx(FPS)
        assert (info.width, info.height) == (320, 240) and info.duration == pytest.approx(SECONDS)
        # out of order (seeks back and forth), then in order (decoding on), then repeated (the cache)
        times = [4.97, 0.0, 2.51, 0.04, 5.99, 3.3, *[i / FPS + 0.01 for i in range(60, 90)], 2.51, 4.97]
        for seconds in times:
            image = frame_at(stream, seconds)
            assert image.shape == (240, 320, 3) and image.dtype.name == "uint8"
            assert frame_index_of(image) == int(seconds * FPS), f"{seconds} s"
        small = frame_at(stream, 1.0, width=64)
        assert small.shape == (48, 64, 3) and frame_index_of(small) == 25
    finally:
        stream.close()


@pytest.mark.parametrize("name", video_readers.names())
def test_every_reader_reads_the_frames_of_a_stretch_for_a_model(name, movies):
    stream = open_video(movies[".mp4"], name)
    frames, times = frames_between(stream, 1.0, 1.5, width=32)
    # every frame shown during the stretch: frame 37 is shown from 1.48 to 1.52 s
    assert frames.shape == (13, 24, 32, 3)
    assert [frame_index_of(f) for f in frames] == list(range(25, 38))
    assert times.tolist() == pytest.approx([i / FPS for i in range(25, 38)])
    with pytest.raises(VideoTooShortError, match="lasts 6.000 s"):
        frames_between(stream, 5.0, 7.0)
    with pytest.raises(HarkError, match="max_frames=10"):
        frames_between(stream, 0.0, 5.0, max_frames=10)
    stream.close()


@pytest.mark.parametrize("name", video_readers.names())
def test_every_reader_refuses_what_is_not_a_movie_in_one_line(name, movies, tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    text = tmp_path / "notes.avi"
    text.write_text("not a movie\n" * 100)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(movies[".mp4"].read_bytes()[: movies[".mp4"].stat().st_size // 2])
    for path, why in ((empty, "empty"), (text, "not a readable movie"), (cut, "not a readable movie"), (tmp_path / "gone.mp4", "no such")):
        with pytest.raises(FileFormatError, match=why) as caught:
            open_video(path, name)
        assert "\n" not in str(caught.value) and str(path) in str(caught.value)


def test_a_movie_cut_short_inside_is_refused_when_a_lost_frame_is_asked_for(movies, tmp_path):
    # an AVI keeps its header when cut: it opens, and the frames past the cut are refused, not made up
    cut = tmp_path / "cut.avi"
    data = movies[".avi"].read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    stream = open_video(cut)
    assert stream.info.frames == round(SECONDS * FPS)  # as its header says
    assert frame_index_of(frame_at(stream, 0.5)) == 12
    with pytest.raises(FileFormatError, match="frame 137 of 150 cannot be decoded: the movie is damaged or cut short"):
        frame_at(stream, 5.5)


def test_a_movie_shorter_than_its_recording_is_refused_within_one_frame(movies):
    info = open_video(movies[".mp4"]).info
    check_covers(info, SECONDS, "clock.mp4")
    check_covers(info, SECONDS + 0.5 / FPS, "clock.mp4")  # the recording ends within the last frame's time
    with pytest.raises(VideoTooShortError, match=r"clock.mp4: the movie lasts 6.000 s, shorter than rec.wav \(7.000 s\)"):
        check_covers(info, 7.0, "clock.mp4", "rec.wav")


def test_reader_names_and_parameters_are_checked():
    with pytest.raises(HarkError, match="unknown video reader 'ffmpeg-cli'; known: .*pyav"):
        open_video("x.mp4", "ffmpeg-cli")
    with pytest.raises(HarkError, match="video reader pyav: cache: unknown parameter"):
        video_readers.get("pyav")({"cache": 3})
    with pytest.raises(HarkError, match="cache_frames"):
        video_readers.get("pyav")({"cache_frames": 0})
