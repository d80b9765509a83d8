"""Cases for d2lmini/operator.py (``Custom``), with a custom operator of two
arguments registered here: ``out = data * weight + scale``."""
import d2lmini as mx

from . import Case


class _Affine(mx.operator.CustomOp):
    def __init__(self, scale):
        super().__init__()
        self.scale = scale

    def forward(self, is_train, req, in_data, out_data, aux):
        self.assign(out_data[0], req[0], in_data[0] * in_data[1] + self.scale)

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        self.assign(in_grad[0], req[0], out_grad[0] * in_data[1])
        self.assign(in_grad[1], req[1], out_grad[0] * in_data[0])


@mx.operator.register('_walk_affine')
class _AffineProp(mx.operator.CustomOpProp):
    def __init__(self, scale='0'):
        super().__init__()
        self.scale = float(scale)

    def list_arguments(self):
        return ['data', 'weight']

    def create_operator(self, ctx, shapes, dtypes):
        return _Affine(self.scale)


CASES = {
    'Custom': [Case(shapes=[(2, 3), (2, 3)], attrs=dict(op_type='_walk_affine', scale='2.0'))],
    '_backward_Custom': [Case(shapes=[(2, 3), (2, 3), (2, 3), (2, 3)],
                              attrs=dict(op_type='_walk_affine'),
                              nondiff='the gradient of a custom operator, first-order only')],
}
