"""Writing files a colleague will open: atomically, to regular files only, with user text kept inert.

* :func:`atomic_write` stages the new file without a name, lets a writer fill it and
  gives it the final name in one step, so a failed or killed run never leaves a partial
  file at the final name, and an existing report stays intact until the new one is whole.
* :func:`inert_text`, :func:`one_line`, :func:`visible_text` and :func:`set_text_cell`
  keep user text (labels, notes, units from a spec) from becoming a formula in a
  spreadsheet, an extra line in CSV or Markdown, or an escape code on a terminal.

How a file is staged (the choice, and what remains possible)
--------------------------------------------------------------
On Linux the new file is opened with ``O_TMPFILE`` in the target's folder: an inode
with no name, freed by the kernel if the process dies, however it dies (SIGKILL
included). The writer fills it through ``/proc/<pid>/fd/<n>`` (writers such as openpyxl
and pandas want a path). Then:

* a new target is created by ``linkat`` straight from the unnamed inode: atomic, and
  nothing else ever has a name;
* an existing target is replaced by ``linkat`` to a hidden name (``.<name>.<random>.part``)
  and ``rename`` over the target. SIGINT, SIGTERM and SIGHUP are blocked for those two
  system calls; only SIGKILL (or a power cut) in the microseconds between them can leave the
  hidden file behind. Linux has no system call that replaces a name by an unnamed inode.

Where ``O_TMPFILE`` is missing (another OS, NFS, old kernels, no ``/proc``), the file is
staged under the hidden name from the start and removed on any exception, SIGINT
included; only SIGKILL during the write can then leave it (on Windows, which has no
``dir_fd``, by full paths). Two processes writing the same
path each stage their own file, so the target ends up as one whole file, the last one
renamed. New files get the permissions of any file the user creates (``0666 & ~umask``);
a replaced file keeps its mode (and, where allowed, its owner and group).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import secrets
import signal
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...units import OutputError

if TYPE_CHECKING:  # openpyxl is imported only by the commands that write xlsx
    from openpyxl.cell.cell import Cell

#: First characters that make a spreadsheet treat text as a formula (OWASP CSV injection).
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r", "\n")
#: Every line boundary of :meth:`str.splitlines` (CR LF, VT, FF, FS, GS, RS, NEL, LS, PS).
LINE_BREAK = re.compile(r"\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
#: Characters that must not reach a terminal or a plain-text report: C0 controls, DEL, C1
#: controls (CSI is U+009B) and the bidirectional overrides and isolates ("Trojan Source").
INVISIBLE_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
#: Characters an xlsx cell cannot hold (XML 1.0 forbids them; openpyxl's ILLEGAL_CHARACTERS_RE).
XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: Permission bits a new file asks for; the kernel takes the umask off (as for any file).
NEW_FILE_MODE = 0o666
#: Permission bits carried over from a replaced file (no set-id or sticky bits).
KEPT_MODE_BITS = 0o777
#: Signals held back while a staged file is being named (SIGKILL cannot be; Windows has no SIGHUP).
_HELD_SIGNALS = frozenset(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))
#: Whether names can be resolved in an open folder (Linux, macOS; not Windows).
_DIR_FD = hasattr(os, "O_DIRECTORY") and {os.open, os.link, os.unlink} <= os.supports_dir_fd
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
#: Errors meaning "this file system or kernel has no O_TMPFILE" (see open(2)).
_NO_TMPFILE = frozenset({errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOENT})

Writer = Callable[[Path], None]


def atomic_write(path: str | os.PathLike[str], write: Writer, *, argument: str = "-o",
                 create_folder: bool = False) -> Path:
    """Call ``write(staged_path)`` and give the result the name ``path`` only on success.

    Parameters
    ----------
    path : path-like
        Final destination: a regular file (replaced) or a new name in an existing folder.
    write : callable
        Writes the complete file to the path it is given (which is not ``path`` and may
        have no suffix).
    argument : str, default "-o"
        The option that named ``path``, for error messages.
    create_folder : bool, default False
        Create the destination's folder (and its parents) if missing.

    Returns
    -------
    Path
        The destination.

    Raises
    ------
    OutputError
        The folder is missing or not writable, the target is a folder, a FIFO, a device,
        a socket, a symbolic link or read-only, or the system refused the write (disk
        full, name too long). The message names ``path`` and the reason.
    """
    destination = Path(path)
    if create_folder:
        _create_folder(destination, argument)
    existing = check_target(destination, argument)
    with _refusals(destination, argument), _staged(destination, argument) as stage:
        write(stage.path)
        stage.finish(existing)
        stage.commit()
    return destination


def _create_folder(destination: Path, argument: str) -> None:
    """Create the destination's folder; a file in the way is left to :func:`check_target` to name."""
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        pass
    except OSError as error:
        raise OutputError(argument, destination, f'cannot create the folder "{destination.parent}": '
                                                 f"{_reason(error)}") from None


def check_target(destination: Path, argument: str = "-o") -> os.stat_result | None:
    """Refuse a target that is not a new name or a writable regular file; return its status.

    Raises
    ------
    OutputError
        Naming the path and why it cannot be written.
    """
    folder = destination.parent
    if not folder.exists():
        raise OutputError(argument, destination, f'the folder "{folder}" does not exist')
    if not folder.is_dir():
        raise OutputError(argument, destination, f'"{folder}" is not a folder')
    try:
        status = os.lstat(destination)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise OutputError(argument, destination, _reason(error)) from None
    kind = _non_regular_kind(status.st_mode)
    if kind:
        raise OutputError(argument, destination, f"it is {kind}; expected a regular file or a new name")
    if not status.st_mode & 0o222 or not os.access(destination, os.W_OK):
        raise OutputError(argument, destination, "the file is read-only; make it writable or choose another name")
    return status


def _non_regular_kind(mode: int) -> str:
    """What a non-regular file is, in words ("" for a regular file)."""
    kinds = [(stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISLNK, "a symbolic link")]
    return next((text for test, text in kinds if test(mode)), "" if stat.S_ISREG(mode) else "not a regular file")


def _reason(error: OSError) -> str:
    """The system's reason in words, without file names (ours are temporary)."""
    if error.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return error.strerror or type(error).__name__


@contextlib.contextmanager
def _refusals(destination: Path, argument: str) -> Iterator[None]:
    """Turn an operating-system refusal while writing ``destination`` into an OutputError.

    Errors about another file (a template the writer reads) pass through unchanged.
    """
    try:
        yield
    except OSError as error:
        if error.filename is not None and not _is_ours(str(error.filename), destination):
            raise
        raise OutputError(argument, destination, _reason(error)) from None


def _is_ours(name: str, destination: Path) -> bool:
    """True for the destination, its folder and the staged names (hidden or /proc)."""
    return (name in (str(destination), str(destination.parent)) or name.startswith(f"/proc/{os.getpid()}/fd/")
            or Path(name).name.startswith(f".{destination.name}.") or name.startswith(f".{destination.name}."))


class _Stage:
    """A file being written for ``destination``: its path for the writer and how to name it.

    Names are resolved in the open folder ``folder_fd`` where the system allows it
    (Linux, macOS), so a folder renamed meanwhile cannot redirect the write; elsewhere
    (Windows) ``folder_fd`` is None and full paths are used.
    """

    def __init__(self, destination: Path, folder_fd: int | None, file_fd: int, hidden_name: str | None) -> None:
        self.destination, self.folder_fd = destination, folder_fd
        #: The open staged file until it is closed (before a rename on systems that need it).
        self.file_fd: int | None = file_fd
        #: The hidden name while it exists (named staging, or between link and rename).
        self.hidden_name = hidden_name
        self._unnamed_path = Path(f"/proc/{os.getpid()}/fd/{file_fd}")

    @property
    def path(self) -> Path:
        if self.hidden_name is not None:
            return self.destination.parent / self.hidden_name
        return self._unnamed_path

    def finish(self, existing: os.stat_result | None) -> None:
        """Carry over the mode (and owner) of the file being replaced; flush to disk."""
        assert self.file_fd is not None
        if existing is not None and hasattr(os, "fchown"):  # POSIX: keep owner and group where allowed
            with contextlib.suppress(PermissionError):
                if (existing.st_uid, existing.st_gid) != (os.geteuid(), os.getegid()):
                    os.fchown(self.file_fd, existing.st_uid, existing.st_gid)
        if existing is not None and hasattr(os, "fchmod"):
            os.fchmod(self.file_fd, stat.S_IMODE(existing.st_mode) & KEPT_MODE_BITS)
        os.fsync(self.file_fd)
        if self.hidden_name is not None:  # a named file can be renamed closed (Windows needs it closed)
            os.close(self.file_fd)
            self.file_fd = None

    def commit(self) -> None:
        """Give the staged file the destination's name, atomically."""
        name = self.destination.name
        with _signals_held():
            if self.hidden_name is None:
                source = str(self._unnamed_path)
                try:  # a new name: link the unnamed inode straight to it
                    os.link(source, name, dst_dir_fd=self.folder_fd, follow_symlinks=True)
                    return
                except FileExistsError:
                    pass
                hidden = _hidden_name(self.destination)
                os.link(source, hidden, dst_dir_fd=self.folder_fd, follow_symlinks=True)
                self.hidden_name = hidden
            os.replace(self._at(self.hidden_name), self._at(name), **self._dir_fds("src_dir_fd", "dst_dir_fd"))
            self.hidden_name = None

    def discard(self) -> None:
        """Close the file; remove its hidden name if it still has one."""
        with _signals_held():
            if self.hidden_name is not None:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self._at(self.hidden_name), **self._dir_fds("dir_fd"))
                self.hidden_name = None
            for descriptor in (self.file_fd, self.folder_fd):
                if descriptor is not None:
                    os.close(descriptor)
            self.file_fd = self.folder_fd = None

    def _at(self, name: str) -> str:
        """``name`` relative to the open folder, or as a full path where there is none."""
        return name if self.folder_fd is not None else str(self.destination.parent / name)

    def _dir_fds(self, *keywords: str) -> dict[str, int]:
        return {keyword: self.folder_fd for keyword in keywords} if self.folder_fd is not None else {}


@contextlib.contextmanager
def _staged(destination: Path, argument: str) -> Iterator[_Stage]:
    """Stage a new file in the destination's folder; discard whatever is left at exit."""
    try:
        folder_fd = os.open(destination.parent, os.O_RDONLY | os.O_DIRECTORY | _CLOEXEC) if _DIR_FD else None
    except OSError as error:
        raise OutputError(argument, destination, _reason(error)) from None
    try:
        stage = _unnamed_stage(destination, folder_fd) or _named_stage(destination, folder_fd)
    except OSError as error:
        if folder_fd is not None:
            os.close(folder_fd)
        if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            reason = f'permission denied: cannot create files in the folder "{destination.parent}"'
            if error.errno == errno.EROFS:
                reason = f'the folder "{destination.parent}" is on a read-only file system'
            raise OutputError(argument, destination, reason) from None
        raise
    try:
        yield stage
    finally:
        stage.discard()


def _unnamed_stage(destination: Path, folder_fd: int | None) -> _Stage | None:
    """An O_TMPFILE stage, or None where the system has none (then a named stage is used)."""
    tmpfile = getattr(os, "O_TMPFILE", None)
    if tmpfile is None or folder_fd is None or not Path(f"/proc/{os.getpid()}/fd").is_dir():
        return None
    try:
        file_fd = os.open(destination.parent, tmpfile | os.O_RDWR | _CLOEXEC, NEW_FILE_MODE)
    except OSError as error:
        if error.errno in _NO_TMPFILE:
            return None
        raise
    return _Stage(destination, folder_fd, file_fd, None)


def _named_stage(destination: Path, folder_fd: int | None) -> _Stage:
    """A stage under a hidden name beside the destination (the fallback)."""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | _CLOEXEC | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    while True:
        hidden = _hidden_name(destination)
        name = hidden if folder_fd is not None else str(destination.parent / hidden)
        with _signals_held():
            try:
                file_fd = os.open(name, flags, NEW_FILE_MODE, **({"dir_fd": folder_fd} if folder_fd is not None else {}))
            except FileExistsError:
                continue
            return _Stage(destination, folder_fd, file_fd, hidden)


def _hidden_name(destination: Path) -> str:
    """A fresh hidden name beside the destination; keeps its suffix (some writers check it)."""
    return f".{destination.name}.{secrets.token_hex(6)}.part{destination.suffix}"


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT/SIGTERM/SIGHUP back for a few system calls (main thread or not)."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def strict_json(document: Any) -> str:
    """``document`` as indented UTF-8 JSON; NaN or infinity (``Infinity`` is not JSON) is an OutputError.

    Every JSON flopsheet writes or prints goes through here (``allow_nan=False``): the
    formulas refuse non-finite results, so this is the last line that keeps one out.
    """
    try:
        return json.dumps(document, ensure_ascii=False, indent=2, allow_nan=False)
    except ValueError:
        raise OutputError("--format json", "the JSON document", "strict JSON: a number is infinite or NaN, "
                          "which JSON cannot hold") from None


def one_line(text: str) -> str:
    """Return ``text`` with every line break (CR, LF, CR LF, U+2028 ...) replaced by a space."""
    return LINE_BREAK.sub(" ", text)


#: What a printed path escapes: the invisible controls and the Unicode line separators.
_PATH_UNSAFE = re.compile(f"{INVISIBLE_CONTROL.pattern}|[\u2028\u2029]")


def visible_path(path: str | os.PathLike[str]) -> str:
    """A path for the terminal: every control character, line breaks included, as an escape (``\\x1b``, ``\\x0a``).

    Unlike :func:`visible_text`, a line break is not turned into a space: the name printed
    must say which file was written.

    Examples
    --------
    >>> visible_path("out\\x1b[31m\\n.json")
    'out\\\\x1b[31m\\\\x0a.json'
    """
    return _PATH_UNSAFE.sub(_escape, os.fspath(path))


def visible_text(text: str) -> str:
    """Return ``text`` on one line with control characters shown as escapes (``\\x1b``).

    For terminals and plain-text reports: no line break, ANSI escape sequence, C1
    control or bidirectional override of a label reaches the reader's screen.

    Examples
    --------
    >>> visible_text("cards\\x1b[31m red\\r\\n=1")
    'cards\\\\x1b[31m red =1'
    """
    return INVISIBLE_CONTROL.sub(_escape, one_line(text))


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def inert_text(text: str) -> str:
    """Return ``text`` with ``'`` before every line that starts like a formula.

    Spreadsheets run cells that start with ``=``, ``+``, ``-``, ``@``, tab or CR; a
    multi-line text gets the prefix on each such line, in case something splits it.

    Examples
    --------
    >>> inert_text("=1+1")
    "'=1+1"
    >>> inert_text("label\\r=cmd")
    "label\\r'=cmd"
    """
    lines = LINE_BREAK.split(text)
    breaks = LINE_BREAK.findall(text)
    inert = [f"'{line}" if line.startswith(FORMULA_TRIGGERS) else line for line in lines]
    if text.startswith(FORMULA_TRIGGERS) and not inert[0].startswith("'"):
        inert[0] = f"'{inert[0]}"  # text that starts with a line break
    return "".join(line + separator for line, separator in zip(inert, breaks + [""]))


def set_text_cell(cell: Cell, value: Any) -> Cell:
    """Store ``value`` in an openpyxl cell; text is always stored as text, never as a formula.

    Characters an xlsx cannot hold (C0 controls other than tab, LF, CR) are shown as
    escapes (``\\x1b``) instead of failing the whole workbook.
    """
    if isinstance(value, str):
        value = XLSX_ILLEGAL.sub(_escape, value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    return cell
