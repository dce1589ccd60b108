"""``python -m tests.faults.crashpoint ARGS``: ``secassist ARGS`` with a crash point.

The crash tests kill the CLI with SIGKILL at a point they choose, deterministically: this
wrapper installs SQLAlchemy event listeners that, when the process reaches the point named
by ``FAULT_POINT``, write the process id to the file ``FAULT_MARK`` and block. The test waits
for that file and kills the process. Nothing here is in the product: the CLI runs unchanged.

Points:

- ``write:N`` -- after N INSERT/UPDATE/DELETE statements were executed, before the next one
  (a load or a posting half written inside its transaction; PostgreSQL batches inserts, so
  the same work takes fewer statements there);
- ``commit`` -- every statement executed, at the database commit, before it is sent;
- ``after-commit`` -- just after the transaction committed (the command's output unwritten).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session


def _halt(mark: str) -> None:
    Path(mark).write_text(str(os.getpid()), encoding="utf-8")
    time.sleep(600)
    os._exit(99)  # the test kills the process long before; a survivor must not pass for success


def install(point: str, mark: str) -> None:
    kind, _, n = point.partition(":")
    if kind == "write":
        limit = int(n)
        seen = 0

        def before_execute(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
            nonlocal seen
            if statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
                if seen >= limit:
                    _halt(mark)
                seen += 1

        event.listen(Engine, "before_cursor_execute", before_execute)
    elif kind == "commit":
        event.listen(Engine, "commit", lambda conn: _halt(mark))
    elif kind == "after-commit":
        event.listen(Session, "after_commit", lambda session: _halt(mark))
    else:
        raise SystemExit(f"unknown FAULT_POINT {point!r}")


if __name__ == "__main__":
    install(os.environ["FAULT_POINT"], os.environ["FAULT_MARK"])
    from secassist.cli.main import main

    sys.argv = ["secassist", *sys.argv[1:]]
    main()
