/**
 * The `<item .../>` elements of the sections of a plain XML file, as attribute maps: all the
 * simplewall profile importer needs. Not a general XML parser: no DTDs (a `<!DOCTYPE` is
 * refused, so no entity expansion of any size), comments and processing instructions skipped,
 * the five predefined entities and numeric character references decoded. Linear in the input.
 */
export class XmlItemsError extends Error {}

export interface XmlItems {
  /** The root element's name and attributes. */
  readonly root: { readonly name: string; readonly attributes: ReadonlyMap<string, string> } | null;
  /** Per section (a child of the root), its `item` elements' attributes, in file order. */
  readonly sections: ReadonlyMap<string, ReadonlyArray<ReadonlyMap<string, string>>>;
}

const NAME = /^[A-Za-z_][\w.-]*/;
/** Sticky: each match starts where the last one ended, so a long tag is read once (no slicing). */
const ATTRIBUTE = /\s*([A-Za-z_][\w.:-]*)\s*=\s*("([^"]*)"|'([^']*)')/y;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(text: string): string {
  return text.replace(/&(#x[0-9A-Fa-f]{1,6}|#\d{1,7}|[a-z]{2,4});/g, (whole, entity: string) => {
    if (entity.startsWith('#')) {
      const code = entity.startsWith('#x') ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10);
      return code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[entity] ?? whole;
  });
}

/** Parses the attributes of a start tag's inside (after the name). */
function attributes(inside: string): Map<string, string> {
  const found = new Map<string, string>();
  const pattern = new RegExp(ATTRIBUTE.source, 'y');
  let end = 0;
  for (;;) {
    const match = pattern.exec(inside);
    if (match === null) break;
    found.set(match[1] ?? '', decode(match[3] ?? match[4] ?? ''));
    end = pattern.lastIndex;
  }
  const rest = inside.slice(end).trim();
  if (rest !== '') throw new XmlItemsError(`cannot read the attributes near "${rest.slice(0, 40)}"`);
  return found;
}

export function readXmlItems(text: string): XmlItems {
  if (/<!DOCTYPE/i.test(text)) throw new XmlItemsError('a document type declaration is not read (entity expansion)');
  let root: XmlItems['root'] = null;
  const sections = new Map<string, Array<ReadonlyMap<string, string>>>();
  const open: string[] = [];
  let at = 0;
  while (at < text.length) {
    const lt = text.indexOf('<', at);
    if (lt === -1) break;
    if (text.startsWith('<!--', lt)) {
      const end = text.indexOf('-->', lt + 4);
      if (end === -1) throw new XmlItemsError('a comment is not closed');
      at = end + 3;
      continue;
    }
    if (text.startsWith('<?', lt) || text.startsWith('<![CDATA[', lt)) {
      const close = text.startsWith('<?', lt) ? '?>' : ']]>';
      const end = text.indexOf(close, lt + 2);
      if (end === -1) throw new XmlItemsError('a declaration is not closed');
      at = end + close.length;
      continue;
    }
    const gt = text.indexOf('>', lt);
    if (gt === -1) throw new XmlItemsError('a tag is not closed');
    const tag = text.slice(lt + 1, gt);
    at = gt + 1;
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      if (open.pop() !== name) throw new XmlItemsError(`</${name}> closes an element that is not open`);
      continue;
    }
    const selfClosing = tag.endsWith('/');
    const body = selfClosing ? tag.slice(0, -1) : tag;
    const name = NAME.exec(body)?.[0];
    if (name === undefined) throw new XmlItemsError(`"<${body.slice(0, 20)}" is not a tag`);
    const attrs = attributes(body.slice(name.length));
    if (open.length === 0) {
      if (root !== null) throw new XmlItemsError('more than one root element');
      root = { name, attributes: attrs };
    } else if (open.length === 2 && name === 'item') {
      const section = open[1] ?? '';
      const items = sections.get(section) ?? [];
      items.push(attrs);
      sections.set(section, items);
    }
    if (!selfClosing) open.push(name);
  }
  if (open.length > 0) throw new XmlItemsError(`<${open[open.length - 1] ?? ''}> is not closed`);
  return { root, sections };
}
