"""Where an allocation was made: the first caller frame outside ``pymodel``."""

from __future__ import annotations

import os
import sys

__all__ = ["caller_site"]

_PKG_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
#: co_filename -> how it is shown, or None for frames to skip (this package, contextlib).
_SHOWN: dict[str, str | None] = {}


def _display(filename: str) -> str | None:
    """``filename`` relative to the working directory, or None for a skipped frame."""
    if filename in _SHOWN:
        return _SHOWN[filename]
    full = os.path.abspath(filename)
    shown: str | None
    if full.startswith(_PKG_DIR) or os.path.basename(full) == "contextlib.py":
        shown = None
    else:
        try:
            rel = os.path.relpath(full)
        except ValueError:
            rel = full
        shown = full if rel.startswith("..") else rel
    _SHOWN[filename] = shown
    return shown


def caller_site() -> str:
    """``file:line`` of the nearest caller outside this package (``"?"`` if none)."""
    frame = sys._getframe(1)
    while frame is not None:
        shown = _display(frame.f_code.co_filename)
        if shown is not None:
            return f"{shown}:{frame.f_lineno}"
        frame = frame.f_back  # type: ignore[assignment]
    return "?"
