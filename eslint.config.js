'use strict';
// Lint, run by `npm test`: ESLint's and typescript-eslint's recommended rules, minus those that only add
// noise here. The TypeScript compiler already reports unused locals and parameters (tsconfig.json).
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const globals = require('globals');

module.exports = tseslint.config(
  { ignores: ['nodes/**', 'node_modules/**', 'build/**', 'examples/**'] },
  {
    files: ['src/**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    rules: {
      // Unused names are the compiler's job (noUnusedLocals, noUnusedParameters).
      '@typescript-eslint/no-unused-vars': 'off',
      // Node-RED node constructors name `this` as `node` by convention, for the callbacks inside them.
      '@typescript-eslint/no-this-alias': 'off',
      // `{}` is how @types/node-red spells "a node with no settings".
      '@typescript-eslint/no-empty-object-type': ['error', { allowObjectTypes: 'always' }],
    },
  },
  {
    files: ['**/*.js'],
    extends: [js.configs.recommended],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { ...globals.node, ...globals.mocha },
    },
    rules: {
      'no-unused-vars': ['error', { args: 'none', caughtErrors: 'none' }],
    },
  },
  {
    // Scripts that run in the editor's page (playwright evaluate) and the editor's own code.
    files: ['test/e2e/**/*.js', 'bench/nodes/**/*.js', 'scripts/screenshots.js'],
    languageOptions: { globals: { ...globals.node, ...globals.mocha, ...globals.browser, RED: 'readonly', $: 'readonly' } },
  },
);
