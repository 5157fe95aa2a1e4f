//! Payment methods and bank codes (spec §9).
//!
//! One table lists every (method, bank code, readable name); the method → accepted
//! codes rule, the bank list of the checkout page and request validation all read it.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A `paymentMethod` value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PaymentMethod {
    /// Domestic NAPAS card or iBanking.
    #[serde(rename = "ATM")]
    Atm,
    /// International card: Visa, Mastercard, JCB.
    #[serde(rename = "CC")]
    Cc,
    /// The customer chooses ATM or CC on the hosted page.
    #[serde(rename = "ALL")]
    All,
    /// E-wallets (documented, not offered by this gateway).
    #[serde(rename = "EWALLET")]
    Ewallet,
    /// Virtual accounts (documented, not offered by this gateway).
    #[serde(rename = "VA")]
    Va,
    /// Mobile money (documented, not offered by this gateway).
    #[serde(rename = "MM")]
    Mm,
    /// Instalments (documented, not offered by this gateway).
    #[serde(rename = "ISTM")]
    Istm,
    /// Dynamic VietQR bank transfer: the method a payment created by the QR API
    /// (`POST /api/v1/orders/payment/qr`) is recorded with, and that its notifications
    /// and status answers name. Never a `paymentMethod` of a bank payment request.
    #[serde(rename = "QR")]
    Qr,
}

impl PaymentMethod {
    /// Every method: the [`BANK_REQUEST_METHODS`](Self::BANK_REQUEST_METHODS) and `QR`.
    pub const ALL_METHODS: [PaymentMethod; 8] = [
        PaymentMethod::Atm,
        PaymentMethod::Cc,
        PaymentMethod::All,
        PaymentMethod::Ewallet,
        PaymentMethod::Va,
        PaymentMethod::Mm,
        PaymentMethod::Istm,
        PaymentMethod::Qr,
    ];

    /// The documented values of a bank payment request's `paymentMethod` (spec §9):
    /// every method but `QR`, whose payments are created by the QR API.
    pub const BANK_REQUEST_METHODS: [PaymentMethod; 7] = [
        PaymentMethod::Atm,
        PaymentMethod::Cc,
        PaymentMethod::All,
        PaymentMethod::Ewallet,
        PaymentMethod::Va,
        PaymentMethod::Mm,
        PaymentMethod::Istm,
    ];

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::Atm => "ATM",
            PaymentMethod::Cc => "CC",
            PaymentMethod::All => "ALL",
            PaymentMethod::Ewallet => "EWALLET",
            PaymentMethod::Va => "VA",
            PaymentMethod::Mm => "MM",
            PaymentMethod::Istm => "ISTM",
            PaymentMethod::Qr => "QR",
        }
    }

    /// Parses the `paymentMethod` of a bank payment request: one of the
    /// [`BANK_REQUEST_METHODS`](Self::BANK_REQUEST_METHODS) (exact, case-sensitive).
    /// `QR` is not one: it is refused like an undocumented value.
    ///
    /// ```
    /// use appotapay_protocol::PaymentMethod;
    /// assert_eq!(PaymentMethod::parse_bank_request("ATM"), Ok(PaymentMethod::Atm));
    /// assert!(PaymentMethod::parse_bank_request("QR").is_err());
    /// assert_eq!("QR".parse::<PaymentMethod>(), Ok(PaymentMethod::Qr));
    /// ```
    pub fn parse_bank_request(s: &str) -> Result<PaymentMethod, UnknownPaymentMethod> {
        PaymentMethod::BANK_REQUEST_METHODS.into_iter().find(|m| m.as_str() == s).ok_or(UnknownPaymentMethod)
    }

    /// Whether card/bank payments with this method are offered (ATM, CC, ALL); the
    /// other bank request methods are documented but answer errorCode 52, and `QR`
    /// is no card method either.
    pub fn is_card_method(self) -> bool {
        matches!(self, PaymentMethod::Atm | PaymentMethod::Cc | PaymentMethod::All)
    }

    /// The banks a `bankCode` may name for this method. `ALL` accepts the ATM and
    /// CC codes (the customer still confirms the method on the page).
    ///
    /// ```
    /// use appotapay_protocol::{BankCode, PaymentMethod};
    /// let vcb = BankCode::parse("VCB").unwrap();
    /// let visa = BankCode::parse("VISA").unwrap();
    /// assert!(PaymentMethod::Atm.accepts(vcb));
    /// assert!(!PaymentMethod::Cc.accepts(vcb));
    /// assert!(PaymentMethod::All.accepts(visa));
    /// ```
    pub fn accepts(self, bank: BankCode) -> bool {
        self.banks().any(|b| b == bank)
    }

    /// The banks of this method, in the documented order.
    pub fn banks(self) -> impl Iterator<Item = BankCode> {
        BANKS
            .iter()
            .filter(move |b| match self {
                PaymentMethod::All => matches!(b.method, PaymentMethod::Atm | PaymentMethod::Cc),
                m => b.method == m,
            })
            .map(|b| BankCode(b.code))
    }
}

impl fmt::Display for PaymentMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `paymentMethod` that is not documented at all (or, for
/// [`PaymentMethod::parse_bank_request`], not one a bank payment request may name).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown payment method")]
pub struct UnknownPaymentMethod;

impl FromStr for PaymentMethod {
    type Err = UnknownPaymentMethod;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PaymentMethod::ALL_METHODS.into_iter().find(|m| m.as_str() == s).ok_or(UnknownPaymentMethod)
    }
}

/// One row of the bank table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BankInfo {
    /// The method the code belongs to.
    pub method: PaymentMethod,
    /// The `bankCode` wire value.
    pub code: &'static str,
    /// A readable name for the checkout page.
    pub name: &'static str,
}

macro_rules! banks {
    ($( $method:ident $code:literal $name:literal; )*) => {
        /// Every documented (method, bankCode, name), in the documented order.
        pub const BANKS: &[BankInfo] = &[
            $( BankInfo { method: PaymentMethod::$method, code: $code, name: $name }, )*
        ];
    };
}

banks! {
    Atm "VCB" "Vietcombank";
    Atm "TECHCOMBANK" "Techcombank";
    Atm "TPBANK" "TPBank";
    Atm "VIETINBANK" "VietinBank";
    Atm "VIB" "VIB";
    Atm "VIETBANK" "Vietbank";
    Atm "HDBANK" "HDBank";
    Atm "MB" "MB Bank";
    Atm "VIETABANK" "VietABank";
    Atm "MARITIMEBANK" "MSB (Maritime Bank)";
    Atm "EXIMBANK" "Eximbank";
    Atm "SHB" "SHB";
    Atm "VPBANK" "VPBank";
    Atm "ABBANK" "ABBANK";
    Atm "SACOMBANK" "Sacombank";
    Atm "NAMA" "Nam A Bank";
    Atm "OCEANBANK" "OceanBank";
    Atm "BIDV" "BIDV";
    Atm "SEABANK" "SeABank";
    Atm "BACA" "Bac A Bank";
    Atm "NCB" "NCB";
    Atm "AGRIBANK" "Agribank";
    Atm "SAIGONBANK" "Saigonbank";
    Atm "PVBANK" "PVcomBank";
    Atm "ACB" "ACB";
    Atm "LPB" "LPBank";
    Atm "BVBANK" "BVBank";
    Atm "OCB" "OCB";
    Atm "KIENLONGBANK" "KienlongBank";
    Atm "VRB" "VRB";
    Atm "PBVN" "Public Bank Vietnam";
    Atm "PGBANK" "PGBank";
    Atm "GPBANK" "GPBank";
    Atm "SCB" "SCB";
    Atm "WOORIBANK" "Woori Bank";
    Atm "VIETCAPITALBANK" "Viet Capital Bank";
    Atm "UOB" "UOB";
    Atm "IVB" "Indovina Bank";
    Atm "SHINHANBANK" "Shinhan Bank";
    Cc "VISA" "Visa";
    Cc "MASTERCARD" "Mastercard";
    Cc "JCB" "JCB";
    Ewallet "APPOTA" "AppotaPay";
    Ewallet "SHOPEEPAY" "ShopeePay";
    Ewallet "VNPTWALLET" "VNPT Money";
    Ewallet "ZALOPAY" "ZaloPay";
    Va "WOORIBANK" "Woori Bank";
    Va "VIETCAPITALBANK" "Viet Capital Bank";
    Mm "VINAPHONE" "VinaPhone";
    Istm "BAOKIM" "Bao Kim";
}

/// A documented `bankCode`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct BankCode(&'static str);

impl BankCode {
    /// The code if it is documented for any method (exact, case-sensitive match).
    pub fn parse(code: &str) -> Option<BankCode> {
        BANKS.iter().find(|b| b.code == code).map(|b| BankCode(b.code))
    }

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        self.0
    }

    /// A readable name.
    pub fn name(self) -> &'static str {
        BANKS.iter().find(|b| b.code == self.0).map_or(self.0, |b| b.name)
    }

    /// The method the code names a card of when used with `ALL` (ATM or CC).
    pub fn card_method(self) -> Option<PaymentMethod> {
        BANKS
            .iter()
            .find(|b| b.code == self.0 && matches!(b.method, PaymentMethod::Atm | PaymentMethod::Cc))
            .map(|b| b.method)
    }
}

impl fmt::Debug for BankCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BankCode({})", self.0)
    }
}

impl fmt::Display for BankCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_match_the_spec() {
        assert_eq!(PaymentMethod::Atm.banks().count(), 39);
        assert_eq!(PaymentMethod::Cc.banks().count(), 3);
        assert_eq!(PaymentMethod::All.banks().count(), 42);
        assert_eq!(PaymentMethod::Va.banks().count(), 2);
    }

    #[test]
    fn method_rules() {
        let mb = BankCode::parse("MB").expect("MB");
        assert!(PaymentMethod::Atm.accepts(mb));
        assert!(!PaymentMethod::Cc.accepts(mb));
        assert_eq!(mb.card_method(), Some(PaymentMethod::Atm));
        assert_eq!(BankCode::parse("JCB").and_then(BankCode::card_method), Some(PaymentMethod::Cc));
        assert!(BankCode::parse("vcb").is_none());
        assert!(BankCode::parse("NOPE").is_none());
        assert_eq!("ALL".parse::<PaymentMethod>(), Ok(PaymentMethod::All));
        assert!("atm".parse::<PaymentMethod>().is_err());
        assert!(!PaymentMethod::Ewallet.is_card_method());
    }

    #[test]
    fn qr_is_a_method_but_no_bank_request_method() {
        assert_eq!(PaymentMethod::Qr.as_str(), "QR");
        assert_eq!("QR".parse::<PaymentMethod>(), Ok(PaymentMethod::Qr));
        assert!("qr".parse::<PaymentMethod>().is_err());
        assert_eq!(serde_json::to_string(&PaymentMethod::Qr).ok().as_deref(), Some("\"QR\""));
        assert_eq!(serde_json::from_str::<PaymentMethod>("\"QR\"").ok(), Some(PaymentMethod::Qr));
        assert!(!PaymentMethod::Qr.is_card_method());
        assert_eq!(PaymentMethod::Qr.banks().count(), 0);
        assert_eq!(PaymentMethod::parse_bank_request("QR"), Err(UnknownPaymentMethod));
        assert!(!PaymentMethod::BANK_REQUEST_METHODS.contains(&PaymentMethod::Qr));
        for m in PaymentMethod::ALL_METHODS {
            assert_eq!(m.as_str().parse::<PaymentMethod>(), Ok(m));
            assert_eq!(m.to_string(), m.as_str());
            let json = serde_json::to_string(&m).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", m.as_str()));
            assert_eq!(serde_json::from_str::<PaymentMethod>(&json).ok(), Some(m));
            let requestable = PaymentMethod::BANK_REQUEST_METHODS.contains(&m);
            assert_eq!(PaymentMethod::parse_bank_request(m.as_str()).is_ok(), requestable);
            assert_eq!(requestable, m != PaymentMethod::Qr);
        }
    }
}
