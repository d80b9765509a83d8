"""Cases for d2lmini/ops/extra_ops.py."""
import numpy as np

from . import Case


def _distinct(shape):
    """Values at least 0.01 apart, some negative, so that max pooling has no ties
    and zero padding sometimes wins."""
    return lambda rng: [(rng.permutation(int(np.prod(shape))) * 0.01 - 0.305).reshape(shape)]


def _sketch(rng):
    return [rng.uniform(-1, 1, (3, 5)), np.array([[0.0, 3, 1, 3, 2]]),
            np.array([[1.0, -1, -1, 1, 1]])]


def _kl_inputs(rng):
    return [rng.uniform(0.1, 0.9, (4, 3)), np.full(3, 0.5)]


_KL = ('the backward pass adds the gradient of a sparseness penalty: it is not the '
       'derivative of the identity forward pass')

CASES = {
    '_contrib_interleaved_matmul_selfatt_qk': [
        Case(shapes=[(3, 2, 12)], attrs=dict(heads=2)),
        Case(shapes=[(2, 1, 9)], attrs=dict(heads=1))],
    '_contrib_interleaved_matmul_selfatt_valatt': [
        Case(shapes=[(3, 2, 12), (4, 3, 3)], attrs=dict(heads=2))],
    '_contrib_interleaved_matmul_encdec_qk': [
        Case(shapes=[(2, 2, 4), (3, 2, 8)], attrs=dict(heads=2))],
    '_contrib_interleaved_matmul_encdec_valatt': [
        Case(shapes=[(3, 2, 8), (4, 2, 3)], attrs=dict(heads=2))],
    'amp_cast': [Case(shapes=[(2, 3)], attrs=dict(dtype='float16')),
                 Case(inputs=lambda rng: [rng.uniform(-1, 1, (3,)).astype(np.float32)],
                      attrs=dict(dtype='float16'), nondiff='a cast to half precision')],
    'amp_multicast': [Case(shapes=[(2, 3), (3,)], attrs=dict(num_outputs=2)),
                      Case(inputs=lambda rng: [rng.uniform(-1, 1, (2,)).astype(np.float16),
                                               rng.uniform(-1, 1, (2,)).astype(np.float32)],
                           attrs=dict(num_outputs=2), wrt=[], nondiff='casts half precision')],
    'cast_storage': [Case(shapes=[(2, 3)], attrs=dict(stype='default'))],
    'Convolution_v1': [
        Case(shapes=[(2, 3, 5, 5), (4, 3, 3, 3), (4,)], attrs=dict(kernel=(3, 3), num_filter=4)),
        Case(shapes=[(1, 2, 5, 4), (2, 2, 2, 3)],
             attrs=dict(kernel=(2, 3), stride=(2, 1), pad=(1, 1), num_filter=2, no_bias=True))],
    'Pooling_v1': [
        Case(inputs=_distinct((1, 2, 4, 5)), attrs=dict(kernel=(2, 2), pad=(1, 1), stride=(2, 2))),
        Case(inputs=_distinct((2, 1, 5, 4)), attrs=dict(kernel=(3, 2), stride=(2, 2),
                                                        pooling_convention='full')),
        Case(shapes=[(1, 2, 5, 5)], attrs=dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1),
                                               pool_type='avg', pooling_convention='full')),
        Case(shapes=[(1, 1, 4, 3)], attrs=dict(kernel=(2, 2), pool_type='sum')),
        Case(shapes=[(2, 2, 3, 3)], attrs=dict(global_pool=True, pool_type='avg'))],
    'IdentityAttachKLSparseReg': [Case(inputs=_kl_inputs, wrt=[0], nondiff=_KL)],
    '_backward_IdentityAttachKLSparseReg': [
        Case(inputs=lambda rng: [rng.normal(size=(4, 3))] + _kl_inputs(rng), wrt=[0],
             nondiff='updates its running average in place: a gradient kernel')],
    '_contrib_fft': [Case(shapes=[(2, 4)]), Case(shapes=[(2, 1, 3, 5)])],
    '_contrib_ifft': [Case(shapes=[(2, 6)]), Case(shapes=[(1, 2, 1, 4)])],
    '_contrib_count_sketch': [Case(inputs=_sketch, attrs=dict(out_dim=4), wrt=[0])],
    '_contrib_rand_zipfian': [Case(inputs=lambda rng: [np.array([3.0, 0.0, 7.0])],
                                   attrs=dict(num_sampled=5, range_max=10), seed=3,
                                   nondiff='random draws')],
}


def _bn_inputs(rng, shape=(4, 3, 2, 2), channels=3):
    return [rng.normal(0.5, 2.0, size=shape), rng.uniform(0.5, 1.5, size=(channels,)),
            rng.normal(size=(channels,)), rng.normal(size=(channels,)),
            rng.uniform(0.5, 2.0, size=(channels,))]


CASES['_contrib_BatchNormWithReLU'] = [
    Case(inputs=_bn_inputs, attrs=dict(fix_gamma=False), wrt=[0, 1, 2]),
    Case(inputs=_bn_inputs, attrs=dict(fix_gamma=False), train=False, wrt=[0, 1, 2]),
    Case(inputs=_bn_inputs, wrt=[0, 1, 2])]


def _hawkes(rng):
    """Two samples of two processes: positive parameters, a ragged second row, and
    observation windows longer than the events."""
    return [rng.uniform(0.5, 1.5, (2, 2)), rng.uniform(0.1, 0.5, (2,)), rng.uniform(0.5, 2, (2,)),
            rng.uniform(0, 0.5, (2, 2)), rng.uniform(0.1, 1, (2, 3)),
            np.array([[0.0, 1, 0], [1, 1, 0]]), np.array([3.0, 2]), np.array([4.0, 3.5])]


_HAWKES_GRAD = 'the gradient kernel of hawkesll, first-order only'
CASES['_contrib_hawkesll'] = [Case(inputs=_hawkes, wrt=[0, 1, 2, 3])]
CASES['_contrib_backward_hawkesll'] = [
    Case(inputs=lambda rng: [rng.normal(size=(2,)), rng.normal(size=(2, 2))] + _hawkes(rng),
         wrt=[0, 1], nondiff=_HAWKES_GRAD)]
