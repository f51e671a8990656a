"""Exit codes: one table for every command (README "Exit codes").

Each error class carries its code (`AssetpubError.exit_status`); the CLI maps an error
to a code in one place, `cli._Commands.invoke`."""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0
    FAILED = 1  # the job failed: a build error, a publish the target refused, an audit check
    USAGE = 2  # a usage or configuration mistake, wherever it is detected
    LOCKED = 75  # another publish holds the target's lock: try again later (EX_TEMPFAIL)
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)
