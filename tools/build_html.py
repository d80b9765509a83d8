"""Export the chapters to HTML pages that show their figures and mathematics offline.

    python tools/build_html.py                       # every chapter, into build/html/
    python tools/build_html.py --out /tmp/book chapters/05_generalization.ipynb

The pages are the committed notebooks, outputs included; nothing is executed. A plain
``jupyter nbconvert --to html`` page fetches MathJax from the internet to typeset its
formulas, and shows raw TeX without a connection. Here the pages load a copy of
MathJax placed next to them, taken from the ``jupyter-server-mathjax`` package
(``pip install -e '.[html]'``), so the folder works anywhere, even copied to a USB
stick: open ``index.html`` in a browser.
"""
import argparse
import glob
import html
import os
import shutil
import sys

import nbformat

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MATHJAX_DIR = 'mathjax'          # the copy of MathJax, inside the output folder
MATHJAX_CONFIG = 'TeX-AMS-MML_HTMLorMML-full,Safe'

# nbconvert's page, without the script tag that fetches require.js (used only by
# interactive widgets, which the chapters do not have), and with MathJax told to use
# the one web font that jupyter-server-mathjax ships, STIX-Web
TEMPLATE = '''{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}
<script type="text/x-mathjax-config">
MathJax.Hub.Config({"HTML-CSS": {availableFonts: [], preferredFont: null,
                                 webFont: "STIX-Web", imageFont: null}});
</script>
{{ super() }}
{%- endblock html_head_js_mathjax -%}
'''


def mathjax_source():
    """The folder of MathJax files that jupyter-server-mathjax ships."""
    try:
        import jupyter_server_mathjax
    except ImportError:
        sys.exit("tools/build_html.py needs MathJax from the package jupyter-server-mathjax: "
                 "pip install -e '.[html]'")
    return os.path.join(os.path.dirname(jupyter_server_mathjax.__file__), 'static')


def exporter():
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter
    return HTMLExporter(template_name='lab', template_file='book.html.j2',
                        extra_loaders=[DictLoader({'book.html.j2': TEMPLATE})],
                        mathjax_url=f'{MATHJAX_DIR}/MathJax.js?config={MATHJAX_CONFIG}')


def title(nb, path):
    """The chapter's title: the first line of its first cell, without the '#'."""
    first = nb.cells[0].source.splitlines()[0] if nb.cells else ''
    return first.lstrip('#').strip() or os.path.basename(path)


def write_index(out, pages):
    items = '\n'.join(f'<li><a href="{html.escape(href)}">{html.escape(text)}</a></li>'
                      for href, text in pages)
    with open(os.path.join(out, 'index.html'), 'w', encoding='utf-8') as f:
        f.write('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8" />\n'
                '<title>d2lmini</title>\n<style>body { font-family: sans-serif; '
                'max-width: 40em; margin: 3em auto; line-height: 1.6; }</style>\n</head>\n'
                f'<body>\n<h1>d2lmini</h1>\n<ol>\n{items}\n</ol>\n</body>\n</html>\n')


def build(paths, out):
    os.makedirs(out, exist_ok=True)
    target = os.path.join(out, MATHJAX_DIR)
    if not os.path.exists(os.path.join(target, 'MathJax.js')):
        shutil.copytree(mathjax_source(), target, dirs_exist_ok=True)
    html_exporter = exporter()
    pages = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        name = os.path.splitext(os.path.basename(path))[0]
        body, _ = html_exporter.from_notebook_node(nb, resources={'metadata': {'name': name}})
        with open(os.path.join(out, name + '.html'), 'w', encoding='utf-8') as f:
            f.write(body)
        pages.append((name + '.html', title(nb, path)))
        print(f'{path} -> {os.path.join(out, name + ".html")}')
    write_index(out, pages)
    print(f'open {os.path.join(out, "index.html")} in a browser')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('chapters', nargs='*', help='notebooks (default: every chapter)')
    parser.add_argument('--out', default=os.path.join(ROOT, 'build', 'html'),
                        help='output folder (default: build/html)')
    args = parser.parse_args(argv)
    paths = args.chapters or sorted(glob.glob(os.path.join(ROOT, 'chapters', '*.ipynb')))
    build(paths, args.out)


if __name__ == '__main__':
    main()
