//! Saved cards (API v1.1 and v2 tokens): saved by a successful
//! `PAY_WITH_RETURN_TOKEN` payment in the same transaction as the success (so its
//! `tokenResult` and the IPN that carries it are never out of step), paid with by
//! `PAY_WITH_TOKEN`, looked up and deleted by their partner only.
//!
//! A token is 16 random digits. What is kept is the masked number (first 6 + last
//! 4), the holder, the card type and its date: never the full number, which the
//! gateway does not hold past the issuer's authorisation.

use super::{CoreError, Gateway};
use crate::acquirer::Verdict;
use crate::domain::order::State;
use crate::domain::records::{CardRecord, CardToken, Checkout, Order, PendingCard};
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
    let bank_code = order.bank_code?;
    Some(CardToken {
        token: crate::crypto::random_digits(TOKEN_DIGITS),
        partner_code: order.partner_code.clone(),
        trans_id: order.trans_id.to_string(),
        number_masked: card.number_masked.replace('*', "x"),
        holder: card.name.clone(),
        date: card.date.clone(),
        card_type: card_type(order.payment_method).to_owned(),
        bank_code,
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

    /// Opens a `PAY_WITH_TOKEN` payment on the checkout: the issuer is asked about
    /// the saved card and, when it sends an OTP (the sandbox does, and then succeeds),
    /// the card awaits it as a typed card would. `false` when not applicable (not a
    /// pending token order, a card already awaiting its OTP, the token deleted since,
    /// or an issuer that takes no saved card: the customer then types a card).
    pub async fn start_token_payment(&self, order: &Order, checkout: Option<&Checkout>) -> Result<bool, CoreError> {
        let (Some(token), State::Pending) = (&order.token, order.state) else { return Ok(false) };
        if order.action != Action::PayWithToken || checkout.is_some_and(|c| c.card.is_some()) {
            return Ok(false);
        }
        let Some(saved) = self.live_token(&order.partner_code, token).await? else { return Ok(false) };
        let Verdict::SendOtp { outcome } = self.acquirer.authorize_saved().await else { return Ok(false) };
        let now = super::now_ms();
        let mut co = checkout.cloned().unwrap_or_else(|| Checkout::new(&order.trans_id, now));
        co.bank_code = Some(saved.bank_code);
        co.card = Some(PendingCard {
            card: CardRecord {
                number_masked: saved.number_masked.replace('x', "*"),
                date: saved.date.clone(),
                name: saved.holder.clone(),
                country: "VN".to_owned(),
            },
            bank_code: saved.bank_code,
            outcome,
        });
        co.updated_at_ms = now;
        self.store.put_checkout(&co).await?;
        Ok(true)
    }

    /// Deletes a partner's saved card; `false` if it has no live card by that token.
    pub async fn delete_token(&self, partner_code: &str, token: &str) -> Result<bool, CoreError> {
        Ok(self.store.delete_token(partner_code, token, super::now_ms()).await?)
    }
}
