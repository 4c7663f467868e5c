"""Benchmarks of the Build Atom API against real servers (``make bench``).

Each benchmark module has a ``run(env, options)`` that returns a
:class:`~benchmarks.harness.Report`; ``benchmarks.__main__`` names them.
"""
