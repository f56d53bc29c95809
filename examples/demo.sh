#!/bin/sh
# Record the bundled example (it crashes on purpose), then replay it: start at the crash and
# walk back to where the bad value came from.
set -u
rewind="bin/rewind.js"
$rewind record --force -o recordings/example examples/orders.py
echo
$rewind info recordings/example
echo
echo "--- replay: at the crash, what is zero, who set it, and back to that line ---"
$rewind replay recordings/example <<'COMMANDS'
goto exception
where
print units * (1 - order.discount)
print order.discount
history order in apply_promotions
break orders.py:26
rcontinue
print code
COMMANDS
echo
echo "--- on a terminal, open it in the full-screen debugger (e: the exception, N S F C: backwards, ?: help):"
echo "    bin/rewind.js replay recordings/example"
