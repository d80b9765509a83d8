"""``gluon.SymbolBlock``: a graph (a Symbol) used as a Block, and MXNet's export format.

``HybridBlock.export('net')`` writes the block's graph to ``net-symbol.json`` and its
parameters to ``net-0000.params``, keyed ``arg:<name>`` (arguments) and ``aux:<name>``
(auxiliary states such as BatchNorm's moving statistics), as MXNet does: MXNet 1.x
loads these files, and ``SymbolBlock.imports`` loads files MXNet exported.

A SymbolBlock's parameters are the graph's variables that are not inputs, named as in
the graph (no prefix). Called on NDArrays it runs the graph node by node through the
registered operators, so autograd records it like any other computation; called on a
Symbol it returns the graph composed onto it.

>>> import os, tempfile
>>> import d2lmini as mx
>>> from d2lmini import gluon
>>> net = gluon.nn.Dense(3, in_units=4, prefix='dense0_')
>>> net.initialize()
>>> path = os.path.join(tempfile.mkdtemp(), 'net')
>>> net.export(path)
('...-symbol.json', '...-0000.params')
>>> back = gluon.SymbolBlock.imports(path + '-symbol.json', ['data'], path + '-0000.params')
>>> x = mx.nd.ones((2, 4))
>>> bool((back(x) == net(x)).asnumpy().all())
True
"""
import warnings

from .. import autograd
from .. import ndarray as nd
from ..base import MXNetError
from .block import HybridBlock
from .parameter import ParameterDict

# the '__storage_type__' attribute of a row_sparse variable (MXNet's storage type id)
_ROW_SPARSE_ID = str(nd.ndarray._STORAGE_TYPE_STR_TO_ID['row_sparse'])


def export_block(block, path, epoch=0, remove_amp_cast=True):
    """Write ``block``'s graph and parameters as ``path-symbol.json`` and
    ``path-%04d.params``; returns the two file names. See ``HybridBlock.export``."""
    sym = getattr(block, '_export_symbol', None)
    if sym is None:
        sym = _trace(block)
    sym_file = f'{path}-symbol.json'
    params_file = f'{path}-{epoch:04d}.params'
    arg_names = set(sym.list_arguments())
    aux_names = set(sym.list_auxiliary_states())
    arrays = {}
    for name, param in block.collect_params().items():
        if name in arg_names:
            arrays[f'arg:{name}'] = param._reduce()
        elif name in aux_names:
            arrays[f'aux:{name}'] = param._reduce()
        # a parameter the graph does not use (shared elsewhere) is not MXNet's to load
    sym.save(sym_file, remove_amp_cast=remove_amp_cast)
    nd.save(params_file, arrays)    # both writes are atomic
    return sym_file, params_file


def _infer_param_types(inputs, outputs):
    """The parameters' dtypes that type inference finds from the inputs' (declared as
    ``mx.sym.var('data', dtype='float64')``), by name; empty when an input's dtype is
    unknown, and the parameters are then float32. As in MXNet, this is what lets a
    SymbolBlock load the parameters of a model exported in float64."""
    known = {}
    for i in inputs:
        # an input without a declared dtype is the usual case, not worth MXNet's warning
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            dtype = i.infer_type()[0]
        if not dtype or dtype[0] is None:
            return {}
        known[i.name] = dtype[0]
    try:
        arg_types, _, aux_types = outputs.infer_type(**known)
    except MXNetError:
        return {}
    names = outputs.list_arguments() + outputs.list_auxiliary_states()
    types = list(arg_types or []) + list(aux_types or [])
    if len(types) != len(names):
        return {}
    return {n: t for n, t in zip(names, types) if t is not None}


def _common_prefix(names):
    """The longest string every name starts with (character by character, as MXNet
    computes it: for ['fc_bias', 'fc_weight'] it is 'fc_')."""
    if not names:
        return ''
    prefix = names[0]
    for name in names[1:]:
        i = 0
        while i < min(len(prefix), len(name)) and prefix[i] == name[i]:
            i += 1
        prefix = prefix[:i]
    return prefix


def _trace(block):
    """The block's graph, traced with inputs named as MXNet names them (``data``, or
    ``data0``, ``data1``, ... for several)."""
    from .. import symbol
    cached = getattr(block, '_cached_graph', None)
    if cached is not None:     # the graph of the last call: its inputs, however many
        _, graph, single = cached
        return graph[0] if single else graph
    n_inputs = getattr(block, '_num_inputs', 1)
    names = ['data'] if n_inputs == 1 else [f'data{i}' for i in range(n_inputs)]
    out = block(*[symbol.var(n) for n in names])
    if isinstance(out, (list, tuple)):
        out = symbol.Group(list(out))
    return out


class SymbolBlock(HybridBlock):
    """A Block that runs a Symbol: ``outputs`` (a Symbol, or a list of them) computed
    from ``inputs`` (variables). The other variables become parameters, named as in
    the graph; ``params`` (a ParameterDict) shares existing ones.

    >>> import d2lmini as mx
    >>> from d2lmini import gluon
    >>> data = mx.sym.var('data')
    >>> fc = mx.sym.FullyConnected(data, num_hidden=2, name='fc')
    >>> net = gluon.SymbolBlock(fc, data)
    >>> sorted(net.collect_params().keys())
    ['fc_bias', 'fc_weight']
    >>> net.initialize()
    >>> net(mx.nd.ones((5, 3))).shape
    (5, 2)
    """

    def __init__(self, outputs, inputs, params=None):
        from .. import symbol
        super().__init__(prefix='', params=None)
        self._prefix = ''
        self._params = ParameterDict('', params)
        if isinstance(inputs, symbol.Symbol) and len(inputs) == 1:
            inputs = [inputs]
        if isinstance(outputs, (list, tuple)):
            outputs = symbol.Group(list(outputs)) if len(outputs) != 1 else outputs[0]
        if not isinstance(outputs, symbol.Symbol):
            raise TypeError(f'SymbolBlock: outputs must be a Symbol, got {type(outputs).__name__}')
        input_names = []
        for i in inputs:
            if not isinstance(i, symbol.Symbol) or len(i) != 1 or i._entries[0][0].op is not None:
                raise TypeError('SymbolBlock: inputs must be variables (mx.sym.var), got '
                                f'{i!r}')
            input_names.append(i.name)
        known = set(outputs.list_inputs())
        unused = [n for n in input_names if n not in known]
        if unused:
            raise MXNetError(f'SymbolBlock: input(s) {unused} are not used by the outputs; '
                             f'the graph reads {sorted(known)}')
        # as in MXNet 1.x, a graph with a row_sparse variable cannot become a block:
        # its parameters would be read whole, which such a variable does not allow
        for node in outputs._order():
            if node.op is None and node.extra.get('__storage_type__') == _ROW_SPARSE_ID:
                raise AssertionError(f"SymbolBlock doesn't support Parameter '{node.name}' "
                                     "because its storage type is 'row_sparse'.")
        self._input_names = input_names
        self._num_inputs = len(input_names)
        self._export_symbol = outputs
        # what a hybridized run needs: the inputs, then the graph (MXNet's _cached_graph)
        self._cached_graph = ([i._entries[0][0] for i in inputs], outputs)
        aux = set(outputs.list_auxiliary_states())
        dtypes = _infer_param_types(inputs, outputs)
        for name in outputs.list_inputs():
            if name in input_names:
                continue
            node = next(n for n in outputs._order() if n.op is None and n.name == name)
            attrs = node.extra
            kwargs = {'allow_deferred_init': True}
            if name in aux:
                kwargs['grad_req'] = 'null'
            if name in dtypes:
                kwargs['dtype'] = dtypes[name]
            param = self.params.get(name, **kwargs)
            if '__init__' in attrs and param.init is None:
                param.init = attrs['__init__']
        # as in MXNet, the parameters are registered (and so saved by save_parameters)
        # under their names less the prefix they all share: 'conv0_weight', not
        # 'resnetv10_conv0_weight', so that a file fits a model built with other prefixes
        common = len(_common_prefix(list(self.params.keys())))
        self._reg_params = {name[common:]: param for name, param in self.params.items()}
        self._shapes_seen = {}

    def __repr__(self):
        # MXNet's form: the graph, and how many inputs and outputs it has
        graph = self._export_symbol
        return (f'{type(self).__name__}(\n{graph} : {len(self._input_names)} -> '
                f'{len(graph.list_outputs())}\n)')

    # ------------------------------------------------------------ files
    @staticmethod
    def imports(symbol_file, input_names, param_file=None, ctx=None, allow_missing=False,
                ignore_extra=False):
        """A SymbolBlock from a ``-symbol.json`` file (and a ``.params`` file) that
        ``HybridBlock.export`` or MXNet wrote. Parameters missing from the file, extra
        ones and ones of the wrong shape are errors naming them (unless
        ``allow_missing`` / ``ignore_extra``)."""
        from .. import symbol
        sym = symbol.load(symbol_file)
        if isinstance(input_names, str):
            input_names = [input_names]
        missing = [n for n in input_names if n not in sym.list_inputs()]
        if missing:
            raise MXNetError(f"SymbolBlock.imports: input(s) {missing} are not in "
                             f"'{symbol_file}'; its variables are {sym.list_inputs()}")
        inputs = [symbol.var(n) for n in input_names]
        ret = SymbolBlock(sym, inputs)
        if param_file is not None:
            ret.collect_params().load(param_file, ctx=ctx, allow_missing=allow_missing,
                                      ignore_extra=ignore_extra, cast_dtype=True,
                                      dtype_source='saved')
            ret._check_param_shapes(param_file)
        return ret

    def _check_param_shapes(self, source):
        """Parameter shapes that the graph cannot take are refused here, with the node
        and both shapes named, instead of at the first forward."""
        known = {n: p.shape for n, p in self.params.items()
                 if p.shape is not None and all(d > 0 for d in p.shape)}
        try:
            self._export_symbol.infer_shape_partial(**known)
        except MXNetError as e:
            raise MXNetError(f"parameters loaded from '{source}' do not fit the graph: {e}") \
                from None

    # ------------------------------------------------------------ running
    def forward(self, x, *args):
        from .. import symbol
        inputs = (x,) + args
        if len(inputs) != len(self._input_names):
            raise MXNetError(f'SymbolBlock takes {len(self._input_names)} input(s) '
                             f'{self._input_names}, got {len(inputs)}')
        if isinstance(x, symbol.Symbol):
            return self._export_symbol(**dict(zip(self._input_names, inputs)))
        return self._run(inputs)

    def _run(self, inputs):
        from ..symbol import graph as _graph
        from ..symbol.executor import run_graph
        ctx = inputs[0].context
        shapes = self._finish_init({n: a.shape for n, a in zip(self._input_names, inputs)})
        sym = self._export_symbol
        order = _graph.topological_order(sym._entries)
        values = {}
        given = dict(zip(self._input_names, inputs))
        for node in order:
            if node.op is None:
                values[id(node)] = given[node.name] if node.name in given else \
                    self.params[node.name].data(ctx)
        outs = run_graph(order, sym._entries, values, autograd.is_training(), shapes=shapes)
        return outs[0] if len(outs) == 1 else outs

    def _finish_init(self, input_shapes):
        """Shape-check the inputs against the graph once per input shapes, and give
        parameters still waiting for a shape the one inferred. Returns the inferred
        shapes of the graph's entries."""
        from ..symbol import graph as _graph
        key = tuple(sorted(input_shapes.items()))
        if key in self._shapes_seen:
            return self._shapes_seen[key]
        known = dict(input_shapes)
        known.update({n: p.shape for n, p in self.params.items()
                      if p.shape is not None and all(d > 0 for d in p.shape)})
        arg, _, aux = self._export_symbol.infer_shape_partial(**known)
        names = self._export_symbol.list_arguments() + \
            self._export_symbol.list_auxiliary_states()
        for name, shape in zip(names, arg + aux):
            param = self.params[name] if name in self.params else None
            if param is not None and param._data is None:
                if not shape:
                    raise MXNetError(f"SymbolBlock: cannot infer the shape of parameter "
                                     f"'{name}' from inputs {input_shapes}")
                param.shape = shape
                param._finish_deferred_init()
        known.update({n: p.shape for n, p in self.params.items() if p.shape is not None})
        shapes = _graph.infer_shapes(self._export_symbol._entries, known)
        self._shapes_seen[key] = shapes
        return shapes

    def hybrid_forward(self, F, x, *args, **kwargs):
        raise NotImplementedError('SymbolBlock runs its graph; it has no hybrid_forward')

    def reset_ctx(self, ctx):
        """Move every parameter to ``ctx`` (a context or a list of them), as MXNet's
        ``SymbolBlock.reset_ctx`` does."""
        for param in self.collect_params().values():
            param.reset_ctx(ctx)

    def cast(self, dtype):
        super().cast(dtype)
        self._shapes_seen = {}


__all__ = ['SymbolBlock', 'export_block']
