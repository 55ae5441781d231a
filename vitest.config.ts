import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // one scratch directory (TMPDIR) for the run, removed at its end
    globalSetup: ['test/support/tmp-root.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests start real brokers, RTSP servers and ffmpeg; on a
    // 2-core machine running them all at once only makes each one flaky.
    fileParallelism: true,
    maxWorkers: 2,
    reporters: ['default'],
  },
});
