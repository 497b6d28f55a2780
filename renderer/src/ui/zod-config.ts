/**
 * Imported first by main.tsx: the page's CSP forbids eval, and zod probes for it (`Function('')`)
 * when its first object schema is built — the probe is caught, but Chromium still reports a CSP
 * violation. `jitless` skips the probe (and the JIT it would enable).
 */
import { z } from 'zod';

z.config({ jitless: true });
