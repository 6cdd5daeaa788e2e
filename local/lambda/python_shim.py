"""The Python Lambda runtime of the local runner: one process per function (started by runtime.ts with
`python3 -u python_shim.py <code dir> <module> <function>`).

It imports the handler module once, says `{"ready": true}` when that is over, and answers one JSON line on stdout per JSON line on stdin:
request `{id, event, requestId, deadline, functionArn}` -> answer `{id, ok, result}` or
`{id, ok: false, errorType, errorMessage}`. The handler's own prints go to stderr (the function's log), so
stdout carries only answers. Shipped next to the CLI bundle as assets/cli/python_shim.py (copied by bundle:cli).
"""
import importlib
import json
import os
import sys
import time
import traceback

# The shim's own folder is not the function's: import the handler from its code directory only.
_here = os.path.dirname(os.path.abspath(__file__))
sys.path = [p for p in sys.path if os.path.abspath(p or '.') != _here]

code_dir, module_name, function_name = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, code_dir)
protocol = os.fdopen(os.dup(1), 'w', buffering=1)
os.dup2(2, 1)
sys.stdout = sys.stderr


class Context:
    """The Lambda context object (the attributes handlers use)."""

    def __init__(self, request):
        self.aws_request_id = request['requestId']
        self.function_name = os.environ.get('AWS_LAMBDA_FUNCTION_NAME', '')
        self.function_version = '$LATEST'
        self.invoked_function_arn = request.get('functionArn', '')
        self.memory_limit_in_mb = os.environ.get('AWS_LAMBDA_FUNCTION_MEMORY_SIZE', '128')
        self.log_group_name = os.environ.get('AWS_LAMBDA_LOG_GROUP_NAME', '')
        self.log_stream_name = 'local'
        self._deadline = request['deadline']

    def get_remaining_time_in_millis(self):
        return max(0, int(self._deadline - time.time() * 1000))


handler = None
init_error = None
try:
    handler = getattr(importlib.import_module(module_name), function_name)
except Exception as e:  # a module that fails to import fails every invocation, as in Lambda
    init_error = e
    traceback.print_exc()

# Initialization is over (the module imported, or failed to): the runtime starts an invocation's timeout only now.
protocol.write(json.dumps({'ready': True}) + '\n')

for line in sys.stdin:
    request = json.loads(line)
    try:
        if init_error is not None:
            raise init_error
        result = handler(request['event'], Context(request))
        answer = {'id': request['id'], 'ok': True, 'result': result}
    except Exception as e:
        traceback.print_exc()
        answer = {'id': request['id'], 'ok': False, 'errorType': type(e).__name__, 'errorMessage': str(e)}
    try:
        protocol.write(json.dumps(answer) + '\n')
    except (TypeError, ValueError) as e:
        protocol.write(json.dumps({'id': request['id'], 'ok': False, 'errorType': 'Runtime.MarshalError', 'errorMessage': str(e)}) + '\n')
