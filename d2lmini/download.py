"""Downloading files safely: checksums, a cache, a progress bar, and atomic writes.

A file is written under a temporary name next to its destination, checked, and only
then renamed into place (``os.replace`` is atomic), so an interrupted or corrupted
download never leaves a file that looks complete. A file already present with the
right SHA-1 sum is not downloaded again.

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
import hashlib
import os
import sys
import time
import uuid

__all__ = ['download', 'check_sha1', 'DownloadError']


class DownloadError(OSError):
    """A download failed, or gave a file whose checksum is wrong."""


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
             progress=True):
    """Download ``url`` and return the path of the local file (MXNet's
    ``gluon.utils.download``, plus ``progress``).

    path : a folder to put the file in (named as in the URL), or the file's path;
        default: the current folder
    overwrite : download even when the file exists
    sha1_hash : the expected SHA-1 sum; a present file with another sum is
        downloaded again, and a download with another sum is rejected
    retries : how many more attempts after a failed one (network errors and
        checksum mismatches; a missing file, HTTP 4xx, is not retried)
    verify_ssl : check the server's certificate for https URLs
    progress : show a progress bar while downloading

    Raises :class:`DownloadError` saying where to put the file by hand when every
    attempt fails. Nothing is left behind by a failed download.
    """
    fname = url.split('/')[-1]
    if path is not None:
        path = os.path.expanduser(path)
        fname = os.path.join(path, fname) if os.path.isdir(path) else path
    if not fname:
        raise ValueError(f"cannot name a file after the URL {url!r}: pass path='...'")
    if retries < 0:
        raise ValueError(f'retries must be at least 0, got {retries}')
    if os.path.exists(fname) and not overwrite and \
            (sha1_hash is None or check_sha1(fname, sha1_hash)):
        return fname
    folder = os.path.dirname(os.path.abspath(fname))
    os.makedirs(folder, exist_ok=True)
    import ssl  # here rather than at the top: importing d2lmini stays fast
    context = None if verify_ssl else ssl._create_unverified_context()
    for attempt in range(retries + 1):
        try:
            _fetch_checked(url, fname, sha1_hash, context, progress)
            return fname
        except Exception as e:
            if attempt == retries or _is_permanent(e):
                raise DownloadError(
                    f'could not download {url}: {e}.\nIf this machine cannot reach it, '
                    f'fetch the file elsewhere and put it at {fname}'
                    + (f' (SHA-1 {sha1_hash})' if sha1_hash else '')) from e
            print(f'download of {url} failed ({e}); retrying, '
                  f'{retries - attempt} attempt(s) left', file=sys.stderr)
            time.sleep(min(2 ** attempt, 10) * _RETRY_DELAY)
    return fname  # not reached


_RETRY_DELAY = 1.0  # seconds before the first retry; doubles with every attempt


def _is_permanent(error):
    """Errors that another attempt cannot fix: the server says the file is missing
    or forbidden (HTTP 4xx), or a local file:// source does not exist."""
    import urllib.error
    if isinstance(error, urllib.error.HTTPError):
        return 400 <= error.code < 500
    return isinstance(getattr(error, 'reason', None), FileNotFoundError)


def _fetch_checked(url, fname, sha1_hash, context, progress):
    """One attempt: download into a temporary file, check it, move it into place."""
    import urllib.request
    tmp = f'{fname}.{uuid.uuid4().hex}.part'  # unique: two processes may download at once
    if progress:
        print(f'Downloading {fname} from {url}...')
    try:
        with urllib.request.urlopen(url, context=context, timeout=60) as response, \
                open(tmp, 'wb') as out:
            total = int(response.headers.get('Content-Length') or 0)
            bar = _ProgressBar(os.path.basename(fname), total) if progress else None
            while True:
                chunk = response.read(1 << 16)
                if not chunk:
                    break
                out.write(chunk)
                if bar:
                    bar.update(len(chunk))
            if bar:
                bar.close()
        if total and os.path.getsize(tmp) != total:
            raise DownloadError(f'the transfer stopped after {os.path.getsize(tmp)} of '
                                f'{total} bytes')
        if sha1_hash and not check_sha1(tmp, sha1_hash):
            raise DownloadError(f'the downloaded file has SHA-1 {_sha1(tmp)}, but '
                                f'{sha1_hash} was expected (damaged or changed at the source)')
        os.replace(tmp, fname)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


class _ProgressBar:
    """``name [#######.....]  45%  4.5/9.9 MB`` on one line, redrawn in place."""

    WIDTH = 30

    def __init__(self, name, total, stream=None):
        self.name, self.total, self.done = name, total, 0
        self.stream = stream or sys.stdout
        self._last = -1

    def update(self, n):
        self.done += n
        if self.total:
            frac = min(self.done / self.total, 1.0)
            step = int(frac * 100)
            if step == self._last:  # redraw only when the percentage changes
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
        self.stream.write('\n')
        self.stream.flush()


def _mb(n):
    return f'{n / 2**20:.1f}'
