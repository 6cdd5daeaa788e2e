"""pytest for customer B's parser, on the write-up's sample Firehose event (test/fixtures) and on bad input.

The toolkit is imported from its source folder, as Parser.fromPython places it next to index.py in the asset."""

import base64
import json
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT / "lambda" / "toolkit-python"))

import index  # noqa: E402
from cdk_iot_parser_toolkit import MAX_RESPONSE_BYTES  # noqa: E402

SEED = ROOT / "test" / "fixtures" / "seed-firehose-event.json"


def b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def event(*datas: str) -> dict:
    return {
        "invocationId": "inv",
        "deliveryStreamArn": "arn:aws:firehose:eu-west-1:123456789012:deliverystream/s",
        "region": "eu-west-1",
        "records": [{"recordId": f"r{i}", "approximateArrivalTimestamp": 1720859923841 + i, "data": d} for i, d in enumerate(datas)],
    }


def decoded(answer: dict) -> list:
    return [json.loads(line) for line in base64.b64decode(answer["data"]).decode("utf-8").splitlines()]


def assert_contract(request: dict, response: dict) -> None:
    assert [a["recordId"] for a in response["records"]] == [r["recordId"] for r in request["records"]]
    assert {a["result"] for a in response["records"]} <= {"Ok", "Dropped", "ProcessingFailed"}
    assert len(json.dumps(response)) < MAX_RESPONSE_BYTES


def test_seed_event_is_parsed_record_by_record():
    request = json.loads(SEED.read_text())
    response = index.handler(request)
    assert_contract(request, response)
    assert [a["result"] for a in response["records"]] == ["Ok"] * 4
    assert decoded(response["records"][0]) == [
        {"device": "asdasd", "temperature": None, "message": "Hello, world!", "arrival_timestamp": 1720859923841}
    ]


@pytest.mark.parametrize(
    "data",
    [
        "not base64!",
        base64.b64encode(b"\xff\xfe").decode(),
        b64('{"topic": "t/d", "temperature": '),
        b64("[1, 2]"),
        b64('"just a string"'),
        b64('{"temperature": 1}'),
        b64('{"topic": "t/d", "temperature": "hot"}'),
    ],
)
def test_bad_records_fail_alone(data):
    request = event(b64('{"topic": "t/a", "temperature": 20}\n'), data, b64('{"topic": "t/b", "temperature": 21}\n'))
    response = index.handler(request)
    assert_contract(request, response)
    assert [a["result"] for a in response["records"]] == ["Ok", "ProcessingFailed", "Ok"]
    assert decoded(response["records"][2])[0]["device"] == "b"


def test_empty_record_is_dropped_and_several_messages_share_a_record():
    request = event("", b64('{"topic": "t/a", "temperature": 1}\n{"topic": "t/b", "reading": {"temperature": 2}}\n'))
    response = index.handler(request)
    assert [a["result"] for a in response["records"]] == ["Dropped", "Ok"]
    assert [row["temperature"] for row in decoded(response["records"][1])] == [1, 2]


def test_empty_batch():
    assert index.handler(event()) == {"records": []}


def test_payload_is_never_logged(capsys):
    secret = "s3cr3t-payload-value"
    index.handler(event(b64('{"topic": "t/d", "temperature": "' + secret + '"}')))
    logged = capsys.readouterr().out
    assert '"reason":"temperature is not a number"' in logged
    assert secret not in logged


def test_oversized_batch_stays_under_the_limit_and_fails_the_overflow():
    big = b64(json.dumps({"topic": "t/d", "temperature": 1, "message": "x" * 900_000}) + "\n")
    request = event(*([big] * 8))
    response = index.handler(request)
    assert_contract(request, response)
    results = [a["result"] for a in response["records"]]
    assert results[0] == "Ok" and "ProcessingFailed" in results


def test_readme_shows_this_parser():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("### Write a parser in Python"):]
    block = section.split("```python\n", 1)[1].split("```", 1)[0]
    assert block.startswith("# parsers/customer_b/index.py\n")
    assert block.split("\n", 1)[1] in pathlib.Path(index.__file__).read_text()
