"""The detector plugin interface."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import ClassVar

from hark.annotations.event import Event
from hark.audio.recording import Recording
from hark.params import Params, validate_params
from hark.registry import Registry

ProgressCallback = Callable[[float], None]
"""Called with the fraction of the recording done, from 0 to 1."""


class Detector(ABC):
    """Finds candidate sounds in a recording without training.

    A plugin declares its parameters as a pydantic model (``Params``) and the labels its
    events can carry, and streams the recording itself so that memory stays bounded.
    """

    Params: ClassVar[type[Params]]
    name: ClassVar[str] = ""
    threads: int = 1
    """CPU threads the detector may use; set by whoever schedules it (``detect_files``)."""

    def __init__(self, params: Params | dict | None = None):
        if isinstance(params, self.Params):
            self.params = params
        else:
            values = params.model_dump() if isinstance(params, Params) else params
            self.params = validate_params(self.Params, values, f"detector {self.name}")

    @abstractmethod
    def labels(self) -> tuple[str, ...]:
        """Every label this detector's events can carry."""

    @abstractmethod
    def detect(self, recording: Recording, progress: ProgressCallback | None = None) -> list[Event]:
        """``detected`` events of ``recording``, sorted by start."""


detectors: Registry[type[Detector]] = Registry("detector", "hark.detectors")


register_detector = detectors.register_class
"""Class decorator: ``@register_detector("name")`` registers the class and sets its ``name``."""
