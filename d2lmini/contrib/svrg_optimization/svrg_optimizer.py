"""The optimizers behind :class:`~d2lmini.contrib.svrg_optimization.svrg_module.SVRGModule`
(MXNet 1.x's ``mx.contrib.svrg_optimization.svrg_optimizer``).

SVRG needs, besides the weights it trains, the *full gradient*: the average gradient
of the whole training set at a snapshot of the weights. When the module trains through
a KVStore, each weight ``name`` gets a second key ``name + '_full'`` where the devices
add up their parts of the full gradient. The store runs one optimizer for every key,
so :class:`_SVRGOptimizer` looks at each key's name: a ``*_full`` key goes to
:class:`_AssignmentOptimizer` (the stored value becomes what was pushed), every other
key to the optimizer that trains the weights.

>>> import d2lmini as mx
>>> svrg = _SVRGOptimizer('sgd', learning_rate=0.5,
...                       param_idx2name={0: 'w', 1: 'w_full'})
>>> kv = mx.kv.create('local')
>>> kv.set_optimizer(svrg)
>>> kv.init([0, 1], [mx.nd.ones(2), mx.nd.ones(2)])
>>> kv.push([0, 1], [mx.nd.array([2., 4.]), mx.nd.array([2., 4.])])
>>> out = [mx.nd.zeros(2), mx.nd.zeros(2)]
>>> kv.pull([0, 1], out=out)
>>> out[0].asnumpy(), out[1].asnumpy()      # SGD step; plain assignment
(array([ 0., -1.], dtype=float32), array([2., 4.], dtype=float32))
"""
import inspect

from ...optimizer import Optimizer, create, register

__all__ = ['_AssignmentOptimizer', '_SVRGOptimizer']

# The suffix of the KVStore keys that hold full gradients.
FULL_GRAD_SUFFIX = '_full'

# The settings every optimizer takes (Optimizer's own arguments): the wrapper keeps
# these for itself; a name given as the default optimizer gets all settings.
_BASE_SETTINGS = frozenset(inspect.signature(Optimizer.__init__).parameters) - {'self'}


def is_full_grad_key(name):
    """Whether the KVStore key or parameter name ``name`` holds a full gradient.

    >>> is_full_grad_key('fc1_weight_full'), is_full_grad_key('fullyconnected0_weight')
    (True, False)
    """
    return isinstance(name, str) and name.endswith(FULL_GRAD_SUFFIX)


@register
class _AssignmentOptimizer(Optimizer):
    """An "update" that overwrites the weight with the gradient: in a KVStore, the
    stored value of a key becomes the sum of what the devices pushed. No state, no
    learning rate, no ``rescale_grad``.

    >>> import d2lmini as mx
    >>> w = mx.nd.zeros(2)
    >>> _AssignmentOptimizer().update(0, w, mx.nd.array([3., 4.]), None)
    >>> w.asnumpy()
    array([3., 4.], dtype=float32)
    """

    def update(self, index, weight, grad, state):
        weight[:] = grad


@register
class _SVRGOptimizer(Optimizer):
    """Two optimizers behind one: keys whose name ends in ``'_full'`` are assigned
    (:class:`_AssignmentOptimizer`), every other key is updated by
    ``default_optimizer``.

    default_optimizer : an optimizer's name, made with all ``kwargs``, or an
        :class:`~d2lmini.optimizer.Optimizer` used as it is (``kwargs`` may then hold
        only the settings every optimizer has, which this wrapper keeps)
    kwargs : settings; ``param_idx2name`` maps the indices of the weights (and of the
        ``*_full`` keys) to their names. A KVStore with string keys passes the name
        itself as the index.

    Unlike MXNet 1.x, which sends every name *containing* ``'full'`` to the
    assignment (so a layer named ``fullyconnected0`` had its weights overwritten by
    their gradients), only names *ending* in ``'_full'`` are full gradients.

    >>> svrg = _SVRGOptimizer('sgd', learning_rate=0.1, momentum=0.9)
    >>> type(svrg.default_opt).__name__, svrg.default_opt.momentum
    ('SGD', 0.9)
    """

    def __init__(self, default_optimizer, **kwargs):
        own = {key: value for key, value in kwargs.items() if key in _BASE_SETTINGS}
        super().__init__(**own)
        if isinstance(default_optimizer, str):
            self.default_opt = create(default_optimizer, **kwargs)
        elif isinstance(default_optimizer, Optimizer):
            extra = sorted(set(kwargs) - _BASE_SETTINGS)
            if extra:
                raise TypeError(f'_SVRGOptimizer: {extra} are settings of '
                                f'{type(default_optimizer).__name__}; give them to its '
                                'constructor (default_optimizer is an Optimizer already)')
            self.default_opt = default_optimizer
        else:
            raise TypeError('default_optimizer must be an optimizer name or an Optimizer, '
                            f'not {type(default_optimizer).__name__}')
        self.aux_opt = _AssignmentOptimizer()

    def _name_of(self, index):
        """The parameter name behind ``index``: an index of ``idx2name``, or (a
        KVStore's string key) the name itself."""
        if index in self.idx2name:
            return self.idx2name[index]
        return index

    def _rule_for(self, index):
        """The optimizer that updates the weight under ``index``."""
        return self.aux_opt if is_full_grad_key(self._name_of(index)) else self.default_opt

    def set_learning_rate(self, lr):
        """Set the learning rate of the default optimizer (the one that trains)."""
        super().set_learning_rate(lr)
        self.default_opt.set_learning_rate(lr)

    def create_state(self, index, weight):
        return self._rule_for(index).create_state(index, weight)

    def create_state_multi_precision(self, index, weight):
        # the chosen optimizer decides about a float32 master copy
        return self._rule_for(index).create_state_multi_precision(index, weight)

    def update(self, index, weight, grad, state):
        self._rule_for(index).update(index, weight, grad, state)

    def update_multi_precision(self, index, weight, grad, state):
        self._rule_for(index).update_multi_precision(index, weight, grad, state)

    # The chosen optimizer handles sparse weights and gradients itself (a lazy update
    # of a row-sparse gradient stays lazy): no routing of storage types here.
    update.storage_aware = update_multi_precision.storage_aware = True
