import { Component } from 'projen';
import { TypeScriptProject } from 'projen/lib/typescript';
import * as contract from '../src/contract';

/** Only the contract may be imported from src/ (the zone's exception). */
const CONTRACT_ONLY = { except: ['./contract'] };

/**
 * The names of src/contract/ whose values must not be spelled anywhere else: each a string, or an object of strings
 * (every value of it counts). Names only the construct's own code writes, and values that are ordinary words
 * (`'jsonl'`, `'firehose'`, the construct ids `'Device'`, `'Thing'`), are left out: a rule on them would fire on
 * code that means something else.
 */
const SHARED_NAMES = [
  'DATA_ENDPOINT_OUTPUT_ID',
  'PIPELINE_OUTPUT_IDS',
  'TABLE_OUTPUT_IDS',
  'THING_NAME_OUTPUT_DESCRIPTION',
  'CERTIFICATE_RESOURCE_TYPE',
  'CERTIFICATE_ID_TAG',
  'PARSER_ENV',
  'POWERTOOLS_ENV',
  'METRICS_NAMESPACE',
  'REFERENCE_PARSER_SERVICE_NAME',
  'TOOLKIT_DEFAULT_SERVICE_NAME',
  'DEFAULT_ARRIVAL_TIMESTAMP_FIELD',
  'IOT_SQL_VERSION',
  'HOURLY_PARTITIONS',
  'DEFAULT_DATA_OUTPUT_PREFIX',
  'DEFAULT_ERROR_OUTPUT_PREFIX',
  'DEFAULT_BACKUP_PREFIX',
  'DEFAULT_BACKUP_ERROR_PREFIX',
  'DEFAULT_DIRECT_PREFIX',
  'RULE_ERRORS_PREFIX',
  'RULE_ERRORS_KEY',
  'RULE_ERRORS_LISTING_PREFIX',
  'REJECTED_MESSAGES_PREFIX',
  'REJECTED_MESSAGES_KEY',
  'BASIC_INGEST_PREFIX',
  'ERROR_OUTPUT_TYPES',
  'LOCAL_ACCOUNT',
] as const satisfies ReadonlyArray<keyof typeof contract>;

/** Key prefixes of the contract: a string that starts with one spells the prefix too (`'iot-rule-errors/2024/'`). */
const SHARED_PREFIXES = ['RULE_ERRORS_PREFIX', 'REJECTED_MESSAGES_PREFIX', 'BASIC_INGEST_PREFIX'] as const satisfies ReadonlyArray<typeof SHARED_NAMES[number]>;

/** The folders that share the contract; src/contract itself, tests, examples and benchmarks are exempt. */
const CONTRACT_USERS = ['src/**', 'lambda/**', 'cli/**', 'local/**'];

/** One `no-restricted-syntax` entry. */
interface RestrictedSyntax {
  readonly selector: string;
  readonly message: string;
}

/** Every shared value, with the contract name it must be read from. */
function sharedValues(): Array<{ readonly name: string; readonly value: string }> {
  return SHARED_NAMES.flatMap((name) => {
    const value: unknown = contract[name];
    if (typeof value === 'string') return [{ name, value }];
    return Object.entries(value as Record<string, string>).map(([key, v]) => ({ name: `${name}.${key}`, value: v }));
  });
}

/** A string literal, or a piece of a template literal, equal to `value` (or starting with it: `prefix`). */
function spelling(value: string, prefix: boolean): string {
  // esquery's regular expressions end at the first '/', so the slashes of a prefix are written as \x2F.
  const test = prefix
    ? `/^${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\//g, '\\x2F')}/`
    : JSON.stringify(value);
  return `:matches(Literal[value=${test}], TemplateElement[value.cooked=${test}])`;
}

/** The kinds of object a delivery stream writes: ordinary words alone, so only their union type is restricted. */
const DELIVERY_OBJECT_KINDS = ['destination', 'backup', 'error'];

/** The `no-restricted-syntax` entries of the shared literals. */
function sharedLiteralRules(): RestrictedSyntax[] {
  const values = sharedValues();
  const prefixes = SHARED_PREFIXES.map((name) => ({ name, value: contract[name] }));
  // A value that starts with a shared prefix is reported once, by the prefix's entry, which names it.
  const isPrefixed = (value: string) => prefixes.some((p) => value.startsWith(p.value));
  const exact = values.filter(({ value }) => !isPrefixed(value)).map(({ name, value }) => ({
    selector: spelling(value, false),
    message: `'${value}' is ${name} of src/contract/: import it from there instead of spelling it.`,
  }));
  const prefixed = prefixes.map(({ name, value }) => {
    const others = values.filter((v) => v.name !== name && v.value.startsWith(value)).map((v) => v.name);
    return {
      selector: spelling(value, true),
      message: `This string starts with '${value}': build it from ${[name, ...others].join(' or ')} of src/contract/.`,
    };
  });
  // A union type that spells every kind in place (`'destination' | 'backup' | 'error'`, in any order, with others);
  // not a union around an object or function type that holds one (so one spelling is one report).
  const objectKinds = {
    selector: `TSUnionType:not(:has(TSTypeLiteral, TSFunctionType))${DELIVERY_OBJECT_KINDS.map((kind) => `:has(TSLiteralType > Literal[value="${kind}"])`).join('')}`,
    message: `The kinds of object a delivery stream writes (${DELIVERY_OBJECT_KINDS.map((k) => `'${k}'`).join(' | ')}) are one type: define it once in src/contract/ and import it.`,
  };
  return [...exact, ...prefixed, objectKinds];
}

/**
 * The architecture of docs/ARCHITECTURE.md, enforced by eslint (test/architecture.test.ts proves each rule):
 *
 *   cli → local → contract,   lambda → contract,   src → contract;   nothing imports cli/ (tests excepted);
 *   src/contract imports nothing but itself; no import cycles;
 *   the contract's shared names are spelled only in src/contract (everywhere else they are imported).
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
    eslint.addOverride({
      files: CONTRACT_USERS,
      excludedFiles: ['src/contract/**'],
      rules: { 'no-restricted-syntax': ['error', ...sharedLiteralRules()] },
    });

    // Lint every TypeScript file with the dev tsconfig (src, test, lambda, examples, bench). The TypeScript
    // project service would pick the nearest tsconfig.json (src only), so use an explicit project instead.
    const eslintrc = project.tryFindObjectFile('.eslintrc.json');
    eslintrc?.addOverride('parserOptions.projectService', undefined);
    eslintrc?.addOverride('parserOptions.project', './tsconfig.dev.json');
  }
}
