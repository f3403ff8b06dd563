"""Names, teams and policy names are single lines of text: the one check for that."""

from __future__ import annotations

__all__ = ["has_control_characters"]


def has_control_characters(text: str) -> bool:
    """Whether text holds a control character (a line break, tab, NUL and the like): names
    and teams are single lines of text, and reports and exports print them as such."""
    return any(ord(c) < 32 or 127 <= ord(c) < 160 for c in text)
