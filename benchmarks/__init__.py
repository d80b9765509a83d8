"""Benchmarks of d2lmini against PyTorch on the CPU; see README.md.

Each ``bench_*.py`` file is one benchmark, run with ``python -m benchmarks.<file>``;
``harness.py`` runs the frameworks in separate processes, in turns, and prints the
comparison.
"""
