import { describe, expect, it } from 'vitest';
import { dataDir, modelsDir } from '../../main/engine/models/paths.js';

describe('data directory', () => {
  const home = '/home/ada';

  it('follows each platform convention', () => {
    expect(dataDir({ env: {}, platform: 'linux', home })).toBe('/home/ada/.local/share/driftline');
    expect(dataDir({ env: { XDG_DATA_HOME: '/data/xdg' }, platform: 'linux', home })).toBe('/data/xdg/driftline');
    // A relative XDG_DATA_HOME is invalid per the spec and ignored.
    expect(dataDir({ env: { XDG_DATA_HOME: 'rel/xdg' }, platform: 'linux', home })).toBe('/home/ada/.local/share/driftline');
    expect(dataDir({ env: {}, platform: 'darwin', home: '/Users/ada' })).toBe('/Users/ada/Library/Application Support/Driftline Studio');
    expect(dataDir({ env: { APPDATA: 'C:\\Users\\ada\\AppData\\Roaming' }, platform: 'win32', home: 'C:\\Users\\ada' })).toBe(
      'C:\\Users\\ada\\AppData\\Roaming\\Driftline Studio',
    );
    expect(dataDir({ env: {}, platform: 'win32', home: 'C:\\Users\\ada' })).toBe('C:\\Users\\ada\\AppData\\Roaming\\Driftline Studio');
  });

  it('is overridden by DRIFTLINE_HOME, and models live under it', () => {
    const env = { DRIFTLINE_HOME: '/tmp/dl-test', XDG_DATA_HOME: '/data/xdg' };
    expect(dataDir({ env, platform: 'linux', home })).toBe('/tmp/dl-test');
    expect(modelsDir({ env, platform: 'linux', home })).toBe('/tmp/dl-test/models');
    expect(modelsDir({ env: { DRIFTLINE_HOME: 'D:\\dl' }, platform: 'win32', home: 'C:\\Users\\ada' })).toBe('D:\\dl\\models');
  });
});
