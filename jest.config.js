/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: { warnOnly: false } }] },
  testTimeout: 30000,
  // Every answer a gateway gives in any test is validated against its OpenAPI document.
  setupFilesAfterEnv: ['<rootDir>/test/setup/openapi-conformance.ts'],
};
