import os
import platform
import subprocess
import sys

import pytest

from hark.detect.allocator import keep_freed_blocks


@pytest.mark.skipif(not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_thresholds_are_set_on_glibc_and_twice_is_harmless():
    # in a fresh interpreter: the test process's allocator has been tuned by whatever ran before
    env = {name: value for name, value in os.environ.items() if not name.startswith("MALLOC_")}
    code = "from hark.detect.allocator import keep_freed_blocks as keep; print(keep(), keep())"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "True"]


def test_an_environment_that_tunes_malloc_itself_is_left_alone(monkeypatch):
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "1000000")
    assert keep_freed_blocks() is False
