"""Where work runs. For now: local processes, with progress reported back to the caller."""

from hark.jobs.local import ProgressTracker, run_in_processes

__all__ = ["ProgressTracker", "run_in_processes"]
