//! The transaction lists of API v1.1 and v2 (`GET …/orders/transactions`): their
//! query parameters, checked once for both versions, and their items, which keep the
//! v1 names in both.
//!
//! Parameters: `startTime` and `endTime` (unix seconds; `endTime` needs
//! `startTime`), `status` (a status word), `paymentMethod`, `limit` (1–50, default
//! 15) and `page` (from 1, default 1). A parameter twice, or one that is not of its
//! form, answers errorCode 1.

use super::ApiError;
use crate::core::{Gateway, Partner};
use crate::domain::order::{self, Current};
use crate::domain::records::{Order, OrderQuery};
use appotapay_protocol::v11::ListedTransaction;
use appotapay_protocol::{Amount, ErrorCode, Lang, PaymentMethod};
use axum::http::HeaderMap;
use std::collections::BTreeMap;

/// Default page size.
pub const DEFAULT_LIMIT: u32 = 15;
/// Largest page size.
pub const MAX_LIMIT: u32 = 50;

/// A list's page, as both versions answer it.
#[derive(Debug)]
pub struct Page {
    /// The checked parameters.
    pub params: ListParams,
    /// Matching orders in all.
    pub total: i64,
    /// This page's items.
    pub items: Vec<ListedTransaction>,
}

/// Checks the parameters of `map`, filters by the sub-account of `X-Account-Ref-ID`
/// when given, and reads the page.
pub async fn page(
    gw: &Gateway,
    headers: &HeaderMap,
    partner: &Partner,
    map: &BTreeMap<String, String>,
    lang: Lang,
) -> Result<Page, ApiError> {
    let mut params = params(map, &partner.code, lang)?;
    params.query.sub_account = super::payments::sub_account(gw, headers, partner, lang).await?;
    let (total, orders) = gw.list_orders(&params.query).await?;
    let now = crate::core::now_ms();
    Ok(Page { params, total, items: orders.iter().map(|o| item(o, now)).collect() })
}

/// A query string as a map; a key given twice answers 1.
pub fn query_map(query: Option<&str>, lang: Lang) -> Result<BTreeMap<String, String>, ApiError> {
    let mut map = BTreeMap::new();
    for (k, v) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        if map.insert(k.clone().into_owned(), v.into_owned()).is_some() {
            return Err(ApiError::bad(ErrorCode::INVALID_PARAMS).lang(lang).detail(format!("{k} is given twice")));
        }
    }
    Ok(map)
}

/// A list's checked parameters.
#[derive(Clone, Debug)]
pub struct ListParams {
    /// The store's query (its partner and sub-account still to be set).
    pub query: OrderQuery,
    /// The page asked for.
    pub page: i64,
    /// The page size.
    pub limit: u32,
}

fn int(map: &BTreeMap<String, String>, key: &str, lang: Lang) -> Result<Option<i64>, ApiError> {
    match map.get(key).map(String::as_str) {
        None | Some("") => Ok(None),
        Some(v) => v.parse::<i64>().ok().filter(|n| *n >= 0).map(Some).ok_or_else(|| {
            ApiError::bad(ErrorCode::INVALID_PARAMS).lang(lang).detail(format!("{key} must be a non-negative integer"))
        }),
    }
}

/// Checks a list's parameters.
pub fn params(map: &BTreeMap<String, String>, partner_code: &str, lang: Lang) -> Result<ListParams, ApiError> {
    let bad = |why: &str| ApiError::bad(ErrorCode::INVALID_PARAMS).lang(lang).detail(why.to_owned());
    let start = int(map, "startTime", lang)?;
    let end = int(map, "endTime", lang)?;
    if end.is_some() && start.is_none() {
        return Err(bad("endTime needs startTime"));
    }
    if let (Some(s), Some(e)) = (start, end) {
        if e < s {
            return Err(bad("endTime is before startTime"));
        }
    }
    let limit = match int(map, "limit", lang)? {
        None => DEFAULT_LIMIT,
        Some(n) if (1..=i64::from(MAX_LIMIT)).contains(&n) => n as u32,
        Some(_) => return Err(bad("limit must be 1 to 50")),
    };
    let page = match int(map, "page", lang)? {
        None => 1,
        Some(n) if (1..=1_000_000).contains(&n) => n,
        Some(_) => return Err(bad("page must be at least 1")),
    };
    let states = match map.get("status").map(String::as_str) {
        None | Some("") => Vec::new(),
        Some(w) => order::states_of_word(w).ok_or_else(|| bad("status is not a known status"))?,
    };
    let payment_method = match map.get("paymentMethod").map(String::as_str) {
        None | Some("") => None,
        Some(m) => Some(m.parse::<PaymentMethod>().map_err(|_| bad("paymentMethod is not a known method"))?),
    };
    let to_ms = |s: i64| s.saturating_mul(1000);
    Ok(ListParams {
        query: OrderQuery {
            partner_code: partner_code.to_owned(),
            sub_account: None,
            start_ms: start.map(to_ms),
            end_ms: end.map(|e| to_ms(e).saturating_add(999)),
            states,
            payment_method,
            limit,
            offset: (page as u64 - 1) * u64::from(limit),
        },
        page,
        limit,
    })
}

/// An order as a list item. A fully refunded order is not told apart here (its
/// status API answers 40).
pub fn item(order: &Order, now_ms: i64) -> ListedTransaction {
    let current = Current { state: order.state, code: order.code, expires_at_ms: order.expires_at_ms };
    let code = order::status_code(current, now_ms);
    ListedTransaction {
        error_code: code,
        status: order::status_word(code).to_owned(),
        amount: Amount::vnd(order.amount),
        currency: appotapay_protocol::CURRENCY.to_owned(),
        order_id: order.order_id.clone(),
        bank_code: order.bank_code_text().to_owned(),
        payment_method: order.payment_method.as_str().to_owned(),
        payment_type: appotapay_protocol::PAYMENT_TYPE.to_owned(),
        appotapay_trans_id: order.trans_id.to_string(),
        transaction_ts: order.settled_at_ms.unwrap_or(order.updated_at_ms) / 1000,
        extra_data: order.extra_data.clone(),
    }
}
