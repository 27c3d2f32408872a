import pytest


@pytest.fixture(autouse=True)
def _no_settings_of_this_machine(tmp_path, monkeypatch):
    """The tests' own settings only: no user config from this machine's home, no named file or root."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.delenv("HARK_CONFIG", raising=False)
    monkeypatch.delenv("HARK_PROJECT_ROOT", raising=False)
