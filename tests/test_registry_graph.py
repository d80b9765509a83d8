"""Walk the registry as a graph compiler sees it: for every operator and every sample
case, what the operator declares without running (output shapes, dtypes, the shapes
of weights from the data's, its attributes as strings) must agree with what it
computes, and a graph of one node must compute what the eager call computes."""
import json

import numpy as np
import pytest

import d2lmini as mx
from d2lmini.ops import OPS
from d2lmini.ops.registry import format_attr
from d2lmini.ndarray.ndarray import invoke, invoke_nullary
from d2lmini.symbol.symbol import _call as sym_call
from op_samples import all_cases

CASES = all_cases()
UNIQUE = {}
for _name, _op in OPS.items():
    UNIQUE.setdefault(_op.name, _op)


def _params():
    for name, op in sorted(UNIQUE.items()):
        cases = next((CASES[n] for n, o in OPS.items() if o is op and n in CASES), [])
        for i, case in enumerate(cases):
            yield pytest.param(op, case, id=f'{name}-{i}')


def _eager(op, case, arrays):
    if case.seed is not None:
        mx.random.seed(case.seed)
    with mx.autograd.train_mode() if case.train else mx.autograd.predict_mode():
        if case.ctx_free:
            out = invoke_nullary(op, mx.cpu(), case.attrs)
        else:
            out = invoke(op, tuple(mx.nd.array(a, dtype=a.dtype) for a in arrays), case.attrs)
    return [out] if isinstance(out, mx.nd.NDArray) else list(out)


def _one_node(op, case, n_inputs):
    """A graph of one node whose inputs are variables in0, in1, ..."""
    names = [f'in{i}' for i in range(n_inputs)]
    inputs = [mx.sym.var(n) for n in names]
    attrs = dict(case.attrs)
    if op.variadic:
        return sym_call(op.name, tuple(inputs), attrs), names
    used = op.used_inputs(attrs)
    kwargs = {used[i]: s for i, s in enumerate(inputs)}
    return sym_call(op.name, (), dict(attrs, **kwargs)), names


@pytest.mark.parametrize('op,case', list(_params()))
def test_declarations_match_computation(op, case):
    rng = np.random.default_rng(0)
    arrays = [] if case.ctx_free else case.make_inputs(rng)
    want = _eager(op, case, arrays)
    net, names = _one_node(op, case, len(arrays))
    assert len(net) == len(want), 'visible outputs: declared and computed counts differ'

    # shapes forward: outputs from every input's shape
    shapes = {n: a.shape for n, a in zip(names, arrays)}
    arg_shapes, out_shapes, _ = net.infer_shape_partial(**shapes)
    if case.value_shaped:   # what the values decide is declared unknown (0)
        assert [tuple(d or w_d for d, w_d in zip(s, w.shape)) for s, w in
                zip(out_shapes, want)] == [w.shape for w in want]
        assert all(len(s) == w.ndim for s, w in zip(out_shapes, want))
    else:
        assert [tuple(s) for s in out_shapes] == [w.shape for w in want]

    # dtypes: declared output dtypes are the computed ones
    types = {n: a.dtype for n, a in zip(names, arrays)
             if a.dtype.name in mx.base.DTYPES}
    if len(types) == len(arrays):
        _, out_types, _ = net.infer_type(**types)
        assert [np.dtype(t) for t in out_types] == [w.dtype for w in want]

    # shapes backward: an operator with weights infers them from the data alone, and
    # the operator accepts what was inferred
    if op.param_shapes is not None and arrays and not op.variadic:
        partial, _, aux = net.infer_shape_partial(**{names[0]: arrays[0].shape})
        inferred = dict(zip(net.list_arguments(), partial))
        inferred.update(zip(net.list_auxiliary_states(), aux))
        in_shapes = [tuple(inferred[n]) or a.shape for n, a in zip(names, arrays)]
        assert op.infer_shape(in_shapes, **case.attrs)[:len(want)] == [w.shape for w in want]
        for n, a in zip(names[1:], arrays[1:]):
            assert inferred[n], f'{n} was not inferred'

    # attributes survive their string form (the JSON graph file); values that no file
    # can hold (index keys of the internal indexing operators) are refused clearly.
    # Control-flow nodes hold subgraphs, which MXNet's JSON stores beside the
    # attributes: the graph read back must write the same file again.
    if 'program' in case.attrs:
        again = mx.sym.fromjson(net.tojson())
        assert mx.sym.fromjson(again.tojson()).tojson() == again.tojson()
    elif not all(_literal(v) for v in case.attrs.values()):
        with pytest.raises(mx.MXNetError, match='cannot be written into a graph file'):
            net.tojson()
    else:
        again = mx.sym.fromjson(net.tojson())
        node = again._entries[0][0]
        expected = {k: _typed(op, k, v) for k, v in case.attrs.items()}
        if op.variadic and 'num_args' in op.defaults:
            expected.setdefault('num_args', len(arrays))
        assert node.attrs == expected
        assert mx.sym.fromjson(again.tojson()).tojson() == again.tojson()

    # one node run as a graph gives the eager result
    if not (case.ctx_free and op.random):
        args = {n: mx.nd.array(a, dtype=a.dtype) for n, a in zip(names, arrays)}
        if case.seed is not None:
            mx.random.seed(case.seed)
        got = net.bind(mx.cpu(), {k: args[k] for k in net.list_arguments()},
                       grad_req='null',
                       aux_states={k: args[k] for k in net.list_auxiliary_states()}
                       ).forward(is_train=case.train)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g.asnumpy(), w.asnumpy(), rtol=1e-6, atol=1e-6)


def _literal(value):
    if isinstance(value, (tuple, list)):
        return all(_literal(v) for v in value)
    return value is None or isinstance(value, (bool, int, float, str, np.generic, type))


def _typed(op, key, value):
    """What an attribute reads back as: lists as tuples, dtypes by name, an integer
    given for a shape as a 1-tuple."""
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, type) or isinstance(value, np.dtype):
        return format_attr(value)
    if op.attr_types.get(key) == 'shape' and isinstance(value, int):
        return (value,)
    return value


def test_calling_convention_is_the_registry_s():
    """``nd``, ``sym`` and the registry bind arguments the same way."""
    op = OPS['FullyConnected']
    inputs, attrs, name = op.bind(('x', 'w'), {'num_hidden': 3, 'no_bias': True, 'name': 'fc'})
    assert (inputs, attrs, name) == (['x', 'w'], {'num_hidden': 3, 'no_bias': True}, 'fc')
    inputs, attrs, _ = op.bind(('x', 'w', 'b', 3), {})
    assert inputs == ['x', 'w', 'b'] and attrs == {'num_hidden': 3}
    with pytest.raises(TypeError, match='twice'):
        op.bind(('x',), {'data': 'y'})
    with pytest.raises(TypeError, match='unknown argument'):
        op.bind(('x',), {'num_hiden': 3})
    net = mx.sym.FullyConnected(mx.sym.var('x'), num_hidden=3, no_bias=True, name='fc')
    assert net.list_arguments() == ['x', 'fc_weight']


def test_impure_operators_are_declared():
    """Passes that fold or merge nodes read these declarations."""
    assert OPS['Dropout'].random and OPS['Dropout'].train_mode
    assert OPS['BatchNorm'].train_mode and OPS['BatchNorm'].aux_inputs == ('moving_mean',
                                                                          'moving_var')
    assert all(OPS[n].random for n in ('_random_uniform', '_sample_normal', '_shuffle'))
    assert not OPS['exp'].random and not OPS['exp'].train_mode


def test_train_mode_reaches_the_operator_as_an_argument():
    x = mx.nd.ones((2, 4))
    with mx.autograd.train_mode():
        assert (mx.nd.Dropout(x, p=1.0).asnumpy() == 0).all()
        assert (mx.nd.Dropout(x, p=1.0, is_train=False).asnumpy() == 1).all()
    assert (mx.nd.Dropout(x, p=1.0, is_train=True).asnumpy() == 0).all()


def test_tape_state_sits_below_the_operators():
    """The operators read no global training flag and never import autograd."""
    import pathlib
    import d2lmini.ops
    for path in pathlib.Path(d2lmini.ops.__file__).parent.glob('*.py'):
        text = path.read_text()
        assert 'import autograd' not in text and 'autograd import' not in text, path.name
        assert 'is_training()' not in text, path.name


@pytest.mark.parametrize('make', [
    lambda: mx.sym.FullyConnected(mx.sym.var('x')),
    lambda: mx.sym.Convolution(mx.sym.var('x'), kernel=(3, 3)),
    lambda: mx.nd.FullyConnected(mx.nd.ones((2, 3)), mx.nd.ones((4, 3)), mx.nd.zeros(4)),
    lambda: mx.nd.one_hot(mx.nd.array([1])),
    lambda: mx.sym.slice_axis(mx.sym.var('x'), axis=0, begin=0),
])
def test_a_required_attribute_is_refused_when_left_out(make):
    # as MXNet 1.x: when the call is made, by every front end (``end=None`` given is
    # fine, leaving it out is not)
    with pytest.raises(mx.MXNetError, match='required attribute'):
        make()
    assert mx.sym.slice_axis(mx.sym.var('x'), axis=0, begin=0, end=None) is not None
