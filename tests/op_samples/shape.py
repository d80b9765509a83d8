"""Cases for d2lmini/ops/shape.py."""

from . import Case

def _tiled_grad(shape, data_shape):
    """Inputs for an internal backward operator: an output gradient and the input."""
    return lambda rng: [rng.normal(size=shape), rng.normal(size=data_shape)]

CASES = {
    'reshape': [Case(shapes=[(2, 3, 4)], attrs=dict(shape=(4, 0, 2))),
                Case(shapes=[(2, 3, 4)], attrs=dict(shape=(-4, 1, 2, -3))),
                Case(shapes=[(2, 3, 4)], attrs=dict(shape=(-1, 0), reverse=True))],
    '_identity_with_attr_like_rhs': [Case(shapes=[(2, 3), (2, 3)])],
    'reshape_like': [Case(shapes=[(6,), (2, 3)], wrt=[0]),
                     Case(shapes=[(2, 3, 4), (6, 5)], wrt=[0],
                          attrs=dict(lhs_begin=0, lhs_end=2, rhs_begin=0, rhs_end=1))],
    'transpose': [Case(shapes=[(2, 3, 4)]), Case(shapes=[(2, 3, 4)], attrs=dict(axes=(1, 2, 0)))],
    'swapaxes': [Case(shapes=[(2, 3, 4)], attrs=dict(dim1=0, dim2=-1))],
    'expand_dims': [Case(shapes=[(2, 3)], attrs=dict(axis=-1))],
    'squeeze': [Case(shapes=[(1, 3, 1)]), Case(shapes=[(1, 3, 1)], attrs=dict(axis=(0,)))],
    'Flatten': [Case(shapes=[(2, 3, 2)])],
    'Concat': [Case(shapes=[(2, 3), (2, 1), (2, 2)]),
               Case(shapes=[(1, 3), (2, 3)], attrs=dict(dim=0, num_args=2))],
    '_rnn_param_concat': [Case(shapes=[(6,), (4,)], attrs=dict(dim=0))],
    'stack': [Case(shapes=[(2, 3), (2, 3)], attrs=dict(axis=1)),
              Case(shapes=[(3,)], attrs=dict(axis=-1))],
    'SliceChannel': [Case(shapes=[(2, 6)], attrs=dict(num_outputs=3)),
                     Case(shapes=[(2, 3)], attrs=dict(num_outputs=2, axis=0, squeeze_axis=True))],
    'tile': [Case(shapes=[(2, 3)], attrs=dict(reps=(2, 1, 2))),
             Case(shapes=[(2, 3)], attrs=dict(reps=(2,)))],
    '_backward_tile': [Case(inputs=_tiled_grad((2, 2, 6), (2, 3)), attrs=dict(reps=(2, 1, 2)),
                            wrt=[0])],
    'repeat': [Case(shapes=[(2, 3)], attrs=dict(repeats=2)),
               Case(shapes=[(2, 3)], attrs=dict(repeats=3, axis=0))],
    '_backward_repeat': [Case(inputs=_tiled_grad((2, 6), (2, 3)), attrs=dict(repeats=2, axis=1),
                              wrt=[0]),
                         Case(inputs=_tiled_grad((12,), (2, 3)), attrs=dict(repeats=2), wrt=[0])],
    'reverse': [Case(shapes=[(2, 3, 2)], attrs=dict(axis=(0, 2)))],
    'broadcast_to': [Case(shapes=[(1, 3)], attrs=dict(shape=(2, 3))),
                     Case(shapes=[(3, 1, 2)], attrs=dict(shape=(0, 4, 0)))],
    'broadcast_like': [Case(shapes=[(1, 3), (2, 3)], wrt=[0]),
                       Case(shapes=[(1, 3), (4, 5)], wrt=[0],
                            attrs=dict(lhs_axes=(0,), rhs_axes=(1,)))],
    'broadcast_axis': [Case(shapes=[(1, 3, 1)], attrs=dict(axis=(0, 2), size=(2, 4)))],
    'Pad': [Case(shapes=[(1, 2, 3, 4)], attrs=dict(mode=m, pad_width=(0, 0, 0, 0, 2, 1, 1, 3),
                                                  constant_value=0.5))
            for m in ('constant', 'edge', 'reflect')]
    + [Case(shapes=[(1, 1, 2, 3, 3)], attrs=dict(mode='edge', pad_width=(0, 0, 0, 0, 1, 0, 0, 2,
                                                                         1, 1)))],
    '_backward_Pad': [Case(shapes=[(1, 2, 6, 8)], attrs=dict(mode=m, pad_width=(0, 0, 0, 0, 2, 1,
                                                                               1, 3)))
                      for m in ('constant', 'edge', 'reflect')],
    'depth_to_space': [Case(shapes=[(1, 8, 2, 3)], attrs=dict(block_size=2))],
    'space_to_depth': [Case(shapes=[(1, 2, 4, 6)], attrs=dict(block_size=2))],
}

CASES.update({
    '_split_v2': [Case(shapes=[(6, 2)], attrs=dict(indices=(0, 1, 3), axis=0)),
                  Case(shapes=[(2, 3)], attrs=dict(indices=(0, 2, 2), axis=1)),
                  Case(shapes=[(2, 3)], attrs=dict(indices=(0,), axis=-1, sections=3,
                                                   squeeze_axis=True))],
})
