"""The topic naming rule (`naming.pattern` in mqctl.yaml), matched in linear time with RE2.

Python's `re` backtracks: a pattern with nested quantifiers (`^(\\w+\\.?)+$`) takes exponential time
on a name built to miss it, and topic names come from pull requests. RE2 (google-re2, a wheel with
the C++ library inside) guarantees time linear in the name, and supports the named groups mqctl
reads (`env`, `domain`). It does not support backreferences or lookaround, which a naming rule does
not need; such a pattern is refused at config load with RE2's reason.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, Protocol


class NamingMatch(Protocol):
    def group(self, name: str | int, /) -> Any: ...


class NamingRule(Protocol):
    """What mqctl uses of a compiled naming rule (`re.Pattern` offers the same)."""

    @property
    def pattern(self) -> str: ...

    @property
    def groupindex(self) -> Any: ...

    def match(self, text: str) -> NamingMatch | None: ...


@cache
def compile_naming(pattern: str) -> NamingRule:
    """`pattern` as a rule RE2 matches; ValueError (with RE2's reason) if RE2 cannot compile it.
    mqctl's default rule is compiled on its first use only: `matches` answers ASCII names with `re`
    (`_trusted`), so a run of such names never loads RE2 (2.3 MiB of RSS and ~10 ms per run)."""
    return _RE2Rule(pattern, None if _trusted(pattern) is not None else _compile_re2(pattern))


def _compile_re2(pattern: str) -> Any:
    import re2

    options = re2.Options()
    options.log_errors = False  # RE2 would print parse errors to stderr itself; we report them
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise ValueError(
            f"not a regular expression mqctl can match in linear time (RE2): {reason} "
            "(RE2 has no backreferences or lookaround)"
        ) from None


class _RE2Rule:
    """A naming rule matched by RE2, compiled now or (mqctl's own default rule) on first use."""

    def __init__(self, pattern: str, compiled: Any = None) -> None:
        self.pattern = pattern
        self._compiled = compiled

    @property
    def compiled(self) -> Any:
        if self._compiled is None:
            self._compiled = _compile_re2(self.pattern)
        return self._compiled

    @property
    def groupindex(self) -> Any:
        return self.compiled.groupindex

    def match(self, text: str) -> NamingMatch | None:
        found: NamingMatch | None = self.compiled.match(text)
        return found


_TRUSTED_MAX = 249  # Kafka's longest topic name: the bound on `re`'s backtracking below


@cache
def _trusted(pattern: str) -> re.Pattern[str] | None:
    """The default naming rule compiled by `re` too: mqctl wrote it, so no name can be crafted to
    make it slow (its groups split at dots; at most quadratic in a name of at most 249 characters),
    and `re` answers in a microsecond where the RE2 wrapper's per-call mapping of offsets takes
    tens, a quarter of building 10,000 topics. Any other pattern is matched by RE2 only."""
    from mqctl.config import DEFAULT_NAMING_PATTERN

    return re.compile(pattern) if pattern == DEFAULT_NAMING_PATTERN else None


def matches(rule: NamingRule, name: str) -> bool:
    """Whether `rule` matches `name` (at its start, as `match` does). The default rule on a short
    ASCII name without a newline (where `re`'s `$` and RE2's agree) goes to `re`; an ASCII name
    goes to RE2 as bytes (its UTF-8 is itself: the same answer, without the offset mapping)."""
    if name.isascii():
        trusted = _trusted(rule.pattern)
        if trusted is not None and len(name) <= _TRUSTED_MAX and "\n" not in name:
            return trusted.match(name) is not None
        if isinstance(rule, _RE2Rule):
            return rule.compiled.match(name.encode("ascii")) is not None
    return rule.match(name) is not None
