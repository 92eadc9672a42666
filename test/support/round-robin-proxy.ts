import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RoundRobinProxy {
  url: string;
  close(): Promise<void>;
}

/**
 * A load balancer on loopback: each request goes to the next upstream in turn; one that refuses
 * the connection (a dead replica) is skipped, as a health-checked balancer would.
 */
export async function startRoundRobinProxy(upstreams: string[]): Promise<RoundRobinProxy> {
  let next = 0;
  const down = new Set<string>();
  const pick = (): string => {
    for (let i = 0; i < upstreams.length; i += 1) {
      const upstream = upstreams[next++ % upstreams.length]!;
      if (!down.has(upstream)) return upstream;
    }
    return upstreams[next++ % upstreams.length]!;
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const attempt = (tries: number) => {
        const upstream = pick();
        const target = new URL(req.url ?? '/', upstream);
        const forward = request(target, { method: req.method, headers: req.headers }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        forward.on('error', () => {
          down.add(upstream);
          if (tries > 1 && !res.headersSent) attempt(tries - 1);
          else if (!res.headersSent) res.writeHead(502).end();
        });
        forward.end(body);
      };
      attempt(upstreams.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
