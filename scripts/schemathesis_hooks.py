"""schemathesis hooks for scripts/schemathesis: sign what the partner API v1.0 and
v1.1 expect signed, so that generated requests get past the signature check (2)
to the field rules behind it.

Bodies are signed by the gateway's own `sign` command (the protocol crate's field
lists, no second implementation); the v1.1 list's query is signed over the
parameters present, sorted (one of the two readings the gateway accepts). A body
without a `signature` key is left alone: the missing signature is tested too.
"""

import hashlib
import hmac
import json
import os
import subprocess

import schemathesis

BIN = os.environ["APPOTAPAY_GATEWAY_BIN"]
SECRET = os.environ.get("APPOTAPAY_SIGN_SECRET", "XAonJgy14YhtePEITXhyBS2unjfJLAV3")

KINDS = {
    ("POST", "/api/v1/orders/payment/bank"): "bank_req",
    ("POST", "/api/v1.1/orders/payment/bank"): "bank_req",
    ("POST", "/api/v1/orders/payment/qr"): "qr_req",
    ("POST", "/api/v1/orders/transaction/bank/status"): "status_req",
    ("POST", "/api/v1.1/orders/transaction/bank/status"): "status_req",
    ("POST", "/api/v1/transaction/refund"): "refund_req",
}


def _operation(ctx):
    op = getattr(ctx, "operation", None)
    if op is None:
        return None
    return (op.method.upper(), op.path)


@schemathesis.hook
def map_body(ctx, body):
    kind = KINDS.get(_operation(ctx))
    if kind is None or not isinstance(body, dict) or "signature" not in body:
        return body
    try:
        text = json.dumps(body)
    except (TypeError, ValueError):
        return body
    out = subprocess.run(
        [BIN, "sign", "--kind", kind, "--json", "-", "--secret", SECRET],
        input=text.encode(),
        capture_output=True,
        check=False,
    )
    if out.returncode != 0:
        return body
    body = dict(body)
    body["signature"] = json.loads(out.stdout)["signature"]
    return body


@schemathesis.hook
def map_query(ctx, query):
    if _operation(ctx) != ("GET", "/api/v1.1/orders/transactions") or not isinstance(query, dict):
        return query
    if "signature" not in query:
        return query
    present = sorted((str(k), str(v)) for k, v in query.items() if k != "signature")
    data = "&".join(f"{k}={v}" for k, v in present)
    query = dict(query)
    query["signature"] = hmac.new(SECRET.encode(), data.encode(), hashlib.sha256).hexdigest()
    return query
