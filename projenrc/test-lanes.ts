import { Component, javascript, Project } from 'projen';
import { PythonVenv } from './python-venv';

/** Jest patterns of the test files that run only in their own lane, never in `npx projen test`. */
const OWN_LANE = {
  /** `*.interop.test.ts` compare with third-party servers installed outside the project (`test:interop`). */
  interop: '\\.interop\\.test\\.ts$',
  /** `*.release.test.ts` test the packaged artifacts (`release:rehearse`). */
  release: '\\.release\\.test\\.ts$',
};

/** `*.e2e.test.ts` start processes or open sockets: in `npx projen test`, not in the fast lane. */
const E2E = '\\.e2e\\.test\\.ts$';

/** The project's jest configuration (an option of the project). */
export const JEST_OPTIONS: javascript.JestOptions = {
  jestConfig: {
    testMatch: ['<rootDir>/test/**/*.test.ts'],
    testPathIgnorePatterns: ['/node_modules/', ...Object.values(OWN_LANE)],
    // hyparquet-writer (the runner's Parquet writer) ships ES modules only: jest compiles them to CommonJS.
    transformIgnorePatterns: ['/node_modules/(?!(hyparquet|hyparquet-writer)/)'],
    transform: {
      '/node_modules/hyparquet(-writer)?/.+\\.js$': new javascript.Transform('ts-jest', {
        tsconfig: { allowJs: true, checkJs: false, module: 'commonjs', target: 'es2022' },
        diagnostics: false,
      }),
    },
  },
};

/** Options of {@link TestLanes}. */
export interface TestLanesOptions {
  /** The venv of the Python tools the tests run (moto_server, pytest, the AWS IoT Device SDK). */
  readonly venv: PythonVenv;
}

/**
 * The lanes of the jest suite:
 * - `npx projen test` (and so `npx projen build`): everything but the interop and release suites;
 * - `test:unit`, the fast lane: every test that starts no process and opens no socket (test/support/unit-lane.ts
 *   makes both throw, so a mislabelled test fails there);
 * - `test:interop`: the CLI and the runner against Mosquitto from Debian (apt install mosquitto mosquitto-clients),
 *   which the README's test command must not need.
 */
export class TestLanes extends Component {
  constructor(project: Project, options: TestLanesOptions) {
    super(project, 'TestLanes');
    project.testTask.prependSpawn(options.venv.task);

    // The Python parser toolkit's pytest suite (the shared contract vectors and its own tests), in every test run.
    const pythonToolkit = project.addTask('test:python-toolkit', {
      description: 'pytest over the Python parser toolkit (test/lambda/toolkit-python): the shared contract vectors and its own tests',
      env: { PYTHONDONTWRITEBYTECODE: '1' },
      exec: `${options.venv.bin('python')} -m pytest -p no:cacheprovider -o console_output_style=classic test/lambda/toolkit-python`,
    });
    pythonToolkit.prependSpawn(options.venv.task);
    project.testTask.spawn(pythonToolkit);

    project.addTask('test:interop', {
      description: 'Optional interop suite (*.interop.test.ts): compare with Mosquitto; needs Debian\'s mosquitto and mosquitto-clients',
      exec: 'jest --coverage=false --testPathIgnorePatterns /node_modules/ --testMatch "<rootDir>/test/**/*.interop.test.ts"',
      receiveArgs: true,
    });

    project.addTask('test:unit', {
      description: 'Fast lane: the tests that start no process and open no socket (not *.e2e.test.ts)',
      exec: [
        'jest --passWithNoTests --coverage=false',
        '--setupFiles ./test/support/unit-lane.ts',
        `--testPathIgnorePatterns /node_modules/ ${[E2E, ...Object.values(OWN_LANE)].map((p) => `"${p}"`).join(' ')}`,
      ].join(' '),
      receiveArgs: true,
    });
  }
}
