"""The oracle: the line events plain sys.settrace reports for a program, per thread.

    python settrace_lines.py OUT.json program.py [args...]

Runs the program as __main__ and writes [[file, line, function], ...] per thread, for files
under the program's folder. Deliberately simple: no agent code is shared with it.
"""
import json
import os
import runpy
import sys
import threading

out_path, target = sys.argv[1], os.path.abspath(sys.argv[2])
root = os.path.dirname(target) + os.sep
per_thread = {}


def trace(frame, event, arg):
    code = frame.f_code
    if not code.co_filename.startswith(root):
        return None
    if event == "line":
        per_thread.setdefault(threading.current_thread().name, []).append(
            [code.co_filename, frame.f_lineno, getattr(code, "co_qualname", code.co_name)])
    return trace


sys.argv = sys.argv[2:]
sys.path[0] = os.path.dirname(target)
threading.settrace(trace)
sys.settrace(trace)
try:
    runpy.run_path(target, run_name="__main__")
finally:
    sys.settrace(None)
    threading.settrace(None)
    with open(out_path, "w") as f:
        json.dump(list(per_thread.values()), f)
