import { Component } from 'projen';
import { TypeScriptProject } from 'projen/lib/typescript';

/** Only the contract may be imported from src/ (the zone's exception). */
const CONTRACT_ONLY = { except: ['./contract'] };

/**
 * The architecture of docs/ARCHITECTURE.md, enforced by eslint (test/architecture.test.ts proves each rule):
 *
 *   cli → local → contract,   lambda → contract,   src → contract;   nothing imports cli/ (tests excepted);
 *   src/contract imports nothing but itself; no import cycles.
 */
export class ArchitectureLint extends Component {
  constructor(project: TypeScriptProject) {
    super(project, 'ArchitectureLint');
    const eslint = project.eslint!;

    eslint.addRules({
      'import/no-restricted-paths': ['error', {
        zones: [
          { target: './src', from: './cli', message: 'src/ (the construct) never imports the CLI.' },
          { target: './src', from: './local', message: 'src/ (the construct) never imports the local runner.' },
          { target: './src', from: './lambda', message: 'src/ loads the handlers as bundled assets, never as imports.' },
          { target: './src/contract', from: './src', ...CONTRACT_ONLY, message: 'The contract is dependency-free: it imports nothing outside src/contract.' },
          { target: './lambda', from: './cli', message: 'Lambda code never imports the CLI.' },
          { target: './lambda', from: './local', message: 'Lambda code never imports the local runner.' },
          { target: './lambda', from: './src', ...CONTRACT_ONLY, message: 'Lambda code imports only the contract (src/contract) from src/.' },
          { target: './local', from: './cli', message: 'The local runner never imports the CLI (the CLI imports the runner).' },
          { target: './local', from: './lambda', message: 'The local runner runs handlers from their bundled assets, never as imports.' },
          { target: './local', from: './src', ...CONTRACT_ONLY, message: 'The local runner imports only the contract (src/contract) from src/.' },
          { target: './cli', from: './lambda', message: 'The CLI never imports Lambda code.' },
          { target: './cli', from: './src', ...CONTRACT_ONLY, message: 'The CLI imports only the contract (src/contract) from src/.' },
          { target: ['./examples', './bench'], from: './cli', message: 'Nothing imports the CLI: run the shipped bundle (assets/cli/index.js) instead.' },
        ],
      }],
      'import/no-cycle': ['error', { ignoreExternal: true }],
    });
    eslint.addOverride({
      files: ['src/contract/**/*.ts'],
      rules: {
        'no-restricted-imports': ['error', {
          patterns: [{ regex: '^(?!\\./)', message: 'The contract is dependency-free: import only its own files (./...).' }],
        }],
      },
    });

    // Lint every TypeScript file with the dev tsconfig (src, test, lambda, examples, bench). The TypeScript
    // project service would pick the nearest tsconfig.json (src only), so use an explicit project instead.
    const eslintrc = project.tryFindObjectFile('.eslintrc.json');
    eslintrc?.addOverride('parserOptions.projectService', undefined);
    eslintrc?.addOverride('parserOptions.project', './tsconfig.dev.json');
  }
}
