// Run when the extension is packaged (vscode:prepublish): notes which Rewind checkout it was
// packaged from, so that the installed extension runs that checkout's build.
const { writeFileSync } = require('node:fs');
const { join, resolve } = require('node:path');

writeFileSync(join(__dirname, 'checkout.json'), JSON.stringify({ root: resolve(__dirname, '..', '..') }) + '\n');
