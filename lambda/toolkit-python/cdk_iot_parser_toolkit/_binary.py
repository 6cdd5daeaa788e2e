"""A binary pipeline's messages: the topic rule wraps every payload in the binary envelope
``{"payload": "<base64>", "topic": ..., "clientId": ..., "timestamp": ...}``; the identity fields come from the rule's
``topic()``, ``clientid()`` and ``timestamp()``, never from the device. The same checks, in the same order and with
the same reasons, as the TypeScript toolkit (lambda/toolkit/binary.ts); contract vectors run against both. AWS IoT
documents the wrapping (``encode(*, 'base64')``) for non-JSON payloads:
https://docs.aws.amazon.com/iot/latest/developerguide/binary-payloads.html
"""

from . import _contract

_FIELDS = '{"%s", "%s", "%s", "%s"}' % (
    _contract.ENVELOPE_PAYLOAD, _contract.ENVELOPE_TOPIC, _contract.ENVELOPE_CLIENT_ID, _contract.ENVELOPE_TIMESTAMP)
_NOT_ENVELOPE = "message is not a binary envelope %s: is the pipeline's payload format binary?" % _FIELDS
_MAX_SAFE_INTEGER = 2 ** 53 - 1


class BinaryPayload:
    """A binary pipeline's message (``message.binary_payload()``): ``bytes`` (the payload as the device published it,
    possibly empty), ``topic`` (the rule's ``topic()``), ``client_id`` (``clientid()``), ``timestamp`` (``timestamp()``,
    epoch milliseconds) and ``text()``."""

    __slots__ = ("bytes", "topic", "client_id", "timestamp", "_fail")

    def __init__(self, data, topic, client_id, timestamp, fail):
        self.bytes = data
        self.topic = topic
        self.client_id = client_id
        self.timestamp = timestamp
        self._fail = fail

    def text(self):
        """The payload as UTF-8 text (a leading BOM removed); fails the record when it is not valid UTF-8."""
        try:
            text = self.bytes.decode("utf-8")
        except UnicodeDecodeError:
            raise self._fail("binary payload is not valid UTF-8 text") from None
        return text[1:] if text.startswith("\ufeff") else text


def read_binary_envelope(value, fail, decode_base64):
    """``value`` (a parsed message) as a ``BinaryPayload``; raises ``fail(reason)`` when it is not an envelope."""
    if not isinstance(value, dict):
        raise fail(_NOT_ENVELOPE)
    payload = value.get(_contract.ENVELOPE_PAYLOAD)
    topic = value.get(_contract.ENVELOPE_TOPIC)
    client_id = value.get(_contract.ENVELOPE_CLIENT_ID)
    timestamp = value.get(_contract.ENVELOPE_TIMESTAMP)
    if not isinstance(payload, str):
        raise fail(_NOT_ENVELOPE)
    if not isinstance(topic, str) or topic == "":
        raise fail('binary envelope has no string "%s"' % _contract.ENVELOPE_TOPIC)
    if not isinstance(client_id, str):
        raise fail('binary envelope has no string "%s"' % _contract.ENVELOPE_CLIENT_ID)
    # JavaScript's Number.isSafeInteger: an integral float (1.0e12) counts, a bool does not.
    if isinstance(timestamp, bool) or not isinstance(timestamp, (int, float)) or timestamp != int(timestamp) \
            or timestamp < 0 or timestamp > _MAX_SAFE_INTEGER:
        raise fail('binary envelope\'s "%s" is not epoch milliseconds' % _contract.ENVELOPE_TIMESTAMP)
    data = decode_base64(payload)
    if data is None:
        raise fail('binary envelope\'s "%s" is not standard padded base64' % _contract.ENVELOPE_PAYLOAD)
    return BinaryPayload(data, topic, client_id, int(timestamp), fail)
