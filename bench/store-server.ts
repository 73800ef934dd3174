// The bench's HTTP store: `storeRequestHandler` in a process of its own (so serving never competes with the
// reader measured), on 127.0.0.1, answering every request `latencyMs` late (an object store's first-byte
// latency; 0: none). Prints the URL on its first stdout line; runs until killed.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { storeRequestHandler } from '../src/index.js';

const [dir, latency] = process.argv.slice(2);
if (!dir) throw new Error('usage: store-server.ts <store folder> [latency ms]');
const latencyMs = Number(latency ?? 0);
const handle = storeRequestHandler(dir);
const server = createServer((req, res) => {
  if (latencyMs > 0) setTimeout(() => handle(req, res), latencyMs);
  else handle(req, res);
});
server.keepAliveTimeout = 60_000;
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
process.stdout.write(`http://127.0.0.1:${(server.address() as AddressInfo).port}/\n`);
