"""Benchmarks of a salescore checkout (outside the package: nothing in salescore imports them).

``python -m salescore bench`` loads :mod:`bench.server` from here (see salescore/cli.py);
recorded figures are in RESULTS.md. Modules: ``server`` (synthetic data, timings of the heavy
calls), ``scale`` (metrics --json vs bare DuckDB, per-page figures, growth), ``pages`` (every
page through AppTest, run in its own process), ``importing`` (import vs bare read_csv).
"""
