// The README and docs/ show commands people copy: every `rewind COMMAND --option` in their
// shell examples must be a command and an option the CLI has (checked against its --help),
// and the README's two first commands must be scripts package.json has.
import { describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, rewind } from './helpers.js';

const pages = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];

/** `rewind ...` lines of the shell blocks of a page, comments cut. */
function shellLines(page: string): string[] {
  const text = readFileSync(join(ROOT, page), 'utf8');
  const blocks = [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  return blocks.flatMap((b) => b.split('\n')).map((l) => l.replace(/\s#\s.*$/, '')).filter((l) => /(^|[|;&]\s*)rewind \w/.test(l));
}

const help = new Map<string, string>();
const helpOf = (cmd: string) => {
  if (!help.has(cmd)) help.set(cmd, rewind([cmd, '--help']).stdout);
  return help.get(cmd)!;
};

describe.each(pages)('%s', (page) => {
  it('names only commands and options the CLI has', () => {
    const commands = rewind(['--help']).stdout;
    for (const line of shellLines(page)) {
      for (const m of line.matchAll(/(?:^|[|;&]\s*|\s)rewind (\w[\w-]*)((?:(?!\srewind )[^|;&])*)/g)) {
        const [, cmd, rest] = m;
        expect(commands, `${page}: ${line}`).toMatch(new RegExp(`\\n  ${cmd}\\b`));
        for (const opt of rest.matchAll(/(?:^|\s)(--[a-z][\w-]*)/g)) expect(helpOf(cmd), `${page}: ${line}`).toContain(opt[1]);
      }
    }
  });
});

it("the README's first two commands are scripts package.json has", () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const first = /```sh\n([^\n]*)\n([^\n]*)\n```/.exec(readme)!;
  const scripts = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts;
  expect(first[1]).toMatch(/^npm ci && npm run example\b/);
  expect(first[2]).toMatch(/^npm test\b/);
  expect(scripts.example).toBeDefined();
  expect(scripts.test).toBeDefined();
});

describe('docs/commands.md', () => {
  const page = readFileSync(join(ROOT, 'docs/commands.md'), 'utf8');
  const section = (title: string) => page.split(`## ${title}`)[1].split('\n## ')[0];

  it('lists every command of the CLI, and none it does not have', () => {
    const listed = [...section('The CLI').matchAll(/^\| `rewind ([a-z]+)/gm)].map((m) => m[1]).sort();
    const help = rewind(['--help']).stdout.split('Commands:')[1].split('Examples:')[0];
    const real = [...help.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]).filter((c) => c !== 'help').sort();
    expect(listed).toEqual(real);
  });

  it('lists every replay command with its aliases, and none it does not have', () => {
    const table = section('Replay commands').split('\n').filter((l) => l.startsWith('| `')).map((l) => l.split(' | ')[0]).join('\n');
    const listed = new Set([...table.matchAll(/`([a-z]+)[^`]*`/g)].map((m) => m[1]));
    const help = rewind(['replay', '--help']).stdout.split(/^Commands:$/m)[1].split('Examples:')[0];
    const real = new Set<string>();
    for (const line of help.split('\n')) {
      const m = /^ {2}([a-z]+)/.exec(line);
      if (!m) continue;
      real.add(m[1]);
      for (const a of /\(also: ([^)]+)\)$/.exec(line)?.[1].split(', ') ?? []) if (/^[a-z]+$/.test(a)) real.add(a);
    }
    for (const name of real) expect(listed, `replay command ${name}`).toContain(name);
    for (const name of [...listed].filter((n) => !['text', 'start', 'end', 'exception', 'failure', 'test', 'if', 'in', 'all'].includes(n))) {
      expect(real, `docs/commands.md lists '${name}'`).toContain(name);
    }
  });

  it("lists the terminal UI's keys as its help does", () => {
    const keys = readFileSync(join(ROOT, 'src/tui/screen.ts'), 'utf8').split('const KEYS = `')[1].split('`;')[0];
    for (const k of [...keys.matchAll(/^ {2}(\S)(?: \/ (\S))?\s/gm)].flatMap((m) => [m[1], m[2]]).filter((k): k is string => Boolean(k) && /^[a-zA-Z?:]$/.test(k!))) {
      expect(section("The terminal UI's keys"), `key ${k}`).toContain(`\`${k}\``);
    }
  });
});

it("the README's flaky-test walk-through runs as written: record both runs, diff them, follow the value back", () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /```sh\n(SEED=1 rewind record[\s\S]*?)```/.exec(readme)![1];
  const dir = mkdtempSync(join(tmpdir(), 'rewind-readme-'));
  cpSync(join(ROOT, 'examples'), join(dir, 'examples'), { recursive: true });
  cpSync(join(ROOT, 'recordings/.gitkeep'), join(dir, 'recordings/.gitkeep')); // as in a fresh clone
  const results = block.trim().split('\n').map((line) => {
    const m = /^(?:(\w+)=(\S+) )?rewind (.*?)\s*(?:#.*)?$/.exec(line)!;
    const env = m[1] ? { ...process.env, [m[1]]: m[2] } : process.env;
    return rewind(m[3].split(/\s+/), { cwd: dir, env });
  });
  expect(results.map((r) => r.status)).toEqual([0, 1, 1, 0]);
  expect(results[2].stdout).toMatch(/first divergence, after \d+ matching events: what pick_discount\(\) returns differs/);
  expect(results[2].stdout).toMatch(/A .* = 0\.1\n[\s\S]*B .* = 1\.0/);
  expect(results[3].stdout).toMatch(/^paid_units = 0\.0: set by test_flaky\.py:\d+ in net_unit_price\(\)/);
  expect(results[3].stdout).toMatch(/<- discount = 1\.0: returned by test_flaky\.py:\d+ in pick_discount\(\)/);
});
