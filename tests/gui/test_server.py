"""``hark gui``: safe defaults, a token beyond this machine, and the address it prints."""

from __future__ import annotations

import urllib.request

import pytest

from hark.cli.app import main
from hark.errors import HarkError
from hark.gui.server import GuiSettings, page_url, token_ok
from tests.gui.conftest import running_gui
from tests.gui.helpers import open_page


def test_serving_beyond_this_machine_needs_a_token(tmp_path, capsys):
    assert main(["gui", str(tmp_path), "--host", "0.0.0.0"]) == 2
    assert "serving beyond this machine needs a token" in capsys.readouterr().err
    with pytest.raises(HarkError, match="at least 8"):
        GuiSettings(tmp_path, host="0.0.0.0", token="short").check()
    with pytest.raises(HarkError, match="annotator name"):
        GuiSettings(tmp_path, annotator="two words").check()
    settings = GuiSettings(tmp_path, host="0.0.0.0", token="s3cret-token").check()
    assert page_url(settings, 5006) == "http://127.0.0.1:5006/?token=s3cret-token"
    assert token_ok(settings, {"token": "s3cret-token"}) and not token_ok(settings, {"token": "guess"}) and not token_ok(settings, {})


def test_a_missing_data_folder_is_one_line(tmp_path, capsys):
    assert main(["gui", str(tmp_path / "nope")]) == 2
    assert "nope: no such folder" in capsys.readouterr().err


def test_it_prints_the_address_and_serves_pages_that_need_the_token(tmp_path, page):
    (tmp_path / "data").mkdir()
    with running_gui(tmp_path / "data", "--token", "s3cret-token") as url:
        assert url.startswith("http://127.0.0.1:") and url.endswith("/?token=s3cret-token")
        with urllib.request.urlopen(url, timeout=30) as response:
            assert response.status == 200 and b"bokeh" in response.read().lower()
        page.goto(url.split("?")[0])
        page.get_by_text("needs the token").wait_for()
        assert page.evaluate("() => Bokeh.documents[0].get_model_by_name('messages')") is None
        open_page(page, url)
