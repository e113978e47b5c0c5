import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist', 'node_modules', 'public/data', 'test-results', 'playwright-report'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Model, data and training code runs in workers, Node tests and the CLI: no UI or worker globals.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['react', 'react-dom', 'react/*', 'zustand', 'recharts'],
              message: 'src/core is UI-free.',
            },
            {
              group: ['**/app/**', '**/runtime/**', '**/protocol/**'],
              message: 'src/core must not depend on outer layers.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        'window',
        'document',
        'self',
        'postMessage',
        'localStorage',
      ],
    },
  },
  {
    // The messages between the app and its workers: plain data types over src/core, below every
    // side of the conversation (the UI, the workers' handlers, the exporters, the CLI).
    files: ['src/protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/app/**',
                '**/runtime/**',
                '**/export/**',
                '**/node/**',
                '**/bench/**',
                '**/cli/**',
              ],
              message: 'src/protocol depends on src/core only.',
            },
          ],
        },
      ],
    },
  },
  {
    // React components render; they never touch tfjs directly.
    files: ['src/app/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@tensorflow/*'],
              message: 'The UI never imports tfjs; models run in workers.',
            },
            {
              group: ['**/core/models/**/model', '**/core/train/**'],
              message: 'The UI talks to workers through the protocol.',
            },
          ],
        },
      ],
    },
  },
);
