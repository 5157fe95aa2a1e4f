//! The errorCodes each partner operation can answer, with the HTTP status each comes
//! with: one table, read by [`super::document`] to give every operation its error
//! responses (the `errorCode` of each restricted to the codes listed) and the list
//! in its description.
//!
//! The codes are those the handlers (and the layers in front of them) produce, as
//! read from the code: a handler that gains a refusal gains its code here.
//!
//! Every partner operation answers, besides the codes of its own row:
//! - 401 with 401, 11, 14 or 13 (`X-APPOTAPAY-AUTH`, [`crate::api::auth`]);
//! - 503 with 500 when it is not answered within `request_timeout`, and 500 with
//!   500 when the database fails;
//! - with a body: 413 with 1 (over 64 KiB) and 408 with 1 (not received in time);
//! - a POST: 409 and 422 with 1 (`Idempotency-Key` still running or reused).

use appotapay_protocol::{DECLINE_CODES, ErrorCode as E};

/// One error answer of an operation: its HTTP status, the codes it can carry and
/// when.
#[derive(Debug)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The errorCodes, in code order.
    pub codes: Vec<E>,
    /// When it happens.
    pub when: &'static str,
}

/// The HTTP 400 codes of an operation of the partner API or the sandbox helpers
/// (`None` for an operation of neither).
fn bad_request(method: &str, path: &str) -> Option<Vec<E>> {
    let refund = [
        E::INVALID_PARAMS,
        E::PRODUCT_NOT_ACTIVE,
        E::DUPLICATE_TRANSACTION_ID,
        E::INVALID_AMOUNT,
        E::TRANSACTION_NOT_FOUND,
        E::ALREADY_REFUNDED,
        E::INVALID_ACCOUNT_REF_ID,
        E::MUST_BE_SUCCESSFUL,
        E::REFUND_EXCEEDS_AMOUNT,
    ];
    // What settling an order can meet: it was final or processing already, or it
    // became something else than asked (77 past its lifetime).
    let settle = [
        E::INVALID_PARAMS,
        E::PROCESSING,
        E::PENDING,
        E::TRANSACTION_NOT_FOUND,
        E::CANCELLED,
        E::ALREADY_SUCCEEDED,
        E::PAYMENT_EXPIRED,
        E::UNDEFINED_ERROR,
    ];
    let codes: Vec<E> = match (method, path) {
        ("post", "/api/v1/orders/payment/bank") => vec![
            E::INVALID_PARAMS,
            E::INVALID_SIGNATURE,
            E::DUPLICATE_ORDER_ID,
            E::INVALID_AMOUNT,
            E::BANK_NOT_FOUND,
            E::INVALID_PAYMENT_METHOD,
            E::INVALID_ACCOUNT_REF_ID,
        ],
        ("post", "/api/v1/orders/payment/qr") => vec![
            E::INVALID_PARAMS,
            E::INVALID_SIGNATURE,
            E::DUPLICATE_ORDER_ID,
            E::INVALID_AMOUNT,
            E::INVALID_ACCOUNT_REF_ID,
        ],
        ("post", "/api/v1/orders/transaction/bank/status" | "/api/v1.1/orders/transaction/bank/status") => {
            vec![E::INVALID_PARAMS, E::INVALID_SIGNATURE, E::TRANSACTION_NOT_FOUND, E::INVALID_ACCOUNT_REF_ID]
        }
        ("post", "/api/v1/transaction/refund") => refund.iter().chain(&[E::INVALID_SIGNATURE]).copied().collect(),
        ("post", "/api/v2/transaction/refund") => refund.to_vec(),
        ("get", "/api/v1/transaction/refund/{refund_id}" | "/api/v1/transaction/{order_id}/refund") => {
            vec![E::TRANSACTION_NOT_FOUND, E::INVALID_ACCOUNT_REF_ID]
        }
        ("get", "/api/v1/refunds") => vec![E::INVALID_PARAMS],
        ("post", "/api/v1.1/orders/payment/bank") => vec![
            E::INVALID_PARAMS,
            E::INVALID_SIGNATURE,
            E::DUPLICATE_ORDER_ID,
            E::INVALID_AMOUNT,
            E::BANK_NOT_FOUND,
            E::INVALID_PAYMENT_METHOD,
            E::TOKEN_NOT_FOUND,
            E::INVALID_ACCOUNT_REF_ID,
        ],
        ("get", "/api/v1.1/orders/transactions") => {
            vec![E::INVALID_PARAMS, E::INVALID_SIGNATURE, E::INVALID_ACCOUNT_REF_ID]
        }
        ("delete", "/api/v1.1/token/delete" | "/api/v2/token/delete") => {
            vec![E::INVALID_PARAMS, E::TOKEN_NOT_FOUND, E::INVALID_ACCOUNT_REF_ID]
        }
        ("get", "/api/v1.1/token/{order_id}") => vec![E::TOKEN_NOT_FOUND, E::INVALID_ACCOUNT_REF_ID],
        ("post", "/api/v2/orders/payment") => vec![
            E::INVALID_PARAMS,
            E::DUPLICATE_ORDER_ID,
            E::INVALID_AMOUNT,
            E::BANK_NOT_FOUND,
            E::INVALID_PAYMENT_METHOD,
            E::TOKEN_NOT_FOUND,
            E::INVALID_ACCOUNT_REF_ID,
            E::PAYMENT_METHOD_NOT_ALLOWED,
            E::BANK_CODE_NOT_ALLOWED,
        ],
        ("get", "/api/v2/orders/transaction" | "/api/v2/transaction/refund/{id}") => {
            vec![E::INVALID_PARAMS, E::TRANSACTION_NOT_FOUND, E::INVALID_ACCOUNT_REF_ID]
        }
        ("get", "/api/v2/orders/transactions") => vec![E::INVALID_PARAMS, E::INVALID_ACCOUNT_REF_ID],
        ("post", "/api/v1/sandbox/transactions/{trans_id}/complete") => {
            settle.iter().chain(DECLINE_CODES).copied().collect()
        }
        ("post", "/api/v1/sandbox/bank-credit") => {
            settle.iter().chain(DECLINE_CODES).chain(&[E::INVALID_AMOUNT]).copied().collect()
        }
        (
            "post",
            "/api/v1/sandbox/conformance" | "/api/v1/sandbox/delivery-faults" | "/api/v1/sandbox/clock/advance",
        ) => {
            vec![E::INVALID_PARAMS, E::TRANSACTION_NOT_FOUND]
        }
        ("get", "/api/v1/sandbox/clock") => vec![E::INVALID_PARAMS],
        ("get" | "delete", "/api/v1/sandbox/delivery-faults") => vec![],
        _ => return None,
    };
    let mut codes = codes;
    codes.sort_by_key(|c| c.code());
    codes.dedup();
    Some(codes)
}

/// Every error answer of a partner or sandbox operation (`None` for another
/// operation): its own 400 codes and those every partner operation shares.
pub fn answers(method: &str, path: &str, has_body: bool) -> Option<Vec<Answer>> {
    let bad = bad_request(method, path)?;
    let mut out = Vec::new();
    if !bad.is_empty() {
        out.push(Answer { status: 400, codes: bad, when: "the request is refused (X-Error-Detail says why)" });
    }
    out.push(Answer {
        status: 401,
        codes: vec![E::PARTNER_NOT_FOUND, E::PARTNER_LOCKED, E::INVALID_API_KEY, E::UNAUTHORIZED],
        when: "X-APPOTAPAY-AUTH is missing or does not verify, its partner is unknown or locked, or its api_key wrong",
    });
    if has_body {
        out.push(Answer { status: 408, codes: vec![E::INVALID_PARAMS], when: "the body was not received in time" });
    }
    if method == "post" {
        out.push(Answer {
            status: 409,
            codes: vec![E::INVALID_PARAMS],
            when: "a request with the same Idempotency-Key is still running",
        });
    }
    if has_body {
        out.push(Answer { status: 413, codes: vec![E::INVALID_PARAMS], when: "the body is over 64 KiB" });
    }
    if method == "post" {
        out.push(Answer {
            status: 422,
            codes: vec![E::INVALID_PARAMS],
            when: "the Idempotency-Key was used with another request",
        });
    }
    out.push(Answer { status: 500, codes: vec![E::SYSTEM_ERROR], when: "the database failed" });
    out.push(Answer { status: 503, codes: vec![E::SYSTEM_ERROR], when: "the request was not answered in time" });
    Some(out)
}
