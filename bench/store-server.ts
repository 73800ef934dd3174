// The bench's HTTP store: `serveStore` in a process of its own (so serving never competes with the reader
// measured), on 127.0.0.1. Prints the URL on its first stdout line; runs until killed.
import { serveStore } from '../src/index.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: store-server.ts <store folder>');
const server = await serveStore(dir, { port: 0 });
process.stdout.write(`${server.url}\n`);
