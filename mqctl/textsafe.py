"""Make text from untrusted specs safe to show on a terminal, in a CI log or a pull-request comment.

Spec files arrive in pull requests; any string in them (a name, a config value, a key) may end up in
`mqctl plan` output. A raw ESC byte there would let a spec recolour, hide or rewrite lines of the
plan on a reviewer's terminal (ANSI CSI/OSC sequences), a bidirectional override would make text read
differently from what it is ("Trojan Source"), and a newline would let a value forge whole plan lines.

`visible` replaces every such character by a visible escape (`\\x1b`, `\\u202e`, `\\n`) instead of
dropping it, so a reviewer sees that something odd is there. It is idempotent: the escapes it writes
are plain printable text.
"""

from __future__ import annotations

import re

# C0 controls (tab kept), DEL, C1 controls; line/paragraph separators; zero-width and bidi formatting
# characters (LRM/RLM, embeddings and overrides U+202A-U+202E, isolates U+2066-U+2069); BOM. Newline
# and carriage return are in the class too: one value must never start a new output line.
_FORMATTING = "\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff"
_UNSAFE = re.compile(f"[\x00-\x08\x0a-\x1f\x7f-\x9f{_FORMATTING}]")
# The same without \n and \r: characters no spec string may hold at all (see yamlsource).
FORBIDDEN_IN_SPECS = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_FORMATTING}]")
_NAMED = {"\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """`text` on one line with every control, bidi and invisible formatting character shown as an
    escape; ordinary text (any language, emoji, tabs) is unchanged."""
    if _UNSAFE.search(text) is None:  # the common case: one scan, no copy
        return text
    return _UNSAFE.sub(_escape, text)


def describe_forbidden(text: str) -> str | None:
    """Why `text` may not appear in a spec (the first forbidden character, named), or None."""
    match = FORBIDDEN_IN_SPECS.search(text)
    if match is None:
        return None
    return f"contains the control character {_escape(match)} at position {match.start() + 1}"
