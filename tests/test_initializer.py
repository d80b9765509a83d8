"""mx.init: dispatch by name, the registry and JSON forms, and each initializer's
values or statistics, checked against formulas worked out by hand."""
import json
import logging
import math
import warnings

import numpy as np
import pytest

import d2lmini as mx
from d2lmini import initializer as init
from d2lmini.gluon.parameter import Parameter, ParameterDict
from d2lmini.initializer import InitDesc


def fill(initializer, shape, name='fc_weight', attrs=None, dtype='float32'):
    """``initializer`` applied to a fresh array of ``shape`` called ``name``."""
    arr = mx.nd.zeros(shape, dtype=dtype) - 7  # a value no initializer writes
    initializer(InitDesc(name, attrs), arr)
    return arr.asnumpy()


class Recorder(init.Initializer):
    """Records which rule was called for which name (and leaves a mark)."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def _init_weight(self, name, arr):
        self.calls.append(('weight', str(name)))
        arr[:] = 42


# ------------------------------------------------------------------ InitDesc and dispatch
def test_initdesc_is_the_name_with_attributes():
    d = InitDesc('dense0_weight')
    assert isinstance(d, str) and d == 'dense0_weight' and d.endswith('weight')
    assert d.attrs == {} and d.global_init is None
    d = InitDesc('w', {'__init__': 'ones'}, global_init=init.Zero())
    assert d.attrs == {'__init__': 'ones'} and isinstance(d.global_init, init.Zero)


@pytest.mark.parametrize('name,expected', [
    ('dense0_weight', 42), ('dense0_bias', 0), ('batchnorm0_gamma', 1), ('batchnorm0_beta', 0),
    ('quant_min', 0), ('quant_max', 1)])
def test_name_suffix_chooses_the_rule(name, expected):
    rec = Recorder()
    np.testing.assert_array_equal(fill(rec, (2, 3), name), np.full((2, 3), expected))
    assert rec.calls == ([('weight', name)] if expected == 42 else [])


def test_unknown_suffix_is_an_error_naming_the_parameter():
    with pytest.raises(ValueError, match='running_thing'):
        fill(Recorder(), (2,), 'running_thing')


def test_init_attribute_overrides_the_suffix_rules():
    # the parameter's own initializer fills a "bias" with its weight rule
    np.testing.assert_array_equal(fill(Recorder(), (3,), 'fc_bias', {'__init__': 'ones'}),
                                  np.ones(3))
    rec = Recorder()
    np.testing.assert_array_equal(fill(init.Zero(), (3,), 'fc_bias', {'__init__': rec}),
                                  np.full(3, 42))
    assert rec.calls == [('weight', 'fc_bias')]
    # as JSON too
    np.testing.assert_array_equal(
        fill(init.Zero(), (2,), 'x', {'__init__': '["constant", {"value": 3}]'}), [3, 3])


def test_global_init_records_the_first_initializer_called():
    z = init.Zero()
    d = InitDesc('fc_weight')
    z(d, mx.nd.ones((2,)))
    assert d.global_init is z


def test_base_initializer_has_no_weight_rule():
    with pytest.raises(NotImplementedError):
        fill(init.Initializer(), (2,), 'fc_weight')


def test_plain_string_name_is_the_deprecated_form():
    arr = mx.nd.ones((2,))
    with pytest.warns(DeprecationWarning):
        init.One()('bn_moving_mean', arr)
    np.testing.assert_array_equal(arr.asnumpy(), [0, 0])
    with pytest.warns(DeprecationWarning):
        init.Zero()('bn_moving_var', arr)
    np.testing.assert_array_equal(arr.asnumpy(), [1, 1])
    with pytest.warns(DeprecationWarning), pytest.raises(TypeError, match='NDArray'):
        init.Zero()('fc_weight', np.zeros(2))


def test_user_subclass_writing_into_data_as_in_the_book(capsys):
    """A subclass overriding _init_weight(name, data) and assigning data[:] works with
    Gluon parameters; biases keep their own 'zeros' initializer."""
    class MyInit(init.Initializer):
        def _init_weight(self, name, data):
            print('Init', name, data.shape)
            data[:] = mx.nd.random.uniform(low=-10, high=10, shape=data.shape)
            data *= data.abs() >= 5

    params = ParameterDict('dense0_')
    w = params.get('weight', shape=(256, 20))
    b = params.get('bias', shape=(256,), init='zeros')
    params.initialize(MyInit())
    assert capsys.readouterr().out == 'Init dense0_weight (256, 20)\n'
    wv = w.data().asnumpy()
    assert np.all((wv == 0) | (np.abs(wv) >= 5)) and np.abs(wv).max() <= 10
    assert (wv == 0).mean() == pytest.approx(0.5, abs=0.05)  # |U(-10, 10)| < 5 half the time
    np.testing.assert_array_equal(b.data().asnumpy(), np.zeros(256))


def test_parameter_default_initializer_is_uniform_007():
    mx.random.seed(3)
    p = Parameter('fc_weight', shape=(100, 100))
    p.initialize()
    v = p.data().asnumpy()
    assert np.abs(v).max() <= 0.07 and np.abs(v).max() > 0.069


def test_gluon_constant_parameter():
    c = ParameterDict('blk_').get_constant('const', [[1, 2], [3, 4]])
    c.initialize()
    np.testing.assert_array_equal(c.data().asnumpy(), [[1, 2], [3, 4]])


# ------------------------------------------------------------------ registry, create, dumps
def test_create_from_instance_name_alias_json_and_dict():
    x = init.Xavier()
    assert init.create(x) is x
    assert type(init.create('zeros')) is init.Zero and type(init.create('Zero')) is init.Zero
    assert type(init.create('ones')) is init.One
    n = init.create('normal', sigma=0.5)
    assert type(n) is init.Normal and n.sigma == 0.5
    assert init.create('uniform', 0.3).scale == 0.3
    xv = init.create('["xavier", {"magnitude": 2}]')
    assert type(xv) is init.Xavier and xv.magnitude == 2.0 and xv.rnd_type == 'uniform'
    assert init.create('{"initializer": "normal", "sigma": 0.2}').sigma == 0.2
    assert init.create({'initializer': 'constant', 'value': 4}).value == 4
    assert init.create(initializer='msraprelu', slope=0.0).magnitude == 2.0


def test_create_errors():
    with pytest.raises(ValueError, match='nope is not a registered initializer'):
        init.create('nope')
    with pytest.raises(TypeError, match='got int'):
        init.create(3)
    with pytest.raises(ValueError, match='extra arguments'):
        init.create(init.Zero(), 1)


@pytest.mark.parametrize('obj,expected', [
    (init.Uniform(), ['uniform', {'scale': 0.07}]),
    (init.Normal(0.5), ['normal', {'sigma': 0.5}]),
    (init.Xavier(factor_type='in', magnitude=2.34),
     ['xavier', {'rnd_type': 'uniform', 'factor_type': 'in', 'magnitude': 2.34}]),
    (init.MSRAPrelu(), ['msraprelu', {'factor_type': 'avg', 'slope': 0.25}]),
    (init.Orthogonal(), ['orthogonal', {'scale': 1.414, 'rand_type': 'uniform'}]),
    (init.Constant(2), ['constant', {'value': 2}]),
    (init.Constant(mx.nd.array([1, 2])), ['constant', {'value': [1.0, 2.0]}]),
    (init.Constant(np.array([[1, 2]])), ['constant', {'value': [[1, 2]]}]),
    (init.Zero(), ['zero', {}]), (init.One(), ['one', {}]), (init.Bilinear(), ['bilinear', {}]),
    (init.LSTMBias(), ['lstmbias', {'forget_bias': 1.0}])])
def test_dumps_and_round_trip(obj, expected):
    text = obj.dumps()
    assert json.loads(text) == expected
    again = init.create(text)
    assert type(again) is type(obj) and json.loads(again.dumps()) == expected


def test_equality_compares_type_and_arguments():
    assert init.Uniform() == init.Uniform(0.07)
    assert init.Uniform() != init.Uniform(0.1)
    assert init.Zero() != init.One()


def test_register_and_alias_decorators():
    before = dict(init._REGISTRY)
    try:
        _check_register_and_alias()
    finally:  # leave the registry as other tests expect it
        init._REGISTRY.clear()
        init._REGISTRY.update(before)


def _check_register_and_alias():
    @init.register
    @init.alias('halves_alias')
    class HalvesForTest(init.Initializer):
        def _init_weight(self, _, arr):
            arr[:] = 0.5

    assert type(init.create('halvesfortest')) is HalvesForTest
    np.testing.assert_array_equal(fill(init.Zero(), (2,), 'x', {'__init__': 'halves_alias'}),
                                  [0.5, 0.5])
    with pytest.warns(UserWarning, match='overriding'):
        init.register(init.One, 'halves_alias')
    with pytest.raises(TypeError, match='subclasses of Initializer'):
        init.register(int)


def test_set_verbosity_logs_each_array(caplog):
    with caplog.at_level(logging.INFO):
        init.One().set_verbosity(True)(InitDesc('fc_weight'), mx.nd.zeros((2, 2)))
        z = init.One().set_verbosity(True, print_func=lambda a: 'custom')
        z(InitDesc('fc_weight', {'__init__': 'zeros'}), mx.nd.zeros((2,)))
    assert [r.getMessage() for r in caplog.records] == [
        'Initialized fc_weight as weight: 1.0', 'Initialized fc_weight as zeros: custom']
    caplog.clear()
    with caplog.at_level(logging.INFO):
        init.One()(InitDesc('fc_weight'), mx.nd.zeros((2,)))
    assert not caplog.records


def test_parameterdict_verbose_sets_verbosity(caplog):
    params = ParameterDict('n_')
    params.get('weight', shape=(3, 3))
    with caplog.at_level(logging.INFO):
        params.initialize(init.One(), verbose=True)
    # root mean square of ones is 1; the parameter's init is the global one
    assert any('Initialized n_weight' in r.getMessage() and r.getMessage().endswith(': 1.0')
               for r in caplog.records)


# ------------------------------------------------------------------ constant initializers
def test_zero_one_constant():
    np.testing.assert_array_equal(fill(init.Zero(), (2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(fill(init.One(), (2, 3)), np.ones((2, 3)))
    np.testing.assert_array_equal(fill(init.Constant(2.5), (2, 3)), np.full((2, 3), 2.5))
    np.testing.assert_array_equal(fill(init.Constant(mx.nd.array([1, 2, 3])), (2, 3)),
                                  [[1, 2, 3], [1, 2, 3]])
    np.testing.assert_array_equal(fill(init.Constant([[1], [2]]), (2, 3)),
                                  [[1, 1, 1], [2, 2, 2]])


def test_initializers_keep_the_array_dtype():
    for i in (init.Uniform(), init.Normal(), init.Xavier(), init.Constant(1), init.Zero()):
        arr = mx.nd.zeros((4, 5), dtype='float64')
        i(InitDesc('fc_weight'), arr)
        assert arr.dtype == np.float64


# ------------------------------------------------------------------ random initializers
def test_uniform_bounds_and_variance():
    mx.random.seed(0)
    v = fill(init.Uniform(0.5), (300, 200))
    assert v.min() >= -0.5 and v.max() <= 0.5
    assert v.min() < -0.49 and v.max() > 0.49
    assert v.mean() == pytest.approx(0, abs=0.01)
    assert v.var() == pytest.approx(0.5 ** 2 / 3, rel=0.03)   # var of U(-a, a) is a^2 / 3


def test_normal_mean_and_std():
    mx.random.seed(0)
    v = fill(init.Normal(0.2), (300, 200))
    assert v.mean() == pytest.approx(0, abs=0.005)
    assert v.std() == pytest.approx(0.2, rel=0.02)
    assert fill(init.Normal(), (300, 200)).std() == pytest.approx(0.01, rel=0.02)


def test_random_initializers_follow_the_seed():
    for i in (init.Uniform(), init.Normal(), init.Xavier(), init.MSRAPrelu(), init.Orthogonal()):
        mx.random.seed(11)
        a = fill(i, (6, 4))
        mx.random.seed(11)
        b = fill(i, (6, 4))
        mx.random.seed(12)
        c = fill(i, (6, 4))
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)


@pytest.mark.parametrize('shape,fan_in,fan_out', [
    ((300, 200), 200, 300),                # dense weight (out, in)
    ((64, 32, 3, 3), 32 * 9, 64 * 9),      # convolution kernel (out, in, kh, kw)
    ((16, 8, 5), 8 * 5, 16 * 5)])          # 1-D convolution kernel
@pytest.mark.parametrize('factor_type', ['avg', 'in', 'out'])
def test_xavier_uniform_bound(shape, fan_in, fan_out, factor_type):
    mx.random.seed(1)
    n = {'avg': (fan_in + fan_out) / 2, 'in': fan_in, 'out': fan_out}[factor_type]
    bound = math.sqrt(3 / n)                              # magnitude 3
    v = fill(init.Xavier(factor_type=factor_type), shape)
    assert np.abs(v).max() <= bound * (1 + 1e-6)
    assert np.abs(v).max() > 0.98 * bound
    assert v.var() == pytest.approx(bound ** 2 / 3, rel=0.1)


def test_xavier_gaussian_std_and_magnitude():
    mx.random.seed(2)
    v = fill(init.Xavier(rnd_type='gaussian', factor_type='in', magnitude=2), (300, 200))
    assert v.std() == pytest.approx(math.sqrt(2 / 200), rel=0.02)
    assert v.mean() == pytest.approx(0, abs=0.002)


def test_xavier_errors():
    with pytest.raises(ValueError, match='fc_bias.*at least 2D'):
        init.Xavier()(InitDesc('fc_bias', {'__init__': 'xavier'}), mx.nd.zeros((3,)))
    with pytest.raises(ValueError, match='factor_type'):
        init.Xavier(factor_type='mean')
    with pytest.raises(ValueError, match='rnd_type'):
        init.Xavier(rnd_type='normal')


@pytest.mark.parametrize('slope,factor_type,n', [(0.25, 'avg', 250), (0.0, 'in', 200),
                                                 (1.0, 'out', 300)])
def test_msraprelu_std(slope, factor_type, n):
    mx.random.seed(4)
    v = fill(init.MSRAPrelu(factor_type=factor_type, slope=slope), (300, 200))
    assert v.std() == pytest.approx(math.sqrt(2 / ((1 + slope ** 2) * n)), rel=0.02)


@pytest.mark.parametrize('rand_type', ['uniform', 'normal'])
@pytest.mark.parametrize('shape', [(3, 5), (5, 3), (4, 4), (2, 3, 2, 2)])
def test_orthogonal(shape, rand_type):
    v = fill(init.Orthogonal(scale=2.0, rand_type=rand_type), shape)
    m = v.reshape(shape[0], -1)
    small = min(m.shape)
    gram = m @ m.T if m.shape[0] == small else m.T @ m     # the short side is orthonormal
    np.testing.assert_allclose(gram, 4.0 * np.eye(small), atol=1e-5)


def test_orthogonal_bad_rand_type():
    with pytest.raises(ValueError, match='rand_type'):
        init.Orthogonal(rand_type='gaussian')


# ------------------------------------------------------------------ special purpose
def test_bilinear_kernel_by_hand():
    # width 4: f = 2, c = 3/4, tent(x) = 1 - |x/2 - 3/4| = [1/4, 3/4, 3/4, 1/4]
    tent4 = np.array([0.25, 0.75, 0.75, 0.25])
    v = fill(init.Bilinear(), (2, 3, 4, 4), 'up_weight')
    for o in range(2):
        for i in range(3):
            np.testing.assert_allclose(v[o, i], np.outer(tent4, tent4))
    # width 5: f = 3, c = 2/3, tent = 1 - |x/3 - 2/3| = [1/3, 2/3, 1, 2/3, 1/3]; the
    # height-3 axis uses the same f and c: [1/3, 2/3, 1]
    tent5 = np.array([1, 2, 3, 2, 1]) / 3
    np.testing.assert_allclose(fill(init.Bilinear(), (1, 1, 3, 5))[0, 0],
                               np.outer(tent5[:3], tent5), rtol=1e-6)
    with pytest.raises(ValueError, match='4-D'):
        fill(init.Bilinear(), (4, 4))


def test_lstm_bias_sets_the_forget_gate():
    v = fill(init.LSTMBias(forget_bias=2.5), (12,), 'lstm0_i2h_bias', {'__init__': 'lstmbias'})
    np.testing.assert_array_equal(v, [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])  # default 1.0
    v = fill(init.Zero(), (12,), 'lstm0_i2h_bias', {'__init__': init.LSTMBias(2.5)})
    np.testing.assert_array_equal(v, [0, 0, 0, 2.5, 2.5, 2.5, 0, 0, 0, 0, 0, 0])


def test_mixed_chooses_by_pattern():
    mixed = init.Mixed(['.*bias', '.*'], [init.Zero(), 'ones'])
    np.testing.assert_array_equal(fill(mixed, (2,), 'fc_bias'), [0, 0])
    np.testing.assert_array_equal(fill(mixed, (2,), 'fc_weight'), [1, 1])
    # through Gluon: the parameter's initializer is the Mixed one
    params = ParameterDict('m_')
    w, b = params.get('weight', shape=(2, 2)), params.get('bias', shape=(2,))
    params.initialize(init.Mixed(['.*weight', '.*bias'], [init.Constant(3), init.Constant(4)]))
    np.testing.assert_array_equal(w.data().asnumpy(), np.full((2, 2), 3))
    np.testing.assert_array_equal(b.data().asnumpy(), [4, 4])
    again = init.create(mixed.dumps())
    np.testing.assert_array_equal(fill(again, (2,), 'fc_weight'), [1, 1])


def test_mixed_errors():
    with pytest.raises(ValueError, match='did not match any pattern'):
        fill(init.Mixed(['.*bias'], [init.Zero()]), (2,), 'fc_weight')
    with pytest.raises(ValueError, match='in pairs'):
        init.Mixed(['a', 'b'], [init.Zero()])


def test_subclass_without_super_init_still_works():
    class Bare(init.Initializer):
        def __init__(self):  # forgets super().__init__()
            pass

        def _init_weight(self, _, arr):
            arr[:] = 5

    with warnings.catch_warnings():
        warnings.simplefilter('error')
        np.testing.assert_array_equal(fill(Bare(), (2,)), [5, 5])
    assert json.loads(Bare().dumps()) == ['bare', {}]


@pytest.mark.gpu
def test_initializers_fill_gpu_arrays_in_place():
    for i, check in [(init.Uniform(0.5), lambda v: np.abs(v).max() <= 0.5),
                     (init.Xavier(), lambda v: np.abs(v).max() <= math.sqrt(6 / 50)),
                     (init.Orthogonal(scale=1), lambda v: np.allclose(v @ v.T, np.eye(20),
                                                                      atol=1e-5)),
                     (init.Bilinear(), lambda v: True), (init.Constant(2), lambda v: v.max() == 2)]:
        shape = (20, 30, 4, 4) if isinstance(i, init.Bilinear) else (20, 30)
        arr = mx.nd.zeros(shape, ctx=mx.gpu(0))
        i(InitDesc('fc_weight'), arr)
        assert arr.context == mx.gpu(0)
        v = arr.asnumpy()
        assert check(v) and np.abs(v).max() > 0
