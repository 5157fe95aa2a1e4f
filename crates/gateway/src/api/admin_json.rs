//! The JSON the admin API answers with (and the command line prints): orders, IPN
//! deliveries and their attempts, failing IPNs by partner and URL, partners,
//! sub-accounts, admin tokens (never a token or its hash) and audit entries. The
//! OpenAPI schemas of these shapes are in `openapi/schemas/console.rs`.

use crate::domain::console::{self, AdminToken, AuditEntry, DeliveryGroup, FailingDelivery};
use crate::domain::records::{AttemptRecord, Delivery, Order, PartnerRecord, SubAccount};
use serde_json::{Value, json};

/// An order as the admin API shows it: every field.
pub fn order_json(o: &Order) -> Value {
    json!({
        "appotapayTransId": o.trans_id.as_str(),
        "partnerCode": o.partner_code,
        "orderId": o.order_id,
        "kind": o.kind.as_str(),
        "apiVersion": o.api.as_str(),
        "action": o.action.as_str(),
        "signatureReading": o.signature_reading,
        "paymentMethod": o.payment_method.as_str(),
        "bankCode": o.bank_code.map(|b| b.as_str().to_owned()),
        "amount": o.amount,
        "orderInfo": o.order_info,
        "clientIp": o.client_ip,
        "notifyUrl": o.notify_url,
        "redirectUrl": o.redirect_url,
        "extraData": o.extra_data,
        "subAccount": o.sub_account,
        "state": o.state.as_str(),
        "errorCode": o.code.0,
        "card": o.card.as_ref().map(|c| json!({"numberMasked": c.number_masked, "date": c.date, "name": c.name, "country": c.country})),
        "qrPayload": o.qr_payload,
        "token": o.token,
        "createdAtMs": o.created_at_ms,
        "expiresAtMs": o.expires_at_ms,
        "updatedAtMs": o.updated_at_ms,
        "settledAtMs": o.settled_at_ms,
    })
}

/// An IPN attempt.
pub fn attempt_json(a: &AttemptRecord) -> Value {
    json!({
        "attempt": a.attempt,
        "atMs": a.at_ms,
        "httpStatus": a.http_status,
        "error": a.error,
        "latencyMs": a.latency_ms,
        "responseHead": a.response_head,
        "delivered": console::attempt_delivered(a),
    })
}

/// An IPN with its attempts.
pub fn delivery_json(d: &Delivery) -> Value {
    json!({
        "outboxId": d.id,
        "url": d.url,
        "body": d.body,
        "status": d.status.as_str(),
        "attempts": d.attempts.iter().map(attempt_json).collect::<Vec<_>>(),
    })
}

/// A failing IPN with its last attempt.
pub fn failing_json(f: &FailingDelivery) -> Value {
    json!({
        "outboxId": f.outbox_id,
        "appotapayTransId": f.trans_id,
        "partnerCode": f.partner_code,
        "url": f.url,
        "status": f.status.as_str(),
        "attempts": f.attempts,
        "createdAtMs": f.created_at_ms,
        "lastAttempt": f.last.as_ref().map(attempt_json),
    })
}

/// The failing IPNs of a partner to a URL.
pub fn group_json(g: &DeliveryGroup) -> Value {
    json!({
        "partnerCode": g.counts.partner_code,
        "url": g.counts.url,
        "failing": g.counts.failing,
        "exhausted": g.counts.exhausted,
        "failingSinceMs": g.counts.failing_since_ms,
        "lastDeliveredMs": g.counts.last_delivered_ms,
        "down": g.dark,
        "items": g.items.iter().map(failing_json).collect::<Vec<_>>(),
    })
}

/// A partner (never its secret).
pub fn partner_json(p: &PartnerRecord) -> Value {
    json!({
        "partnerCode": p.code,
        "name": p.name,
        "apiKey": p.api_key,
        "locked": p.locked,
        "notifyFailures": p.notify_failures,
        "amountMin": p.amount_min,
        "amountMax": p.amount_max,
        "createdAtMs": p.created_at_ms,
        "previousKeyUntilMs": p.previous.as_ref().map(|k| k.until_ms),
        "allowedMethods": p.allowed.methods,
        "allowedBanks": p.allowed.banks,
    })
}

/// A sub-account.
pub fn sub_json(s: &SubAccount) -> Value {
    json!({ "id": s.id, "partnerCode": s.partner_code, "owner": s.owner, "createdAtMs": s.created_at_ms })
}

/// An admin token (never the token, nor its hash).
pub fn token_json(t: &AdminToken) -> Value {
    json!({ "id": t.id, "name": t.name, "role": t.role.as_str(), "createdAtMs": t.created_at_ms, "revokedAtMs": t.revoked_at_ms })
}

/// An entry of the audit log.
pub fn audit_json(a: &AuditEntry) -> Value {
    json!({
        "id": a.id,
        "atMs": a.entry.at_ms,
        "actor": a.entry.actor,
        "action": a.entry.action,
        "target": a.entry.target,
        "detail": serde_json::from_str::<Value>(&a.entry.detail).unwrap_or(Value::Null),
    })
}
