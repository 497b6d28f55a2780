// `npm run setup`: install the studio and open it — on every machine. Plain Node, no dependencies:
// it runs before anything is installed.
//
// `npm ci` alone fails outright where Electron's download host (GitHub) cannot be reached: the
// electron package's install script exits 1 and the user is left with nothing. So the packages are
// installed without Electron's binary, the binary is then fetched on its own, and when that fails
// the reason is said in one line and the studio opens in the browser instead (`npm start` serves it
// in browser mode whenever the binary is missing). ONNX Runtime's CUDA download is skipped as
// `.npmrc` says (npm 10 runs install scripts without asking `allowScripts`).
//
//   npm run setup [-- --no-install] [-- --no-start]
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
// Windows runs .cmd files only through a shell.
const shell = process.platform === 'win32';

function run(cmd, cmdArgs, env = process.env) {
  const r = spawnSync(cmd, cmdArgs, { cwd: root, env, stdio: 'inherit', shell });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

if (!args.has('--no-install')) {
  const status = run(npm, ['ci', '--no-audit', '--no-fund'], { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1', ONNXRUNTIME_NODE_INSTALL: process.env.ONNXRUNTIME_NODE_INSTALL ?? 'skip' });
  if (status !== 0) process.exit(status);
}

if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) {
  console.log('Electron\'s binary is not installed (ELECTRON_SKIP_BINARY_DOWNLOAD is set): the studio opens in your browser.');
} else {
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules', 'electron', 'install.js')], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) {
    const why = `${r.stderr ?? ''}${r.stdout ?? ''}`.split('\n').map((l) => l.trim()).find((l) => l && !l.startsWith('at ')) ?? (r.error?.message || 'unknown reason');
    console.log(`Electron's binary could not be downloaded (${why.slice(0, 160)}); the studio opens in your browser instead — \`node node_modules/electron/install.js\` fetches it later.`);
  }
}

if (!args.has('--no-start')) process.exit(run(npm, ['start']));
