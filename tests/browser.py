"""Headless Chromium for the tests: where it is, what to do when it is missing, and a small
DevTools client spoken over ``--remote-debugging-pipe`` (no extra package, no port).

    browser = Browser.launch(require_chromium(), tmp_path / "profile")
    page = browser.new_page(browser.new_context())
    page.navigate("http://127.0.0.1:8000/")
    page.wait_until("document.readyState === 'complete'")
    title = page.evaluate("document.title")
    browser.close()

Each message on the pipe is one JSON object followed by a NUL byte; Chromium reads
commands from its fd 3 and writes answers and events to its fd 4. Events are kept in
order so a test can look at the whole network history of a page afterwards.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, NoReturn

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
#: flags for a quiet, self-contained headless Chromium (no sandbox: tests may run as root)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--password-store=basic",
]

Message = dict[str, Any]


FFMPEG = shutil.which("ffmpeg")
#: hls.js and dash.js from npm, installed by ``make players``
PLAYERS = Path(__file__).resolve().parents[1] / "players" / "node_modules"


def _missing(what: str, fix: str) -> NoReturn:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} ({fix})")
    pytest.skip(what)


def require_ffmpeg() -> str:
    """The ffmpeg executable (the test stream); skip when missing, fail when ``CI=true``."""
    if FFMPEG is None:
        _missing("ffmpeg is not installed", "apt-get install ffmpeg; make sysdeps")
    return FFMPEG


def require_players() -> Path:
    """The npm players' directory; skip when they are missing, fail when ``CI=true``."""
    if not (PLAYERS / ".installed").exists():
        _missing("the video players are not installed", "make players")
    return PLAYERS


def require_chromium() -> str:
    """The Chromium executable; skip the test when it is missing, fail when ``CI=true``."""
    if CHROMIUM is None:
        _missing("chromium is not installed", "apt-get install chromium; make sysdeps")
    return CHROMIUM


class DevToolsError(RuntimeError):
    """A DevTools command failed, or an awaited answer or event did not come."""


class Browser:
    """A running headless Chromium driven through DevTools over a pipe pair."""

    def __init__(
        self, proc: subprocess.Popen[bytes], send_fd: int, recv_fd: int, errors: IO[bytes]
    ) -> None:
        self.proc = proc
        self._errors = errors
        self._send = os.fdopen(send_fd, "wb", buffering=0)
        self._recv = os.fdopen(recv_fd, "rb", buffering=0)
        self._lock = threading.Condition()
        self._answers: dict[int, Message] = {}
        self._next_id = 0
        self._closed = False
        #: every event received, in order (``method``, ``params`` and ``sessionId``)
        self.events: list[Message] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    @classmethod
    def launch(cls, chromium: str, profile: Path) -> Browser:
        """Start Chromium with a fresh profile directory and wait until it answers."""
        to_browser_r, to_browser_w = os.pipe()
        from_browser_r, from_browser_w = os.pipe()
        # Chromium wants the pipes as fds 3 and 4; move ours above them first so that the
        # shell's redirections cannot overwrite one with the other.
        child_in = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD_CLOEXEC, 10)
        child_out = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(to_browser_r)
        os.close(from_browser_w)
        script = f'exec "$0" "$@" 3<&{child_in} 4>&{child_out} {child_in}<&- {child_out}>&-'
        errors = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        try:
            proc = subprocess.Popen(
                [
                    shutil.which("bash") or "/bin/bash",
                    "-c",
                    script,
                    chromium,
                    *FLAGS,
                    f"--user-data-dir={profile}",
                    "--remote-debugging-pipe",
                    "about:blank",
                ],
                pass_fds=(child_in, child_out),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=errors,
            )
        except OSError:
            errors.close()
            raise
        finally:
            os.close(child_in)
            os.close(child_out)
        browser = cls(proc, to_browser_w, from_browser_r, errors)
        try:
            browser.call("Browser.getVersion", timeout=20)
        except DevToolsError:
            browser.close()
            raise
        return browser

    # -- the wire ---------------------------------------------------------------------------

    def _read(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = self._recv.read(65536)
            except (OSError, ValueError):
                chunk = b""
            if not chunk:
                with self._lock:
                    self._closed = True
                    self._lock.notify_all()
                return
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            with self._lock:
                for raw in messages:
                    message = json.loads(raw)
                    if "id" in message:
                        self._answers[message["id"]] = message
                    else:
                        self.events.append(message)
                self._lock.notify_all()

    def call(
        self, method: str, session: str | None = None, *, timeout: float = 10, **params: Any
    ) -> Message:
        """Send one command (to a page when ``session`` is given) and return its result."""
        with self._lock:
            self._next_id += 1
            ident = self._next_id
        message: Message = {"id": ident, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        self._send.write(json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        with self._lock:
            while ident not in self._answers:
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    raise DevToolsError(f"{method}: no answer ({self._stderr_tail()})")
                self._lock.wait(left)
            answer = self._answers.pop(ident)
        if "error" in answer:
            raise DevToolsError(f"{method}: {answer['error']}")
        result: Message = answer.get("result", {})
        return result

    def wait_event(
        self,
        method: str,
        where: Callable[[Message], bool] = lambda params: True,
        *,
        timeout: float = 10,
    ) -> Message:
        """The ``params`` of the first event ``method`` (past or coming) matching ``where``."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for event in self.events:
                    if event["method"] == method and where(event["params"]):
                        params: Message = event["params"]
                        return params
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    raise DevToolsError(f"no {method} event within {timeout} s")
                self._lock.wait(left)

    def events_of(self, method: str, session: str | None = None) -> list[Message]:
        """The ``params`` of every event ``method`` so far (of one page when given)."""
        with self._lock:
            return [
                event["params"]
                for event in self.events
                if event["method"] == method
                and (session is None or event.get("sessionId") == session)
            ]

    def _stderr_tail(self) -> str:
        self._errors.seek(0)
        tail: bytes = self._errors.read()[-1500:]
        return tail.decode(errors="replace")

    # -- contexts and pages -------------------------------------------------------------------

    def new_context(self) -> str:
        """A new browser context: its own cookie jar and cache, like a fresh profile."""
        context: str = self.call("Target.createBrowserContext")["browserContextId"]
        return context

    def new_page(self, context: str) -> Page:
        """A blank tab in ``context`` with the Page, Runtime and Network domains enabled."""
        target = self.call("Target.createTarget", url="about:blank", browserContextId=context)
        session = self.call("Target.attachToTarget", targetId=target["targetId"], flatten=True)
        page = Page(self, session["sessionId"], context, target["targetId"])
        for domain in ("Page", "Runtime", "Network"):
            page.call(f"{domain}.enable")
        return page

    def close(self) -> None:
        """Ask Chromium to quit; kill it if it does not, then close the pipes and files."""
        try:
            if self.proc.poll() is None:
                self.call("Browser.close", timeout=5)
        except (DevToolsError, OSError):
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:  # pragma: no cover - a hung browser
            self.proc.kill()
            self.proc.wait(5)
        self._send.close()
        self._reader.join(5)
        self._recv.close()
        self._errors.close()


class Page:
    """One tab, attached in flat mode: commands and events carry its session id."""

    def __init__(self, browser: Browser, session: str, context: str, target: str) -> None:
        self.browser = browser
        self.session = session
        self.context = context
        #: the target id, also the id of the page's main frame
        self.target = target

    def call(self, method: str, *, timeout: float = 10, **params: Any) -> Message:
        return self.browser.call(method, self.session, timeout=timeout, **params)

    def navigate(self, url: str) -> None:
        """Start loading ``url`` (wait for the outcome with :meth:`wait_until`)."""
        answer = self.call("Page.navigate", url=url)
        if answer.get("errorText") and answer["errorText"] != "net::ERR_ABORTED":
            raise DevToolsError(f"navigate {url}: {answer['errorText']}")

    def evaluate(self, expression: str, *, timeout: float = 10) -> Any:
        """The value of a JavaScript expression in the page (promises are awaited)."""
        answer = self.call(
            "Runtime.evaluate",
            expression=expression,
            returnByValue=True,
            awaitPromise=True,
            timeout=timeout,
        )
        if "exceptionDetails" in answer:
            raise DevToolsError(f"{expression}: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def wait_until(self, expression: str, *, timeout: float = 10) -> None:
        """Poll a JavaScript condition until it is true (a navigation may be under way)."""
        deadline = time.monotonic() + timeout
        last = "never evaluated"
        while time.monotonic() < deadline:
            try:
                if self.evaluate(expression, timeout=2) is True:
                    return
                last = "false"
            except DevToolsError as error:  # the document went away mid-navigation
                last = str(error)
            time.sleep(0.05)
        url = self.evaluate("location.href")
        raise DevToolsError(f"still not true after {timeout} s at {url}: {expression} ({last})")

    def network(self, method: str) -> list[Message]:
        """This page's Network events ``method`` so far (their ``params``)."""
        return self.browser.events_of(method, self.session)
