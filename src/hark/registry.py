"""One small typed registry per plugin kind.

The shipped implementations register themselves like any third-party plugin; a package
outside hark adds its own through an entry point group (e.g. ``hark.detectors``) whose
entries point at the plugin object. Names are unique: registering one twice is an error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from typing import Generic, TypeVar

from hark.errors import HarkError

T = TypeVar("T")


class Registry(Generic[T]):
    """Named plugins of one kind (readers, detectors, architectures, ...)."""

    def __init__(self, kind: str, entry_point_group: str):
        self.kind = kind
        self.entry_point_group = entry_point_group
        self._items: dict[str, T] = {}
        self._entry_points_loaded = False

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator: ``@detectors.register("my-detector")`` on the plugin class."""

        def add(obj: T) -> T:
            self.add(name, obj)
            return obj

        return add

    def register_class(self, name: str) -> Callable[[T], T]:
        """Class decorator for plugins that know their own name: registers and sets ``cls.name``."""

        def add(cls: T) -> T:
            cls.name = name  # type: ignore[attr-defined]
            self.add(name, cls)
            return cls

        return add

    def add(self, name: str, obj: T) -> None:
        if not name or any(c.isspace() for c in name):
            raise ValueError(f"{self.kind} name {name!r} must be non-empty without spaces")
        if name in self._items:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._items[name] = obj

    def get(self, name: str) -> T:
        self._load_entry_points()
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "none"
            raise HarkError(f"unknown {self.kind} {name!r}; known: {known}") from None

    def names(self) -> list[str]:
        self._load_entry_points()
        return sorted(self._items)

    def items(self) -> Iterator[tuple[str, T]]:
        self._load_entry_points()
        yield from sorted(self._items.items())

    def __contains__(self, name: object) -> bool:
        self._load_entry_points()
        return name in self._items

    def _load_entry_points(self) -> None:
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        for ep in entry_points(group=self.entry_point_group):
            if ep.name not in self._items:
                self.add(ep.name, ep.load())
