/** Parses one RTSP request from the front of `buf` (latin1 text); undefined until complete. */
export function parseRtspRequest(buf: string): { method: string; uri: string; headers: Map<string, string>; length: number } | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const lines = buf.slice(0, end).split('\r\n');
  const [method = '', uri = ''] = (lines[0] ?? '').split(' ');
  const headers = new Map<string, string>();
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim());
  }
  const bodyLength = Number(headers.get('content-length') ?? 0) || 0;
  if (buf.length < end + 4 + bodyLength) return undefined;
  return { method, uri, headers, length: end + 4 + bodyLength };
}
