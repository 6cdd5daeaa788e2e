/**
 * The Python tools the tests run (moto_server, python with pytest and the AWS IoT Device SDK) live in the project's
 * venv `.venv/`, which `npx projen venv` creates from test/requirements.txt (the test task runs it first). Tests take
 * them from there only — never from the system PATH — so a fresh clone tests the same tools everywhere.
 */
import { existsSync } from 'fs';
import { join } from 'path';

export const REPO = join(__dirname, '..', '..');
export const VENV = join(REPO, '.venv');

/** The path of a tool in `.venv/bin`, or an error that says how to create the venv. */
export function venvTool(name: string): string {
  const path = join(VENV, 'bin', name);
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: run \`npx projen venv\` (it installs test/requirements.txt into .venv/; \`npx projen test\` runs it first).`);
  }
  return path;
}
