//! Money: integer Vietnamese đồng, never floats (spec §2).

use serde::{Deserialize, Serialize};
use std::fmt;

/// An amount in VND. VND has no minor unit, so the amount is a plain integer.
///
/// ```
/// use appotapay_protocol::{Amount, AmountLimits};
/// let a = Amount::vnd(10_000);
/// assert_eq!(a.to_string(), "10000");
/// assert_eq!(a.format_vi(), "10.000 ₫");
/// assert!(AmountLimits::default().check(a).is_ok());
/// assert!(AmountLimits::default().check(Amount::vnd(999)).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Amount(i64);

impl Amount {
    /// An amount of `value` đồng. Whether it is acceptable is for [`AmountLimits`] to say.
    pub const fn vnd(value: i64) -> Amount {
        Amount(value)
    }

    /// The amount in đồng.
    pub const fn value(self) -> i64 {
        self.0
    }

    /// Formats the Vietnamese way: dot as thousands separator, then ` ₫`.
    pub fn format_vi(self) -> String {
        let digits = self.0.unsigned_abs().to_string();
        let mut out = String::with_capacity(digits.len() + 6);
        if self.0 < 0 {
            out.push('-');
        }
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push('.');
            }
            out.push(ch);
        }
        out.push_str(" ₫");
        out
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl From<i64> for Amount {
    fn from(value: i64) -> Self {
        Amount(value)
    }
}

/// The range of acceptable amounts; outside it a payment gets errorCode 32.
/// Defaults to 1,000..=500,000,000 VND (spec §2), configurable per partner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AmountLimits {
    /// Smallest accepted amount, inclusive.
    pub min: i64,
    /// Largest accepted amount, inclusive.
    pub max: i64,
}

impl AmountLimits {
    /// Smallest amount of the default limits.
    pub const DEFAULT_MIN: i64 = 1_000;
    /// Largest amount of the default limits.
    pub const DEFAULT_MAX: i64 = 500_000_000;

    /// `Ok` when `amount` lies within the limits.
    pub fn check(&self, amount: Amount) -> Result<(), AmountOutOfRange> {
        if amount.0 >= self.min && amount.0 <= self.max {
            Ok(())
        } else {
            Err(AmountOutOfRange { amount, limits: *self })
        }
    }
}

impl Default for AmountLimits {
    fn default() -> Self {
        AmountLimits { min: Self::DEFAULT_MIN, max: Self::DEFAULT_MAX }
    }
}

/// An amount outside the accepted range (errorCode 32).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("amount {amount} is outside {}..={}", limits.min, limits.max)]
pub struct AmountOutOfRange {
    /// The rejected amount.
    pub amount: Amount,
    /// The limits it broke.
    pub limits: AmountLimits,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_format() {
        assert_eq!(Amount::vnd(0).format_vi(), "0 ₫");
        assert_eq!(Amount::vnd(999).format_vi(), "999 ₫");
        assert_eq!(Amount::vnd(1000).format_vi(), "1.000 ₫");
        assert_eq!(Amount::vnd(500_000_000).format_vi(), "500.000.000 ₫");
        assert_eq!(Amount::vnd(-12345).format_vi(), "-12.345 ₫");
    }

    #[test]
    fn limits_are_inclusive() {
        let l = AmountLimits::default();
        assert!(l.check(Amount::vnd(1_000)).is_ok());
        assert!(l.check(Amount::vnd(500_000_000)).is_ok());
        assert!(l.check(Amount::vnd(500_000_001)).is_err());
        assert!(l.check(Amount::vnd(-5)).is_err());
    }
}
