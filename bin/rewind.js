#!/bin/sh
":" //; if [ -n "${NODE_EXTRA_CA_CERTS+set}" ]; then REWIND_NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS; export REWIND_NODE_EXTRA_CA_CERTS; unset NODE_EXTRA_CA_CERTS; fi; exec node "$0" "$@"

// The `rewind` command, both a shell script and a module. Node reads and parses the certificates
// NODE_EXTRA_CA_CERTS names as it starts, before any of Rewind's code: ~30 ms of every command on
// a machine that sets it. Rewind makes no connection, so the shell line above starts node without
// it, and it is given back here, before anything runs, to the programs Rewind starts.
const saved = process.env.REWIND_NODE_EXTRA_CA_CERTS;
if (saved !== undefined) {
  process.env.NODE_EXTRA_CA_CERTS = saved;
  delete process.env.REWIND_NODE_EXTRA_CA_CERTS;
}
await import('../dist/src/cli/main.js');
