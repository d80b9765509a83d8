"""Files are never lost and never trusted: every writer replaces its file in one step
(a failed or killed save leaves the old file and no temporary file), and every reader
checks the sizes a file declares against the bytes it has before allocating."""
import errno
import gzip
import io
import os
import struct
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest

import d2lmini as mx
from d2lmini import fileio, lr_scheduler
from d2lmini.base import MXNetError
from d2lmini.gluon import Trainer, nn
from d2lmini.gluon.data.vision import datasets as vdatasets

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def trained_trainer(momentum=0.9):
    """A Trainer whose SGD has a momentum state after one step."""
    w = mx.gluon.Parameter('w', shape=(3,))
    w.initialize(mx.init.One())
    trainer = Trainer([w], 'sgd', {'learning_rate': 0.1, 'momentum': momentum})
    with mx.autograd.record():
        loss = (w.data() * mx.nd.array([1., 2., 3.])).sum()
    loss.backward()
    trainer.step(1)
    return trainer


def disk_full(*args):
    raise OSError(errno.ENOSPC, 'No space left on device')


# ------------------------------------------------------------------ atomic_write
def test_atomic_write_replaces_in_one_step_and_keeps_the_mode(tmp_path):
    target = tmp_path / 'f.bin'
    fileio.write_bytes_atomically(target, b'one')
    os.chmod(target, 0o600)
    fileio.write_bytes_atomically(target, [b'tw', memoryview(b'o')])
    assert target.read_bytes() == b'two'
    assert os.stat(target).st_mode & 0o777 == 0o600
    assert os.listdir(tmp_path) == ['f.bin']


def test_atomic_write_follows_a_symbolic_link(tmp_path):
    real = tmp_path / 'real.bin'
    real.write_bytes(b'old')
    link = tmp_path / 'link.bin'
    os.symlink(real, link)
    fileio.write_bytes_atomically(link, b'new')
    assert os.path.islink(link) and real.read_bytes() == b'new'


@pytest.mark.parametrize('error', [RuntimeError('bad data'), KeyboardInterrupt()])
def test_a_failure_inside_the_block_keeps_the_old_file(tmp_path, error):
    target = tmp_path / 'f.bin'
    target.write_bytes(b'old')
    with pytest.raises(type(error)):
        with fileio.atomic_write(target) as f:
            f.write(b'half of the new')
            raise error
    assert target.read_bytes() == b'old' and os.listdir(tmp_path) == ['f.bin']


def test_a_full_disk_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / 'f.bin'
    target.write_bytes(b'old')
    monkeypatch.setattr(os, 'fsync', disk_full)
    with pytest.raises(OSError, match='No space left'):
        fileio.write_bytes_atomically(target, b'new')
    assert target.read_bytes() == b'old' and os.listdir(tmp_path) == ['f.bin']


KILLED_WRITER = '''
import sys, time
from d2lmini import fileio
with fileio.atomic_write(sys.argv[1]) as f:
    f.write(b'half')
    f.flush()
    print('writing', flush=True)
    time.sleep(60)
'''


def test_the_temporary_file_of_a_killed_writer_is_swept_by_the_next_save(tmp_path):
    target = tmp_path / 'model.params'
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.environ.get('PYTHONPATH', '')]))
    proc = subprocess.Popen([sys.executable, '-c', KILLED_WRITER, str(target)], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout.readline() == b'writing\n', proc.stderr.read()
    finally:
        proc.kill()
        proc.communicate(timeout=30)
    left = os.listdir(tmp_path)
    assert len(left) == 1 and left[0].startswith('.model.params.') and left[0].endswith('.tmp')
    mx.nd.save(str(target), {'w': mx.nd.ones((2,))})
    assert os.listdir(tmp_path) == ['model.params']


def test_a_live_writers_file_is_kept_and_an_old_foreign_one_swept(tmp_path):
    target = str(tmp_path / 'x.bin')
    live = tmp_path / f'.x.bin.{os.getpid()}.{fileio._HOST}.0123abcd.tmp'
    other_host = tmp_path / '.x.bin.1.ffffffff.0123abcd.tmp'   # another machine's writer
    stale = tmp_path / '.x.bin.2.ffffffff.89abcdef.tmp'
    unrelated = tmp_path / '.x.bin.notes.tmp'
    for p in (live, other_host, stale, unrelated):
        p.write_bytes(b'')
    day_ago = time.time() - 2 * 86400
    os.utime(stale, (day_ago, day_ago))
    fileio.write_bytes_atomically(target, b'data')
    assert sorted(os.listdir(tmp_path)) == sorted(
        ['x.bin', live.name, other_host.name, unrelated.name])


def test_check_size_and_read_exactly():
    fileio.check_size(4, 4, 'x')
    with pytest.raises(ValueError, match='needs 5 bytes, 4 are left'):
        fileio.check_size(5, 4, 'x')
    with pytest.raises(KeyError):
        fileio.check_size(5, 4, 'x', KeyError)
    assert fileio.read_exactly(io.BytesIO(b'abcdef'), 4, 'x', chunk=3) == b'abcd'
    with pytest.raises(ValueError, match='needs 7 bytes, 6 are left'):
        fileio.read_exactly(io.BytesIO(b'abcdef'), 7, 'x', chunk=2)


# ------------------------------------------------------------------ every writer
def test_save_states_that_fails_while_serialising_keeps_the_old_file(tmp_path):
    fname = tmp_path / 'trainer.states'
    trainer = trained_trainer()
    trainer.save_states(str(fname))
    old = fname.read_bytes()

    class MySchedule(lr_scheduler.LRScheduler):  # not one of mx.lr_scheduler's: unsavable
        def __call__(self, num_update):
            return 0.1

    trainer.optimizer.lr_scheduler = MySchedule()
    with pytest.raises(TypeError, match='cannot save learning-rate scheduler MySchedule'):
        trainer.save_states(str(fname))
    assert fname.read_bytes() == old and os.listdir(tmp_path) == ['trainer.states']


def test_save_states_on_a_full_disk_keeps_the_old_file(tmp_path, monkeypatch):
    fname = tmp_path / 'trainer.states'
    trainer = trained_trainer()
    trainer.save_states(str(fname))
    old = fname.read_bytes()
    monkeypatch.setattr(os, 'fsync', disk_full)
    with pytest.raises(OSError, match='No space left'):
        trained_trainer(momentum=0.5).save_states(str(fname))
    monkeypatch.undo()
    assert fname.read_bytes() == old and os.listdir(tmp_path) == ['trainer.states']
    trainer.load_states(str(fname))
    assert trainer.optimizer.momentum == 0.9


@pytest.mark.parametrize('how', ['save_parameters', 'collect_params().save', 'nd.save'])
def test_parameter_files_on_a_full_disk_keep_the_old_file(tmp_path, monkeypatch, how):
    fname = str(tmp_path / 'net.params')
    net = nn.Dense(2, in_units=3)
    net.initialize()

    def save():
        if how == 'save_parameters':
            net.save_parameters(fname)
        elif how == 'nd.save':
            mx.nd.save(fname, {'w': net.weight.data()})
        else:
            net.collect_params().save(fname)

    save()
    with open(fname, 'rb') as f:
        old = f.read()
    net.weight.set_data(mx.nd.zeros((2, 3)))
    monkeypatch.setattr(os, 'fsync', disk_full)
    with pytest.raises(MXNetError, match='No space left'):  # as MXNet reports it
        save()
    with open(fname, 'rb') as f:
        assert f.read() == old
    assert os.listdir(tmp_path) == ['net.params']


# ------------------------------------------------------------------ every reader
def forged_states(tmp_path, shape):
    """A states file whose one array declares ``shape`` but holds 8 bytes."""
    fname = tmp_path / 'trainer.states'
    trained_trainer().save_states(str(fname))
    buf = io.BytesIO()
    with zipfile.ZipFile(fname) as zin, zipfile.ZipFile(buf, 'w') as zout:
        for name in zin.namelist():
            data = zin.read(name)
            if name.endswith('.npy'):
                header = io.BytesIO()
                np.lib.format.write_array_header_1_0(
                    header, {'descr': '<f4', 'fortran_order': False, 'shape': shape})
                data = header.getvalue() + bytes(8)
            zout.writestr(name, data)
    fname.write_bytes(buf.getvalue())
    return fname


def test_load_states_refuses_a_declared_size_the_file_does_not_have(tmp_path):
    fname = forged_states(tmp_path, (10 ** 12,))  # 3.6 TiB of float32
    trainer = trained_trainer()
    start = time.monotonic()
    with pytest.raises(ValueError, match=r'corrupt optimizer states file: .*needs '
                                         r'4000000000000 bytes, 8 are left'):
        trainer.load_states(str(fname))
    assert time.monotonic() - start < 10  # nothing was allocated or read
    assert trainer.optimizer.momentum == 0.9  # and nothing changed


def test_load_states_reads_arrays_that_fit(tmp_path):
    fname = forged_states(tmp_path, (2,))
    trainer = trained_trainer()
    trainer.load_states(str(fname))
    assert trainer._updaters[0].states[0].shape == (2,)


def test_load_states_refuses_a_zip_entry_larger_than_the_file(tmp_path):
    fname = tmp_path / 'trainer.states'
    trained_trainer().save_states(str(fname))
    raw = bytearray(fname.read_bytes())
    # the central directory's record of states.json: its uncompressed size, at 24
    at = raw.index(b'PK\x01\x02')
    struct.pack_into('<I', raw, at + 24, 2 ** 32 - 1)
    fname.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match='claims 4294967295 bytes'):
        trained_trainer().load_states(str(fname))


def test_idx_reader_refuses_a_declared_size_the_file_does_not_have(tmp_path):
    header = bytes([0, 0, 0x08, 3]) + struct.pack('>3I', 60000, 60000, 60000)
    plain = tmp_path / 'forged.idx'
    plain.write_bytes(header + bytes(100))
    packed = tmp_path / 'forged.idx.gz'
    packed.write_bytes(gzip.compress(header + bytes(100)))
    for path in (plain, packed):
        with pytest.raises(ValueError, match=r'truncated: .*needs 216000000000000 bytes, '
                                             r'100 are left'):
            vdatasets._read_idx(str(path))
    extra = tmp_path / 'extra.idx'
    extra.write_bytes(bytes([0, 0, 0x08, 1]) + struct.pack('>I', 3) + b'abcd')
    with pytest.raises(ValueError, match=r'more data than its header \(shape \(3,\)\)'):
        vdatasets._read_idx(str(extra))
    damaged = tmp_path / 'damaged.idx.gz'
    damaged.write_bytes(gzip.compress(bytes([0, 0, 0x08, 1]) + struct.pack('>I', 3) + b'abc')[:-6])
    with pytest.raises(ValueError, match='damaged'):
        vdatasets._read_idx(str(damaged))


def test_nd_load_refuses_a_declared_size_the_file_does_not_have(tmp_path):
    fname = tmp_path / 'x.params'
    mx.nd.save(str(fname), [mx.nd.ones((2,))])
    raw = bytearray(fname.read_bytes())
    # header (24 bytes), magic, storage type, ndim: then the one dimension
    struct.pack_into('<q', raw, 24 + 12, 10 ** 12)
    fname.write_bytes(bytes(raw))
    with pytest.raises(MXNetError, match='needs 4000000000000 bytes'):
        mx.nd.load(str(fname))

