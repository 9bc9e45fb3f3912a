/** Runs the code examples of the guides in docs/ (see test/docs/examples.ts for the conventions). */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { extractExamples, toRunnable } from './examples.js';

const ROOT = resolve(import.meta.dirname, '../..');
const GUIDES = ['getting-started.md', 'story-2015.md', 'protocol-reference.md', 'fidelity.md'];
const docs = readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md'));
const examples = docs.flatMap((f) => extractExamples(`docs/${f}`, readFileSync(join(ROOT, 'docs', f), 'utf8')));
const work = mkdtempSync(join(tmpdir(), 'netvsc-docs-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

(globalThis as { __docsCheck?: unknown }).__docsCheck = (actual: unknown, expected: unknown, where: string) => {
  expect(actual, where).toEqual(expected);
};

describe('docs', () => {
  it('has every guide, and the guides hold runnable examples', () => {
    for (const g of GUIDES) expect(docs, g).toContain(g);
    const files = new Set(examples.map((e) => e.file));
    for (const g of ['getting-started.md', 'story-2015.md', 'fidelity.md']) expect(files.has(`docs/${g}`), g).toBe(true);
  });

  it('extracts blocks and rewrites checks', () => {
    const md = 'text\n<!-- run -->\n```ts\nimport { a } from \'netvsc-sim\';\na + 1; // => 2\n```\n```ts\nnot run\n```\n';
    const [ex, ...rest] = extractExamples('x.md', md);
    expect(rest).toEqual([]);
    expect(ex).toMatchObject({ file: 'x.md', line: 3, checks: 1 });
    const js = toRunnable(ex!, '/src/index.ts', '/src/testing/index.ts');
    expect(js).toContain('from "/src/index.ts"');
    expect(js).toContain('__docsCheck(a + 1, 2, "x.md:5");');
    expect(() => extractExamples('y.md', '<!-- run -->\ntext')).toThrow(/y\.md:1/);
  });

  for (const ex of examples) {
    it(`${ex.file}:${ex.line} runs and its checks hold`, async () => {
      expect(ex.checks, 'a runnable example checks at least one value with // =>').toBeGreaterThan(0);
      const dir = join(work, String(ex.line));
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `${ex.file.replace(/\W/g, '_')}.ts`);
      writeFileSync(file, toRunnable(ex, join(ROOT, 'src/index.ts'), join(ROOT, 'src/testing/index.ts')));
      await import(/* @vite-ignore */ file);
    }, 20_000);
  }
});
