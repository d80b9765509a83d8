"""Symbols: computations described before any data exists.

``sym.FullyConnected(sym.var('data'), num_hidden=10, name='fc')`` runs nothing: it
adds a node to a graph. A :class:`Symbol` is a list of outputs of such nodes. The
graph can be asked what it needs (``list_arguments``), what shapes and types flow
through it (``infer_shape``, ``infer_type``), written to MXNet's JSON format
(``tojson``/``save``) and read back (``load``/``fromjson``), and bound to arrays to
run (``bind``/``simple_bind``, see :mod:`d2lmini.symbol.executor`).

Every operator of the registry is a symbol function here, with the same calling
convention as in ``nd``; inputs not given become variables named after the node
(``fc_weight``, ``fc_bias``, ``out_label``), as in MXNet.

>>> import d2lmini as mx
>>> data = mx.sym.var('data')
>>> net = mx.sym.FullyConnected(data, num_hidden=10, name='fc')
>>> net.list_arguments()
['data', 'fc_weight', 'fc_bias']
>>> net.infer_shape(data=(4, 20))[0]
[(4, 20), (10, 20), (10,)]
"""
import json
import warnings

import numpy as np

from .. import name as _name
from ..base import MXNetError, NotImplementedForSymbol, file_error, numeric_types  # noqa: F401
from ..ops import OPS
from ..ops.registry import _without_namespace, format_attr, get as get_op
from . import graph as _graph
from .graph import Node, topological_order
from ..util import is_np_shape, np_shape as np_shape_scope


# The format version written into JSON graphs: MXNet 1.9.1's, so that it reads them.
MXNET_VERSION = 10901


class Symbol:
    """One or more outputs of a graph (see the module's docstring)."""

    __slots__ = ('_entries', '__weakref__')

    def __init__(self, entries):
        self._entries = list(entries)

    # ------------------------------------------------------------ structure
    @property
    def name(self):
        """The name of the node of the symbol's outputs: of its one output, or of a
        multi-output operator's outputs (``split0``); None for a group of several
        nodes."""
        nodes = {id(node) for node, _ in self._entries}
        if len(nodes) != 1:
            return None
        return self._entries[0][0].name

    def __len__(self):
        return len(self._entries)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __getitem__(self, index):
        """An output by position or by name (``'fc1_output'``), or a slice of them."""
        if isinstance(index, str):
            names = self.list_outputs()
            if names.count(index) != 1:
                raise ValueError(f'There are {names.count(index)} outputs named {index!r} '
                                 f'among {names}')
            index = names.index(index)
        if isinstance(index, slice):
            # as MXNet 1.x: every position of the range must be an output (no clipping
            # at the end), and the group must not be empty
            start = 0 if index.start is None else index.start
            stop = len(self) if index.stop is None else index.stop
            step = 1 if index.step is None else index.step
            picked = [self[i]._entries[0] for i in range(start, stop, step)]
            if not picked:
                raise TypeError(f'Symbol slice {index} selects none of its {len(self)} '
                                'output(s)')
            return Symbol(picked)
        if not isinstance(index, (int, np.integer)):
            raise TypeError(f'Symbol index must be an int, a str or a slice, not '
                            f'{type(index).__name__}')
        if not -len(self) <= index < len(self):
            raise IndexError(f'Symbol has {len(self)} output(s); index {index} is out of range')
        return Symbol([self._entries[index]])

    def _order(self):
        return topological_order(self._entries)

    def list_arguments(self):
        """Names of the variables that are not auxiliary states, in graph order."""
        order = self._order()
        aux = _graph.aux_variables(order)
        return [n.name for n in order if n.op is None and id(n) not in aux]

    def list_auxiliary_states(self):
        """Names of the variables operators update themselves (BatchNorm's moving
        statistics)."""
        order = self._order()
        aux = _graph.aux_variables(order)
        return [n.name for n in order if n.op is None and id(n) in aux]

    def list_inputs(self):
        """Names of every variable, arguments and auxiliary states, in graph order."""
        return [n.name for n in self._order() if n.op is None]

    def list_outputs(self):
        """Names of the outputs (``fc_output``; a variable's own name)."""
        return [node.output_names()[i] for node, i in self._entries]

    def get_internals(self):
        """A symbol whose outputs are every output of every node of the graph."""
        entries = []
        for node in self._order():
            entries.extend((node, i) for i in range(node.num_outputs))
        return Symbol(entries)

    def get_children(self):
        """The inputs of this symbol's node(s), as one symbol (None for a variable).

        A node read through several of its outputs (the pieces of ``SliceChannel``)
        lists its inputs once, as MXNet 1.x does.
        """
        nodes = list({id(node): node for node, _ in self._entries}.values())
        entries = [e for node in nodes for e in node.inputs]
        return Symbol(entries) if entries else None

    # ------------------------------------------------------------ attributes
    def attr(self, key):
        """The string attribute ``key`` of this symbol's node, or None.

        >>> import d2lmini as mx
        >>> mx.sym.var('w', lr_mult=2).attr('lr_mult')
        '2'
        """
        node = self._single_node('attr')
        return _string_attrs(node).get(_stored_key(key))

    def list_attr(self, recursive=False):
        """The node's attributes as strings (every node's, keyed ``name$key``, when
        ``recursive``)."""
        if recursive:
            warnings.warn('list_attr(recursive=True) is deprecated; use attr_dict()',
                          DeprecationWarning, stacklevel=2)
            return {f'{n.name}${k}': v for n in self._order() for k, v in _listed_attrs(n).items()}
        return _listed_attrs(self._single_node('list_attr'))

    def attr_dict(self):
        """Every node's attributes as strings, keyed by node name (nodes without
        attributes are left out)."""
        return {n.name: a for n in self._order() if (a := _listed_attrs(n))}

    def _set_attr(self, **kwargs):
        node = self._single_node('_set_attr')
        for k, v in kwargs.items():
            if not isinstance(v, str):
                raise ValueError(f'Set Attr only accepts string values, got {k}={v!r}')
            node.extra[_stored_key(k)] = v

    def _single_node(self, what):
        if len(self._entries) != 1:
            raise MXNetError(f'{what}: a group of {len(self._entries)} outputs has no single '
                             'node; index it first')
        return self._entries[0][0]

    # ------------------------------------------------------------ composition
    def __call__(self, *args, **kwargs):
        """A copy of this graph with variables replaced by other symbols: positional
        arguments replace ``list_arguments()`` in order, keyword ones by name;
        ``name`` renames the output node."""
        name = kwargs.pop('name', None)
        args_names = self.list_arguments()
        subs = {}
        if args:
            if kwargs:
                raise TypeError('compose only accepts input Symbols either as positional '
                                'or keyword arguments, not both')
            if len(args) > len(args_names):
                raise TypeError(f'this symbol takes {len(args_names)} arguments, got {len(args)}')
            subs = dict(zip(args_names, args))
        for k, v in kwargs.items():
            if k not in args_names:
                raise ValueError(f'compose: {k!r} is not an argument of this symbol; its '
                                 f'arguments are {args_names}')
            subs[k] = v
        for k, v in subs.items():
            if not isinstance(v, Symbol) or len(v) != 1:
                raise TypeError(f'compose: argument {k!r} must be a single-output Symbol')
        out = _copy_graph(self._entries, {k: v._entries[0] for k, v in subs.items()})
        if name is not None:
            out._single_node('compose').name = name
        return out

    def __copy__(self):
        return _copy_graph(self._entries, {})

    copy = __copy__

    def __deepcopy__(self, memo):
        return _copy_graph(self._entries, {})

    def __reduce__(self):
        # pickled as its JSON graph, as MXNet 1.x pickles a Symbol (operators hold
        # functions that pickle cannot name)
        return (fromjson, (self.tojson(),))

    # ------------------------------------------------------------ inference
    def infer_shape(self, *args, **kwargs):
        """``(arg_shapes, out_shapes, aux_shapes)`` from the shapes of some arguments
        (positional in ``list_arguments`` order, or by name). If some shape stays
        unknown or has an unknown dimension (a 0), warns and returns
        ``(None, None, None)``, as MXNet 1.x does."""
        arg, out, aux, complete = self._infer_shape(args, kwargs)
        if not complete:
            unknown = [n for n, s in zip(self.list_arguments(), arg) if not s]
            warnings.warn('Cannot decide shape for the following arguments (0s in shape means '
                          'unknown dimensions). Consider providing them as input:\n\t'
                          + '\n\t'.join(f'{n}: ()' for n in unknown), stacklevel=2)
            return None, None, None
        return arg, out, aux

    def infer_shape_partial(self, *args, **kwargs):
        """Like ``infer_shape``, with ``()`` for the shapes that stay unknown."""
        arg, out, aux, _ = self._infer_shape(args, kwargs)
        return arg, out, aux

    def _infer_shape(self, args, kwargs):
        known = self._named(args, kwargs, 'infer_shape')
        order = self._order()
        for k, v in known.items():
            if v is not None and not isinstance(v, tuple):
                known[k] = tuple(v)
        np_shape = is_np_shape()
        # with numpy shape semantics (mx.np_shape()) a -1 is an unknown dimension and a
        # 0 an empty axis; inference reads the -1s as MXNet 1.x's unknown 0s and writes
        # them back as -1 (shapes with both an empty axis and an unknown one are left
        # as they are)
        minus_one = np_shape and any(v is not None and -1 in v for v in known.values()) \
            and not any(v is not None and 0 in v for v in known.values())
        if minus_one:
            known = {k: None if v is None else tuple(0 if d == -1 else d for d in v)
                     for k, v in known.items()}
            with np_shape_scope(False):
                shapes = _graph.infer_shapes(self._entries, known, keep_partial=True)
            shapes = {k: None if s is None else tuple(-1 if d == 0 else d for d in s)
                      for k, s in shapes.items()}
        else:
            shapes = _graph.infer_shapes(self._entries, known, keep_partial=True)
        aux = _graph.aux_variables(order)
        variables = [n for n in order if n.op is None]

        def get(key):
            s = shapes.get(key)
            # an unknown shape: () in MXNet 1.x, None with numpy shape semantics
            return (None if np_shape else ()) if s is None else s

        def unknown(s):
            return _graph.has_unknown_dim(s) or (np_shape and -1 in s)
        arg = [get((id(n), 0)) for n in variables if id(n) not in aux]
        auxs = [get((id(n), 0)) for n in variables if id(n) in aux]
        out = [get((id(node), i)) for node, i in self._entries]
        # a 0 is an unknown dimension, as in MXNet 1.x: such a shape is not complete
        complete = not any(unknown(shapes.get((id(n), 0))) for n in variables) \
            and not any(unknown(shapes.get((id(node), i))) for node, i in self._entries)
        return arg, out, auxs, complete

    def infer_type_partial(self, *args, **kwargs):
        """Like :meth:`infer_type`, but types that cannot be decided are None instead
        of making every list None.

        >>> import d2lmini as mx
        >>> mx.sym.var('x').infer_type_partial()
        ([None], [None], [])
        """
        return self._infer_type(args, kwargs, partial=True)

    def infer_type(self, *args, **kwargs):
        """``(arg_types, out_types, aux_types)`` as numpy types, from some arguments'
        dtypes (names such as ``'float32'`` or numpy types)."""
        return self._infer_type(args, kwargs, partial=False)

    def _infer_type(self, args, kwargs, partial):
        known = self._named(args, kwargs, 'infer_type')
        from ..base import as_dtype
        known = {k: as_dtype(v) for k, v in known.items() if v is not None}
        types = _graph.infer_types(self._entries, known)
        order = self._order()
        aux = _graph.aux_variables(order)
        variables = [n for n in order if n.op is None]

        declared = known or any('__dtype__' in n.extra for n in variables)

        def get(key):
            t = types.get(key)
            # with no dtype given anywhere, a partial answer knows nothing, as in MXNet
            return None if t is None or (partial and not declared) else t.type
        if not partial and any(types.get((id(n), 0)) is None for n in variables):
            unknown = [n.name for n in variables if id(n) not in aux]
            warnings.warn('Cannot decide type for the following arguments. Consider providing '
                          'them as input:\n\t' + '\n\t'.join(f'{n}: None' for n in unknown),
                          stacklevel=2)
            return None, None, None
        return ([get((id(n), 0)) for n in variables if id(n) not in aux],
                [get((id(node), i)) for node, i in self._entries],
                [get((id(n), 0)) for n in variables if id(n) in aux])

    def _named(self, args, kwargs, what):
        names = self.list_arguments()
        if args and kwargs:
            raise TypeError(f'{what}: give the arguments positionally or by name, not both')
        if args:
            if len(args) > len(names):
                raise TypeError(f'{what}: {len(args)} values for {len(names)} arguments')
            return {n: v for n, v in zip(names, args) if v is not None}
        inputs = set(self.list_inputs())
        unknown = [k for k in kwargs if k not in inputs]
        if unknown:
            raise MXNetError(f'{what}: {", ".join(map(repr, unknown))} is not an input of this '
                             f'symbol; its inputs are {sorted(inputs)}')
        return dict(kwargs)

    # ------------------------------------------------------------ files
    def tojson(self):
        """The graph in MXNet's JSON format (what ``-symbol.json`` files hold)."""
        order = self._order()
        index = {id(n): i for i, n in enumerate(order)}
        aux = _graph.aux_variables(order)
        nodes, row_ptr = [], [0]
        for n in order:
            entry = {'op': 'null' if n.op is None else n.op.name, 'name': n.name}
            attrs = _string_attrs(n)
            if 'program' in n.attrs:   # control flow: the node carries subgraphs
                from .control_flow import write_node
                entry['subgraphs'] = write_node(n)[1]
            if attrs:
                entry['attrs'] = attrs
            entry['inputs'] = [[index[id(src)], i, 1 if id(src) in aux else 0]
                               for src, i in n.inputs]
            nodes.append(entry)
            row_ptr.append(row_ptr[-1] + _all_outputs(n))
        doc = {
            'nodes': nodes,
            'arg_nodes': [i for i, n in enumerate(order) if n.op is None],
            'node_row_ptr': row_ptr,
            'heads': [[index[id(node)], i, 1 if id(node) in aux else 0]
                      for node, i in self._entries],
            'attrs': {'mxnet_version': ['int', MXNET_VERSION]},
        }
        return _dmlc_json(doc)

    def save(self, fname, remove_amp_cast=True):
        """Write ``tojson()`` to ``fname`` (atomically: a failed write leaves any old
        file as it was)."""
        from ..fileio import write_bytes_atomically
        write_bytes_atomically(fname, self.tojson().encode('utf-8'))

    # ------------------------------------------------------------ running
    def bind(self, ctx, args, args_grad=None, grad_req='write', aux_states=None,
             group2ctx=None, shared_exec=None):
        """An :class:`~d2lmini.symbol.executor.Executor` running this graph on ``ctx``
        with the given argument arrays (a list in ``list_arguments`` order or a dict).
        ``group2ctx`` runs the nodes made under ``mx.AttrScope(ctx_group=...)`` on the
        context it maps that group to. ``shared_exec`` is accepted for MXNet's
        signature (it only saves memory there)."""
        from .executor import Executor
        return Executor(self, ctx, args, args_grad, grad_req, aux_states, group2ctx)

    def simple_bind(self, ctx, grad_req='write', type_dict=None, stype_dict=None,
                    group2ctx=None, shared_arg_names=None, shared_exec=None,
                    shared_buffer=None, **kwargs):
        """Bind with arrays allocated here (zeros) from the shapes given by name."""
        from .executor import simple_bind
        return simple_bind(self, ctx, grad_req, type_dict, kwargs, group2ctx, stype_dict)

    def eval(self, ctx=None, **kwargs):
        """Run the graph once on the arrays given by name; a list of outputs."""
        from ..context import current_context
        ctx = current_context() if ctx is None else ctx
        return self.bind(ctx, kwargs, grad_req='null').forward()

    # ------------------------------------------------------------ not data
    def __bool__(self):
        raise NotImplementedForSymbol(
            'Function __bool__ (namely operator "bool") is not implemented for Symbol: a '
            'Symbol has no value, so it cannot be used as a Python bool (in an if, while, '
            'and/or, or assert). Inside hybrid_forward this means the block branches on '
            'data, which a graph traced once cannot do: compute both branches and pick with '
            'F.where(cond, a, b), or keep this block un-hybridized')

    def asnumpy(self):
        """Refused: a Symbol describes a computation and holds no values."""
        raise NotImplementedForSymbol(
            'Function asnumpy is not implemented for Symbol and only available in NDArray: '
            'a Symbol has no values to read. Bind it to arrays (sym.bind / sym.eval) or run '
            'the block without hybridize() to see values')

    def asscalar(self):
        """Refused: a Symbol describes a computation and holds no values."""
        raise NotImplementedForSymbol(
            'Function asscalar is not implemented for Symbol and only available in NDArray')

    def __array__(self, *args, **kwargs):
        self.asnumpy()

    def _ndarray_only(name):   # noqa: N805  (builds methods in the class body)
        def refuse(self, *args, **kwargs):
            raise NotImplementedForSymbol(
                f'Function {name} is not implemented for Symbol and only available in '
                'NDArray')
        refuse.__name__ = name
        refuse.__doc__ = 'Refused, as in MXNet: an NDArray method with no meaning for a Symbol.'
        return refuse

    as_in_context = _ndarray_only('as_in_context')
    detach = _ndarray_only('detach')
    backward = _ndarray_only('backward')
    wait_to_read = _ndarray_only('wait_to_read')
    del _ndarray_only

    def gradient(self, wrt):
        """Refused: MXNet 1.x builds gradient graphs with ``autograd.grad`` on NDArrays
        (or ``Executor.backward``), not from a Symbol."""
        raise NotImplementedForSymbol('Function gradient is not implemented for Symbol: '
                                      'bind it and use Executor.backward, or autograd')

    def __repr__(self):
        # as MXNet shows them: a node's name, or the node names of a group's outputs
        if len({id(node) for node, _ in self._entries}) == 1:
            return f'<Symbol {self._entries[0][0].name}>'
        return f'<Symbol group [{", ".join(node.name for node, _ in self._entries)}]>'

    def __hash__(self):
        return id(self)

    def debug_str(self):
        """The graph as MXNet 1.x prints it: the outputs, then every node in graph
        order, variables as ``Variable:<name>`` and operators with their inputs
        (a variable's marked ``version=0``) and attributes.

        >>> import d2lmini as mx
        >>> mx.sym.exp(mx.sym.var('x'), name='e').debug_str().splitlines()
        ... # doctest: +NORMALIZE_WHITESPACE
        ['Symbol Outputs:', '\\toutput[0]=e(0)', 'Variable:x', '--------------------',
         'Op:exp, Name=e', 'Inputs:', '\\targ[0]=x(0) version=0']
        """
        lines = ['Symbol Outputs:']
        lines.extend(f'\toutput[{j}]={node.name}({i})'
                     for j, (node, i) in enumerate(self._entries))
        for n in self._order():
            if n.op is None:
                lines.append(f'Variable:{n.name}')
                continue
            lines.append('-' * 20)
            lines.append(f'Op:{n.op.name}, Name={n.name}')
            lines.append('Inputs:')
            lines.extend(f'\targ[{j}]={src.name}({i})' + (' version=0' if src.op is None else '')
                         for j, (src, i) in enumerate(n.inputs))
            attrs = _string_attrs(n)
            if attrs:
                lines.append('Attrs:')
                lines.extend(f'\t{k}={v}' for k, v in attrs.items())
        return '\n'.join(lines) + '\n'

    # ------------------------------------------------------------ arithmetic
    def __add__(self, other):
        return _arith(self, other, 'elemwise_add', '_plus', '_plus_scalar', '_plusscalar')

    __radd__ = __add__

    def __sub__(self, other):
        return _arith(self, other, 'elemwise_sub', '_minus', '_minus_scalar', '_minusscalar')

    def __rsub__(self, other):
        return _arith(self, other, None, None, '_rminus_scalar', '_rminusscalar')

    def __mul__(self, other):
        return _arith(self, other, 'elemwise_mul', '_mul', '_mul_scalar', '_mulscalar')

    __rmul__ = __mul__

    def __truediv__(self, other):
        return _arith(self, other, 'elemwise_div', '_div', '_div_scalar', '_divscalar')

    def __rtruediv__(self, other):
        return _arith(self, other, None, None, '_rdiv_scalar', '_rdivscalar')

    __div__, __rdiv__ = __truediv__, __rtruediv__

    def __mod__(self, other):
        return _arith(self, other, 'broadcast_mod', '_mod', '_mod_scalar', '_modscalar')

    def __rmod__(self, other):
        return _arith(self, other, None, None, '_rmod_scalar', '_rmodscalar')

    def __pow__(self, other):
        return _arith(self, other, 'broadcast_power', '_power', '_power_scalar', '_powerscalar')

    def __rpow__(self, other):
        return _arith(self, other, None, None, '_rpower_scalar', '_rpower_scalar')

    def __neg__(self):
        return _arith(self, -1.0, None, None, '_mul_scalar', '_mulscalar')

    def __pos__(self):
        return self

    def __abs__(self):
        return _call('abs', (self,), {})

    def __eq__(self, other):
        return _arith(self, other, 'broadcast_equal', '_equal', '_equal_scalar',
                      '_equal_scalar')

    def __ne__(self, other):
        return _arith(self, other, 'broadcast_not_equal', '_not_equal', '_not_equal_scalar',
                      '_not_equal_scalar')

    def __gt__(self, other):
        return _arith(self, other, 'broadcast_greater', '_greater', '_greater_scalar',
                      '_greater_scalar')

    def __ge__(self, other):
        return _arith(self, other, 'broadcast_greater_equal', '_greater_equal',
                      '_greater_equal_scalar', '_greater_equal_scalar')

    def __lt__(self, other):
        return _arith(self, other, 'broadcast_lesser', '_lesser', '_lesser_scalar',
                      '_lesser_scalar')

    def __le__(self, other):
        return _arith(self, other, 'broadcast_lesser_equal', '_lesser_equal',
                      '_lesser_equal_scalar', '_lesser_equal_scalar')

    def reshape(self, *shape, **kwargs):
        """``x.reshape((0, -1))``: the ``Reshape`` operator (codes 0, -1, -2, -3, -4)."""
        if len(shape) == 1:     # x.reshape((2, -1)), or x.reshape(-1) kept as MXNet writes it
            shape = shape[0] if isinstance(shape[0], (tuple, list, int)) else shape
        if shape != ():
            kwargs['shape'] = shape if isinstance(shape, int) else tuple(shape)
        return _call('reshape', (self,), kwargs)

    def astype(self, dtype):
        return _call('Cast', (self,), {'dtype': dtype})


def _arith(lhs, rhs, op_name, hint, scalar_name, scalar_hint):
    if isinstance(rhs, Symbol):
        if op_name is None:
            return NotImplemented
        return _call(op_name, (lhs, rhs), {}, hint=hint)
    if isinstance(rhs, numeric_types):
        rhs = rhs.item() if isinstance(rhs, np.generic) else rhs
        return _call(scalar_name, (lhs,), {'scalar': rhs}, hint=scalar_hint)
    raise TypeError(f'type {type(rhs).__name__} not supported with a Symbol')


def _all_outputs(node):
    """Every output of a node, the hidden ones too (BatchNorm's mean and variance):
    MXNet counts them in ``node_row_ptr``."""
    if node.op is None:
        return 1
    count = _MXNET_OUTPUTS.get(node.op.name)
    if count is not None:
        return count(node.op.full_attrs(node.attrs))
    return max(node.op.num_outputs, node.op.visible_outputs(node.attrs))


# Operators whose outputs here differ in number from MXNet's, which keeps its own
# hidden outputs for the backward (LRN's scale, L2Normalization's norm, the sampling
# grid of SpatialTransformer, rrelu's mask, ...) and d2lmini its own (BatchNorm's,
# RNN's); sort is topk inside MXNet, and MXNet 1.9.1's CPU build keeps a workspace
# output for max pooling in the default layouts: the count MXNet writes
# (``node_row_ptr`` in the JSON).
_MXNET_OUTPUTS = {
    'LRN': lambda attrs: 2,
    'L2Normalization': lambda attrs: 2,
    'SpatialTransformer': lambda attrs: 3,
    'GridGenerator': lambda attrs: 2,
    'BilinearSampler': lambda attrs: 2,
    'Correlation': lambda attrs: 3,
    'ROIPooling': lambda attrs: 2,
    '_contrib_DeformablePSROIPooling': lambda attrs: 2,
    'LeakyReLU': lambda attrs: 2 if attrs.get('act_type') == 'rrelu' else 1,
    'RNN': lambda attrs: 1 if not attrs.get('state_outputs') else (
        3 if attrs.get('mode') == 'lstm' else 2),
    '_contrib_SyncBatchNorm': lambda attrs: 3,
    '_linalg_slogdet': lambda attrs: 4,
    'Pooling': lambda attrs: 2 if attrs.get('pool_type') == 'max' and attrs.get('layout')
    in (None, 'NCW', 'NCHW', 'NCDHW') else 1,
    'BatchNorm': lambda attrs: 3,
    'topk': lambda attrs: 1 if attrs.get('ret_typ') in ('indices', 'mask') else 2,
    'sort': lambda attrs: 2,
}


def _dmlc_json(doc):
    """``doc`` laid out as MXNet's C++ JSON writer (dmlc) lays it out, byte for byte:
    the nodes and any array of more than ten elements on several lines (two spaces per
    level, ``", "`` before each line break), shorter arrays of numbers on one line,
    maps of more than one attribute on several lines with their keys sorted."""
    dumps = json.dumps

    def array(items, depth, multi=False):
        if not items:
            return '[]'
        if not multi and len(items) <= 10:
            return '[' + ', '.join(items) + ']'
        pad = '\n' + '  ' * (depth + 1)
        return '[' + ', '.join(pad + i for i in items) + '\n' + '  ' * depth + ']'

    def entries(items, depth):
        return array(['[' + ', '.join(map(str, e)) + ']' for e in items], depth)

    def obj(parts, depth, multi):
        if not multi:
            return '{' + ', '.join(parts) + '}'
        pad = '\n' + '  ' * (depth + 1)
        return '{' + ', '.join(pad + p for p in parts) + '\n' + '  ' * depth + '}'

    def node(n):
        parts = [f'"op": {dumps(n["op"])}', f'"name": {dumps(n["name"])}']
        if n.get('attrs'):
            attrs = [f'{dumps(k)}: {dumps(v)}' for k, v in sorted(n['attrs'].items())]
            parts.append(f'"attrs": {obj(attrs, 3, len(attrs) > 1)}')
        parts.append(f'"inputs": {entries(n["inputs"], 3)}')
        if n.get('subgraphs'):
            parts.append('"subgraphs": [' + ', '.join(_dmlc_json(sub)
                                                     for sub in n['subgraphs']) + ']')
        return obj(parts, 2, True)

    attrs = [f'{dumps(k)}: [{dumps(v[0])}, {v[1]}]' for k, v in doc['attrs'].items()]
    parts = [f'"nodes": {array([node(n) for n in doc["nodes"]], 1, multi=True)}',
             f'"arg_nodes": {array([str(i) for i in doc["arg_nodes"]], 1)}',
             f'"node_row_ptr": {array([str(i) for i in doc["node_row_ptr"]], 1)}',
             f'"heads": {entries(doc["heads"], 1)}',
             f'"attrs": {obj(attrs, 1, len(attrs) > 1)}']
    return obj(parts, 0, True)


def _string_attrs(node):
    """A node's attributes as MXNet writes them: the operator's, then the extras. A
    control-flow node's subgraphs are not attributes: it shows MXNet's attributes
    of such a node (``num_args``, ``num_outputs``, its input positions)."""
    if 'program' in node.attrs:
        from .control_flow import write_node
        attrs = write_node(node)[0]
    else:
        attrs = {k: format_attr(v) for k, v in node.attrs.items()}
    attrs.update(node.extra)
    return attrs


# Attributes MXNet keeps as ``__key__`` (so that operators never see them) and lists
# under both names; ``attr('lr_mult')`` reads ``__lr_mult__``.
_HIDDEN_KEYS = ('ctx_group', 'lr_mult', 'wd_mult', 'force_mirroring', 'mirror_stage',
                'profiler_scope')


def _stored_key(key):
    return f'__{key}__' if key in _HIDDEN_KEYS else key


def _hidden_extra(attrs):
    """User attributes (strings) as stored: hidden keys get their underscores."""
    return {_stored_key(k): str(v) for k, v in (attrs or {}).items()}


def _listed_attrs(node):
    """A node's attributes as ``list_attr`` shows them: stored ones, plus each hidden
    key under its plain name too."""
    attrs = _string_attrs(node)
    for key in _HIDDEN_KEYS:
        if f'__{key}__' in attrs:
            attrs[key] = attrs[f'__{key}__']
    return attrs


def _copy_graph(entries, subs):
    """A copy of the graph of ``entries`` with variables named in ``subs`` replaced by
    the entries given there."""
    copies = {}
    for node in topological_order(entries):
        if node.op is None and node.name in subs:
            continue
        new = Node(node.op, node.name, dict(node.attrs), extra=dict(node.extra))
        new.inputs = [subs[src.name] if src.op is None and src.name in subs
                      else (copies[id(src)], i) for src, i in node.inputs]
        copies[id(node)] = new
    return Symbol([subs[n.name] if n.op is None and n.name in subs else (copies[id(n)], i)
                   for n, i in entries])


# ---------------------------------------------------------------------- creating symbols
def var(name, attr=None, shape=None, lr_mult=None, wd_mult=None, dtype=None, init=None,
        stype=None, **kwargs):
    """A variable: a named input of a graph.

    ``shape``, ``dtype``, ``lr_mult``, ``wd_mult`` and ``init`` are kept as
    attributes (``__shape__``, ...) that inference, Modules and files read.

    >>> import d2lmini as mx
    >>> mx.sym.var('w', shape=(2, 3), lr_mult=2.0).list_attr()
    {'__shape__': '(2, 3)', '__lr_mult__': '2.0', 'lr_mult': '2.0'}
    """
    if not isinstance(name, str):
        raise TypeError('Expect a string for variable `name`')
    extra = _hidden_extra(_name_attr_scope())
    extra.update(_hidden_extra(attr))
    if shape is not None:
        extra['__shape__'] = str(shape)   # as MXNet writes it: str() of what was given
    if lr_mult is not None:
        extra['__lr_mult__'] = str(lr_mult)
    if wd_mult is not None:
        extra['__wd_mult__'] = str(wd_mult)
    if dtype is not None:
        from ..base import as_dtype
        extra['__dtype__'] = str(_graph.DTYPE_IDS[as_dtype(dtype).name])
    if init is not None:
        if not isinstance(init, str):
            init = init.dumps()
        extra['__init__'] = init
    if stype is not None:
        ids = {'default': '0', 'row_sparse': '1', 'csr': '2'}     # MXNet's storage ids
        if stype not in ids:
            raise MXNetError(f"unknown storage type stype={stype!r}: use 'default', "
                             "'row_sparse' or 'csr'")
        extra['__storage_type__'] = ids[stype]
    for k, v in kwargs.items():
        if k.startswith('__') and k.endswith('__'):
            extra[k] = str(v)
        else:
            raise ValueError(f'Attribute name={k} is not supported. Additional attributes '
                             'must start and end with double underscores, e.g, __yourattr__')
    return Symbol([(Node(None, name, extra=extra), 0)])


Variable = var


def _name_attr_scope():
    from .attribute import current
    return current()


def Group(symbols):
    """One symbol whose outputs are the outputs of ``symbols``, in order."""
    if not symbols or any(not isinstance(s, Symbol) for s in symbols):
        raise TypeError('Expected a list of symbols as input')
    return Symbol([e for s in symbols for e in s._entries])


def _call(op_name, args, kwargs, hint=None, attr=None):
    """Add a node for operator ``op_name`` called as ``sym.<op_name>(*args, **kwargs)``."""
    op = get_op(op_name)
    kwargs = dict(kwargs)
    if not op.inputs and not op.variadic and 'ctx' not in op.defaults:
        # creation and random operators: MXNet's symbol functions take the ctx of
        # the nd ones; a graph runs on the context it is bound to
        kwargs.pop('ctx', None)
    attr = dict(kwargs.pop('attr', attr) or {})
    attr.update(_attribute_kwargs(op_name, kwargs))
    inputs, attrs, name = op.bind(args, kwargs)
    if hasattr(op, 'resolve'):      # an entry that depends on its attributes (Custom)
        op = op.resolve(attrs)
    for k, v in list(attrs.items()):
        if isinstance(v, Symbol):
            raise TypeError(f'{op.name}: attribute {k!r} must be a value, not a Symbol '
                            '(pass Symbols as inputs)')
    name = _name.current().get(name, hint or op.hint)
    entries = []
    if op.variadic:
        for i, x in enumerate(inputs):
            if not isinstance(x, Symbol):
                raise TypeError(f'{op.name}: input {i} must be a Symbol, got '
                                f'{type(x).__name__}')
            entries.extend(x._entries if len(x) == 1 else _one(op, i, x))
    else:
        used = op.used_inputs(attrs)
        # MXNet gives the variables it creates the node's attributes (as strings)
        hints = {k: format_attr(v) for k, v in attrs.items() if _writable(v)}
        # the variables made for missing inputs get the node's attributes too, as in
        # MXNet (a ctx_group or lr_mult given to a layer reaches its weights)
        extra_hint = _hidden_extra(_name_attr_scope())
        extra_hint.update(_hidden_extra(attr))
        for i, in_name in enumerate(used):
            # inputs named by the attributes (Custom) come in the order used_inputs says
            pos = i if getattr(op, 'dynamic_inputs', False) else op.inputs.index(in_name)
            x = inputs[pos] if pos < len(inputs) else None
            if x is None:   # a missing input becomes a variable named after the node
                vextra = dict(hints)
                vextra.update(extra_hint)
                init = (_AUX_INIT.get(in_name) if in_name in op.aux_inputs else
                        _INPUT_INIT.get((op.name, in_name)))
                if init is not None:
                    vextra['__init__'] = init
                entries.append((Node(None, f'{name}_{in_name}', extra=vextra), 0))
            elif isinstance(x, Symbol):
                entries.extend(_one(op, in_name, x))
            else:
                raise TypeError(f'{op.name}: input {in_name!r} must be a Symbol, got '
                                f'{type(x).__name__}')
        extra_given = [n for n, x in zip(op.inputs, inputs) if x is not None and n not in used]
        if extra_given:
            raise MXNetError(f'{op.name}: input(s) {extra_given} are not used with these '
                             f'attributes (e.g. bias with no_bias=True)')
    extra = _hidden_extra(_name_attr_scope())
    extra.update(_hidden_extra(attr))
    node = Node(op, name, attrs, entries, extra)
    return Symbol([(node, i) for i in range(node.num_outputs)])


def _attribute_kwargs(op_name, kwargs):
    """Remove from ``kwargs`` and return the keyword arguments MXNet 1.x keeps as node
    attributes rather than operator parameters: the hidden keys (``lr_mult=0`` is
    stored as ``__lr_mult__``) and any ``__name__`` attribute (``__layout__='NC'``).

    >>> kw = {'num_hidden': 3, 'lr_mult': 0, '__layout__': 'NC'}
    >>> _attribute_kwargs('FullyConnected', kw), kw
    ({'lr_mult': '0', '__layout__': 'NC'}, {'num_hidden': 3})
    """
    found = {}
    for key in list(kwargs):
        if key.startswith('__') and key.endswith('__') or key in _HIDDEN_KEYS:
            found[key] = str(kwargs.pop(key))
            continue
        suffix = next((h for h in _HIDDEN_KEYS if key.endswith(h)), None)
        if suffix is not None:   # MXNet's error: such a name would be silently misread
            raise MXNetError(f'{op_name}: setting variable attributes with {key} is not '
                             f"supported; hidden key '{suffix}' should not be the suffix of "
                             f'an argument name: give the variable its own attribute, e.g. '
                             f'w = Variable(..., {suffix}=...) and pass it as the input')
    return found


def _writable(value):
    try:
        format_attr(value)
        return True
    except MXNetError:
        return False


_AUX_INIT = {'moving_mean': '["zero", {}]', 'moving_var': '["one", {}]'}
# inputs that MXNet gives an initializer of their own when it creates their variable
_INPUT_INIT = {('LeakyReLU', 'gamma'): '["Constant", {"value": 0.25}]'}


def _one(op, which, x):
    if len(x) != 1:
        raise MXNetError(f'{op.name}: input {which!r} is a group of {len(x)} outputs; '
                         'pick one (sym[i])')
    return x._entries


def _make_function(op_name, op):
    # nodes are named after the function called (split0, flatten0), a namespace's
    # without its prefix (_contrib_Proposal: proposal0)
    hint = _without_namespace(op_name).lower()

    def fn(*args, **kwargs):
        return _call(op_name, args, kwargs, hint=hint)
    fn.__name__ = fn.__qualname__ = op_name
    from ..ops.registry import front_end_doc
    fn.__doc__ = front_end_doc(op_name, op, 'name=None, attr=None', 'Symbol')
    return fn


# ---------------------------------------------------------------------- reading files
def fromjson(text):
    """The symbol described by MXNet JSON ``text``.

    Unknown operators, attributes an operator does not take, and files of a newer
    format than MXNet 1.9.1's are refused with an error naming them.
    """
    try:
        doc = json.loads(text)
        raw_nodes, heads = doc['nodes'], doc['heads']
    except (ValueError, KeyError, TypeError) as e:
        raise MXNetError(f'not a symbol JSON graph: {e}') from None
    version = doc.get('attrs', {}).get('mxnet_version', ['int', 0])
    version = version[1] if isinstance(version, list) else version
    if int(version) > MXNET_VERSION:
        raise MXNetError(f'this graph was written by a newer MXNet (version {version}); '
                         f'd2lmini reads graphs up to version {MXNET_VERSION} (MXNet 1.9.1)')
    nodes = []
    for k, raw in enumerate(raw_nodes):
        if 'attrs' in raw or ('param' not in raw and 'attr' not in raw):
            strings = dict(raw.get('attrs') or {})
        else:
            strings = _legacy_attrs(raw)
        inputs = []
        for entry in raw.get('inputs', []):
            src = entry[0]
            if not 0 <= src < k:
                raise MXNetError(f"node '{raw.get('name')}' reads node {src}, which does not "
                                 'come before it: the graph is malformed')
            inputs.append((nodes[src], entry[1] if len(entry) > 1 else 0))
        if raw['op'] == 'null':
            nodes.append(Node(None, raw['name'], extra=strings, inputs=()))
            continue
        raw['op'] = _READ_AS.get(raw['op'], raw['op'])
        if raw.get('subgraphs'):   # control flow: a node with subgraphs of its own
            from .control_flow import read_node
            nodes.append(read_node(raw['op'], raw['name'], strings, inputs, raw['subgraphs']))
            continue
        if raw['op'] not in OPS:
            raise MXNetError(f"node '{raw['name']}' uses operator {raw['op']!r}, which "
                             'd2lmini does not have')
        op = OPS[raw['op']]
        extra = {k: v for k, v in strings.items() if k.startswith('__') and k.endswith('__')}
        typed = op.parse_attrs({k: v for k, v in strings.items() if k not in extra})
        if hasattr(op, 'resolve'):
            op = op.resolve(typed)
        _add_missing_aux(op, raw['name'], typed, inputs, extra)
        nodes.append(Node(op, raw['name'], typed, inputs, extra))
    return Symbol([(nodes[h[0]], h[1]) for h in heads])


def _legacy_attrs(raw):
    """The attributes of a node of a graph written before MXNet 0.9 (operator
    parameters under ``param``, user attributes under ``attr``), upgraded as MXNet
    1.x upgrades them: ``lr_mult`` becomes ``__lr_mult__``, and a variable's
    ``weight_lr_mult`` is its ``__lr_mult__`` when it is that weight
    (``fc1_weight``); an operator drops such per-input keys."""
    strings = dict(raw.get('param') or {})
    is_variable = raw.get('op') == 'null'
    for key, value in (raw.get('attr') or {}).items():
        if key in _HIDDEN_KEYS:
            strings[f'__{key}__'] = value
            continue
        hidden = next((h for h in _HIDDEN_KEYS if key.endswith('_' + h)), None)
        if hidden is None:
            strings[key] = value
        elif is_variable:
            owner = key[:-len(hidden) - 1]
            if raw['name'].endswith('_' + owner):
                strings[f'__{hidden}__'] = value
            else:
                strings[key] = value
    return strings


def _add_missing_aux(op, name, attrs, inputs, extra):
    """Old graphs (MXNet before 0.9) leave out the auxiliary states (BatchNorm's
    moving mean and variance): add their variables, as MXNet 1.x does on loading."""
    if op.variadic or not op.aux_inputs:
        return
    used = op.used_inputs(attrs)
    for in_name in used[len(inputs):]:
        if in_name not in op.aux_inputs:
            return
        vextra = {k: v for k, v in extra.items()}
        if in_name in _AUX_INIT:
            vextra['__init__'] = _AUX_INIT[in_name]
        inputs.append((Node(None, f'{name}_{in_name}', extra=vextra), 0))


# MXNet's element-wise comparisons and powers take same-shaped inputs; the broadcasting
# operators compute the same for those, so a graph that uses them reads as these.
_READ_AS = {'_mod': 'broadcast_mod', '_power': 'broadcast_power', '_equal': 'broadcast_equal',
            '_not_equal': 'broadcast_not_equal', '_greater': 'broadcast_greater',
            '_greater_equal': 'broadcast_greater_equal', '_lesser': 'broadcast_lesser',
            '_lesser_equal': 'broadcast_lesser_equal', '_maximum': 'broadcast_maximum',
            '_minimum': 'broadcast_minimum', '_hypot': 'broadcast_hypot'}


def load_json(json_str):
    return fromjson(json_str)


def load(fname):
    """Read a symbol from a ``-symbol.json`` file."""
    try:
        with open(fname) as f:
            text = f.read()
    except OSError as e:
        raise file_error('sym.load', fname, e) from e
    return fromjson(text)
