"""gluon.loss: every loss against its formula written out in numpy, for several shapes,
weights and batch axes; gradients against central differences; stability on large
inputs; clear errors for inputs that do not fit."""
import numpy as np
import pytest

import d2lmini as mx
from d2lmini import autograd
from d2lmini.base import MXNetError
from d2lmini.gluon import loss as gloss
from d2lmini.gluon.block import HybridBlock
from d2lmini.test_utils import assert_almost_equal, check_numeric_gradient
from strict import assert_almost_equal  # noqa: E402,F811  (equal shapes, tight float32 tolerance)

RNG = np.random.RandomState(7)


def nd64(a):
    return mx.nd.array(a, dtype='float64')


def per_example(loss, batch_axis=0):
    """Mean over every axis but ``batch_axis`` (numpy reference)."""
    axes = tuple(i for i in range(loss.ndim) if i != batch_axis % loss.ndim)
    return loss.mean(axis=axes) if axes else loss


def log_softmax(x, axis=-1):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def away_from(values, kink, gap=0.05):
    """``values`` moved so that none is within ``gap`` of ``kink`` (for gradient checks
    of functions with corners)."""
    too_close = np.abs(values - kink) < gap
    return np.where(too_close, kink + np.where(values >= kink, gap, -gap) * 2, values)


def check(loss, inputs, expected, rtol=1e-10, atol=1e-12):
    """``loss(*inputs)`` in float64 equals ``expected``, with the same shape."""
    out = loss(*[nd64(a) if a is not None else None for a in inputs])
    assert out.dtype == np.float64
    assert_almost_equal(out, np.asarray(expected, dtype=np.float64), rtol=rtol, atol=atol)


SHAPES = [(5,), (4, 3), (2, 3, 4)]


# ------------------------------------------------------------------ regression losses
@pytest.mark.parametrize('shape', SHAPES)
def test_l2_l1(shape):
    p, y = RNG.uniform(-2, 2, shape), RNG.uniform(-2, 2, shape)
    check(gloss.L2Loss(), [p, y], per_example(0.5 * (y - p) ** 2))
    check(gloss.L2Loss(weight=3.), [p, y], per_example(1.5 * (y - p) ** 2))
    check(gloss.L2Loss(weight=None), [p, y], per_example(0.5 * (y - p) ** 2))
    check(gloss.L1Loss(), [p, y], per_example(np.abs(y - p)))
    check(gloss.L1Loss(weight=0.5), [p, y], per_example(0.5 * np.abs(y - p)))


def test_label_is_reshaped_like_pred():
    p, y = RNG.uniform(size=(4, 1)), RNG.uniform(size=(4,))
    check(gloss.L2Loss(), [p, y], 0.5 * (y - p[:, 0]) ** 2)
    p, y = RNG.uniform(size=(2, 3, 2)), RNG.uniform(size=(2, 6))
    check(gloss.L1Loss(), [p, y], per_example(np.abs(y.reshape(2, 3, 2) - p)))


@pytest.mark.parametrize('rho', [1, 0.3])
@pytest.mark.parametrize('shape', SHAPES)
def test_huber(shape, rho):
    p, y = RNG.uniform(-2, 2, shape), RNG.uniform(-2, 2, shape)
    err = np.abs(y - p)
    expected = np.where(err > rho, err - rho / 2, err ** 2 / (2 * rho))
    check(gloss.HuberLoss(rho=rho), [p, y], per_example(expected))


def test_sample_weight_and_batch_axis():
    p, y = RNG.uniform(size=(4, 3)), RNG.uniform(size=(4, 3))
    w = RNG.uniform(size=(4, 1))
    check(gloss.L2Loss(), [p, y, w], per_example(0.5 * w * (y - p) ** 2))
    w1 = RNG.uniform(size=(1, 3))
    check(gloss.L1Loss(weight=2.), [p, y, w1], per_example(2 * w1 * np.abs(y - p)))
    # batch on axis 1: one value per column
    check(gloss.L2Loss(batch_axis=1), [p, y], (0.5 * (y - p) ** 2).mean(axis=0))
    check(gloss.L1Loss(batch_axis=1), [p, y.reshape(12)], np.abs(y - p).mean(axis=0))


# ------------------------------------------------------------------ softmax cross-entropy
@pytest.mark.parametrize('shape,axis', [((5, 4), -1), ((2, 3, 4), 1), ((3, 4), 0)])
def test_softmax_ce_sparse(shape, axis):
    p = RNG.uniform(-3, 3, shape)
    n_class = shape[axis]
    label_shape = shape[:axis % len(shape)] + shape[axis % len(shape) + 1:]
    y = RNG.randint(0, n_class, size=label_shape)
    logp = log_softmax(p, axis)
    picked = np.take_along_axis(logp, np.expand_dims(y, axis % len(shape)), axis=axis)
    check(gloss.SoftmaxCrossEntropyLoss(axis=axis), [p, y], per_example(-picked))
    # the label may keep the class axis with size 1; from_logits takes log-probabilities
    y_keep = np.expand_dims(y, axis % len(shape))
    check(gloss.SoftmaxCELoss(axis=axis, from_logits=True), [logp, y_keep], per_example(-picked))


def test_softmax_ce_dense_weight_and_sample_weight():
    p, q = RNG.uniform(-3, 3, (5, 4)), RNG.dirichlet(np.ones(4), size=5)
    expected = -(q * log_softmax(p)).sum(axis=1)
    check(gloss.SoftmaxCELoss(sparse_label=False), [p, q], expected)
    w = RNG.uniform(size=(5, 1))
    check(gloss.SoftmaxCELoss(sparse_label=False, weight=0.5), [p, q, w],
          0.5 * w[:, 0] * expected)
    # MXNet broadcasts sample_weight against the (batch, 1) loss: shape (5,) gives a
    # (5, 5) array, averaged per row, i.e. each loss times the mean weight
    y = RNG.randint(0, 4, size=5)
    w5 = RNG.uniform(size=5)
    sparse = -log_softmax(p)[np.arange(5), y]
    check(gloss.SoftmaxCELoss(), [p, y, w5], sparse * w5.mean())


def test_softmax_ce_float32_labels_and_result():
    p = mx.nd.array(RNG.uniform(-3, 3, (6, 10)))
    y = mx.nd.array(RNG.randint(0, 10, size=6))          # float32 labels, as in the book
    out = gloss.SoftmaxCrossEntropyLoss()(p, y)
    assert out.dtype == np.float32 and out.shape == (6,)
    expected = -log_softmax(p.asnumpy().astype(np.float64))[np.arange(6), y.asnumpy().astype(int)]
    assert_almost_equal(out, expected.astype(np.float32))


def test_softmax_ce_is_stable_for_large_logits():
    p = nd64([[1000., 0.], [0., -1000.], [-1e4, 1e4]])
    out = gloss.SoftmaxCELoss()(p, nd64([1, 1, 1])).asnumpy()
    assert_almost_equal(out, np.array([1000., 1000., 0.]))


def test_softmax_ce_gradient_is_softmax_minus_onehot():
    p_np = RNG.uniform(-2, 2, (3, 4))
    y_np = np.array([0, 3, 1])
    p = nd64(p_np)
    p.attach_grad()
    with autograd.record():
        loss = gloss.SoftmaxCELoss()(p, nd64(y_np))
    loss.backward()
    expected = np.exp(log_softmax(p_np)) - np.eye(4)[y_np]
    assert_almost_equal(p.grad, expected)


# ------------------------------------------------------------------ binary losses
@pytest.mark.parametrize('shape', SHAPES)
def test_sigmoid_bce(shape):
    x, y = RNG.uniform(-4, 4, shape), RNG.uniform(0, 1, shape)
    s = sigmoid(x)
    check(gloss.SigmoidBinaryCrossEntropyLoss(), [x, y],
          per_example(-(y * np.log(s) + (1 - y) * np.log(1 - s))))
    check(gloss.SigmoidBCELoss(from_sigmoid=True), [s, y],
          per_example(-(y * np.log(s + 1e-12) + (1 - y) * np.log(1 - s + 1e-12))))


def test_sigmoid_bce_pos_weight():
    x, y = RNG.uniform(-4, 4, (4, 3)), RNG.uniform(0, 1, (4, 3))
    pw = np.array([[0.5, 2., 3.]])
    s = sigmoid(x)
    expected = per_example(-(pw * y * np.log(s) + (1 - y) * np.log(1 - s)))
    check(gloss.SigmoidBCELoss(), [x, y, None, pw], expected)
    expected = per_example(-(pw * y * np.log(s + 1e-12) + (1 - y) * np.log(1 - s + 1e-12)))
    check(gloss.SigmoidBCELoss(from_sigmoid=True), [s, y, None, pw], expected)
    w = RNG.uniform(size=(4, 1))
    check(gloss.SigmoidBCELoss(weight=2.), [x, y, w, pw],
          per_example(-2 * w * (pw * y * np.log(s) + (1 - y) * np.log(1 - s))))


def test_sigmoid_bce_is_stable_for_large_scores():
    # -log(sigmoid(-100)) = 100 + log(1 + e^-100); sigmoid(100) for label 1 costs ~e^-100
    x = nd64([[100.], [-100.], [100.], [-800.]])
    y = nd64([[0.], [1.], [1.], [0.]])
    out = gloss.SigmoidBCELoss()(x, y).asnumpy()
    assert_almost_equal(out, np.array([100., 100., np.exp(-100.), np.exp(-800.)]), atol=1e-30)
    out = gloss.SigmoidBCELoss()(x, y, None, nd64([[3.]])).asnumpy()
    assert_almost_equal(out, np.array([100., 300., 3 * np.exp(-100.), 0.]), atol=1e-30)
    f32 = gloss.SigmoidBCELoss()(mx.nd.array([[90.], [-90.]]), mx.nd.array([[0.], [1.]]))
    assert np.all(np.isfinite(f32.asnumpy()))


@pytest.mark.parametrize('shape', SHAPES)
def test_logistic(shape):
    x = RNG.uniform(-4, 4, shape)
    signed = RNG.choice([-1., 1.], size=shape)
    check(gloss.LogisticLoss(), [x, signed], per_example(np.log1p(np.exp(-x * signed))))
    binary = (signed + 1) / 2
    check(gloss.LogisticLoss(label_format='binary'), [x, binary],
          per_example(np.log1p(np.exp(-x * signed))))
    out = gloss.LogisticLoss()(nd64([[-500.]]), nd64([[1.]]))
    assert_almost_equal(out, np.array([500.]))


@pytest.mark.parametrize('margin', [1, 0.5])
@pytest.mark.parametrize('shape', SHAPES)
def test_hinge_and_squared_hinge(shape, margin):
    x = RNG.uniform(-2, 2, shape)
    y = RNG.choice([-1., 1.], size=shape)
    hinge = np.maximum(0, margin - x * y)
    check(gloss.HingeLoss(margin=margin), [x, y], per_example(hinge))
    check(gloss.SquaredHingeLoss(margin=margin), [x, y], per_example(hinge ** 2))


# ------------------------------------------------------------------ distributions
@pytest.mark.parametrize('shape', [(4, 3), (2, 3, 4)])
def test_kldiv(shape):
    logits, q = RNG.uniform(-2, 2, shape), RNG.uniform(0.01, 1, shape)
    q = q / q.sum(axis=-1, keepdims=True)
    logp = log_softmax(logits)
    terms = q * (np.log(q + 1e-12) - logp)
    summed = terms.reshape(shape[0], -1).sum(axis=1)        # summed, not averaged (MXNet 1.9)
    check(gloss.KLDivLoss(), [logp, q], summed)
    check(gloss.KLDivLoss(from_logits=False), [logits, q], summed)
    # the divergence of a distribution from itself is 0, even with zero entries
    p = np.array([[0.5, 0.5, 0.0]])
    check(gloss.KLDivLoss(), [np.log(p + 1e-300), p], [0.0], atol=1e-11)


def test_kldiv_axis_and_sample_weight():
    logits = RNG.uniform(-2, 2, (4, 3))
    q = RNG.dirichlet(np.ones(4), size=3).T                  # distributions along axis 0
    w = RNG.uniform(size=(4, 1))
    terms = w * q * (np.log(q + 1e-12) - log_softmax(logits, axis=0))
    check(gloss.KLDivLoss(from_logits=False, axis=0), [logits, q, w], terms.sum(axis=1))


@pytest.mark.parametrize('shape', SHAPES)
def test_poisson_nll(shape):
    x = RNG.uniform(-1, 1, shape)
    t = RNG.randint(0, 6, size=shape).astype(float)
    check(gloss.PoissonNLLLoss(), [x, t], [np.mean(np.exp(x) - t * x)])
    mean = np.exp(x)
    check(gloss.PoissonNLLLoss(from_logits=False), [mean, t],
          [np.mean(mean - t * np.log(mean + 1e-8))])
    # Stirling's log(t!) ~ t log t - t + log(2 pi t) / 2, only for t > 1; zero counts
    # (common for counts) give a finite loss
    stirling = np.zeros(shape)
    big = t > 1
    stirling[big] = t[big] * np.log(t[big]) - t[big] + 0.5 * np.log(2 * np.pi * t[big])
    check(gloss.PoissonNLLLoss(compute_full=True), [x, t],
          [np.mean(np.exp(x) - t * x + stirling)])
    w = RNG.uniform(size=shape[:1] + (1,) * (len(shape) - 1))
    check(gloss.PoissonNLLLoss(weight=2.), [x, t, w], [np.mean(2 * w * (np.exp(x) - t * x))])


# ------------------------------------------------------------------ embedding losses
@pytest.mark.parametrize('shape', [(4, 3), (2, 3, 4)])
def test_triplet(shape):
    a, pos, neg = (RNG.uniform(-1, 1, shape) for _ in range(3))
    gap = ((pos - a) ** 2 - (neg - a) ** 2).reshape(shape[0], -1).sum(axis=1)
    check(gloss.TripletLoss(), [a, pos, neg], np.maximum(gap + 1, 0))
    check(gloss.TripletLoss(margin=0.1, weight=3.), [a, pos.reshape(shape[0], -1), neg],
          3 * np.maximum(gap + 0.1, 0))


@pytest.mark.parametrize('margin', [0, 0.3])
def test_cosine_embedding(margin):
    x1, x2 = RNG.uniform(-1, 1, (6, 5)), RNG.uniform(-1, 1, (6, 5))
    x2[0] = 2 * x1[0]                                       # cosine 1
    x2[1] = -x1[1]                                          # cosine -1
    y = np.array([1, -1, 1, -1, 1, -1.])
    cos = (x1 * x2).sum(1) / (np.linalg.norm(x1, axis=1) * np.linalg.norm(x2, axis=1))
    expected = np.where(y == 1, 1 - cos, np.maximum(0, cos - margin))[:, None]
    check(gloss.CosineEmbeddingLoss(margin=margin), [x1, x2, y], expected)
    w = RNG.uniform(size=(6, 1))
    check(gloss.CosineEmbeddingLoss(margin=margin, weight=2.), [x1, x2, y, w], 2 * w * expected)
    # a zero vector has cosine 0 with anything, not nan
    out = gloss.CosineEmbeddingLoss()(nd64([[0., 0.]]), nd64([[1., 2.]]), nd64([1.]))
    assert_almost_equal(out, np.array([[1.]]))


# ------------------------------------------------------------------ gradients
def _grad_cases():
    r = np.random.RandomState(3)
    x43 = r.uniform(-2, 2, (4, 3))
    y43 = r.uniform(-2, 2, (4, 3))
    signs = r.choice([-1., 1.], size=(4, 3))
    prob = r.uniform(0.1, 0.9, (4, 3))
    dist = r.dirichlet(np.ones(3), size=4)
    w41 = r.uniform(0.5, 1.5, (4, 1))
    a, pos, neg = (r.uniform(-1, 1, (4, 3)) for _ in range(3))
    gap = ((pos - a) ** 2 - (neg - a) ** 2).sum(axis=1)
    neg[np.abs(gap + 1) < 0.1] *= 3                          # away from the relu's corner
    return [
        ('L2', gloss.L2Loss(), [x43, y43, w41], [0, 1]),
        ('L1', gloss.L1Loss(), [x43, away_from(y43, 0) + x43], [0]),
        ('Huber', gloss.HuberLoss(rho=0.7),
         [x43, x43 + away_from(away_from(y43, 0.7), -0.7)], [0]),
        ('CE sparse', gloss.SoftmaxCELoss(), [x43, r.randint(0, 3, 4), w41], [0]),
        ('CE axis 0', gloss.SoftmaxCELoss(axis=0), [x43, r.randint(0, 4, 3)], [0]),
        ('CE dense', gloss.SoftmaxCELoss(sparse_label=False), [x43, dist], [0, 1]),
        ('BCE', gloss.SigmoidBCELoss(), [away_from(x43, 0), prob], [0, 1]),
        ('BCE pos_weight', gloss.SigmoidBCELoss(),
         [away_from(x43, 0), prob, w41, np.array([[0.5, 2., 3.]])], [0, 1, 3]),
        ('BCE from sigmoid', gloss.SigmoidBCELoss(from_sigmoid=True), [prob, prob[::-1]], [0, 1]),
        ('Logistic', gloss.LogisticLoss(), [away_from(x43, 0), signs], [0]),
        ('Hinge', gloss.HingeLoss(), [away_from(x43 * signs, 1) * signs, signs], [0]),
        ('SquaredHinge', gloss.SquaredHingeLoss(),
         [away_from(x43 * signs, 1) * signs, signs], [0]),
        ('KLDiv', gloss.KLDivLoss(from_logits=False), [x43, dist], [0, 1]),
        ('Poisson', gloss.PoissonNLLLoss(compute_full=True),
         [x43, r.randint(0, 5, (4, 3)).astype(float)],
         [0]),
        ('Poisson mean', gloss.PoissonNLLLoss(from_logits=False), [prob, prob * 3], [0, 1]),
        ('Triplet', gloss.TripletLoss(), [a, pos, neg], [0, 1, 2]),
        ('Cosine', gloss.CosineEmbeddingLoss(margin=-2),      # every cos - margin > 0
         [x43, y43, np.array([1., -1, 1, -1])], [0, 1]),
    ]


@pytest.mark.parametrize('name,loss,inputs,wrt', _grad_cases(), ids=[c[0] for c in _grad_cases()])
def test_gradients(name, loss, inputs, wrt):
    check_numeric_gradient(lambda *xs: loss(*xs), inputs, grad_nodes=wrt)


# ------------------------------------------------------------------ blocks, names, errors
def test_losses_are_hybrid_blocks_and_print_like_mxnet():
    assert gloss.SoftmaxCELoss is gloss.SoftmaxCrossEntropyLoss
    assert gloss.SigmoidBCELoss is gloss.SigmoidBinaryCrossEntropyLoss
    loss = gloss.L2Loss()
    assert isinstance(loss, gloss.Loss) and isinstance(loss, HybridBlock)
    assert repr(loss) == 'L2Loss(batch_axis=0, w=1.0)'
    assert repr(gloss.SoftmaxCrossEntropyLoss(batch_axis=1)) == \
        'SoftmaxCrossEntropyLoss(batch_axis=1, w=None)'
    assert repr(gloss.TripletLoss(weight=2)) == 'TripletLoss(batch_axis=0, w=2)'
    p, y = mx.nd.array(RNG.uniform(size=(3, 2))), mx.nd.array(RNG.uniform(size=(3, 2)))
    before = loss(p, y).asnumpy()
    loss.hybridize()
    np.testing.assert_array_equal(loss(p, y).asnumpy(), before)


def test_base_loss_has_no_computation():
    with pytest.raises(NotImplementedError):
        gloss.Loss(None, 0)(mx.nd.ones((2,)))


def test_loss_backward_in_a_training_step():
    """The book's pattern: record, loss, backward; the gradient of the summed L2 loss
    is (pred - label) / (elements per example)."""
    w = mx.nd.array([[1., 2.]])
    w.attach_grad()
    x, y = mx.nd.array([[1., 1.], [2., 0.]]), mx.nd.array([[0.], [1.]])
    with autograd.record():
        pred = mx.nd.dot(x, w.T)                           # [[3], [2]]
        loss = gloss.L2Loss()(pred, y)                      # [4.5, 0.5]
    loss.backward()
    assert_almost_equal(loss, np.array([4.5, 0.5], np.float32))
    # dL/dpred = pred - y = [3, 1]; dL/dw = sum_i (pred_i - y_i) x_i = [3 + 2, 3]
    assert_almost_equal(w.grad, np.array([[5., 3.]], np.float32))


@pytest.mark.parametrize('loss', [gloss.L2Loss(), gloss.L1Loss(), gloss.HuberLoss(),
                                  gloss.HingeLoss(), gloss.SquaredHingeLoss(),
                                  gloss.LogisticLoss(), gloss.SigmoidBCELoss(),
                                  gloss.SoftmaxCELoss(sparse_label=False),
                                  gloss.PoissonNLLLoss()], ids=lambda l: type(l).__name__)
def test_label_with_other_size_is_a_clear_error(loss):
    with pytest.raises(MXNetError, match=rf'{type(loss).__name__}: .*\(4, 2\).*\(4, 3\)'):
        loss(mx.nd.ones((4, 3)), mx.nd.ones((4, 2)))


def test_other_input_errors():
    with pytest.raises(MXNetError, match=r'SoftmaxCrossEntropyLoss: label of shape \(3,\) .* '
                                         r'pred of shape \(4, 3\).*\(4,\)'):
        gloss.SoftmaxCELoss()(mx.nd.ones((4, 3)), mx.nd.ones((3,)))
    with pytest.raises(MXNetError, match=r'SoftmaxCrossEntropyLoss: label of shape \(2, 4, 1\)'):
        gloss.SoftmaxCELoss(axis=1)(mx.nd.ones((2, 3, 4)), mx.nd.ones((2, 4, 1)))
    with pytest.raises(MXNetError, match=r'L2Loss: sample_weight of shape \(5,\) does not '
                                         r'broadcast with the element-wise loss of shape \(4, 3\)'):
        gloss.L2Loss()(mx.nd.ones((4, 3)), mx.nd.ones((4, 3)), mx.nd.ones((5,)))
    with pytest.raises(MXNetError, match=r'SigmoidBinaryCrossEntropyLoss: pos_weight of shape'):
        gloss.SigmoidBCELoss()(mx.nd.ones((4, 3)), mx.nd.ones((4, 3)), None, mx.nd.ones((1, 2)))
    with pytest.raises(MXNetError, match=r'KLDivLoss: label of shape \(4, 2\)'):
        gloss.KLDivLoss()(mx.nd.ones((4, 3)), mx.nd.ones((4, 2)))
    with pytest.raises(MXNetError, match=r'TripletLoss: negative of shape \(4, 2\)'):
        gloss.TripletLoss()(mx.nd.ones((4, 3)), mx.nd.ones((4, 3)), mx.nd.ones((4, 2)))
    with pytest.raises(MXNetError, match=r'CosineEmbeddingLoss: label of shape \(3, 1\)'):
        gloss.CosineEmbeddingLoss()(mx.nd.ones((4, 3)), mx.nd.ones((4, 3)), mx.nd.ones((3,)))
    with pytest.raises(ValueError, match="label_format must be 'signed'"):
        gloss.LogisticLoss(label_format='sign')
    with pytest.raises(TypeError, match='L1Loss: weight must be a number'):
        gloss.L1Loss(weight=mx.nd.ones((1,)))


@pytest.mark.gpu
def test_losses_on_gpu_match_the_cpu():
    r = np.random.RandomState(0)
    x, y = r.uniform(-2, 2, (4, 3)).astype(np.float32), r.uniform(0, 1, (4, 3)).astype(np.float32)
    idx = r.randint(0, 3, 4).astype(np.float32)
    w = r.uniform(size=(4, 1)).astype(np.float32)
    for loss, inputs in [(gloss.L2Loss(), [x, y, w]), (gloss.SoftmaxCELoss(), [x, idx, w]),
                         (gloss.SigmoidBCELoss(), [x, y, w, y[:1]]),
                         (gloss.KLDivLoss(from_logits=False), [x, y]),
                         (gloss.HuberLoss(), [x, y]), (gloss.LogisticLoss(), [x, y]),
                         (gloss.PoissonNLLLoss(compute_full=True), [x, y * 5]),
                         (gloss.TripletLoss(), [x, y, y[::-1]]),
                         (gloss.CosineEmbeddingLoss(), [x, y, np.array([1, -1, 1, -1.])])]:
        outs = []
        for ctx in (mx.cpu(), mx.gpu(0)):
            arrays = [mx.nd.array(a, ctx=ctx) for a in inputs]
            arrays[0].attach_grad()
            with autograd.record():
                out = loss(*arrays)
            out.backward()
            assert out.context == ctx
            outs.append((out.asnumpy(), arrays[0].grad.asnumpy()))
        for a, b in zip(*outs):
            assert_almost_equal(b, a, rtol=1e-4, atol=1e-5, names=('gpu', 'cpu'))
