"""The Bokeh server behind ``hark gui``: one application, one :class:`GuiSession` per page.

Safety: the server listens on 127.0.0.1 unless told otherwise, and another address needs a
token, which every page must carry (``?token=...``; compared in constant time when the page's
session is made, so a page without it gets nothing but a refusal). Sessions are signed with
a key made afresh at each start, so a session cannot be forged past that check. Every path a
page sends goes through :class:`hark.gui.paths.DataFolder`.
"""

from __future__ import annotations

import hmac
import html
import logging
import re
import secrets
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hark.annotations.naming import annotation_csv_name
from hark.errors import HarkError
from hark.gui.paths import DataFolder

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
LOG = logging.getLogger("hark.gui")
UNUSED_SESSION_CHECK_MS = 2000
UNUSED_SESSION_LIFETIME_MS = 8000  # after its last connection closed; a page loads and connects well within it


@dataclass(frozen=True)
class GuiSettings:
    """What ``hark gui`` was started with."""

    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 5006
    annotator: str = "me"
    token: str | None = None
    double_click: str = "point"  # the double-click plugin (hark.gui.double_click)
    double_click_params: dict = field(default_factory=dict)
    follow_symlinks: bool = False  # open recordings that are links to outside the data folder
    video_finder: str = "same-name"  # which movie belongs to a recording (hark.video.finders)
    video_finder_params: dict = field(default_factory=dict)

    def check(self) -> GuiSettings:
        """A one-line HarkError for a setting that cannot work (or is unsafe)."""
        from hark.gui.double_click import double_click_plugins
        from hark.video import video_finders

        annotation_csv_name("x.wav", "annotated", annotator=self.annotator)  # no spaces or slashes
        double_click_plugins.get(self.double_click).validate(self.double_click_params)
        video_finders.get(self.video_finder).validate(self.video_finder_params)
        if not 0 <= self.port <= 65535:
            raise HarkError(f"--port {self.port}: must be between 0 and 65535")
        if self.token is not None and (len(self.token) < 8 or not re.fullmatch(r"[A-Za-z0-9_.~-]+", self.token)):
            raise HarkError("--token: use at least 8 letters, digits or -_.~ (it travels in the page's address)")
        if self.host not in LOCAL_HOSTS and not self.token:
            raise HarkError(
                f"--host {self.host}: serving beyond this machine needs a token that every page must carry; "
                "add --token (e.g. --token $(python -c 'import secrets; print(secrets.token_urlsafe(16))'))"
            )
        return self


@dataclass(frozen=True)
class GuiServerContext:
    """What every session of one server shares: the settings, the data folder and the job queue."""

    settings: GuiSettings
    folder: DataFolder
    jobs: object  # hark.gui.jobqueue.JobQueue, imported lazily with the rest of the pages


def page_url(settings: GuiSettings, port: int) -> str:
    host = settings.host
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    shown = f"[{shown}]" if ":" in shown else shown
    query = f"?token={settings.token}" if settings.token else ""
    return f"http://{shown}:{port}/{query}"


def token_ok(settings: GuiSettings, arguments: dict[str, str]) -> bool:
    if not settings.token:
        return True
    return hmac.compare_digest(arguments.get("token", "").encode(), settings.token.encode())


def make_document_builder(context_of: Callable[[], GuiServerContext]):
    """The function Bokeh calls for every new page."""

    def build(doc) -> None:
        from bokeh.models import Div

        context = context_of()
        request = doc.session_context.request if doc.session_context is not None else None
        raw = request.arguments if request is not None else {}
        arguments = {name: values[0].decode("utf-8", "replace") for name, values in raw.items() if values}
        if not token_ok(context.settings, arguments):
            doc.add_root(Div(text="<h2>hark: this page needs the token the server was started with (add ?token=... to the address)</h2>"))
            return
        try:
            from hark.gui.session import GuiSession

            session = GuiSession(doc, context, arguments)
        except Exception as err:  # a bug or an unreadable folder: say so in the page, keep the server
            LOG.exception("could not build the page")
            doc.clear()
            doc.add_root(Div(text=f"<h2>hark: the page could not be built</h2><pre>{html.escape(f'{type(err).__name__}: {err}')}</pre>"))
            return
        doc.on_session_destroyed(lambda session_context: _page_closed(session))

    return build


def _page_closed(session) -> None:
    """Bokeh calls this after it has destroyed the page's document (and removed its callbacks)."""
    session.close()
    LOG.info("a page was closed")


class GuiServer:
    """A started (not yet running) Bokeh server for ``settings``; ``url`` is the page to open."""

    def __init__(self, settings: GuiSettings):
        settings.check()
        folder = DataFolder(settings.data_dir, follow_symlinks=settings.follow_symlinks)
        from bokeh.application import Application
        from bokeh.application.handlers.function import FunctionHandler
        from bokeh.server.server import Server

        from hark.gui.csp import SecurityHeaders
        from hark.gui.jobqueue import JobQueue

        jobs = JobQueue(folder.root, folder.settings_dir / "jobs")
        self.context = GuiServerContext(settings, folder, jobs)
        application = Application(FunctionHandler(make_document_builder(lambda: self.context)))
        port = settings.port or _free_port(settings.host)
        if settings.host in ("0.0.0.0", "::"):
            origins = ["*"]  # reached by any of the machine's names; the token guards the pages
        else:
            names = {settings.host, "localhost", "127.0.0.1"} if settings.host in LOCAL_HOSTS else {settings.host}
            origins = [f"{name}:{port}" for name in sorted(names) if ":" not in name]
        try:
            self.server = Server(
                {"/": application}, port=port, address=settings.host, allow_websocket_origin=origins,
                sign_sessions=True, secret_key=secrets.token_urlsafe(32), generate_session_ids=True,
                websocket_max_message_size=50 * 2**20, transforms=[SecurityHeaders],
                # a closed page's session (its recording, its arrays) is freed within seconds, not Bokeh's 15-32 s
                check_unused_sessions_milliseconds=UNUSED_SESSION_CHECK_MS, unused_session_lifetime_milliseconds=UNUSED_SESSION_LIFETIME_MS,
            )  # fmt: skip
        except OSError as err:
            raise HarkError(f"cannot listen on {settings.host}:{settings.port}: {err.strerror or err} (try another --port)") from None
        self.port = self.server.port
        self.url = page_url(settings, self.port)

    def start(self) -> None:
        self.server.start()

    def run_forever(self) -> None:
        self.server.io_loop.start()

    def stop(self) -> None:
        self.context.jobs.stop()
        self.server.stop()
        self.server.io_loop.stop()


def _free_port(host: str) -> int:
    """A port nobody listens on now (``--port 0``), so the page's address and allowed origins can name it."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def serve(settings: GuiSettings, announce: Callable[[str], None] = print) -> None:
    """Serve the GUI until interrupted; ``announce`` gets the page's address once it is listening."""
    server = GuiServer(settings)
    if not LOG.handlers:  # the server's own lines (a page closed) on its terminal; jobs write to their logs
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("hark gui: %(message)s"))
        LOG.addHandler(handler)
        LOG.setLevel(logging.INFO)
    server.start()
    announce(server.url)
    # a SIGTERM (a service manager, kill) stops the server as Ctrl+C does: its running jobs are ended too
    previous = signal.signal(signal.SIGTERM, _interrupt) if threading.current_thread() is threading.main_thread() else None
    try:
        server.run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt
