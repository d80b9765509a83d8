"""``mx.nd.linalg``: MXNet's linear-algebra operators under their short names.

The operators registered as ``_linalg_<name>`` (``gemm``, ``gemm2``, ``potrf``,
``potri``, ``trsm``, ``trmm``, ``sumlogdiag``, ``syrk``, ``gelqf``, ``syevd``,
``inverse``, ``det``, ``slogdet``, ``extractdiag``, ``makediag``, ``extracttrian``,
``maketrian``) appear here as ``<name>``; see :mod:`d2lmini.ops.linalg`.

>>> import d2lmini as mx
>>> mx.nd.linalg.det(mx.nd.array([[2, 1], [1, 2]]))
<BLANKLINE>
[3.]
<NDArray 1 @cpu(0)>
"""
__all__ = []


def _export():
    from . import _FRONT_END
    for name, fn in _FRONT_END.items():
        if name.startswith('_linalg_'):
            short = name[len('_linalg_'):]
            globals()[short] = fn
            __all__.append(short)


_export()
