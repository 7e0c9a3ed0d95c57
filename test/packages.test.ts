// The published packages as npm users and their tools see them: metadata registries and
// TypeScript read, per-OS optional backends, and nothing private published.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

interface Manifest {
  name: string;
  private?: boolean;
  license?: string;
  keywords?: string[];
  homepage?: string;
  bugs?: { url?: string };
  repository?: { type?: string; url?: string; directory?: string };
  publishConfig?: { os?: string[] };
  exports?: Record<string, unknown>;
  typesVersions?: Record<string, Record<string, string[]>>;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const packages = readdirSync(join(root, 'packages')).map((dir) => ({
  dir,
  manifest: JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')) as Manifest,
}));
const published = packages.filter(({ manifest }) => !manifest.private);
const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest;

describe('published packages', () => {
  it('test-support is private, so it is never published', () => {
    expect(packages.find(({ dir }) => dir === 'test-support')?.manifest.private).toBe(true);
    expect(published.length).toBeGreaterThanOrEqual(10);
  });

  it.each(published.map(({ dir, manifest }) => [manifest.name, dir, manifest] as const))(
    '%s ships a LICENSE and has the metadata npm and GitHub link to',
    (_name, dir, manifest) => {
      expect(existsSync(join(root, 'packages', dir, 'LICENSE'))).toBe(true);
      expect(readFileSync(join(root, 'packages', dir, 'LICENSE'), 'utf8')).toBe(
        readFileSync(join(root, 'LICENSE'), 'utf8'),
      );
      expect(manifest.license).toBe('MIT');
      expect(manifest.repository).toEqual({
        type: 'git',
        url: rootManifest.repository?.url,
        directory: `packages/${dir}`,
      });
      expect(manifest.homepage).toBe(`${rootManifest.homepage}/tree/main/packages/${dir}#readme`);
      expect(manifest.bugs).toEqual(rootManifest.bugs);
      expect(manifest.keywords).toEqual(expect.arrayContaining(['msal', 'msal-node', 'token-cache']));
    },
  );

  it.each(published.map(({ manifest }) => [manifest.name, manifest] as const))(
    '%s: every subpath resolves for TypeScript without exports support (moduleResolution node10)',
    (_name, manifest) => {
      const subpaths = Object.keys(manifest.exports ?? {}).filter((key) => key !== '.' && key !== './package.json');
      const mapped = manifest.typesVersions?.['*'] ?? {};
      const entries = (manifest.exports ?? {}) as Record<string, { require: { types: string } }>;
      for (const subpath of subpaths) {
        const target = entries[subpath]?.require.types;
        expect(mapped[subpath.slice(2)], subpath).toEqual([target]);
      }
    },
  );
});

describe('@msal-persist/msal-plugin installs only what the OS uses', () => {
  const byName = new Map(packages.map(({ manifest }) => [manifest.name, manifest]));
  const plugin = byName.get('@msal-persist/msal-plugin');
  const osBackends = {
    '@msal-persist/persistence-dpapi': ['win32'],
    '@msal-persist/persistence-keychain': ['darwin'],
    '@msal-persist/persistence-libsecret': ['linux'],
    '@msal-persist/persistence-kernel-keyring': ['linux'],
  };

  // `os` goes in publishConfig: pnpm writes it into the packed manifest, where npm, pnpm and yarn
  // read it, while the workspace itself (every package linked, on any OS) stays free of warnings.
  it.each(Object.entries(osBackends))('%s is an optional dependency that installs on %j only', (name, os) => {
    expect(plugin?.dependencies?.[name]).toBeUndefined();
    expect(plugin?.optionalDependencies?.[name]).toBe('workspace:^');
    expect(byName.get(name)?.publishConfig?.os).toEqual(os);
  });

  it('the macOS binding (@napi-rs/keyring) comes with the Keychain backend, not with the code Linux shares', () => {
    const keyring = byName.get('@msal-persist/persistence-keyring');
    expect(keyring?.dependencies?.['@napi-rs/keyring']).toBeUndefined();
    expect(byName.get('@msal-persist/persistence-keychain')?.dependencies?.['@napi-rs/keyring']).toBeDefined();
  });

  it('core, runtime-free, installs nothing else (two byte helpers do not justify five packages)', () => {
    expect(byName.get('@msal-persist/core')?.dependencies ?? {}).toEqual({});
  });

  it('core and the plaintext file backend, used on every OS, are plain dependencies', () => {
    expect(plugin?.dependencies?.['@msal-persist/core']).toBe('workspace:^');
    expect(plugin?.dependencies?.['@msal-persist/persistence-file']).toBe('workspace:^');
  });
});
