"""Writing reports so that a killed or failed run leaves the old report or none, never half of one,
never replaces a file the tool reads, and never replaces a device, a FIFO or a link to one.

A regular file is written beside its target and renamed over it (through a symbolic link, over the
file the link names, so the link stays a link). A FIFO, a device, a socket, or anything named under
/dev or /proc (/dev/stdout, /proc/self/fd/1) is opened and written, as a shell's `>` would."""
from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Iterable

from .resources import read_locations

STDOUT = "-"

# A directory report holds this file; only such a directory (or an empty one) is replaced by the next.
REPORT_MARK = ".ics-rules-report"
_MARK_TEXT = "An ics-rules HTML report. The next `ics-rules check --output` to this directory replaces it whole.\n"


def _ordinary_permissions(path: str | Path, mode: int) -> None:
    """mkstemp and mkdtemp make private files; a report is an ordinary one, as the umask says."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, mode & ~umask)


def writes_through(path: str | Path) -> bool:
    """A target that is opened and written rather than replaced: not a regular file, a directory or
    nothing (a FIFO, a device, a socket, or a link to one), or anything under /dev or /proc."""
    absolute = os.path.abspath(path)
    if absolute.startswith(("/dev/", "/proc/")) or os.path.realpath(path).startswith(("/dev/", "/proc/")):
        return True
    try:
        mode = os.stat(path).st_mode  # through links
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _pieces(text: str | Iterable[str]) -> Iterable[str]:
    return (text,) if isinstance(text, str) else text


def write_file(path: str | Path, text: str | Iterable[str]) -> None:
    """Write beside the target and rename over it, or write through a device or FIFO (writes_through).
    `text` may come in pieces (a streaming renderer), written as they come, so a large report is never
    held whole."""
    if writes_through(path):
        with open(path, "w", encoding="utf-8") as fh:
            fh.writelines(_pieces(text))
        return
    target = Path(os.path.realpath(path))  # through a link, the file it names: the link stays
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.writelines(_pieces(text))
            fh.flush()
            os.fsync(fh.fileno())  # the rename must not reach the disk before the bytes do
        _ordinary_permissions(tmp, 0o666)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def foreign_files(directory: str | Path) -> list[str]:
    """What in an existing directory the tool did not write: anything at all, unless it holds a
    previous report's mark, and then anything but the mark and .html pages."""
    target = Path(directory)
    if not target.exists():
        return []
    if not target.is_dir():
        return [target.name]  # a file where the directory would go
    entries = sorted(p.name for p in target.iterdir())
    if REPORT_MARK not in entries:
        return entries
    return [name for name in entries if name != REPORT_MARK and not (name.endswith(".html") and (target / name).is_file())]


def cannot_replace(directory: str | Path) -> str | None:
    """Why a directory report may not be written at this path, or None when it may."""
    target = Path(directory)
    if writes_through(target):
        return f"{target} is a device or FIFO; a directory of pages goes here, so give a directory"
    if target.is_file():
        return f"{target} is a file; a directory of pages goes here, so give a directory, or a name ending .html for one submission"
    foreign = foreign_files(target)
    if foreign:
        return (f"{target} holds files ics-rules did not write ({', '.join(foreign[:3])}); give a new or empty directory, "
                "or one a previous report was written to")
    return None


def write_directory(path: str | Path, pages: Iterable[tuple[str, str]]) -> int:
    """Write every page into a new directory beside the target, then put it in the target's place: a
    run killed while rendering leaves the old report; one killed between the two renames leaves none
    (the old one is still beside it, hidden). Returns the number of pages."""
    target = Path(os.path.realpath(path))  # through a link, the directory it names
    refusal = cannot_replace(target)
    if refusal:
        raise FileExistsError(refusal)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
    try:
        written = 0
        for name, text in pages:
            (staging / name).write_text(text, encoding="utf-8")
            _ordinary_permissions(staging / name, 0o666)
            written += 1
        (staging / REPORT_MARK).write_text(_MARK_TEXT, encoding="utf-8")
        _ordinary_permissions(staging, 0o777)
        if target.exists():
            retired = staging.with_name(staging.name[:-len(".tmp")] + ".old")
            os.rename(target, retired)
            os.rename(staging, target)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.rename(staging, target)
        return written
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def why_not(output: str, reads: Iterable[str | Path], checked_directories: Iterable[str | Path] = ()) -> str | None:
    """Why a report may not go to `output`, or None when it may: it would replace, or a directory report
    would hold, a file the run reads (`reads`, and the data ics-rules itself reads: rulesets, their
    matrices and cases, schemas, templates, reference data); or it would land inside a directory being
    checked, where the next check would read it as a submission. Paths are compared through links."""
    if output == STDOUT or writes_through(output):
        return None
    target = Path(os.path.realpath(output))
    for given in reads:
        if given == STDOUT:
            continue
        read = Path(os.path.realpath(given))
        if _within(target, read) or _within(read, target):
            return f"{output} is, or holds, {given}, which this check reads; choose another place"
    for data in read_locations():
        if _within(target, data) or _within(data, target):
            return (f"{output} is, holds or lies in {data}, which ics-rules reads (rulesets, schemas, templates, reference "
                    "data, the bundled examples its rule tests start from); choose another place")
    for folder in checked_directories:
        if _within(target, Path(os.path.realpath(folder))):
            return f"{output} lies inside {folder}, which is being checked: the next check would read the report as a submission"
    return None
