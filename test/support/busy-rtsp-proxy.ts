import net from 'node:net';
import { pipeThrough } from './tcp-link.js';

/** One connection the proxy took: whether it played a busy server on it, and when. */
export interface ProxiedConnection {
  n: number;
  busy: boolean;
  at: number;
}

export interface BusyRtspProxy {
  port: number;
  /** rewrites a URL of the real server to go through the proxy */
  url(real: string): string;
  connections: ProxiedConnection[];
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of a real RTSP server that plays a camera at its
 * session cap: the connections `busy(n)` picks (n counts from 1) never reach
 * the server; every request on them is answered with `status` (503 Service
 * Unavailable by default), as a camera or NVR answers a client beyond its
 * limit. The others are passed through byte for byte. Loopback only.
 */
export async function startBusyRtspProxy(opts: { targetPort: number; busy: (n: number) => boolean; status?: string }): Promise<BusyRtspProxy> {
  const status = opts.status ?? '503 Service Unavailable';
  const connections: ProxiedConnection[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    const n = connections.length + 1;
    const busy = opts.busy(n);
    connections.push({ n, busy, at: Date.now() });
    if (busy) {
      let buf = '';
      client.on('data', (d: Buffer) => {
        buf += d.toString('latin1');
        if (buf.length > 64 * 1024) return client.destroy();
        for (let end = buf.indexOf('\r\n\r\n'); end >= 0; end = buf.indexOf('\r\n\r\n')) {
          const head = buf.slice(0, end);
          buf = buf.slice(end + 4);
          const cseq = /^CSeq:\s*(\d+)/im.exec(head)?.[1] ?? '0';
          client.write(`RTSP/1.0 ${status}\r\nCSeq: ${cseq}\r\nServer: busy-camera\r\n\r\n`);
        }
      });
      return;
    }
    pipeThrough(client, opts.targetPort, sockets);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: (real) => real.replace(/^rtsp:\/\/([^@/]*@)?127\.0\.0\.1:\d+/, (_m, login: string | undefined) => `rtsp://${login ?? ''}127.0.0.1:${port}`),
    connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
