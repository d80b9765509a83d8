"""Cases for d2lmini/ops/spatial.py."""
import numpy as np

from . import Case


def _rois(rng):
    """Data and two regions inside it (batch index, x1, y1, x2, y2)."""
    return [rng.normal(size=(2, 2, 6, 6)),
            np.array([[0.0, 0.0, 0.0, 3.0, 3.0], [1.0, 1.4, 1.6, 4.6, 5.2]])]


def _sampling(rng):
    """Images and a grid of points inside them."""
    return [rng.normal(size=(1, 2, 3, 4)), rng.uniform(-0.9, 0.9, size=(1, 2, 2, 3))]


def _transform(rng):
    """Images and affine matrices near the identity."""
    loc = np.array([[1.0, 0.0, 0.0, 0.0, 1.0, 0.0]] * 2) + rng.uniform(-0.1, 0.1, (2, 6))
    return [rng.normal(size=(2, 1, 4, 4)), loc]


_MAX = 'backward is the gradient of a max: checked to first order'
_GRAD = 'a gradient operator, first-order only'

CASES = {
    'im2col': [Case(shapes=[(2, 2, 4, 5)], attrs=dict(kernel=(2, 3), stride=(1, 2), pad=(1, 0))),
               Case(shapes=[(1, 1, 5, 5)], attrs=dict(kernel=(2, 2), dilate=(2, 1))),
               Case(shapes=[(1, 2, 6)], attrs=dict(kernel=(3,), stride=(2,), pad=(1,)))],
    'col2im': [Case(shapes=[(2, 12, 10)], attrs=dict(output_size=(4, 5), kernel=(2, 3),
                                                     stride=(1, 2), pad=(1, 0))),
               Case(shapes=[(1, 4, 12)], attrs=dict(output_size=(5, 5), kernel=(2, 2),
                                                   dilate=(2, 1)))],
    'Crop': [Case(shapes=[(1, 2, 4, 5)], attrs=dict(offset=(1, 1), h_w=(2, 3))),
             Case(shapes=[(1, 2, 4, 5)], attrs=dict(h_w=(3, 3), center_crop=True)),
             Case(shapes=[(1, 2, 4, 5), (1, 1, 2, 2)], attrs=dict(num_args=2, center_crop=True)),
             Case(shapes=[(2, 1, 4, 5), (1, 1, 3, 2)], attrs=dict(num_args=2, offset=(1, 2)))],
    'ROIPooling': [Case(inputs=_rois, wrt=[0], attrs=dict(pooled_size=(2, 2), spatial_scale=1.0)),
                   Case(inputs=_rois, wrt=[0], attrs=dict(pooled_size=(3, 2), spatial_scale=0.5))],
    '_backward_ROIPooling': [Case(inputs=lambda rng: [rng.normal(size=(2, 2, 2, 2))] + _rois(rng),
                                  attrs=dict(pooled_size=(2, 2), spatial_scale=1.0),
                                  nondiff=_GRAD)],
    'GridGenerator': [Case(shapes=[(2, 6)], attrs=dict(transform_type='affine',
                                                        target_shape=(3, 4))),
                      Case(shapes=[(1, 2, 3, 4)], attrs=dict(transform_type='warp'))],
    '_backward_GridGenerator': [Case(shapes=[(2, 2, 3, 4)], attrs=dict(target_shape=(3, 4)))],
    'BilinearSampler': [Case(inputs=_sampling)],
    '_backward_BilinearSampler': [Case(inputs=lambda rng: [rng.normal(size=(1, 2, 2, 3))]
                                       + _sampling(rng), nondiff=_GRAD)],
    'SpatialTransformer': [Case(inputs=_transform, attrs=dict(target_shape=(3, 3),
                                                              transform_type='affine',
                                                              sampler_type='bilinear'))],
}


def _maps(rng):
    """Two feature maps (batch 2, 3 channels, 5x6)."""
    return [rng.normal(size=(2, 3, 5, 6)), rng.normal(size=(2, 3, 5, 6))]


CASES.update({
    'Correlation': [Case(inputs=_maps),
                    Case(inputs=_maps, attrs=dict(kernel_size=3, max_displacement=2, stride2=2,
                                                  pad_size=2)),
                    Case(inputs=_maps, attrs=dict(max_displacement=1, stride1=2, pad_size=1,
                                                  is_multiply=False),
                         nondiff="with is_multiply=False a sum of |a - b|: kinks where a = b")],
    '_backward_Correlation': [Case(inputs=lambda rng: [rng.normal(size=(2, 9, 3, 4))]
                                   + _maps(rng), nondiff=_GRAD)],
})
