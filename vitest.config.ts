// Test tiers: unit (pure, no ZFS), cli (built bin, fake zfs), zfs (zfs-fuse, root), openzfs (qemu guest).
// Suites that cannot run here are reported as skipped with the reason in their title, never as passed.
import { configDefaults, defineConfig } from 'vitest/config';

// Tests that need the OpenZFS qemu guest: their project's global setup builds/boots it (test/openzfs/README.md).
const OPENZFS_TESTS = ['test/openzfs/**/*.test.ts', 'test/**/*.openzfs.test.ts'];

export default defineConfig({
  test: {
    // No root `include`: with `extends: true` a project's include is added to the root's, which ran every
    // test in both projects. Each project names its own files.
    pool: 'forks',
    // A hang guard, not a speed target: CI shares 2 cores with other work, and a test that takes 20 s idle
    // can take several times that there (speed targets live in `npm run bench`).
    testTimeout: 180_000,
    hookTimeout: 600_000,
    reporters: ['default'],
    // ZFS suites share one zfs-fuse daemon and 2 cores; two files at a time keeps them from timing out.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'default', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, ...OPENZFS_TESTS] } },
      // Its globalSetup runs only when one of these files is selected: unit-only runs never boot the guest.
      { extends: true, test: { name: 'openzfs', include: OPENZFS_TESTS, globalSetup: ['test/openzfs/global-setup.ts'] } },
    ],
  },
});
