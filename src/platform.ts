/**
 * Node's platform, installed: importing this module plugs local files, `worker_threads` decode threads,
 * zlib's CRC-32 and the TensorFlow.js backend packages into the stages that declare them (`StorePlatform`, `DecodePlatform`,
 * `BackendPlatform`). Every Node entry imports it first, so the platform is chosen once, by the entry; the
 * stages never import it back. The browser build (scripts/bundle-browser.ts) puts src/browser/platform.ts,
 * which installs the browser's twins, in this module's place.
 */
import { installDecodePlatform } from './readers/decode-platform.js';
import { installStorePlatform } from './store/store-platform.js';
import { installBackendPlatform } from './tfjs/backend-platform.js';
import { awsSharedConfig } from './node/aws-shared-config.js';
import { crc32 } from './node/crc32.js';
import { diskChunkCache } from './node/disk-chunk-cache.js';
import { pathLocation } from './node/local-location.js';
import { importBackend, PREFERRED_BACKENDS } from './node/native-backend.js';
import { createDecodePool, defaultWorkerCount } from './node/worker-decode-pool.js';

installStorePlatform({ crc32, pathLocation, openDiskCache: diskChunkCache, awsSharedConfig });
installDecodePlatform({ createDecodePool, defaultWorkerCount });
installBackendPlatform({ preferredBackends: PREFERRED_BACKENDS, importBackend });
