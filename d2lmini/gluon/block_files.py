"""A whole model in two files: MXNet 1.x's ``Block.save(prefix)`` and ``Block.load(prefix)``.

``save`` writes ``<prefix>-model.params``, the parameters keyed by structure exactly as
``save_parameters`` writes them (``'0.weight'``), and ``<prefix>-model.json``, the
architecture as nested dictionaries. Blocks are numbered in the order a depth-first walk
meets them (a block before its children), and each is keyed by its class name in lower
case and that number. The model of :func:`save_block`'s example gives::

    {"hybridsequential0": {"orig_name": "hybridsequential0", "hybridized": false,
                           "children": {"dense0": "0", "dense1": "1"},
                           "dense1": {"orig_name": "dense0", ...},
                           "dense2": {"orig_name": "dense1", ...}}}

An entry holds the block's name when saved (``orig_name``), for a HybridBlock whether it
has a traced graph (``hybridized``), the attribute name each child has in it
(``children``: child name -> attribute name) and one sub-entry per child. The entry of a
HybridBlock with a traced graph also holds that graph, as MXNet's symbol JSON
(``symbol``), its inputs (``inputs``: one variable's JSON each) and how its inputs and
outputs nest (``in_format``, ``out_format``: 0 an array, -1 None, a list a list).

``load`` takes a model built the same way as the saved one: the same classes in the
same order. It walks the model as ``save`` does, finds each block's entry by that key,
gives children the attribute names they had when saved (so that the structural keys of
the parameter file fit) and loads the parameters. A block saved with a traced graph gets
that graph back and runs it (it is hybridized), as in MXNet.

Where d2lmini differs from MXNet 1.x, on purpose:

* MXNet renames the loaded blocks to their saved names and re-keys their parameter
  dictionaries, but not the parameters themselves; a model loaded that way cannot trace
  a new graph (``AssertionError: Unknown input to HybridBlock``). d2lmini keeps every
  block's and parameter's name and renames the restored graph's nodes instead.
* A model that does not fit the file raises :class:`ModelMismatchError` (both a
  ``KeyError``, what MXNet raises for a block missing from the file, and a
  ``ValueError``, what it raises for extra parameters), naming the place in the model,
  before anything is changed. MXNet reports a bare key (``KeyError: 'conv2d1'``).
* Children that share a name (one block registered twice, ``net.add(d, d)``, or
  blocks made with ``prefix=''``, as in model_zoo's ResNets) are listed once in their
  parent's ``children``, so the file cannot tell their attribute names apart: d2lmini
  keeps the model's own and loads such files, where MXNet cannot load them back.
"""
import itertools
import json
import re

from .. import ndarray as nd
from ..fileio import atomic_write

__all__ = ['save_block', 'load_block', 'ModelMismatchError']

# the keys of an entry that describe the block itself; every other key is a child
_OWN_KEYS = ('orig_name', 'in_format', 'out_format', 'inputs', 'symbol', 'hybridized',
             'children')


class ModelMismatchError(KeyError, ValueError):
    """A model whose structure does not fit the ``-model.json`` file it loads."""

    def __str__(self):  # KeyError would show the message quoted, as a key
        return str(self.args[0]) if self.args else ''


# ---------------------------------------------------------------------- saving
def save_block(block, prefix):
    """Write ``block``'s architecture to ``<prefix>-model.json`` and its parameters to
    ``<prefix>-model.params``, as MXNet 1.x's ``Block.save`` does.

    Each file is replaced in one step (a reader never sees half a file), and nothing is
    written unless everything can be: an uninitialised parameter leaves both files as
    they were.

    >>> import json, os, tempfile
    >>> import d2lmini as mx
    >>> from d2lmini.gluon import nn
    >>> net = nn.HybridSequential(prefix='hybridsequential0_')
    >>> with net.name_scope():
    ...     net.add(nn.Dense(3, in_units=4), nn.Dense(2, in_units=3))
    >>> net.initialize()
    >>> prefix = os.path.join(tempfile.mkdtemp(), 'mlp')
    >>> save_block(net, prefix)
    >>> sorted(os.listdir(os.path.dirname(prefix)))
    ['mlp-model.json', 'mlp-model.params']
    >>> tree = json.load(open(prefix + '-model.json'))['hybridsequential0']
    >>> tree['children'], tree['dense1']['orig_name']
    ({'hybridsequential0_dense0': '0', 'hybridsequential0_dense1': '1'}, 'hybridsequential0_dense0')
    """
    numbers = itertools.count()
    key, entry = _describe(block, numbers)
    text = json.dumps({key: entry})
    # the parameters first: an uninitialised one raises before either file changes
    block.save_parameters(prefix + '-model.params')
    with atomic_write(prefix + '-model.json') as f:
        f.write(text.encode('utf-8'))


def _describe(block, numbers):
    """``(key, entry)`` of ``block`` and, inside the entry, of its descendants."""
    from .block import HybridBlock
    key = f'{type(block).__name__.lower()}{next(numbers)}'
    entry = {'orig_name': block.name}
    if isinstance(block, HybridBlock):
        graph = block._cached_graph
        if graph:
            from .. import symbol
            input_names, outputs, _ = graph
            entry['in_format'] = block._in_format
            entry['out_format'] = block._out_format
            entry['inputs'] = [symbol.var(name).tojson() for name in input_names]
            entry['symbol'] = outputs.tojson()
        entry['hybridized'] = bool(graph)
    entry['children'] = {child.name: attr for attr, child in block._children.items()}
    for child in block._children.values():
        child_key, child_entry = _describe(child, numbers)
        entry[child_key] = child_entry
    return key, entry


# ---------------------------------------------------------------------- loading
def load_block(block, prefix):
    """Load into ``block`` a model written by ``save_block`` or MXNet's ``Block.save``.

    ``block`` must be built as the saved model was (same classes, same order);
    otherwise :class:`ModelMismatchError` says where they part, and the model is left
    unchanged. So is it when the parameters do not fit (``load_parameters``' errors).

    >>> import os, tempfile
    >>> import d2lmini as mx
    >>> from d2lmini.gluon import nn
    >>> def mlp():
    ...     net = nn.HybridSequential()
    ...     net.add(nn.Dense(3, in_units=4, activation='relu'), nn.Dense(2, in_units=3))
    ...     return net
    >>> net = mlp(); net.initialize(); net.hybridize()
    >>> x = mx.nd.ones((1, 4))
    >>> y = net(x)
    >>> prefix = os.path.join(tempfile.mkdtemp(), 'mlp')
    >>> save_block(net, prefix)
    >>> copy = mlp()
    >>> load_block(copy, prefix)
    >>> copy._active, bool((copy(x) == y).asnumpy().all())
    (True, True)
    """
    json_file = prefix + '-model.json'
    with open(json_file, encoding='utf-8') as f:
        try:
            tree = json.load(f)
        except ValueError as e:
            raise ValueError(f"'{json_file}' is not a model file written by Block.save: "
                             f'{e}') from e
    if not isinstance(tree, dict) or len(tree) != 1:
        raise ValueError(f"'{json_file}' is not a model file written by Block.save: it "
                         'must hold one dictionary with one entry, the saved model')
    plan = _Plan(json_file)
    plan.match(block, tree, itertools.count(), type(block).__name__, None)
    graphs = [(b, _restored_graph(b, entry, plan)) for b, entry in plan.graphs]
    old_children = [(b, b._children) for b, _ in plan.renames]
    for b, keys in plan.renames:
        b._children = type(b._children)(zip(keys, b._children.values()))
    try:
        _load_parameters(block, prefix + '-model.params')
    except BaseException:
        for b, children in old_children:
            b._children = children
        raise
    for b, (input_names, outputs, in_format, out_format) in graphs:
        b._in_format, b._out_format = in_format, out_format
        b._cached_graph = (input_names, outputs, out_format == 0)
        b._cached_op = None
        b._active = True


def _load_parameters(block, filename):
    # a model without parameters has an empty file (MXNet writes an empty list there)
    if not block._collect_params_with_prefix():
        loaded = nd.load(filename)
        if not loaded:
            return
    block.load_parameters(filename)


class _Plan:
    """What loading will change, found by walking the model beside the file: the
    children to give their saved attribute names, and the graphs to restore; and the
    saved name prefix of each block, to rename the restored graphs' nodes with."""

    def __init__(self, json_file):
        self.json_file = json_file
        self.renames = []       # (block, its children's attribute names when saved)
        self.graphs = []        # (HybridBlock, its entry with a graph)
        self.prefixes = {}      # saved name prefix -> this model's prefix (None: ambiguous)

    def bad_file(self, message):
        return ValueError(f"'{self.json_file}' is not a model file written by Block.save: "
                          f'{message}')

    def match(self, block, level, numbers, path, parent_entry):
        """Find ``block``'s entry among ``level``'s (a dictionary of the file) and,
        recursively, its children's; ``path`` names the block for error messages."""
        from .block import HybridBlock
        key = f'{type(block).__name__.lower()}{next(numbers)}'
        entry = level.get(key)
        if not isinstance(entry, dict):
            raise ModelMismatchError(self._missing(block, key, level, path))
        if not isinstance(entry.get('orig_name'), str) or not isinstance(
                entry.get('children'), dict):
            raise self.bad_file(f"the entry '{key}' lacks 'orig_name' or 'children'")
        saved_children = [k for k, v in entry.items()
                          if k not in _OWN_KEYS and isinstance(v, dict)]
        if len(saved_children) != len(block._children):
            raise ModelMismatchError(
                f'{path} ({type(block).__name__}) has {len(block._children)} children, but '
                f"the file '{self.json_file}' saved {len(saved_children)} there "
                f'({", ".join(saved_children) or "none"}): the model must be built as the '
                'saved one was')
        self._note_prefix(block, entry['orig_name'])
        if entry.get('hybridized') and 'symbol' in entry:
            if not isinstance(block, HybridBlock):
                raise ModelMismatchError(
                    f'{path} ({type(block).__name__}) is not a HybridBlock, but the file '
                    f"'{self.json_file}' saved a hybridized graph for it ('{key}')")
            self.graphs.append((block, entry))
        names = []
        for attr, child in block._children.items():
            child_path = f'{path}.{attr}'
            child_entry = self.match(child, entry, numbers, child_path, entry)
            saved_attr = entry['children'].get(child_entry['orig_name'])
            if not isinstance(saved_attr, str):
                raise self.bad_file(f"'children' of '{key}' has no attribute name for its "
                                    f"child '{child_entry['orig_name']}'")
            names.append(saved_attr)
        # children sharing a name are listed once among 'children': keep the model's keys
        if names != list(block._children) and len(set(names)) == len(names):
            self.renames.append((block, names))
        return entry

    def _missing(self, block, key, level, path):
        number = re.search(r'\d+$', key).group()
        there = [k for k, v in level.items() if k not in _OWN_KEYS and isinstance(v, dict)
                 and re.search(r'\d+$', k).group() == number]
        if there:
            found = f"has '{there[0]}' there"
        else:
            found = 'has no block there (it saved fewer blocks)'
        return (f"{path} is a {type(block).__name__}, saved as '{key}', but the file "
                f"'{self.json_file}' {found}: the model must be built as the saved one was "
                '(the same classes in the same order)')

    def _note_prefix(self, block, orig_name):
        ending = block.prefix[len(block.name):]    # '_', or '' for a prefix without it
        saved = orig_name + ending
        if not saved:
            return
        if self.prefixes.setdefault(saved, block.prefix) != block.prefix:
            self.prefixes[saved] = None         # two blocks saved with one name


def _restored_graph(block, entry, plan):
    """``(input names, graph, in_format, out_format)`` of a saved graph, with its
    nodes renamed from the saved model's names to this model's (``dense0_weight`` ->
    ``dense3_weight``); every parameter it reads must be one of ``block``'s."""
    from .. import symbol
    try:
        input_names = [json.loads(text)['nodes'][0]['name'] for text in entry['inputs']]
        doc = json.loads(entry['symbol'])
        in_format, out_format = entry['in_format'], entry['out_format']
    except (KeyError, IndexError, TypeError, ValueError) as e:
        raise plan.bad_file(f"the graph saved for '{entry.get('orig_name')}' is incomplete "
                            f'({type(e).__name__}: {e})') from e
    # the longest saved prefix wins: 'dense0_relu_fwd' belongs to 'dense0_relu_'
    prefixes = sorted(plan.prefixes, key=len, reverse=True)
    for node in doc.get('nodes', []):
        name = node.get('name', '')
        if name in input_names:
            continue
        for saved in prefixes:
            if name.startswith(saved) and plan.prefixes[saved] is not None:
                node['name'] = plan.prefixes[saved] + name[len(saved):]
                break
    graph = symbol.load_json(json.dumps(doc))
    own = {p.name for p in block.collect_params().values()}
    unknown = [n for n in graph.list_arguments() + graph.list_auxiliary_states()
               if n not in own and n not in input_names]
    if unknown:
        raise ModelMismatchError(
            f"the graph saved for '{entry['orig_name']}' in '{plan.json_file}' reads "
            f'{", ".join(map(repr, unknown))}, which no parameter of {block.name} '
            f'({type(block).__name__}) matches: the model must be built as the saved '
            'one was')
    return input_names, graph, in_format, out_format
