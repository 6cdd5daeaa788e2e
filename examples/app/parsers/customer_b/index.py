"""Customer B's parser: the write-up's Python Lambda, on the Python parser toolkit.

``Parser.fromPython({ entry: 'parsers/customer_b', handler: 'index.handler' })`` ships this folder (tests left out)
with the toolkit (``cdk_iot_parser_toolkit``) next to it. The toolkit owns the Firehose contract: it decodes every
record (strict base64 and UTF-8), splits it into messages, answers every record exactly once and in order (``Ok``,
``Dropped`` when nothing is left, ``ProcessingFailed`` when ``parse`` raises), keeps the response below 6 MB, and
logs counts and reasons but never payloads. This file only says what a message means.

Input messages are what the pipeline's IoT rule forwards: ``{"topic": "<topic>/<device>", ...payload}``. Output:
one JSON object per line with the device id, the reading's temperature, the message text and the arrival time.
"""

from cdk_iot_parser_toolkit import ParseError, create_parser


def parse(message):
    m = message.json_object()
    topic = m.get("topic")
    if not isinstance(topic, str) or "/" not in topic:
        raise ParseError("message has no topic with a device level")
    reading = m.get("reading", m)
    if not isinstance(reading, dict):
        raise ParseError("reading is not a JSON object")
    temperature = reading.get("temperature")
    if temperature is not None and (isinstance(temperature, bool) or not isinstance(temperature, (int, float))):
        raise ParseError("temperature is not a number")
    return {
        "device": topic.split("/")[1],
        "temperature": temperature,
        "message": m.get("message"),
        "arrival_timestamp": message.approximate_arrival_timestamp,
    }


handler = create_parser(parse)
