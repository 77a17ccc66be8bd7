"""One redaction layer: every secret value this process knows is replaced by `***` in all output.

`mqctl plan` runs in CI holding cluster and registry credentials, and its output ends up in CI logs
and pull-request comments. Objects that hold secrets never show them (`config.Secret`'s repr and str
are `***`); this module is the backstop for the code path that gets it wrong: a library exception
that quotes its configuration, a debug print, a traceback.

- `register(value)`: every `Secret` registers its value when created (config.py), and so do the
  values of environment variables referenced from secret fields of mqctl.yaml; `install()` also
  registers environment variables whose names say they hold a secret (`*_PASSWORD`, `*_TOKEN`...:
  the users' SCRAM passwords, a CI token). Values shorter than `MIN_LENGTH` are not registered:
  redacting "dev" or "1" everywhere would make output unreadable, and such a value is no secret.
  Besides the value itself, the forms it takes in JSON, Python reprs and URLs are redacted.
- `install()` (at CLI entry) wraps `sys.stdout`/`sys.stderr` (rich consoles, print, click, logging's
  stream handlers and the default exception printing all write through them), redacts every log
  record when it is created (so handlers holding the original streams are covered too), and prints
  uncaught exceptions, in the main thread and in others, redacted. Most commands never load
  `logging` (`validate`: 4 ms of its start-up, measured), so when it is not loaded yet the record
  factory goes in the moment something first imports it (`_AfterImport`), before any record exists.

Not covered (docs/security.md): bytes written by C libraries straight to file descriptors 1 and 2
(librdkafka's own log lines), and a secret split across two separate writes.
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
import traceback
from collections.abc import Callable, Iterable
from importlib.machinery import ModuleSpec, PathFinder
from types import ModuleType, TracebackType
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus

if TYPE_CHECKING:
    import logging

MASK = "***"
MIN_LENGTH = 4  # shorter values are not redacted (see module doc)
MIN_GUESSED_LENGTH = 6  # for environment variables registered by name only
SECRET_VARIABLE = re.compile(r"(?i)(^|_)(PASSWORD|PASSWD|PASS|SECRET|TOKEN|API_?KEY|CREDENTIALS?|PRIVATE_KEY)$")

_lock = threading.Lock()
_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None
_bytes_pattern: re.Pattern[bytes] | None = None


def _forms(value: str) -> set[str]:
    """The value as it appears in text, in JSON strings, in Python reprs and in URLs."""
    forms = {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1], repr(value)[1:-1],
             quote(value, safe=""), quote_plus(value)}
    return {f for f in forms if len(f) >= MIN_LENGTH}


def register(value: str | None) -> None:
    """Redact `value` (and its escaped forms) from all output of this process from now on."""
    global _pattern, _bytes_pattern
    if not isinstance(value, str) or len(value) < MIN_LENGTH:
        return
    with _lock:
        new = _forms(value) - _secrets
        if new:
            _secrets.update(new)
            _pattern = _bytes_pattern = None  # rebuilt on next use


def register_environment(environ: Iterable[tuple[str, str]] | None = None) -> None:
    """Register values of environment variables whose names say they are secrets (FOO_PASSWORD...)."""
    for name, value in environ if environ is not None else os.environ.items():
        if SECRET_VARIABLE.search(name) and len(value) >= MIN_GUESSED_LENGTH:
            register(value)


def registered() -> int:
    """How many strings are redacted (the forms of every registered value)."""
    return len(_secrets)


def forget_all() -> None:
    """Forget every registered value (tests only: a real process never un-learns a secret)."""
    global _pattern, _bytes_pattern
    with _lock:
        _secrets.clear()
        _pattern = _bytes_pattern = None


def _compiled() -> re.Pattern[str] | None:
    global _pattern
    pattern = _pattern
    if pattern is None and _secrets:
        with _lock:
            # longest first: a secret that contains another is masked whole
            ordered = sorted(_secrets, key=lambda s: (-len(s), s))
            pattern = _pattern = re.compile("|".join(re.escape(s) for s in ordered))
    return pattern


def redact(text: str) -> str:
    """`text` with every registered secret replaced by `***`."""
    pattern = _compiled()
    if pattern is None or not text:
        return text
    return pattern.sub(MASK, text)


def redact_bytes(data: bytes) -> bytes:
    """`redact` for bytes written to a binary stream (UTF-8 forms of the secrets)."""
    global _bytes_pattern
    if not _secrets or not data:
        return data
    pattern = _bytes_pattern
    if pattern is None:
        with _lock:
            ordered = sorted(_secrets, key=lambda s: (-len(s), s))
            pattern = _bytes_pattern = re.compile(b"|".join(re.escape(s.encode("utf-8", "surrogatepass"))
                                                            for s in ordered))
    return pattern.sub(MASK.encode(), data)


class _RedactingBinary:
    """A binary stream (`sys.stdout.buffer`) whose writes are redacted."""

    def __init__(self, inner: IO[bytes]) -> None:
        self._inner = inner

    def write(self, data: bytes) -> int:
        self._inner.write(redact_bytes(bytes(data)))
        return len(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class RedactingStream:
    """A text stream whose writes are redacted; everything else is the wrapped stream's."""

    def __init__(self, inner: IO[str]) -> None:
        self._inner = inner

    @property
    def inner(self) -> IO[str]:
        return self._inner

    def write(self, text: str) -> int:
        self._inner.write(redact(text))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self._inner.flush()

    def isatty(self) -> bool:
        return bool(self._inner.isatty())

    @property
    def buffer(self) -> _RedactingBinary:
        return _RedactingBinary(self._inner.buffer)  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> Any:  # encoding, errors, fileno, closed, ...
        return getattr(self._inner, name)


def wrap(stream: IO[str]) -> IO[str]:
    """`stream` behind the redaction layer (itself if it already is)."""
    if isinstance(stream, RedactingStream):
        return stream
    return RedactingStream(stream)  # type: ignore[return-value]


def _redact_record(record: logging.LogRecord) -> logging.LogRecord:
    if not _secrets:
        return record
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: logging reports that itself later
        return record
    clean = redact(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and not record.exc_text:
        record.exc_text = redact(sys.modules["logging"].Formatter().formatException(record.exc_info))
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


def _print_exception(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    text = "".join(traceback.format_exception(kind, value, tb))
    stream = sys.stderr if sys.stderr is not None else sys.__stderr__
    if stream is not None:
        stream.write(redact(text))
        stream.flush()


def _thread_exception(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread is not None else "?"
    stream = sys.stderr if sys.stderr is not None else sys.__stderr__
    if stream is not None:
        stream.write(f"Exception in thread {name}:\n")
    _print_exception(args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback)


def _redact_log_records(module: ModuleType) -> Callable[[], None]:
    """Every log record redacted when it is made (`module` is `logging`); returns an undo."""
    make_record = module.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return _redact_record(make_record(*args, **kwargs))

    module.setLogRecordFactory(factory)
    return lambda: module.setLogRecordFactory(make_record)


class _AfterImport:
    """A meta path finder that runs `then(module)` right after module `name` is first executed,
    then leaves `sys.meta_path`. It finds the module as the standard path finder does."""

    def __init__(self, name: str, then: Callable[[ModuleType], None]) -> None:
        self.name = name
        self.then = then

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        if name != self.name:
            return None
        spec = PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        execute = spec.loader.exec_module

        def exec_module(module: ModuleType) -> None:
            execute(module)
            self.then(module)
            self.leave()

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]  # this spec's own loader
        return spec

    def leave(self) -> None:
        if self in sys.meta_path:
            sys.meta_path.remove(self)


def install() -> Callable[[], None]:
    """Put the whole process's output behind the redaction layer; returns an undo (for tests)."""
    saved = (sys.stdout, sys.stderr, sys.excepthook, threading.excepthook)
    if sys.stdout is not None:
        sys.stdout = wrap(sys.stdout)
    if sys.stderr is not None:
        sys.stderr = wrap(sys.stderr)
    undo_records: list[Callable[[], None]] = []

    def guard(logging: ModuleType) -> None:
        undo_records.append(_redact_log_records(logging))

    waiting = _AfterImport("logging", guard)
    if "logging" in sys.modules:
        guard(sys.modules["logging"])
    else:
        sys.meta_path.insert(0, waiting)
    sys.excepthook = _print_exception
    threading.excepthook = _thread_exception
    register_environment()

    def undo() -> None:
        sys.stdout, sys.stderr = saved[0], saved[1]
        waiting.leave()
        for undo_record in undo_records:
            undo_record()
        sys.excepthook, threading.excepthook = saved[2], saved[3]

    return undo
