// A TCP relay to a guest's sshd that a test can cut (connections dropped, new ones refused) and restore: "the
// primary's ssh is down" while the shared guest and its sshd stay up. Host keys stay checked: `knownHostsFor`
// repeats the guest's keys for the relay's port.
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';

/** A TCP relay to the guest's sshd that can be cut (connections dropped, new ones refused) and restored. */
export const relay = async (to: number) => {
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((c) => {
        const u = connect(to, '127.0.0.1');
        for (const s of [c, u]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => s.destroy());
        }
        c.pipe(u).pipe(c);
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as { port: number }).port;
        resolve();
      });
    });
  await listen();
  return {
    get port() {
      return port;
    },
    async cut() {
      await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
      for (const s of sockets) s.destroy();
      server = null;
    },
    restore: listen,
    async stop() {
      await this.cut();
    },
  };
};

export type Relay = Awaited<ReturnType<typeof relay>>;

/** Writes `file`: the guest's known_hosts lines, plus the same keys for the relay's port. */
export const knownHostsFor = (file: string, guestKnownHosts: string, guestPort: number, link: Relay): void => {
  const known = readFileSync(guestKnownHosts, 'utf8').split('\n').filter(Boolean);
  writeFileSync(file, [...known, ...known.map((l) => l.replace(`[127.0.0.1]:${guestPort}`, `[127.0.0.1]:${link.port}`))].join('\n') + '\n');
};
