"""Rewind's recording agent: runs a Python program and streams what it executes.

Standard library only. Entry points: `python3 -m rewind_agent` (runner.main), used alone or
by `rewind record`. The stream format is specified in ../PROTOCOL.md.
"""
