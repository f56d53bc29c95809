// The README and docs/ show commands people copy: every `rewind COMMAND --option` in their
// shell examples must be a command and an option the CLI has (checked against its --help),
// and the README's two first commands must be scripts package.json has.
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
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
