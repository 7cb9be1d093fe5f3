"""Text from the web made safe to print: control characters shown as escapes, never sent to the terminal.

A scraped question can carry ANSI/OSC escape sequences (clear the screen, set the window title, rewrite
what was printed before it), bidirectional overrides that reorder what a line shows, or a newline in a
file name that forges a progress line. Everything qbank prints from stored or fetched text goes through
`safe()`.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, line/paragraph separators, bidi embeddings, overrides and isolates.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# What json.dumps leaves raw inside strings (it escapes C0 itself; raw newlines in its output are layout).
_JSON_RAW = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def safe(text: str, keep: str = "") -> str:
    """`text` with control characters written as escapes (ESC -> `\\x1b`, newline -> `\\n`), except those in `keep`.

    Example: safe("a\\x1b]0;pwned\\x07b") == "a\\\\x1b]0;pwned\\\\x07b"
    """
    if not _CONTROL.search(text):
        return text
    if keep:
        return _CONTROL.sub(lambda m: m.group() if m.group() in keep else _escape(m), text)
    return _CONTROL.sub(_escape, text)


def json_safe(text: str) -> str:
    """Serialised JSON with the controls json.dumps leaves raw (DEL, C1, bidi) as `\\uXXXX` escapes: same data."""
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
