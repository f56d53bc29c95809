// The VS Code extension (editors/vscode): what it contributes, how it starts the adapter, and
// that it packages into a .vsix with vsce.
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT, tmp } from './helpers.js';

const EXT = join(ROOT, 'editors/vscode');
const manifest = JSON.parse(readFileSync(join(EXT, 'package.json'), 'utf8'));
const { adapterCommand } = createRequire(import.meta.url)(join(EXT, 'adapter.js'));

describe('the VS Code extension', () => {
  it('contributes the rewind debugger, its launch configurations and the open command', () => {
    expect(existsSync(join(EXT, manifest.main))).toBe(true);
    const dbg = manifest.contributes.debuggers.find((d: any) => d.type === 'rewind');
    expect(dbg.languages).toEqual(['python']);
    expect(Object.keys(dbg.configurationAttributes.launch.properties)).toEqual(expect.arrayContaining(
      ['recording', 'program', 'module', 'args', 'python', 'cwd', 'stopOnEntry', 'pathMappings', 'recordOptions']));
    expect(dbg.initialConfigurations.map((c: any) => c.name)).toEqual(['Rewind: record and debug current file', 'Rewind: open recording']);
    for (const c of dbg.initialConfigurations) expect(c).toMatchObject({ type: 'rewind', request: 'launch' });
    expect(dbg.configurationSnippets.map((s: any) => s.label)).toEqual(dbg.initialConfigurations.map((c: any) => c.name));
    expect(manifest.contributes.commands.map((c: any) => c.command)).toContain('rewind.openRecording');
    expect(manifest.activationEvents).toContain('onCommand:rewind.openRecording');
    expect(manifest.contributes.breakpoints).toEqual([{ language: 'python' }]);
    // Every command the manifest names is registered by extension.js.
    const source = readFileSync(join(EXT, 'extension.js'), 'utf8');
    for (const c of [...manifest.contributes.commands.map((x: any) => x.command), ...Object.values(dbg.variables)]) {
      expect(source).toContain(`registerCommand('${c}'`);
    }
  });

  it("runs this checkout's adapter, which answers DAP", async () => {
    const { command, args } = adapterCommand('', 'node');
    expect(args).toEqual([join(ROOT, 'dist/src/cli/main.js'), 'dap']);
    const child = spawn(command === 'node' ? process.execPath : command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    const req = JSON.stringify({ seq: 1, type: 'request', command: 'initialize', arguments: { adapterID: 'rewind' } });
    child.stdin.write(`Content-Length: ${Buffer.byteLength(req)}\r\n\r\n${req}`);
    let out = '';
    await new Promise<void>((res) => child.stdout.on('data', (b) => { out += b; if (out.includes('supportsStepBack')) res(); }));
    child.stdin.end();
    const body = JSON.parse(out.slice(out.indexOf('\r\n\r\n') + 4));
    expect(body).toMatchObject({ type: 'response', command: 'initialize', success: true, body: { supportsStepBack: true } });
    await new Promise((res) => child.on('exit', res));
  });

  it('installed elsewhere, runs the checkout it was packaged from, else rewind on the PATH', () => {
    const installed = tmp();
    expect(adapterCommand('', 'node', installed)).toEqual({ command: 'rewind', args: ['dap'] });
    writeFileSync(join(installed, 'checkout.json'), JSON.stringify({ root: ROOT }));
    expect(adapterCommand('', '/opt/node20/bin/node', installed)).toEqual({ command: '/opt/node20/bin/node', args: [join(ROOT, 'dist/src/cli/main.js'), 'dap'] });
    expect(adapterCommand('/x/main.js', '', installed)).toEqual({ command: 'node', args: ['/x/main.js', 'dap'] });
  });

  it('packages into a .vsix with vsce', () => {
    // Packaged from a copy: packaging writes checkout.json, which stays out of the source tree.
    const copy = join(tmp(), 'vscode');
    mkdirSync(copy);
    for (const f of ['package.json', 'extension.js', 'adapter.js', 'checkout.js', 'README.md', 'LICENSE', '.vscodeignore']) copyFileSync(join(EXT, f), join(copy, f));
    const vsix = join(copy, 'rewind.vsix');
    const vsce = join(ROOT, 'node_modules/@vscode/vsce/vsce');
    const r = spawnSync(process.execPath, [vsce, 'package', '--allow-missing-repository', '--out', vsix], { cwd: copy, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(existsSync(vsix)).toBe(true);
    const listing = spawnSync('unzip', ['-l', vsix], { encoding: 'utf8' });
    if (listing.status === 0) expect(listing.stdout).toMatch(/extension\/package\.json[\s\S]*extension\/extension\.js|extension\/extension\.js[\s\S]*extension\/package\.json/);
  });
});
