import type { DecodedRowGroup } from './decode-row-group.js';

type View = ArrayBufferView & { slice?: () => ArrayBufferView };

/** Whether `v` views the whole of an ArrayBuffer (not a SharedArrayBuffer): its buffer can move without the view's neighbours. */
export function viewsWholeBuffer(v: ArrayBufferView): boolean {
  return v.buffer instanceof ArrayBuffer && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength;
}

/**
 * The buffers to transfer (not copy) back from a worker. A typed array that is a view into a larger buffer
 * (a decompressed page) or shares its buffer with another column is copied first, so each transferred
 * buffer belongs to exactly one array and nothing else is detached.
 */
export function prepareTransfer(result: DecodedRowGroup): ArrayBuffer[] {
  const seen = new Set<ArrayBufferLike>();
  const own = <T extends View>(v: T): T => {
    if (!viewsWholeBuffer(v) || seen.has(v.buffer)) {
      v = (v as unknown as { slice(): T }).slice();
    }
    seen.add(v.buffer);
    return v;
  };
  for (const [name, col] of Object.entries(result.columns)) {
    if (ArrayBuffer.isView(col)) {
      result.columns[name] = own(col as View) as never;
    } else if (Array.isArray(col)) {
      for (const v of col as unknown[]) {
        const t = v as { data?: unknown } | null;
        if (t && typeof t === 'object' && ArrayBuffer.isView(t.data)) t.data = own(t.data as View);
      }
    }
  }
  return [...seen] as ArrayBuffer[];
}
