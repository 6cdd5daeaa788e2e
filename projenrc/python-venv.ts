import { Component, Project, Task } from 'projen';

/** Options of a {@link PythonVenv}. */
export interface PythonVenvOptions {
  /** The task that creates the venv (`venv`, `venv:lint`). */
  readonly taskName: string;
  /** The venv's folder, relative to the project root (`.venv`). It belongs in `.gitignore` and `.npmignore`. */
  readonly dir: string;
  /** The requirements file it installs (`test/requirements.txt`). */
  readonly requirements: string;
  /** What the requirements are, for the task's description (`the Python test tools`). */
  readonly contents: string;
}

/**
 * A project-local Python venv with the tools of one requirements file, from PyPI: created when missing,
 * re-created when the requirements file changed (the venv keeps a copy of the file it was built from), reused
 * otherwise. Tasks that need the tools spawn {@link PythonVenv.task} and run them from {@link PythonVenv.bin},
 * never from the system PATH.
 */
export class PythonVenv extends Component {
  /** The task that creates (or keeps) the venv. */
  public readonly task: Task;
  private readonly dir: string;

  constructor(project: Project, options: PythonVenvOptions) {
    super(project, `PythonVenv:${options.dir}`);
    this.dir = options.dir;
    const stamp = `${options.dir}/requirements.txt`;
    this.task = project.addTask(options.taskName, {
      description: `Create ${options.dir}/ with ${options.contents} of ${options.requirements} (only when missing or stale)`,
      condition: `! cmp -s ${options.requirements} ${stamp}`,
      env: { PIP_DISABLE_PIP_VERSION_CHECK: '1' },
    });
    this.task.exec(`rm -rf ${options.dir}`);
    this.task.exec(`python3 -m venv ${options.dir}`);
    this.task.exec(`${this.bin('python')} -m pip install --quiet -r ${options.requirements}`);
    this.task.exec(`cp ${options.requirements} ${stamp}`);
  }

  /** The venv's folder of commands, relative to the project root. */
  public get binDir(): string {
    return `${this.dir}/bin`;
  }

  /** The path of one of the venv's commands (`python`, `cfn-lint`), relative to the project root. */
  public bin(command: string): string {
    return `${this.binDir}/${command}`;
  }
}
