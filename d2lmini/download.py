"""Downloading files safely: checksums, a cache, a progress bar, and atomic writes.

A file is written under a temporary name next to its destination, checked, and only
then renamed into place (:func:`d2lmini.fileio.atomic_write`), so an interrupted or
corrupted download never leaves a file that looks complete. A file already present
with the right SHA-1 sum is not downloaded again. Failures that another attempt cannot
fix (a refused connection, an unknown host, HTTP 404) are reported at once; a server
that stops answering is given up after ``timeout`` seconds.

>>> import os, tempfile
>>> folder = tempfile.mkdtemp()
>>> src = os.path.join(folder, 'hello.txt')
>>> with open(src, 'w') as f:
...     _ = f.write('hello')
>>> path = download('file://' + src, path=os.path.join(folder, 'copy.txt'),
...                 sha1_hash='aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d', progress=False)
>>> open(path).read()
'hello'
"""
import contextlib
import hashlib
import os
import socket
import sys
import time
import warnings

from .fileio import atomic_write

__all__ = ['download', 'check_sha1', 'DownloadError']


class DownloadError(OSError):
    """A download failed, or gave a file whose checksum is wrong."""


class _PermanentError(DownloadError):
    """A failure that another attempt cannot fix (the local disk, a bad URL)."""


def check_sha1(filename, sha1_hash):
    """Whether the SHA-1 sum of file ``filename`` is ``sha1_hash`` (hex digits)."""
    return _sha1(filename) == sha1_hash.lower()


def _sha1(filename):
    sha1 = hashlib.sha1()
    with open(filename, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            sha1.update(chunk)
    return sha1.hexdigest()


def download(url, path=None, overwrite=False, sha1_hash=None, retries=5, verify_ssl=True,
             progress=True, timeout=30.0):
    """Download ``url`` and return the path of the local file (MXNet's
    ``gluon.utils.download``, plus ``progress`` and ``timeout``).

    path : a folder to put the file in (named as in the URL), or the file's path;
        default: the current folder
    overwrite : download even when the file exists
    sha1_hash : the expected SHA-1 sum; a present file with another sum is
        downloaded again, and a download with another sum is rejected
    retries : how many more attempts after a failed one. Only failures that may
        pass are retried (a dropped connection, a server that stops answering or
        sends half the file, HTTP 5xx, 408 and 429, a wrong checksum); a refused
        connection, a host name that does not exist, HTTP 4xx, a certificate that
        does not verify, a missing file:// source and errors writing the local file
        fail at once.
    verify_ssl : check the server's certificate for https URLs
    progress : show a progress bar while downloading
    timeout : seconds to wait for the server, when connecting and for each piece of
        data (None: wait for ever, as MXNet does). A server that never answers costs
        at most ``(retries + 1) * timeout`` seconds, plus pauses between attempts.

    Raises :class:`DownloadError` saying where to put the file by hand when the
    download fails. The file appears complete or not at all: it is written under a
    temporary name and renamed once checked, and a failed download leaves nothing.
    """
    if not verify_ssl:      # as MXNet warns
        warnings.warn('Unverified HTTPS request is being made (verify_ssl=False). Adding '
                      'certificate verification is strongly advised.', stacklevel=2)
    fname = url.split('/')[-1]
    if path is not None:
        path = os.path.expanduser(path)
        fname = os.path.join(path, fname) if os.path.isdir(path) else path
    if not fname:
        raise ValueError(f"cannot name a file after the URL {url!r}: pass path='...'")
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ValueError(f'retries must be at least 0, got {retries!r}')
    if timeout is not None and not timeout > 0:
        raise ValueError(f'timeout must be a positive number of seconds or None, got '
                         f'{timeout!r}')
    if os.path.exists(fname) and not overwrite and \
            (sha1_hash is None or check_sha1(fname, sha1_hash)):
        return fname
    folder = os.path.dirname(os.path.abspath(fname))
    os.makedirs(folder, exist_ok=True)
    import ssl  # here rather than at the top: importing d2lmini stays fast
    context = None if verify_ssl else ssl._create_unverified_context()
    for attempt in range(retries + 1):
        try:
            _fetch_checked(url, fname, sha1_hash, context, progress, timeout)
            return fname
        except Exception as e:
            if attempt == retries or _is_permanent(e):
                raise DownloadError(
                    f'could not download {url}: {_describe(e)}.\nIf this machine cannot reach '
                    f'it, fetch the file elsewhere and put it at {fname}'
                    + (f' (SHA-1 {sha1_hash})' if sha1_hash else '')) from e
            print(f'download of {url} failed ({_describe(e)}); retrying, '
                  f'{retries - attempt} attempt(s) left', file=sys.stderr)
            time.sleep(min(2 ** attempt, 10) * _RETRY_DELAY)
    return fname  # not reached


_RETRY_DELAY = 1.0  # seconds before the first retry; doubles with every attempt


def _describe(error):
    if isinstance(error, (socket.timeout, TimeoutError)) or \
            isinstance(getattr(error, 'reason', None), (socket.timeout, TimeoutError)):
        return f'no answer within the timeout ({error})'
    return str(error)


def _is_permanent(error):
    """Whether another attempt cannot fix ``error``: the server refuses the connection,
    the host name does not exist, the server says the file is missing or forbidden
    (HTTP 4xx other than 408 Request Timeout and 429 Too Many Requests), the
    certificate is wrong, the URL is malformed, a local file:// source is missing,
    or the local file cannot be written."""
    import ssl
    import urllib.error
    if isinstance(error, _PermanentError):
        return True
    if isinstance(error, urllib.error.HTTPError):
        return 400 <= error.code < 500 and error.code not in (408, 429)
    if isinstance(error, ValueError):  # e.g. "unknown url type"
        return True
    reason = getattr(error, 'reason', error)
    if isinstance(reason, socket.gaierror):
        # a name that does not resolve stays so; "try again later" may pass
        return reason.errno != getattr(socket, 'EAI_AGAIN', None)
    if isinstance(reason, ssl.SSLCertVerificationError):
        return True
    return isinstance(reason, (ConnectionRefusedError, FileNotFoundError, IsADirectoryError,
                               NotADirectoryError, PermissionError))


@contextlib.contextmanager
def _local_file(fname):
    """:func:`d2lmini.fileio.atomic_write`, with its own failures (creating, syncing,
    renaming the file: a full disk, a read-only folder) marked as permanent, and the
    body's exceptions passed on unchanged."""
    from_body = None
    try:
        with atomic_write(fname) as out:
            try:
                yield out
            except BaseException as e:
                from_body = e
                raise
    except OSError as e:
        if e is from_body:
            raise
        raise _PermanentError(f'cannot write {fname}: {e.strerror or e}') from e


def _fetch_checked(url, fname, sha1_hash, context, progress, timeout):
    """One attempt: download into a temporary file, check it, move it into place."""
    import urllib.request
    if progress:
        print(f'Downloading {fname} from {url}...')
    with _local_file(fname) as out:
        kwargs = {} if timeout is None else {'timeout': timeout}
        with urllib.request.urlopen(url, context=context, **kwargs) as response:
            total = int(response.headers.get('Content-Length') or 0)
            bar = _ProgressBar(os.path.basename(fname), total) if progress else None
            sha1, done = hashlib.sha1(), 0
            while True:
                chunk = response.read(1 << 16)
                if not chunk:
                    break
                try:
                    out.write(chunk)
                except OSError as e:  # e.g. the disk is full: no retry helps
                    raise _PermanentError(f'cannot write {fname}: {e.strerror or e}') from e
                sha1.update(chunk)
                done += len(chunk)
                if bar:
                    bar.update(len(chunk))
            if bar:
                bar.close()
        if total and done != total:
            raise DownloadError(f'the transfer stopped after {done} of {total} bytes')
        if sha1_hash and sha1.hexdigest() != sha1_hash.lower():
            raise DownloadError(f'the downloaded file has SHA-1 {sha1.hexdigest()}, but '
                                f'{sha1_hash} was expected (damaged or changed at the source)')


class _ProgressBar:
    """``name [#######.....]  45%  4.5/9.9 MB`` on one line, redrawn in place at most
    a few times a second (and when done)."""

    WIDTH = 30
    INTERVAL = 0.25  # seconds between redraws

    def __init__(self, name, total, stream=None):
        self.name, self.total, self.done = name, total, 0
        self.stream = stream or sys.stdout
        self._last = -1
        self._drawn_at = 0.0

    def update(self, n):
        self.done += n
        now = time.monotonic()
        finished = bool(self.total) and self.done >= self.total
        if not finished and now - self._drawn_at < self.INTERVAL:
            return
        self._drawn_at = now
        if self.total:
            frac = min(self.done / self.total, 1.0)
            step = int(frac * 100)
            if step == self._last:  # nothing visible changed
                return
            self._last = step
            filled = int(frac * self.WIDTH)
            bar = '#' * filled + '.' * (self.WIDTH - filled)
            line = f'{self.name} [{bar}] {step:3d}% {_mb(self.done)}/{_mb(self.total)} MB'
        else:  # the server did not say how big the file is
            line = f'{self.name} {_mb(self.done)} MB'
        self.stream.write('\r' + line)
        self.stream.flush()

    def close(self):
        if not self.total:  # show the final count
            self.stream.write(f'\r{self.name} {_mb(self.done)} MB')
        self.stream.write('\n')
        self.stream.flush()


def _mb(n):
    return f'{n / 2**20:.1f}'
