"""Logging and metrics without a library (the lines lambda/toolkit/observability.ts writes).

- Logs: one JSON object per line on stdout: ``level``, ``message``, ``timestamp``, ``service``, then the fields.
  With Lambda's JSON log format, Lambda filters these lines by their ``level`` against the function's application
  log level (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html).
- Metrics: CloudWatch embedded metric format, one line per ``flush_metrics()``, dimension ``service``
  (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).

Environment (Powertools' names): ``POWERTOOLS_SERVICE_NAME``, ``POWERTOOLS_METRICS_NAMESPACE``,
``POWERTOOLS_LOG_LEVEL`` and ``AWS_LAMBDA_LOG_LEVEL`` (the stricter wins; default INFO; ``SILENT`` logs nothing),
``POWERTOOLS_METRICS_DISABLED``.
"""

import datetime
import json
import os
import sys
import time

from . import _contract

_LEVELS = {"TRACE": 0, "DEBUG": 1, "INFO": 2, "WARN": 3, "WARNING": 3, "ERROR": 4, "CRITICAL": 5, "FATAL": 5, "SILENT": 6}


def _stdout_line(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _service_name(env):
    return env.get(_contract.ENV_SERVICE_NAME) or _contract.DEFAULT_SERVICE_NAME


def _threshold(env):
    level = -1
    for name in (env.get(_contract.ENV_LOG_LEVEL), env.get(_contract.ENV_LAMBDA_LOG_LEVEL)):
        severity = None if name is None else _LEVELS.get(name.upper())
        if severity is not None:
            level = max(level, severity)
    return _LEVELS["INFO"] if level < 0 else level


def _is_true(value):
    return value is not None and value.strip().lower() in ("1", "true", "yes", "on")


def _iso_now():
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (now.microsecond // 1000)


class JsonLogger:
    """The default logger: one JSON line per call. Powertools' ``Logger`` has the same methods."""

    def __init__(self, env=None, write=None):
        env = os.environ if env is None else env
        self._service = _service_name(env)
        self._min = _threshold(env)
        self._write = write or _stdout_line

    def _log(self, level, severity, message, extra):
        if severity < self._min:
            return
        line = {"level": level, "message": message, "timestamp": _iso_now(), "service": self._service}
        line.update(extra or {})
        self._write(json.dumps(line, separators=(",", ":"), default=str))

    def info(self, message, extra=None):
        self._log("INFO", 2, message, extra)

    def warning(self, message, extra=None):
        self._log("WARN", 3, message, extra)

    def error(self, message, extra=None):
        self._log("ERROR", 4, message, extra)


class EmfMetrics:
    """The default metrics: ``add_metric`` stores, ``flush_metrics`` writes one EMF line (nothing when empty).
    Powertools' ``Metrics`` has the same methods."""

    def __init__(self, env=None, write=None, now=None):
        env = os.environ if env is None else env
        self._namespace = env.get(_contract.ENV_METRICS_NAMESPACE) or _contract.METRICS_NAMESPACE
        self._service = _service_name(env)
        self._disabled = _is_true(env.get(_contract.ENV_METRICS_DISABLED))
        self._write = write or _stdout_line
        self._now = now or (lambda: int(time.time() * 1000))
        self._stored = {}

    def add_metric(self, name, unit, value):
        metric = self._stored.setdefault(name, {"unit": unit, "values": []})
        metric["values"].append(value)

    def flush_metrics(self):
        stored, self._stored = self._stored, {}
        if self._disabled or not stored:
            return
        blob = {
            "_aws": {
                "Timestamp": self._now(),
                "CloudWatchMetrics": [{
                    "Namespace": self._namespace,
                    "Dimensions": [["service"]],
                    "Metrics": [{"Name": name, "Unit": m["unit"]} for name, m in stored.items()],
                }],
            },
            "service": self._service,
        }
        for name, m in stored.items():
            blob[name] = m["values"][0] if len(m["values"]) == 1 else m["values"]
        self._write(json.dumps(blob, separators=(",", ":")))
