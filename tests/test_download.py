"""d2lmini.download: local file:// URLs and a small HTTP server on 127.0.0.1 started
here; nothing touches the network."""
import hashlib
import http.server
import os
import threading

import pytest

from d2lmini import download as dl
from d2lmini.download import DownloadError, check_sha1, download

PAYLOAD = bytes(range(256)) * 1000  # 256 kB: several chunks, several progress updates
SHA1 = hashlib.sha1(PAYLOAD).hexdigest()


@pytest.fixture(autouse=True)
def no_retry_delay(monkeypatch):
    monkeypatch.setattr(dl, '_RETRY_DELAY', 0.0)


def leftovers(folder):
    return [n for n in os.listdir(folder) if n.endswith('.part')]


@pytest.fixture
def source(tmp_path):
    path = tmp_path / 'src' / 'data.bin'
    path.parent.mkdir()
    path.write_bytes(PAYLOAD)
    return path


class Server:
    """An HTTP server in a thread. ``plan`` lists what the next requests get:
    'ok', 'missing' (404), 'error' (500) or 'short' (half the promised bytes)."""

    def __init__(self):
        self.plan, self.requests = [], []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                what = server.plan.pop(0) if server.plan else 'ok'
                if what in ('missing', 'error'):
                    self.send_error(404 if what == 'missing' else 500)
                    return
                body = PAYLOAD if what == 'ok' else PAYLOAD[:len(PAYLOAD) // 2]
                self.send_response(200)
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
