// @foxglove/wasm-zstd's Emscripten module (the package types only its Buffer-based index.js).
declare module '@foxglove/wasm-zstd/dist/wasm-zstd.js' {
  const factory: () => Promise<unknown>;
  export default factory;
}
