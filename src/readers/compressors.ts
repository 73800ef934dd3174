import { decompress as fzstd } from 'fzstd';
import type { Compressors } from 'hyparquet';

/** Which zstd decoder the decode path uses, and why when it is not the fast one. */
export interface ZstdDecoderInfo {
  /** The npm package doing the work. */
  name: '@foxglove/wasm-zstd' | 'fzstd';
  /** 'wasm': facebook/zstd compiled to WebAssembly (~5× faster here); 'js': the portable pure-JS decoder. */
  kind: 'wasm' | 'js';
  /** Why the portable decoder is in use (the WebAssembly one failed to load or to decode a known frame). */
  fallbackReason?: string;
}

type Decompress = (input: Uint8Array, outputLength: number) => Uint8Array;

/**
 * Pages larger than this go to the portable decoder: the WebAssembly heap grows to the largest output it
 * is asked for and never shrinks, so a corrupt header claiming gigabytes must not reach it. Writers cut
 * pages at about 1 MiB.
 */
const WASM_MAX_OUTPUT = 64 * 2 ** 20;

/** A compressed zstd frame (with a sequence, so the entropy stages run) and its text: checks the loaded decoder before it is trusted with data. */
const PROBE = Uint8Array.from([
  0x28, 0xb5, 0x2f, 0xfd, 0x24, 0x38, 0xb5, 0x00, 0x00, 0x80, 0x70, 0x61, 0x72, 0x71, 0x75, 0x65, 0x74, 0x20, 0x70, 0x61, 0x67, 0x65, 0x2c, 0x20, 0x21, 0x0a, 0x01, 0x00, 0xa3,
  0x9c, 0x4a, 0x17, 0x48, 0x94, 0xd9,
]);
const PROBE_TEXT = 'parquet page, parquet page, parquet page, parquet page!\n';

// fzstd sizes its output from the frame (hyparquet then checks it against the page header).
const portableZstd: Decompress = (input) => fzstd(input);

/** The parts of @foxglove/wasm-zstd's Emscripten module (facebook/zstd compiled to WebAssembly) the decoder uses. */
interface ZstdModule {
  HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(pointer: number): void;
  /** ZSTD_decompress: bytes written, or -1 for a frame it cannot decode. */
  _decompress(dest: number, destSize: number, src: number, srcSize: number): number;
}

async function loadWasmZstd(): Promise<Decompress> {
  // The package's Emscripten module itself, not its index.js: that wrapper copies through Node's Buffer,
  // which a browser has not. A CommonJS module: its exports are the default export under Node's ESM loader.
  const factory = (await import('@foxglove/wasm-zstd/dist/wasm-zstd.js')).default as () => Promise<ZstdModule>;
  const zstd = await factory();
  const decompress: Decompress = (input, outputLength) => {
    const src = zstd._malloc(input.length);
    const dest = zstd._malloc(outputLength);
    try {
      // HEAPU8 is read after each call: the heap may grow (and be replaced) on malloc.
      zstd.HEAPU8.set(input, src);
      const written = zstd._decompress(dest, outputLength, src, input.length);
      if (written < 0) throw new Error('zstd could not decompress the page (corrupt frame)');
      return zstd.HEAPU8.slice(dest, dest + written);
    } finally {
      zstd._free(src);
      zstd._free(dest);
    }
  };
  const probe = new TextDecoder().decode(decompress(PROBE, PROBE_TEXT.length));
  if (probe !== PROBE_TEXT) throw new Error(`decoded a known frame as ${JSON.stringify(probe)}`);
  return decompress;
}

/** Internal switch for differential tests: decode zstd with the portable decoder on this thread. */
export const compressorSettings = { portableZstd: false };

let zstd: Promise<{ zstd: Decompress; info: ZstdDecoderInfo }> | null = null;
/** hyparquet-compressors' other codecs (Brotli's dictionary, a wasm Snappy, ...): loaded on first need. */
let others: Promise<void> | null = null;
/** What the decode path hands hyparquet: every codec loaded so far, an empty input mapped to an empty page. */
const compressors: Compressors = {};

const emptyToEmpty =
  (fn: Decompress): Decompress =>
  (input, outputLength) =>
    input.length === 0 ? new Uint8Array(outputLength) : fn(input, outputLength);

function loadZstd(): Promise<{ zstd: Decompress; info: ZstdDecoderInfo }> {
  zstd ??= (async () => {
    let info: ZstdDecoderInfo;
    let fast: Decompress | null = null;
    try {
      fast = await loadWasmZstd();
      info = { name: '@foxglove/wasm-zstd', kind: 'wasm' };
    } catch (err) {
      info = { name: 'fzstd', kind: 'js', fallbackReason: `@foxglove/wasm-zstd did not load: ${err instanceof Error ? err.message : String(err)}` };
    }
    const decompress: Decompress = (input, outputLength) => {
      if (!fast || outputLength > WASM_MAX_OUTPUT || compressorSettings.portableZstd) return portableZstd(input, outputLength);
      try {
        return fast(input, outputLength);
      } catch (err) {
        if (!(err instanceof WebAssembly.RuntimeError)) throw err;
        fast = null;
        info.name = 'fzstd';
        info.kind = 'js';
        info.fallbackReason = `@foxglove/wasm-zstd trapped: ${err.message}`;
        return portableZstd(input, outputLength);
      }
    };
    compressors.ZSTD = emptyToEmpty(decompress);
    return { zstd: decompress, info };
  })();
  return zstd;
}

/**
 * The decompressors of the decode path for pages of `codecs` (once per thread): zstd from
 * `@foxglove/wasm-zstd` when it loads and decodes a known frame, else the portable `fzstd`; the other codecs
 * from hyparquet-compressors, imported only when a store uses one (a decode thread starts faster). A
 * WebAssembly trap while decoding switches the thread to the portable decoder for good (the page is decoded
 * again by it, so a corrupt page still fails with the portable decoder's error). Every codec maps an empty
 * input to an empty output: hyparquet-compressors' wasm snappy rejects one, which a v2 data page with no
 * values has (parquet-testing datapage_v2_empty_datapage).
 */
export async function loadCompressors(codecs: Iterable<string> = ['ZSTD', 'SNAPPY', 'GZIP', 'BROTLI', 'LZ4', 'LZ4_RAW']): Promise<{ compressors: Compressors; info: ZstdDecoderInfo }> {
  const { info } = await loadZstd();
  for (const codec of codecs) {
    if (codec === 'ZSTD' || codec === 'UNCOMPRESSED' || compressors[codec as keyof Compressors]) continue;
    others ??= import('hyparquet-compressors').then(({ compressors: all }) => {
      for (const [name, fn] of Object.entries(all)) if (name !== 'ZSTD') compressors[name as keyof Compressors] = emptyToEmpty(fn as Decompress);
    });
    await others;
    break;
  }
  return { compressors, info };
}

/**
 * Which zstd decoder reading a store uses in this process (decode workers load the same one): the
 * WebAssembly build of facebook/zstd, or the portable pure-JS decoder with the reason.
 *
 * @example
 * const { name, kind, fallbackReason } = await zstdDecoder();
 * console.log(`zstd: ${name} (${kind})${fallbackReason ? `: ${fallbackReason}` : ''}`);
 */
export async function zstdDecoder(): Promise<ZstdDecoderInfo> {
  return { ...(await loadZstd()).info };
}
