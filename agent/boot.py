"""How `rewind record` starts the agent: python boot.py [agent options] -- script.py [args...]

A script, not `python -c` (Python 3.13 keeps -c's text in linecache, ~6 ms of every start) nor
`python -m rewind_agent` (runpy, ~10 ms). Python puts this folder first on sys.path; once the
agent is imported, that slot becomes '' as after -c, and the runner gives it to the program's
folder, as Python would.
"""
import os
import sys

# The agent's modules are byte-compiled once even under PYTHONDONTWRITEBYTECODE; the program
# gets its own setting back (runner.main).
flag, sys.dont_write_bytecode = sys.dont_write_bytecode, False
safe_path = getattr(sys.flags, "safe_path", False)  # python -P (3.11+): this folder is not first
if safe_path:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rewind_agent.runner import main  # noqa: E402

if not safe_path:
    sys.path[0] = ""
main(dont_write_bytecode=flag)
