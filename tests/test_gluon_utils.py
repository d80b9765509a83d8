"""gluon.utils: splitting batches over devices, global-norm gradient clipping, and the
download helpers it re-exports."""
import hashlib
import math
import warnings

import numpy as np
import pytest

import d2lmini as mx
from d2lmini import download as download_module
from d2lmini.gluon import utils

CTXS = [mx.cpu(0), mx.cpu(1)]


def test_split_data_evenly_along_axis_0_shares_memory():
    x = mx.nd.arange(12).reshape((6, 2))
    parts = utils.split_data(x, 3)
    assert [p.shape for p in parts] == [(2, 2)] * 3
    np.testing.assert_array_equal(np.concatenate([p.asnumpy() for p in parts]), x.asnumpy())
    parts[1][:] = -1
    assert (x.asnumpy()[2:4] == -1).all()
    assert len(utils.split_data(x, 1)) == 1


def test_split_data_unevenly_and_along_other_axes():
    x = mx.nd.arange(8).reshape((8, 1))
    with pytest.raises(ValueError, match=r"data with shape \(8, 1\) cannot be evenly split into "
                                         r"3 slices along axis 0\. Use a batch size that's "
                                         r"multiple of 3 or set even_split=False"):
        utils.split_data(x, 3)
    assert [p.shape for p in utils.split_data(x, 3, even_split=False)] == [(3, 1), (3, 1),
                                                                           (2, 1)]
    y = mx.nd.arange(10).reshape((2, 5))
    parts = utils.split_data(y, 3, batch_axis=1, even_split=False)
    assert [p.asnumpy().ravel().tolist() for p in parts] == [[0, 1, 5, 6], [2, 3, 7, 8],
                                                             [4, 9]]


def test_split_and_load_puts_one_slice_on_each_context():
    data = np.arange(12, dtype=np.float32).reshape((4, 3))
    parts = utils.split_and_load(data, CTXS)  # numpy input is accepted
    assert [p.context for p in parts] == CTXS
    assert [p.shape for p in parts] == [(2, 3), (2, 3)]
    np.testing.assert_array_equal(np.concatenate([p.asnumpy() for p in parts]), data)
    single = utils.split_and_load(mx.nd.array(data), [mx.cpu(1)])
    assert len(single) == 1 and single[0].context == mx.cpu(1) and single[0].shape == (4, 3)
    parts = utils.split_and_load(mx.nd.array(data), CTXS, batch_axis=1, even_split=False)
    assert [p.shape for p in parts] == [(4, 2), (4, 1)]


def test_clip_global_norm_scales_all_arrays_together():
    arrays = [mx.nd.array([1., 2.]), mx.nd.array([[2.], [4.]])]  # norm sqrt(1+4+4+16) = 5
    norm = utils.clip_global_norm(arrays, 2.0)
    # a numpy float32 scalar, as MXNet 1.x returns it
    assert type(norm) is np.float32 and norm == pytest.approx(5.0)
    np.testing.assert_allclose(arrays[0].asnumpy(), [0.4, 0.8], rtol=1e-6)
    np.testing.assert_allclose(arrays[1].asnumpy(), [[0.8], [1.6]], rtol=1e-6)


def test_clip_global_norm_leaves_small_arrays_alone():
    arrays = [mx.nd.array([0.1, 0.2])]
    norm = utils.clip_global_norm(arrays, 2.0, check_isfinite=False)
    assert isinstance(norm, mx.nd.NDArray) and norm.shape == (1,)
    assert norm.asscalar() == pytest.approx(math.sqrt(0.05))
    np.testing.assert_array_equal(arrays[0].asnumpy(), np.array([0.1, 0.2], np.float32))


def test_clip_global_norm_over_contexts_and_dtypes():
    arrays = [mx.nd.array([3.], ctx=mx.cpu(0)), mx.nd.array([4.], ctx=mx.cpu(1), dtype='float64')]
    assert utils.clip_global_norm(arrays, 1.0) == pytest.approx(5.0)
    assert arrays[1].context == mx.cpu(1) and arrays[1].dtype == np.float64
    assert arrays[0].asscalar() == pytest.approx(0.6) and arrays[1].asscalar() == pytest.approx(0.8)


def test_clip_global_norm_warns_about_nan():
    arrays = [mx.nd.array([np.nan, 1.])]
    with pytest.warns(UserWarning, match='nan or inf is detected'):
        norm = utils.clip_global_norm(arrays, 1.0)
    assert math.isnan(norm)
    with warnings.catch_warnings(), np.errstate(invalid='ignore'):  # inf * 0 is NaN
        warnings.simplefilter('error', UserWarning)  # no check, no warning
        utils.clip_global_norm([mx.nd.array([np.inf])], 1.0, check_isfinite=False)
    with pytest.raises(AssertionError):
        utils.clip_global_norm([], 1.0)


def test_check_sha1_and_download_are_available(tmp_path):
    path = tmp_path / 'data.bin'
    path.write_bytes(b'd2lmini')
    digest = hashlib.sha1(b'd2lmini').hexdigest()
    assert utils.check_sha1(str(path), digest)
    assert not utils.check_sha1(str(path), '0' * 40)
    assert utils.download is download_module.download
    copy = utils.download('file://' + str(path), path=str(tmp_path / 'copy.bin'),
                          sha1_hash=digest, progress=False)
    assert open(copy, 'rb').read() == b'd2lmini'
