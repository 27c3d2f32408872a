"""soundevent / whombat annotation projects: the AOEF JSON that whombat exports.

An annotation project (``"collection_type": "annotation_project"``, AOEF format version
1.1.0, the one soundevent itself reads) lists ``recordings``, ``clips`` (stretches of a
recording shown to the annotator, in seconds within the recording), ``sound_events`` (a
geometry within a recording), ``sound_event_annotations`` (a sound event with tags, by a
user) and ``clip_annotations`` (a clip with the annotations made in it). Tags are stored
once, in ``tags``, and referred to by id.

hark reads each sound event annotation as an ``annotated`` :class:`Event` of its
recording's file name (the base name of the recording's ``path``):

- times: a sound event's geometry is in seconds from the start of the *recording* (not of
  its clip), so ``t * samplerate`` rounded to the nearest sample is the event's tic;
- frequency: a ``BoundingBox`` ``[t_start, f_low, t_end, f_high]`` gives low_hz and high_hz; a
  ``TimeInterval`` or ``TimeStamp`` has none; any other geometry (points, lines, polygons)
  gives the bounds of its coordinates;
- label: the value of the annotation's tag with key ``label_key`` (``species`` by default);
- annotator: the ``username`` of the user who made the annotation.

The clips that have a clip annotation are the stretches a person went through: inside them
every call was boxed, so anything not boxed there is background (dense supervision). They
are returned too (:class:`AnnotatedClip`), cut at the end of the recording. Each clip carries
the state of its annotation task (``completed``, ``verified``, ... or None) and its notes.

The sample rate is the recording's ``samplerate`` in the JSON; when the audio file is found
(in ``audio_dir``, by default the JSON's folder), its header must agree. Time-expanded
recordings are refused rather than guessed at. Anything malformed raises a one-line
:class:`~hark.errors.FileFormatError` naming the file and the piece that is wrong.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath

from hark.annotations.event import Event, Kind
from hark.annotations.textfile import check_input_file
from hark.annotations.timebase import seconds_to_tics
from hark.audio import open_recording
from hark.errors import FileFormatError, HarkError, excerpt

SUPPORTED_VERSIONS = ("1.1.0",)
SUPPORTED_COLLECTIONS = ("annotation_project",)
DEFAULT_LABEL_KEY = "species"


@dataclass(frozen=True)
class AnnotatedClip:
    """A stretch ``[start, stop)`` of a recording (samples) that a person annotated."""

    recording: str
    start: int
    stop: int
    state: str | None = None  # the latest state of its annotation task, when the project has tasks
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SoundeventRecording:
    """One recording of a project: its events, its annotated clips and where its audio is."""

    name: str
    samplerate: float
    frames: int
    audio_path: Path | None  # the audio file found for it, or None
    events: tuple[Event, ...] = ()
    clips: tuple[AnnotatedClip, ...] = ()


@dataclass(frozen=True)
class SoundeventProject:
    path: Path
    name: str
    recordings: dict[str, SoundeventRecording] = field(default_factory=dict)

    @property
    def events(self) -> dict[str, list[Event]]:
        """Recording file name -> its events, by start time."""
        return {name: list(r.events) for name, r in self.recordings.items()}

    @property
    def clips(self) -> dict[str, list[AnnotatedClip]]:
        """Recording file name -> its annotated clips, by start time."""
        return {name: list(r.clips) for name, r in self.recordings.items()}

    @property
    def samplerates(self) -> dict[str, float]:
        return {name: r.samplerate for name, r in self.recordings.items()}


def read_soundevent_project(
    path: str | Path,
    *,
    label_key: str = DEFAULT_LABEL_KEY,
    audio_dir: str | Path | None = None,
) -> dict[str, list[Event]]:
    """Recording file name -> its annotated events (every recording of the project, even one without events)."""
    return read_soundevent_project_with_clips(path, label_key=label_key, audio_dir=audio_dir).events


def read_soundevent_project_with_clips(
    path: str | Path,
    *,
    label_key: str = DEFAULT_LABEL_KEY,
    audio_dir: str | Path | None = None,
) -> SoundeventProject:
    """The whole project: per recording its events, annotated clips, sample rate and audio file."""
    path = check_input_file(path)
    data = _load_json(path)
    reader = _ProjectReader(path, data, label_key, Path(audio_dir) if audio_dir is not None else path.parent)
    try:
        return reader.read()
    except (TypeError, ValueError, AttributeError, KeyError, OverflowError) as err:
        # A value of a type the checks above did not foresee (JSON holds any type anywhere):
        # the file's fault, reported as such rather than as a bug of hark.
        raise FileFormatError(path, f"a value of an unexpected type or size ({type(err).__name__}: {err})") from None


def looks_like_soundevent(path: str | Path) -> bool:
    """Whether ``path`` is a ``.json`` file (soundevent's AOEF is the only JSON annotation format hark reads)."""
    return Path(path).suffix.lower() == ".json"


def _load_json(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise FileFormatError(path, "not UTF-8 text; a soundevent project is a JSON file") from None
    except OSError as err:
        raise HarkError(f"{path}: cannot read ({err.strerror or err})") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        raise FileFormatError(path, f"not valid JSON ({err.msg}, column {err.colno})", line=err.lineno) from None
    except ValueError as err:  # an integer of more than 4,300 digits
        raise FileFormatError(path, f"not a JSON file hark can read ({err})") from None
    except RecursionError:
        raise FileFormatError(path, "not a JSON file hark can read (nested too deeply)") from None
    if not isinstance(document, dict) or "data" not in document:
        raise FileFormatError(path, "not a soundevent (AOEF) file: no top-level 'version' and 'data'")
    version = document.get("version")
    if version not in SUPPORTED_VERSIONS:
        raise FileFormatError(
            path,
            f"soundevent format version {version!r} is not supported (supported: {', '.join(SUPPORTED_VERSIONS)}); "
            "export the project again with a current whombat/soundevent",
        )
    data = document["data"]
    if not isinstance(data, dict):
        raise FileFormatError(path, "'data' is not a JSON object")
    collection = data.get("collection_type")
    if collection not in SUPPORTED_COLLECTIONS:
        raise FileFormatError(
            path, f"collection_type {collection!r} is not supported (supported: {', '.join(SUPPORTED_COLLECTIONS)})"
        )
    return data


class _ProjectReader:
    """Reads one parsed project; every error names ``path`` and the piece at fault."""

    def __init__(self, path: Path, data: dict, label_key: str, audio_dir: Path):
        self.path = path
        self.data = data
        self.label_key = label_key
        self.audio_dir = audio_dir

    def fail(self, reason: str) -> FileFormatError:
        return FileFormatError(self.path, reason)

    def items(self, key: str, required: bool = True) -> list[dict]:
        """The list ``data[key]`` (null or absent: empty unless required), each item a JSON object."""
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.fail(f"no {key!r} list in 'data'")
            return []
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise self.fail(f"{key!r} is not a list of JSON objects")
        return value

    def field(self, item: dict, key: str, what: str, kind: type | tuple[type, ...] = object):
        if key not in item or item[key] is None:
            raise self.fail(f"{what} has no {key!r}")
        value = item[key]
        if kind is not object and (not isinstance(value, kind) or isinstance(value, bool)):
            raise self.fail(f"{what}: {key!r} is {value!r}, not a {_type_name(kind)}")
        return value

    def number(self, item: dict, key: str, what: str) -> float:
        value = float(self.field(item, key, what, (int, float)))
        if not math.isfinite(value):
            raise self.fail(f"{what}: {key!r} is not a finite number")
        return value

    def read(self) -> SoundeventProject:
        users = {}
        for user in self.items("users", required=False):
            name = user.get("username") or user.get("name")
            if isinstance(user.get("uuid"), str) and isinstance(name, str):
                users[user["uuid"]] = name
        tags = self._tags()
        recordings = self._recordings()
        states = self._task_states()
        clips_by_id: dict[str, AnnotatedClip] = {}
        for clip in self.items("clips"):
            uuid = self.field(clip, "uuid", "a clip", str)
            what = f"clip {uuid}"
            recording_id = self.field(clip, "recording", what, str)
            if recording_id not in recordings:
                raise self.fail(f"{what} refers to recording {recording_id}, which is not in 'recordings'")
            name, rate, frames, _ = recordings[recording_id]
            start_s, end_s = self.number(clip, "start_time", what), self.number(clip, "end_time", what)
            if not 0 <= start_s <= end_s:
                raise self.fail(f"{what}: start_time {start_s:g} s and end_time {end_s:g} s are not an interval")
            start = min(seconds_to_tics(start_s, rate), frames)
            stop = min(seconds_to_tics(end_s, rate), frames)
            clips_by_id[uuid] = AnnotatedClip(name, start, stop, states.get(uuid))
        annotated_clips: dict[str, list[AnnotatedClip]] = {}
        for clip_annotation in self.items("clip_annotations", required=False):
            clip_id = self.field(clip_annotation, "clip", "a clip annotation", str)
            if clip_id not in clips_by_id:
                raise self.fail(f"clip annotation {clip_annotation.get('uuid')} refers to clip {clip_id}, which is not in 'clips'")
            clip = clips_by_id[clip_id]
            notes = tuple(str(n.get("message", "")) for n in clip_annotation.get("notes") or [] if isinstance(n, dict))
            annotated_clips.setdefault(clip.recording, []).append(
                AnnotatedClip(clip.recording, clip.start, clip.stop, clip.state, notes)
            )

        events_of: dict[str, list[Event]] = {}
        for event in self._events(recordings, tags, users):
            events_of.setdefault(event.recording, []).append(event)
        project = {}
        for name, rate, frames, audio_path in sorted(recordings.values()):
            project[name] = SoundeventRecording(
                name,
                rate,
                frames,
                audio_path,
                tuple(sorted(events_of.get(name, []), key=lambda e: (e.start, e.stop, e.label))),
                tuple(sorted(annotated_clips.get(name, []), key=lambda c: (c.start, c.stop))),
            )
        return SoundeventProject(self.path, str(self.data.get("name") or self.path.stem), project)

    def _tags(self) -> dict[object, tuple[str, str]]:
        tags = {}
        for tag in self.items("tags", required=False):
            tag_id = self.field(tag, "id", "a tag", (int, str))
            tags[tag_id] = (str(self.field(tag, "key", f"tag {tag_id}")), str(self.field(tag, "value", f"tag {tag_id}")))
        return tags

    def _task_states(self) -> dict[str, str]:
        """Clip uuid -> the state of the last status badge of its annotation task."""
        states = {}
        for task in self.items("tasks", required=False):
            badges = [b for b in task.get("status_badges") or [] if isinstance(b, dict) and b.get("state")]
            if badges and isinstance(task.get("clip"), str):
                latest = max(badges, key=lambda b: str(b.get("created_on") or ""))
                states[task["clip"]] = str(latest["state"])
        return states

    def _recordings(self) -> dict[str, tuple[str, float, int, Path | None]]:
        """Recording uuid -> (file name, sample rate, frames, audio file or None)."""
        recordings: dict[str, tuple[str, float, int, Path | None]] = {}
        names: dict[str, str] = {}
        for recording in self.items("recordings"):
            uuid = self.field(recording, "uuid", "a recording", str)
            what = f"recording {uuid}"
            stored_path = self.field(recording, "path", what, str)
            # whombat stores the path it saw (a POSIX or a Windows path); only the file name is kept.
            name = PureWindowsPath(PurePosixPath(stored_path).name).name
            if not name:
                raise self.fail(f"{what}: path {stored_path!r} has no file name")
            if name in names:
                raise self.fail(f"two recordings have the file name {name} ({names[name]} and {uuid}); hark names recordings by file name")
            names[name] = uuid
            rate = self.number(recording, "samplerate", what)
            if rate <= 0:
                raise self.fail(f"{what}: samplerate {rate:g} is not positive")
            expansion = recording.get("time_expansion")
            if expansion not in (None, 1, 1.0):
                raise self.fail(f"{name}: time-expanded recordings (time_expansion {expansion}) are not supported")
            duration = self.number(recording, "duration", what)
            frames = seconds_to_tics(duration, rate)
            audio_path = self._audio_file(stored_path, name)
            if audio_path is not None:
                audio = open_recording(audio_path)
                if audio.samplerate != rate:
                    raise self.fail(f"{name}: samplerate {rate:g} Hz in the project, but {audio_path} is sampled at {audio.samplerate} Hz")
                frames = audio.frames
            recordings[uuid] = (name, rate, frames, audio_path)
        return recordings

    def _audio_file(self, stored_path: str, name: str) -> Path | None:
        relative = PurePosixPath(stored_path.replace("\\", "/"))
        candidates = [] if relative.is_absolute() else [self.audio_dir / relative]
        candidates.append(self.audio_dir / name)
        return next((c for c in candidates if c.is_file()), None)

    def _events(self, recordings: dict, tags: dict, users: dict) -> Iterator[Event]:
        sound_events = {}
        for sound_event in self.items("sound_events"):
            sound_events[self.field(sound_event, "uuid", "a sound event", str)] = sound_event
        for annotation in self.items("sound_event_annotations"):
            uuid = self.field(annotation, "uuid", "a sound event annotation", str)
            what = f"sound event annotation {uuid}"
            event_id = self.field(annotation, "sound_event", what, str)
            if event_id not in sound_events:
                raise self.fail(f"{what} refers to sound event {event_id}, which is not in 'sound_events'")
            sound_event = sound_events[event_id]
            recording_id = self.field(sound_event, "recording", f"sound event {event_id}", str)
            if recording_id not in recordings:
                raise self.fail(f"sound event {event_id} refers to recording {recording_id}, which is not in 'recordings'")
            name, rate, _, _ = recordings[recording_id]
            start_s, end_s, low, high = self._bounds(sound_event, f"sound event {event_id} (in {name})")
            label = self._label(annotation, tags, what)
            try:
                yield Event(
                    recording=name,
                    start=seconds_to_tics(start_s, rate),
                    stop=seconds_to_tics(end_s, rate),
                    kind=Kind.ANNOTATED,
                    label=label,
                    low_hz=low,
                    high_hz=high,
                    annotator=users.get(annotation.get("created_by")),
                )
            except ValueError as err:
                raise self.fail(f"sound event {event_id} (in {name}): {err}") from None

    def _bounds(self, sound_event: dict, what: str) -> tuple[float, float, float | None, float | None]:
        """(start s, end s, low Hz, high Hz) of a sound event's geometry."""
        geometry = self.field(sound_event, "geometry", what, dict)
        kind = self.field(geometry, "type", f"{what}: its geometry", str)
        coordinates = self.field(geometry, "coordinates", f"{what}: its {kind} geometry")
        numbers = list(_flatten(coordinates))
        if not numbers or not all(isinstance(n, (int, float)) and not isinstance(n, bool) and math.isfinite(n) for n in numbers):
            raise self.fail(f"{what}: the coordinates of its {kind} are not all finite numbers")
        expected = {"TimeStamp": 1, "TimeInterval": 2, "BoundingBox": 4, "Point": 2}
        if kind in expected and (not isinstance(coordinates, list) or len(coordinates) != expected[kind] or any(isinstance(c, list) for c in coordinates)):
            shapes = {"TimeStamp": "[time]", "TimeInterval": "[start, end]", "BoundingBox": "[t_start, f_low, t_end, f_high]", "Point": "[time, frequency]"}
            raise self.fail(f"{what}: a {kind} needs coordinates {shapes[kind]}, got {coordinates!r}")
        if kind == "TimeStamp":
            return numbers[0], numbers[0], None, None
        if kind == "TimeInterval":
            start, end = numbers
            if end < start:
                raise self.fail(f"{what}: the TimeInterval ends ({end:g} s) before it starts ({start:g} s)")
            return start, end, None, None
        if kind == "BoundingBox":
            start, low, end, high = numbers
            if end < start:
                raise self.fail(f"{what}: the box ends ({end:g} s) before it starts ({start:g} s)")
            if high < low:
                raise self.fail(f"{what}: the box's low frequency {low:g} Hz is above its high frequency {high:g} Hz")
            return start, end, low, high
        if len(numbers) % 2:
            raise self.fail(f"{what}: the coordinates of its {kind} are not (time, frequency) pairs")
        times, frequencies = numbers[0::2], numbers[1::2]
        return min(times), max(times), min(frequencies), max(frequencies)

    def _label(self, annotation: dict, tags: dict, what: str) -> str:
        tag_ids = annotation.get("tags") or []
        if not isinstance(tag_ids, list):
            raise self.fail(f"{what}: 'tags' is not a list")
        pairs = []
        for tag_id in tag_ids:
            if not isinstance(tag_id, (int, str)) or tag_id not in tags:
                raise self.fail(f"{what} has tag {excerpt(tag_id)}, which is not in 'tags'")
            pairs.append(tags[tag_id])
        values = [value for key, value in pairs if key == self.label_key]
        if len(values) != 1:
            shown = ", ".join(f"{k}={v}" for k, v in pairs) or "none"
            count = "no" if not values else f"{len(values)}"
            raise self.fail(f"{what} has {count} {self.label_key!r} tag{'s' if values else ''} (its tags: {shown}); each needs one to give its label")
        return values[0].strip()


def _flatten(value) -> Iterator:
    if isinstance(value, list):
        for item in value:
            yield from _flatten(item)
    else:
        yield value


def _type_name(kind) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {int: "number", float: "number", str: "string", dict: "JSON object", list: "list"}
    return " or ".join(dict.fromkeys(names.get(k, k.__name__) for k in kinds))
