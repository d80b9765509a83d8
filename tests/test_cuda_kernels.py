"""The CUDA kernels of d2lmini/ops/cuda_kernels.py.

They only run on a GPU, so most of what can go wrong is checked here without one,
three ways, on the same comparisons with the numpy operators:

* ``mirror``: the kernels' per-thread code transcribed line by line into Python
  (below). It checks the index arithmetic, and that no division or remainder ever
  sees a negative operand (C and Python round those differently);
* ``emulated``: the CUDA sources themselves, compiled with g++ after a small shim
  (``__global__`` means nothing, ``threadIdx`` is a thread-local, a block runs its
  threads one after another, or as real threads with a barrier when the kernel
  synchronises), when g++ is available;
* ``gpu``: the real kernels through cupy (marked ``gpu``: skipped without one).

Both CPU ways run the module's own Python wrappers: only the compiled kernel
(``cuda_kernels._kernel``) is replaced, and cupy by numpy, so the arguments each
wrapper passes are also checked against the kernel's C signature (a Python float
passed for a ``float`` would be wrong on the GPU).
"""
import ctypes
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import types
import warnings

import numpy as np
import pytest

from d2lmini.ops import cuda_kernels as ck
from d2lmini.ops import normalization, pooling

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ------------------------------------------------------------------ the CUDA signatures
def kernel_signature(name):
    """``[(type, name), ...]`` of kernel ``name``'s parameters, read from its source."""
    source = ck.KERNEL_SOURCES[name]
    m = re.search(r'extern "C" __global__ void ' + name + r'\(([^)]*)\)', source)
    assert m, f'{name} is not defined in its source'
    params = []
    for p in m.group(1).split(','):
        p = ' '.join(p.split())
        ptype, pname = re.fullmatch(r'(.*?)\s*(\w+)', p).groups()
        params.append((ptype.replace(' *', '*'), pname))
    return params


def kernel_body(name):
    """The text of kernel ``name`` from its opening to its closing brace."""
    source = ck.KERNEL_SOURCES[name]
    start = source.index('{', source.index(f'void {name}('))
    depth = 0
    for i in range(start, len(source)):
        depth += {'{': 1, '}': -1}.get(source[i], 0)
        if depth == 0:
            return source[start:i + 1]
    raise AssertionError(f'unbalanced braces in {name}')


def synchronising(name):
    return '__shared__' in kernel_body(name)


# ------------------------------------------------------------------ Python mirrors
# Each function below is the CUDA kernel of the same name, transcribed line by line:
# same parameters (after the thread index, or the block index and size), same
# variables, same order. `div` and `mod` are C's / and % on ints, which agree with
# Python's only for non-negative operands: they check that the kernels never divide
# a negative number. T arithmetic uses the arrays' numpy scalars, so it rounds as T
# does; double accumulators are Python floats. KEEP THESE IN STEP WITH THE SOURCES.

def div(a, b):
    assert a >= 0 and b > 0, f'C division of {a} by {b}'
    return a // b


def mod(a, b):
    assert a >= 0 and b > 0, f'C remainder of {a} by {b}'
    return a % b


def d2l_im2col(i, x, cols, total, n, C, D, H, W, OD, OH, OW, KD, KH, KW, SD, SH, SW,
               DD, DH, DW, PD, PH, PW):
    if i >= total:
        return
    t = i
    ow = mod(t, OW); t = div(t, OW)
    oh = mod(t, OH); t = div(t, OH)
    od = mod(t, OD); t = div(t, OD)
    img = mod(t, n); t = div(t, n)
    kw = mod(t, KW); t = div(t, KW)
    kh = mod(t, KH); t = div(t, KH)
    kd = mod(t, KD); t = div(t, KD)
    c = t
    d = od * SD + kd * DD - PD
    h = oh * SH + kh * DH - PH
    w = ow * SW + kw * DW - PW
    inside = 0 <= d < D and 0 <= h < H and 0 <= w < W
    cols[i] = x[(((img * C + c) * D + d) * H + h) * W + w] if inside else 0


def d2l_col2im(i, cols, dx, total, n, C, D, H, W, OD, OH, OW, KD, KH, KW, SD, SH, SW,
               DD, DH, DW, PD, PH, PW):
    if i >= total:
        return
    t = i
    w = mod(t, W); t = div(t, W)
    h = mod(t, H); t = div(t, H)
    d = mod(t, D); t = div(t, D)
    c = mod(t, C); t = div(t, C)
    img = t
    total_ = dx.dtype.type(0)
    for kd in range(KD):
        td = d + PD - kd * DD
        if td < 0 or mod(td, SD) != 0 or div(td, SD) >= OD:
            continue
        od = div(td, SD)
        for kh in range(KH):
            th = h + PH - kh * DH
            if th < 0 or mod(th, SH) != 0 or div(th, SH) >= OH:
                continue
            oh = div(th, SH)
            for kw in range(KW):
                tw = w + PW - kw * DW
                if tw < 0 or mod(tw, SW) != 0 or div(tw, SW) >= OW:
                    continue
                ow = div(tw, SW)
                row = ((c * KD + kd) * KH + kh) * KW + kw
                total_ += cols[(((row * n + img) * OD + od) * OH + oh) * OW + ow]
    dx[i] = total_


def window_count(o, s, k, b, n, e, include_pad):
    start = o * s - b
    stop = start + k
    if include_pad:
        return (stop if stop < n + e else n + e) - start
    return (stop if stop < n else n) - (start if start > 0 else 0)


def divisor(od, oh, ow, include_pad, D, H, W, KD, KH, KW, SD, SH, SW, PD, PH, PW,
            ED, EH, EW):
    count = (window_count(od, SD, KD, PD, D, ED, include_pad)
             * window_count(oh, SH, KH, PH, H, EH, include_pad)
             * window_count(ow, SW, KW, PW, W, EW, include_pad))
    return count if count > 1 else 1


def d2l_pool_forward(i, x, y, total, mode, include_pad, lowest, D, H, W, OD, OH, OW,
                     KD, KH, KW, SD, SH, SW, PD, PH, PW, ED, EH, EW):
    if i >= total:
        return
    t = i
    ow = mod(t, OW); t = div(t, OW)
    oh = mod(t, OH); t = div(t, OH)
    od = mod(t, OD); t = div(t, OD)
    plane = t
    xs = plane * D * H * W                     # the pointer x + plane*D*H*W, as an offset
    acc = y.dtype.type(0)
    for k in range(KD * KH * KW):
        d = od * SD - PD + div(k, KH * KW)
        h = oh * SH - PH + mod(div(k, KW), KH)
        w = ow * SW - PW + mod(k, KW)
        inside = 0 <= d < D and 0 <= h < H and 0 <= w < W
        v = x[xs + (d * H + h) * W + w] if inside else (lowest if mode == 0 else y.dtype.type(0))
        if mode != 0:
            acc += v
        elif k == 0 or v > acc or v != v:
            acc = v
    if mode == 2:
        acc /= y.dtype.type(divisor(od, oh, ow, include_pad, D, H, W, KD, KH, KW, SD, SH, SW,
                                    PD, PH, PW, ED, EH, EW))
    y[i] = acc


def d2l_pool_argmax(i, x, y, first, total, single, lowest, D, H, W, OD, OH, OW,
                    KD, KH, KW, SD, SH, SW, PD, PH, PW):
    if i >= total:
        return
    t = i
    ow = mod(t, OW); t = div(t, OW)
    oh = mod(t, OH); t = div(t, OH)
    od = mod(t, OD); t = div(t, OD)
    plane = t
    xs = plane * D * H * W
    found = -1
    best = x.dtype.type(0)
    for k in range(KD * KH * KW):
        d = od * SD - PD + div(k, KH * KW)
        h = oh * SH - PH + mod(div(k, KW), KH)
        w = ow * SW - PW + mod(k, KW)
        inside = 0 <= d < D and 0 <= h < H and 0 <= w < W
        v = x[xs + (d * H + h) * W + w] if inside else lowest
        if single:
            if k == 0 or (best == best and (v > best or v != v)):
                best = v
                found = k
        elif v == y[i]:
            found = k
            break
    first[i] = found


def first_window(p, s, k, b):
    lo = p + b - k + 1
    return 0 if lo <= 0 else div(lo + s - 1, s)


def last_window(p, s, b, out):
    hi = div(p + b, s)
    return hi if hi < out - 1 else out - 1


def d2l_pool_backward(i, dy, first, dx, total, mode, include_pad, D, H, W, OD, OH, OW,
                      KD, KH, KW, SD, SH, SW, PD, PH, PW, ED, EH, EW):
    if i >= total:
        return
    t = i
    w = mod(t, W); t = div(t, W)
    h = mod(t, H); t = div(t, H)
    d = mod(t, D); t = div(t, D)
    plane = t
    total_ = dx.dtype.type(0)
    for od in range(first_window(d, SD, KD, PD), last_window(d, SD, PD, OD) + 1):
        for oh in range(first_window(h, SH, KH, PH), last_window(h, SH, PH, OH) + 1):
            for ow in range(first_window(w, SW, KW, PW), last_window(w, SW, PW, OW) + 1):
                o = ((plane * OD + od) * OH + oh) * OW + ow
                if mode == 0:
                    k = ((d - od * SD + PD) * KH + (h - oh * SH + PH)) * KW + (w - ow * SW + PW)
                    if first[o] == k:
                        total_ += dy[o]
                elif mode == 1:
                    total_ += dy[o]
                else:
                    total_ += dy[o] / dx.dtype.type(divisor(od, oh, ow, include_pad, D, H, W,
                                                            KD, KH, KW, SD, SH, SW, PD, PH, PW,
                                                            ED, EH, EW))
    dx[i] = total_


def block_sum2(block_dim, a, b):
    """The shared-memory tree of block_sum2, given every thread's (a, b)."""
    s1, s2 = list(a), list(b)
    half = block_dim // 2
    while half > 0:
        for tid in range(half):
            s1[tid] += s1[tid + half]
            s2[tid] += s2[tid + half]
        half //= 2
    return s1[0], s2[0]


def d2l_bn_forward_stats(c, block_dim, x, mean, invstd, outer, C, inner, eps):
    count = outer * inner
    shift = float(x[c * inner])
    a, b = [0.0] * block_dim, [0.0] * block_dim
    for tid in range(block_dim):               # each thread's strided share
        for t in range(tid, count, block_dim):
            o, j = div(t, inner), mod(t, inner)
            v = float(x[(o * C + c) * inner + j]) - shift
            a[tid] += v
            b[tid] += v * v
    s1, s2 = block_sum2(block_dim, a, b)
    m = s1 / count
    var = s2 / count - m * m
    if var < 0:
        var = 0.0
    mean[c] = shift + m
    invstd[c] = 1.0 / np.sqrt(var + float(eps))


def d2l_bn_forward_output(i, x, mean, invstd, gamma, beta, y, total, C, inner, has_gamma):
    if i >= total:
        return
    c = mod(div(i, inner), C)
    scale = invstd[c] * gamma[c] if has_gamma else invstd[c]
    y[i] = (x[i] - mean[c]) * scale + beta[c]


def d2l_bn_backward_sums(c, block_dim, dy, x, mean, invstd, mean_dy, mean_dy_xhat, dgamma,
                         dbeta, moving_mean, moving_var, outer, C, inner, fix_gamma,
                         momentum, one_minus_momentum, eps):
    count = outer * inner
    a, b = [0.0] * block_dim, [0.0] * block_dim
    for tid in range(block_dim):
        for t in range(tid, count, block_dim):
            o, j = div(t, inner), mod(t, inner)
            e = (o * C + c) * inner + j
            xhat = (x[e] - mean[c]) * invstd[c]
            a[tid] += float(dy[e])
            b[tid] += float(dy[e] * xhat)
    s1, s2 = block_sum2(block_dim, a, b)
    dbeta[c] = s1
    dgamma[c] = 0 if fix_gamma else s2
    mean_dy[c] = s1 / count
    mean_dy_xhat[c] = s2 / count
    T = x.dtype.type
    var = T(1) / (invstd[c] * invstd[c]) - eps
    moving_mean[c] = moving_mean[c] * momentum + mean[c] * one_minus_momentum
    moving_var[c] = moving_var[c] * momentum + var * one_minus_momentum


def d2l_bn_backward_dx(i, dy, x, mean, invstd, gamma, mean_dy, mean_dy_xhat, dx, total, C,
                       inner, has_gamma):
    if i >= total:
        return
    c = mod(div(i, inner), C)
    T = x.dtype.type
    xhat = (x[i] - mean[c]) * invstd[c]
    scale = invstd[c] * gamma[c] if has_gamma else invstd[c]
    dx[i] = (dy[i] - T(mean_dy[c]) - xhat * T(mean_dy_xhat[c])) * scale


MIRRORS = {name: globals()[name] for name in ck.KERNEL_SOURCES}


# ------------------------------------------------------------------ fake kernels
_CTYPE_OF = {'int': ctypes.c_int, 'double': ctypes.c_double}


def _check_argument(name, ptype, pname, value, dtype):
    """The argument ``value`` fits the C parameter ``ptype pname`` as cupy would pass it."""
    where = f'{name}({pname})'
    pointee = {'T*': dtype, 'const T*': dtype, 'int*': np.int32, 'const int*': np.int32,
               'double*': np.float64, 'const double*': np.float64}.get(ptype)
    if pointee is not None:
        assert isinstance(value, np.ndarray), f'{where}: an array is needed, got {value!r}'
        assert value.dtype == pointee, f'{where}: {value.dtype} array for {ptype}'
        assert value.flags.c_contiguous, f'{where}: the array must be contiguous'
    else:
        scalar = {'int': np.int32, 'double': np.float64, 'T': dtype}[ptype]
        assert type(value) is np.dtype(scalar).type, \
            f'{where}: {type(value).__name__} passed for {ptype} ({np.dtype(scalar).name})'


class FakeKernel:
    """Stands for a compiled cupy.RawKernel: ``kernel(grid, block, args)``."""

    def __init__(self, name, dtype, run):
        self.name, self.dtype, self.run = name, np.dtype(dtype), run
        self.params = kernel_signature(name)

    def __call__(self, grid, block, args):
        assert len(args) == len(self.params), \
            f'{self.name}: {len(args)} arguments for {len(self.params)} parameters'
        for (ptype, pname), value in zip(self.params, args):
            _check_argument(self.name, ptype, pname, value, self.dtype)
        assert block[0] <= 256 and grid[0] >= 1
        self.run(self.name, grid[0], block[0], args)


def run_mirror(name, grid, block, args):
    fn = MIRRORS[name]
    flat = [a.reshape(-1) if isinstance(a, np.ndarray) else
            int(a) if isinstance(a, np.int32) else a for a in args]
    if synchronising(name):
        for c in range(grid):
            fn(c, block, *flat)
    else:
        for i in range(grid * block):
            fn(i, *flat)


_SHIM = r'''
#include <barrier>
#include <cmath>
#include <thread>
#include <vector>
struct d2l_dim3 { unsigned int x, y, z; };
static thread_local d2l_dim3 threadIdx;
static d2l_dim3 blockIdx, blockDim, gridDim;
static std::barrier<>* d2l_barrier = nullptr;
#define __global__
#define __device__
#define __shared__ static
static void __syncthreads() { d2l_barrier->arrive_and_wait(); }
using std::sqrt;

// Run a grid block after block. A block that synchronises runs its threads as real
// threads meeting at a barrier; any other runs them one after another.
template <class F> static void d2l_launch(int grid, int block, int threaded, F kernel) {
    gridDim = {(unsigned) grid, 1, 1};
    blockDim = {(unsigned) block, 1, 1};
    for (int b = 0; b < grid; ++b) {
        blockIdx = {(unsigned) b, 0, 0};
        if (!threaded) {
            for (int t = 0; t < block; ++t) { threadIdx = {(unsigned) t, 0, 0}; kernel(); }
            continue;
        }
        std::barrier<> bar(block);
        d2l_barrier = &bar;
        std::vector<std::thread> threads;
        for (int t = 0; t < block; ++t)
            threads.emplace_back([t, &kernel] { threadIdx = {(unsigned) t, 0, 0}; kernel(); });
        for (auto& th : threads) th.join();
        d2l_barrier = nullptr;
    }
}
'''


def _emulator_source(ctype):
    parts = [f'typedef {ctype} T;', _SHIM]
    parts += list(dict.fromkeys(ck.KERNEL_SOURCES.values()))      # each source once
    for name in ck.KERNEL_SOURCES:
        params = kernel_signature(name)
        decl = ', '.join(f'{t} {n}' for t, n in params)
        call = ', '.join(n for _, n in params)
        parts.append(f'extern "C" void launch_{name}(int grid, int block, int threaded, '
                     f'{decl}) {{\n    d2l_launch(grid, block, threaded, '
                     f'[&] {{ {name}({call}); }});\n}}')
    return '\n'.join(parts)


@pytest.fixture(scope='session')
def emulator(tmp_path_factory):
    """The CUDA sources compiled for the CPU with g++, one library per dtype."""
    if shutil.which('g++') is None:
        pytest.skip('needs g++ to compile the CUDA sources for the CPU')
    libs = {}
    for dtype, ctype in ck._CTYPES.items():
        d = tmp_path_factory.mktemp(f'emulated_{ctype}')
        (d / 'kernels.cpp').write_text(_emulator_source(ctype))
        proc = subprocess.run(['g++', '-std=c++20', '-O1', '-shared', '-fPIC', '-pthread',
                               '-Wall', '-Werror', '-Wno-unused-function',
                               'kernels.cpp', '-o', 'kernels.so'],
                              cwd=d, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        libs[dtype] = ctypes.CDLL(str(d / 'kernels.so'))

    def run(name, grid, block, args, dtype):
        ctype = {np.dtype(np.float32): ctypes.c_float, np.dtype(np.float64): ctypes.c_double}
        cargs = []
        for (ptype, _), a in zip(kernel_signature(name), args):
            if isinstance(a, np.ndarray):
                cargs.append(ctypes.c_void_p(a.ctypes.data))
            else:
                cargs.append((_CTYPE_OF.get(ptype) or ctype[np.dtype(dtype)])(a.item()))
        getattr(libs[np.dtype(dtype)], 'launch_' + name)(
            ctypes.c_int(grid), ctypes.c_int(block), ctypes.c_int(int(synchronising(name))),
            *cargs)
    return run


class NumpyAsCupy:
    """numpy under another name, standing for cupy: the operators then take their
    GPU branch (``xp is not np``) while computing with numpy."""

    def __getattr__(self, name):
        return getattr(np, name)


FAKE_CUPY = NumpyAsCupy()


@pytest.fixture(params=['mirror', 'emulated', pytest.param('gpu', marks=pytest.mark.gpu)])
def impl(request, monkeypatch):
    """The kernels run three ways (see the module docstring); yields ``(xp, to_host)``:
    the array module the kernel functions take and a function back to numpy."""
    ck.reset()
    if request.param == 'gpu':
        import cupy
        yield cupy, cupy.asnumpy
        return
    if request.param == 'mirror':
        def run(name, grid, block, args, dtype):
            run_mirror(name, grid, block, args)
    else:
        run = request.getfixturevalue('emulator')
    monkeypatch.setattr(ck, 'backend', types.SimpleNamespace(cupy=lambda: FAKE_CUPY))
    monkeypatch.setattr(ck, '_is_gpu_array', lambda a: isinstance(a, np.ndarray))
    monkeypatch.setattr(ck, '_kernel', lambda name, dtype: FakeKernel(
        name, dtype, lambda *a: run(*a, dtype)))
    monkeypatch.setattr(ck, '_verdict', {})
    with ck._mode('trust'):          # the self-check has tests of its own
        yield FAKE_CUPY, np.asarray
    ck.reset()


# ------------------------------------------------------------------ configurations
def _tol(dtype):
    return dict(rtol=1e-4, atol=1e-5) if np.dtype(dtype) == np.float32 else \
        dict(rtol=1e-9, atol=1e-12)


def conv_configs(count, seed, max_size=(9, 7, 4)):
    """Random (x shape, kernel, stride, dilate, pad, out) that fit, 1- to 3-D."""
    rng = np.random.default_rng(seed)
    configs = []
    while len(configs) < count:
        nsp = int(rng.integers(1, 4))
        kernel = tuple(int(k) for k in rng.integers(1, 4, nsp))
        stride = tuple(int(s) for s in rng.integers(1, 4, nsp))
        dilate = tuple(int(d) for d in rng.integers(1, 3, nsp))
        pad = tuple(int(p) for p in rng.integers(0, 3, nsp))
        size = tuple(int(s) for s in rng.integers(1, max_size[nsp - 1] + 1, nsp))
        reach = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilate))
        if any(r > s + 2 * p for r, s, p in zip(reach, size, pad)):
            continue
        out = tuple((s + 2 * p - r) // t + 1 for s, p, r, t in zip(size, pad, reach, stride))
        shape = (int(rng.integers(1, 3)), int(rng.integers(1, 4))) + size
        configs.append((shape, kernel, stride, dilate, pad, out))
    return configs


def pool_configs(count, seed):
    """Random (x shape, Pooling attributes), 1- to 3-D, every convention and type."""
    rng = np.random.default_rng(seed)
    configs = []
    while len(configs) < count:
        nsp = int(rng.integers(1, 4))
        size = tuple(int(s) for s in rng.integers(1, (10, 7, 4)[nsp - 1] + 1, nsp))
        shape = (int(rng.integers(1, 3)), int(rng.integers(1, 3))) + size
        attrs = dict(pool_type=str(rng.choice(['max', 'avg', 'sum'])),
                     kernel=tuple(int(k) for k in rng.integers(1, 4, nsp)),
                     stride=tuple(int(s) for s in rng.integers(1, 4, nsp)))
        convention = str(rng.choice(['valid', 'full', 'same'] if nsp == 1 else
                                    ['valid', 'full']))
        attrs['pooling_convention'] = convention
        if convention != 'same':
            attrs['pad'] = tuple(int(p) for p in rng.integers(0, 2, nsp))
        if attrs['pool_type'] == 'avg':
            attrs['count_include_pad'] = [None, True, False][int(rng.integers(0, 3))]
        if rng.random() < 0.15:
            attrs['global_pool'] = True
        try:
            pooling._pool_geometry(shape, attrs['kernel'], attrs.get('global_pool', False),
                                   convention, attrs['stride'], attrs.get('pad', ()))
        except Exception:
            continue   # the kernel does not fit
        configs.append((shape, attrs))
    return configs


def geometry(shape, attrs):
    g = pooling._pool_geometry(shape, attrs['kernel'], attrs.get('global_pool', False),
                               attrs.get('pooling_convention', 'valid'), attrs.get('stride', ()),
                               attrs.get('pad', ()))
    return g.kernel, g.stride, g.pad_begin, g.pad_end, g.out


def conv_reference(x, w, stride, dilate, pad):
    """A convolution without bias by loops over output positions (no im2col)."""
    n, C = x.shape[:2]
    F, kernel = w.shape[0], w.shape[2:]
    xp_ = np.pad(x, ((0, 0), (0, 0)) + tuple((p, p) for p in pad))
    reach = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilate))
    out = tuple((s - r) // t + 1 for s, r, t in zip(xp_.shape[2:], reach, stride))
    y = np.zeros((n, F) + out, x.dtype)
    for o in np.ndindex(*out):
        window = xp_[(slice(None), slice(None)) + tuple(
            slice(i * t, i * t + r, d) for i, t, r, d in zip(o, stride, reach, dilate))]
        axes = tuple(range(1, w.ndim))
        y[(slice(None), slice(None)) + o] = np.tensordot(window, w, axes=(axes, axes))
    return y


def im2col_definition(x, kernel, stride, dilate, pad, out):
    """``cols[c, k..., i, o...] = x[i, c, o*stride + k*dilate - pad]`` element by element."""
    n, C, size = x.shape[0], x.shape[1], x.shape[2:]
    cols = np.zeros((C,) + kernel + (n,) + out, x.dtype)
    for idx in np.ndindex(*cols.shape):
        c, k, i, o = idx[0], idx[1:1 + len(kernel)], idx[1 + len(kernel)], idx[2 + len(kernel):]
        pos = tuple(oo * s + kk * d - p for oo, s, kk, d, p in zip(o, stride, k, dilate, pad))
        if all(0 <= q < s for q, s in zip(pos, size)):
            cols[idx] = x[(i, c) + pos]
    return cols


# ------------------------------------------------------------------ im2col / col2im
@pytest.mark.parametrize('dtype', [np.float64, np.float32])
def test_im2col_and_col2im(impl, dtype):
    xp, host = impl
    rng = np.random.default_rng(3)
    for shape, kernel, stride, dilate, pad, out in conv_configs(12, 5):
        x = rng.standard_normal(shape).astype(dtype)
        cols = ck.im2col(xp.asarray(x), kernel, stride, dilate, pad, out)
        assert cols is not None
        cols = host(cols)
        assert cols.dtype == dtype
        np.testing.assert_array_equal(cols, im2col_definition(x, kernel, stride, dilate, pad,
                                                              out))
        # col2im is the adjoint: <im2col(x), c> == <x, col2im(c)> for every x and c
        c = rng.standard_normal(cols.shape).astype(dtype)
        dx = ck.col2im(xp.asarray(c), kernel, stride, dilate, pad, shape[2:])
        assert dx is not None
        dx = host(dx)
        assert dx.shape == shape and dx.dtype == dtype
        np.testing.assert_allclose(float((cols * c).sum()), float((x * dx).sum()),
                                   **_tol(dtype))


def test_im2col_layout_gives_the_convolution():
    """The layout the convolution code uses: W (F, C*K) @ cols (C*K, n*P) is the
    convolution, and the convolution module's own im2col (the self-check's reference)
    agrees with the loops."""
    from d2lmini.ops import convolution
    rng = np.random.default_rng(4)
    for shape, kernel, stride, dilate, pad, out in conv_configs(10, 6):
        x = rng.standard_normal(shape)
        w = rng.standard_normal((2, shape[1]) + kernel)
        g = convolution._conv_geometry('test', shape, kernel, stride, dilate, pad)
        cols = convolution._im2col(np, x, g, minor=False).copy()
        np.testing.assert_array_equal(cols, im2col_definition(x, kernel, stride, dilate, pad,
                                                              out))
        y = (w.reshape(2, -1) @ cols.reshape(w[0].size, -1)).reshape((2, shape[0]) + out)
        np.testing.assert_allclose(np.moveaxis(y, 0, 1),
                                   conv_reference(x, w, stride, dilate, pad), rtol=1e-10,
                                   atol=1e-12)


# ------------------------------------------------------------------ pooling
@pytest.mark.parametrize('dtype', [np.float64, np.float32])
def test_pooling_matches_numpy(impl, dtype):
    xp, host = impl
    rng = np.random.default_rng(7)
    # random ones, plus every type in 3-D with padding on every axis
    every_axis = [((2, 2, 4, 3, 5), dict(pool_type=t, kernel=(2, 3, 2), stride=(2, 1, 3),
                                         pad=(1, 1, 1), pooling_convention='full'))
                  for t in ('max', 'avg', 'sum')]
    for shape, attrs in pool_configs(30, 8) + every_axis:
        # small integers: many windows hold several equal maxima
        x = rng.integers(-3, 4, size=shape).astype(dtype)
        y = pooling._pooling(np, x, **attrs)
        kernel, stride, pad_begin, pad_end, out = geometry(shape, attrs)
        cip = attrs.get('count_include_pad')
        got = ck.pool_forward(xp.asarray(x), attrs['pool_type'], kernel, stride, pad_begin,
                              pad_end, out, cip)
        assert got is not None, attrs
        got = host(got)
        assert got.shape == y.shape and got.dtype == y.dtype
        np.testing.assert_allclose(got, y, **_tol(dtype), err_msg=str((shape, attrs)))
        dy = rng.standard_normal(y.shape).astype(dtype)
        dx = pooling._backward_pooling(np, dy, x, y, **attrs)
        got = ck.pool_backward(xp.asarray(dy), xp.asarray(x), xp.asarray(y),
                               attrs['pool_type'], kernel, stride, pad_begin, pad_end, out, cip)
        assert got is not None, attrs
        got = host(got)
        assert got.shape == dx.shape and got.dtype == dx.dtype
        np.testing.assert_allclose(got, dx, **_tol(dtype), err_msg=str((shape, attrs)))


def test_max_pooling_ties_and_padding(impl):
    """Ties go to the first maximum of the window; a window of padding only gives
    the lowest value and sends its gradient nowhere; NaN wins the forward pass."""
    xp, host = impl
    x = np.zeros((1, 1, 2, 3))
    x[0, 0, 1, 2] = -np.inf
    attrs = dict(pool_type='max', kernel=(2, 2), stride=(2, 2), pad=(1, 1),
                 pooling_convention='full')
    kernel, stride, pad_begin, pad_end, out = geometry(x.shape, attrs)
    y = pooling._pooling(np, x, **attrs)
    got = host(ck.pool_forward(xp.asarray(x), 'max', kernel, stride, pad_begin, pad_end, out))
    np.testing.assert_array_equal(got, y)
    dy = np.arange(1, y.size + 1, dtype=float).reshape(y.shape)
    want = pooling._backward_pooling(np, dy, x, y, **attrs)
    got = host(ck.pool_backward(xp.asarray(dy), xp.asarray(x), xp.asarray(y), 'max', kernel,
                                stride, pad_begin, pad_end, out))
    np.testing.assert_array_equal(got, want)
    x[0, 0, 0, 1] = np.nan
    y = pooling._pooling(np, x, **attrs)
    got = host(ck.pool_forward(xp.asarray(x), 'max', kernel, stride, pad_begin, pad_end, out))
    np.testing.assert_array_equal(got, y)
    # global pooling routes by argmax: to the first NaN if there is one
    x = np.array([[[1., np.nan, 3., np.nan]], [[2., 5., 5., 0.]]])
    attrs = dict(pool_type='max', kernel=(1,), global_pool=True)
    kernel, stride, pad_begin, pad_end, out = geometry(x.shape, attrs)
    y = pooling._pooling(np, x, **attrs)
    dy = np.array([[[2.]], [[3.]]])
    want = pooling._backward_pooling(np, dy, x, y, **attrs)
    got = host(ck.pool_backward(xp.asarray(dy), xp.asarray(x), xp.asarray(y), 'max', kernel,
                                stride, pad_begin, pad_end, out))
    np.testing.assert_array_equal(got, want)


def test_pooling_cases_the_kernels_leave_to_numpy(impl):
    xp, host = impl
    x = xp.asarray(np.ones((1, 1, 4, 4)))
    args = ((2, 2), (1, 1), (0, 0), (0, 0), (3, 3))
    assert ck.pool_forward(x, 'lp', *args) is None
    assert ck.pool_forward(xp.asarray(np.ones((1, 1, 4, 4), np.float16)), 'max', *args) is None
    assert ck.pool_forward(xp.asarray(np.ones((1, 1, 4, 4), np.int32)), 'max', *args) is None
    y = xp.asarray(np.ones((1, 1, 3, 3), np.float32))       # a dtype other than x's
    assert ck.pool_backward(y, x, y, 'max', *args) is None


# ------------------------------------------------------------------ BatchNorm
BN_CONFIGS = [
    # shape, axis, fix_gamma
    ((4, 3, 5, 2), 1, False),
    ((4, 3, 5, 2), 1, True),
    ((6, 5), -1, False),
    ((6, 5), 0, True),
    ((2, 3, 4), 2, False),
    ((3, 2, 2, 2, 3), 1, False),
    ((2, 4, 3, 3), -1, True),
    ((300, 2), 1, False),          # more elements per channel than threads per block
]


@pytest.mark.parametrize('dtype', [np.float64, np.float32])
def test_batch_norm_matches_numpy(impl, dtype):
    xp, host = impl
    rng = np.random.default_rng(9)
    for shape, axis, fix_gamma in BN_CONFIGS:
        C = shape[axis]
        x = (rng.standard_normal(shape) * 2 + 10).astype(dtype)   # mean far from 0
        gamma, beta = (rng.standard_normal(C).astype(dtype) for _ in range(2))
        mm, mv = rng.standard_normal(C).astype(dtype), rng.uniform(1, 2, C).astype(dtype)
        g = np.ones_like(gamma) if fix_gamma else gamma.copy()
        want = normalization._batch_norm(np, x, g.copy(), beta, mm.copy(), mv.copy(),
                                         eps=1e-3, fix_gamma=fix_gamma, axis=axis,
                                         is_train=True)
        got = ck.batch_norm_forward(xp.asarray(x), None if fix_gamma else xp.asarray(gamma),
                                    xp.asarray(beta), axis, 1e-3)
        assert got is not None
        for a, b in zip(got, want[:3]):
            a = host(a)
            assert a.shape == b.shape and a.dtype == b.dtype
            np.testing.assert_allclose(a, b, **_tol(dtype), err_msg=str((shape, axis)))
        _, mean, invstd, used = want
        dy = rng.standard_normal(shape).astype(dtype)
        mm_want, mv_want = mm.copy(), mv.copy()
        want = normalization._batch_norm_backward_op(np, dy, x, g, mean, invstd, used,
                                                      mm_want, mv_want, eps=1e-3,
                                                      momentum=0.9, fix_gamma=fix_gamma,
                                                      axis=axis)
        mm_got, mv_got = xp.asarray(mm.copy()), xp.asarray(mv.copy())
        got = ck.batch_norm_backward(xp.asarray(dy), xp.asarray(x), xp.asarray(g),
                                     xp.asarray(mean), xp.asarray(invstd), mm_got, mv_got,
                                     1e-3, 0.9, fix_gamma, axis)
        assert got is not None
        for a, b in zip(tuple(got) + (mm_got, mv_got), tuple(want) + (mm_want, mv_want)):
            a = host(a)
            assert a.shape == b.shape and a.dtype == b.dtype
            np.testing.assert_allclose(a, b, **_tol(dtype), err_msg=str((shape, axis)))


def test_batch_norm_variance_keeps_its_digits(impl):
    """A mean 1e4 times the spread: the shifted sums keep the variance exact enough."""
    xp, host = impl
    x = np.random.default_rng(10).standard_normal((64, 2, 3)) + 1e4
    _, mean, invstd = (host(a) for a in ck.batch_norm_forward(
        xp.asarray(x), None, xp.asarray(np.zeros(2)), 1, 1e-5))
    np.testing.assert_allclose(invstd, 1 / np.sqrt(x.var(axis=(0, 2)) + 1e-5), rtol=1e-9)
    np.testing.assert_allclose(mean, x.mean(axis=(0, 2)), rtol=1e-12)


# ------------------------------------------------------------------ the operators' hooks
@pytest.fixture
def fake_gpu(monkeypatch, emulator_or_mirror):
    """The operators' GPU branch on the CPU: numpy stands for cupy, the CUDA kernels
    run emulated (or mirrored without g++), and the self-check runs as on a GPU."""
    ck.reset()
    monkeypatch.setattr(ck, 'backend', types.SimpleNamespace(cupy=lambda: FAKE_CUPY))
    monkeypatch.setattr(ck, '_is_gpu_array', lambda a: isinstance(a, np.ndarray))
    monkeypatch.setattr(ck, '_kernel', lambda name, dtype: FakeKernel(
        name, dtype, lambda *a: emulator_or_mirror(*a, dtype)))
    monkeypatch.setattr(ck, '_verdict', {})
    monkeypatch.delenv(ck.ENV_VARIABLE, raising=False)
    yield FAKE_CUPY
    ck.reset()


@pytest.fixture
def emulator_or_mirror(request):
    if shutil.which('g++'):
        return request.getfixturevalue('emulator')
    return lambda name, grid, block, args, dtype: run_mirror(name, grid, block, args)


def _spy(monkeypatch, name):
    """Count the calls of cuda_kernels.<name>."""
    calls = []
    real = getattr(ck, name)

    def spy(*args, **kwargs):
        calls.append(name)
        return real(*args, **kwargs)
    monkeypatch.setattr(ck, name, spy)
    return calls


@pytest.mark.parametrize('dtype', [np.float64, np.float32])
def test_operators_use_the_kernels(fake_gpu, monkeypatch, dtype):
    """Through the operators' GPU branch (self-check included): the same results as
    numpy, channels last too, and the kernels really ran."""
    xp = fake_gpu
    calls = _spy(monkeypatch, "_run_pool_forward")
    back = _spy(monkeypatch, '_run_pool_backward')
    bn = _spy(monkeypatch, '_run_batch_norm_forward')
    bnb = _spy(monkeypatch, '_run_batch_norm_backward')
    with warnings.catch_warnings():
        warnings.filterwarnings('error', message='d2lmini: the CUDA kernels')  # all pass
        rng = np.random.default_rng(11)
        x = rng.integers(-2, 3, (2, 5, 6, 3)).astype(dtype)
        for attrs in (dict(kernel=(3, 2), stride=(2, 1), pad=(1, 1), pool_type='max'),
                      dict(kernel=(2, 2), pool_type='avg', pooling_convention='full',
                           stride=(2, 2), count_include_pad=False),
                      dict(kernel=(2, 2), pool_type='max', layout='NHWC')):
            y = pooling._pooling(xp, x, **attrs)
            np.testing.assert_allclose(y, pooling._pooling(np, x, **attrs), **_tol(dtype))
            dy = rng.standard_normal(y.shape).astype(dtype)
            np.testing.assert_allclose(pooling._backward_pooling(xp, dy, x, y, **attrs),
                                       pooling._backward_pooling(np, dy, x, y, **attrs),
                                       **_tol(dtype))
        gamma, beta = np.ones(3, dtype), np.zeros(3, dtype)
        mm, mv = np.zeros(3, dtype), np.ones(3, dtype)
        got = normalization._batch_norm(xp, x, gamma, beta, mm.copy(), mv.copy(), axis=-1,
                                        fix_gamma=False, is_train=True)
        want = normalization._batch_norm(np, x, gamma, beta, mm.copy(), mv.copy(), axis=-1,
                                         fix_gamma=False, is_train=True)
        assert got[3].shape == want[3].shape == (1,)      # used_batch: only its length counts
        for a, b in zip(got[:3], want[:3]):
            assert a.shape == b.shape and a.dtype == b.dtype
            np.testing.assert_allclose(a, b, **_tol(dtype))
        dy = rng.standard_normal(x.shape).astype(dtype)
        m1, v1, m2, v2 = mm.copy(), mv.copy(), mm.copy(), mv.copy()
        got = normalization._batch_norm_backward_op(xp, dy, x, gamma, *want[1:], m1, v1,
                                                    fix_gamma=False, axis=-1)
        want = normalization._batch_norm_backward_op(np, dy, x, gamma, *want[1:], m2, v2,
                                                     fix_gamma=False, axis=-1)
        for a, b in zip(tuple(got) + (m1, v1), tuple(want) + (m2, v2)):
            np.testing.assert_allclose(a, b, **_tol(dtype))
    # each family ran in its self-check, then once per call
    assert len(calls) > 3 and len(back) > 3 and len(bn) > 1 and len(bnb) > 1
    assert all(ck._verdict[(f, np.dtype(dtype))] for f in
               ('pool_forward', 'pool_backward', 'batch_norm_forward', 'batch_norm_backward'))


@pytest.mark.parametrize('dtype', [np.float64, np.float32])
def test_convolution_uses_the_kernels(fake_gpu, monkeypatch, dtype):
    """Through the convolution's GPU branch: im2col in the forward and the weight
    gradient, col2im in the data gradient (stride 2: no flipped-kernel shortcut),
    with numpy's results."""
    from d2lmini.ops import convolution
    xp = fake_gpu
    cols = _spy(monkeypatch, '_run_im2col')
    adds = _spy(monkeypatch, '_run_col2im')
    rng = np.random.default_rng(13)
    x = rng.standard_normal((3, 4, 7, 6)).astype(dtype)
    w = rng.standard_normal((5, 4, 3, 2)).astype(dtype)
    g = convolution._conv_geometry('test', x.shape, (3, 2), (2, 1), (1, 2), (1, 1))
    dy = rng.standard_normal((3, 5) + g.out).astype(dtype)
    with warnings.catch_warnings():
        warnings.filterwarnings('error', message='d2lmini: the CUDA kernels')
        for fn, args in ((convolution._conv_forward_raw, (x, w, g, 1)),
                         (convolution._conv_weight_grad_raw, (dy, x, g, 1)),
                         (convolution._conv_data_grad_raw, (dy, w, g, 1, x.shape))):
            np.testing.assert_allclose(fn(xp, *args), fn(np, *args), **_tol(dtype))
    assert len(cols) > 2 and len(adds) > 1


@pytest.mark.parametrize('family,run', [
    ('pool_forward', '_run_pool_forward'), ('pool_backward', '_run_pool_backward'),
    ('batch_norm_forward', '_run_batch_norm_forward'),
    ('batch_norm_backward', '_run_batch_norm_backward'),
    ('im2col', '_run_im2col'), ('col2im', '_run_col2im')])
def test_self_check_disables_a_wrong_kernel(fake_gpu, monkeypatch, family, run):
    """A kernel that gives a wrong answer: one warning naming the family, then the
    generic code (the operators' results stay right) for the rest of the process."""
    real = getattr(ck, run)

    def wrong(*args, **kwargs):
        out = real(*args, **kwargs)
        first = out[0] if isinstance(out, tuple) else out
        first.reshape(-1)[0] += 1
        return out
    monkeypatch.setattr(ck, run, wrong)
    xp = fake_gpu
    x = np.random.default_rng(12).standard_normal((2, 3, 5, 4))
    with pytest.warns(RuntimeWarning, match=family) as record:
        if family.startswith('pool'):
            attrs = dict(kernel=(2, 2), pool_type='max')
            y = pooling._pooling(xp, x, **attrs)
            np.testing.assert_array_equal(y, pooling._pooling(np, x, **attrs))
            dx = pooling._backward_pooling(xp, np.ones_like(y), x, y, **attrs)
            np.testing.assert_array_equal(
                dx, pooling._backward_pooling(np, np.ones_like(y), x, y, **attrs))
        elif family.startswith('batch'):
            args = (np.ones(3), np.zeros(3), np.zeros(3), np.ones(3))
            out = normalization._batch_norm(xp, x, *args, fix_gamma=False, is_train=True)
            ref = normalization._batch_norm(np, x, *args, fix_gamma=False, is_train=True)
            np.testing.assert_allclose(out[0], ref[0])
            grads = normalization._batch_norm_backward_op(
                xp, np.ones_like(x), x, np.ones(3), *ref[1:], np.zeros(3), np.ones(3),
                fix_gamma=False)
            want = normalization._batch_norm_backward_op(
                np, np.ones_like(x), x, np.ones(3), *ref[1:], np.zeros(3), np.ones(3),
                fix_gamma=False)
            np.testing.assert_allclose(grads[0], want[0], atol=1e-12)
        elif family == 'im2col':
            assert ck.im2col(x, (2, 2), (1, 1), (1, 1), (0, 0), (4, 3)) is None
        else:
            cols = np.ones((3, 2, 2, 2, 4, 3))
            assert ck.col2im(cols, (2, 2), (1, 1), (1, 1), (0, 0), (5, 4)) is None
    assert len([w for w in record if family in str(w.message)]) == 1
    assert ck._verdict[(family, np.dtype(np.float64))] is False
    with warnings.catch_warnings():
        warnings.filterwarnings('error', message='d2lmini: the CUDA kernels')  # no 2nd
        if family == 'im2col':
            assert ck.im2col(x, (2, 2), (1, 1), (1, 1), (0, 0), (4, 3)) is None


def test_self_check_catches_a_compile_error(fake_gpu, monkeypatch):
    def broken(name, dtype):
        raise RuntimeError('nvrtc: error: identifier "T" is undefined')
    monkeypatch.setattr(ck, '_kernel', broken)
    x = np.ones((1, 1, 4, 4))
    with pytest.warns(RuntimeWarning, match='pool_forward.*nvrtc'):
        y = pooling._pooling(fake_gpu, x, kernel=(2, 2), pool_type='avg')
    np.testing.assert_array_equal(y, np.ones((1, 1, 3, 3)))


def test_environment_variable_turns_the_kernels_off(fake_gpu, monkeypatch):
    monkeypatch.setenv(ck.ENV_VARIABLE, '0')
    calls = _spy(monkeypatch, '_run_pool_forward')
    x = np.ones((1, 1, 4, 4))
    assert ck.pool_forward(x, 'max', (2, 2), (1, 1), (0, 0), (0, 0), (3, 3)) is None
    pooling._pooling(fake_gpu, x, kernel=(2, 2))
    assert calls == [] and ck._verdict == {}
    monkeypatch.setenv(ck.ENV_VARIABLE, '1')
    assert ck.pool_forward(x, 'max', (2, 2), (1, 1), (0, 0), (0, 0), (3, 3)) is not None
    with ck.generic():
        assert ck.pool_forward(x, 'max', (2, 2), (1, 1), (0, 0), (0, 0), (3, 3)) is None


# ------------------------------------------------------------------ the sources
def test_every_kernel_is_defined_in_its_source():
    module = inspect.getsource(ck)
    launched = set(re.findall(r"_launch\(\s*'(\w+)'", module))
    assert launched == set(ck.KERNEL_SOURCES)
    for name, source in ck.KERNEL_SOURCES.items():
        assert source.count(f'void {name}(') == 1
        kernel_signature(name)
        for open_, close in ('{}', '()', '[]'):
            assert source.count(open_) == source.count(close), (name, open_)
        depth = 0
        for ch in source:
            depth += {'{': 1, '}': -1}.get(ch, 0)
            assert depth >= 0
        # a block-reducing kernel must fit the shared arrays: 256 threads
        if synchronising(name):
            assert '[256]' in kernel_body(name) and ck._THREADS == 256


def test_mirrors_have_the_kernels_parameters():
    """The Python mirrors take the CUDA kernels' parameters, in order."""
    for name, fn in MIRRORS.items():
        params = list(inspect.signature(fn).parameters)
        skip = 2 if synchronising(name) else 1     # (block, block size) or the thread index
        assert params[skip:] == [n for _, n in kernel_signature(name)], name


@pytest.mark.skipif(shutil.which('nvcc') is None, reason='needs nvcc')
@pytest.mark.parametrize('ctype', ['float', 'double'])
def test_sources_compile_with_nvcc(tmp_path, ctype):
    for i, source in enumerate(dict.fromkeys(ck.KERNEL_SOURCES.values())):
        path = tmp_path / f'k{i}.cu'
        path.write_text(f'typedef {ctype} T;\n' + source)
        proc = subprocess.run(['nvcc', '-ptx', '-Werror', 'all-warnings', str(path), '-o',
                               str(tmp_path / f'k{i}.ptx')], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr


def test_importing_the_module_does_not_import_cupy(tmp_path):
    """Nor does pooling or BatchNorm on the CPU (a stand-in cupy on the path would show)."""
    fake = tmp_path / 'fake' / 'cupy'
    fake.mkdir(parents=True)
    (fake / '__init__.py').write_text('')
    code = textwrap.dedent(f'''
        import json, sys
        sys.path.insert(0, {str(tmp_path / 'fake')!r})
        from d2lmini.ops import cuda_kernels
        import d2lmini as mx
        from d2lmini import nd, autograd
        x = nd.ones((2, 3, 4, 4))
        x.attach_grad()
        with autograd.record():
            y = nd.Pooling(x, kernel=(2, 2), pool_type='max')
            z = nd.BatchNorm(y, nd.ones(3), nd.zeros(3), nd.zeros(3), nd.ones(3))
        z.backward()
        print(json.dumps({{'cupy': 'cupy' in sys.modules}}))
    ''')
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.environ.get('PYTHONPATH', '')]))
    proc = subprocess.run([sys.executable, '-c', code], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == {'cupy': False}


# ------------------------------------------------------------------ on a real GPU
@pytest.mark.gpu
@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_gpu_operators_match_cpu(dtype):
    """nd.Pooling and nd.BatchNorm with autograd on the GPU (kernels) and the CPU."""
    import d2lmini as mx
    from d2lmini import autograd, nd
    ck.reset()
    rng = np.random.default_rng(13)
    tol = _tol(dtype)
    with warnings.catch_warnings():
        warnings.filterwarnings('error', message='d2lmini: the CUDA kernels')  # all pass
        for shape, attrs in pool_configs(40, 14):
            x = rng.integers(-3, 4, size=shape).astype(dtype)
            results = []
            for ctx in (mx.cpu(), mx.gpu()):
                X = nd.array(x, ctx=ctx, dtype=dtype)
                X.attach_grad()
                with autograd.record():
                    Y = nd.Pooling(X, **attrs)
                Y.backward(nd.array(np.linspace(-1, 1, Y.size).reshape(Y.shape), ctx=ctx,
                                    dtype=dtype))
                results.append((Y.asnumpy(), X.grad.asnumpy()))
            for a, b in zip(*results):
                np.testing.assert_allclose(a, b, **tol, err_msg=str((shape, attrs)))
        for shape, axis, fix_gamma in BN_CONFIGS:
            x = (rng.standard_normal(shape) * 2 + 3).astype(dtype)
            C = shape[axis]
            params = [rng.standard_normal(C).astype(dtype) for _ in range(3)] + \
                [rng.uniform(1, 2, C).astype(dtype)]
            results = []
            for ctx in (mx.cpu(), mx.gpu()):
                X = nd.array(x, ctx=ctx, dtype=dtype)
                gamma, beta, mm, mv = (nd.array(p, ctx=ctx, dtype=dtype) for p in params)
                for a in (X, gamma, beta):
                    a.attach_grad()
                with autograd.record():
                    Y = nd.BatchNorm(X, gamma, beta, mm, mv, axis=axis, fix_gamma=fix_gamma)
                Y.backward(nd.array(np.cos(np.arange(Y.size)).reshape(Y.shape), ctx=ctx,
                                    dtype=dtype))
                results.append([a.asnumpy() for a in (Y, X.grad, gamma.grad, beta.grad, mm, mv)])
            for a, b in zip(*results):
                np.testing.assert_allclose(a, b, **tol, err_msg=str((shape, axis)))


@pytest.mark.gpu
def test_gpu_self_check_falls_back(monkeypatch):
    import cupy
    import d2lmini as mx
    from d2lmini import nd
    ck.reset()
    real = ck._run_pool_forward

    def wrong(*args, **kwargs):
        return real(*args, **kwargs) + 1
    monkeypatch.setattr(ck, '_run_pool_forward', wrong)
    x = np.random.default_rng(15).standard_normal((2, 3, 6, 6)).astype('float32')
    with pytest.warns(RuntimeWarning, match='pool_forward'):
        y = nd.Pooling(nd.array(x, ctx=mx.gpu()), kernel=(3, 3), stride=(2, 2),
                       pool_type='avg')
    np.testing.assert_allclose(y.asnumpy(), nd.Pooling(nd.array(x), kernel=(3, 3),
                                                        stride=(2, 2), pool_type='avg')
                               .asnumpy(), rtol=1e-5, atol=1e-6)
    assert ck._verdict[('pool_forward', np.dtype('float32'))] is False
    assert ck.pool_forward(cupy.asarray(x), 'avg', (3, 3), (2, 2), (0, 0), (0, 0),
                           (2, 2)) is None
    ck.reset()
