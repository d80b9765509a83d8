"""Operators MXNet 1.9.1 has in ``mx.nd`` that d2lmini gained later: ``nd.linalg``,
``khatri_rao``, ``moments``, ``cumsum``, ``histogram``, ``ravel_multi_index`` /
``unravel_index``, ``erfinv`` / ``gamma`` / ``gammaln``, ``rcbrt``, ``logical_not``,
``hard_sigmoid``, ``split_v2``, ``batch_take``, ``all_finite`` / ``multi_all_finite``,
``multi_sum_sq``, ``reset_arrays`` and the ``random_pdf_*`` densities.

Every expected value below was printed by MXNet 1.9.1 running the same calls
(``cases`` and ``grad_cases``): dtype, shape and values. Gradients are of
``sum(cos(arange(n)) * output)`` over all outputs, in float64.
"""
import warnings

import numpy as np
import pytest

import d2lmini as mx
from d2lmini.base import MXNetError

nd = mx.nd
NAN, INF = float('nan'), float('inf')

def cases(mx, np):
    nd = mx.nd
    la = nd.linalg
    f64 = lambda x: nd.array(x, dtype='float64')
    S = [[4.0, 1.0, 2.0], [1.0, 3.0, 0.5], [2.0, 0.5, 5.0]]
    L = [[2.0, 0.0, 0.0], [0.5, 1.5, 0.0], [1.0, -0.5, 2.0]]
    G = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.5], [-2.0, 1.0, 1.0]]
    B = [[1.0, 2.0], [-1.0, 0.5], [0.0, 3.0]]
    A2 = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.5]]
    return {
        'gemm': lambda: la.gemm(f64(G), f64(B), f64(np.ones((3, 2))), alpha=2.0, beta=-1.0),
        'gemm_tt': lambda: la.gemm(nd.array(G), nd.array(A2), nd.array(np.ones((3, 2))),
                                   transpose_a=True, transpose_b=True),
        'gemm2': lambda: la.gemm2(nd.array(G), nd.array(B), alpha=0.5),
        'gemm2_axis0': lambda: la.gemm2(nd.array(np.arange(24).reshape(2, 3, 4)),
                                        nd.array(np.arange(60).reshape(4, 3, 5) / 10), axis=0),
        'gemm2_batch': lambda: la.gemm2(nd.array(np.arange(12).reshape(2, 2, 3)),
                                        nd.array(np.arange(12).reshape(2, 3, 2)), transpose_a=False),
        'flat_gemm2': lambda: nd.linalg_gemm2(nd.array(G), nd.array(B)),
        'potrf': lambda: la.potrf(f64(S)),
        'potrf32': lambda: la.potrf(nd.array(S)),
        'potri': lambda: la.potri(f64(L)),
        'trsm': lambda: la.trsm(f64(L), f64(B), alpha=2.0),
        'trsm_rt': lambda: la.trsm(f64(L), f64(A2), rightside=True, transpose=True),
        'trsm_up': lambda: la.trsm(f64(np.array(L).T), f64(B), lower=False),
        'trmm': lambda: la.trmm(f64(L), f64(B), alpha=0.5),
        'trmm_rt': lambda: la.trmm(f64(L), f64(A2), rightside=True, lower=False),
        'sumlogdiag': lambda: la.sumlogdiag(f64(S)),
        'sumlogdiag_b': lambda: la.sumlogdiag(nd.array([S, L])),
        'syrk': lambda: la.syrk(nd.array(A2), alpha=0.5),
        'syrk_t': lambda: la.syrk(nd.array(A2), transpose=True),
        'gelqf': lambda: la.gelqf(nd.array(A2)),
        'gelqf_neg': lambda: la.gelqf(f64([[-1.0, 2, 3], [4, -5, 6]])),
        'syevd': lambda: la.syevd(f64(S)),
        'syevd_neg': lambda: la.syevd(f64(-np.array(S))),
        'inverse': lambda: la.inverse(f64(G)),
        'det': lambda: la.det(nd.array(G)),
        'det_b': lambda: la.det(nd.array([G, S])),
        'slogdet': lambda: la.slogdet(f64([G, S])),
        'extractdiag': lambda: la.extractdiag(nd.array(G), offset=1),
        'makediag': lambda: la.makediag(nd.array([[1.0, 2.0], [3.0, 4.0]]), offset=-1),
        'extracttrian': lambda: la.extracttrian(nd.array(G)),
        'extracttrian_up': lambda: la.extracttrian(nd.array(G), lower=False),
        'extracttrian_off': lambda: la.extracttrian(nd.array(np.arange(16).reshape(4, 4)),
                                                    offset=1),
        'maketrian': lambda: la.maketrian(nd.array([1.0, 2, 3, 4, 5, 6])),
        'maketrian_up': lambda: la.maketrian(nd.array([1.0, 2, 3, 4, 5, 6]), lower=False),
        'maketrian_off': lambda: la.maketrian(nd.array([1.0, 2, 3, 4, 5, 6]), offset=-2),
        'khatri_rao': lambda: nd.khatri_rao(nd.array([[1.0, 2], [3, 4]]),
                                            nd.array([[1.0, 2], [3, 4], [5, 6]])),
        'moments': lambda: nd.moments(nd.array([[1.0, 2, 3], [4, 5, 7]]), axes=(1,),
                                      keepdims=True),
        'moments_int': lambda: nd.moments(nd.array([[1, 2, 3], [4, 5, 7]], dtype='int32'),
                                          axes=(0,)),
        'cumsum': lambda: nd.cumsum(nd.array([[1.0, 2, 3], [4, 5, 6]]), axis=0),
        'cumsum_flat': lambda: nd.cumsum(nd.array([[1.0, 2, 3], [4, 5, 6]]), dtype='float64'),
        'cumsum_int': lambda: nd.cumsum(nd.array([1.5, 2.5, -1.7]), dtype='int32'),
        'cumsum_int8': lambda: nd.cumsum(nd.array([100, 100, 3], dtype='int8')),
        'hist_range': lambda: nd.histogram(nd.array([1, 2, 3, 4.5, 0.2, 2.2, -1, 9]), bins=4,
                                           range=(0, 4)),
        'hist_edges': lambda: nd.histogram(nd.array([0, 1, 2.5, 5, 5.1]),
                                           bins=nd.array([0, 1, 2.5, 5])),
        'hist_numpy': lambda: nd.histogram(nd.array([1, 2, 3, 4.5, 0.2, 2.2, -1, 9]), bins=5),
        'hist_int': lambda: nd.histogram(nd.array([1, 2, 3], dtype='int32'), bins=2,
                                         range=(0, 4)),
        'ravel': lambda: nd.ravel_multi_index(nd.array([[3, 6, 6], [4, 5, 1]]), shape=(7, 6)),
        'ravel_int': lambda: nd.ravel_multi_index(nd.array([[1, 0], [2, 1], [3, 0]],
                                                           dtype='int32'), shape=(2, 3, 4)),
        'unravel': lambda: nd.unravel_index(nd.array([22, 43, -1]), shape=(7, 6)),
        'unravel3': lambda: nd.unravel_index(nd.array([23, 5, 0], dtype='int64'),
                                             shape=(2, 3, 4)),
        'erfinv': lambda: nd.erfinv(nd.array([-1, -0.9, -0.5, 0, 0.3, 0.99, 1, 1.5])),
        'erfinv64': lambda: nd.erfinv(f64([-0.9, -0.5, 0, 0.3, 0.999])),
        'gamma': lambda: nd.gamma(nd.array([-3.5, -0.5, 0.3, 1, 2.5, 7, 0, -1])),
        'gamma64': lambda: nd.gamma(f64([-3.5, 0.3, 2.5, 7, 20])),
        'gamma_int': lambda: nd.gamma(nd.array([1, 2, 3, 5], dtype='int32')),
        'gammaln': lambda: nd.gammaln(nd.array([-3.5, -0.5, 0.3, 1, 2.5, 7, 0, -2])),
        'gammaln64': lambda: nd.gammaln(f64([-3.5, 0.3, 2.5, 7, 1e10])),
        'rcbrt': lambda: nd.rcbrt(nd.array([-8, 0, 1, 27, 0.001])),
        'rcbrt_int': lambda: nd.rcbrt(nd.array([8, 1], dtype='int32')),
        'logical_not': lambda: nd.logical_not(nd.array([-1, 0, 2.5, np.nan])),
        'logical_not_int': lambda: nd.logical_not(nd.array([0, 3], dtype='int32')),
        'hard_sigmoid': lambda: nd.hard_sigmoid(nd.array([-5, -1, 0, 1, 2.5, 3])),
        'hard_sigmoid_ab': lambda: nd.hard_sigmoid(f64([-5, -1, 0, 1, 2.5, 3]), alpha=0.3,
                                                   beta=0.1),
        'split_v2': lambda: nd.split_v2(nd.array(np.arange(12).reshape(6, 2)), (1, 3)),
        'split_v2_n': lambda: nd.split_v2(nd.array(np.arange(6).reshape(3, 2)), 3,
                                          squeeze_axis=True),
        'split_v2_axis': lambda: nd.split_v2(nd.array(np.arange(6).reshape(2, 3)), (2, 2),
                                             axis=1),
        'split_v2_method': lambda: nd.array(np.arange(6).reshape(2, 3)).split_v2(3, axis=-1),
        'batch_take': lambda: nd.batch_take(nd.array([[1, 2], [3, 4], [5, 6]]),
                                            nd.array([-1, 1, 5], dtype='int32')),
        'all_finite': lambda: [nd.all_finite(nd.array([1, 2])),
                               nd.all_finite(nd.array([1, np.nan], dtype='float64'))],
        'multi_all_finite': lambda: nd.multi_all_finite(nd.array([1, 2]), nd.array([np.inf]),
                                                        num_arrays=2),
        'multi_sum_sq': lambda: nd.multi_sum_sq(nd.array([1, 2]), nd.array([[3, 4.5]]),
                                                num_arrays=2),
        'multi_sum_sq64': lambda: nd.multi_sum_sq(f64([1, 2]), num_arrays=1),
        'pdf_normal': lambda: nd.random_pdf_normal(nd.array([[0.5, 1.5, -1], [2, 0.1, 3]]),
                                                   nd.array([0, 1]), nd.array([1, 2])),
        'pdf_normal_log': lambda: nd.random_pdf_normal(nd.array([[0.5, 1.5, -1], [2, 0.1, 3]]),
                                                       nd.array([0, 1]), nd.array([1, 2]),
                                                       is_log=True),
        'pdf_uniform': lambda: nd.random_pdf_uniform(nd.array([[0.5, 1.5], [2, 0.1]]),
                                                     nd.array([0, -1]), nd.array([1, 2.5])),
        'pdf_gamma': lambda: nd.random_pdf_gamma(nd.array([[0.5, 1.5], [2, 0.1]]),
                                                 nd.array([2, 0.5]), nd.array([1, 2])),
        'pdf_exponential': lambda: nd.random_pdf_exponential(
            nd.array([[0.5, 1.5, -1], [2, 0.1, 3]]), nd.array([2, 0.5]), is_log=True),
        'pdf_poisson': lambda: nd.random_pdf_poisson(nd.array([[0, 1, 3], [2, 5, 0.5]]),
                                                     nd.array([1, 2.5])),
        'pdf_nb': lambda: nd.random_pdf_negative_binomial(nd.array([[0, 1, 3], [2, 5, 0]]),
                                                          nd.array([3, 2]),
                                                          nd.array([0.4, 0.7])),
        'pdf_gnb': lambda: nd.random_pdf_generalized_negative_binomial(
            nd.array([[0, 1, 3], [2, 5, 0]]), nd.array([2, 1.5]), nd.array([0.5, 0.3]),
            is_log=True),
        'pdf_dirichlet': lambda: nd.random_pdf_dirichlet(
            nd.array([[[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]], [[0.3, 0.3, 0.4], [0.6, 0.2, 0.2]]]),
            nd.array([[1, 2, 3], [0.5, 1, 2]])),
    }


def grad_cases(mx, np):
    nd = mx.nd
    la = nd.linalg
    S = [[4.0, 1.0, 2.0], [1.0, 3.0, 0.5], [2.0, 0.5, 5.0]]
    L = [[2.0, 0.0, 0.0], [0.5, 1.5, 0.0], [1.0, -0.5, 2.0]]
    G = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.5], [-2.0, 1.0, 1.0]]
    B = [[1.0, 2.0], [-1.0, 0.5], [0.0, 3.0]]
    A2 = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.5]]
    return {
        'gemm': (lambda a, b, c: la.gemm(a, b, c, transpose_b=True, alpha=2.0, beta=0.5),
                 [G, np.array(B).T, np.ones((3, 2))]),
        'potrf': (la.potrf, [S]),
        'potri': (la.potri, [L]),
        'trsm': (lambda a, b: la.trsm(a, b, transpose=True, alpha=1.5), [L, B]),
        'trmm': (lambda a, b: la.trmm(a, b, rightside=True), [L, A2]),
        'sumlogdiag': (la.sumlogdiag, [S]),
        'syrk': (lambda a: la.syrk(a, alpha=2.0), [A2]),
        'gelqf': (la.gelqf, [A2]),
        'syevd': (la.syevd, [S]),
        'inverse': (la.inverse, [G]),
        'det': (la.det, [G]),
        'slogdet': (la.slogdet, [G]),
        'extracttrian': (lambda a: la.extracttrian(a, offset=1), [G]),
        'gamma': (nd.gamma, [[-3.5, -0.5, 0.3, 1.0, 2.5, 3.0]]),
        'gammaln': (nd.gammaln, [[-3.5, -0.5, 0.3, 1.0, 2.5, 3.0]]),
        'erfinv': (nd.erfinv, [[-0.5, 0.0, 0.3, 0.9]]),
        'rcbrt': (nd.rcbrt, [[-3.5, 0.3, 1.0, 8.0]]),
        'hard_sigmoid': (nd.hard_sigmoid, [[-5.0, -1.0, 0.0, 1.0, 2.5, 3.0]]),
        'moments': (lambda a: nd.moments(a, axes=(1,)), [[[1.0, 2, 3], [4, 5, 7]]]),
        'cumsum': (lambda a: nd.cumsum(a, axis=1), [[[1.0, 2, 3], [4, 5, 6]]]),
        'pdf_normal': (nd.random_pdf_normal, [[[0.5, 1.5, 2], [2, 0.1, 3]], [0, 1], [1, 2]]),
        'pdf_gamma': (nd.random_pdf_gamma, [[[0.5, 1.5, 2], [2, 0.1, 3]], [2, 0.5], [1, 2]]),
        'pdf_nb': (nd.random_pdf_negative_binomial, [[[0, 1, 3], [2, 5, 0]], [3, 2],
                                                     [0.4, 0.7]]),
        'pdf_dirichlet': (nd.random_pdf_dirichlet, [[[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]],
                                                    [[1, 2, 3], [0.5, 1, 2]]]),
    }


EXPECTED = {'gemm': [('float64', [3, 2], [[2.0, 12.0], [1.5, 2.25], [-7.0, -2.0]])],
            'gemm_tt': [('float32', [3, 2], [[-1.5, -2.5], [3.5, 4.75], [5.0, 13.0]])],
            'gemm2': [('float32', [3, 2], [[0.75, 3.25], [0.625, 0.8125], [-1.5, -0.25]])],
            'gemm2_axis0': [('float32', [2, 3, 5],
                             [[[21.0, 21.599998474121094, 22.200000762939453, 22.799999237060547,
                                23.399999618530273],
                               [68.0, 70.19999694824219, 72.4000015258789, 74.5999984741211,
                                76.80000305175781],
                               [131.0, 134.8000030517578, 138.60000610351562, 142.39999389648438,
                                146.1999969482422]],
                              [[129.0, 134.39999389648438, 139.8000030517578, 145.1999969482422,
                                150.60000610351562],
                               [200.0, 207.0, 214.0, 221.0, 228.0],
                               [287.0, 295.6000061035156, 304.20001220703125, 312.79998779296875,
                                321.3999938964844]]])],
            'gemm2_batch': [('float32', [2, 2, 2],
                             [[[10.0, 13.0], [28.0, 40.0]], [[172.0, 193.0], [244.0, 274.0]]])],
            'flat_gemm2': [('float32', [3, 2], [[1.5, 6.5], [1.25, 1.625], [-3.0, -0.5]])],
            'potrf': [('float64', [3, 3],
                       [[2.0, 0.0, 0.0], [0.5, 1.6583123951777, 0.0], [1.0, 0.0, 2.0]])],
            'potrf32': [('float32', [3, 3],
                         [[2.0, 0.0, 0.0], [0.5, 1.658312439918518, 0.0], [1.0, 0.0, 2.0]])],
            'potri': [('float64', [3, 3],
                       [[0.3628472222222222, -0.1597222222222222, -0.14583333333333334],
                        [-0.1597222222222222, 0.4722222222222222, 0.08333333333333333],
                        [-0.14583333333333334, 0.08333333333333333, 0.25]])],
            'trsm': [('float64', [3, 2],
                      [[1.0, 2.0], [-1.6666666666666665, 0.0], [-0.9166666666666666, 2.0]])],
            'trsm_rt': [('float64', [2, 3],
                         [[0.5, 1.1666666666666665, 1.5416666666666665],
                          [2.0, 2.6666666666666665, 2.9166666666666665]])],
            'trsm_up': [('float64', [3, 2],
                         [[0.6666666666666666, 0.041666666666666685],
                          [-0.6666666666666666, 0.8333333333333333], [0.0, 1.5]])],
            'trmm': [('float64', [3, 2], [[1.0, 2.0], [-0.5, 0.875], [0.75, 3.875]])],
            'trmm_rt': [('float64', [2, 3], [[2.0, 3.0, 6.0], [8.0, 7.5, 13.0]])],
            'sumlogdiag': [('float64', [1], [4.0943445622221])],
            'sumlogdiag_b': [('float32', [2], [4.094344615936279, 1.7917594909667969])],
            'syrk': [('float32', [2, 2], [[7.0, 16.75], [16.75, 41.625]])],
            'syrk_t': [('float32', [3, 3],
                        [[17.0, 22.0, 29.0], [22.0, 29.0, 38.5], [29.0, 38.5, 51.25]])],
            'gelqf': [('float32', [2, 3],
                       [[-0.2672611474990845, -0.5345224738121033, -0.8017836809158325],
                        [0.9143771529197693, 0.12191702425479889, -0.3860704004764557]]),
                      ('float32', [2, 2],
                       [[-3.7416574954986572, 0.0], [-8.953250885009766, 1.7576364278793335]])],
            'gelqf_neg': [('float64', [2, 3],
                           [[-0.2672612419124243, 0.5345224838248488, 0.8017837257372732],
                            [0.49206783130512294, -0.6396881806966598, 0.5904813975661475]]),
                          ('float64', [2, 2],
                           [[3.7416573867739413, 0.0], [1.069044967649699, 8.709600614100674]])],
            'syevd': [('float64', [3, 3],
                       [[0.7167430662893419, -0.5748726248246242, -0.3947161539048013],
                        [0.3257672733027809, 0.7765018813719536, -0.5393704773814454],
                        [0.616567158200162, 0.2580044446381956, 0.7438270269195071]]),
                      ('float64', [3],
                       [2.096521617296719, 3.0722239520050767, 6.831254430698207])],
            'syevd_neg': [('float64', [3, 3],
                           [[0.616567158200162, 0.2580044446381956, 0.7438270269195071],
                            [0.3257672733027809, 0.7765018813719536, -0.5393704773814454],
                            [0.7167430662893419, -0.5748726248246242, -0.3947161539048013]]),
                          ('float64', [3],
                           [-6.831254430698207, -3.0722239520050767, -2.096521617296719])],
            'inverse': [('float64', [3, 3],
                         [[0.15384615384615385, 0.6153846153846154, 0.0],
                          [-0.10256410256410255, 0.923076923076923, 0.6666666666666666],
                          [0.41025641025641024, 0.30769230769230765, 0.3333333333333333]])],
            'det': [('float32', [1], [4.875000476837158])],
            'det_b': [('float32', [2], [4.875000476837158, 44.000003814697266])],
            'slogdet': [('float64', [2], [1.0, 1.0]),
                        ('float64', [2], [1.5841201044498106, 3.7841896339182615])],
            'extractdiag': [('float32', [2], [-1.0, -0.5])],
            'makediag': [('float32', [2, 3, 3],
                          [[[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 2.0, 0.0]],
                           [[0.0, 0.0, 0.0], [3.0, 0.0, 0.0], [0.0, 4.0, 0.0]]])],
            'extracttrian': [('float32', [6], [0.5, 1.5, 0.25, -2.0, 1.0, 1.0])],
            'extracttrian_up': [('float32', [6], [0.5, -1.0, 0.25, 2.0, -0.5, 1.0])],
            'extracttrian_off': [('float32', [6], [1.0, 2.0, 6.0, 3.0, 7.0, 11.0])],
            'maketrian': [('float32', [3, 3],
                           [[1.0, 0.0, 0.0], [2.0, 3.0, 0.0], [4.0, 5.0, 6.0]])],
            'maketrian_up': [('float32', [3, 3],
                              [[1.0, 2.0, 4.0], [0.0, 3.0, 5.0], [0.0, 0.0, 6.0]])],
            'maketrian_off': [('float32', [5, 5],
                               [[0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0],
                                [1.0, 0.0, 0.0, 0.0, 0.0], [2.0, 3.0, 0.0, 0.0, 0.0],
                                [4.0, 5.0, 6.0, 0.0, 0.0]])],
            'khatri_rao': [('float32', [6, 2],
                            [[1.0, 4.0], [3.0, 8.0], [5.0, 12.0], [3.0, 8.0], [9.0, 16.0],
                             [15.0, 24.0]])],
            'moments': [('float32', [2, 1], [[2.0], [5.333333492279053]]),
                        ('float32', [2, 1], [[0.6666666865348816], [1.5555554628372192]])],
            'moments_int': [('int32', [3], [2, 3, 5]), ('int32', [3], [2, 2, 4])],
            'cumsum': [('float32', [2, 3], [[1.0, 2.0, 3.0], [5.0, 7.0, 9.0]])],
            'cumsum_flat': [('float64', [6], [1.0, 3.0, 6.0, 10.0, 15.0, 21.0])],
            'cumsum_int': [('int32', [3], [1, 3, 2])],
            'cumsum_int8': [('int8', [3], [100, -56, -53])],
            'hist_range': [('int64', [4], [1, 1, 2, 1]),
                           ('float32', [5], [0.0, 1.0, 2.0, 3.0, 4.0])],
            'hist_edges': [('int64', [3], [1, 1, 2]), ('float32', [4], [0.0, 1.0, 2.5, 5.0])],
            'hist_numpy': [('float32', [5], [2.0, 3.0, 2.0, 0.0, 1.0]),
                           ('float32', [6], [-1.0, 1.0, 3.0, 5.0, 7.0, 9.0])],
            'hist_int': [('int64', [2], [1, 2]), ('int32', [3], [0, 2, 4])],
            'ravel': [('float32', [3], [22.0, 41.0, 37.0])],
            'ravel_int': [('int32', [2], [23, 4])],
            'unravel': [('float32', [2, 3], [[3.0, 7.0, 0.0], [4.0, 1.0, -1.0]])],
            'unravel3': [('int64', [3, 3], [[1, 0, 0], [2, 1, 0], [3, 1, 0]])],
            'erfinv': [('float32', [8],
                        [-INF, -1.1630871295928955, -0.4769362807273865, 0.0, 0.27246272563934326,
                         1.8213865756988525, INF, NAN])],
            'erfinv64': [('float64', [5],
                          [-1.1630871536766743, -0.4769362762044699, 0.0, 0.27246271472675443,
                           2.3267537655135464])],
            'gamma': [('float32', [8],
                       [0.27008816599845886, -3.544908046722412, 2.9915690422058105, 1.0,
                        1.3293405771255493, 720.0, INF, NAN])],
            'gamma64': [('float64', [5],
                         [0.2700882058522691, 2.991568987687591, 1.329340388179137, 720.0,
                          1.2164510040883202e+17])],
            'gamma_int': [('int32', [4], [1, 1, 2, 24])],
            'gammaln': [('float32', [8],
                         [-1.309006690979004, 1.2655121088027954, 1.0957980155944824, 0.0,
                          0.28468286991119385, 6.579251289367676, INF, INF])],
            'gammaln64': [('float64', [5],
                           [-1.309006684993042, 1.0957979948180756, 0.2846828704729192,
                            6.579251212010101, 220258509288.81058])],
            'rcbrt': [('float32', [5], [-0.5, INF, 1.0, 0.3333333432674408, 10.0])],
            'rcbrt_int': [('int32', [2], [0, 1])],
            'logical_not': [('float32', [4], [0.0, 1.0, 0.0, 0.0])],
            'logical_not_int': [('int32', [2], [1, 0])],
            'hard_sigmoid': [('float32', [6],
                              [0.0, 0.30000001192092896, 0.5, 0.699999988079071, 1.0, 1.0])],
            'hard_sigmoid_ab': [('float64', [6],
                                 [0.0, 0.0, 0.10000000149011612, 0.4000000134110451,
                                  0.8500000312924385, 1.0])],
            'split_v2': [('float32', [1, 2], [[0.0, 1.0]]),
                         ('float32', [2, 2], [[2.0, 3.0], [4.0, 5.0]]),
                         ('float32', [3, 2], [[6.0, 7.0], [8.0, 9.0], [10.0, 11.0]])],
            'split_v2_n': [('float32', [2], [0.0, 1.0]), ('float32', [2], [2.0, 3.0]),
                           ('float32', [2], [4.0, 5.0])],
            'split_v2_axis': [('float32', [2, 2], [[0.0, 1.0], [3.0, 4.0]]),
                              ('float32', [2, 0], [[], []]), ('float32', [2, 1], [[2.0], [5.0]])],
            'split_v2_method': [('float32', [2, 1], [[0.0], [3.0]]),
                                ('float32', [2, 1], [[1.0], [4.0]]),
                                ('float32', [2, 1], [[2.0], [5.0]])],
            'batch_take': [('float32', [3], [1.0, 4.0, 6.0])],
            'all_finite': [('float32', [1], [1.0]), ('float32', [1], [0.0])],
            'multi_all_finite': [('float32', [1], [0.0])],
            'multi_sum_sq': [('float32', [2], [5.0, 29.25])],
            'multi_sum_sq64': [('float32', [1], [5.0])],
            'pdf_normal': [('float32', [2, 3],
                            [[0.3520653247833252, 0.1295175999403, 0.2419707179069519],
                             [0.1760326623916626, 0.180263489484787, 0.12098535895347595]])],
            'pdf_normal_log': [('float32', [2, 3],
                                [[-1.0439385175704956, -2.043938636779785, -1.4189385175704956],
                                 [-1.7370857000350952, -1.7133357524871826,
                                  -2.1120858192443848]])],
            'pdf_uniform': [('float32', [2, 2],
                             [[1.0, 1.0], [0.2857142984867096, 0.2857142984867096]])],
            'pdf_gamma': [('float32', [2, 2],
                           [[0.3032653331756592, 0.3346952497959137],
                            [0.010333494283258915, 2.0657660961151123]])],
            'pdf_exponential': [('float32', [2, 3],
                                 [[-0.3068528175354004, -2.3068528175354004, 2.6931471824645996],
                                  [-1.6931471824645996, -0.7431471943855286,
                                   -2.1931471824645996]])],
            'pdf_poisson': [('float32', [2, 3],
                             [[0.3678794503211975, 0.3678794503211975, 0.061313237994909286],
                              [0.25651562213897705, 0.06680095195770264, 0.14644983410835266]])],
            'pdf_nb': [('float32', [2, 3],
                        [[0.06400001049041748, 0.11520002037286758, 0.1382400244474411],
                         [0.13230000436306, 0.007144200149923563, 0.4899999797344208]])],
            'pdf_gnb': [('float32', [2, 3],
                         [[-1.3862943649291992, -1.3862943649291992, -2.079441547393799],
                          [-1.6015254259109497, -3.6938507556915283, -1.2385450601577759]])],
            'pdf_dirichlet': [('float32', [2, 2],
                               [[4.5, 3.8399999141693115],
                                [1.3693064451217651, 0.4841229319572449]])]}

EXPECTED_GRADS = {'gemm': [[[4.161209223472559, -1.4596976941318602, 3.2418138352088386],
                            [-4.792263659496067, -0.1576988235061606, -5.939954979602673],
                            [-0.1726384998743189, 1.59094942719045, 1.7019731127793576]],
                           [[2.3661339738130205, -3.5153606600007947, 3.1088595948199185],
                            [-3.564323925786101, -1.0082764891100497, 3.7185260909994566]],
                           [[0.5, 0.2701511529340699], [-0.2080734182735712, -0.4949962483002227],
                            [-0.32682181043180597, 0.14183109273161312]]],
                  'potrf': [[[0.22726945325242887, -0.31188292359342346, 0.20140255529185397],
                             [-0.3118829235934234, -0.1970809670012656, 0.22731008238725692],
                             [0.20140255529185397, 0.22731008238725692, -0.036375008452153385]]],
                  'potri': [[[-0.35909160393984485, 0.0, 0.0],
                             [0.24323142905749343, 0.2249501012999551, 0.0],
                             [0.09656749335094314, -0.17620938175442014, -0.05952455875050195]]],
                  'trsm': [[[-0.5168844470583793, 0.0, 0.0],
                            [0.16231105883241265, 0.49345883652480527, 0.0],
                            [-0.6078400941016572, 1.6876021096012201, 0.40670061580500416]],
                           [[0.75, 0.4052267294011048], [-0.6661468365471424, -1.1250680730674802],
                            [-1.0317694247844944, -0.2711337438700028]]],
                  'trmm': [[[-2.9599699864017817, 0.0, 0.0],
                            [-2.949962483002227, -2.18761349258178, 0.0],
                            [-3.434951227902895, -2.6277766180090585, 0.5953636958695433]],
                           [[2.0, 1.3104534588022096, -0.1024448260283547],
                            [-1.9799849932008908, -1.4754616795956406, -0.09584631524218701]]],
                  'sumlogdiag': [[[0.25, 0.0, 0.0], [0.0, 0.3333333333333333, 0.0],
                                  [0.0, 0.0, 0.2]]],
                  'syrk': [[[4.993243754567979, 9.241554693209974, 13.614021101172966],
                            [-15.59156900696513, -19.30322805472492, -24.994872095685597]]],
                  'gelqf': [[[1.7653991645565281, 0.10502379602127654, -1.9057013811243406],
                             [-0.7291261088234268, -0.07667885054924288, 0.8131875649570453]]],
                  'syevd': [[[0.14412524352726805, -0.49139141784808443, -0.21764041978342355],
                             [-0.49139141784808427, 1.3627066790345426, 0.015752151545910087],
                             [-0.21764041978342355, 0.015752151545910132, -0.38267645324081295]]],
                  'inverse': [[[-0.3826350774178788, -0.2556470163237858, -0.3568146692280339],
                               [0.02440251783176223, 0.061609632939999194, 0.026212987496823697],
                               [0.16581305928647194, 0.04166810217568537, 0.14934990402464554]]],
                  'det': [[[0.75, -0.4999999999999999, 2.0], [3.0, 4.5, 1.4999999999999998],
                           [0.0, 3.25, 1.625]]],
                  'slogdet': [[[0.15384615384615385, -0.10256410256410255, 0.41025641025641024],
                               [0.6153846153846154, 0.923076923076923, 0.30769230769230765],
                               [0.0, 0.6666666666666666, 0.3333333333333333]]],
                  'extracttrian': [[[0.0, 1.0, 0.5403023058681398],
                                    [0.0, 0.0, -0.4161468365471424], [0.0, 0.0, 0.0]]],
                  'gamma': [[0.3751176794162761, -0.0698902042084058, 4.360404224005216,
                             0.5714391771727546, -0.6109833304696433, 0.5235180424105226]],
                  'gammaln': [[1.3888710106114566, 0.01971566260320406, 1.4575643222507468,
                               0.5714391771727546, -0.45961390769638555, 0.2617590212052613]],
                  'erfinv': [[1.112584852395182, 0.4788304657291336, -0.39722063968426835,
                              -3.3937367633138775]],
                  'rcbrt': [[-0.06272702438174756, -0.8967827104049122, 0.1387156121823808,
                             0.020624843679175945]],
                  'hard_sigmoid': [[0.0, 0.1080604627838543, -0.0832293685496427,
                                    -0.19799850227049665, 0.0, 0.0]],
                  'moments': [[[-0.3333333333333333, 0.3333333333333333, 1.0],
                               [-0.30016794770452193, 0.06003358954090453, 0.7804366640317576]]],
                  'cumsum': [[[1.1241554693209974, 0.12415546932099736, -0.4161468365471424],
                              [-1.359973932000831, -0.3699814354003857, 0.28366218546322625]]],
                  'pdf_normal': [[[-0.17603266093287223, -0.10496798192266793,
                                   0.04493633920793804],
                                  [0.043567753370038466, -0.0265113164118967,
                                   -0.01715948589505202]],
                                 [0.23606430364760211, 0.00010304893691025566],
                                 [-0.2439801819423255, 0.11233557414058574]],
                  'pdf_gamma': [[[0.3032653298563167, -0.06027887001846198, 0.05631934999212789],
                                 [0.023017680481390232, 9.451924245425724,
                                  -0.0007017882445563394]],
                                [-0.3720086089277391, -0.5111469976884241],
                                [0.545316299812168, -0.18552932468961195]],
                  'pdf_nb': [[[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]],
                             [-0.08727873088818706, -0.11711222423744472],
                             [0.6992628028326977, 0.9605704502823034]],
                  'pdf_dirichlet': [[[0.0, 14.999999999999995, 17.999999999999993],
                                     [-12.814394336882104, 0.0, 3.203598584220526]],
                                    [[3.032529394046547, 0.35712238053328677, 0.405837687480246],
                                     [1.958248518117279, -1.5946557880324985, 1.171822127706977]]]}

# MXNet computes some float64 special functions (digamma, erfinv) and float32
# densities with a few digits less than these float64 formulas: the tolerance says so.
_RTOL = {'float32': 2e-6, 'float64': 1e-7, 'float16': 1e-3}
_LOOSE = {'gamma64': 1e-6, 'gammaln64': 1e-6, 'erfinv64': 1e-6}


def _check(name, got, want, rtol=None):
    gots = got if isinstance(got, (list, tuple)) else [got]
    assert len(gots) == len(want), name
    for g, (dtype, shape, values) in zip(gots, want):
        a = g.asnumpy()
        assert a.dtype == np.dtype(dtype), (name, a.dtype, dtype)
        assert list(a.shape) == shape, (name, a.shape, shape)
        if a.dtype.kind == 'f':
            tol = rtol or _LOOSE.get(name) or _RTOL[dtype]
            np.testing.assert_allclose(a.astype(np.float64), np.array(values, np.float64),
                                       rtol=tol, atol=tol, err_msg=name)
        else:
            assert a.tolist() == values, name


CASES = cases(mx, np)


@pytest.mark.parametrize('name', sorted(EXPECTED))
def test_values_match_mxnet(name):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        got = CASES[name]()
    _check(name, got, EXPECTED[name])


GRAD_CASES = grad_cases(mx, np)


@pytest.mark.parametrize('name', sorted(EXPECTED_GRADS))
def test_gradients_match_mxnet(name):
    f, xs = GRAD_CASES[name]
    arrays = [nd.array(x, dtype='float64') for x in xs]
    for a in arrays:
        a.attach_grad()
    with mx.autograd.record():
        y = f(*arrays)
        ys = list(y) if isinstance(y, (list, tuple)) else [y]
        s = sum((t * nd.array(np.cos(np.arange(t.size)).reshape(t.shape),
                              dtype='float64')).sum() for t in ys)
    s.backward()
    # MXNet's float64 digamma (in the gradients of gamma, gammaln and the densities)
    # has about 6 correct digits; the formulas here have 14
    rtol = 1e-5 if name.startswith(('gamma', 'pdf_')) else 1e-6
    for a, want in zip(arrays, EXPECTED_GRADS[name]):
        np.testing.assert_allclose(a.grad.asnumpy(), np.array(want), rtol=rtol, atol=1e-8,
                                   err_msg=name)


# ------------------------------------------------------------------ names and namespaces
def test_linalg_namespace_and_flat_names():
    short = ['det', 'extractdiag', 'extracttrian', 'gelqf', 'gemm', 'gemm2', 'inverse',
             'makediag', 'maketrian', 'potrf', 'potri', 'slogdet', 'sumlogdiag', 'syevd',
             'syrk', 'trmm', 'trsm']
    for n in short:
        assert callable(getattr(nd.linalg, n)), n
        # MXNet 1.9.1 has every flat name but linalg_syevd
        assert hasattr(nd, 'linalg_' + n) == (n != 'syevd'), n
        assert hasattr(mx.sym, 'linalg_' + n) == (n != 'syevd'), n
    for n in ('normal', 'uniform', 'gamma', 'exponential', 'poisson', 'negative_binomial',
              'generalized_negative_binomial', 'dirichlet'):
        assert hasattr(nd, 'random_pdf_' + n) and hasattr(mx.sym, 'random_pdf_' + n)
        assert not hasattr(nd.random, 'pdf_' + n)       # as MXNet: not in nd.random
    assert hasattr(nd.NDArray, 'split_v2') and hasattr(nd.NDArray, 'rcbrt')


def test_symbolic_linalg_binds_and_runs():
    a, b = mx.sym.var('a'), mx.sym.var('b')
    y = mx.sym.linalg_gemm2(a, b, transpose_b=True, alpha=2.0)
    ex = y.bind(mx.cpu(), {'a': nd.array([[1, 2], [3, 4]]), 'b': nd.array([[1, 1], [0, 1]])})
    assert ex.forward()[0].asnumpy().tolist() == [[6, 4], [14, 8]]
    q = mx.sym.linalg_gelqf(a)
    assert len(q.list_outputs()) == 2
    _, out_shapes, _ = q.infer_shape(a=(2, 3))
    assert [tuple(s) for s in out_shapes] == [(2, 3), (2, 2)]
    _, out_shapes, _ = mx.sym.linalg_potrf(a).infer_shape(a=(4, 3, 3))
    assert [tuple(s) for s in out_shapes] == [(4, 3, 3)]
    y = mx.sym.linalg.gemm2(a, b)
    ex = y.bind(mx.cpu(), {'a': nd.array([[1, 2], [3, 4]]), 'b': nd.array([[1, 1], [0, 1]])})
    assert ex.forward()[0].asnumpy().tolist() == [[1, 3], [3, 7]]


def test_reset_arrays_zeroes_in_place():
    a, b = nd.ones(2), nd.ones((1, 2), dtype='float64')
    assert nd.reset_arrays(a, b, num_arrays=2) == []
    assert a.asnumpy().tolist() == [0, 0] and b.asnumpy().tolist() == [[0, 0]]
    with pytest.raises(MXNetError, match='num_arrays'):
        nd.reset_arrays(a)


def test_second_order_through_linalg():
    # d/dA of the gradient of det: autograd twice, compared with central differences
    rng = np.random.default_rng(0)
    A = rng.uniform(-1, 1, (3, 3)) + 2 * np.eye(3)
    V = rng.uniform(-1, 1, (3, 3))

    def first(a_np):
        x = nd.array(a_np, dtype='float64')
        x.attach_grad()
        with mx.autograd.record():
            y = nd.linalg.det(x)
            g = mx.autograd.grad(y, [x], create_graph=True)[0]
            s = (g * nd.array(V, dtype='float64')).sum()
        return s, x
    s, x = first(A)
    s.backward()
    U = rng.uniform(-1, 1, (3, 3))
    eps = 1e-5
    num = (first(A + eps * U)[0].asscalar() - first(A - eps * U)[0].asscalar()) / (2 * eps)
    assert abs(float((x.grad.asnumpy() * U).sum()) - num) < 1e-6


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize('call, match', [
    (lambda: nd.linalg.gemm2(nd.ones((2, 3)), nd.ones((2, 3))), 'incompatible'),
    (lambda: nd.linalg.gemm2(nd.ones((2, 3), dtype='int32'), nd.ones((3, 3), dtype='int32')),
     '32-bit and 64-bit floating point'),
    (lambda: nd.linalg.gemm2(nd.ones((3,)), nd.ones((3, 3))), 'at least 2 axes'),
    (lambda: nd.linalg.gemm2(nd.ones((2, 3), dtype='float64'), nd.ones((3, 3))), 'dtypes'),
    (lambda: nd.linalg.potrf(nd.array([[1, 2], [2, 1]])), 'not positive definite'),
    (lambda: nd.linalg.potrf(nd.ones((2, 3))), 'square'),
    (lambda: nd.linalg.potrf(nd.ones((2, 2), dtype='float16')), 'floating point'),
    (lambda: nd.linalg.inverse(nd.zeros((2, 2))), 'singular'),
    (lambda: nd.linalg.gelqf(nd.ones((3, 2))), 'last dimension must be >='),
    (lambda: nd.linalg.trsm(nd.eye(3), nd.ones((2, 2))), 'do not match'),
    (lambda: nd.linalg.maketrian(nd.ones(4)), 'triangular number'),
    (lambda: nd.khatri_rao(nd.ones((1, 2)), nd.ones((1, 3))), 'same number of columns'),
    (lambda: nd.moments(nd.ones((2, 3))), 'empty axes is not supported'),
    (lambda: nd.cumsum(nd.ones((2, 3)), axis=2), 'out of range'),
    (lambda: nd.hard_sigmoid(nd.array([1], dtype='int32')), 'floating point'),
    (lambda: nd.all_finite(nd.array([1], dtype='int32')), 'floating point'),
    (lambda: nd.multi_all_finite(nd.ones(2), nd.ones(3)), 'expects 1 inputs'),
    (lambda: nd.multi_sum_sq(nd.ones(2)), 'num_arrays is required'),
    (lambda: nd.multi_sum_sq(nd.ones(2, dtype='float64'), nd.ones(2), num_arrays=2),
     'uniform type'),
    (lambda: nd.ravel_multi_index(nd.ones((2, 2)), shape=(7, 6, 2)), 'does not match'),
    (lambda: nd.ravel_multi_index(nd.ones((2, 1, 2)), shape=(3, 4)), 'two-dimensional'),
    (lambda: nd.batch_take(nd.ones((3, 2)), nd.array([0, 1, 1])), 'integers'),
    (lambda: nd.batch_take(nd.ones((3, 2)), nd.array([0, 1], dtype='int32')), 'one entry'),
    (lambda: nd.random_pdf_normal(nd.ones((2, 3)), nd.ones(3), nd.ones(3)), 'must start'),
    (lambda: nd.split_v2(nd.ones((6, 2)), (2, 1)), 'sorted'),
])
def test_errors(call, match):
    with pytest.raises(MXNetError, match=match):
        call()


@pytest.mark.parametrize('call, match', [
    (lambda: nd.split_v2(nd.ones((3, 2)), 2), 'equal division'),
    (lambda: nd.split_v2(nd.ones((3, 2)), [1]), 'int or tuple of ints'),
    (lambda: nd.histogram(nd.ones(3), bins=[0, 1, 2]), 'integer or an NDArray'),
])
def test_python_level_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
