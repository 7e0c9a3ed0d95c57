import { defineProject, type UserWorkspaceConfig } from 'vitest/config';

/** Per-package vitest project: reads workspace packages from source through the `dev-source` condition. */
export function packageProject(
  name: string,
  extra: NonNullable<UserWorkspaceConfig['test']> = {},
): UserWorkspaceConfig {
  return defineProject({
    resolve: { conditions: ['dev-source', 'module', 'node', 'development|production'] },
    ssr: { resolve: { conditions: ['dev-source', 'node', 'development|production'] } },
    test: {
      name,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: 30_000,
      hookTimeout: 30_000,
      ...extra,
    },
  });
}
