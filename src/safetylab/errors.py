"""Errors a user can fix. The CLI prints them as one line and exits with code 2."""

from __future__ import annotations


class SafetylabError(Exception):
    """A problem with the user's input (file, option, model, run directory).

    The message is one line that names the thing to fix.
    """

    exit_code = 2
