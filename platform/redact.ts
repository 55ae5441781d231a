/** Removes user info from every URL in `text` (rtsp://user:pass@host → rtsp://host). */
export function stripUrlCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s@"'<>]*@/gi, '$1');
}

/** Masks the password of a URL for people: rtsp://user:***@host/path. */
export function maskUrlPassword(url: string): string {
  return url.replace(/\b([a-z][a-z0-9+.-]*:\/\/)([^/\s@:"'<>]*):[^/\s@"'<>]*@/gi, '$1$2:***@');
}

/** Removes every occurrence of the given secrets from `text` (for messages from ffmpeg and devices). */
export function scrubSecrets(text: string, secrets: Iterable<string>): string {
  let out = stripUrlCredentials(text);
  for (const s of secrets) {
    if (s.length >= 3) out = out.split(s).join('***');
  }
  return out;
}

/** Paths that pino must censor wherever they appear. */
export const REDACT_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'credentials[*].password',
  'mqtt.password',
  'config.mqtt.password',
  'config.credentials[*].password',
  'headers.authorization',
  '*.headers.authorization',
];
