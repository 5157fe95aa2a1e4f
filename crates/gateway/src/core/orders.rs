//! Orders: creation (drawing a fresh `appotapayTransId`, with the VietQR payload of a
//! QR order, naming the partner's collecting account or the gateway's) and lookups.

use super::{CoreError, Gateway, now_ms};
use crate::domain::order::State;
use crate::domain::records::{ApiVersion, CreateOutcome, Order, OrderKind, OrderQuery};
use crate::metrics;
use crate::store::StoreError;
use appotapay_protocol::v11::{Action, Reading};
use appotapay_protocol::{BankCode, ErrorCode, PaymentMethod};

/// A new order as validated by the API.
#[derive(Clone, Debug)]
pub struct NewOrder {
    /// Partner.
    pub partner_code: String,
    /// The partner's id.
    pub order_id: String,
    /// Bank or QR.
    pub kind: OrderKind,
    /// Method (`QR` for QR orders).
    pub payment_method: PaymentMethod,
    /// Bank code, if the merchant chose one.
    pub bank_code: Option<BankCode>,
    /// VND.
    pub amount: i64,
    /// Description.
    pub order_info: String,
    /// Customer IP.
    pub client_ip: String,
    /// IPN URL.
    pub notify_url: String,
    /// Redirect URL or empty.
    pub redirect_url: String,
    /// Extra data.
    pub extra_data: String,
    /// Sub-account.
    pub sub_account: Option<String>,
    /// The API version creating it.
    pub api: ApiVersion,
    /// Its action (`PAY` for v1.0).
    pub action: Action,
    /// The saved card it pays with (`PAY_WITH_TOKEN`), already checked.
    pub token: Option<String>,
    /// The reading of the v1.1 create signature that matched.
    pub signature_reading: Option<Reading>,
}

impl NewOrder {
    /// A v1.0 order with the fields every version has.
    pub fn v1(partner_code: &str, order_id: &str, kind: OrderKind, payment_method: PaymentMethod) -> NewOrder {
        NewOrder {
            partner_code: partner_code.to_owned(),
            order_id: order_id.to_owned(),
            kind,
            payment_method,
            bank_code: None,
            amount: 0,
            order_info: String::new(),
            client_ip: String::new(),
            notify_url: String::new(),
            redirect_url: String::new(),
            extra_data: String::new(),
            sub_account: None,
            api: ApiVersion::V1_0,
            action: Action::Pay,
            token: None,
            signature_reading: None,
        }
    }
}

impl Gateway {
    /// Whether IPNs may be sent to `url`, checked when an order names it: `Err`
    /// explains a refusal (see [`crate::domain::outbound::OutboundPolicy`]).
    pub fn check_notify_url(&self, url: &url::Url) -> Result<(), String> {
        self.outbound.check_notify_url(url)
    }

    /// Creates an order, drawing a fresh appotapayTransId. `Ok(None)` means the
    /// partner already used this order id (errorCode 30).
    pub async fn create_order(&self, new: NewOrder) -> Result<Option<Order>, CoreError> {
        let now = now_ms();
        let ttl = self.config.payment_ttl.as_millis() as i64;
        let account = match new.kind {
            OrderKind::Qr => Some(self.collecting_account_of(&new.partner_code).await?),
            OrderKind::Bank => None,
        };
        for _ in 0..16 {
            let Some(trans_id) = self.trans_ids.next(now) else { continue };
            let qr_payload =
                account.as_ref().and_then(|a| super::credits::vietqr_payload(a, new.amount, trans_id.as_str()));
            let order = Order {
                trans_id,
                partner_code: new.partner_code.clone(),
                order_id: new.order_id.clone(),
                kind: new.kind,
                payment_method: new.payment_method,
                bank_code: new.bank_code,
                amount: new.amount,
                order_info: new.order_info.clone(),
                client_ip: new.client_ip.clone(),
                notify_url: new.notify_url.clone(),
                redirect_url: new.redirect_url.clone(),
                extra_data: new.extra_data.clone(),
                sub_account: new.sub_account.clone(),
                state: State::Pending,
                code: ErrorCode::PENDING,
                card: None,
                qr_payload,
                created_at_ms: now,
                expires_at_ms: now + ttl,
                updated_at_ms: now,
                settled_at_ms: None,
                api: new.api,
                action: new.action,
                token: new.token.clone(),
                signature_reading: new.signature_reading.map(|r| r.as_str().to_owned()),
            };
            match self.store.create_order(&order).await? {
                CreateOutcome::Created => {
                    metrics::order_created(order.payment_method.as_str());
                    self.publish(
                        "order",
                        &order,
                        format!("created: {} {} VND", order.payment_method.as_str(), order.amount),
                    );
                    return Ok(Some(order));
                }
                CreateOutcome::DuplicateOrderId => return Ok(None),
                CreateOutcome::TransIdTaken => self.trans_ids.taken(),
            }
        }
        Err(CoreError::Store(StoreError::Database("could not draw a free appotapayTransId".into())))
    }

    /// An order by appotapayTransId.
    pub async fn order(&self, trans_id: &str) -> Result<Option<Order>, CoreError> {
        Ok(self.store.get_order(trans_id).await?)
    }

    /// An order of `partner_code` by appotapayTransId; `None` also for another
    /// partner's order.
    pub async fn partner_order(&self, partner_code: &str, trans_id: &str) -> Result<Option<Order>, CoreError> {
        Ok(self.store.get_order(trans_id).await?.filter(|o| o.partner_code == partner_code))
    }

    /// An order by the partner's order id.
    pub async fn find_order(&self, partner_code: &str, order_id: &str) -> Result<Option<Order>, CoreError> {
        Ok(self.store.find_order(partner_code, order_id).await?)
    }

    /// A page of a partner's orders, newest first, and how many match.
    pub async fn list_orders(&self, query: &OrderQuery) -> Result<(i64, Vec<Order>), CoreError> {
        Ok(self.store.list_orders(query).await?)
    }
}
