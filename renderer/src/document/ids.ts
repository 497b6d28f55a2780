/** Short unique ids for layers, strokes and drag pairs (unique within a session and a document). */
let counter = 0;

export function makeId(prefix: string): string {
  counter = (counter + 1) % 0x100000;
  const random = Math.floor(Math.random() * 0x100000000).toString(36);
  return `${prefix}_${random}${counter.toString(36)}`;
}
