"""``DataParallelExecutorGroup``: one executor per context, each given its slice of
every batch, under MXNet 1.x's name and signature.

A :class:`~d2lmini.module.Module` keeps one of these; it can also be made directly.
``shared_group`` makes a new group use the arrays of an existing one (for example
the group of another bucket length): parameters and auxiliary states of the same name
share their values (and gradients), and every other argument (data, labels, extra weights) is kept per
context in ``shared_data_arrays``, one dict shared by all the groups, reused when a
later group needs an array of that name and shape.

>>> import d2lmini as mx
>>> net = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=2, name='fc')
>>> group = DataParallelExecutorGroup(net, [mx.cpu(0), mx.cpu(1)], [1, 1],
...                                   [('data', (4, 3))], None, ['fc_weight', 'fc_bias'],
...                                   for_training=True, inputs_need_grad=False)
>>> [e.arg_dict['data'].shape for e in group.execs]
[(2, 3), (2, 3)]
>>> sorted(group.shared_data_arrays[0])
['data']
"""
import logging

from ..io import DataDesc
from .module import _ExecutorGroup

__all__ = ['DataParallelExecutorGroup']


def _descs(shapes):
    """``[('data', (4, 3))]`` or DataDescs, as DataDescs (None stays None)."""
    if shapes is None:
        return None
    return [s if isinstance(s, DataDesc) else DataDesc(*s) for s in shapes]


class DataParallelExecutorGroup(_ExecutorGroup):
    """Executors for ``symbol`` on ``contexts``, splitting each batch by ``workload``
    (see the module's docstring). ``logger`` and ``group2ctxs`` are accepted for
    MXNet's signature; ``state_names`` are arguments fed by ``set_states`` and are
    not trained."""

    def __init__(self, symbol, contexts, workload, data_shapes, label_shapes, param_names,
                 for_training, inputs_need_grad, shared_group=None, logger=logging,
                 fixed_param_names=None, grad_req='write', state_names=None,
                 group2ctxs=None):
        self.state_names = list(state_names or [])
        super().__init__(symbol, contexts, workload, _descs(data_shapes),
                         _descs(label_shapes), param_names, for_training, inputs_need_grad,
                         fixed_param_names, grad_req)
        self.logger = logger
        self.shared_data_arrays = [{} for _ in self.execs]
        if shared_group is not None:
            if len(shared_group.execs) != len(self.execs):
                raise ValueError(f'shared_group has {len(shared_group.execs)} executors, '
                                 f'this group {len(self.execs)}: use the same contexts')
            self.shared_data_arrays = shared_group.shared_data_arrays
        for i, exe in enumerate(self.execs):
            shared = None if shared_group is None else shared_group.execs[i]
            self._share(exe, shared, self.shared_data_arrays[i])
        self._collect_arrays()

    def _share(self, exe, shared_exe, shared_data):
        """Point ``exe``'s arrays at the shared ones: parameters of ``shared_exe`` by
        name, other arguments from ``shared_data`` when shape and dtype match (new
        ones are added to it)."""
        for j, name in enumerate(self.arg_names):
            array = exe.arg_arrays[j]
            if name in self.param_names:
                if shared_exe is not None and name in shared_exe.arg_dict:
                    source = shared_exe.arg_dict[name]
                    if source.shape == array.shape and source.dtype == array.dtype:
                        exe.arg_arrays[j] = source
                        grad = shared_exe.grad_dict.get(name)
                        if grad is not None and exe.grad_arrays[j] is not None:
                            exe.grad_arrays[j] = grad
                continue
            source = shared_data.get(name)
            if source is not None and source.shape == array.shape \
                    and source.dtype == array.dtype:
                exe.arg_arrays[j] = source
            else:
                shared_data[name] = array
        if shared_exe is not None:   # auxiliary states (moving statistics) by name too
            for j, name in enumerate(self.aux_names):
                source = shared_exe.aux_dict.get(name)
                if source is not None and source.shape == exe.aux_arrays[j].shape:
                    exe.aux_arrays[j] = source
