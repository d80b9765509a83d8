"""Writing files that are never lost, and reading files whose sizes are never trusted.

Every file d2lmini writes (``nd.save``, ``save_parameters``, ``Trainer.save_states``,
downloads) goes through :func:`atomic_write`: the bytes go to a temporary file in the
destination's folder, reach the disk (``fsync``), and only then is the temporary file
renamed over the destination with ``os.replace``, which is atomic. A reader sees the old
file or the new one, never a mix, and a failure midway (an error while serialising, a
full disk, Ctrl-C) leaves the old file as it was and no temporary file behind. A process
killed outright cannot clean up; its temporary file is removed by the next write to the
same destination.

Every reader checks a size that a file declares (an array's shape, an entry's length)
against the bytes the file actually has left *before* allocating anything, with
:func:`check_size`, so that a damaged or forged file gives a clear error instead of
an attempt to allocate terabytes.

>>> import os, tempfile
>>> folder = tempfile.mkdtemp()
>>> target = os.path.join(folder, 'notes.txt')
>>> with atomic_write(target) as f:
...     _ = f.write(b'all or nothing')
>>> open(target, 'rb').read()
b'all or nothing'
>>> os.listdir(folder)
['notes.txt']
"""
import contextlib
import hashlib
import os
import re
import socket
import sys
import time

__all__ = ['atomic_write', 'write_bytes_atomically', 'sweep_abandoned', 'check_size',
           'read_exactly']

# A temporary file is named ``.<target name>.<pid>.<host>.<random>.tmp``: the writer's
# process id and host tell a later writer whether the file is abandoned.
_NAME_LIMIT = 150  # characters of the target's name kept: file names stop at 255 bytes
_TEMP_TAIL = re.compile(r'(\d+)\.([0-9a-f]{8})\.[0-9a-f]{8}\.tmp')
# A temporary file that nobody has written to for this long is abandoned, whoever made
# it (a process on another machine sharing the folder, or a process id since reused).
_ABANDONED_AFTER = 24 * 3600.0


def _host_tag():
    return hashlib.sha1(socket.gethostname().encode('utf-8', 'replace')).hexdigest()[:8]


_HOST = _host_tag()


def _temp_prefix(path):
    folder, base = os.path.split(path)
    return folder, f'.{base[:_NAME_LIMIT]}.'


@contextlib.contextmanager
def atomic_write(path):
    """Open a temporary binary file that replaces ``path`` when the block ends without
    an error; on an error the temporary file is removed and ``path`` is untouched.

    The new file gets the permissions the old one had (or, for a new file, those the
    umask gives, as ``open`` would). A symbolic link is followed: the file it points to
    is replaced. Stale temporary files of ``path`` left by killed processes are removed.

    >>> import os, tempfile
    >>> target = os.path.join(tempfile.mkdtemp(), 'x.bin')
    >>> with atomic_write(target) as f:
    ...     _ = f.write(b'old')
    >>> try:
    ...     with atomic_write(target) as f:
    ...         _ = f.write(b'new, half written')
    ...         raise RuntimeError('the disk is full')
    ... except RuntimeError:
    ...     pass
    >>> open(target, 'rb').read()
    b'old'
    """
    path = os.path.realpath(os.fspath(path))
    folder, prefix = _temp_prefix(path)
    sweep_abandoned(path)
    tmp = os.path.join(folder, f'{prefix}{os.getpid()}.{_HOST}.{os.urandom(4).hex()}.tmp')
    # O_EXCL: never write into a file someone else made; 0o666 lets the umask decide
    # the permissions, as for any new file
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, 'O_BINARY', 0),
                 0o666)
    try:
        with os.fdopen(fd, 'wb') as f:
            yield f
            f.flush()
            os.fsync(f.fileno())  # the data reaches the disk before the new name does
        _keep_mode(path, tmp)
        os.replace(tmp, path)
    except BaseException:  # KeyboardInterrupt too: the temporary file must go
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _sync_folder(folder)


def replace_file(src, dst):
    """Rename ``src`` over ``dst`` in one step (``os.replace``), as MXNet's
    ``gluon.utils.replace_file``: a reader sees the old file or the new one, never a
    mix; the folder is then synced so that the rename survives a crash."""
    os.replace(src, dst)
    _sync_folder(os.path.dirname(os.path.realpath(os.fspath(dst))))


def write_bytes_atomically(path, chunks):
    """Write ``chunks`` (bytes, or an iterable of bytes-like pieces) to ``path`` with
    :func:`atomic_write`. An error raised while the pieces are produced leaves ``path``
    as it was."""
    with atomic_write(path) as f:
        if isinstance(chunks, (bytes, bytearray, memoryview)):
            chunks = [chunks]
        for chunk in chunks:
            f.write(chunk)


def _keep_mode(path, tmp):
    try:
        mode = os.stat(path).st_mode
    except OSError:  # a new file: the umask has decided
        return
    with contextlib.suppress(OSError):
        os.chmod(tmp, mode & 0o7777)


def _sync_folder(folder):
    """Make the rename itself durable (POSIX: fsync the folder; not possible on Windows)."""
    if sys.platform.startswith('win'):
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems cannot sync a folder; the data is safe anyway
        pass
    finally:
        os.close(fd)


def sweep_abandoned(path):
    """Remove the temporary files of ``path`` that their writers abandoned: written by
    a process of this machine that no longer runs, or untouched for a day.

    Should a live writer's file be taken for abandoned (a process of another PID
    namespace under the same host name), its rename fails and that save raises: the
    destination still holds its previous content.
    """
    folder, prefix = _temp_prefix(os.path.realpath(os.fspath(path)))
    try:
        names = os.listdir(folder or '.')
    except OSError:
        return
    now = time.time()
    for name in names:
        if not name.startswith(prefix):
            continue
        match = _TEMP_TAIL.fullmatch(name[len(prefix):])
        if match is None:
            continue
        full = os.path.join(folder, name)
        pid, host = int(match.group(1)), match.group(2)
        try:
            idle = now - os.stat(full).st_mtime
        except OSError:  # already gone
            continue
        if idle > _ABANDONED_AFTER or (host == _HOST and not _process_runs(pid)):
            with contextlib.suppress(OSError):
                os.unlink(full)


def _process_runs(pid):
    """Whether process ``pid`` of this machine is running (True when unsure)."""
    if pid == os.getpid():
        return True
    if sys.platform.startswith('win'):
        return True  # os.kill would terminate it there; the age rule applies instead
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. PermissionError: it runs, as another user
        return True
    return True


# ------------------------------------------------------------------ reading
def check_size(needed, available, what, error=ValueError):
    """Raise ``error(message)`` when ``needed`` bytes, a size a file declares, exceed
    the ``available`` bytes it actually has left. Call it before allocating.

    >>> check_size(12, 16, 'the header')
    >>> check_size(4 * 10**12, 16, 'the data of array 0')
    Traceback (most recent call last):
    ...
    ValueError: the data ends inside the data of array 0: it needs 4000000000000 bytes, 16 are left
    """
    if needed > available:
        raise error(f'the data ends inside {what}: it needs {needed} bytes, '
                    f'{max(available, 0)} are left')


def read_exactly(f, nbytes, what, error=ValueError, chunk=1 << 24):
    """The next ``nbytes`` bytes of stream ``f``, read piece by piece, so that memory
    grows with the bytes the stream really has (a compressed stream's size is not
    known in advance), not with the size it claims."""
    pieces, left = [], nbytes
    while left > 0:
        piece = f.read(min(left, chunk))
        if not piece:
            break
        pieces.append(piece)
        left -= len(piece)
    if left > 0:
        raise error(f'the data ends inside {what}: it needs {nbytes} bytes, '
                    f'{nbytes - left} are left')
    return pieces[0] if len(pieces) == 1 else b''.join(pieces)
