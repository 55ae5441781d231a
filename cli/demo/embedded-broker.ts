import net from 'node:net';
import { Aedes } from 'aedes';

export interface EmbeddedBroker {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** aedes on loopback: the zero-set-up broker of the demo (MQTT 3.1.1 only). */
export async function startEmbeddedBroker(port = 0, host = '127.0.0.1'): Promise<EmbeddedBroker> {
  const broker = await Aedes.createBroker();
  const server = net.createServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as net.AddressInfo).port;
  return {
    url: `mqtt://${host}:${actual}`,
    port: actual,
    close: () =>
      new Promise((resolve) => {
        server.close(() => broker.close(() => resolve()));
        // clients still connected would hold server.close() open
        server.unref();
        setTimeout(resolve, 1000).unref();
      }),
  };
}
