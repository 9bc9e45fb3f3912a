// binary-parser 2.3.0 ships types only beside its CommonJS build, which its "exports" map hides
// from NodeNext resolution of the ESM entry. Point the ESM import at those same types.
declare module 'binary-parser' {
  export { Parser } from 'binary-parser/dist/binary_parser.js';
}
