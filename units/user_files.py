"""The one guard for every file a user names: catalogues, specs, ``--from`` workbooks.

A path a user names may hold anything: a FIFO (whose plain ``open()`` blocks until a
writer appears, forever), a device (``/dev/zero`` never ends), a socket or a folder. So
every such file is opened here, with ``O_NONBLOCK`` (a FIFO's open returns at once),
checked with ``fstat`` on the open descriptor (no race between the check and the read)
and refused unless it is a regular file within the caller's size limit. Only then is a
byte read, and never more than the limit plus one.

Bottom layer (``units``) so that the formulas (user catalogues) and the workbooks
(specs, sent workbooks) share it.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from .errors import UserFileError

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)

#: What a non-regular file is, as a message says it.
_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"))


def _kind(mode: int) -> str:
    kind = next((text for test, text in _KINDS if test(mode)), "")
    return f"it is not a regular file: it is {kind}" if kind else "it is not a regular file"


def _open_failure(source: Path, error: OSError) -> str:
    if isinstance(error, FileNotFoundError):
        return "cannot read it: it does not exist"
    try:
        mode = os.stat(source).st_mode
    except OSError:
        mode = stat.S_IFREG
    return _kind(mode) if not stat.S_ISREG(mode) else f"cannot read it: {error.strerror or error}"


@contextlib.contextmanager
def open_user_file(path: str | os.PathLike[str], argument: str, expected: str, max_bytes: int) -> Iterator[IO[bytes]]:
    """Open a file a user named for binary reading, if it is a regular file of at most ``max_bytes``.

    Parameters
    ----------
    path : str or path-like
        The path as the user gave it.
    argument : str
        How the user named it, for messages (``"--catalogue"``, ``"--from"``).
    expected : str
        What the file should be (``"a .toml catalogue file"``).
    max_bytes : int
        The largest size accepted.

    Raises
    ------
    UserFileError
        Not a path, missing, unreadable, a folder, FIFO, socket or device, or too large.
        Opening never blocks (``O_NONBLOCK``), so a FIFO is refused at once.

    Examples
    --------
    >>> import os, tempfile
    >>> fifo = os.path.join(tempfile.mkdtemp(), "pipe.toml")
    >>> os.mkfifo(fifo)
    >>> with open_user_file(fifo, "--catalogue", "a catalogue file", 1000) as handle:  # doctest: +ELLIPSIS
    ...     pass
    Traceback (most recent call last):
    ...
    flopsheet.units.errors.UserFileError: --catalogue: expected a catalogue file, got ".../pipe.toml"; it is not a regular file: it is a FIFO (named pipe)
    """
    if not isinstance(path, (str, os.PathLike)) or not str(os.fspath(path)).strip():
        shown = path if isinstance(path, str) else repr(path)[:80]
        raise UserFileError(argument, shown, expected, "a file path is needed")
    source = Path(path)
    try:
        descriptor = os.open(source, os.O_RDONLY | _CLOEXEC | _NONBLOCK)
    except OSError as error:  # a socket cannot be opened at all (ENXIO): say what it is
        raise UserFileError(argument, str(source), expected, _open_failure(source, error)) from None
    except (ValueError, TypeError) as error:  # an embedded NUL byte
        raise UserFileError(argument, repr(str(source))[:200], expected, f"not a usable path: {error}") from None
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise UserFileError(argument, str(source), expected, _kind(status.st_mode))
        if status.st_size > max_bytes:
            raise UserFileError(argument, str(source), expected,
                                f"it has {status.st_size:,} bytes; at most {max_bytes:,} bytes are read")
        if _NONBLOCK:
            os.set_blocking(descriptor, True)
    except BaseException:
        os.close(descriptor)
        raise
    with os.fdopen(descriptor, "rb") as handle:
        yield handle


def read_user_file(path: str | os.PathLike[str], argument: str, expected: str, max_bytes: int) -> bytes:
    """The bytes of a file a user named, through :func:`open_user_file` (never more than ``max_bytes``).

    A file that grows past the limit between the check and the read is refused too.
    """
    with open_user_file(path, argument, expected, max_bytes) as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UserFileError(argument, str(path), expected, f"it has more than {max_bytes:,} bytes")
    return data


def user_text(data: bytes, argument: str, path: str | os.PathLike[str], expected: str) -> str:
    """Decode a user file's bytes as UTF-8, a leading byte-order mark (as Windows Notepad writes) dropped."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UserFileError(argument, str(path), expected, f"not UTF-8 text: {error.reason} at byte {error.start}") from None
