import net from 'node:net';

/** Whether something at host:port accepts a TCP connection within `deadlineMs`; the connection is closed at once. Never throws. */
export function tcpAnswers(host: string, port: number, deadlineMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), Math.max(1, deadlineMs));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
