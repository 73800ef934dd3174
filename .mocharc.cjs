// Under CI (CI set) a pending test fails the run: CI has ../shared/data, so nothing may skip there.
module.exports = {
  spec: ['test/**/*.test.ts'],
  'node-option': ['import=tsx'],
  // Tests import internal modules: install Node's platform first, as the package's entries do.
  require: ['test/install-platform.ts'],
  // Files run in two processes: most of a file's time is spent waiting (servers, child processes, timers),
  // so two at once finish the suite in about half the time on two cores. `npm test` builds dist/ first,
  // once, for the files that use it.
  parallel: true,
  jobs: 2,
  timeout: 60000,
  reporter: 'spec',
  'forbid-pending': Boolean(process.env.CI),
};
