import { SchemaError } from '../errors.js';

/** A Python global (class or function) the unpickler was allowed to name: `module.name`. */
export interface PyGlobal {
  readonly pyGlobal: string;
}

/** An object built from an allowed class: its constructor args, namedtuple items and `__setstate__` state. */
export interface PyObject {
  readonly pyClass: string;
  args: unknown[];
  state: Map<unknown, unknown>;
  /** Items of a tuple subclass (namedtuple) or entries of an OrderedDict. */
  items: unknown[];
}

export interface PyDecimal {
  readonly decimal: string;
}

const NUMPY_TYPES = new Set([
  'bool_', 'bool8', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'float16', 'float32', 'float64',
  'string_', 'bytes_', 'unicode_', 'str_', 'object_', 'dtype', 'datetime64', 'timedelta64',
]);

/** Only these names may appear in a pickle; anything else is refused before it is used. */
function allowed(name: string): boolean {
  const dot = name.lastIndexOf('.');
  const mod = name.slice(0, dot);
  const attr = name.slice(dot + 1);
  if (mod === 'numpy') return NUMPY_TYPES.has(attr);
  if (mod === 'pyspark.sql.types') return /^[A-Za-z]+Type$/.test(attr) || attr === 'StructField';
  if (mod === 'petastorm.codecs') return ['ScalarCodec', 'NdarrayCodec', 'CompressedNdarrayCodec', 'CompressedImageCodec'].includes(attr);
  if (mod === 'petastorm.unischema') return attr === 'Unischema' || attr === 'UnischemaField';
  return [
    'copy_reg._reconstructor', 'copyreg._reconstructor', 'copyreg.__newobj__', 'copy_reg.__newobj__',
    '__builtin__.object', 'builtins.object', '__builtin__.tuple', 'builtins.tuple',
    'collections.OrderedDict', 'decimal.Decimal',
    // PySpark's namedtuple pickling (Petastorm <= 0.4 under Spark): _restore(name, field_names, values).
    'pyspark.serializers._restore',
  ].includes(name);
}

const MARK = Symbol('mark');

function newObject(pyClass: string, args: unknown[] = []): PyObject {
  return { pyClass, args, state: new Map(), items: [] };
}

function call(fn: unknown, args: unknown[], where: string): unknown {
  if (!fn || typeof fn !== 'object' || !('pyGlobal' in fn)) throw new SchemaError(`${where}: pickle calls something that is not an allowed class`);
  const name = (fn as PyGlobal).pyGlobal;
  switch (name) {
    case 'copy_reg._reconstructor':
    case 'copyreg._reconstructor': {
      const [cls, base, state] = args as [PyGlobal, PyGlobal, unknown];
      const obj = newObject(cls.pyGlobal);
      if (base.pyGlobal.endsWith('.tuple') && Array.isArray(state)) obj.items = [...state];
      return obj;
    }
    case 'copyreg.__newobj__':
    case 'copy_reg.__newobj__': {
      const [cls, ...rest] = args as [PyGlobal, ...unknown[]];
      const obj = newObject(cls.pyGlobal, rest);
      obj.items = rest;
      return obj;
    }
    case 'collections.OrderedDict': {
      const obj = newObject(name);
      if (Array.isArray(args[0])) obj.items = (args[0] as unknown[][]).map((p) => [p[0], p[1]]);
      return obj;
    }
    case 'pyspark.serializers._restore': {
      const [tupleName, , values] = args as [string, unknown, unknown[]];
      if (tupleName !== 'UnischemaField') throw new SchemaError(`${where}: pickle restores a namedtuple ${JSON.stringify(tupleName)}; only UnischemaField is allowed`);
      const obj = newObject('petastorm.unischema.UnischemaField');
      obj.items = Array.isArray(values) ? [...values] : [];
      return obj;
    }
    case 'decimal.Decimal':
      return { decimal: String(args[0]) } satisfies PyDecimal;
    default:
      return newObject(name, args);
  }
}

/** Python's `str` literal syntax as pickle protocol 0 writes it (`'abc\\n'` or `"it's"`). */
function pyStringLiteral(s: string, where: string): string {
  const q = s[0];
  if ((q !== "'" && q !== '"') || s[s.length - 1] !== q) throw new SchemaError(`${where}: bad pickle STRING ${s.slice(0, 40)}`);
  const body = s.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = body[++i];
    const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '0': '\0' };
    if (n === 'x') {
      out += String.fromCharCode(parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (n !== undefined && n in simple) out += simple[n];
    else out += `\\${n ?? ''}`;
  }
  return out;
}

function rawUnicodeEscape(s: string): string {
  return s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, a: string | undefined, b: string | undefined) => String.fromCodePoint(parseInt(a ?? b!, 16)));
}

/**
 * Unpickles a Python pickle (protocols 0–5) without executing anything: only the classes a Petastorm
 * `Unischema` uses (Unischema, UnischemaField, OrderedDict, numpy dtypes, Petastorm codecs, Spark types,
 * Decimal) may be named, and they become plain records. Any other global, persistent id, extension code
 * or out-of-band buffer is refused with a `SchemaError`.
 *
 * @example
 * const schema = restrictedUnpickle(bytes, '_common_metadata') as PyObject; // pyClass 'petastorm.unischema.Unischema'
 */
export function restrictedUnpickle(bytes: Uint8Array, where = 'pickle'): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const latin1 = new TextDecoder('latin1');
  const utf8 = new TextDecoder('utf-8');
  let pos = 0;
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  const fail = (why: string) => new SchemaError(`${where}: ${why} (pickle byte ${pos})`);
  const need = (n: number) => {
    if (pos + n > bytes.length) throw fail('truncated pickle');
  };
  const readLine = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) throw fail('truncated pickle (no newline)');
    const s = latin1.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const take = (n: number) => {
    need(n);
    const b = bytes.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  const u8 = () => take(1)[0]!;
  const u32 = () => {
    need(4);
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = () => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(bytes.length)) throw fail('length exceeds the pickle');
    return Number(v);
  };
  const popMark = () => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) throw fail('MARK missing');
    return stack.splice(i).slice(1);
  };
  const pop = () => {
    if (stack.length === 0) throw fail('stack underflow');
    return stack.pop();
  };
  const top = () => {
    if (stack.length === 0) throw fail('stack underflow');
    return stack[stack.length - 1];
  };
  const global = (name: string) => {
    if (!allowed(name)) throw fail(`refusing to load ${name}: only Petastorm schema classes may appear in a schema pickle`);
    return { pyGlobal: name } satisfies PyGlobal;
  };
  const setItems = (target: unknown, kv: unknown[]) => {
    for (let i = 0; i + 1 < kv.length; i += 2) {
      if (target instanceof Map) target.set(kv[i], kv[i + 1]);
      else if (target && typeof target === 'object' && 'pyClass' in target) (target as PyObject).items.push([kv[i], kv[i + 1]]);
      else throw fail('SETITEM on a non-dict');
    }
  };
  const long = (b: Uint8Array) => {
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    if (b.length && b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
    return Number.isSafeInteger(Number(v)) ? Number(v) : v;
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: u8(); break; // PROTO
      case 0x95: take(8); break; // FRAME
      case 0x2e: return pop(); // STOP
      case 0x28: stack.push(MARK); break;
      case 0x30: pop(); break;
      case 0x31: popMark(); break;
      case 0x32: stack.push(top()); break;
      case 0x4e: stack.push(null); break;
      case 0x88: stack.push(true); break;
      case 0x89: stack.push(false); break;
      case 0x49: { // INT
        const s = readLine();
        stack.push(s === '01' ? true : s === '00' ? false : Number(s));
        break;
      }
      case 0x4c: { // LONG
        const s = readLine().replace(/L$/, '');
        const v = BigInt(s);
        stack.push(Number.isSafeInteger(Number(v)) ? Number(v) : v);
        break;
      }
      case 0x46: stack.push(Number(readLine())); break;
      case 0x47: { need(8); stack.push(view.getFloat64(pos, false)); pos += 8; break; }
      case 0x4a: { need(4); stack.push(view.getInt32(pos, true)); pos += 4; break; }
      case 0x4b: stack.push(u8()); break;
      case 0x4d: { need(2); stack.push(view.getUint16(pos, true)); pos += 2; break; }
      case 0x8a: stack.push(long(take(u8()))); break;
      case 0x8b: stack.push(long(take(u32()))); break;
      case 0x53: stack.push(pyStringLiteral(readLine(), where)); break;
      case 0x56: stack.push(rawUnicodeEscape(readLine())); break;
      case 0x54: stack.push(latin1.decode(take(u32()))); break;
      case 0x55: stack.push(latin1.decode(take(u8()))); break;
      case 0x58: stack.push(utf8.decode(take(u32()))); break;
      case 0x8c: stack.push(utf8.decode(take(u8()))); break;
      case 0x8d: stack.push(utf8.decode(take(u64()))); break;
      case 0x42: stack.push(take(u32()).slice()); break;
      case 0x43: stack.push(take(u8()).slice()); break;
      case 0x8e: stack.push(take(u64()).slice()); break;
      case 0x96: stack.push(take(u64()).slice()); break;
      case 0x29: stack.push([]); break; // EMPTY_TUPLE
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x8f: stack.push(new Set()); break;
      case 0x74: stack.push(popMark()); break; // TUPLE
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x85: stack.push([pop()]); break;
      case 0x86: { const b = pop(); const a = pop(); stack.push([a, b]); break; }
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push([a, b, c]); break; }
      case 0x91: stack.push(new Set(popMark())); break;
      case 0x90: { const items = popMark(); const s = top(); if (!(s instanceof Set)) throw fail('ADDITEMS on a non-set'); items.forEach((x) => s.add(x)); break; }
      case 0x64: { const kv = popMark(); const d = new Map(); setItems(d, kv); stack.push(d); break; }
      case 0x61: { const v = pop(); const l = top(); if (!Array.isArray(l)) throw fail('APPEND on a non-list'); l.push(v); break; }
      case 0x65: { const vs = popMark(); const l = top(); if (!Array.isArray(l)) throw fail('APPENDS on a non-list'); l.push(...vs); break; }
      case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; }
      case 0x75: { const kv = popMark(); setItems(top(), kv); break; }
      case 0x63: { const mod = readLine(); const name = readLine(); stack.push(global(`${mod}.${name}`)); break; }
      case 0x93: { const name = pop(); const mod = pop(); stack.push(global(`${String(mod)}.${String(name)}`)); break; }
      case 0x52: { const args = pop(); const fn = pop(); stack.push(call(fn, args as unknown[], where)); break; }
      case 0x81: { const args = pop() as unknown[]; const cls = pop(); stack.push(call({ pyGlobal: 'copyreg.__newobj__' }, [cls, ...args], where)); break; }
      case 0x92: { pop(); const args = pop() as unknown[]; const cls = pop(); stack.push(call({ pyGlobal: 'copyreg.__newobj__' }, [cls, ...args], where)); break; }
      case 0x69: { const mod = readLine(); const name = readLine(); const args = popMark(); stack.push(call(global(`${mod}.${name}`), args, where)); break; }
      case 0x6f: { const [cls, ...args] = popMark(); stack.push(call(cls, args, where)); break; }
      case 0x62: { // BUILD
        const state = pop();
        const obj = top() as PyObject;
        if (!obj || typeof obj !== 'object' || !('pyClass' in obj)) throw fail('BUILD on a non-object');
        const dicts = Array.isArray(state) ? state : [state];
        for (const d of dicts) if (d instanceof Map) for (const [k, v] of d) obj.state.set(k, v);
        break;
      }
      case 0x70: memo.set(Number(readLine()), top()); break;
      case 0x71: memo.set(u8(), top()); break;
      case 0x72: memo.set(u32(), top()); break;
      case 0x94: memo.set(memo.size, top()); break;
      case 0x67: stack.push(memoGet(Number(readLine()))); break;
      case 0x68: stack.push(memoGet(u8())); break;
      case 0x6a: stack.push(memoGet(u32())); break;
      case 0x50: case 0x51: throw fail('refusing a persistent id');
      case 0x82: case 0x83: case 0x84: throw fail('refusing an extension code');
      case 0x97: case 0x98: throw fail('refusing an out-of-band buffer');
      default: throw fail(`unknown pickle opcode 0x${op.toString(16)}`);
    }
  }
  function memoGet(i: number) {
    if (!memo.has(i)) throw fail(`memo ${i} missing`);
    return memo.get(i);
  }
}
