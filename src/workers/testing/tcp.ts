/** Test helpers: small TCP servers on 127.0.0.1 that misbehave on purpose (silent, closing, a proxy that goes silent). */
import { connect, createServer, type Socket } from 'node:net';

/** A TCP server on a free loopback port that counts connections and does `onSocket` with each. */
export async function tcpServer(onSocket: (s: Socket) => void): Promise<{ port: number; count: () => number; close: () => void }> {
  let n = 0;
  const sockets: Socket[] = [];
  const server = createServer((s) => {
    n++;
    sockets.push(s);
    s.on('error', () => undefined);
    onSocket(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  const close = (): void => {
    server.close();
    for (const s of sockets) s.destroy();
  };
  return { port: typeof a === 'object' && a ? a.port : 0, count: () => n, close };
}

/** A TCP proxy to 127.0.0.1:`targetPort` whose open connections can be made to go silent. */
export interface SilenceableProxy {
  readonly port: number;
  /**
   * The connections open now stop passing bytes either way, for good, and stay open: what a client sees when
   * the network path to its server goes silent (no reset, no answer). Later connections pass bytes as usual.
   */
  silence(): void;
  /** Drops every connection and stops listening. */
  close(): void;
}

/** Starts a {@link SilenceableProxy} in front of a server on 127.0.0.1:`targetPort`. */
export async function silenceableProxy(targetPort: number): Promise<SilenceableProxy> {
  const open = new Set<{ silent: boolean }>();
  const upstreams: Socket[] = [];
  const server = await tcpServer((down) => {
    const pair = { silent: false };
    open.add(pair);
    const up = connect(targetPort, '127.0.0.1');
    upstreams.push(up);
    up.on('error', () => down.destroy());
    down.on('close', () => up.destroy());
    up.on('close', () => {
      if (!pair.silent) down.destroy();
    });
    down.on('data', (b) => {
      if (!pair.silent) up.write(b);
    });
    up.on('data', (b) => {
      if (!pair.silent) down.write(b);
    });
  });
  return {
    port: server.port,
    silence() {
      for (const pair of open) pair.silent = true;
      open.clear();
    },
    close() {
      server.close();
      for (const s of upstreams) s.destroy();
    },
  };
}
