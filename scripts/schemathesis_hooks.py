"""schemathesis hooks for scripts/schemathesis.

- Sign what the partner API v1.0 and v1.1 expect signed, so that generated requests
  get past the signature check (2) to the field rules behind it. Bodies are signed
  by the gateway's own `sign` command (the protocol crate's field lists, no second
  implementation); the v1.1 list's query is signed over the parameters present,
  sorted (one of the two readings the gateway accepts). A body without a
  `signature` key is left alone: the missing signature is tested too.
- Aim some requests at things that exist: on first use, create a few orders (v1.0
  card, paid and partly refunded; v1.0 QR; v2) through the API, then put their ids
  in place of about half of the generated ids (path parameters, body and query
  fields), chosen from the generated value so that a failing case replays the same.
"""

import hashlib
import hmac
import json
import os
import subprocess
import urllib.error
import urllib.request

import schemathesis

BIN = os.environ["APPOTAPAY_GATEWAY_BIN"]
BASE = os.environ["APPOTAPAY_BASE_URL"]
TOKEN = os.environ["APPOTAPAY_TOKEN"]
SECRET = os.environ.get("APPOTAPAY_SIGN_SECRET", "XAonJgy14YhtePEITXhyBS2unjfJLAV3")

KINDS = {
    ("POST", "/api/v1/orders/payment/bank"): "bank_req",
    ("POST", "/api/v1.1/orders/payment/bank"): "bank_req",
    ("POST", "/api/v1/orders/payment/qr"): "qr_req",
    ("POST", "/api/v1/orders/transaction/bank/status"): "status_req",
    ("POST", "/api/v1.1/orders/transaction/bank/status"): "status_req",
    ("POST", "/api/v1/transaction/refund"): "refund_req",
}


def _sign(kind, body):
    out = subprocess.run(
        [BIN, "sign", "--kind", kind, "--json", "-", "--secret", SECRET],
        input=json.dumps(body).encode(),
        capture_output=True,
        check=False,
    )
    if out.returncode != 0:
        return None
    return json.loads(out.stdout)["signature"]


def _call(method, path, body):
    req = urllib.request.Request(
        BASE + path,
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"content-type": "application/json", "x-appotapay-auth": TOKEN},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())
    except (urllib.error.URLError, ValueError):
        return {}


def _trans_id(payment_url):
    # paymentUrl: …/bank/payment/process?tran=<base64url of tid=…&orderId=…&ts=…>&sign=…
    import base64
    from urllib.parse import parse_qs, urlparse

    tran = parse_qs(urlparse(payment_url).query).get("tran", [""])[0]
    try:
        text = base64.urlsafe_b64decode(tran + "=" * (-len(tran) % 4)).decode()
    except ValueError:
        return ""
    return parse_qs(text).get("tid", [""])[0]


_FIXTURES = None


def _fixtures():
    """Orders (and a refund) that exist, made once."""
    global _FIXTURES
    if _FIXTURES is not None:
        return _FIXTURES
    f = {"orderId": [], "transId": [], "refundId": [], "gatewayRefundId": []}
    common = {
        "amount": 50000,
        "clientIp": "203.0.113.7",
        "notifyUrl": "http://127.0.0.1:9/ipn",
        "redirectUrl": "http://127.0.0.1:9/return",
        "extraData": "",
        "orderInfo": "schemathesis",
    }
    for n, kind in enumerate(["bank_req", "bank_req", "qr_req"]):
        body = dict(common, orderId=f"st-fixture-{n}")
        if kind == "bank_req":
            body.update(paymentMethod="ATM", bankCode="")
            path = "/api/v1/orders/payment/bank"
        else:
            path = "/api/v1/orders/payment/qr"
        body["signature"] = _sign(kind, body)
        answer = _call("POST", path, body)
        trans = answer.get("appotapayTransId") or _trans_id(answer.get("paymentUrl", ""))
        if trans:
            f["orderId"].append(body["orderId"])
            f["transId"].append(trans)
    if len(f["transId"]) > 1:
        paid = f["transId"][1]
        _call("POST", f"/api/v1/sandbox/transactions/{paid}/complete", {"errorCode": 0})
        refund = {"refundId": "st-refund-1", "appotapayTransId": paid, "amount": 10000, "reason": "schemathesis"}
        refund["signature"] = _sign("refund_req", refund)
        answer = _call("POST", "/api/v1/transaction/refund", refund)
        if answer.get("data"):
            f["refundId"].append("st-refund-1")
            f["gatewayRefundId"].append(answer["data"].get("refundId", ""))
    v2 = {
        "transaction": {"amount": 20000, "currency": "VND", "paymentMethod": "ALL", "action": "PAY"},
        "partnerReference": {
            "order": {"id": "st-fixture-v2", "info": "schemathesis"},
            "notificationConfig": {"notifyUrl": "http://127.0.0.1:9/ipn", "redirectUrl": "http://127.0.0.1:9/r"},
        },
    }
    answer = _call("POST", "/api/v2/orders/payment", v2)
    if answer.get("transaction"):
        f["orderId"].append("st-fixture-v2")
        f["transId"].append(answer["transaction"]["transactionId"])
    _FIXTURES = f
    return f


# Which fixture stands in for a generated value, by field name.
FIELDS = {
    "orderId": "orderId",
    "order_id": "orderId",
    "referenceId": "transId",
    "appotapayTransId": "transId",
    "transactionId": "transId",
    "trans_id": "transId",
    "memo": "transId",
    "refundId": "refundId",
    "refund_id": "refundId",
    "partnerRefId": "refundId",
    "id": "gatewayRefundId",
}


def _partner(value):
    """The sandbox partner for about half of the generated partner codes."""
    digest = hashlib.sha256(repr(value).encode()).digest()
    return "APPOTAPAY" if digest[0] % 2 == 0 else value


def _pick(value, kind):
    """A fixture for about half of the generated values, the same for the same value."""
    choices = _fixtures().get(kind) or []
    if not choices:
        return value
    digest = hashlib.sha256(repr(value).encode()).digest()
    if digest[0] % 2:
        return value
    return choices[digest[1] % len(choices)]


def _aim(values, skip=()):
    if not isinstance(values, dict):
        return values
    out = dict(values)
    for key, value in values.items():
        kind = FIELDS.get(key)
        if kind and key not in skip:
            out[key] = _pick(value, kind)
    return out


@schemathesis.hook
def map_path_parameters(ctx, path_parameters):
    path_parameters = _aim(path_parameters)
    if isinstance(path_parameters, dict) and "partner_code" in path_parameters:
        path_parameters = dict(path_parameters, partner_code=_partner(path_parameters["partner_code"]))
    return path_parameters


def _operation(ctx):
    op = getattr(ctx, "operation", None)
    if op is None:
        return None
    return (op.method.upper(), op.path)


# Creations keep their generated ids (a fixture's would only answer 30).
CREATIONS = {
    ("POST", "/api/v1/orders/payment/bank"),
    ("POST", "/api/v1.1/orders/payment/bank"),
    ("POST", "/api/v1/orders/payment/qr"),
}


@schemathesis.hook
def map_body(ctx, body):
    op = _operation(ctx)
    if isinstance(body, dict) and op not in CREATIONS:
        body = _aim(body, skip=("refundId", "partnerRefId") if op and op[1].endswith("/refund") else ())
    kind = KINDS.get(op)
    if kind is None or not isinstance(body, dict) or "signature" not in body:
        return body
    try:
        signature = _sign(kind, body)
    except (TypeError, ValueError):
        return body
    if signature is None:
        return body
    body = dict(body)
    body["signature"] = signature
    return body


@schemathesis.hook
def map_query(ctx, query):
    query = _aim(query)
    if _operation(ctx) != ("GET", "/api/v1.1/orders/transactions") or not isinstance(query, dict):
        return query
    if "signature" not in query:
        return query
    present = sorted((str(k), str(v)) for k, v in query.items() if k != "signature")
    data = "&".join(f"{k}={v}" for k, v in present)
    query = dict(query)
    query["signature"] = hmac.new(SECRET.encode(), data.encode(), hashlib.sha256).hexdigest()
    return query
