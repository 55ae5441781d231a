import net from 'node:net';

/** Joins an accepted socket to 127.0.0.1:`port`, byte for byte; both are tracked in `sockets` until they close. */
export function pipeThrough(client: net.Socket, port: number, sockets: Set<net.Socket>): void {
  const upstream = net.connect({ host: '127.0.0.1', port });
  sockets.add(upstream);
  upstream.once('close', () => sockets.delete(upstream));
  upstream.on('error', () => client.destroy());
  client.on('error', () => upstream.destroy());
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
  client.pipe(upstream);
  upstream.pipe(client);
}

export interface TcpLink {
  port: number;
  /** the link goes down: open connections are cut (no FIN from the far side, as a dead 4G link) and new ones refused */
  cut(): void;
  /** the link is back */
  restore(): void;
  readonly up: boolean;
  close(): Promise<void>;
}

/**
 * A site's uplink between a gateway and the centre's broker, on loopback: a
 * TCP relay to `targetPort` that a test can cut and restore. While cut, a
 * new connection is accepted and reset at once, and every relayed socket is
 * destroyed: the broker sees its client vanish (and sends its will), the
 * client sees its broker vanish.
 */
export async function startTcpLink(targetPort: number): Promise<TcpLink> {
  const sockets = new Set<net.Socket>();
  let up = true;
  const server = net.createServer((client) => {
    if (!up) {
      client.on('error', () => undefined);
      client.resetAndDestroy();
      return;
    }
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    pipeThrough(client, targetPort, sockets);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    cut() {
      up = false;
      for (const s of sockets) s.destroy();
    },
    restore() {
      up = true;
    },
    get up() {
      return up;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
