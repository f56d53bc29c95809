"""The floor for a recorder on sys.monitoring (3.12+): run a script with the agent's events on,
each calling a C builtin that does next to nothing (slice), as the accelerator's C callbacks are
called. bench/record.ts times it beside the agent.

    python3.13 bench/floor_c_callbacks.py script.py [args...]
"""
import runpy
import sys


def main():
    mon = sys.monitoring
    E = mon.events
    mon.use_tool_id(mon.DEBUGGER_ID, "floor")
    for event in (E.PY_START, E.PY_RESUME, E.PY_THROW, E.PY_RETURN, E.PY_YIELD, E.PY_UNWIND,
                  E.LINE, E.RAISE):
        mon.register_callback(mon.DEBUGGER_ID, event, slice)
    # every jump switched off at its first report: the agent keeps those that stay on their line
    # (a loop on one line), so this floor is below its on comprehensions
    mon.register_callback(mon.DEBUGGER_ID, E.JUMP, lambda code, src, dest: mon.DISABLE)
    mon.set_events(mon.DEBUGGER_ID, E.PY_START | E.PY_RESUME | E.PY_THROW | E.PY_RETURN | E.PY_YIELD
                   | E.PY_UNWIND | E.LINE | E.JUMP | E.RAISE)
    script = sys.argv[1]
    sys.argv = sys.argv[1:]
    runpy.run_path(script, run_name="__main__")


main()
