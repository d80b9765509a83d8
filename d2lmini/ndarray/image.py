"""``mx.nd.image``: MXNet's image operators under their short names.

The operators registered as ``_image_<name>`` (``to_tensor``, ``normalize``,
``flip_left_right``, ``flip_top_bottom``, ``random_flip_left_right``,
``random_flip_top_bottom``, ``resize``, ``crop``, ``random_brightness``,
``random_contrast``, ``random_saturation``, ``random_hue``, ``random_color_jitter``,
``adjust_lighting``, ``random_lighting``) appear here as ``<name>``; see
:mod:`d2lmini.ops.image`.

>>> import d2lmini as mx
>>> img = mx.nd.ones((4, 6, 3), dtype='uint8')       # height 4, width 6, RGB
>>> mx.nd.image.to_tensor(mx.nd.image.resize(img, size=(3, 2))).shape
(3, 2, 3)
"""
__all__ = []


def _export():
    from . import _FRONT_END
    for name, fn in _FRONT_END.items():
        if name.startswith('_image_'):
            short = name[len('_image_'):]
            globals()[short] = fn
            __all__.append(short)


_export()
