"""``python -m gateway COMMAND``: one module per command (``add_parser`` and ``run``), wired in ``main``."""

from enum import IntEnum


class ExitCode(IntEnum):
    """Every command's exit status."""

    OK = 0
    FINDINGS = 1
    """The command ran and found what it reports as failure: ``docs --check`` out-of-date docs, ``lint``
    warnings whose rule the stack marks as an error."""
    INVALID = 2
    """The spec, the stack config, the command line, a request or a git revision is wrong (one line per
    problem on stderr)."""
