"""What the GUI remembers per data folder: ``DATA_DIR/.hark/gui-params.json``.

The parameters each action's form last ran with, the labels in use and the recording last
opened. The file is re-read before every write (two windows may share a data folder) and
replaced atomically; a data folder that cannot be written only means nothing is remembered.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hark.errors import HarkError
from hark.fileio import atomic_write_text

MEMORY_FILE = "gui-params.json"


class GuiMemory:
    def __init__(self, settings_dir: Path):
        self.path = settings_dir / MEMORY_FILE
        self.problem: str | None = None  # why the last write failed, for the page to show

    def read(self) -> dict[str, Any]:
        try:
            values = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as err:
            self.problem = f"{self.path}: cannot read remembered settings ({err}); starting afresh"
            return {}
        return values if isinstance(values, dict) else {}

    def get(self, key: str, default: Any = None) -> Any:
        return self.read().get(key, default)

    def set(self, key: str, value: Any) -> bool:
        """Store ``value`` under ``key``; False (with ``problem`` set) when the folder cannot be written."""
        values = self.read()
        if values.get(key) == value:
            return True
        values[key] = value
        try:
            atomic_write_text(self.path, json.dumps(values, indent=1, sort_keys=True) + "\n")
        except (HarkError, OSError) as err:
            self.problem = f"cannot remember settings in {self.path}: {err}"
            return False
        return True

    def action_values(self, action: str) -> dict[str, Any]:
        actions = self.get("actions", {})
        values = actions.get(action, {}) if isinstance(actions, dict) else {}
        return values if isinstance(values, dict) else {}

    def set_action_values(self, action: str, values: dict[str, Any]) -> bool:
        actions = self.get("actions", {})
        actions = dict(actions) if isinstance(actions, dict) else {}
        actions[action] = values
        return self.set("actions", actions)
