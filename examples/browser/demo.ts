/**
 * `npm run demo`: serves the training page and a demo store on 127.0.0.1 and prints the page's address.
 * Open it in a browser: the page trains an LSTM from the store over HTTP range requests.
 *
 *   npm run demo -- [--port 8080] [--store <dir>]   (default store: out/demo-store, synthetic, written once)
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startDemoServer } from './server.js';

const { values } = parseArgs({ options: { port: { type: 'string', default: '8080' }, store: { type: 'string', default: join('out', 'demo-store') }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  console.log('Usage: npm run demo -- [--port 8080] [--store <dir>]   serves the browser demo on 127.0.0.1');
  process.exit(0);
}
const server = await startDemoServer({ storeDir: values.store, buildDir: join('out', 'demo'), port: Number(values.port) });
console.log(`demo: open ${server.url} in a browser (store ${values.store} at ${server.url}store/, SYNTHETIC prices); Ctrl-C stops`);
const stop = () => void server.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
