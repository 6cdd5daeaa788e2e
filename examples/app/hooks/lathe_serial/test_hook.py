"""pytest for the lathe fleet's pre-provisioning hook, on events shaped as AWS IoT sends them."""

import pytest

import hook


def event(parameters):
    return {
        "claimCertificateId": "a" * 64,
        "certificateId": "b" * 64,
        "certificatePem": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
        "templateArn": "arn:aws:iot:eu-west-1:123456789012:provisioningtemplate/lathes",
        "clientId": "221a6d10-9c7f-42f1-9153-e52e6fc869c1",
        "parameters": parameters,
    }


def test_a_serial_number_of_the_plants_form_is_provisioned():
    assert hook.handler(event({"SerialNumber": "LT-004711", "Model": "TX-200"}), None) == {"allowProvisioning": True}


@pytest.mark.parametrize("serial", ["LT-4711", "lt-004711", "LT-0047110", "XX-004711", "LT-004711\n", ""])
def test_any_other_serial_number_is_refused(serial):
    assert hook.handler(event({"SerialNumber": serial, "Model": "TX-200"}), None) == {"allowProvisioning": False}


@pytest.mark.parametrize("parameters", [{}, None, {"SerialNumber": 4711}])
def test_a_missing_or_non_text_serial_number_is_refused(parameters):
    assert hook.handler(event(parameters), None) == {"allowProvisioning": False}


def test_the_log_line_holds_no_certificate(capsys):
    hook.handler(event({"SerialNumber": "LT-004711"}), None)
    assert "BEGIN CERTIFICATE" not in capsys.readouterr().out
