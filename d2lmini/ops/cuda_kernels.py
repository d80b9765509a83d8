"""Hand-written CUDA kernels for convolution's im2col/col2im, pooling and BatchNorm.

On a GPU the operators otherwise run their numpy-style code through cupy: im2col is
a strided copy, col2im one strided addition per kernel position, pooling one pass
per kernel element and BatchNorm several separate reductions. Each of those is a
kernel launch and a full trip through GPU memory. The kernels here do each job in
one or two passes. They are used only on a GPU context; the CPU never sees them.

The kernels, each a short CUDA C source below (``T`` is ``float`` or ``double``):

* ``d2l_im2col``: one thread per element of the columns ``(C, *kernel, n, *out)``;
  it reads the one input element its (channel, kernel position, image, output
  position) points at, or 0 in the padding. The padding is decided by the index
  arithmetic, so no padded copy of the input is made.
* ``d2l_col2im``: the adjoint, written as a *gather*: one thread per element of
  ``dx`` adds up the columns that read it. A scatter (one thread per column element
  adding into ``dx``) would need atomic additions, whose order, and so whose
  rounding, changes from run to run; the gather adds in a fixed order, so the
  result is deterministic.
* ``d2l_pool_forward``: one thread per output element walks its window (max, sum or
  average, with the numpy path's padding value and divisor rules).
* ``d2l_pool_argmax`` and ``d2l_pool_backward``: max pooling's backward first
  finds, per window, the kernel position that receives the gradient (the first one,
  in row-major kernel order, whose value equals the output: the numpy path's tie
  rule), then one thread per *input* element gathers the output gradients of the
  windows that cover it. Again a gather, so no atomics and a deterministic result.
* ``d2l_bn_forward_stats`` / ``d2l_bn_forward_output``: training-mode BatchNorm in
  one reduction pass (one block per channel; sum and sum of squares, see the
  comment at the kernel for the numerics) and one elementwise pass.
* ``d2l_bn_backward_sums`` / ``d2l_bn_backward_dx``: one reduction pass for the
  per-channel ``sum(dy)`` and ``sum(dy * xhat)`` (which are also ``dbeta`` and
  ``dgamma``; the same block also updates the running statistics, as MXNet does in
  backward), then one elementwise pass for ``dx``.

Every public function takes cupy arrays and returns ``None`` when it does not
handle the case (another dtype than float32/float64, an array of 2**31 elements or
more, a pooling type other than max/avg/sum, ...), and the caller then runs its
generic code. 1-D and 2-D data run through the 3-D kernels, viewed with leading
spatial axes of size 1.

**Self-check.** These kernels cannot be tested on a machine without a GPU, so the
first time a family of kernels (``im2col``, ``col2im``, ``pool_forward``,
``pool_backward``, ``batch_norm_forward``, ``batch_norm_backward``) is used for a
dtype in a process, it is run on a few small random inputs (with strides, padding,
dilation, ties, ...) and compared with the generic cupy code. If compiling fails,
or a result differs beyond a float tolerance, one ``RuntimeWarning`` names the
family and that family is disabled for the rest of the process: the generic code
runs instead. Setting the environment variable ``D2LMINI_CUDA_KERNELS=0`` disables
all of them.

cupy is never imported by this module at import time (a CPU-only install must not
need it); it comes from :func:`d2lmini.backend.cupy` when a kernel first runs, and
the kernels are compiled lazily, once per dtype.
"""
import contextlib
import os
import threading
import warnings

import numpy as np

from .. import backend

ENV_VARIABLE = 'D2LMINI_CUDA_KERNELS'
FAMILIES = ('im2col', 'col2im', 'pool_forward', 'pool_backward', 'batch_norm_forward',
            'batch_norm_backward')

_CTYPES = {np.dtype(np.float32): 'float', np.dtype(np.float64): 'double'}
_INT_MAX = 2 ** 31 - 1     # the kernels index with 32-bit ints
_THREADS = 256             # threads per block; the BatchNorm blocks' shared arrays hold this many
_POOL_MODES = {'max': 0, 'sum': 1, 'avg': 2}

_compiled = {}             # (kernel name, dtype) -> cupy.RawKernel
_verdict = {}              # (family, dtype) -> True (passed its self-check) or False (disabled)
_lock = threading.RLock()
_local = threading.local()  # .mode: None, 'generic' (kernels off) or 'trust' (no self-check)


# ------------------------------------------------------------------ the CUDA sources
# Indices are flat, C order (last axis fastest). Each elementwise kernel has one
# thread per element of its output. tests/test_cuda_kernels.py mirrors the index
# arithmetic of every kernel line by line in Python: keep the two in step.

IM2COL_SOURCE = r'''
// cols[c, kd, kh, kw, img, od, oh, ow] = x[img, c, od*SD + kd*DD - PD, (same for h, w)],
// and 0 where that position lies in the padding. One thread per element of cols.
extern "C" __global__ void d2l_im2col(
        const T* x, T* cols, int total, int n, int C,
        int D, int H, int W, int OD, int OH, int OW,
        int KD, int KH, int KW, int SD, int SH, int SW,
        int DD, int DH, int DW, int PD, int PH, int PW) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= total) return;
    // unravel i over cols' shape (C, KD, KH, KW, n, OD, OH, OW)
    int t = i;
    int ow = t % OW; t /= OW;
    int oh = t % OH; t /= OH;
    int od = t % OD; t /= OD;
    int img = t % n; t /= n;
    int kw = t % KW; t /= KW;
    int kh = t % KH; t /= KH;
    int kd = t % KD; t /= KD;
    int c = t;
    // the input element that this kernel position reads at this output position
    int d = od * SD + kd * DD - PD;
    int h = oh * SH + kh * DH - PH;
    int w = ow * SW + kw * DW - PW;
    bool inside = 0 <= d && d < D && 0 <= h && h < H && 0 <= w && w < W;
    cols[i] = inside ? x[(((img * C + c) * D + d) * H + h) * W + w] : (T)0;
}
'''

COL2IM_SOURCE = r'''
// The adjoint of im2col as a gather: one thread per element dx[img, c, d, h, w] adds
// every column element that im2col copied from it, in a fixed order (no atomics).
extern "C" __global__ void d2l_col2im(
        const T* cols, T* dx, int total, int n, int C,
        int D, int H, int W, int OD, int OH, int OW,
        int KD, int KH, int KW, int SD, int SH, int SW,
        int DD, int DH, int DW, int PD, int PH, int PW) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= total) return;
    // unravel i over dx's shape (n, C, D, H, W)
    int t = i;
    int w = t % W; t /= W;
    int h = t % H; t /= H;
    int d = t % D; t /= D;
    int c = t % C; t /= C;
    int img = t;
    T sum = 0;
    for (int kd = 0; kd < KD; ++kd) {
        // kernel element kd reads d at the output od with od*SD + kd*DD - PD == d:
        // there is one when d + PD - kd*DD is a non-negative multiple of SD below OD*SD
        int td = d + PD - kd * DD;
        if (td < 0 || td % SD != 0 || td / SD >= OD) continue;
        int od = td / SD;
        for (int kh = 0; kh < KH; ++kh) {
            int th = h + PH - kh * DH;
            if (th < 0 || th % SH != 0 || th / SH >= OH) continue;
            int oh = th / SH;
            for (int kw = 0; kw < KW; ++kw) {
                int tw = w + PW - kw * DW;
                if (tw < 0 || tw % SW != 0 || tw / SW >= OW) continue;
                int ow = tw / SW;
                int row = ((c * KD + kd) * KH + kh) * KW + kw;
                sum += cols[(((row * n + img) * OD + od) * OH + oh) * OW + ow];
            }
        }
    }
    dx[i] = sum;
}
'''

POOL_SOURCE = r'''
// Pooling over windows of KD x KH x KW elements. Output position (od, oh, ow) has
// its window start at (od*SD - PD, oh*SH - PH, ow*SW - PW) in input coordinates;
// window elements outside the input are padding. PD..PW are the padding before,
// ED..EW the padding after the input (they only matter for the average's divisor).
// mode: 0 max, 1 sum, 2 average.

// How many elements of its window the average divides by along one axis, counted
// as the numpy path counts them: the window clipped to the padded input
// (include_pad) or to the input itself.
__device__ int window_count(int o, int s, int k, int b, int n, int e, int include_pad) {
    int start = o * s - b;
    int stop = start + k;
    if (include_pad) return (stop < n + e ? stop : n + e) - start;
    return (stop < n ? stop : n) - (start > 0 ? start : 0);
}

__device__ int divisor(int od, int oh, int ow, int include_pad,
                       int D, int H, int W, int KD, int KH, int KW, int SD, int SH, int SW,
                       int PD, int PH, int PW, int ED, int EH, int EW) {
    int count = window_count(od, SD, KD, PD, D, ED, include_pad)
              * window_count(oh, SH, KH, PH, H, EH, include_pad)
              * window_count(ow, SW, KW, PW, W, EW, include_pad);
    return count > 1 ? count : 1;    // a window of padding only: 0 / 1, not 0 / 0
}

// One thread per output element y[plane, od, oh, ow] (plane = image * C + channel).
extern "C" __global__ void d2l_pool_forward(
        const T* x, T* y, int total, int mode, int include_pad, T lowest,
        int D, int H, int W, int OD, int OH, int OW,
        int KD, int KH, int KW, int SD, int SH, int SW,
        int PD, int PH, int PW, int ED, int EH, int EW) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= total) return;
    int t = i;
    int ow = t % OW; t /= OW;
    int oh = t % OH; t /= OH;
    int od = t % OD; t /= OD;
    int plane = t;
    const T* xs = x + plane * D * H * W;
    T acc = 0;
    for (int k = 0; k < KD * KH * KW; ++k) {      // the window in row-major order
        int d = od * SD - PD + k / (KH * KW);
        int h = oh * SH - PH + (k / KW) % KH;
        int w = ow * SW - PW + k % KW;
        bool inside = 0 <= d && d < D && 0 <= h && h < H && 0 <= w && w < W;
        // max pooling pads with the lowest finite value, as the numpy path does
        T v = inside ? xs[(d * H + h) * W + w] : (mode == 0 ? lowest : (T)0);
        if (mode != 0) acc += v;
        else if (k == 0 || v > acc || v != v) acc = v;   // v != v: NaN wins, as np.maximum
    }
    if (mode == 2)
        acc /= (T)divisor(od, oh, ow, include_pad, D, H, W, KD, KH, KW, SD, SH, SW,
                          PD, PH, PW, ED, EH, EW);
    y[i] = acc;
}

// Max pooling's routing: for each output element, the kernel position k (row-major
// in the window) that receives its gradient, or -1 for none. Like the numpy path it
// is the first position whose value equals the output, so tied maxima do not
// multiply the gradient. With one window per channel (single) the numpy path uses
// argmax instead: the first maximum, a NaN counting as the maximum.
extern "C" __global__ void d2l_pool_argmax(
        const T* x, const T* y, int* first, int total, int single, T lowest,
        int D, int H, int W, int OD, int OH, int OW,
        int KD, int KH, int KW, int SD, int SH, int SW,
        int PD, int PH, int PW) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= total) return;
    int t = i;
    int ow = t % OW; t /= OW;
    int oh = t % OH; t /= OH;
    int od = t % OD; t /= OD;
    int plane = t;
    const T* xs = x + plane * D * H * W;
    int found = -1;
    T best = 0;
    for (int k = 0; k < KD * KH * KW; ++k) {
        int d = od * SD - PD + k / (KH * KW);
        int h = oh * SH - PH + (k / KW) % KH;
        int w = ow * SW - PW + k % KW;
        bool inside = 0 <= d && d < D && 0 <= h && h < H && 0 <= w && w < W;
        T v = inside ? xs[(d * H + h) * W + w] : lowest;
        if (single) {
            if (k == 0 || (best == best && (v > best || v != v))) { best = v; found = k; }
        } else if (v == y[i]) {
            found = k;
            break;
        }
    }
    first[i] = found;
}

// The backward pass as a gather: one thread per input element dx[plane, d, h, w]
// adds the gradient of every window that contains it. Along depth those are the
// od with od*SD - PD <= d <= od*SD - PD + KD - 1 (likewise for h and w).
__device__ int first_window(int p, int s, int k, int b) {
    int lo = p + b - k + 1;                 // the smallest od with od * s >= lo
    return lo <= 0 ? 0 : (lo + s - 1) / s;
}

__device__ int last_window(int p, int s, int b, int out) {
    int hi = (p + b) / s;                   // the largest od with od * s <= p + b
    return hi < out - 1 ? hi : out - 1;
}

extern "C" __global__ void d2l_pool_backward(
        const T* dy, const int* first, T* dx, int total, int mode, int include_pad,
        int D, int H, int W, int OD, int OH, int OW,
        int KD, int KH, int KW, int SD, int SH, int SW,
        int PD, int PH, int PW, int ED, int EH, int EW) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= total) return;
    int t = i;
    int w = t % W; t /= W;
    int h = t % H; t /= H;
    int d = t % D; t /= D;
    int plane = t;
    T sum = 0;
    for (int od = first_window(d, SD, KD, PD); od <= last_window(d, SD, PD, OD); ++od)
    for (int oh = first_window(h, SH, KH, PH); oh <= last_window(h, SH, PH, OH); ++oh)
    for (int ow = first_window(w, SW, KW, PW); ow <= last_window(w, SW, PW, OW); ++ow) {
        int o = ((plane * OD + od) * OH + oh) * OW + ow;
        if (mode == 0) {
            // this element's position in the window of o, as d2l_pool_argmax numbers it
            int k = ((d - od * SD + PD) * KH + (h - oh * SH + PH)) * KW + (w - ow * SW + PW);
            if (first[o] == k) sum += dy[o];
        } else if (mode == 1) {
            sum += dy[o];
        } else {
            sum += dy[o] / (T)divisor(od, oh, ow, include_pad, D, H, W, KD, KH, KW,
                                      SD, SH, SW, PD, PH, PW, ED, EH, EW);
        }
    }
    dx[i] = sum;
}
'''

BATCH_NORM_SOURCE = r'''
// BatchNorm with the data viewed as (outer, C, inner), the channels in the middle:
// element i belongs to channel (i / inner) % C, and channel c's elements are
// x[(o * C + c) * inner + j] for o < outer, j < inner.
//
// The reductions run one block per channel: each thread adds a strided share of the
// channel's elements (consecutive threads read consecutive elements), then the block
// adds the threads' partial sums in shared memory, halving the active threads at
// each step (blockDim.x must be a power of two, at most 256).
//
// Mean and variance in one pass: the sums of (x - s) and (x - s)^2, accumulated in
// double whatever T is, with the shift s the channel's first element. Without the
// shift, var = E[x^2] - E[x]^2 cancels catastrophically when the mean is large
// next to the spread; with it the cancellation is only of (mean - s)^2, about one
// variance. Welford's update would be as robust but costs a division per element.

__device__ void block_sum2(double* s1, double* s2, double a, double b) {
    int tid = threadIdx.x;
    s1[tid] = a;
    s2[tid] = b;
    __syncthreads();
    for (int half = blockDim.x / 2; half > 0; half /= 2) {
        if (tid < half) {
            s1[tid] += s1[tid + half];
            s2[tid] += s2[tid + half];
        }
        __syncthreads();
    }
}

extern "C" __global__ void d2l_bn_forward_stats(
        const T* x, T* mean, T* invstd, int outer, int C, int inner, double eps) {
    __shared__ double s1[256];
    __shared__ double s2[256];
    int c = blockIdx.x;
    int count = outer * inner;
    double shift = (double)x[c * inner];
    double a = 0, b = 0;
    for (int t = threadIdx.x; t < count; t += blockDim.x) {
        int o = t / inner, j = t % inner;
        double v = (double)x[(o * C + c) * inner + j] - shift;
        a += v;
        b += v * v;
    }
    block_sum2(s1, s2, a, b);
    if (threadIdx.x == 0) {
        double m = s1[0] / count;
        double var = s2[0] / count - m * m;
        if (var < 0) var = 0;                 // rounding; the true variance is >= 0
        mean[c] = (T)(shift + m);
        invstd[c] = (T)(1.0 / sqrt(var + eps));
    }
}

// y = (x - mean) * (invstd * gamma) + beta, gamma taken as 1 when has_gamma is 0.
extern "C" __global__ void d2l_bn_forward_output(
        const T* x, const T* mean, const T* invstd, const T* gamma, const T* beta, T* y,
        int total, int C, int inner, int has_gamma) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= total) return;
    int c = (i / inner) % C;
    T scale = has_gamma ? invstd[c] * gamma[c] : invstd[c];
    y[i] = (x[i] - mean[c]) * scale + beta[c];
}

// Per channel: sum(dy) (= dbeta) and sum(dy * xhat) (= dgamma), and their means for
// dx. Thread 0 of each block also updates the channel's running statistics, in T
// as the numpy path does: moving = moving * momentum + batch * (1 - momentum),
// with the biased batch variance 1 / invstd^2 - eps.
extern "C" __global__ void d2l_bn_backward_sums(
        const T* dy, const T* x, const T* mean, const T* invstd,
        double* mean_dy, double* mean_dy_xhat, T* dgamma, T* dbeta,
        T* moving_mean, T* moving_var, int outer, int C, int inner, int fix_gamma,
        T momentum, T one_minus_momentum, T eps) {
    __shared__ double s1[256];
    __shared__ double s2[256];
    int c = blockIdx.x;
    int count = outer * inner;
    double a = 0, b = 0;
    for (int t = threadIdx.x; t < count; t += blockDim.x) {
        int o = t / inner, j = t % inner;
        int e = (o * C + c) * inner + j;
        T xhat = (x[e] - mean[c]) * invstd[c];
        a += (double)dy[e];
        b += (double)(dy[e] * xhat);
    }
    block_sum2(s1, s2, a, b);
    if (threadIdx.x == 0) {
        dbeta[c] = (T)s1[0];
        dgamma[c] = fix_gamma ? (T)0 : (T)s2[0];
        mean_dy[c] = s1[0] / count;
        mean_dy_xhat[c] = s2[0] / count;
        T var = (T)1 / (invstd[c] * invstd[c]) - eps;
        moving_mean[c] = moving_mean[c] * momentum + mean[c] * one_minus_momentum;
        moving_var[c] = moving_var[c] * momentum + var * one_minus_momentum;
    }
}

// dx = (dy - mean(dy) - xhat * mean(dy * xhat)) * invstd * gamma
extern "C" __global__ void d2l_bn_backward_dx(
        const T* dy, const T* x, const T* mean, const T* invstd, const T* gamma,
        const double* mean_dy, const double* mean_dy_xhat, T* dx,
        int total, int C, int inner, int has_gamma) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= total) return;
    int c = (i / inner) % C;
    T xhat = (x[i] - mean[c]) * invstd[c];
    T scale = has_gamma ? invstd[c] * gamma[c] : invstd[c];
    dx[i] = (dy[i] - (T)mean_dy[c] - xhat * (T)mean_dy_xhat[c]) * scale;
}
'''

# which source holds each kernel (the tests check that every name is defined there)
KERNEL_SOURCES = {
    'd2l_im2col': IM2COL_SOURCE,
    'd2l_col2im': COL2IM_SOURCE,
    'd2l_pool_forward': POOL_SOURCE,
    'd2l_pool_argmax': POOL_SOURCE,
    'd2l_pool_backward': POOL_SOURCE,
    'd2l_bn_forward_stats': BATCH_NORM_SOURCE,
    'd2l_bn_forward_output': BATCH_NORM_SOURCE,
    'd2l_bn_backward_sums': BATCH_NORM_SOURCE,
    'd2l_bn_backward_dx': BATCH_NORM_SOURCE,
}


# ------------------------------------------------------------------ machinery
def enabled():
    """False when ``D2LMINI_CUDA_KERNELS=0`` turns every kernel off."""
    return os.environ.get(ENV_VARIABLE, '1').strip() != '0'


@contextlib.contextmanager
def _mode(mode):
    """Within the block (this thread only): 'generic' turns the kernels off, 'trust'
    uses them without the self-check (the self-check itself runs in both)."""
    old = getattr(_local, 'mode', None)
    _local.mode = mode
    try:
        yield
    finally:
        _local.mode = old


def generic():
    """A ``with`` block in which the operators run their generic code (this thread).

    >>> from d2lmini.ops import cuda_kernels
    >>> with cuda_kernels.generic():
    ...     pass       # nd.Pooling(...) on a GPU here would not use the kernels
    """
    return _mode('generic')


def reset():
    """Forget the self-checks' verdicts (and compiled kernels): the next use checks again."""
    with _lock:
        _verdict.clear()
        _compiled.clear()


def _ready(family, dtype):
    """Whether ``family``'s kernels may run for ``dtype``; runs the self-check on first use."""
    mode = getattr(_local, 'mode', None)
    if mode == 'generic' or not enabled():
        return False
    dtype = np.dtype(dtype)
    if dtype not in _CTYPES:
        return False
    if mode == 'trust':
        return True
    key = (family, dtype)
    ok = _verdict.get(key)
    if ok is None:
        with _lock:
            ok = _verdict.get(key)
            if ok is None:
                ok = _verdict[key] = _self_check(family, dtype)
    return ok


def _kernel(name, dtype):
    """The compiled kernel ``name`` for ``dtype`` (compiled on first use, then cached)."""
    key = (name, np.dtype(dtype))
    kern = _compiled.get(key)
    if kern is None:
        cp = backend.cupy()
        source = f'typedef {_CTYPES[np.dtype(dtype)]} T;\n' + KERNEL_SOURCES[name]
        kern = _compiled[key] = cp.RawKernel(source, name)
    return kern


def _launch(name, dtype, total, args, threads=_THREADS, blocks=None):
    """Run kernel ``name`` with one thread per element (``total`` of them), or with
    ``blocks`` blocks. Python ints become 32-bit ints (the kernels' ``int``)."""
    if blocks is None:
        blocks = (total + threads - 1) // threads
    if blocks == 0:
        return
    args = tuple(np.int32(a) if isinstance(a, (int, np.integer)) and not isinstance(a, bool)
                 else a for a in args)
    _kernel(name, dtype)((blocks,), (threads,), args)


def _as3d(*tuples, fill):
    """Spatial tuples of 1 to 3 axes padded at the front to 3 axes with ``fill``."""
    return tuple((fill,) * (3 - len(t)) + tuple(int(v) for v in t) for t in tuples)


def _fits(*arrays):
    return all(a.size <= _INT_MAX for a in arrays)


def _same_length(nsp, *tuples):
    return all(len(t) == nsp for t in tuples)


def _is_gpu_array(a):
    return a is not None and not isinstance(a, np.ndarray) and \
        hasattr(a, '__cuda_array_interface__')


# ------------------------------------------------------------------ im2col / col2im
def _conv_sizes(kernel, stride, dilate, pad, size, out):
    """The 3-D (kernel, stride, dilate, pad, size, out) of 1-, 2- or 3-D tuples."""
    kernel, stride, dilate, size, out = _as3d(kernel, stride, dilate, size, out, fill=1)
    pad, = _as3d(pad, fill=0)
    return kernel, stride, dilate, pad, size, out


def _conv_args(n, C, kernel, stride, dilate, pad, size, out):
    k, s, dl, p, sz, o = _conv_sizes(kernel, stride, dilate, pad, size, out)
    return (n, C) + sz + o + k + s + dl + p


def im2col(x, kernel, stride, dilate, pad, out_size):
    """The windows of ``x`` ``(n, C, *size)`` (1 to 3 spatial axes) as columns:
    ``cols`` of shape ``(C, *kernel, n, *out_size)`` with
    ``cols[c, k..., i, o...] = x[i, c, o*stride + k*dilate - pad]``, 0 in the
    padding. None when the kernel cannot handle the case (the caller then uses its
    generic code).

    >>> import cupy                                                 # doctest: +SKIP
    >>> x = cupy.arange(16, dtype='float32').reshape(1, 1, 4, 4)    # doctest: +SKIP
    >>> im2col(x, (2, 2), (2, 2), (1, 1), (0, 0), (2, 2)).shape     # doctest: +SKIP
    (1, 2, 2, 1, 2, 2)
    """
    nsp = len(kernel)
    if not (_is_gpu_array(x) and 1 <= nsp <= 3 and x.ndim == nsp + 2
            and _same_length(nsp, stride, dilate, pad, out_size)
            and _ready('im2col', x.dtype)):
        return None
    n, C = x.shape[:2]
    shape = (C,) + tuple(kernel) + (n,) + tuple(out_size)
    if not _fits(x) or int(np.prod(shape, dtype=np.int64)) > _INT_MAX:
        return None
    return _run_im2col(x, shape, kernel, stride, dilate, pad, out_size)


def _run_im2col(x, shape, kernel, stride, dilate, pad, out_size):
    cp = backend.cupy()
    x = cp.ascontiguousarray(x)
    cols = cp.empty(shape, x.dtype)
    args = _conv_args(x.shape[0], x.shape[1], kernel, stride, dilate, pad, x.shape[2:],
                      out_size)
    _launch('d2l_im2col', x.dtype, cols.size, (x, cols, cols.size) + args)
    return cols


def col2im(cols, kernel, stride, dilate, pad, size):
    """The adjoint of :func:`im2col`: ``cols`` ``(C, *kernel, n, *out)`` to ``dx``
    ``(n, C, *size)``, every element the sum of the column entries read from it.
    A gather (one thread per element of ``dx``), so deterministic. None when the
    kernel cannot handle the case.

    >>> import cupy                                                 # doctest: +SKIP
    >>> cols = cupy.ones((1, 2, 2, 1, 3, 3), dtype='float32')       # doctest: +SKIP
    >>> col2im(cols, (2, 2), (1, 1), (1, 1), (0, 0), (4, 4))[0, 0]  # doctest: +SKIP
    array([[1., 2., 2., 1.],
           [2., 4., 4., 2.],
           [2., 4., 4., 2.],
           [1., 2., 2., 1.]], dtype=float32)
    """
    nsp = len(kernel)
    if not (_is_gpu_array(cols) and 1 <= nsp <= 3 and cols.ndim == 2 * nsp + 2
            and tuple(cols.shape[1:1 + nsp]) == tuple(kernel)
            and _same_length(nsp, stride, dilate, pad, size)
            and _ready('col2im', cols.dtype)):
        return None
    C, n = cols.shape[0], cols.shape[1 + nsp]
    shape = (n, C) + tuple(size)
    if not _fits(cols) or int(np.prod(shape, dtype=np.int64)) > _INT_MAX:
        return None
    return _run_col2im(cols, shape, kernel, stride, dilate, pad)


def _run_col2im(cols, shape, kernel, stride, dilate, pad):
    cp = backend.cupy()
    cols = cp.ascontiguousarray(cols)
    nsp = len(kernel)
    dx = cp.empty(shape, cols.dtype)
    args = _conv_args(shape[0], shape[1], kernel, stride, dilate, pad, shape[2:],
                      cols.shape[2 + nsp:])
    _launch('d2l_col2im', cols.dtype, dx.size, (cols, dx, dx.size) + args)
    return dx


# ------------------------------------------------------------------ pooling
def _pool_args(size, out, kernel, stride, pad_begin, pad_end):
    sz, o, k, s = _as3d(size, out, kernel, stride, fill=1)
    b, e = _as3d(pad_begin, pad_end, fill=0)
    return sz, o, k, s, b, e


def _pool_supported(pool_type, kernel, stride, pad_begin, pad_end, out_size, *arrays):
    nsp = len(kernel)
    x = arrays[0]
    return (pool_type in _POOL_MODES and 1 <= nsp <= 3
            and _same_length(nsp, stride, pad_begin, pad_end, out_size)
            and all(_is_gpu_array(a) and a.dtype == x.dtype for a in arrays)
            and x.ndim == nsp + 2 and _fits(*arrays) and x.size > 0)


def pool_forward(x, pool_type, kernel, stride, pad_begin, pad_end, out_size,
                 count_include_pad=None):
    """Max, sum or average pooling of channels-first ``x`` ``(n, C, *size)``, 1 to 3
    spatial axes, with the numpy path's rules: per axis ``pad_begin``/``pad_end``
    elements of padding (a window may also reach past the end, as with the 'full'
    convention; that is padding too), max pooling pads with the lowest finite
    value, and the average divides by the window clipped to the padded input
    (``count_include_pad`` None or True) or to the input. Returns ``(n, C,
    *out_size)``, or None when the kernel cannot handle the case.

    >>> import cupy                                                  # doctest: +SKIP
    >>> x = cupy.arange(16, dtype='float32').reshape(1, 1, 4, 4)     # doctest: +SKIP
    >>> pool_forward(x, 'max', (2, 2), (2, 2), (0, 0), (0, 0), (2, 2))  # doctest: +SKIP
    array([[[[ 5.,  7.],
             [13., 15.]]]], dtype=float32)
    """
    if not (_pool_supported(pool_type, kernel, stride, pad_begin, pad_end, out_size, x)
            and _ready('pool_forward', x.dtype)):
        return None
    return _run_pool_forward(x, pool_type, kernel, stride, pad_begin, pad_end, out_size,
                             count_include_pad)


def _run_pool_forward(x, pool_type, kernel, stride, pad_begin, pad_end, out_size,
                      count_include_pad):
    cp = backend.cupy()
    x = cp.ascontiguousarray(x)
    y = cp.empty(x.shape[:2] + tuple(out_size), x.dtype)
    sz, o, k, s, b, e = _pool_args(x.shape[2:], out_size, kernel, stride, pad_begin, pad_end)
    include = 1 if count_include_pad is None or count_include_pad else 0
    lowest = x.dtype.type(np.finfo(x.dtype).min)
    _launch('d2l_pool_forward', x.dtype, y.size,
            (x, y, y.size, _POOL_MODES[pool_type], include, lowest) + sz + o + k + s + b + e)
    return y


def pool_backward(dy, x, y, pool_type, kernel, stride, pad_begin, pad_end, out_size,
                  count_include_pad=None):
    """The gradient of :func:`pool_forward` with respect to ``x``, from the output
    gradient ``dy``, the data ``x`` and the output ``y`` (all channels first). Max
    pooling sends each window's gradient to the first element of the window (in
    row-major order) that equals the output, as the numpy path does; with one
    window per channel, to the window's argmax. A gather over the input (no
    atomics). None when the kernel cannot handle the case.

    >>> import cupy                                                  # doctest: +SKIP
    >>> x = cupy.zeros((1, 1, 2, 2), dtype='float32')  # ties      # doctest: +SKIP
    >>> y = cupy.zeros((1, 1, 1, 1), dtype='float32')                # doctest: +SKIP
    >>> pool_backward(cupy.ones_like(y), x, y, 'max', (2, 2), (2, 2), (0, 0), (0, 0),
    ...               (1, 1))                                        # doctest: +SKIP
    array([[[[1., 0.],
             [0., 0.]]]], dtype=float32)
    """
    if not (_pool_supported(pool_type, kernel, stride, pad_begin, pad_end, out_size, x, dy,
                            y)
            and tuple(dy.shape) == tuple(y.shape) == tuple(x.shape[:2]) + tuple(out_size)
            and _ready('pool_backward', x.dtype)):
        return None
    return _run_pool_backward(dy, x, y, pool_type, kernel, stride, pad_begin, pad_end,
                              out_size, count_include_pad)


def _run_pool_backward(dy, x, y, pool_type, kernel, stride, pad_begin, pad_end, out_size,
                       count_include_pad):
    cp = backend.cupy()
    dy, x, y = (cp.ascontiguousarray(a) for a in (dy, x, y))
    sz, o, k, s, b, e = _pool_args(x.shape[2:], out_size, kernel, stride, pad_begin, pad_end)
    mode = _POOL_MODES[pool_type]
    include = 1 if count_include_pad is None or count_include_pad else 0
    if mode == 0:
        first = cp.empty(y.shape, np.int32)
        single = 1 if all(v == 1 for v in out_size) else 0
        lowest = x.dtype.type(np.finfo(x.dtype).min)
        _launch('d2l_pool_argmax', x.dtype, y.size,
                (x, y, first, y.size, single, lowest) + sz + o + k + s + b)
    else:
        first = cp.empty((1,), np.int32)      # unused
    dx = cp.empty(x.shape, dy.dtype)
    _launch('d2l_pool_backward', x.dtype, dx.size,
            (dy, first, dx, dx.size, mode, include) + sz + o + k + s + b + e)
    return dx


# ------------------------------------------------------------------ BatchNorm
def _bn_view(shape, axis):
    """``(outer, C, inner)`` of data of ``shape`` with its channels on ``axis``."""
    outer = int(np.prod(shape[:axis], dtype=np.int64))
    inner = int(np.prod(shape[axis + 1:], dtype=np.int64))
    return outer, shape[axis], inner


def _bn_supported(data, axis, *params):
    return (_is_gpu_array(data) and -data.ndim <= axis < data.ndim and data.size > 0
            and _fits(data)
            and all(p is None or (_is_gpu_array(p) and p.dtype == data.dtype
                                  and p.shape == (data.shape[axis],)) for p in params))


def batch_norm_forward(data, gamma, beta, axis, eps):
    """Training-mode BatchNorm: ``(out, mean, invstd)`` as the numpy path's
    ``_batch_norm`` returns them (its first three outputs): the data normalised
    with its per-channel mean and biased variance over every axis but ``axis``,
    times ``gamma`` (None means 1) plus ``beta``; ``mean`` and ``invstd = 1 /
    sqrt(var + eps)`` of shape ``(C,)``. One reduction pass and one elementwise
    pass. None when the kernels cannot handle the case.

    >>> import cupy                                                  # doctest: +SKIP
    >>> x = cupy.array([[1., 2.], [3., 6.]])                         # doctest: +SKIP
    >>> out, mean, invstd = batch_norm_forward(x, None, cupy.zeros(2), 1, 0.0)  # doctest: +SKIP
    >>> out                                                          # doctest: +SKIP
    array([[-1., -1.],
           [ 1.,  1.]])
    """
    if not (_bn_supported(data, axis, gamma, beta) and beta is not None
            and _ready('batch_norm_forward', data.dtype)):
        return None
    return _run_batch_norm_forward(data, gamma, beta, axis % data.ndim, eps)


def _run_batch_norm_forward(data, gamma, beta, axis, eps):
    cp = backend.cupy()
    data, beta = cp.ascontiguousarray(data), cp.ascontiguousarray(beta)
    outer, C, inner = _bn_view(data.shape, axis)
    mean = cp.empty((C,), data.dtype)
    invstd = cp.empty((C,), data.dtype)
    _launch('d2l_bn_forward_stats', data.dtype, 0,
            (data, mean, invstd, outer, C, inner, np.float64(eps)), blocks=C)
    has_gamma = gamma is not None
    gamma = cp.ascontiguousarray(gamma) if has_gamma else invstd   # any valid pointer
    out = cp.empty(data.shape, data.dtype)
    _launch('d2l_bn_forward_output', data.dtype, out.size,
            (data, mean, invstd, gamma, beta, out, out.size, C, inner, int(has_gamma)))
    return out, mean, invstd


def batch_norm_backward(dy, data, gamma, mean, invstd, moving_mean, moving_var, eps,
                        momentum, fix_gamma, axis):
    """BatchNorm's gradients after a training-mode forward, ``(dx, dgamma, dbeta)``
    as the numpy path's ``_backward_BatchNorm`` returns them, updating
    ``moving_mean`` and ``moving_var`` in place as it does (``moving = moving *
    momentum + batch statistic * (1 - momentum)``, biased variance). ``dgamma`` is
    zeros with ``fix_gamma``. One reduction pass and one elementwise pass. None
    when the kernels cannot handle the case (nothing is updated then).

    >>> import cupy                                                  # doctest: +SKIP
    >>> x = cupy.array([[1., 2.], [3., 6.]])                         # doctest: +SKIP
    >>> mean, invstd = cupy.array([2., 4.]), cupy.array([1., .5])    # doctest: +SKIP
    >>> mm, mv = cupy.zeros(2), cupy.ones(2)                         # doctest: +SKIP
    >>> dx, dgamma, dbeta = batch_norm_backward(cupy.ones_like(x), x, cupy.ones(2), mean,
    ...     invstd, mm, mv, 0.0, 0.9, True, 1)                       # doctest: +SKIP
    >>> dbeta                                                        # doctest: +SKIP
    array([2., 2.])
    """
    params = (gamma, mean, invstd, moving_mean, moving_var)
    if not (_bn_supported(data, axis, *params) and gamma is not None
            and _is_gpu_array(dy) and dy.shape == data.shape and dy.dtype == data.dtype
            and moving_mean.flags.c_contiguous and moving_var.flags.c_contiguous
            and _ready('batch_norm_backward', data.dtype)):
        return None
    return _run_batch_norm_backward(dy, data, gamma, mean, invstd, moving_mean, moving_var,
                                    eps, momentum, fix_gamma, axis % data.ndim)


def _run_batch_norm_backward(dy, data, gamma, mean, invstd, moving_mean, moving_var, eps,
                             momentum, fix_gamma, axis):
    cp = backend.cupy()
    dy, data, gamma, mean, invstd = (cp.ascontiguousarray(a)
                                     for a in (dy, data, gamma, mean, invstd))
    T = data.dtype.type
    outer, C, inner = _bn_view(data.shape, axis)
    mean_dy = cp.empty((C,), np.float64)
    mean_dy_xhat = cp.empty((C,), np.float64)
    dgamma = cp.empty((C,), data.dtype)
    dbeta = cp.empty((C,), data.dtype)
    _launch('d2l_bn_backward_sums', data.dtype, 0,
            (dy, data, mean, invstd, mean_dy, mean_dy_xhat, dgamma, dbeta, moving_mean,
             moving_var, outer, C, inner, int(bool(fix_gamma)), T(momentum),
             T(1.0 - momentum), T(eps)), blocks=C)
    dx = cp.empty(data.shape, data.dtype)
    _launch('d2l_bn_backward_dx', data.dtype, dx.size,
            (dy, data, mean, invstd, gamma, mean_dy, mean_dy_xhat, dx, dx.size, C, inner,
             int(not fix_gamma)))
    return dx, dgamma, dbeta


# ------------------------------------------------------------------ the self-check
# A few small configurations per family, chosen to reach every branch of the index
# arithmetic: 1-, 2- and 3-D, strides, padding, dilation, windows past the input.
_CONV_CASES = [
    # x shape, kernel, stride, dilate, pad
    ((2, 3, 7, 6), (3, 2), (2, 1), (1, 2), (1, 0)),
    ((2, 2, 9), (3,), (2,), (2,), (2,)),
    ((1, 2, 4, 5, 3), (2, 2, 2), (1, 2, 1), (1, 1, 2), (1, 0, 1)),
]

_POOL_CASES = [
    # x shape, Pooling attributes (integer-valued data, so max pooling has ties)
    ((2, 3, 7, 6), dict(kernel=(3, 2), stride=(2, 1), pad=(1, 0), pool_type='max')),
    ((2, 2, 7, 7), dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type='avg',
                        pooling_convention='full', count_include_pad=False)),
    ((1, 2, 6, 5), dict(kernel=(2, 3), stride=(2, 2), pad=(1, 1), pool_type='avg',
                        pooling_convention='full')),
    ((2, 2, 9), dict(kernel=(3,), stride=(2,), pool_type='sum', pooling_convention='same')),
    ((1, 2, 4, 5, 4), dict(kernel=(2, 3, 2), stride=(2, 1, 2), pad=(0, 1, 1),
                           pool_type='max', pooling_convention='full')),
    ((2, 3, 4, 5), dict(kernel=(1, 1), global_pool=True, pool_type='max')),
]

_BN_CASES = [
    # data shape, axis, fix_gamma
    ((4, 3, 5, 2), 1, False),
    ((6, 5), -1, True),
    ((2, 3, 4), 2, False),
]


def _tolerance(dtype):
    return (1e-4, 1e-5) if np.dtype(dtype) == np.float32 else (1e-8, 1e-10)


def _both(fn):
    """``fn()`` with the kernels, then with the generic code."""
    with _mode('trust'):
        got = fn()
    with _mode('generic'):
        want = fn()
    return got, want


def _check_pairs(family, dtype):
    """Yield ``(name, kernel result, generic result)`` for ``family`` on small inputs."""
    cp = backend.cupy()
    rng = np.random.default_rng(1234)

    def rand(shape, integers=False):
        a = rng.integers(-3, 4, size=shape) if integers else rng.standard_normal(shape)
        return cp.asarray(a.astype(dtype))

    if family in ('im2col', 'col2im'):
        # through the convolution's own kernels: the forward uses im2col, and the data
        # gradient col2im (every case has a stride above 1, which rules out the
        # flipped-convolution shortcut)
        from . import convolution
        for shape, kernel, stride, dilate, pad in _CONV_CASES:
            g = convolution._conv_geometry('self-check', shape, kernel, stride, dilate, pad)
            w = rand((3, shape[1]) + kernel)
            if family == 'im2col':
                x = rand(shape)
                got, want = _both(lambda: convolution._conv_forward_raw(cp, x, w, g, 1))
            else:
                dy = rand((shape[0], 3) + g.out)
                got, want = _both(lambda: convolution._conv_data_grad_raw(cp, dy, w, g, 1,
                                                                          shape))
            yield f'{shape} {kernel}', got, want
    elif family in ('pool_forward', 'pool_backward'):
        from . import pooling
        for shape, attrs in _POOL_CASES:
            x = rand(shape, integers=True)
            if family == 'pool_forward':
                got, want = _both(lambda: pooling._pooling(cp, x, **attrs))
            else:
                with _mode('generic'):
                    y = pooling._pooling(cp, x, **attrs)
                dy = rand(y.shape)
                got, want = _both(lambda: pooling._backward_pooling(cp, dy, x, y, **attrs))
            yield f'{shape} {attrs}', got, want
    else:
        from . import normalization
        for shape, axis, fix_gamma in _BN_CASES:
            C = shape[axis]
            x = rand(shape) * 3 + 5          # a mean well away from 0
            gamma, beta, dy = rand((C,)), rand((C,)), rand(shape)
            stats = rand((C,)), cp.abs(rand((C,))) + 1

            def forward():
                mm, mv = (s.copy() for s in stats)
                return normalization._batch_norm(cp, x, gamma.copy(), beta, mm, mv, eps=1e-3,
                                                 fix_gamma=fix_gamma, axis=axis,
                                                 is_train=True)[:3]

            if family == 'batch_norm_forward':
                got, want = _both(forward)
            else:
                with _mode('generic'):
                    _, mean, invstd = forward()
                used = cp.empty((1,), dtype)

                def backward():
                    mm, mv = (s.copy() for s in stats)
                    grads = normalization._batch_norm_backward_op(
                        cp, dy, x, gamma, mean, invstd, used, mm, mv, eps=1e-3,
                        momentum=0.9, fix_gamma=fix_gamma, axis=axis)
                    return tuple(grads) + (mm, mv)

                got, want = _both(backward)
            yield f'{shape} axis={axis} fix_gamma={fix_gamma}', got, want


def _differs(got, want, dtype):
    """Why ``got`` is not ``want`` (arrays or tuples of arrays), or None if it is."""
    cp = backend.cupy()
    if isinstance(want, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(want):
            return 'a different number of results'
        for i, (g, w) in enumerate(zip(got, want)):
            why = _differs(g, w, dtype)
            if why:
                return f'result {i}: {why}'
        return None
    if got is None:
        return 'no result'
    if tuple(got.shape) != tuple(want.shape) or got.dtype != want.dtype:
        return f'shape/dtype {got.shape} {got.dtype} instead of {want.shape} {want.dtype}'
    rtol, atol = _tolerance(dtype)
    if not bool(cp.allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)):
        err = float(cp.abs(got.astype(np.float64) - want.astype(np.float64)).max())
        return f'values differ (largest difference {err:.3g})'
    return None


def _self_check(family, dtype):
    """Run ``family``'s kernels for ``dtype`` once against the generic cupy code; warn
    and return False (the family stays off) if they fail to compile or disagree."""
    try:
        for name, got, want in _check_pairs(family, dtype):
            why = _differs(got, want, dtype)
            if why:
                raise AssertionError(f'{name}: {why}')
    except Exception as e:   # a compile error, a launch failure or a wrong answer
        warnings.warn(f'd2lmini: the CUDA kernels for {family} ({np.dtype(dtype).name}) '
                      f'failed their self-check and are disabled; the generic cupy code '
                      f'runs instead. {type(e).__name__}: {e}', RuntimeWarning, stacklevel=3)
        return False
    return True
