import { describe, expect, it } from 'vitest';
import { readXmlItems, XmlItemsError } from './xml-items.ts';

describe('readXmlItems', () => {
  it('reads the items of each section with decoded attributes, skipping comments and declarations', () => {
    const xml = readXmlItems(
      `<?xml version="1.0"?><!-- c --><root v='5'><a><item x="1 &lt; 2 &amp;&#x41;&#66;" y='q"'/><!-- <item x="no"/> --></a>` +
        `<b><item x="2"></item><other><item x="deep"/></other></b></root>`,
    );
    expect(xml.root?.name).toBe('root');
    expect(xml.root?.attributes.get('v')).toBe('5');
    expect([...(xml.sections.get('a') ?? [])].map((m) => Object.fromEntries(m))).toEqual([{ x: '1 < 2 &AB', y: 'q"' }]);
    // Only items directly in a section count.
    expect([...(xml.sections.get('b') ?? [])].map((m) => Object.fromEntries(m))).toEqual([{ x: '2' }]);
  });

  it.each([
    ['<root><a>', /<a> is not closed/],
    ['<root></a>', /<\/a> closes an element that is not open/],
    ['<root/><root/>', /more than one root/],
    ['<root x=1/>', /cannot read the attributes/],
    ['<root><!-- open', /comment is not closed/],
    ['<root', /tag is not closed/],
    ['<!DOCTYPE x><root/>', /document type declaration/],
  ])('refuses %j', (text, message) => {
    expect(() => readXmlItems(text)).toThrow(XmlItemsError);
    expect(() => readXmlItems(text)).toThrow(message);
  });

  it('keeps character references outside Unicode as written', () => {
    const xml = readXmlItems('<root><s><item a="&#xD800;&#1114112;&bogus;"/></s></root>');
    expect(xml.sections.get('s')?.[0]?.get('a')).toBe('&#xD800;&#1114112;&bogus;');
  });
});
