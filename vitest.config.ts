// Test tiers: unit (pure, no ZFS), cli (built bin, fake zfs), zfs (zfs-fuse, root), openzfs (qemu guest).
// Suites that cannot run here are reported as skipped with the reason in their title, never as passed.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 600_000,
    reporters: ['default'],
    // ZFS suites share one zfs-fuse daemon and 2 cores; two files at a time keeps them from timing out.
    maxWorkers: 2,
  },
});
