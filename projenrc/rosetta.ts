import { Component } from 'projen';
import { NodeProject } from 'projen/lib/javascript';

/**
 * The README's TypeScript snippets compile, strictly (jsii-rosetta, with rosetta/default.ts-fixture), after every
 * compile: Construct Hub renders the Python, Java, C# and Go docs from their translations. Lambda handler code is
 * fenced as tsx instead.
 */
export class Rosetta extends Component {
  constructor(project: NodeProject) {
    super(project, 'Rosetta');
    project.package.file.addOverride('jsii.metadata.jsii.rosetta.strict', true);
    const extract = project.addTask('rosetta:extract', {
      description: 'Compile and translate the README\'s TypeScript snippets (jsii-rosetta, strict); fails on any diagnostic',
      exec: 'jsii-rosetta extract --compile --fail',
    });
    project.postCompileTask.spawn(extract);
  }
}
