"""Cases for d2lmini/ops/convolution.py."""
from . import Case

CASES = {
    'Convolution': [
        Case(shapes=[(2, 3, 5, 5), (4, 3, 3, 3), (4,)], attrs=dict(kernel=(3, 3), num_filter=4)),
        Case(shapes=[(2, 4, 6, 5), (6, 2, 2, 3), (6,)],
             attrs=dict(kernel=(2, 3), stride=(2, 1), pad=(1, 2), num_filter=6, num_group=2)),
        Case(shapes=[(1, 2, 7, 7), (3, 2, 3, 2)],
             attrs=dict(kernel=(3, 2), dilate=(2, 3), pad=(1, 0), num_filter=3, no_bias=True)),
        Case(shapes=[(2, 3, 9), (2, 3, 3), (2,)],
             attrs=dict(kernel=(3,), stride=(2,), pad=(1,), num_filter=2)),
        Case(shapes=[(1, 2, 4, 4, 3), (2, 2, 2, 2, 2), (2,)],
             attrs=dict(kernel=(2, 2, 2), stride=(2, 1, 1), num_filter=2)),
        # stride 1 with groups: the data gradient is a convolution with the flipped weight
        Case(shapes=[(2, 4, 5, 5), (4, 2, 3, 3), (4,)],
             attrs=dict(kernel=(3, 3), pad=(1, 1), num_filter=4, num_group=2)),
        Case(shapes=[(1, 2, 6, 6), (2, 2, 3, 3)],
             attrs=dict(kernel=(3, 3), dilate=(2, 2), pad=(2, 2), num_filter=2, no_bias=True)),
        # padding wider than the kernel: the data gradient falls back to col2im
        Case(shapes=[(1, 2, 3, 3), (2, 2, 2, 2)],
             attrs=dict(kernel=(2, 2), pad=(2, 2), num_filter=2, no_bias=True)),
        # channels last: data (N, H, W, C), weight (num_filter, kh, kw, C/num_group)
        Case(shapes=[(2, 5, 4, 3), (4, 3, 2, 3), (4,)],
             attrs=dict(kernel=(3, 2), stride=(2, 1), pad=(1, 1), num_filter=4,
                        layout='NHWC')),
        Case(shapes=[(1, 5, 5, 4), (4, 3, 3, 2), (4,)],
             attrs=dict(kernel=(3, 3), pad=(1, 1), num_filter=4, num_group=2, layout='NHWC')),
        Case(shapes=[(1, 3, 4, 4, 2), (2, 2, 2, 2, 2)],
             attrs=dict(kernel=(2, 2, 2), stride=(1, 2, 1), num_filter=2, no_bias=True,
                        layout='NDHWC')),
    ],
    '_conv_data_grad': [
        Case(shapes=[(2, 4, 3, 3), (4, 3, 3, 3)],
             attrs=dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), data_shape=(2, 3, 6, 5))),
        Case(shapes=[(1, 4, 4), (4, 1, 2)],
             attrs=dict(kernel=(2,), dilate=(2,), num_group=2, data_shape=(1, 2, 6))),
    ],
    '_conv_weight_grad': [
        Case(shapes=[(2, 4, 3, 3), (2, 3, 6, 5)],
             attrs=dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1))),
        Case(shapes=[(1, 4, 4), (1, 2, 6)], attrs=dict(kernel=(2,), dilate=(2,), num_group=2)),
    ],
    '_conv_bias_grad': [Case(shapes=[(2, 3, 4, 5)]), Case(shapes=[(2, 3, 4)])],
    '_conv_bias_broadcast': [Case(shapes=[(3,), (2, 3, 4, 5)], wrt=[0])],
    'Deconvolution': [
        Case(shapes=[(2, 3, 3, 4), (3, 2, 3, 3)], attrs=dict(kernel=(3, 3), num_filter=2)),
        Case(shapes=[(2, 4, 3, 3), (4, 3, 3, 2), (6,)],
             attrs=dict(kernel=(3, 2), stride=(2, 2), pad=(1, 0), adj=(1, 1), num_filter=6,
                        num_group=2, no_bias=False)),
        Case(shapes=[(1, 2, 3, 3), (2, 1, 3, 3)],
             attrs=dict(kernel=(3, 3), stride=(2, 2), target_shape=(6, 5), num_filter=1)),
        Case(shapes=[(2, 2, 4), (2, 3, 2)],
             attrs=dict(kernel=(2,), stride=(2,), dilate=(2,), num_filter=3)),
        # channels last: weight (C, kh, kw, num_filter/num_group)
        Case(shapes=[(2, 3, 3, 4), (4, 3, 2, 3), (6,)],
             attrs=dict(kernel=(3, 2), stride=(2, 2), pad=(1, 0), adj=(1, 1), num_filter=6,
                        num_group=2, no_bias=False, layout='NHWC')),
        Case(shapes=[(1, 2, 2, 3, 2), (2, 2, 2, 2, 3)],
             attrs=dict(kernel=(2, 2, 2), stride=(2, 1, 2), num_filter=3, layout='NDHWC')),
    ],
}
