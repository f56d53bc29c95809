// How the extension starts `rewind dap`: kept apart from extension.js (which needs VS Code) so
// that a test can check it.
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

/** The Rewind checkout the extension belongs to: the one it sits in, or the one it was packaged from. */
function checkoutRoot(here) {
  const inside = join(here, '..', '..');
  if (existsSync(join(inside, 'package.json')) && existsSync(join(inside, 'src', 'dap'))) return inside;
  try {
    return JSON.parse(readFileSync(join(here, 'checkout.json'), 'utf8')).root; // written by checkout.js when packaged
  } catch {
    return null;
  }
}

/**
 * The command that runs the adapter: the CLI at `adapterPath` if set, else the build of the
 * extension's Rewind checkout, else `rewind` on the PATH.
 */
function adapterCommand(adapterPath, nodePath, here = __dirname) {
  const node = nodePath || 'node';
  if (adapterPath) return { command: node, args: [adapterPath, 'dap'] };
  const root = checkoutRoot(here);
  const cli = root && join(root, 'dist', 'src', 'cli', 'main.js');
  if (cli && existsSync(cli)) return { command: node, args: [cli, 'dap'] };
  return { command: 'rewind', args: ['dap'] };
}

module.exports = { adapterCommand };
