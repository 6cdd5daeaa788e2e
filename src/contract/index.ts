/**
 * The contract: every name and default that more than one of the construct (`src/`), the Lambda handlers
 * (`lambda/`), the CLI (`cli/`) and the local runner (`local/`) must agree on, in one place.
 *
 * Dependency-free on purpose: no aws-cdk-lib, no constructs, no npm package, nothing from the other folders
 * (the build enforces it, see `projenrc/architecture-lint.ts`), so the handlers, the CLI and the runner can import it without
 * pulling the CDK in. Not part of the jsii API (`src/index.ts` does not export it).
 *
 * A rename here changes every side at once; a rename on one side only fails `test/contract/`.
 */
export * from './base64';
export * from './certificate';
export * from './duration';
export * from './fleet';
export * from './identity';
export * from './local';
export * from './outputs';
export * from './parser';
export * from './partition-keys';
export * from './payload';
export * from './prefixes';
export * from './replay';
export * from './table';
export * from './time-format';
export * from './topics';
