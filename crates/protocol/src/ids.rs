//! Identifiers with a documented shape.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The gateway's transaction id: `AP` followed by 12 digits (spec §5.1 decision),
/// e.g. `AP221434473737`.
///
/// ```
/// use appotapay_protocol::AppotapayTransId;
/// let id: AppotapayTransId = "AP221434473737".parse().unwrap();
/// assert_eq!(id.number(), 221434473737);
/// assert_eq!(AppotapayTransId::from_number(42).unwrap().as_str(), "AP000000000042");
/// assert!("AP12".parse::<AppotapayTransId>().is_err());
/// assert_eq!(id, "AP221434473737");
/// assert!(id.starts_with("AP"), "reads as text");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AppotapayTransId(String);

/// The largest number an [`AppotapayTransId`] can carry.
pub const MAX_TRANS_NUMBER: u64 = 999_999_999_999;

impl AppotapayTransId {
    /// The id for `number` (at most 12 digits).
    pub fn from_number(number: u64) -> Option<AppotapayTransId> {
        (number <= MAX_TRANS_NUMBER).then(|| AppotapayTransId(format!("AP{number:012}")))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 12-digit number behind the id.
    pub fn number(&self) -> u64 {
        self.0[2..].bytes().fold(0u64, |acc, b| acc * 10 + u64::from(b - b'0'))
    }
}

/// Text that is not `AP` + 12 digits.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("an appotapayTransId is AP followed by 12 digits")]
pub struct InvalidTransId;

impl FromStr for AppotapayTransId {
    type Err = InvalidTransId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let b = s.as_bytes();
        if b.len() == 14 && b.starts_with(b"AP") && b[2..].iter().all(u8::is_ascii_digit) {
            Ok(AppotapayTransId(s.to_owned()))
        } else {
            Err(InvalidTransId)
        }
    }
}

impl TryFrom<String> for AppotapayTransId {
    type Error = InvalidTransId;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<AppotapayTransId> for String {
    fn from(id: AppotapayTransId) -> String {
        id.0
    }
}

/// An id reads as its text wherever text is expected (`&id` as a `&str`).
impl std::ops::Deref for AppotapayTransId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for AppotapayTransId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for AppotapayTransId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for AppotapayTransId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for AppotapayTransId {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

impl fmt::Display for AppotapayTransId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for AppotapayTransId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AppotapayTransId({})", self.0)
    }
}

/// Whether `id` is an acceptable partner `orderId` or `refundId`: 1..=50 characters
/// of `[A-Za-z0-9_.:-]` (spec §5.1 decision).
///
/// ```
/// assert!(appotapay_protocol::is_valid_order_id("5f61cf4f41e2b"));
/// assert!(!appotapay_protocol::is_valid_order_id("a b"));
/// ```
pub fn is_valid_order_id(id: &str) -> bool {
    (1..=50).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_reject() {
        for ok in ["AP200910018229", "AP000000000000", "AP999999999999"] {
            assert!(ok.parse::<AppotapayTransId>().is_ok(), "{ok}");
        }
        for bad in ["", "AP", "ap221434473737", "AP22143447373", "AP2214344737370", "AP22143447373X", "AP200910018229B"]
        {
            assert!(bad.parse::<AppotapayTransId>().is_err(), "{bad}");
        }
        assert!(AppotapayTransId::from_number(MAX_TRANS_NUMBER + 1).is_none());
    }

    #[test]
    fn order_ids() {
        assert!(is_valid_order_id("a"));
        assert!(is_valid_order_id(&"x".repeat(50)));
        assert!(!is_valid_order_id(&"x".repeat(51)));
        assert!(!is_valid_order_id(""));
        assert!(!is_valid_order_id("đơn"));
        assert!(is_valid_order_id("A-b_c.d:e"));
    }
}
