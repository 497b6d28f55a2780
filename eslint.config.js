// The layers of the product, kept honest (DESIGN.md, "Processes" and "Engine layers"). Only the
// import rules that say which layer may use which are enforced here; style is the compiler's and
// the reviewer's business.
//
//   renderer            → main/api only (the contract: contract.ts, desktop.ts, wire.ts, solver-table.ts)
//   main/api            → zod and itself: the contract imports nothing it describes
//   engine (all)        → no front door, no host, no renderer
//   engine's pure core  → no I/O: no Node built-ins, no native or I/O libraries, no runtime, packs,
//                         models, files or ONNX modules (type-only imports of their shapes are fine)
//   front doors         → electron, web and cli share the contract; none reaches into another's glue
import tseslint from 'typescript-eslint';

const IO_LIBRARIES = ['sharp', 'onnxruntime-node', 'onnx-proto', 'protobufjs', '@huggingface/tokenizers', 'ws', 'electron'];
/** Imports are relative paths (`../../host/serve.js`), so folders are matched by regular expression. */
const ABOVE_ENGINE = { regex: '^(\\.\\./)+(host|web|electron|cli|renderer)/', message: 'The engine sits below the host and the front doors; it never imports them.' };

/** `@typescript-eslint/no-restricted-imports` with type-only imports allowed (they vanish at compile time). */
const restrict = (patterns) => ['error', { patterns: patterns.map((p) => ({ allowTypeImports: true, ...p })) }];

export default tseslint.config(
  { ignores: ['out/**', 'renderer/dist/**', 'node_modules/**', 'dist/**', 'release/**', 'models/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.cts'],
    languageOptions: { parser: tseslint.parser },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  {
    files: ['renderer/src/**/*.{ts,tsx}'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrict([
        { regex: '^(\\.\\./)+main/(?!api/[a-z-]+\\.js$)', message: 'The renderer talks to the engine through the contract only (main/api/).' },
        { group: ['node:*', ...IO_LIBRARIES], message: 'The renderer runs in a sandboxed page: no Node built-ins or native libraries.' },
      ]),
    },
  },
  {
    files: ['main/api/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrict([
        { group: ['../*', 'node:*', ...IO_LIBRARIES], message: 'The contract depends on nothing it describes: zod and main/api/ only.' },
      ]),
    },
  },
  {
    files: ['main/engine/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrict([
        ABOVE_ENGINE,
      ]),
    },
  },
  {
    files: [
      'main/engine/{tensor,random,schedules,denoiser,oracle,fp16}.ts',
      'main/engine/samplers/**/*.ts', 'main/engine/scheduler-config/**/*.ts', 'main/engine/editing/**/*.ts',
      'main/engine/lab/{grids,auto,lab}.ts', 'main/engine/sr/{metrics,search,stats,tiles,evaluate}.ts',
    ],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrict([
        ABOVE_ENGINE,
        { group: ['node:*', ...IO_LIBRARIES], message: 'The engine\'s pure core works on Float32Array in memory: I/O lives at the edges.' },
        {
          group: ['**/runtime/*', '**/packs/*', '**/models/*', '**/io/*', '**/image/*', '**/onnx/*', '**/lab/store.js', '**/lab/statistics.js', '**/sr/store.js', '**/sr/calibration.js'],
          message: 'The engine\'s pure core takes a denoiser and tensors; loading, files and sessions live in the I/O layers.',
        },
      ]),
    },
  },
  {
    files: ['main/electron/**/*.ts', 'preload/**/*.cts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrict([
        { regex: '^(\\.\\./)+(cli/|web/(server|guard)\\.js$|renderer/)', message: 'The desktop front door shares the contract, not another front door\'s glue.' },
      ]),
    },
  },
  {
    files: ['main/web/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrict([
        { regex: '^(\\.\\./)+(cli|electron|renderer)/', message: 'Browser mode shares the contract, not another front door\'s glue.' },
      ]),
    },
  },
);
