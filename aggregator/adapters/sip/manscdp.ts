import iconv from 'iconv-lite';
import { z } from 'zod';

/**
 * MANSCDP (GB/T 28181 §A): the XML in MESSAGE, SUBSCRIBE and NOTIFY bodies.
 * Written from plain values with every text escaped; read by a small bounded
 * reader that knows elements, attributes, text and the five predefined
 * entities, refuses DOCTYPE and entity declarations (no expansion attacks),
 * and stops at a depth, an element count and a size.
 */

export type Charset = 'GB2312' | 'UTF-8';

/** An element as read: its name, attributes, text and children. */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  text: string;
  children: XmlElement[];
}

export class ManscdpError extends Error {
  readonly code = 'MANSCDP_INVALID';
}

const MAX_DEPTH = 8;
const MAX_ELEMENTS = 4000;
const MAX_TEXT = 64 * 1024;

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const unescape = (s: string) =>
  s.replace(/&(#x[0-9a-fA-F]{1,6}|#\d{1,7}|[a-z]+);/g, (all, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(Math.min(Number.parseInt(e.slice(2), 16), 0x10ffff));
    if (e.startsWith('#')) return String.fromCodePoint(Math.min(Number(e.slice(1)), 0x10ffff));
    const v = ENTITIES[e];
    if (v === undefined) throw new ManscdpError(`unknown entity &${e};`);
    return v;
  });
export const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&${({ '<': 'lt', '>': 'gt', '&': 'amp', '"': 'quot', "'": 'apos' } as Record<string, string>)[c]};`);

/** Reads an XML document into its root element. */
export function readXml(text: string): XmlElement {
  if (text.length > MAX_TEXT) throw new ManscdpError(`body of ${text.length} characters`);
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new ManscdpError('DOCTYPE and entity declarations are not accepted');
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let count = 0;
  const re = /<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!\[CDATA\[([\s\S]*?)\]\]>|<\/\s*([A-Za-z_][\w.:-]*)\s*>|<([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)|(<)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    const [, cdata, close, open, attrText, selfClose, chars, stray] = m;
    if (stray !== undefined) throw new ManscdpError(`unreadable markup at ${m.index}`);
    const top = stack.at(-1);
    if (chars !== undefined || cdata !== undefined) {
      if (top) top.text += cdata ?? unescape(chars!);
      else if ((chars ?? '').trim() !== '') throw new ManscdpError('text outside the root element');
      continue;
    }
    if (open !== undefined) {
      if (++count > MAX_ELEMENTS) throw new ManscdpError(`more than ${MAX_ELEMENTS} elements`);
      if (stack.length >= MAX_DEPTH) throw new ManscdpError(`nested deeper than ${MAX_DEPTH}`);
      if (!top && root) throw new ManscdpError('more than one root element');
      const attrs: Record<string, string> = {};
      for (const a of (attrText ?? '').matchAll(/([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) attrs[a[1]!] = unescape(a[2] ?? a[3] ?? '');
      const el: XmlElement = { name: open, attrs, text: '', children: [] };
      if (top) top.children.push(el);
      else root = el;
      if (!selfClose) stack.push(el);
      continue;
    }
    if (close !== undefined) {
      if (top?.name !== close) throw new ManscdpError(`</${close}> does not close <${top?.name ?? 'nothing'}>`);
      stack.pop();
    }
  }
  if (!root || stack.length > 0) throw new ManscdpError(root ? `<${stack.at(-1)!.name}> is not closed` : 'no root element');
  return root;
}

/** The text of a child element, trimmed; undefined without one. */
export function childText(el: XmlElement, name: string): string | undefined {
  const c = el.children.find((x) => x.name === name);
  return c === undefined ? undefined : c.text.trim();
}

/** What a request from the upper platform must carry (GB/T 28181 §A.2.1). */
const commandSchema = z.object({
  kind: z.enum(['Query', 'Control', 'Notify', 'Response']),
  cmdType: z.string().regex(/^[A-Za-z]{1,40}$/, 'CmdType is a word'),
  sn: z.coerce.number({ message: 'SN is a number' }).int('SN is a whole number').min(0).max(2 ** 53),
  deviceId: z.string().regex(/^[A-Za-z0-9]{1,32}$/, 'DeviceID is up to 32 letters or digits'),
});
export type ManscdpCommand = z.infer<typeof commandSchema> & { root: XmlElement };

/** Reads a MANSCDP body (bytes in its charset) into its command: root kind, CmdType, SN and DeviceID, checked. */
export function readCommand(body: Buffer, charset: Charset): ManscdpCommand {
  const text = decodeBody(body, charset);
  const root = readXml(text);
  const r = commandSchema.safeParse({ kind: root.name, cmdType: childText(root, 'CmdType'), sn: childText(root, 'SN'), deviceId: childText(root, 'DeviceID') });
  if (!r.success) throw new ManscdpError(r.error.issues.map((i) => `${i.path.join('.') || root.name}: ${i.message}`).join('; '));
  return { ...r.data, root };
}

/** A body's text: as its XML declaration says, else as the upstream is configured (GB2312 read as GB18030, its superset). */
export function decodeBody(body: Buffer, charset: Charset): string {
  const declared = /encoding\s*=\s*["']([A-Za-z0-9_-]+)["']/.exec(body.subarray(0, 100).toString('latin1'))?.[1]?.toUpperCase();
  const use = declared === 'UTF-8' || declared === 'UTF8' ? 'utf8' : declared === undefined && charset === 'UTF-8' ? 'utf8' : 'gb18030';
  return iconv.decode(body, use);
}

/** A value to write: text, a list of children, or children with attributes on the element. */
export type XmlValue = string | number | XmlFields | { attrs: Record<string, string | number>; children: XmlFields };
/** Children in order; an array value repeats the element. */
export type XmlFields = Array<[name: string, value: XmlValue | undefined]>;

function writeFields(fields: XmlFields, out: string[]): void {
  for (const [name, value] of fields) {
    if (value === undefined) continue;
    if (typeof value === 'string' || typeof value === 'number') out.push(`<${name}>${escapeXml(String(value))}</${name}>\r\n`);
    else if (Array.isArray(value)) {
      out.push(`<${name}>\r\n`);
      writeFields(value, out);
      out.push(`</${name}>\r\n`);
    } else {
      const attrs = Object.entries(value.attrs).map(([k, v]) => ` ${k}="${escapeXml(String(v))}"`).join('');
      out.push(`<${name}${attrs}>\r\n`);
      writeFields(value.children, out);
      out.push(`</${name}>\r\n`);
    }
  }
}

/** A MANSCDP document as bytes in `charset`, with its XML declaration. */
export function writeManscdp(root: 'Notify' | 'Response' | 'Query' | 'Control', fields: XmlFields, charset: Charset): Buffer {
  const out = [`<?xml version="1.0" encoding="${charset}"?>\r\n`, `<${root}>\r\n`];
  writeFields(fields, out);
  out.push(`</${root}>\r\n`);
  const text = out.join('');
  return charset === 'UTF-8' ? Buffer.from(text, 'utf8') : iconv.encode(text, 'gb18030');
}

/** The bytes of elements once written in `charset` (for packing NOTIFYs to a size). */
export function encodedLength(fields: XmlFields, charset: Charset): number {
  const out: string[] = [];
  writeFields(fields, out);
  const text = out.join('');
  return charset === 'UTF-8' ? Buffer.byteLength(text, 'utf8') : iconv.encode(text, 'gb18030').length;
}
