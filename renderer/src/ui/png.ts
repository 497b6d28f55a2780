/** A Blob over PNG bytes from the engine (copied: the engine's buffer may be shared or reused). */
export function pngBlob(bytes: Uint8Array): Blob {
  return new Blob([bytes.slice() as Uint8Array<ArrayBuffer>], { type: 'image/png' });
}
