"""Cases for d2lmini/ops/deformable.py.

Bilinear interpolation has kinks where a sample point crosses a pixel row or column
(and DeformableConvolution jumps where a point leaves the image), so every sample
point here stays at least 0.1 pixel away from whole pixel positions.
"""
import numpy as np

from . import Case


def _offsets(rng, shape):
    """Offsets of a whole number of pixels (up to 2, either way) plus a fraction in
    [0.1, 0.9]: the kernel taps sit on whole pixels, so the points never do."""
    return rng.integers(-2, 2, size=shape) + rng.uniform(0.1, 0.9, size=shape)


def _conv_inputs(data, out, num_filter, kernel, groups=1, num_group=1, bias=True, mask=False):
    def make(rng):
        N, C = data[:2]
        K = kernel[0] * kernel[1]
        arrays = [rng.uniform(-1, 1, data), _offsets(rng, (N, 2 * groups * K) + out)]
        if mask:
            arrays.append(rng.uniform(0.2, 1, (N, groups * K) + out))
        arrays.append(rng.uniform(-1, 1, (num_filter, C // num_group) + kernel))
        if bias:
            arrays.append(rng.uniform(-1, 1, (num_filter,)))
        return arrays
    return make


def _grad_inputs(make_inputs, out_shape, mask=False):
    """The inputs of a deformable convolution's gradient operator: an output gradient,
    then data, offset, (mask,) weight."""
    def make(rng):
        arrays = make_inputs(rng)
        return [rng.uniform(-1, 1, out_shape)] + arrays[:4 if mask else 3]
    return make


_PLAIN = dict(kernel=(3, 3), num_filter=3)
_STRIDED = dict(kernel=(2, 3), stride=(2, 1), pad=(1, 1), dilate=(1, 2), num_filter=4,
                num_group=2, num_deformable_group=2, no_bias=True)
_plain = _conv_inputs((2, 2, 5, 5), (3, 3), 3, (3, 3))
_strided = _conv_inputs((1, 4, 5, 6), (3, 4), 4, (2, 3), groups=2, num_group=2, bias=False)
_plain_mask = _conv_inputs((2, 2, 5, 5), (3, 3), 3, (3, 3), mask=True)
_strided_mask = _conv_inputs((1, 4, 5, 6), (3, 4), 4, (2, 3), groups=2, num_group=2,
                             bias=False, mask=True)
_CONV_ATTRS = dict(kernel=(3, 3), num_filter=3, num_group=1, num_deformable_group=1)
_FIRST_ORDER = 'a gradient operator: first-order only, as in MXNet'


def _psroi_inputs(rng, classes=1, parts=2, no_trans=False):
    """Regions on whole pixels, 4 x 4 on the map, so that the bins' sample points sit
    on half pixels; translations of 0.04 to 0.36 pixel keep them off every kink."""
    data = rng.uniform(-1, 1, (2, 8, 6, 6))
    if classes == 1:
        rois = np.array([[0, 1, 1, 4, 4], [1, 0, 2, 3, 5], [0, 2, 0, 5, 3]])
    else:   # spatial_scale 0.5
        rois = np.array([[0, 2, 2, 9, 9], [1, 0, 2, 7, 9]])
    if no_trans:
        return [data, rois]
    shape = (len(rois), 2 * classes, parts, parts)
    trans = rng.choice([-1, 1], shape) * rng.uniform(0.1, 0.9, shape)
    return [data, rois, trans]


def _psroi_grad_inputs(rng):
    data, rois, trans = _psroi_inputs(rng)
    return [rng.uniform(-1, 1, (3, 2, 2, 2)), data, rois, trans]


_PSROI = dict(spatial_scale=1.0, output_dim=2, group_size=2, pooled_size=2, part_size=2,
              sample_per_part=2, trans_std=0.1)
_PSROI_CLASSES = dict(spatial_scale=0.5, output_dim=2, group_size=2, pooled_size=2,
                      part_size=1, sample_per_part=1, trans_std=0.1)


def _rroi_inputs(rng):
    rois = np.array([[0, 2.3, 2.1, 3.0, 2.0, 30.0], [1, 3.6, 2.5, 4.5, 1.5, -75.0],
                     [0, 0.4, 4.6, 2.2, 3.3, 150.0]])
    return [rng.uniform(-1, 1, (2, 3, 6, 5)), rois]


def _rroi_adjoint_inputs(rng):
    data, rois = _rroi_inputs(rng)
    return [rng.uniform(-1, 1, (3, 3, 2, 2)), rois, data]


CASES = {
    '_contrib_DeformableConvolution': [
        Case(inputs=_plain, attrs=_PLAIN),
        Case(inputs=_strided, attrs=_STRIDED)],
    '_backward_contrib_DeformableConvolution': [
        Case(inputs=_grad_inputs(_plain, (2, 3, 3, 3)), attrs=_CONV_ATTRS,
             nondiff=_FIRST_ORDER)],
    '_contrib_ModulatedDeformableConvolution': [
        Case(inputs=_plain_mask, attrs=_PLAIN),
        Case(inputs=_strided_mask, attrs=dict(_STRIDED, im2col_step=1))],
    '_backward_contrib_ModulatedDeformableConvolution': [
        Case(inputs=_grad_inputs(_plain_mask, (2, 3, 3, 3), mask=True), attrs=_CONV_ATTRS,
             nondiff=_FIRST_ORDER)],
    '_contrib_DeformablePSROIPooling': [
        Case(inputs=_psroi_inputs, attrs=_PSROI, wrt=[0, 2]),
        Case(inputs=lambda rng: _psroi_inputs(rng, classes=2, parts=1), attrs=_PSROI_CLASSES,
             wrt=[0, 2]),
        Case(inputs=lambda rng: _psroi_inputs(rng, no_trans=True),
             attrs=dict(_PSROI, no_trans=True), wrt=[0])],
    '_backward_contrib_DeformablePSROIPooling': [
        Case(inputs=_psroi_grad_inputs, attrs=_PSROI, nondiff=_FIRST_ORDER)],
    '_contrib_RROIAlign': [
        Case(inputs=_rroi_inputs, attrs=dict(pooled_size=(2, 2), spatial_scale=1.0), wrt=[0]),
        Case(inputs=_rroi_inputs, attrs=dict(pooled_size=(1, 3), spatial_scale=0.7,
                                             sampling_ratio=2), wrt=[0])],
    '_backward_contrib_RROIAlign': [
        Case(inputs=_rroi_adjoint_inputs, attrs=dict(pooled_size=(2, 2), spatial_scale=1.0),
             wrt=[0])],
}
