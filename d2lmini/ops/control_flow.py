"""Nodes that carry graphs: the control flow ``_foreach``, ``_while_loop`` and
``_cond``, and ``_CachedOp``, a hybridized block's call as ``autograd.get_symbol``
shows it.

A Python ``for`` or ``if`` inside ``hybrid_forward`` runs once, while tracing, so
it cannot depend on data. MXNet 1.x's answer is three operators that carry whole
subgraphs: a loop over the first axis of the data (``foreach``), a loop that runs
while a condition holds (``while_loop``) and a choice between two branches
(``cond``). They are built with ``mx.sym.contrib.foreach`` and friends (or
``F.contrib.*`` in ``hybrid_forward``), which trace the step functions into
subgraphs.

The operators here only hold the bookkeeping every operator must declare: how many
inputs and outputs a node has and which ones, and their shapes. The subgraph itself
travels in the ``program`` attribute: an object of :mod:`d2lmini.symbol.control_flow`
that runs the loop or the branch on arrays (``run``), infers its output shapes
(``infer_shape``) and differentiates it (``vjp``) by running it again under
autograd. That keeps the registry below the graph machinery: no operator here knows
how a graph is executed.

A subgraph may hold random operators (dropout) and reads ``is_train``; the nodes
are declared random, so that no graph pass merges or folds them.
"""
from ..base import MXNetError
from .registry import register


def _program_forward(xp, *inputs, program=None, num_args=0, num_outputs=1, is_train=False):
    """Run the node's subgraph program on its inputs."""
    if program is None:
        raise TypeError('control-flow node without its program (build it with '
                        'mx.sym.contrib.foreach / while_loop / cond)')
    return tuple(program.run(list(inputs), is_train))


def _program_backward(F, dy, x, y, program=None, is_train=False, **attrs):
    """The gradients of the inputs: the program runs again, recorded, and is
    differentiated by autograd (so only once: see ``once_differentiable``)."""
    return program.vjp(list(x), list(dy) if isinstance(dy, (list, tuple)) else [dy], is_train)


def _program_shapes(in_shapes, program=None, **attrs):
    return program.infer_shape(list(in_shapes))


def _program_partial_shapes(attrs, in_shapes, out_shapes):
    """Shapes known on either side of the node complete the others (a state or a
    weight the subgraph reads gets its shape from the data), through the subgraph."""
    program = attrs.get('program')
    if program is None:
        return in_shapes, out_shapes
    try:
        return program.infer_partial(list(in_shapes), list(out_shapes))
    except MXNetError:
        # too little known yet, or a conflict the node's own inference reports
        return in_shapes, out_shapes


def _program_types(in_types, program=None, **attrs):
    return program.infer_type(list(in_types))


for _name, _doc in (('_foreach', 'A loop over the first axis of its data inputs.'),
                    ('_while_loop', 'A loop that runs while its condition holds.'),
                    ('_cond', 'One of two subgraphs, chosen by a condition.')):
    register(_name, _program_forward, backward=_program_backward, num_outputs=0,
             once_differentiable=True, random=True, train_mode=True,
             infer_shape=_program_shapes, infer_type=_program_types,
             partial_shape=_program_partial_shapes,
             attr_types={'program': 'any'}, doc=_doc)


def _held(program):
    if program is None:
        raise MXNetError('_CachedOp: this node does not hold its graph (MXNet 1.x writes '
                         'such nodes without it), so it cannot run; export the block '
                         '(HybridBlock.export) to get a graph that can')
    return program


def _cached_op_forward(xp, *inputs, program=None, num_args=0, num_outputs=1, is_train=False):
    """Run the block's graph that the node holds."""
    return tuple(_held(program).run(list(inputs), is_train))


def _cached_op_outputs(attrs):
    program = attrs.get('program')
    if program is None:
        return [f'output{i}' for i in range(attrs.get('num_outputs', 1))]
    return program.output_names


# MXNet 1.x records a hybridized block's call as one operator, ``_CachedOp``, when
# the block's graph has more operators than its ``inline_limit`` (or it uses
# static_alloc); its outputs are named after the graph's (``node_0_dense0_fwd_output``)
register('_CachedOp', _cached_op_forward, backward=_program_backward, num_outputs=0,
         once_differentiable=True, random=True, train_mode=True,
         infer_shape=lambda in_shapes, program=None, **attrs: _program_shapes(
             in_shapes, _held(program)),
         infer_type=lambda in_types, program=None, **attrs: _program_types(
             in_types, _held(program)),
         partial_shape=_program_partial_shapes, output_names=_cached_op_outputs,
         attr_types={'program': 'any'},
         doc="A hybridized block's call, holding the block's graph.")
