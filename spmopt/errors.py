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


def toml_error_message(error: Exception, text: str) -> str:
    r"""A TOML syntax error as one message: the line, the key, the line's text and a fix.

    ``error`` is a :class:`tomllib.TOMLDecodeError` of parsing ``text``. Common slips get a
    suggestion: a percentage (``50%`` → ``0.5``), a currency sign (``$100`` → ``100``), a
    thousands separator (``1,000`` → ``1000`` or ``1_000``) or unquoted text (``"hello"``).

    >>> import tomllib
    >>> text = "a = 1\nthreshold = 50%"
    >>> try:
    ...     tomllib.loads(text)
    ... except tomllib.TOMLDecodeError as error:
    ...     print(toml_error_message(error, text))  # doctest: +ELLIPSIS
    not valid TOML at line 2, key 'threshold' (`threshold = 50%`): write 0.5 — ratios are ...
    """
    import re

    reason = str(error)
    found = re.search(r"at line (\d+), column (\d+)", reason)
    if not found:
        return f"not valid TOML: {reason}"
    number = int(found.group(1))
    lines = text.splitlines()
    line = lines[number - 1].strip() if 0 < number <= len(lines) else ""
    key, hint = _toml_hint(line)
    where = f"line {number}" + (f", key '{key}'" if key else "") + (f" (`{line}`)" if line else "")
    return f"not valid TOML at {where}: {hint or 'check the syntax'} (parser: {reason})"


_NUMBER = r"[-+]?\d[\d_]*(?:\.\d+)?"


def _toml_hint(line: str) -> tuple[str | None, str | None]:
    """The key a TOML line that did not parse is about, and a suggested fix (or None)."""
    import re

    if match := re.search(rf"([\w\-]+)\s*=\s*({_NUMBER})\s*%", line):
        ratio = float(match.group(2).replace("_", "")) / 100
        return match.group(1), f"write {ratio:g} — ratios are decimals, not percentages"
    if match := re.search(r"([\w\-]+)\s*=\s*(?:[$€£¥]\s*([\d,_.]+)|([\d,_.]+)\s*[$€£¥])", line):
        amount = (match.group(2) or match.group(3)).replace(",", "_")
        return match.group(1), (
            f"write {amount} — amounts are plain numbers (the currency is a separate key)"
        )
    key, equals, value = line.partition("=")
    key, value = key.strip(), value.split("#")[0].strip()
    if not equals:
        if line.startswith("[") and not line.endswith("]"):
            return None, "close the table header with ']'"
        return None, None
    if re.fullmatch(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?", value):
        return (
            key,
            f"write {value.replace(',', '')} or {value.replace(',', '_')} — no commas in numbers",
        )
    if re.fullmatch(r"[A-Za-z][\w\-. ]*", value) and value not in ("true", "false"):
        return key, f'quote text: write {key} = "{value}"'
    return key, None
