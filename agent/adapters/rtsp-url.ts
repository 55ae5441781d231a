/** An RTSP URL split into what goes on the wire and the credentials it carried. */
export interface RtspTarget {
  host: string;
  port: number;
  /** the URL without user info, as sent in requests and shown to people */
  url: string;
  username: string | undefined;
  password: string | undefined;
}

export function parseRtspUrl(raw: string): RtspTarget {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new Error('not a valid URL');
  }
  if (u.protocol !== 'rtsp:') throw new Error(`expected rtsp://, got ${u.protocol}//`);
  if (!u.hostname) throw new Error('the URL has no host');
  const username = u.username ? decodeURIComponent(u.username) : undefined;
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  u.username = '';
  u.password = '';
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port: u.port ? Number(u.port) : 554, url: u.toString(), username, password };
}

/** Puts credentials into an RTSP URL (for ffmpeg, which takes them only this way). */
export function withCredentials(url: string, creds: { username: string; password: string } | undefined): string {
  if (!creds) return url;
  const u = new URL(url);
  u.username = encodeURIComponent(creds.username);
  u.password = encodeURIComponent(creds.password);
  return u.toString();
}
