//! The owner-type sub-account rule, the same in every API version (docs §12):
//!
//! - an order created with the `X-Account-Ref-ID` of an owner-type sub-account
//!   belongs to that sub-account;
//! - every later call about such an order (status in any version, refunds, v2
//!   queries, token calls) must carry the same header, else errorCode 90;
//! - lists filter by the header when it is given.
//!
//! An order of the partner itself, or of a sub-account that is not owner-type, is
//! answered whatever valid header comes with the call.

use super::ApiError;
use super::payments::sub_account;
use crate::core::{Gateway, Partner};
use crate::domain::records::Order;
use appotapay_protocol::{ErrorCode, Lang};
use axum::http::HeaderMap;

/// Checks that a call about `order` may see it (90 otherwise); a header naming no
/// sub-account of the partner answers 90 as at creation.
pub(super) async fn check(
    gw: &Gateway,
    headers: &HeaderMap,
    partner: &Partner,
    order: &Order,
    lang: Lang,
) -> Result<(), ApiError> {
    let given = sub_account(gw, headers, partner, lang).await?;
    let Some(owner) = &order.sub_account else { return Ok(()) };
    if given.as_deref() == Some(owner.as_str()) {
        return Ok(());
    }
    match gw.sub_account(&partner.code, owner).await? {
        Some(s) if s.owner => Err(ApiError::bad(ErrorCode::INVALID_ACCOUNT_REF_ID)
            .lang(lang)
            .detail("the order belongs to an owner-type sub-account: send its X-Account-Ref-ID")),
        _ => Ok(()),
    }
}
