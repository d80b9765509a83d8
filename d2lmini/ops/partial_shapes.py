"""How operators complete partly known shapes, as MXNet 1.x's shape inference does.

In MXNet 1.x's (default, "legacy") shape semantics a 0 in a shape is an unknown
dimension: ``var('a', shape=(0, 10)) + var('b', shape=(12, 0))`` makes both
``(12, 10)``, because an element-wise sum ties every dimension of its inputs and
its output together. An operator declares such a tie with ``partial_shape=`` when
it is registered: a rule ``rule(attrs, in_shapes, out_shapes) -> (in_shapes,
out_shapes)`` that fills in what the known dimensions on any side imply (None: a
shape not known at all; 0: a dimension not known). Graph shape inference
(:func:`d2lmini.symbol.graph.infer_shapes`) applies the rules until nothing
changes. A rule with an ``applies(attrs)`` attribute covers only the attributes it
accepts (Convolution: channels-first layouts).

>>> same_shape({}, [(0, 10), (12, 0)], [None])
([(12, 10), (12, 10)], [(12, 10)])
"""
from ..base import MXNetError, shape_str


def merge_dims(shapes, what='shapes'):
    """One shape from partly known ``shapes`` (None: not known at all) of one rank:
    each dimension is the one known value (0 while nobody knows it). Raises
    MXNetError when two known values differ.

    >>> merge_dims([(0, 10), (12, 0), None])
    (12, 10)
    """
    known = [tuple(s) for s in shapes if s is not None]
    if not known:
        return None
    if len({len(s) for s in known}) > 1:
        raise MXNetError(f'{what} {", ".join(shape_str(s) for s in known)} '
                         'have different numbers of dimensions')
    merged = []
    for dims in zip(*known):
        values = {d for d in dims if d}
        if len(values) > 1:
            raise MXNetError(f'{what} {", ".join(shape_str(s) for s in known)} do not agree')
        merged.append(values.pop() if values else 0)
    return tuple(merged)


def same_shape(attrs, in_shapes, out_shapes):
    """Element-wise operators: every input and the output have one shape."""
    merged = merge_dims(in_shapes + out_shapes[:1], 'element-wise shapes')
    return [merged] * len(in_shapes), [merged] + list(out_shapes[1:])


def fully_connected(attrs, in_shapes, out_shapes):
    """FullyConnected: the output is ``(batch, num_hidden)`` (``flatten=False``: the
    data's leading axes then ``num_hidden``); its batch axes are the data's."""
    data, out = in_shapes[0], out_shapes[0]
    hidden = attrs.get('num_hidden')
    if data is None or out is None:
        if data is not None and hidden:
            lead = data[:1] if attrs.get('flatten', True) else data[:-1]
            return in_shapes, [lead + (hidden,)] + list(out_shapes[1:])
        return in_shapes, out_shapes
    if attrs.get('flatten', True):
        if len(out) != 2 or not data:
            return in_shapes, out_shapes
        batch = merge_dims([data[:1], out[:1]], 'batch sizes')
        return [batch + tuple(data[1:])] + in_shapes[1:], [batch + (hidden or out[1],)]
    if len(out) != len(data):
        return in_shapes, out_shapes
    lead = merge_dims([data[:-1], out[:-1]], 'leading axes')
    return [lead + tuple(data[-1:])] + in_shapes[1:], [lead + (hidden or out[-1],)]


def convolution(attrs, in_shapes, out_shapes):
    """Convolution (channels first): the batch size is the data's; with stride 1,
    a spatial size of the data follows from the output's, as in MXNet 1.x."""
    data, out = in_shapes[0], out_shapes[0]
    layout = attrs.get('layout')
    if data is None or len(data) < 3 or (layout and not str(layout).startswith('NC')):
        return in_shapes, out_shapes
    if out is None:
        out = (0, attrs.get('num_filter') or 0) + (0,) * (len(data) - 2)
    if len(data) != len(out):
        return in_shapes, out_shapes
    n = len(data) - 2
    kernel = tuple(attrs.get('kernel') or ())
    if len(kernel) != n:
        return in_shapes, out_shapes

    def per_axis(name, default):
        value = tuple(attrs.get(name) or ())
        return value if len(value) == n else (default,) * n
    stride, dilate, pad = per_axis('stride', 1), per_axis('dilate', 1), per_axis('pad', 0)
    batch = merge_dims([data[:1], out[:1]], 'batch sizes')
    spatial = list(data[2:])
    for i in range(n):
        if not spatial[i] and out[2 + i] and stride[i] == 1:
            spatial[i] = out[2 + i] + dilate[i] * (kernel[i] - 1) - 2 * pad[i]
    out_spatial = list(out[2:])
    for i in range(n):
        if spatial[i] and not out_spatial[i]:
            reach = dilate[i] * (kernel[i] - 1) + 1
            if reach > spatial[i] + 2 * pad[i]:     # a known size that fits no window
                raise MXNetError(f'Convolution: kernel {kernel} (dilate {dilate}) is larger '
                                 f'than the padded input: {reach} > {spatial[i]} + 2 * '
                                 f'{pad[i]} in spatial axis {i}')
            out_spatial[i] = (spatial[i] + 2 * pad[i] - reach) // stride[i] + 1
    return ([batch + tuple(data[1:2]) + tuple(spatial)] + in_shapes[1:],
            [batch + tuple(out[1:2]) + tuple(out_spatial)])


convolution.applies = lambda attrs: not attrs.get('layout') or \
    str(attrs['layout']).startswith('NC')


def concat(attrs, in_shapes, out_shapes):
    """Concat: all axes but ``dim`` are shared by the inputs and the output; along
    ``dim`` the output is the sum of the inputs, and one unknown input size follows
    from the output's."""
    out = out_shapes[0]
    known = [s for s in in_shapes + [out] if s is not None]
    if not known:
        return in_shapes, out_shapes
    ndim = len(known[0])
    dim = attrs.get('dim', 1)
    dim = dim + ndim if dim < 0 else dim
    if not 0 <= dim < ndim or any(len(s) != ndim for s in known):
        return in_shapes, out_shapes

    def without(s):
        return None if s is None else tuple(s[:dim]) + tuple(s[dim + 1:])
    rest = merge_dims([without(s) for s in known], 'concatenated shapes')

    def put(s, size):
        return rest[:dim] + (size,) + rest[dim:]
    sizes = [0 if s is None else s[dim] for s in in_shapes]
    total = out[dim] if out is not None else 0
    unknown = [i for i, d in enumerate(sizes) if not d]
    if not unknown:
        if total and total != sum(sizes):
            raise MXNetError(f'the inputs add up to {sum(sizes)} along axis {dim}, '
                             f'not {total}')
        total = sum(sizes)
    elif len(unknown) == 1 and total:
        sizes[unknown[0]] = total - sum(sizes)
        if sizes[unknown[0]] <= 0:
            raise MXNetError(f'the known inputs add up to more than {total} along axis {dim}')
    new_in = [put(s, d) if s is not None or d else None for s, d in zip(in_shapes, sizes)]
    return new_in, [put(out, total)] + list(out_shapes[1:])
