/**
 * The pretty-printing streaming JSON writer ethtool ≥ 6.15 uses for `--json` (the iproute2-style
 * writer: json_writer.c + json_print.c), reproduced for the calls `-l --json` makes: a top-level
 * array, one object per device, string and unsigned fields. Indentation is four spaces per level,
 * the array opens as `[ ` and closes as ` ]`, objects are separated by `,` with no newline, and
 * the document ends with a newline.
 * @module
 */

/** Escapes as `jsonw_puts` does: C escapes for \t \n \r \f \b \\ " and ' ; everything else verbatim. */
function quote(s: string): string {
  let out = '"';
  for (const ch of s) {
    switch (ch) {
      case '\t':
        out += '\\t';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\f':
        out += '\\f';
        break;
      case '\b':
        out += '\\b';
        break;
      case '\\':
        out += '\\\\';
        break;
      case '"':
        out += '\\"';
        break;
      case "'":
        out += "\\'";
        break;
      default:
        out += ch;
    }
  }
  return out + '"';
}

/** A pretty JSON writer appending to a string sink. */
export class JsonWriter {
  private depth = 0;
  private sep = '';

  constructor(private readonly write: (s: string) => void) {}

  private indent(): void {
    this.write('    '.repeat(this.depth));
  }

  private eol(): void {
    this.write('\n');
    this.indent();
  }

  private eor(): void {
    if (this.sep !== '') this.write(this.sep);
    this.sep = ',';
  }

  private begin(c: string): void {
    this.eor();
    this.write(c);
    this.depth++;
    this.sep = '';
  }

  private end(c: string): void {
    this.depth--;
    if (this.sep !== '') this.eol();
    this.write(c);
    this.sep = ',';
  }

  private name(key: string): void {
    this.eor();
    this.eol();
    this.sep = '';
    this.write(quote(key) + ': ');
  }

  startArray(): void {
    this.begin('[');
    this.write(' ');
  }

  endArray(): void {
    if (this.sep !== '') this.write(' ');
    this.sep = '';
    this.end(']');
  }

  startObject(): void {
    this.begin('{');
  }

  endObject(): void {
    this.end('}');
  }

  stringField(key: string, value: string): void {
    this.name(key);
    this.eor();
    this.write(quote(value));
  }

  uintField(key: string, value: number): void {
    this.name(key);
    this.eor();
    this.write(String(value >>> 0));
  }

  /** `jsonw_destroy`: the closing newline. */
  close(): void {
    this.write('\n');
  }
}
