/**
 * Many lightweight RTSP endpoints on loopback: each answers OPTIONS and
 * DESCRIBE (with an SDP for one H.264 track, optionally behind Digest auth)
 * but streams no media. Stands in for a thousand cameras' RTSP servers when
 * only the socket rungs are measured.
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { verifyDigest } from '../../agent/lib/digest-auth.js';
import { onRtspRequests } from './rtsp-request.js';

export interface RtspSimOptions {
  count: number;
  host?: string;
  auth?: { username: string; password: string };
}

const REALM = 'xueliang-rtsp-sim';
const SDP = 'v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=sim\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:track1\r\n';

export interface RtspSim {
  ports: number[];
  /** endpoints whose stream is gone: DESCRIBE answers 404 */
  down: Set<number>;
  close(): Promise<void>;
}

export async function startRtspSim(opts: RtspSimOptions): Promise<RtspSim> {
  const down = new Set<number>();
  const host = opts.host ?? '127.0.0.1';
  const servers: net.Server[] = [];
  const sockets = new Set<net.Socket>();
  for (let i = 0; i < opts.count; i++) {
    const server = net.createServer((sock) => {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
      sock.on('error', () => {});
      onRtspRequests(sock, (req, reply) => {
        if (req.method === 'OPTIONS') {
          reply('200 OK', ['Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN']);
        } else if (req.method === 'DESCRIBE' && down.has(i)) {
          reply('404 Not Found');
        } else if (req.method === 'DESCRIBE') {
          const a = opts.auth;
          if (a && !verifyDigest(req.headers.get('authorization'), 'DESCRIBE', (u) => (u === a.username ? a.password : undefined), REALM)) {
            reply('401 Unauthorized', [`WWW-Authenticate: Digest realm="${REALM}", nonce="${randomUUID().replace(/-/g, '')}"`]);
          } else {
            reply('200 OK', ['Content-Type: application/sdp', `Content-Base: ${req.uri}/`], SDP);
          }
        } else {
          reply('405 Method Not Allowed');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    servers.push(server);
  }
  return {
    ports: servers.map((s) => (s.address() as net.AddressInfo).port),
    down,
    close: async () => {
      sockets.forEach((s) => s.destroy());
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    },
  };
}
