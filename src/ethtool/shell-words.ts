/**
 * Splits a command line into words the way a POSIX shell does for simple commands: blanks separate
 * words; single quotes keep everything literally; double quotes keep everything except `\"`, `\\`,
 * `\$`, `` \` `` and backslash-newline; a backslash outside quotes escapes the next character; `#`
 * at the start of a word begins a comment. Globs are not expanded (`*` stays `*`, as bash passes it
 * when nothing matches). Expansions, redirections, pipes and lists are not supported and reported.
 * @module
 */

/** The words, or why the line cannot be split without a real shell. */
export type ShellWords =
  | {
      /** The line was split. */
      readonly ok: true;
      /** The words with quotes and backslashes removed, in order; may contain empty strings (`''`). */
      readonly words: string[];
    }
  | {
      /** The line cannot be split without a real shell. */
      readonly ok: false;
      /** A bash-like message: `unexpected EOF while looking for matching …` for an unterminated quote, or what is not supported (an expansion, a redirection, a pipe…). */
      readonly error: string;
    };

const UNSUPPORTED = new Set(['|', '&', ';', '<', '>', '(', ')', '$', '`']);

/** Splits `line` into words like a POSIX shell simple command (see the module comment). */
export function shellWords(line: string): ShellWords {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const ch = line[i]!;
    if (ch === ' ' || ch === '\t' || ch === '\n') {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      i++;
      continue;
    }
    if (ch === '#' && !inWord) break;
    if (ch === "'") {
      const close = line.indexOf("'", i + 1);
      if (close < 0) return { ok: false, error: "unexpected EOF while looking for matching `''" };
      cur += line.slice(i + 1, close);
      inWord = true;
      i = close + 1;
      continue;
    }
    if (ch === '"') {
      let j = i + 1;
      let closed = false;
      while (j < line.length) {
        const c = line[j]!;
        if (c === '"') {
          closed = true;
          break;
        }
        if (c === '\\' && j + 1 < line.length && '"\\$`\n'.includes(line[j + 1]!)) {
          if (line[j + 1] !== '\n') cur += line[j + 1];
          j += 2;
          continue;
        }
        if (c === '$' || c === '`') return { ok: false, error: `expansion ${c} inside double quotes is not supported` };
        cur += c;
        j++;
      }
      if (!closed) return { ok: false, error: 'unexpected EOF while looking for matching `"\'' };
      inWord = true;
      i = j + 1;
      continue;
    }
    if (ch === '\\') {
      if (i + 1 >= line.length) {
        // A trailing backslash escapes nothing; bash keeps it as a literal backslash.
        cur += '\\';
        inWord = true;
        i++;
        continue;
      }
      if (line[i + 1] !== '\n') {
        cur += line[i + 1];
        inWord = true;
      }
      i += 2;
      continue;
    }
    if (UNSUPPORTED.has(ch)) return { ok: false, error: `shell syntax ${JSON.stringify(ch)} is not supported` };
    cur += ch;
    inWord = true;
    i++;
  }
  if (inWord) words.push(cur);
  return { ok: true, words };
}
