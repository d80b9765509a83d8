"""tools/build_html.py: chapters as web pages that show their figures and formulas offline."""
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHAPTER = os.path.join(ROOT, 'chapters', '05_generalization.ipynb')


@pytest.fixture(scope='module')
def built(tmp_path_factory):
    pytest.importorskip('nbconvert')
    pytest.importorskip('jupyter_server_mathjax')
    out = tmp_path_factory.mktemp('html')
    subprocess.run([sys.executable, os.path.join(ROOT, 'tools', 'build_html.py'),
                    '--out', str(out), CHAPTER], check=True, capture_output=True, text=True)
    return out


def test_pages_and_index_are_written(built):
    page = (built / '05_generalization.html').read_text(encoding='utf-8')
    index = (built / 'index.html').read_text(encoding='utf-8')
    assert '<title>05_generalization</title>' in page
    assert 'href="05_generalization.html"' in index
    assert 'Model selection, underfitting, overfitting and weight decay' in index


def test_mathjax_is_loaded_from_the_folder_itself(built):
    page = (built / '05_generalization.html').read_text(encoding='utf-8')
    assert (built / 'mathjax' / 'MathJax.js').is_file()
    assert (built / 'mathjax' / 'fonts' / 'HTML-CSS' / 'STIX-Web').is_dir()
    assert 'src="mathjax/MathJax.js?config=' in page
    # no script is fetched from the internet
    scripts = re.findall(r'<script[^>]*\ssrc="([^"]*)"', page)
    assert scripts and not [s for s in scripts if re.match(r'(https?:)?//', s)], scripts
    assert r'\lambda' in page            # the TeX is there, for MathJax to typeset


def test_figures_are_embedded(built):
    page = (built / '05_generalization.html').read_text(encoding='utf-8')
    assert page.count('src="data:image/png;base64,') >= 5
