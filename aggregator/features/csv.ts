/**
 * CSV for spreadsheet programs (every export of the centre): a cell that a
 * spreadsheet would run as a formula (=, +, -, @, a tab or CR first: a name
 * from an uploaded plan, a user agent) is kept as text, quotes and line breaks
 * are quoted; documents are UTF-8 with a BOM and CRLF lines.
 */
export function csvCell(v: unknown): string {
  if (typeof v === 'number') return String(v);
  let s = v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A whole document: the header row and the rows, cells quoted as csvCell does. */
export function csvDocument(head: readonly string[], rows: ReadonlyArray<readonly unknown[]>): string {
  return `\uFEFF${[head.join(','), ...rows.map((r) => r.map(csvCell).join(','))].join('\r\n')}\r\n`;
}
