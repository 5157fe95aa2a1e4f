//! The hosted checkout's rules about an order being paid, pure: which method a
//! customer is paying with, and what a settlement by the checkout records.

use crate::domain::records::{Checkout, Order, OrderKind, PaymentDetails};
use appotapay_protocol::PaymentMethod;

/// The method an order is being paid with: the merchant's `ATM`/`CC`, or for `ALL`
/// the customer's choice (`None` until made). QR orders have none.
pub fn method_of(order: &Order, checkout: Option<&Checkout>) -> Option<PaymentMethod> {
    if order.kind == OrderKind::Qr {
        return None;
    }
    let m = match order.payment_method {
        PaymentMethod::All => checkout.and_then(|c| c.method)?,
        m => m,
    };
    matches!(m, PaymentMethod::Atm | PaymentMethod::Cc).then_some(m)
}

/// What a settlement by the checkout records: the method used (for `ALL` orders),
/// the bank or brand, and the masked card.
pub fn card_details(order: &Order, checkout: &Checkout) -> PaymentDetails {
    let method = method_of(order, Some(checkout));
    let card = checkout.card.as_ref();
    PaymentDetails {
        bank_code: card.map(|c| c.bank_code),
        payment_method: method.filter(|m| *m != order.payment_method),
        card: card.map(|c| c.card.clone()),
        credit_id: None,
    }
}
