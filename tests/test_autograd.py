"""autograd: scopes, leaves and grad_req, backward and grad (with higher orders),
custom Functions, and in-place updates while recording."""
import math

import numpy as np
import pytest

import d2lmini as mx
from d2lmini import autograd as ag, nd


def values(a):
    return a.asnumpy().tolist()


def leaf(vals, grad_req='write'):
    x = nd.array(vals)
    x.attach_grad(grad_req)
    return x


# ------------------------------------------------------------------ scopes
def _state():
    return ag.is_recording(), ag.is_training()


def test_scopes_set_recording_and_training():
    assert _state() == (False, False)
    seen = []
    with ag.record():
        seen.append(_state())
        with ag.pause():
            seen.append(_state())
        with ag.pause(train_mode=True):
            seen.append(_state())
        with ag.predict_mode():
            seen.append(_state())
        seen.append(_state())
    with ag.record(train_mode=False):
        seen.append(_state())
        with ag.train_mode():
            seen.append(_state())
    with ag.train_mode():
        seen.append(_state())
    with ag.predict_mode():
        seen.append(_state())
    assert seen == [(True, True), (False, False), (False, True), (True, False), (True, True),
                    (True, False), (True, True), (False, True), (False, False)]
    assert _state() == (False, False)


def test_scope_restores_after_an_error():
    with pytest.raises(ZeroDivisionError):
        with ag.record():
            1 / 0
    assert _state() == (False, False)


def test_set_recording_and_set_training_return_the_previous_state():
    try:
        assert ag.set_recording(True) is False
        assert ag.is_recording()
        assert ag.set_recording(False) is True
        assert ag.set_training(True) is False
        assert ag.set_training(False) is True
    finally:
        ag.set_recording(False)
        ag.set_training(False)
    assert _state() == (False, False)


def test_pause_stops_recording_inside_record():
    x = leaf([1., 2.])
    with ag.record():
        y = x * 2
        with ag.pause():
            z = y * 3          # a constant as far as the gradient goes
        w = z * x
    w.backward()
    assert values(x.grad) == [6., 12.]


# ------------------------------------------------------------------ grad_req and .grad
def _twice(x):
    for _ in range(2):
        with ag.record():
            y = x * x
        y.backward()


def test_grad_req_write_overwrites():
    x = leaf([1., 2., 3.])
    assert values(x.grad) == [0., 0., 0.] and x.grad.dtype is np.float32
    _twice(x)
    assert values(x.grad) == [2., 4., 6.]


def test_grad_req_add_accumulates():
    x = leaf([1., 2., 3.], 'add')
    _twice(x)
    assert values(x.grad) == [4., 8., 12.]


def test_grad_req_null_means_no_gradient():
    x = leaf([1., 2., 3.], 'null')
    with ag.record():
        y = x * x
    with pytest.raises(mx.MXNetError, match='not in a computational graph'):
        y.backward()


def test_bad_grad_req():
    with pytest.raises(ValueError, match="'foo'"):
        nd.ones((2,)).attach_grad('foo')


def test_grad_buffer_is_the_same_array_across_backward_calls():
    x = leaf([1., 2., 3.])
    g = x.grad
    _twice(x)
    assert x.grad is g
    assert values(g) == [2., 4., 6.]   # an optimizer holding g sees every new gradient


def test_grad_has_the_dtype_and_context_of_the_array():
    x = nd.array([1., 2.], dtype='float64', ctx=mx.cpu(1))
    x.attach_grad()
    assert x.grad.dtype is np.float64 and x.grad.context == mx.cpu(1)


def test_attach_grad_again_gives_a_fresh_leaf():
    x = leaf([1., 2.])
    with ag.record():
        y = x * 2
    x.attach_grad()          # the graph recorded before no longer leads to x.grad
    y.backward()
    assert values(x.grad) == [0., 0.]


def test_intermediate_arrays_have_no_grad():
    x = leaf([1., 2.])
    with ag.record():
        y = x * 2
    assert y.grad is None and x.detach().grad is None


# ------------------------------------------------------------------ backward
def test_backward_with_out_grad():
    x = leaf([1., 2., 3.])
    with ag.record():
        y = x * 2
    y.backward(nd.array([1., 10., 100.]))
    assert values(x.grad) == [2., 20., 200.]


def test_backward_out_grad_of_the_wrong_shape():
    x = leaf([1., 2.])
    with ag.record():
        y = x * 2
    with pytest.raises(mx.MXNetError, match=r'\(3,\).*\(2,\)'):
        y.backward(nd.ones((3,)))


def test_second_backward_without_retain_graph_is_refused():
    x = leaf([1., 2., 3.])
    with ag.record():
        y = x * x
    y.backward()
    with pytest.raises(mx.MXNetError, match='retain_graph=True'):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = leaf([1., 2., 3.], 'add')
    with ag.record():
        y = x * x
    y.backward(retain_graph=True)
    y.backward()
    assert values(x.grad) == [4., 8., 12.]


@pytest.mark.parametrize('where', ['not recorded', 'no leaf', 'null leaf'])
def test_backward_on_an_array_outside_any_graph(where):
    x = nd.array([1., 2.])
    if where == 'not recorded':
        x.attach_grad()
        y = x * 2
    else:
        if where == 'null leaf':
            x.attach_grad('null')
        with ag.record():
            y = x * 2
    with pytest.raises(mx.MXNetError, match='attach_grad.*record'):
        y.backward()


def test_backward_on_a_leaf_gives_ones():
    x = leaf([1., 2.])
    x.backward()
    assert values(x.grad) == [1., 1.]


def test_variables_the_head_does_not_reach_keep_their_gradient():
    x, z = leaf([1., 2.]), leaf([5., 6.])
    z.grad[:] = 7
    with ag.record():
        y = x * 2
    y.backward()
    assert values(x.grad) == [2., 2.] and values(z.grad) == [7., 7.]


def test_backward_through_a_shared_subexpression():
    x = leaf([1., 2.])
    with ag.record():
        y = x * x
        z = y + y * 3           # 4 x^2
    z.backward()
    assert values(x.grad) == [8., 16.]


def test_autograd_backward_with_several_heads():
    x = leaf([1., 2., 3.])
    with ag.record():
        y, z = x * 2, x * 3
    ag.backward([y, z])
    assert values(x.grad) == [5., 5., 5.]
    with ag.record():
        y, z = x * 2, x * 3
    ag.backward([y, z], [nd.ones((3,)), nd.ones((3,)) * 2])
    assert values(x.grad) == [8., 8., 8.]
    with ag.record():
        y = x * 2
    ag.backward(y)
    assert values(x.grad) == [2., 2., 2.]
    with ag.record():
        y, z = x * 2, x * 3
    with pytest.raises(ValueError, match='2 heads but 1'):
        ag.backward([y, z], [nd.ones((3,))])


def test_backward_gradients_through_copies_and_casts():
    x = nd.array([1., 2.], dtype='float64')
    x.attach_grad()
    with ag.record():
        y = x.astype('float32') * 2
    y.backward()
    assert x.grad.dtype is np.float64 and values(x.grad) == [2., 2.]
    x = leaf([1., 2.])
    for move in (lambda a: a.copyto(mx.cpu(1)), lambda a: a.as_in_context(mx.cpu(1)),
                 lambda a: a.copy()):
        with ag.record():
            y = move(x) * 3
        y.backward()
        assert x.grad.context == mx.cpu() and values(x.grad) == [3., 3.]


def test_reshape_method_gradient():
    x = leaf([1., 2., 3., 4., 5., 6.])
    with ag.record():
        y = x.reshape((2, 3)) * nd.array([[1., 2., 3.]])
        z = x.reshape(2, -1).reshape(shape=(-1,))          # a view of a view
    ag.backward([y, z])
    assert values(x.grad) == [2., 3., 4., 2., 3., 4.]


def test_indexing_gradients():
    x = leaf([1., 2., 3.])
    with ag.record():
        y = x[1:] * 2            # a view
        z = x[[0, 0]]            # repeated positions add up
        w = x[2]
    ag.backward([y, z, w])
    assert values(x.grad) == [2., 2., 3.]


def test_detach_and_block_grad_stop_the_gradient():
    x = leaf([1., 2.])
    with ag.record():
        y = x * 2
        z = y.detach() * x
    z.backward()
    assert values(x.grad) == [2., 4.]
    with ag.record():
        z = nd.BlockGrad(x * 2) * x
    z.backward()
    assert values(x.grad) == [2., 4.]
    d = x.detach()
    d[0] = 9                     # detach shares memory, as in MXNet
    assert values(x) == [9., 2.]


def test_backward_in_predict_mode():
    seen = []

    class Probe(ag.Function):
        def forward(self, a):
            return a * 1

        def backward(self, dy):
            seen.append(ag.is_training())
            return dy
    x = leaf([1.])
    for train in (True, False):
        with ag.record():
            y = Probe()(x)
        y.backward(train_mode=train)
    assert seen == [True, False]


# ------------------------------------------------------------------ autograd.grad
def test_grad_returns_a_list_and_leaves_dot_grad_alone():
    x = leaf([2.])
    with ag.record():
        y = x ** 3
    g = ag.grad(y, [x], retain_graph=True)
    assert isinstance(g, list) and len(g) == 1 and values(g[0]) == [12.]
    g = ag.grad(y, x, head_grads=nd.array([10.]))
    assert isinstance(g, list) and values(g[0]) == [120.]
    assert values(x.grad) == [0.]


def test_grad_frees_the_graph_unless_retained():
    x = leaf([2.])
    with ag.record():
        y = x ** 3
    ag.grad(y, [x])
    with pytest.raises(mx.MXNetError, match='retain_graph'):
        ag.grad(y, [x])


def test_grad_of_a_variable_the_head_does_not_reach_is_zero():
    x, z = leaf([1., 2.]), leaf([3., 4.])
    with ag.record():
        y = x * 2
    gx, gz = ag.grad(y, [x, z])
    assert values(gx) == [2., 2.] and values(gz) == [0., 0.]


def test_grad_of_a_variable_outside_the_graph_is_refused():
    x = leaf([1., 2.])
    with ag.record():
        y = x * 2
    with pytest.raises(mx.MXNetError, match='variable 1'):
        ag.grad(y, [x, nd.ones((2,))])


def test_grad_with_a_variable_listed_twice():
    x = leaf([1., 2.])
    with ag.record():
        y = x * 3
    g1, g2 = ag.grad(y, [x, x])
    assert values(g1) == values(g2) == [3., 3.]


def test_grad_does_not_hand_back_the_head_gradient_itself():
    x = leaf([1., 2.])
    hg = nd.array([1., 1.])
    with ag.record():
        y = x + 1                 # passes the head gradient straight through
    g = ag.grad(y, [x], head_grads=hg)[0]
    g[:] = 5
    assert values(hg) == [1., 1.]


def test_grad_with_respect_to_an_intermediate_array():
    x = leaf([1., 2.])
    with ag.record():
        h = x * 3
        y = h * h
    gh, gx = ag.grad(y, [h, x])
    assert values(gh) == [6., 12.] and values(gx) == [18., 36.]


def test_third_derivative_of_x_cubed():
    x = leaf([2., -1.])
    with ag.record():
        y = x ** 3
        d1 = ag.grad(y, [x], create_graph=True)[0]      # 3 x^2
        d2 = ag.grad(d1, [x], create_graph=True)[0]     # 6 x
    d2.backward()                                        # 6
    assert values(d1) == [12., 3.] and values(d2) == [12., -6.]
    assert values(x.grad) == [6., 6.]


def test_second_derivative_of_tanh():
    v = np.array([0.5, -1.])
    x = leaf(v)
    with ag.record():
        y = nd.tanh(x)
        g = ag.grad(y, [x], create_graph=True)[0]
    g.backward()
    t = np.tanh(v)
    np.testing.assert_allclose(values(g), 1 - t ** 2, rtol=1e-6)
    np.testing.assert_allclose(values(x.grad), -2 * t * (1 - t ** 2), rtol=1e-6)


def test_mixed_second_derivative():
    x, w = leaf([2.]), leaf([3.])
    with ag.record():
        y = x * x * w                                    # dy/dx = 2 x w
        gx = ag.grad(y, [x], create_graph=True)[0]
    gx.backward()                                        # d/dx = 2 w, d/dw = 2 x
    assert values(x.grad) == [6.] and values(w.grad) == [4.]


def test_gradient_without_create_graph_is_a_constant():
    x = leaf([2.])
    with ag.record():
        y = x ** 3
        g = ag.grad(y, [x])[0]
        z = g * x                                        # 12 x, g taken as a constant
    z.backward()
    assert values(x.grad) == [12.]


# ------------------------------------------------------------------ mark_variables
def test_mark_variables_writes_into_the_given_buffers():
    x, g = nd.array([1., 2.]), nd.zeros((2,))
    ag.mark_variables([x], [g])
    with ag.record():
        y = x * x
    y.backward()
    assert values(g) == [2., 4.] and x.grad is g


def test_mark_variables_single_array_and_add():
    x, g = nd.array([1., 2.]), nd.ones((2,))
    ag.mark_variables(x, g, 'add')
    with ag.record():
        y = x * x
    y.backward()
    assert values(g) == [3., 5.]
    with pytest.raises(ValueError, match="'sometimes'"):
        ag.mark_variables([x], [g], ['sometimes'])


# ------------------------------------------------------------------ custom Function
class Sigmoid(ag.Function):
    def forward(self, x):
        self.recording_in_forward = ag.is_recording()
        y = 1 / (1 + nd.exp(-x))
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        y, = self.saved_tensors
        return dy * y * (1 - y)


class ProductAndSum(ag.Function):
    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a * b, a + b

    def backward(self, dprod, dsum):
        a, b = self.saved_tensors
        return dprod * b + dsum, dprod * a + dsum


def test_custom_function():
    x = leaf([0., 1.])
    f = Sigmoid()
    with ag.record():
        y = f(x)
        z = y * 2
    z.backward()
    s = 1 / (1 + math.exp(-1))
    np.testing.assert_allclose(values(y), [0.5, s], rtol=1e-6)
    np.testing.assert_allclose(values(x.grad), [0.5, 2 * s * (1 - s)], rtol=1e-6)
    assert f.recording_in_forward is False


def test_custom_function_with_two_inputs_and_outputs():
    a, b = leaf([1., 2.]), leaf([3., 4.])
    with ag.record():
        p, q = ProductAndSum()(a, b)
        z = p + q * 10
    z.backward()
    assert values(p) == [3., 8.] and values(q) == [4., 6.]
    assert values(a.grad) == [13., 14.] and values(b.grad) == [11., 12.]
    with ag.record():
        p, q = ProductAndSum()(a, b)
    p.backward()                 # the unused output's gradient is zero
    assert values(a.grad) == [3., 4.] and values(b.grad) == [1., 2.]


def test_custom_function_outside_record():
    y = Sigmoid()(nd.array([0.]))
    assert values(y) == [0.5]


def test_custom_function_returning_its_input():
    class Triple(ag.Function):
        def forward(self, a):
            return a

        def backward(self, dy):
            return dy * 3
    a = leaf([1., 2.])
    with ag.record():
        p = Triple()(a)
        q = p * 1
    q.backward()
    assert values(a.grad) == [3., 3.] and p is not a


def test_custom_function_with_wrong_number_of_gradients():
    class Bad(ag.Function):
        def forward(self, a, b):
            return a * b

        def backward(self, dy):
            return dy
    a, b = leaf([1.]), leaf([2.])
    with ag.record():
        p = Bad()(a, b)
    with pytest.raises(mx.MXNetError, match='Bad.backward returned 1 gradients for 2 inputs'):
        p.backward()


def _function_returning(grads):
    class Wrong(ag.Function):
        def forward(self, a, b):
            return a * b

        def backward(self, dy):
            return grads(dy)
    return Wrong


@pytest.mark.parametrize('grads, message', [
    (lambda dy: (dy, nd.ones((2,))), r'Wrong.backward returned a gradient of shape \(2,\) for '
                                    r'input 1, which has shape \(3,\)'),
    (lambda dy: (dy, nd.ones((3, 2))), r'shape \(3, 2\) for input 1, which has shape \(3,\)'),
    (lambda dy: dy, r'Wrong.backward returned 1 gradients for 2 inputs \(of shapes \(3,\), '
                    r'\(3,\)\)'),
    (lambda dy: (dy, dy, dy), 'Wrong.backward returned 3 gradients for 2 inputs'),
    (lambda dy: None, r'Wrong.backward returned None; it must return one NDArray per input '
                      r'of forward, here 2 of shapes \(3,\), \(3,\)'),
    (lambda dy: (dy, None), r'Wrong.backward returned None as the gradient of input 1 '
                            r'\(shape \(3,\)\).*zeros_like'),
    (lambda dy: (dy, 2.0), 'Wrong.backward returned a float as the gradient of input 1'),
    (lambda dy: 5, 'Wrong.backward returned an int'),
])
def test_custom_function_with_wrong_gradients_names_it(grads, message):
    a, b = leaf([1., 2., 3.]), leaf([4., 5., 6.])
    with ag.record():
        p = _function_returning(grads)()(a, b)
    with pytest.raises(mx.MXNetError, match=message):
        p.backward()


def test_custom_function_gradient_that_broadcasts_is_broadcast():
    # MXNet 1.9.1 assigns the gradient into the input's (igrad[:] = ret): a (1,)
    # gradient broadcasts, a float64 one is converted
    a, b = leaf([1., 2., 3.]), leaf([4., 5., 6.])
    with ag.record():
        p = _function_returning(lambda dy: (nd.ones((1,)) * 7, dy.astype('float64')))()(a, b)
    p.backward()
    assert values(a.grad) == [7., 7., 7.] and values(b.grad) == [1., 1., 1.]
    assert b.grad.dtype is np.float32


# ------------------------------------------------------------------ in place while recording
def _grads(body):
    """Output and gradients of ``body(x, w)`` recorded and differentiated."""
    x, w = leaf([1., 2., 3.]), leaf([4., 5., 6.])
    with ag.record():
        out = body(x, w)
    out.backward()
    return values(out), values(x.grad), values(w.grad)


def _plus_eq(x, w):
    y = x * w
    y += x
    return y * y


def _plus(x, w):
    y = x * w + x
    return y * y


def _times_eq(x, w):
    y = x * w
    y *= x
    return y * x


def _times(x, w):
    return x * w * x * x


def _div_eq(x, w):
    y = x * 1
    y /= w
    y -= w * 2
    return y


def _div(x, w):
    return x / w - w * 2


def _set_all(x, w):
    y = x * w
    y[:] = x * 3
    return y * w


def _set_all_out_of_place(x, w):
    return x * 3 * w


def _set_slice(x, w):
    y = x * w
    y[1:2] = x[0:1] * 10
    return y * w


def _set_slice_out_of_place(x, w):
    y = x * w
    y = nd.concat(y[0:1], x[0:1] * 10, y[2:3], dim=0)
    return y * w


def _set_number(x, w):
    y = x * w
    y[1:2] = 7
    return y * w


def _set_number_out_of_place(x, w):
    y = x * w * nd.array([1., 0., 1.]) + nd.array([0., 7., 0.])
    return y * w


def _old_value_kept(x, w):
    y = x * w
    z = y * 2                  # uses y before the update
    y += 1
    return z * y


def _old_value_kept_out_of_place(x, w):
    y = x * w
    return (y * 2) * (y + 1)


def _into_constant(x, w):
    y = nd.zeros((3,))
    y[1] = x[2] * 5
    y += w
    return y * w


def _into_constant_out_of_place(x, w):
    return (x * nd.array([0., 0., 0.]) + nd.array([0., 1., 0.]) * x[2] * 5 + w) * w


def _out_argument(x, w):
    y = x * 1
    nd.elemwise_mul(y, w, out=y)
    return y * 2


def _out_argument_out_of_place(x, w):
    return x * w * 2


@pytest.mark.parametrize('in_place, out_of_place', [
    (_plus_eq, _plus), (_times_eq, _times), (_div_eq, _div),
    (_set_all, _set_all_out_of_place),
    (_set_slice, _set_slice_out_of_place),
    (_set_number, _set_number_out_of_place), (_old_value_kept, _old_value_kept_out_of_place),
    (_into_constant, _into_constant_out_of_place), (_out_argument, _out_argument_out_of_place),
])
def test_in_place_updates_while_recording(in_place, out_of_place):
    got, want = _grads(in_place), _grads(out_of_place)
    np.testing.assert_allclose(np.array(got[0]), np.array(want[0]), rtol=1e-6)
    np.testing.assert_allclose(np.array(got[1]), np.array(want[1]), rtol=1e-6)
    np.testing.assert_allclose(np.array(got[2]), np.array(want[2]), rtol=1e-6)


def test_in_place_updates_while_recording_by_hand():
    # y = x w + x, out = y^2: d/dx = 2 y (w + 1), d/dw = 2 y x
    assert _grads(_plus_eq) == ([25., 144., 441.], [50., 144., 294.], [10., 48., 126.])
    # y[1:2] = 10 x0 in y = x w, out = y w
    assert _grads(_set_slice) == ([16., 50., 108.], [66., 0., 36.], [8., 10., 36.])


@pytest.mark.parametrize('update', [
    lambda x: x.__iadd__(1), lambda x: x.__imul__(2), lambda x: x.__setitem__(slice(None), 1),
    lambda x: x.__setitem__(0, 1), lambda x: nd.exp(x, out=x)])
def test_in_place_update_of_a_leaf_while_recording_is_refused(update):
    x = leaf([1., 2.])
    with ag.record():
        with pytest.raises(mx.MXNetError, match='attach_grad.*record'):
            update(x)
    assert values(x) == [1., 2.]


def test_in_place_update_of_a_leaf_outside_record_is_allowed():
    x = leaf([1., 2.])
    with ag.record():
        y = x * x
    y.backward()
    x -= x.grad * 0.1            # a plain SGD step
    assert np.allclose(values(x), [0.8, 1.6])


def test_update_of_a_base_is_seen_by_its_view():
    x = leaf([1., 2., 3.])
    with ag.record():
        y = x * 1
        v = y[0:2]
        y += 10
        z = (v * v).sum()
    z.backward()
    assert values(v) == [11., 12.] and values(y) == [11., 12., 13.]
    assert values(x.grad) == [22., 24., 0.]


def test_update_through_a_view_is_seen_by_its_base():
    x = leaf([1., 2., 3.])
    with ag.record():
        y = x * 1
        v = y[1:3]
        v[:] = x[0:2] * 10     # y is now [x0, 10 x0, 10 x1]
        z = (y * y).sum()
    z.backward()
    assert values(y) == [1., 10., 20.]
    assert values(x.grad) == [2 * 1 + 200 * 1., 200 * 2., 0.]


def _numeric_check(body, *starts):
    """The gradient of ``sum(body(*leaves))``, recorded with in-place updates inside
    ``body``, against central differences of the same body run unrecorded (float64)."""
    leaves = [nd.array(v, dtype='float64') for v in starts]
    for a in leaves:
        a.attach_grad()
    with ag.record():
        out = body(*leaves)
    out.backward()
    eps = 1e-6
    for k, start in enumerate(starts):
        numeric = np.zeros(np.shape(start))
        for i in np.ndindex(numeric.shape):
            sides = []
            for sign in (1, -1):
                args = [np.array(v, dtype=np.float64) for v in starts]
                args[k][i] += sign * eps
                sides.append(body(*[nd.array(v, dtype='float64') for v in args]).asnumpy().sum())
            numeric[i] = (sides[0] - sides[1]) / (2 * eps)
        np.testing.assert_allclose(leaves[k].grad.asnumpy(), numeric, rtol=1e-6, atol=1e-8,
                                   err_msg=f'gradient of input {k}')
    return out


def _base_then_view(x, w):
    y = x * w
    v = y[0:2]
    y += w                     # seen by v
    return v * v


def _view_then_base(x, w):
    y = x * w
    v = y[1:3]
    v *= x[0:2]                # seen by y
    return y * y


def _set_through_view(x, w):
    y = x * 1
    v = y[1:3]
    v[:] = w[0:2] * w[1:3]
    return y * x


def _reshape_view_written(x, w):
    y = x * w                  # (6,)
    m = y.reshape((2, 3))
    m[1] = w[0:3] * 2          # a row of the reshape view: y[3:6]
    return y * y


def _base_written_seen_by_reshape(x, w):
    y = x * w
    m = y.reshape(2, 3)
    y *= w                     # m follows
    return m * m


def _element_view(x, w):
    y = x * w
    e = y[1]                   # one element, a view
    y[1] = w[0] * 3
    e2 = y[2]
    e2 *= x[0]                 # written through the element view
    return e * y


def _old_value_kept_by_a_consumer(x, w):
    y = x * w
    z = y * y                  # reads y before the update below
    v = y[0:2]
    v *= 3
    return z + y


def _old_value_kept_by_a_producer(x, w):
    y = nd.exp(x)              # exp's backward reads its output, y
    z = y * w                  # mul's reads y too
    y[:] = w * 2               # neither node is behind the value written
    return z + y


def _producer_behind_the_write(x, w):
    y = nd.exp(x)
    v = y[0:2]
    v[:] = v * w[0:2]          # exp's output is read by the write itself
    return y * w


def _overlapping_views(x, w):
    y = x * w
    a = y[0:2]
    b = y[1:3]
    a += w[0:2]
    b *= x[1:3]                # b[0] is a[1]: it follows a's write first
    return a * b[0:2] + y[2:3]


def _constant_base(x, w):
    c = nd.zeros((3,), dtype='float64')
    v = c[0:2]                 # a view of a constant, taken before the write
    c[:] = x * w
    return v * v + c[0:2]


def _write_through_view_into_constant(x, w):
    c = nd.zeros((3,), dtype='float64')
    v = c[1:3]
    v[:] = x[0:2] * w[1:3]
    return c * w


def _writes_in_a_row(x, w):
    y = x * 1
    for i in range(3):
        y[i:i + 1] = y[i:i + 1] * w[i:i + 1] + y[(i + 1) % 3:(i + 1) % 3 + 1]
    return y


def _out_argument_into_view(x, w):
    y = x * 1
    v = y[0:2]
    nd.elemwise_mul(v, w[0:2], out=v)
    return y * w


def _copyto_a_view(x, w):
    y = x * 2
    (w[1:3] * x[0:2]).copyto(y[0:2])
    return y * y


@pytest.mark.parametrize('body, shapes', [
    (_base_then_view, [(3,), (3,)]), (_view_then_base, [(3,), (3,)]),
    (_set_through_view, [(3,), (3,)]), (_reshape_view_written, [(6,), (6,)]),
    (_base_written_seen_by_reshape, [(6,), (6,)]), (_element_view, [(3,), (3,)]),
    (_old_value_kept_by_a_consumer, [(3,), (3,)]), (_old_value_kept_by_a_producer, [(3,), (3,)]),
    (_producer_behind_the_write, [(3,), (3,)]), (_overlapping_views, [(3,), (3,)]),
    (_constant_base, [(3,), (3,)]), (_write_through_view_into_constant, [(3,), (3,)]),
    (_writes_in_a_row, [(3,), (3,)]), (_out_argument_into_view, [(3,), (3,)]),
    (_copyto_a_view, [(3,), (3,)]),
])
def test_in_place_updates_of_shared_memory_have_right_gradients(body, shapes):
    rng = np.random.default_rng(0)
    starts = [rng.uniform(0.5, 1.5, size=s) for s in shapes]
    out = _numeric_check(body, *starts)
    # and the values are those of the same body run outside record()
    plain = body(*[nd.array(v, dtype='float64') for v in starts])
    np.testing.assert_allclose(out.asnumpy(), plain.asnumpy(), rtol=1e-12)


def test_view_made_outside_record_follows_a_recorded_write():
    c = nd.zeros((3,))
    v = c[0:2]
    x = leaf([1., 2., 3.])
    with ag.record():
        c[:] = x * 2
        z = (v * v).sum()
    z.backward()
    assert values(v) == [2., 4.] and values(x.grad) == [8., 16., 0.]


def test_detach_follows_only_later_writes():
    x, w = leaf([1., 2.]), leaf([3., 4.])
    with ag.record():
        y = x * w
        y += w                 # before detach: d does not follow it
        d = y.detach()         # shares y's memory, without y's graph
        z = (d * x).sum()
    z.backward()
    assert values(d) == [6., 12.]
    assert values(x.grad) == [6., 12.] and values(w.grad) == [0., 0.]
    with ag.record():
        y = x * w
        d = y.detach()
        y += w                 # after detach: d shows x w + w, with its gradients
        z = (d * x).sum()
    z.backward()
    assert values(d) == [6., 12.]
    assert values(x.grad) == [2 * 3 + 3., 2 * 8 + 4.] and values(w.grad) == [2., 6.]


def test_write_after_backward_retains_old_values():
    x = leaf([1., 2., 3.])
    with ag.record():
        y = x * 1
        z = (y * y).sum()      # reads y
        y[:] = 0               # a later write; z's backward must not see it
    z.backward(retain_graph=True)
    assert values(x.grad) == [2., 4., 6.]
    with ag.record():
        y[0:1] = 5             # another write, after the first backward
    z.backward()
    assert values(x.grad) == [2., 4., 6.]


def test_backward_from_a_view_written_through_its_base():
    x = leaf([1., 2., 3.])
    with ag.record():
        y = x * 2
        v = y[1:3]
        y *= x                 # v is now 2 x^2 at its positions
    v.backward()
    assert values(v) == [8., 18.] and values(x.grad) == [0., 8., 12.]


@pytest.mark.parametrize('make_view', [lambda x: x[1:3], lambda x: x[0],
                                       lambda x: x.reshape((3, 1))])
def test_write_into_memory_of_a_leaf_is_refused(make_view):
    x = leaf([1., 2., 3.])
    v = make_view(x)           # made outside record: not in the graph, but x's memory
    with ag.record():
        with pytest.raises(mx.MXNetError, match='attach_grad'):
            v[:] = 5
        with pytest.raises(mx.MXNetError, match='attach_grad'):
            v += 1
    assert values(x) == [1., 2., 3.]
    v += 1                     # outside record it is an ordinary update
    assert values(x) != [1., 2., 3.]


def test_memory_log_is_dropped_with_the_memory():
    from d2lmini.ndarray import ndarray as impl
    import gc
    x = leaf([1., 2., 3.])
    with ag.record():
        y = x * 1
        v = y[0:2]
        v += 1
        z = (y * y).sum()
    assert impl._LOGS and mx.tape._STATE.logged
    z.backward()
    del y, v, z
    gc.collect()
    assert not impl._LOGS and not mx.tape._STATE.logged


def test_memory_log_is_dropped_without_a_backward():
    # the log keeps the graph of the written value; it must not keep the memory alive
    from d2lmini.ndarray import ndarray as impl
    import gc
    x = leaf([1., 2., 3.])
    for _ in range(3):
        with ag.record():
            y = nd.exp(x)
            v = y[0:2]
            v *= y[1:3]
            z = y * y
    del y, v, z
    gc.collect()
    assert not impl._LOGS and not mx.tape._STATE.logged


def test_constant_updated_while_recording_keeps_working_outside():
    # an in-place update of a constant by a constant is not recorded
    c = nd.zeros((3,))
    v = c[0:2]
    with ag.record():
        v += 1
        c[2] = 5
    assert values(c) == [1., 1., 5.]


def test_custom_function_reads_saved_arrays_as_they_were():
    class Square(ag.Function):
        def forward(self, a):
            self.save_for_backward(a)
            return a * a

        def backward(self, dy):
            a, = self.saved_tensors
            return 2 * a * dy
    x = leaf([1., 2., 3.])
    with ag.record():
        y = x * 1
        z = Square()(y)
        y += 100               # after forward: backward must see y as forward did
    z.backward()
    assert values(x.grad) == [2., 4., 6.] and values(y) == [101., 102., 103.]
