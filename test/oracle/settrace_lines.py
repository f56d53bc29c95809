"""The oracle: the line events plain sys.settrace reports for a program, per thread.

    python settrace_lines.py OUT.json program.py [args...]

Runs the program as __main__ and writes [[file, line, function], ...] per thread, for files
under the program's folder. Deliberately simple: no agent code is shared with it.
"""
import gc
import json
import os
import runpy
import sys
import threading
import types

out_path, target = sys.argv[1], os.path.abspath(sys.argv[2])
root = os.path.dirname(target) + os.sep
per_thread = {}


qualnames = {}
_CODE = {types.GeneratorType: "gi_code", types.CoroutineType: "cr_code", types.AsyncGeneratorType: "ag_code"}


def qualname(code):
    """co_qualname; before 3.11, the __qualname__ of the function object running the code
    (found through the garbage collector: slow, cached, and independent of the agent's way)."""
    q = getattr(code, "co_qualname", None) or qualnames.get(code)
    if q is None:
        fns = [r for r in gc.get_referrers(code) if type(r) is types.FunctionType and r.__code__ is code]
        # A generator expression's function is gone once it has made its generator.
        fns = fns or [g for g in gc.get_objects() if getattr(g, _CODE.get(type(g), ""), None) is code]
        q = qualnames[code] = fns[0].__qualname__ if fns else code.co_name
    return q


def trace(frame, event, arg):
    code = frame.f_code
    if not code.co_filename.startswith(root):
        return None
    if event == "line":
        per_thread.setdefault(threading.current_thread().name, []).append(
            [code.co_filename, frame.f_lineno, qualname(code)])
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
