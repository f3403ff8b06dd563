"""Free text in the log: names, teams and labels are single lines of ordinary characters.

One rule for every free-text field (broker and programme names, teams, policy and
indicator names): at most `MAX_TEXT_LENGTH` characters, encodable as UTF-8, and no control
characters, line or paragraph separators, so reports, CSV exports and log lines print
each on one line.
"""

from __future__ import annotations

import unicodedata

__all__ = ["MAX_TEXT_LENGTH", "has_control_characters", "text_problem"]

MAX_TEXT_LENGTH = 200
"""The longest name, team or label accepted, in characters."""

_REFUSED_CATEGORIES = frozenset({"Cc", "Zl", "Zp", "Cs"})
"""Control characters, line and paragraph separators (U+2028, U+2029), lone surrogates."""


def has_control_characters(text: str) -> bool:
    """Whether text holds a control character (a line break, tab, NUL and the like), a
    line or paragraph separator, or a lone surrogate."""
    return any(unicodedata.category(c) in _REFUSED_CATEGORIES for c in text)


def text_problem(value: object, what: str) -> str | None:
    """Why `value` is not acceptable free text for `what`, in words (None when it is).
    The words name the rule and the length, never the text itself."""
    if not isinstance(value, str) or not value.strip():
        return f"a {what} must be a non-empty string; got a {type(value).__name__}"
    if len(value) > MAX_TEXT_LENGTH:
        return f"a {what} is at most {MAX_TEXT_LENGTH} characters; got {len(value)}"
    if has_control_characters(value):
        return (
            f"a {what} cannot contain control characters (line breaks, tabs, line "
            "separators and the like) or lone surrogates"
        )
    return None
