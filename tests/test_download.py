"""d2lmini.download: local file:// URLs and a small HTTP server on 127.0.0.1 started
here; nothing touches the network."""
import hashlib
import http.server
import inspect
import os
import socket
import threading
import time

import pytest

from d2lmini import download as dl
from d2lmini.download import DownloadError, check_sha1, download

PAYLOAD = bytes(range(256)) * 1000  # 256 kB: several chunks, several progress updates
SHA1 = hashlib.sha1(PAYLOAD).hexdigest()


@pytest.fixture(autouse=True)
def no_retry_delay(monkeypatch):
    monkeypatch.setattr(dl, '_RETRY_DELAY', 0.0)


def leftovers(folder):
    """Temporary files of unfinished downloads."""
    return [n for n in os.listdir(folder) if n.endswith(('.part', '.tmp'))]


@pytest.fixture
def source(tmp_path):
    path = tmp_path / 'src' / 'data.bin'
    path.parent.mkdir()
    path.write_bytes(PAYLOAD)
    return path


class Server:
    """An HTTP server in a thread. ``plan`` lists what the next requests get:
    'ok', 'missing' (404), 'forbidden' (403), 'error' (500), 'busy' (429), 'short'
    (half the promised bytes) or 'unsized' (no Content-Length)."""

    def __init__(self):
        self.plan, self.requests = [], []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                what = server.plan.pop(0) if server.plan else 'ok'
                codes = {'missing': 404, 'forbidden': 403, 'error': 500, 'busy': 429}
                if what in codes:
                    self.send_error(codes[what])
                    return
                body = PAYLOAD if what in ('ok', 'unsized') else PAYLOAD[:len(PAYLOAD) // 2]
                self.send_response(200)
                if what != 'unsized':
                    self.send_header('Content-Length', str(len(PAYLOAD)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # keep the test output clean
                pass

        self.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.url = f'http://127.0.0.1:{self.httpd.server_address[1]}'
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.01,),
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


def test_check_sha1(source):
    assert check_sha1(str(source), SHA1) and check_sha1(str(source), SHA1.upper())
    assert not check_sha1(str(source), '0' * 40)


def test_file_url_into_a_folder_or_a_file_path(source, tmp_path):
    folder = tmp_path / 'cache'
    folder.mkdir()
    got = download(source.as_uri(), path=str(folder), sha1_hash=SHA1, progress=False)
    assert got == str(folder / 'data.bin') and (folder / 'data.bin').read_bytes() == PAYLOAD
    named = download(source.as_uri(), path=str(tmp_path / 'new' / 'x.dat'), progress=False)
    assert named == str(tmp_path / 'new' / 'x.dat')  # missing folders are created
    assert (tmp_path / 'new' / 'x.dat').read_bytes() == PAYLOAD
    assert leftovers(folder) == []


def test_default_path_is_the_current_folder(source, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert download(source.as_uri(), progress=False) == 'data.bin'
    assert (tmp_path / 'data.bin').read_bytes() == PAYLOAD


def test_a_good_cached_file_is_not_downloaded_again(source, tmp_path):
    target = str(tmp_path / 'cached.bin')
    download(source.as_uri(), path=target, sha1_hash=SHA1, progress=False)
    source.unlink()  # a new download would now fail
    assert download(source.as_uri(), path=target, sha1_hash=SHA1, progress=False) == target
    assert download(source.as_uri(), path=target, progress=False) == target
    with pytest.raises(DownloadError):
        download(source.as_uri(), path=target, overwrite=True, progress=False)
    assert open(target, 'rb').read() == PAYLOAD  # the failed overwrite kept the old file


def test_a_damaged_cached_file_is_replaced(source, tmp_path):
    target = tmp_path / 'cached.bin'
    target.write_bytes(b'half a file')
    download(source.as_uri(), path=str(target), sha1_hash=SHA1, progress=False)
    assert target.read_bytes() == PAYLOAD
    source.write_bytes(b'new content')
    download(source.as_uri(), path=str(target), overwrite=True, progress=False)
    assert target.read_bytes() == b'new content'


def test_checksum_mismatch_leaves_nothing_and_says_what_to_do(source, tmp_path):
    target = tmp_path / 'out.bin'
    with pytest.raises(DownloadError) as info:
        download(source.as_uri(), path=str(target), sha1_hash='f' * 40, retries=1,
                 progress=False)
    message = str(info.value)
    assert SHA1 in message and 'f' * 40 in message
    assert f'put it at {target}' in message
    assert not target.exists() and leftovers(tmp_path) == []


def test_missing_local_file_fails_at_once(tmp_path):
    with pytest.raises(DownloadError, match='could not download'):
        download((tmp_path / 'nope.bin').as_uri(), path=str(tmp_path / 'x'), progress=False)
    assert not (tmp_path / 'x').exists()


def test_http_download_with_progress_bar(server, tmp_path, capsys):
    got = download(server.url + '/files/data.bin', path=str(tmp_path), sha1_hash=SHA1)
    assert open(got, 'rb').read() == PAYLOAD and server.requests == ['/files/data.bin']
    out = capsys.readouterr().out
    assert f'Downloading {got} from {server.url}/files/data.bin' in out
    assert '\rdata.bin [' in out and '100%' in out and '0.2/0.2 MB' in out


def test_http_404_is_not_retried(server, tmp_path):
    server.plan = ['missing'] * 5
    with pytest.raises(DownloadError, match='404'):
        download(server.url + '/a.bin', path=str(tmp_path), retries=4, progress=False)
    assert len(server.requests) == 1 and os.listdir(tmp_path) == []


def test_http_errors_and_short_transfers_are_retried(server, tmp_path, capsys):
    server.plan = ['error', 'short']
    got = download(server.url + '/a.bin', path=str(tmp_path), sha1_hash=SHA1, retries=2,
                   progress=False)
    assert open(got, 'rb').read() == PAYLOAD and len(server.requests) == 3
    assert capsys.readouterr().err.count('retrying') == 2


def test_giving_up_leaves_no_partial_file(server, tmp_path):
    server.plan = ['short'] * 3
    with pytest.raises(DownloadError):
        download(server.url + '/a.bin', path=str(tmp_path), retries=2, progress=False)
    assert len(server.requests) == 3 and os.listdir(tmp_path) == []


def test_argument_checks(source, tmp_path):
    with pytest.raises(ValueError, match='retries must be at least 0'):
        download(source.as_uri(), path=str(tmp_path), retries=-1)
    with pytest.raises(ValueError, match="pass path="):
        download('http://127.0.0.1:9/folder/')


# ------------------------------------------------------------------ failing fast
def closed_port():
    """A port on 127.0.0.1 where nothing listens: connecting is refused at once."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture
def silent_server():
    """A server that accepts connections and never answers; counts the connections."""
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    sock.listen(8)
    accepted = []

    def accept():
        while True:
            try:
                accepted.append(sock.accept()[0])
            except OSError:  # closed: the test is over
                return
    threading.Thread(target=accept, daemon=True).start()
    yield f'http://127.0.0.1:{sock.getsockname()[1]}', accepted
    sock.close()
    for conn in accepted:
        conn.close()


def test_download_keeps_mxnets_signature_and_adds_timeout():
    params = list(inspect.signature(download).parameters)
    assert params[:6] == ['url', 'path', 'overwrite', 'sha1_hash', 'retries', 'verify_ssl']
    assert {'timeout', 'progress'} <= set(params)


def test_refused_connection_fails_at_once(tmp_path, capsys, monkeypatch):
    pauses = []
    monkeypatch.setattr(dl.time, 'sleep', pauses.append)  # what a retry would wait
    with pytest.raises(DownloadError, match='refused'):
        download(f'http://127.0.0.1:{closed_port()}/a.bin', path=str(tmp_path), retries=5,
                 progress=False)
    assert pauses == [] and 'retrying' not in capsys.readouterr().err
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize('code, permanent', [(socket.EAI_NONAME, True),
                                             (socket.EAI_AGAIN, False)])
def test_unknown_host_fails_at_once_a_busy_resolver_is_retried(tmp_path, capsys,
                                                               monkeypatch, code, permanent):
    def resolve(*args, **kwargs):
        raise socket.gaierror(code, 'name resolution failed')
    monkeypatch.setattr(socket, 'getaddrinfo', resolve)  # no network, no real DNS
    with pytest.raises(DownloadError, match='name resolution failed'):
        download('http://data.example/a.bin', path=str(tmp_path), retries=2, progress=False)
    assert capsys.readouterr().err.count('retrying') == (0 if permanent else 2)


def test_server_that_never_answers_times_out(silent_server, tmp_path, capsys):
    url, accepted = silent_server
    start = time.monotonic()
    with pytest.raises(DownloadError, match='no answer within the timeout'):
        download(url + '/a.bin', path=str(tmp_path), retries=1, timeout=0.3, progress=False)
    assert 0.5 < time.monotonic() - start < 10  # two attempts of 0.3 s, then it gives up
    assert len(accepted) == 2 and capsys.readouterr().err.count('retrying') == 1
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize('plan, requests', [(['forbidden'] * 3, 1), (['busy', 'ok'], 2),
                                            (['error', 'ok'], 2)])
def test_which_http_errors_are_retried(server, tmp_path, plan, requests):
    server.plan = list(plan)
    try:
        download(server.url + '/a.bin', path=str(tmp_path), retries=2, progress=False)
    except DownloadError as e:
        assert '403' in str(e)
    assert len(server.requests) == requests


def test_a_local_write_error_is_not_retried(server, tmp_path, monkeypatch):
    def disk_full(fd):
        raise OSError(28, 'No space left on device')
    monkeypatch.setattr(os, 'fsync', disk_full)
    with pytest.raises(DownloadError, match='cannot write .*No space left'):
        download(server.url + '/a.bin', path=str(tmp_path), retries=3, progress=False)
    assert len(server.requests) == 1 and os.listdir(tmp_path) == []


def test_argument_checks_for_timeout_and_retries(source, tmp_path):
    for bad in (0, -1.5):
        with pytest.raises(ValueError, match='timeout must be a positive number'):
            download(source.as_uri(), path=str(tmp_path), timeout=bad)
    with pytest.raises(ValueError, match='retries must be at least 0'):
        download(source.as_uri(), path=str(tmp_path), retries=1.5)
    assert download(source.as_uri(), path=str(tmp_path), timeout=None, progress=False)


def test_progress_of_a_download_of_unknown_size(server, tmp_path, capsys):
    server.plan = ['unsized']
    got = download(server.url + '/a.bin', path=str(tmp_path), sha1_hash=SHA1)
    assert open(got, 'rb').read() == PAYLOAD
    out = capsys.readouterr().out
    assert out.rstrip('\n').endswith('\ra.bin 0.2 MB')


def test_an_abandoned_download_is_swept_by_the_next(server, tmp_path):
    stale = tmp_path / '.a.bin.999999999.00000000.0123abcd.tmp'  # a writer from elsewhere,
    stale.write_bytes(b'half')                                  # idle for two days
    two_days_ago = time.time() - 2 * 86400
    os.utime(stale, (two_days_ago, two_days_ago))
    download(server.url + '/a.bin', path=str(tmp_path), progress=False)
    assert os.listdir(tmp_path) == ['a.bin']
