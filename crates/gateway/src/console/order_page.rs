//! The order page, `/console/orders/{appotapayTransId}`: every field, the timeline,
//! the payment link and the signed redirect, every IPN with every attempt, the
//! refunds, and the operator's forms (resend, refund, sandbox settle).

use super::format::{vn_time, vnd};
use super::pages::{FlashQuery, bad_request, chrome, flash_text, internal, path_of, signed_in};
use super::views::*;
use super::{html, message};
use crate::core::Gateway;
use crate::domain::console::{attempt_delivered, attempt_result};
use crate::domain::order::State as OrderState;
use appotapay_protocol::ErrorCode;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use std::sync::Arc;

fn opt(v: Option<String>) -> String {
    v.unwrap_or_default()
}

/// `GET /console/orders/{appotapayTransId}`.
pub async fn order(
    State(gw): State<Arc<Gateway>>,
    headers: HeaderMap,
    uri: OriginalUri,
    id: Result<Path<String>, PathRejection>,
    q: Result<Query<FlashQuery>, QueryRejection>,
) -> Response {
    let (v, _) = or_answer!(signed_in(&gw, &headers).await);
    let here = path_of(&uri);
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let c = chrome(&gw, &v, "orders", &here, flash_text(&v, q.flash.as_deref()));
    let Ok(Path(id)) = id else { return bad_request(&gw, &v, "orders", "/console/orders") };
    let story = match gw.order_story(&id).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            let t = c.t;
            return message(c, StatusCode::NOT_FOUND, t.not_found, id, "/console/orders".into());
        }
        Err(e) => return internal(e),
    };
    let o = &story.order;
    let card = o.card.as_ref();
    let fields = vec![
        Field { name: "appotapayTransId", value: o.trans_id.as_str().to_owned() },
        Field { name: "partnerCode", value: o.partner_code.clone() },
        Field { name: "orderId", value: o.order_id.clone() },
        Field { name: "apiVersion", value: o.api.as_str().to_owned() },
        Field { name: "action", value: o.action.as_str().to_owned() },
        Field { name: "kind", value: o.kind.as_str().to_owned() },
        Field { name: "paymentMethod", value: o.payment_method.as_str().to_owned() },
        Field { name: "bankCode", value: opt(o.bank_code.map(|b| b.as_str().to_owned())) },
        Field { name: "amount", value: vnd(o.amount) },
        Field { name: "orderInfo", value: o.order_info.clone() },
        Field { name: "state", value: o.state.as_str().to_owned() },
        Field { name: "errorCode", value: format!("{} · {}", o.code.0, o.code.message(v.lang)) },
        Field { name: "clientIp", value: o.client_ip.clone() },
        Field { name: "notifyUrl", value: o.notify_url.clone() },
        Field { name: "redirectUrl", value: o.redirect_url.clone() },
        Field { name: "extraData", value: o.extra_data.clone() },
        Field { name: "subAccount", value: opt(o.sub_account.clone()) },
        Field { name: "card", value: opt(card.map(|c| format!("{} · {} · {}", c.number_masked, c.date, c.name))) },
        Field { name: "token", value: opt(o.token.clone()) },
        Field { name: "qrPayload", value: opt(o.qr_payload.clone()) },
        Field { name: "signatureReading", value: opt(o.signature_reading.clone()) },
        Field { name: "createdAt", value: vn_time(o.created_at_ms) },
        Field { name: "expiresAt", value: vn_time(o.expires_at_ms) },
        Field { name: "updatedAt", value: vn_time(o.updated_at_ms) },
        Field { name: "settledAt", value: opt(o.settled_at_ms.map(vn_time)) },
    ];
    let timeline = story
        .timeline
        .iter()
        .map(|e| TimelineRow { time: vn_time(e.at_ms), kind: e.kind, what: e.what.clone() })
        .collect();
    let deliveries = story
        .deliveries
        .iter()
        .map(|d| DeliveryView {
            id: d.id,
            url: d.url.clone(),
            status: d.status.as_str(),
            body: d.body.clone(),
            attempts: d
                .attempts
                .iter()
                .map(|a| AttemptView {
                    attempt: a.attempt,
                    time: vn_time(a.at_ms),
                    result: attempt_result(a),
                    latency_ms: a.latency_ms,
                    head: a.response_head.clone(),
                    delivered: attempt_delivered(a),
                })
                .collect(),
        })
        .collect();
    let refunds = story
        .refunds
        .iter()
        .map(|r| RefundRow {
            refund_id: r.refund_id.clone(),
            partner_refund_id: r.refund_original_id.clone(),
            amount: vnd(r.amount),
            status: r.status.as_str(),
            reason: r.reason.clone(),
            created: vn_time(r.created_at_ms),
        })
        .collect();
    let ledger = match gw.refund_ledger(o).await {
        Ok(l) => l,
        Err(e) => return internal(e),
    };
    let refundable = if o.state == OrderState::Success { (ledger.paid - ledger.committed).max(0) } else { 0 };
    let can_settle = gw.simulator().is_some() && !o.state.is_final();
    let mut codes = vec![ErrorCode::SUCCESS, ErrorCode::CANCELLED, ErrorCode::PAYMENT_EXPIRED];
    codes.extend_from_slice(appotapay_protocol::DECLINE_CODES);
    let settle_codes = codes.into_iter().map(|c| (c.0, c.message(v.lang).to_owned())).collect();
    html(
        StatusCode::OK,
        &OrderPage {
            c,
            trans_id: o.trans_id.as_str().to_owned(),
            order_id: o.order_id.clone(),
            state: o.state.as_str(),
            fields,
            timeline,
            redirect_url: story.redirect_url.clone(),
            payment_url: story.payment_url.clone(),
            deliveries,
            refunds,
            refundable,
            refundable_text: vnd(refundable),
            refund_key: crate::crypto::random_token(16),
            can_settle,
            settle_codes,
        },
    )
}
