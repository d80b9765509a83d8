"""The graph a Symbol describes: nodes, their order, and inference over them.

A :class:`Node` is either a variable (``op is None``: an argument or an auxiliary
state, given a value when the graph runs) or one call of a registered operator with
its attributes and the outputs it reads. An *entry* ``(node, index)`` names one
output of a node. Everything here works on entries and nodes and knows nothing of
how a graph is run; the executor and the compiler passes build on it.

>>> from d2lmini import sym
>>> net = sym.FullyConnected(sym.var('data'), num_hidden=3, name='fc')
>>> [n.name for n in topological_order(net._entries)]
['data', 'fc_weight', 'fc_bias', 'fc']
"""
import itertools

import numpy as np

from ..base import MXNetError, shape_str
from ..ops.partial_shapes import merge_dims
from ..util import is_np_shape


_SERIALS = itertools.count()


class Node:
    """One node of a graph: a variable (``op`` None) or an operator call.

    ``attrs`` are the operator's attributes as the caller gave them (typed values);
    ``extra`` holds the string attributes MXNet keeps beside them (``__shape__``,
    ``__init__``, ``lr_mult`` and user ``attr=`` dicts). ``inputs`` are entries.
    """
    __slots__ = ('op', 'name', 'attrs', 'inputs', 'extra', 'serial')

    def __init__(self, op, name, attrs=None, inputs=(), extra=None):
        self.op = op
        self.name = name
        self.attrs = attrs or {}
        self.inputs = list(inputs)
        self.extra = extra or {}
        # when the node was made: control flow tells the nodes a traced function
        # created (its subgraph) from those it found
        self.serial = next(_SERIALS)

    @property
    def is_variable(self):
        return self.op is None

    @property
    def num_outputs(self):
        """Outputs a consumer can read (the visible ones)."""
        return 1 if self.op is None else self.op.visible_outputs(self.attrs)

    def output_names(self):
        if self.op is None:
            return [self.name]
        return [f'{self.name}_{o}' for o in self.op.list_outputs(self.attrs)]

    def __repr__(self):
        return f'<Node {self.name} ({"variable" if self.op is None else self.op.name})>'


def topological_order(entries):
    """Every node the entries depend on, each after its inputs, in MXNet's order
    (depth first, inputs left to right): the order of ``list_arguments``."""
    order, seen = [], set()
    for head, _ in entries:
        if id(head) in seen:
            continue
        stack = [(head, 0)]
        seen.add(id(head))
        while stack:
            node, i = stack[-1]
            if i < len(node.inputs):
                stack[-1] = (node, i + 1)
                child = node.inputs[i][0]
                if id(child) not in seen:
                    seen.add(id(child))
                    stack.append((child, 0))
            else:
                stack.pop()
                order.append(node)
    return order


def aux_variables(order):
    """The ids of the variable nodes that operators use as auxiliary states."""
    aux = set()
    for node in order:
        if node.op is None:
            continue
        # an operator whose inputs depend on its attributes (Custom) names its states
        aux_names = (node.op.aux_names(node.attrs) if hasattr(node.op, 'aux_names')
                     else node.op.aux_inputs)
        if aux_names:
            names = node.op.used_inputs(node.attrs)
            for (src, _), in_name in zip(node.inputs, names):
                if in_name in aux_names and src.op is None:
                    aux.add(id(src))
    return aux


def _node_error(node, message):
    op = f' ({node.op.name})' if node.op is not None else ''
    return MXNetError(f"node '{node.name}'{op}: {message}")


def infer_shapes(entries, known, keep_partial=False):
    """Shapes of every entry reachable from ``entries``, given ``known`` shapes of
    variables by name. Returns a dict entry-key -> shape (None where unknown).

    Inference goes both ways: an operator that knows its weights' shapes from its
    data's (FullyConnected, Convolution, BatchNorm, output layers' labels) fills in
    the variables feeding it, and a partly known shape (a 0 is an unknown dimension
    in MXNet 1.x) is completed from every side of the operators that use it, as MXNet
    1.x does: ``var('a', shape=(0, 10)) + var('b', shape=(12, 0))`` makes both
    ``(12, 10)``. A shape that conflicts with one already known raises an error
    naming the node and both shapes. With ``keep_partial``, variables that stay
    partly known keep their partial shape instead of None.
    """
    order = topological_order(entries)
    shapes = {}
    declared = {}    # variables declared with unknown (0) dimensions
    for node in order:
        if node.op is None:
            given = known.get(node.name)
            if given is None and '__shape__' in node.extra:
                from ..ops.registry import parse_attr
                given = parse_attr('shape', node.extra['__shape__'])
                if given is not None and (not given or 0 in given):   # 0: unknown dimension
                    if given:
                        # partly known: inference may complete it from the operators
                        # it meets (the begin state of a recurrent cell is declared
                        # (0, hidden))
                        declared[(id(node), 0)] = tuple(given)
                    given = None
            shapes[(id(node), 0)] = None if given is None else tuple(given)
    # sweeps forwards and backwards through the graph until nothing changes: a shape
    # found downstream (a partly known batch size) reaches back to the variables
    operators = [node for node in order if node.op is not None]
    seen = {}       # what each operator saw around it when it last ran

    def surroundings(node):
        keys = [(id(src), i) for src, i in node.inputs] + \
            [(id(node), i) for i in range(node.num_outputs)]
        return tuple((shapes.get(k), declared.get(k)) for k in keys)
    for sweep in range(_MAX_SWEEPS):
        changed = False
        for node in (operators if sweep % 2 == 0 else reversed(operators)):
            if seen.get(id(node)) == surroundings(node):
                continue            # nothing new around it: it would find nothing new
            _infer_node(node, shapes, declared)
            _merge_partial_shapes(node, shapes, declared)
            seen[id(node)] = surroundings(node)
            changed = True
        if not changed:
            break
    if keep_partial:
        for key, shape in declared.items():
            if shapes.get(key) is None:
                shapes[key] = shape
    return shapes


_MAX_SWEEPS = 8   # passes over the graph; each one that changes nothing ends inference


def _infer_node(node, shapes, declared):
    """Run the shape inference of operator ``node`` on the shapes known so far and
    record what it finds about its inputs and outputs in ``shapes``."""
    in_keys = [(id(src), i) for src, i in node.inputs]
    in_shapes = _same_shape_inputs(node, [shapes.get(k) for k in in_keys])
    if _has_partial_rule(node) and not is_np_shape() and any(
            s is not None and has_unknown_dim(s) and (i == 0 or node.op.param_shapes is None)
            for i, s in enumerate(in_shapes)):
        # the operator's own inference would read the unknown (0) dimensions as
        # empty axes: its partial-shape rule completes them first
        return
    # a weight or state given with unknown (0) dimensions, as MXNet writes the
    # begin state of an RNN layer (zeros of shape (layers, 0, hidden)), is
    # completed from what the operator needs for its data
    partial = {i: s for i, s in enumerate(in_shapes)
               if i > 0 and s is not None and node.op.param_shapes is not None
               and has_unknown_dim(s)}
    in_shapes = [None if i in partial else s for i, s in enumerate(in_shapes)]
    try:
        new_in, out = node.op.infer_shape_partial(in_shapes, node.attrs)
        new_in = _complete_partial(node, new_in, partial)
    except Exception as e:
        solved = _solve_unknown_dims(node, in_shapes, shapes, in_keys, declared)
        if solved is not None:
            new_in, out = solved
            in_shapes = new_in
        elif any(has_unknown_dim(s) for s in in_shapes):
            # a 0 is an unknown dimension in MXNet 1.x: an operator that cannot
            # work with it leaves its outputs unknown instead of failing
            return
        elif isinstance(e, MXNetError):
            raise _node_error(node, f'cannot infer shapes from inputs '
                              f'{_shapes_text(node, in_shapes)}: {e}') from None
        else:
            raise _node_error(node, f'inputs of shapes {_shapes_text(node, in_shapes)} '
                              f'do not fit: {e}') from None
    in_shapes = [partial.get(i, s) for i, s in enumerate(in_shapes)]
    _check_params(node, in_shapes)
    for (src, i), key, old, new in zip(node.inputs, in_keys, in_shapes, new_in):
        if new is None:
            continue
        if shapes.get(key) is None and key in declared:
            old = declared[key]       # a variable declared partly known
        if old is not None and tuple(old) != tuple(new) and not (
                has_unknown_dim(old) and len(old) == len(new) and all(
                    not o or o == n for o, n in zip(old, new))):
            raise _node_error(node, f"input '{src.name}' has shape {shape_str(old)} "
                              f'but the operator needs {shape_str(new)}')
        shapes[key] = tuple(new)
    if out is None or any(has_unknown_dim(s) for s in out):
        solved = _solve_unknown_dims(node, in_shapes, shapes, in_keys, declared)
        if solved is not None:
            new_in, out = solved
            for key, new in zip(in_keys, new_in):
                shapes[key] = tuple(new)
    if out is not None:
        for i, s in enumerate(out):
            known = shapes.get((id(node), i))
            # a partly known result never overwrites a fuller shape found downstream
            if has_unknown_dim(s) and known is not None and not has_unknown_dim(known):
                continue
            shapes[(id(node), i)] = tuple(s)


# ------------------------------------------------------------------ partly known shapes
# MXNet 1.x reads a 0 in a shape as an unknown dimension, and completes it from any
# side of an operator: from another input, or from the output when a later operator
# tells it. Operators that tie dimensions of their inputs and outputs together
# declare how (``partial_shape=``, see d2lmini.ops.partial_shapes); every other
# operator completes a partly known input only when its own inference can
# (_solve_unknown_dims).
def _has_partial_rule(node):
    """Whether ``node``'s operator declares how it completes partly known shapes
    (``partial_shape=`` in the registry; see :mod:`d2lmini.ops.partial_shapes`)."""
    rule = node.op.partial_shape
    if rule is None:
        return False
    applies = getattr(rule, 'applies', None)
    return applies is None or applies(node.op.full_attrs(node.attrs))


def _merge_partial_shapes(node, shapes, declared):
    """Complete the partly known shapes around ``node`` from one another (see above)."""
    if not _has_partial_rule(node) or is_np_shape():
        return
    rule = node.op.partial_shape
    in_keys = [(id(src), i) for src, i in node.inputs]
    out_keys = [(id(node), i) for i in range(node.num_outputs)]

    def current(key):
        shape = shapes.get(key)
        return declared.get(key) if shape is None else shape
    in_shapes = [current(k) for k in in_keys]
    out_shapes = [current(k) for k in out_keys]
    if all(s is None for s in in_shapes + out_shapes):
        return
    try:
        new_in, new_out = rule(node.op.full_attrs(node.attrs), in_shapes, out_shapes)
        new_in = _partial_param_shapes(node, new_in)
    except MXNetError as e:
        raise _node_error(node, f'{e} (inputs {_shapes_text(node, in_shapes)}, outputs '
                          f'{", ".join("?" if s is None else shape_str(s) for s in out_shapes)})'
                          ) from None
    except (TypeError, ValueError):
        return      # attributes the rule cannot read: the operator's inference reports them
    for key, old, new in zip(in_keys + out_keys, in_shapes + out_shapes, new_in + new_out):
        if new is None or (old is not None and tuple(old) == tuple(new)):
            continue
        if key in declared and has_unknown_dim(new):
            declared[key] = tuple(new)       # a variable still partly known
        else:
            shapes[key] = tuple(new)


def _partial_param_shapes(node, in_shapes):
    """The weights' shapes as far as partly known data tells them (a convolution's
    weight needs only the data's channels)."""
    op = node.op
    data = in_shapes[0] if in_shapes else None
    if op.param_shapes is None or op.variadic or data is None or not has_unknown_dim(data):
        return in_shapes
    try:
        want = op.param_shapes(tuple(data), **op.full_attrs(node.attrs))
    except Exception:       # too little is known yet
        return in_shapes
    in_shapes = list(in_shapes)
    for i, name in enumerate(op.used_inputs(node.attrs)):
        need = want.get(name)
        if i == 0 or i >= len(in_shapes) or need is None or isinstance(need, list):
            continue
        in_shapes[i] = merge_dims([in_shapes[i], tuple(need)], f'{name} shapes')
    return in_shapes


_MAX_TRIALS = 256   # completions _solve_unknown_dims may try for one operator


def _solve_unknown_dims(node, in_shapes, shapes, in_keys, declared):
    """Complete inputs with unknown (0) dimensions, such as the zero begin state of
    a recurrent cell, ``zeros((0, hidden))``, as MXNet 1.x's inference does from the
    other side of the operator: each unknown dimension is tried with the sizes of
    the known inputs and outputs, and the one completion that the operator accepts
    (and that gives the outputs already known downstream) is kept. Returns
    ``(input shapes, output shapes)`` or None."""
    in_shapes = [declared.get(k) if s is None else s for s, k in zip(in_shapes, in_keys)]
    if any(s is None for s in in_shapes):
        return None
    holes = [(i, d) for i, s in enumerate(in_shapes) for d, n in enumerate(s) if n == 0]
    if not holes or is_np_shape():
        return None
    known_out = [shapes.get((id(node), i)) for i in range(node.num_outputs)]
    known_out = [s if s is not None and not has_unknown_dim(s) else None for s in known_out]
    if all(s is None for s in known_out):
        return None              # nothing to check a completion against
    sizes = sorted({n for s in list(in_shapes) + known_out if s is not None for n in s if n})
    if len(sizes) ** len(holes) > _MAX_TRIALS:
        return None              # too many completions to try: leave it unknown
    found = []
    for values in itertools.product(sizes, repeat=len(holes)):
        trial = [list(s) for s in in_shapes]
        for (i, d), v in zip(holes, values):
            trial[i][d] = v
        trial = [tuple(s) for s in trial]
        try:
            new_in, out = node.op.infer_shape_partial(trial, node.attrs)
        except Exception:
            continue
        if out is None or any(k is not None and tuple(k) != tuple(o)
                              for k, o in zip(known_out, out)):
            continue
        found.append((new_in, out))
        if len(found) > 1:
            return None          # ambiguous: leave it unknown
    return found[0] if found else None


def _complete_partial(node, new_in, partial):
    """The inputs' shapes after inference, where each partly known input shape must
    agree with the full shape inferred for it (or stays partly known)."""
    new_in = list(new_in)
    for i, have in partial.items():
        full = new_in[i]
        if full is None:
            new_in[i] = have
        elif len(full) != len(have) or any(h and h != f for h, f in zip(have, full)):
            raise MXNetError(f'input {i} has shape {shape_str(have)}, which does not fit '
                             f'the {shape_str(full)} the operator needs')
    return new_in


# Operators whose inputs all have one shape (the output's): an input of unknown shape
# takes a known one's, as MXNet 1.x's element-wise shape inference does, so that a
# variable's shape reaches the variables added to it.
_SAME_SHAPE_OPS = frozenset(('elemwise_add', 'elemwise_sub', 'elemwise_mul', 'elemwise_div',
                             '_grad_add', 'add_n', 'ElementWiseSum',
                             '_identity_with_attr_like_rhs'))


def _same_shape_inputs(node, in_shapes):
    if node.op.name == 'where' and len(in_shapes) == 3:
        # where(condition, x, y): x and y have one shape
        x, y = _same_shape_values(in_shapes[1:])
        return [in_shapes[0], x, y]
    if node.op.name not in _SAME_SHAPE_OPS:
        return in_shapes
    return _same_shape_values(in_shapes)


def _same_shape_values(in_shapes):
    known = next((s for s in in_shapes if s is not None and not has_unknown_dim(s)), None)
    if known is None:
        return in_shapes
    # unknown inputs, and inputs with unknown (0) dimensions that fit it, take the
    # known shape (a partly known input that does not fit is left for the operator
    # to refuse)
    return [known if s is None or (has_unknown_dim(s) and len(s) == len(known) and all(
        not d or d == k for d, k in zip(s, known))) else s for s in in_shapes]


def has_unknown_dim(shape):
    """Whether ``shape`` is unknown or has a 0, which MXNet 1.x reads as an unknown
    dimension (``infer_shape_partial(data=(0, 3))``: the batch size is not known),
    unless numpy shape semantics are on (``mx.np_shape()``: a 0 is an empty axis).

    >>> has_unknown_dim((0, 3)), has_unknown_dim((2, 3)), has_unknown_dim(None)
    (True, False, True)
    """
    if shape is None:
        return True
    return 0 in tuple(shape) and not is_np_shape()


def _check_params(node, in_shapes):
    """Weights given with shapes the data cannot take (a FullyConnected weight of the
    wrong width) are refused, naming the node, the input and both shapes: the
    operator's own inference only fills in the shapes nobody gave."""
    op = node.op
    if op.param_shapes is None or op.variadic or not in_shapes or in_shapes[0] is None:
        return
    try:
        want = op.param_shapes(tuple(in_shapes[0]), **op.full_attrs(node.attrs))
    except Exception:   # the operator's inference reports a bad configuration itself
        return
    for (src, _), in_name, have in zip(node.inputs, op.used_inputs(node.attrs), in_shapes):
        need = want.get(in_name)
        # labels may take other shapes than the one inferred (the operator checks them)
        if have is None or need is None or in_name == 'label':
            continue
        needs = need if isinstance(need, list) else [need]   # (several shapes accepted)
        partly = has_unknown_dim(have)      # its 0s are unknown, not empty axes
        if not any(len(have) == len(n) and all(not d or h == d or (partly and not h)
                                               for h, d in zip(have, n))
                   for n in needs):
            raise _node_error(node, f"input '{src.name}' ({in_name}) has shape "
                              f'{shape_str(have)} but data of shape '
                              f'{shape_str(in_shapes[0])} needs '
                              f'{" or ".join(shape_str(n) for n in needs)}')


def _shapes_text(node, shapes):
    names = [src.name for src, _ in node.inputs]
    return ', '.join(f'{n}: {"?" if s is None else shape_str(s)}' for n, s in zip(names, shapes))


def infer_types(entries, known):
    """dtypes (numpy) of every entry, given ``known`` dtypes of variables by name;
    unknown variables take the dtype of the data they meet (float32 by default)."""
    order = topological_order(entries)
    types = {}
    for node in order:
        if node.op is None:
            given = known.get(node.name)
            if given is None and '__dtype__' in node.extra:
                given = dtype_from_id(node.extra['__dtype__'])
            types[(id(node), 0)] = None if given is None else np.dtype(given)
    for node in order:
        if node.op is None:
            continue
        in_keys = [(id(src), i) for src, i in node.inputs]
        in_types = [types.get(k) for k in in_keys]
        try:
            new_in, out = node.op.infer_type(in_types, node.attrs)
        except MXNetError as e:
            raise MXNetError(f"node '{node.name}' ({node.op.name}): {e}") from None
        for (src, i), key, old, new in zip(node.inputs, in_keys, in_types, new_in):
            if old is None and new is not None:
                types[key] = new
        for i, t in enumerate(out):
            types[(id(node), i)] = t
    return types


# MXNet's numbering of dtypes, as written in ``__dtype__`` attributes and .params files
DTYPE_IDS = {'float32': 0, 'float64': 1, 'float16': 2, 'uint8': 3, 'int32': 4, 'int8': 5,
             'int64': 6, 'bool': 7}
_ID_DTYPES = {str(v): k for k, v in DTYPE_IDS.items()}


def dtype_from_id(text):
    try:
        return np.dtype(_ID_DTYPES[str(text).strip()])
    except KeyError:
        raise MXNetError(f'unknown dtype id {text!r} in a graph') from None
