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
    let m = match order.payment_method.as_str() {
        "ALL" => checkout.and_then(|c| c.method.as_deref())?,
        m => m,
    };
    m.parse::<PaymentMethod>().ok().filter(|m| matches!(m, PaymentMethod::Atm | PaymentMethod::Cc))
}

/// What a settlement by the checkout records: the method used (for `ALL` orders),
/// the bank or brand, and the masked card.
pub fn card_details(order: &Order, checkout: &Checkout) -> PaymentDetails {
    let method = method_of(order, Some(checkout));
    let card = checkout.card.as_ref();
    PaymentDetails {
        bank_code: card.map(|c| c.bank_code.clone()),
        payment_method: method.filter(|m| m.as_str() != order.payment_method).map(|m| m.as_str().to_owned()),
        card: card.map(|c| c.card.clone()),
    }
}
