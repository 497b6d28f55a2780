/** The autosave backend over IndexedDB: one database, three object stores, one transaction per write. */
import type { AutosaveBackend, StoreName, WriteOp } from './autosave.js';

const DB_NAME = 'driftline-studio';
const STORES: StoreName[] = ['meta', 'docs', 'pixels'];

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });
}

export async function openIndexedDbBackend(name = DB_NAME): Promise<AutosaveBackend> {
  if (typeof indexedDB === 'undefined') throw new Error('this browser has no IndexedDB');
  const open = indexedDB.open(name, 1);
  open.onupgradeneeded = () => {
    for (const s of STORES) if (!open.result.objectStoreNames.contains(s)) open.result.createObjectStore(s);
  };
  const db = await request(open);
  return {
    async get(store, key) {
      return request(db.transaction(store, 'readonly').objectStore(store).get(key));
    },
    async keys(store) {
      const keys = await request(db.transaction(store, 'readonly').objectStore(store).getAllKeys());
      return keys.filter((k): k is string => typeof k === 'string');
    },
    write(ops: WriteOp[]) {
      return new Promise<void>((resolve, reject) => {
        const stores = [...new Set(ops.map((o) => o.store))];
        if (stores.length === 0) return resolve();
        const tx = db.transaction(stores, 'readwrite');
        tx.oncomplete = () => resolve();
        tx.onabort = () => reject(tx.error ?? new Error('the autosave transaction was aborted'));
        tx.onerror = () => undefined; // onabort follows with the cause
        try {
          for (const op of ops) {
            const os = tx.objectStore(op.store);
            if ('delete' in op) os.delete(op.key);
            else os.put(op.value, op.key);
          }
          // Ask for the commit now rather than when the event loop next turns: a save made as the
          // page is left must not wait for a turn that never comes.
          tx.commit?.();
        } catch (e) {
          tx.abort();
          reject(e);
        }
      });
    },
  };
}
