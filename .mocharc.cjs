// Under CI (CI set) a pending test fails the run: CI has ../shared/data, so nothing may skip there.
module.exports = {
  spec: ['test/**/*.test.ts'],
  'node-option': ['import=tsx'],
  // Tests import internal modules: install Node's platform first, as the package's entries do.
  require: ['test/install-platform.ts'],
  timeout: 60000,
  reporter: 'spec',
  'forbid-pending': Boolean(process.env.CI),
};
