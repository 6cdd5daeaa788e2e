import { Size } from 'aws-cdk-lib';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { ParserConfig } from '../parser';

/** Renders a size as Firehose's BufferSizeInMBs (MB with up to three decimals, e.g. "0.25"). */
export function mebibytesParameter(size: Size): string {
  return String(Math.round((size.toKibibytes() / 1024) * 1000) / 1000);
}

/**
 * A Lambda data processor that always renders all of its parameters (the aws-cdk-lib
 * `LambdaFunctionProcessor` omits unset ones and a retries value of 0). It grants nothing: the stream's role gets
 * `lambda:InvokeFunction` and `lambda:GetFunctionConfiguration` on exactly the parser function's ARN from
 * `allowStream` (the role the destination binds it with is an immutable view).
 */
export class ExplicitLambdaProcessor implements firehose.IDataProcessor {
  public readonly props: firehose.DataProcessorProps;
  private readonly parserFunction: lambda.IFunction;

  constructor(private readonly config: ParserConfig) {
    this.parserFunction = config.parserFunction;
    this.props = { bufferInterval: config.bufferInterval, bufferSize: config.bufferSize, retries: config.retries };
  }

  public bind(_scope: Construct, options: firehose.DataProcessorBindOptions): firehose.DataProcessorConfig {
    const identifier = { parameterName: 'LambdaArn', parameterValue: this.parserFunction.functionArn };
    return {
      processorType: 'Lambda',
      processorIdentifier: identifier,
      parameters: [
        { parameterName: 'RoleArn', parameterValue: options.role.roleArn },
        identifier,
        { parameterName: 'NumberOfRetries', parameterValue: String(this.config.retries) },
        { parameterName: 'BufferSizeInMBs', parameterValue: mebibytesParameter(this.config.bufferSize) },
        { parameterName: 'BufferIntervalInSeconds', parameterValue: String(this.config.bufferInterval.toSeconds()) },
      ],
    };
  }
}
