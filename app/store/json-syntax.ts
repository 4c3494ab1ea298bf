/** Where a JSON text goes wrong: 1-based line and column, and why. */
export interface JsonSyntaxProblem {
  readonly position: number;
  readonly line: number;
  readonly column: number;
  readonly reason: string;
}

const MAX_DEPTH = 512;

class Stop {
  readonly position: number;
  readonly reason: string;
  constructor(position: number, reason: string) {
    this.position = position;
    this.reason = reason;
  }
}

/**
 * Finds the first syntax error in `text`, or null if it is valid JSON. Used after JSON.parse
 * fails: V8's messages give a position for some errors only (and quote the input for others),
 * so we locate the error ourselves. Nesting beyond 512 levels counts as an error.
 */
export function findJsonSyntaxError(text: string): JsonSyntaxProblem | null {
  let i = 0;
  const stop = (reason: string): never => {
    throw new Stop(i, reason);
  };
  const skipSpace = (): void => {
    while (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r') i++;
  };
  const expect = (char: string, reason: string): void => {
    skipSpace();
    if (text[i] !== char) stop(reason);
    i++;
  };
  const string = (): void => {
    i++; // opening quote
    for (;;) {
      const char = text[i];
      if (char === undefined) stop('unterminated string');
      else if (char === '"') break;
      else if (char === '\\') {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) stop('bad \\u escape');
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? 'x')) stop('bad escape in string');
      } else if (char < ' ') stop('control character in string');
      i++;
    }
    i++;
  };
  const number = (): void => {
    const pattern = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
    pattern.lastIndex = i;
    const match = pattern.exec(text);
    if (match === null) stop('bad number');
    else i += match[0].length;
  };
  const value = (depth: number): void => {
    if (depth > MAX_DEPTH) stop(`nested deeper than ${MAX_DEPTH} levels`);
    skipSpace();
    const char = text[i];
    if (char === '{') members(depth, '}', true);
    else if (char === '[') members(depth, ']', false);
    else if (char === '"') string();
    else if (char === '-' || (char !== undefined && char >= '0' && char <= '9')) number();
    else {
      const word = ['true', 'false', 'null'].find((w) => text.startsWith(w, i));
      if (word === undefined)
        stop(char === undefined ? 'unexpected end of input' : `unexpected character ${JSON.stringify(char)}`);
      else i += word.length;
    }
  };
  // Objects and arrays: the same loop, objects with a "name": before each value.
  const members = (depth: number, close: string, named: boolean): void => {
    i++;
    skipSpace();
    if (text[i] === close) {
      i++;
      return;
    }
    for (;;) {
      if (named) {
        skipSpace();
        if (text[i] !== '"') stop('expected a double-quoted property name');
        string();
        expect(':', "expected ':' after a property name");
      }
      value(depth + 1);
      skipSpace();
      if (text[i] === ',') i++;
      else if (text[i] === close) {
        i++;
        return;
      } else stop(`expected ',' or '${close}'`);
    }
  };

  try {
    value(0);
    skipSpace();
    if (i < text.length) stop('unexpected text after the end of the JSON value');
    return null;
  } catch (error) {
    if (!(error instanceof Stop)) throw error;
    return { position: error.position, ...lineColumn(text, error.position), reason: error.reason };
  }
}

/** 1-based line and column of a UTF-16 offset. */
export function lineColumn(text: string, position: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let at = text.indexOf('\n'); at !== -1 && at < position; at = text.indexOf('\n', at + 1)) {
    line++;
    lineStart = at + 1;
  }
  return { line, column: position - lineStart + 1 };
}
