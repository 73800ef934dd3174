export { portableCrc32 as crc32 } from '../store/portable-crc32.js';
