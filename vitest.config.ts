import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { scaled } from './test/helpers/time.ts';

// Three tiers (docs/architecture.md): unit (in-process, `npm run test:unit`), integration (several real
// nodes, child processes, the CLI), e2e (the whole system and the browser). `npm test` runs all three.
// Timeouts stretch with VPPCHAIN_TEST_TIME_FACTOR or the machine's load (test/helpers/time.ts), which tests
// also apply to their own deadlines. The default is set once, when the suite starts, and the load may rise
// afterwards: it is three times a quiet machine's minute at least (tests that need longer set their own).
//
// Workers: unit files compute, one per core. Integration and e2e files mostly wait (for gates, blocks,
// child processes starting), so they share one group with a fork more than there are cores: vitest's
// default (cores - 1, a single fork on 2 cores) ran the suite one file at a time. Every deadline in those
// files stretches with the load they make (scaled()). The unit group finishes before the other starts.
const cores = availableParallelism();
export default defineConfig({
  test: {
    testTimeout: Math.max(scaled(60_000), 180_000),
    hookTimeout: Math.max(scaled(60_000), 180_000),
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          pool: 'threads',
          maxWorkers: cores,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          pool: 'forks',
          maxWorkers: cores + 1,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          pool: 'forks',
          maxWorkers: cores + 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
