import net from 'node:net';

/** A TCP relay on 127.0.0.1 that counts the bytes each way: what a site's uplink carries for one client. */
export interface ByteRelay {
  port: number;
  /** bytes from the clients to the target (a gateway's upload) and back, so far */
  readonly up: number;
  readonly down: number;
  close(): Promise<void>;
}

/** Relays every connection to 127.0.0.1:`targetPort`, counting bytes; for benchmarks. */
export async function startByteRelay(targetPort: number): Promise<ByteRelay> {
  let up = 0;
  let down = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const target = net.connect({ host: '127.0.0.1', port: targetPort });
    for (const s of [client, target]) {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.on('data', (d: Buffer) => (up += d.length));
    target.on('data', (d: Buffer) => (down += d.length));
    client.on('close', () => target.destroy());
    target.on('close', () => client.destroy());
    client.pipe(target);
    target.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as net.AddressInfo).port,
    get up() {
      return up;
    },
    get down() {
      return down;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
