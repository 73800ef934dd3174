import { Decompress as PortableZstdStream } from 'fzstd';

/**
 * A zstd frame decompressed as its bytes arrive: `push` input (the last with `final`), output is handed to
 * the callback given at creation, in order. `close` releases what a stream left unfinished holds.
 */
export interface ZstdStream {
  push(input: Uint8Array, final: boolean): void;
  close(): void;
}

type ZstdStreamFactory = (onData: (chunk: Uint8Array) => void) => ZstdStream;

interface StreamingDecoder {
  init(): Promise<void>;
  decodeStreaming(arrays: Iterable<Uint8Array>): Generator<Uint8Array>;
}

/**
 * facebook/zstd's streaming decoder compiled to WebAssembly (zstddec), about 2.3× faster than the portable
 * one on DuckDB's 100 MB pages. Its generator pulls the next input synchronously and neither reports a
 * corrupt frame nor frees an abandoned stream, so the adapter keeps the next input queued before it resumes
 * the generator, stops at a call that made no progress (a corrupt frame: it would loop forever), and on
 * `close` ends the input so the generator runs to its end and frees its context (at most one queued input
 * is decompressed in vain).
 */
function wasmStream(decoder: StreamingDecoder): ZstdStreamFactory {
  return (onData) => {
    const queue: Uint8Array[] = [];
    let ended = false;
    let taken = 0;
    const inputs: Iterable<Uint8Array> = {
      [Symbol.iterator]: () => ({
        next: () => {
          const value = queue.shift();
          if (!value) return { done: true, value: undefined };
          taken++;
          return { done: false, value };
        },
      }),
    };
    const generator = decoder.decodeStreaming(inputs);
    let done = false;
    let failed: Error | null = null;
    /** Output-less calls in a row since the last input was taken: two mean the decoder is stuck. */
    let idle = 0;
    const run = (emit: boolean) => {
      while (!done && (ended || queue.length > 0)) {
        const before = taken;
        let step: IteratorResult<Uint8Array>;
        try {
          step = generator.next();
        } catch (err) {
          done = true;
          if (emit) throw err;
          return;
        }
        if (step.done) {
          done = true;
          return;
        }
        if (step.value.length > 0) {
          idle = 0;
          if (emit) onData(step.value);
        } else if (taken === before && ++idle >= 2) {
          // No output and no input taken twice: the frame is corrupt (the decoder would never move on).
          done = true;
          failed = new Error('zstd could not decompress the page (corrupt frame)');
          if (emit) throw failed;
          return;
        } else if (taken !== before) idle = 0;
      }
    };
    return {
      push(input, final) {
        if (failed) throw failed;
        if (done) {
          if (input.length) throw new Error('zstd frame ended before the page did');
          return;
        }
        if (input.length) queue.push(input);
        if (final) ended = true;
        run(true);
      },
      close() {
        if (done || failed) return;
        queue.length = 0;
        ended = true;
        run(false);
      },
    };
  };
}

const portableStream: ZstdStreamFactory = (onData) => {
  const z = new PortableZstdStream((chunk) => onData(chunk));
  return { push: (input, final) => z.push(input, final), close: () => {} };
};

let factory: Promise<{ create: ZstdStreamFactory; kind: 'wasm' | 'js' }> | null = null;

/** Internal switch for differential tests: stream zstd with the portable decoder. */
export const zstdStreamSettings = { portable: false };

/**
 * The streaming zstd decoder of this thread: the WebAssembly one when it loads and decodes a known frame,
 * else the portable fzstd (loaded once per thread).
 */
export async function zstdStreamFactory(): Promise<ZstdStreamFactory> {
  factory ??= (async () => {
    try {
      const { ZSTDDecoder } = await import('zstddec/stream');
      const decoder = new ZSTDDecoder();
      await decoder.init();
      const create = wasmStream(decoder);
      // A known frame, decoded before the decoder is trusted with data.
      const probe = Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd, 0x20, 0x05, 0x29, 0x00, 0x00, 0x68, 0x65, 0x6c, 0x6c, 0x6f]);
      const out: number[] = [];
      create((c) => out.push(...c)).push(probe, true);
      if (String.fromCharCode(...out) !== 'hello') throw new Error(`decoded a known frame as ${JSON.stringify(String.fromCharCode(...out))}`);
      return { create, kind: 'wasm' as const };
    } catch {
      return { create: portableStream, kind: 'js' as const };
    }
  })();
  const { create } = await factory;
  return zstdStreamSettings.portable ? portableStream : create;
}

/** Which streaming zstd decoder this thread uses: 'wasm' (zstddec) or 'js' (fzstd, when the WebAssembly one did not load). */
export async function zstdStreamKind(): Promise<'wasm' | 'js'> {
  await zstdStreamFactory();
  return (await factory!).kind;
}
