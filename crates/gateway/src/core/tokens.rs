//! Saved cards (API v1.1 and v2 tokens): saved by a successful
//! `PAY_WITH_RETURN_TOKEN` payment in the same transaction as the success (so its
//! `tokenResult` and the IPN that carries it are never out of step), paid with by
//! `PAY_WITH_TOKEN`, looked up and deleted by their partner only.
//!
//! A token is 16 random digits. What is kept is the masked number (first 6 + last
//! 4), the holder, the card type and its date: never the full number, which the
//! gateway does not hold past the issuer's authorisation.

use super::{CoreError, Gateway};
use crate::domain::records::{CardToken, Order};
use appotapay_protocol::PaymentMethod;
use appotapay_protocol::v11::{Action, TokenCard};

/// Digits of a token.
pub const TOKEN_DIGITS: usize = 16;

/// The card a successful payment of `order` (as the success leaves it) saves: only
/// for `PAY_WITH_RETURN_TOKEN` orders with a card recorded.
pub fn token_to_save(order: &Order, now_ms: i64) -> Option<CardToken> {
    if order.action != Action::PayWithReturnToken {
        return None;
    }
    let card = order.card.as_ref()?;
    Some(CardToken {
        token: crate::crypto::random_digits(TOKEN_DIGITS),
        partner_code: order.partner_code.clone(),
        trans_id: order.trans_id.to_string(),
        number_masked: card.number_masked.replace('*', "x"),
        holder: card.name.clone(),
        date: card.date.clone(),
        card_type: card_type(order.payment_method).to_owned(),
        created_at_ms: now_ms,
        deleted_at_ms: None,
    })
}

/// `card_type` of a card paying with `method`.
pub fn card_type(method: PaymentMethod) -> &'static str {
    match method {
        PaymentMethod::Cc => "CREDIT_CARD",
        _ => "ATM_CARD",
    }
}

/// A saved card as the token APIs show it.
pub fn token_card(t: &CardToken) -> TokenCard {
    TokenCard {
        status: "active".to_owned(),
        token: t.token.clone(),
        card_name: t.holder.clone(),
        card_number: t.number_masked.clone(),
        card_date: t.date.clone(),
        card_type: t.card_type.clone(),
    }
}

impl Gateway {
    /// A live saved card of `partner_code`; `None` for an unknown, deleted or other
    /// partner's token (errorCode 87 all three: nothing tells them apart).
    pub async fn live_token(&self, partner_code: &str, token: &str) -> Result<Option<CardToken>, CoreError> {
        Ok(self.store.get_token(token).await?.filter(|t| t.partner_code == partner_code && t.deleted_at_ms.is_none()))
    }

    /// The live card an order saved (`PAY_WITH_RETURN_TOKEN`, once paid).
    pub async fn saved_token(&self, order: &Order) -> Result<Option<CardToken>, CoreError> {
        match (&order.token, order.action) {
            (Some(t), Action::PayWithReturnToken) => self.live_token(&order.partner_code, t).await,
            _ => Ok(None),
        }
    }

    /// Deletes a partner's saved card; `false` if it has no live card by that token.
    pub async fn delete_token(&self, partner_code: &str, token: &str) -> Result<bool, CoreError> {
        Ok(self.store.delete_token(partner_code, token, super::now_ms()).await?)
    }
}
