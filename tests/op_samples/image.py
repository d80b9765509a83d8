"""Cases for d2lmini/ops/image.py: images are HWC / NHWC, tensors CHW / NCHW."""
import numpy as np

from . import Case

_DRAWN = 'the random factor is drawn inside the operator and not kept: no gradient'


def _pixels(*shapes):
    return lambda rng: [rng.uniform(0, 255, size=s) for s in shapes]


def _colour(**attrs):
    return [Case(inputs=_pixels((3, 4, 3)), attrs=attrs, nondiff=_DRAWN, seed=0),
            Case(inputs=_pixels((2, 3, 4, 3)), attrs=attrs, nondiff=_DRAWN, seed=1)]


CASES = {
    '_image_to_tensor': [Case(shapes=[(3, 4, 3)]), Case(shapes=[(2, 3, 4, 1)])],
    '_image_normalize': [Case(shapes=[(3, 2, 4)], attrs=dict(mean=(0.1, 0.2, 0.3),
                                                             std=(0.5, 2.0, 4.0))),
                         Case(shapes=[(2, 1, 3, 2)], attrs=dict(mean=0.5, std=0.25))],
    '_image_flip_left_right': [Case(shapes=[(3, 5, 2)]), Case(shapes=[(2, 3, 4, 3)])],
    '_image_flip_top_bottom': [Case(shapes=[(3, 5, 2)]), Case(shapes=[(2, 3, 4, 3)])],
    '_image_random_flip_left_right': [Case(shapes=[(3, 5, 2)], seed=0),
                                      Case(shapes=[(4, 2, 3, 1)], seed=3)],
    '_image_random_flip_top_bottom': [Case(shapes=[(3, 5, 2)], seed=1),
                                      Case(shapes=[(4, 2, 3, 1)], seed=2)],
    '_image_crop': [Case(shapes=[(5, 6, 3)], attrs=dict(x=1, y=2, width=4, height=3)),
                    Case(shapes=[(2, 4, 4, 1)], attrs=dict(x=0, y=0, width=2, height=4))],
    '_image_resize': [Case(shapes=[(4, 6, 2)], attrs=dict(size=(9, 5))),
                      Case(shapes=[(6, 8, 1)], attrs=dict(size=(3, 4), interp=1)),
                      Case(shapes=[(4, 4, 3)], attrs=dict(size=2, interp=1)),
                      Case(shapes=[(5, 5, 1)], attrs=dict(size=(7, 3), interp=2)),
                      Case(shapes=[(6, 9, 1)], attrs=dict(size=(4, 4), interp=3)),
                      Case(shapes=[(3, 4, 1)], attrs=dict(size=(5, 6), interp=4)),
                      Case(shapes=[(3, 4, 2)], attrs=dict(size=(5, 2), interp=0)),
                      Case(shapes=[(2, 4, 6, 3)], attrs=dict(size=3, keep_ratio=True))],
    '_image_random_brightness': _colour(min_factor=0.5, max_factor=1.5),
    '_image_random_contrast': _colour(min_factor=0.5, max_factor=1.5),
    '_image_random_saturation': _colour(min_factor=0.5, max_factor=1.5),
    '_image_random_hue': _colour(min_factor=0.7, max_factor=1.3),
    '_image_random_color_jitter': _colour(brightness=0.3, contrast=0.3, saturation=0.3,
                                          hue=0.2),
    '_image_adjust_lighting': [Case(inputs=_pixels((3, 4, 3)), attrs=dict(alpha=(0.1, 0.2, 0.3))),
                               Case(inputs=_pixels((2, 2, 3, 3)), attrs=dict(alpha=(-1, 0, 1)))],
    '_image_random_lighting': _colour(alpha_std=0.1),
}
