/**
 * Extracts the runnable examples from the guides in docs/: a fenced ```ts block right after a
 * `<!-- run -->` line. In a runnable block, `from 'netvsc-sim'` (and `'netvsc-sim/testing'`) point
 * at the source, and a statement ending in `// => value` is checked: `x; // => 5` becomes a deep
 * equality check of `x` against `5`.
 */

/** One runnable example. */
export interface DocExample {
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly code: string;
  /** How many `// =>` checks it holds. */
  readonly checks: number;
}

/** The runnable blocks of one markdown text. */
export function extractExamples(file: string, markdown: string): DocExample[] {
  const lines = markdown.split('\n');
  const out: DocExample[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== '<!-- run -->') continue;
    const fence = i + 1;
    if (lines[fence]?.trim() !== '```ts') throw new Error(`${file}:${i + 1}: <!-- run --> must be followed by a \`\`\`ts fence`);
    const end = lines.findIndex((l, j) => j > fence && l.trim() === '```');
    if (end < 0) throw new Error(`${file}:${fence + 1}: unclosed fence`);
    const body = lines.slice(fence + 1, end).join('\n');
    out.push({ file, line: fence + 1, code: body, checks: (body.match(/\/\/ => /g) ?? []).length });
    i = end;
  }
  return out;
}

/** Turns an example into a module for the test runner: imports rewritten, `// =>` checks wired. */
export function toRunnable(ex: DocExample, srcIndex: string, testingIndex: string): string {
  const code = ex.code
    .replace(/from 'netvsc-sim\/testing'/g, `from ${JSON.stringify(testingIndex)}`)
    .replace(/from 'netvsc-sim'/g, `from ${JSON.stringify(srcIndex)}`)
    .split('\n')
    .map((l, k) => {
      const m = /^(\s*)(.+?);?\s*\/\/ => (.+)$/.exec(l);
      if (!m) return l;
      return `${m[1]}__docsCheck(${m[2]}, ${m[3]}, ${JSON.stringify(`${ex.file}:${ex.line + 1 + k}`)});`;
    })
    .join('\n');
  return `const __docsCheck = (globalThis as any).__docsCheck as (a: unknown, b: unknown, where: string) => void;\n${code}\nexport {};\n`;
}
