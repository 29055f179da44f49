"""The inbox: files copied into a folder while the dashboard runs are loaded by it, like an upload.

A monthly script (or a clerk) copies an export into the inbox (`db.inbox_folder`: `inbox/` beside
the database, `$CCHC_INBOX` overrides). The server's watcher loads each file through
`ingest.ingest_file` on the server's shared database, under the same write lock as the upload
page, so the result is in the upload history. A loaded file moves to `done/`, a refused one to
`refused/` with the Vietnamese reason beside it (`<name>.loi.txt`). When the database itself
cannot take the file (busy, full disk, read-only), the file stays in the inbox and is tried again
later.

A file is taken once its size and modification time stayed the same from one look to the next
(a copy still under way is left alone); names starting with "." or "~$" and names ending in
.part or .tmp are never taken: write under such a name, then rename.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from .db import SharedDatabase
from .errors import CchcError, DatabaseBusyError, StorageError
from .ingest import ingest_file
from .ingest.boundary import UNEXPECTED_VI
from .ingest.safety import check_file_size

LOG = logging.getLogger("cchc_metrics.inbox")
DONE, REFUSED = "done", "refused"
REASON_SUFFIX = ".loi.txt"
POLL_SECONDS = 2.0
RETRY_SECONDS = 60.0        # after the database could not take a file (busy, disk full)
_SKIPPED_PREFIXES = (".", "~$")
_SKIPPED_SUFFIXES = (".part", ".tmp")


@dataclass
class InboxOutcome:
    file_name: str
    status: str             # "loaded" | "already_loaded" | "refused" | "waiting"
    message_vi: str


def _takeable(path: Path) -> bool:
    name = path.name
    return (path.is_file() and not name.startswith(_SKIPPED_PREFIXES)
            and not name.lower().endswith(_SKIPPED_SUFFIXES))


def _free_name(folder: Path, name: str) -> Path:
    """folder/name, or with the time added when a file of that name is already there."""
    target = folder / name
    if target.exists():
        stem, dot, suffix = name.rpartition(".")
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        target = folder / (f"{stem}_{stamp}.{suffix}" if dot else f"{name}_{stamp}")
    return target


class InboxWatcher:
    """Looks into the inbox every `poll_seconds` on a daemon thread (`start` / `stop`); `poll` is
    one look, usable without the thread."""

    def __init__(self, database: SharedDatabase, folder: Path, *, poll_seconds: float = POLL_SECONDS):
        self.database = database
        self.folder = Path(folder)
        self.poll_seconds = poll_seconds
        self._seen: dict[str, tuple[int, int]] = {}       # name -> (size, mtime) at the last look
        self._retry_at: dict[str, float] = {}
        self._folder_problem: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def poll(self, now: float | None = None) -> list[InboxOutcome]:
        """Load every file that has not changed since the previous look."""
        now = dt.datetime.now().timestamp() if now is None else now
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            paths = sorted(p for p in self.folder.iterdir() if _takeable(p))
        except OSError as exc:
            if str(exc) != self._folder_problem:     # said once, not every few seconds
                LOG.warning("Inbox %s cannot be read: %s", self.folder, exc)
                self._folder_problem = str(exc)
            return []
        self._folder_problem = None
        outcomes, seen = [], {}
        for path in paths:
            try:
                stat = path.stat()
            except OSError:         # moved away meanwhile
                continue
            seen[path.name] = (stat.st_size, stat.st_mtime_ns)
            if self._seen.get(path.name) != seen[path.name] or self._retry_at.get(path.name, 0) > now:
                continue
            outcome = self._load(path)
            if outcome.status == "waiting":
                self._retry_at[path.name] = now + RETRY_SECONDS
            else:
                self._retry_at.pop(path.name, None)
            outcomes.append(outcome)
        self._seen = seen
        return outcomes

    def _load(self, path: Path) -> InboxOutcome:
        try:
            check_file_size(path.stat().st_size, path.name)   # a huge file is never read into memory
            data = path.read_bytes()
            with self.database.use() as con:
                result = ingest_file(con, data, path.name)
        except (DatabaseBusyError, StorageError, OSError) as err:   # not the file's fault (a copy
            # still holding it, the database busy or full): try again later
            LOG.warning("Inbox file %s waits: %s", path.name, err)
            return InboxOutcome(path.name, "waiting", str(err))
        except CchcError as err:
            return self._refuse(path, str(err))
        except Exception:       # a bug of ours: the file is put aside, the watcher goes on
            LOG.exception("Inbox file %s could not be loaded", path.name)
            return self._refuse(path, f"Tệp «{path.name}»: {UNEXPECTED_VI}")
        self._move(path, DONE)
        LOG.info("Inbox file %s: %s", path.name, result.message_vi)
        return InboxOutcome(path.name, result.status, result.message_vi)

    def _refuse(self, path: Path, message_vi: str) -> InboxOutcome:
        target = self._move(path, REFUSED)
        if target is not None:
            target.with_name(target.name + REASON_SUFFIX).write_text(message_vi + "\n", encoding="utf-8")
        LOG.info("Inbox file %s refused: %s", path.name, message_vi)
        return InboxOutcome(path.name, "refused", message_vi)

    def _move(self, path: Path, subfolder: str) -> Path | None:
        folder = self.folder / subfolder
        try:
            folder.mkdir(exist_ok=True)
            return path.rename(_free_name(folder, path.name))
        except OSError as exc:
            LOG.warning("Inbox file %s could not be moved to %s: %s", path.name, folder, exc)
            return None

    def start(self) -> InboxWatcher:
        self._thread = threading.Thread(target=self._run, name="cchc-inbox", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            try:
                self.poll()
            except Exception:       # never let one bad look end the watching
                LOG.exception("Inbox look failed")
