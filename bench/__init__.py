"""Benchmarks of the issue's targets, each a ratio to a baseline measured in the same run.

`python -m bench` runs them all; `python -m bench verify` or `python -m bench proofs`
runs one. Generated ledgers are cached under bench/.cache/, keyed by size.
"""
