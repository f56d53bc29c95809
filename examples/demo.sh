#!/bin/sh
# Record the bundled example (it crashes on purpose), then look at the recording.
set -u
rewind="node dist/src/cli/main.js"
$rewind record --force -o recordings/example examples/orders.py
echo
$rewind info recordings/example
echo
echo "The last events before the crash:"
$rewind dump recordings/example | tail -n 24
