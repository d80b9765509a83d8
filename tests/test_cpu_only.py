"""A CPU-only install: working on the CPU never imports cupy, and asking for a GPU
without cupy fails with a clear error. Each check runs in a fresh interpreter, so
that what earlier tests imported cannot hide an import."""
import json
import os
import subprocess
import sys
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_python(code, tmp_path):
    """Run ``code`` in a new interpreter that imports d2lmini from this checkout;
    return what it printed last, read as JSON."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.environ.get('PYTHONPATH', '')]))
    proc = subprocess.run([sys.executable, '-c', textwrap.dedent(code)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_cpu_work_never_imports_cupy(tmp_path):
    # An importable stand-in for cupy comes first on the path: if anything on the CPU
    # path imported cupy, the stand-in would show up in sys.modules.
    fake = tmp_path / 'fake' / 'cupy'
    fake.mkdir(parents=True)
    (fake / '__init__.py').write_text('')
    out = run_python(f'''
        import json, sys
        sys.path.insert(0, {str(tmp_path / 'fake')!r})
        import d2lmini as mx
        from d2lmini import nd, autograd
        x = nd.array([[1., 2.], [3., 4.]])
        x.attach_grad()
        with autograd.record():
            y = nd.exp(x * x + 1) / 10
            z = y[0] * 2
        z.backward()
        w = x.copyto(mx.cpu(1)).as_in_context(mx.cpu(0))
        w += 1
        w[0] = 5
        with mx.cpu(2):
            v = nd.ones((2,))
        v.wait_to_read()
        nd.waitall()
        g = mx.gpu(0)               # naming a GPU is free
        print(json.dumps({{'cupy': 'cupy' in sys.modules, 'grad': x.grad.asnumpy().tolist(),
                          'gpu': repr(g), 'ctx': str(v.context)}}))
    ''', tmp_path)
    assert out['cupy'] is False
    assert out['grad'][1] == [0., 0.] and out['grad'][0][0] > 0
    assert out['gpu'] == 'gpu(0)' and out['ctx'] == 'cpu(2)'


def test_gpu_without_cupy_gives_a_clear_error(tmp_path):
    out = run_python('''
        import json, sys
        sys.modules['cupy'] = None      # makes `import cupy` fail, as when it is not installed
        import d2lmini as mx
        from d2lmini import nd
        x = nd.ones((2,))

        def inside_with():
            with mx.gpu(0):
                return nd.arange(3)

        tries = {
            'zeros': lambda: nd.zeros((2,), ctx=mx.gpu(0)),
            'array': lambda: nd.array([1, 2], ctx=mx.gpu()),
            'copyto': lambda: x.copyto(mx.gpu(0)),
            'as_in_context': lambda: x.as_in_context(mx.gpu(1)),
            'with': inside_with,
        }
        errors = {}
        for name, fn in tries.items():
            try:
                fn()
                errors[name] = None
            except mx.MXNetError as e:
                errors[name] = str(e)
        print(json.dumps({'errors': errors, 'num_gpus': mx.context.num_gpus()}))
    ''', tmp_path)
    assert out['num_gpus'] == 0
    for name, message in out['errors'].items():
        assert message is not None, f'{name} on mx.gpu() did not fail'
        assert 'cupy' in message and 'pip install' in message, (name, message)


def test_subprocess_sees_this_checkout(tmp_path):
    out = run_python('''
        import json, d2lmini
        print(json.dumps(d2lmini.__file__))
    ''', tmp_path)
    assert out.startswith(ROOT)
