"""Errors that the command line turns into exit status 2 (bad input) or 3 (no solution).

Every message names the file, the key or row, and what was expected, so that a user can fix the
input without reading a traceback.
"""

from __future__ import annotations


class SpmoptInputError(ValueError):
    """Bad input: a file, key or row that does not meet its contract (exit status 2).

    Parameters
    ----------
    message:
        What was expected, naming the key or row.
    source:
        The file (or other source) the problem is in; prefixed to the message when given.
    """

    exit_status = 2

    def __init__(self, message: str, source: str | None = None):
        self.source = source
        self.detail = message
        super().__init__(f"{source}: {message}" if source else message)

    def in_source(self, source: str) -> SpmoptInputError:
        """The same error attributed to ``source`` (kept if a source is already named)."""
        if self.source:
            return self
        return type(self)(self.detail, source)


class SpmoptNoSolutionError(RuntimeError):
    """An optimisation problem is infeasible or unbounded (exit status 3)."""

    exit_status = 3
