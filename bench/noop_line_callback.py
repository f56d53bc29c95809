"""The floor for a line recorder in Python: run a script with a line callback that does nothing
(sys.monitoring LINE on 3.12+, sys.settrace below). bench/record.ts times it beside the agent.

    python3 bench/noop_line_callback.py script.py [args...]
"""
import runpy
import sys
import threading


def main():
    script = sys.argv[1]
    sys.argv = sys.argv[1:]
    if sys.version_info >= (3, 12):
        mon = sys.monitoring
        mon.use_tool_id(mon.DEBUGGER_ID, "noop")
        mon.register_callback(mon.DEBUGGER_ID, mon.events.LINE, lambda code, line: None)
        mon.set_events(mon.DEBUGGER_ID, mon.events.LINE)
    else:
        def tracer(frame, event, arg):
            return tracer

        threading.settrace(tracer)
        sys.settrace(tracer)
    runpy.run_path(script, run_name="__main__")


main()
