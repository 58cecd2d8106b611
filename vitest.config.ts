import { defineConfig } from 'vitest/config';
import { scaled } from './test/helpers/time.ts';

// Three tiers (docs/architecture.md): unit (in-process, `npm run test:unit`), integration (several real
// nodes, child processes, the CLI), e2e (the whole system and the browser). `npm test` runs all three.
// Timeouts are for a quiet machine and stretch with VPPCHAIN_TEST_TIME_FACTOR (test/helpers/time.ts),
// which tests also apply to their own deadlines.
export default defineConfig({
  test: {
    testTimeout: scaled(60_000),
    hookTimeout: scaled(60_000),
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], pool: 'threads' } },
      {
        extends: true,
        test: { name: 'integration', include: ['test/integration/**/*.test.ts'], pool: 'forks' },
      },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], pool: 'forks' } },
    ],
  },
});
