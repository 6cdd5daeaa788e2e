"""Pre-provisioning hook of the example app's lathe fleet: only serial numbers of the plant's form are provisioned.

AWS IoT calls it before it registers a device with the template (event and answer as on
https://docs.aws.amazon.com/iot/latest/developerguide/pre-provisioning-hook.html) and waits at most 5 seconds.
"""

import json
import re

# The plant's lathes carry serial numbers like "LT-004711": "LT-" and six digits.
SERIAL_NUMBER = re.compile(r"LT-[0-9]{6}")


def handler(event, _context):
    parameters = event.get("parameters") or {}
    serial = parameters.get("SerialNumber")
    allowed = isinstance(serial, str) and SERIAL_NUMBER.fullmatch(serial) is not None
    # One log line a request: which claim asked for which serial number, and the answer (no certificate PEM).
    print(json.dumps({
        "claimCertificateId": event.get("claimCertificateId"),
        "templateArn": event.get("templateArn"),
        "serialNumber": serial,
        "allowProvisioning": allowed,
    }))
    return {"allowProvisioning": allowed}
