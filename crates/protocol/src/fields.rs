//! The rules of the request fields (spec §5), as pure checks.
//!
//! Each check returns a [`FieldError`] naming the broken rule; its
//! [`code`](FieldError::code) is the errorCode the answer carries and its `Display`
//! text a short English explanation of the rule.
//!
//! ```
//! use appotapay_protocol::{ErrorCode, fields};
//! assert!(fields::order_info("Thanh toán đơn hàng 42").is_ok());
//! let e = fields::order_info("").unwrap_err();
//! assert_eq!(e.code(), ErrorCode::INVALID_PARAMS);
//! assert_eq!(e.to_string(), "orderInfo must be 1 to 150 characters without control characters");
//! assert!(fields::http_url("notifyUrl", "https://shop.example/ipn").is_ok());
//! assert!(fields::client_ip("2001:db8::1").is_ok());
//! ```

use crate::error::ErrorCode;
use std::net::IpAddr;
use url::Url;

/// Longest `orderInfo`, in characters (it must have at least one).
pub const MAX_ORDER_INFO_CHARS: usize = 150;
/// Longest `extraData`, in characters.
pub const MAX_EXTRA_DATA_CHARS: usize = 200;
/// Longest URL (`notifyUrl`, `redirectUrl`), in bytes.
pub const MAX_URL_BYTES: usize = 2048;
/// Longest refund `reason`, in characters.
pub const MAX_REASON_CHARS: usize = 255;
/// Longest `X-Account-Ref-ID` (surrounding whitespace removed), in bytes.
pub const MAX_ACCOUNT_REF_ID_BYTES: usize = 64;

/// A field value that breaks its rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum FieldError {
    /// `orderId` is not 1..=50 characters of `[A-Za-z0-9_.:-]`.
    #[error("orderId must be 1 to 50 characters of A-Z a-z 0-9 _ . : -")]
    OrderId,
    /// A refund's `refundId` is not 1..=50 characters of `[A-Za-z0-9_.:-]`.
    #[error("refundId must be 1 to 50 characters of A-Z a-z 0-9 _ . : -")]
    RefundId,
    /// `orderInfo` is empty, longer than 150 characters or has a control character.
    #[error("orderInfo must be 1 to 150 characters without control characters")]
    OrderInfo,
    /// `clientIp` is not an IPv4 or IPv6 literal.
    #[error("clientIp must be an IP address")]
    ClientIp,
    /// The named URL field is not an absolute http(s) URL with a host, of at most
    /// 2,048 bytes, without whitespace or control characters.
    #[error("{0} must be an absolute http(s) URL")]
    HttpUrl(&'static str),
    /// `extraData` is longer than 200 characters or has a NUL.
    #[error("extraData must be at most 200 characters, without NUL")]
    ExtraData,
    /// A refund's `reason` is longer than 255 characters or has a control character.
    #[error("reason must be at most 255 characters without control characters")]
    Reason,
    /// `X-Account-Ref-ID` is empty or longer than 64 bytes.
    #[error("X-Account-Ref-ID must be 1 to 64 bytes")]
    AccountRefId,
}

impl FieldError {
    /// The errorCode of the answer: 90 for `X-Account-Ref-ID`, 1 for every field.
    pub fn code(self) -> ErrorCode {
        match self {
            FieldError::AccountRefId => ErrorCode::INVALID_ACCOUNT_REF_ID,
            FieldError::OrderId
            | FieldError::RefundId
            | FieldError::OrderInfo
            | FieldError::ClientIp
            | FieldError::HttpUrl(_)
            | FieldError::ExtraData
            | FieldError::Reason => ErrorCode::INVALID_PARAMS,
        }
    }
}

/// Checks a partner `orderId` (see [`crate::is_valid_order_id`]).
pub fn order_id(id: &str) -> Result<(), FieldError> {
    if crate::is_valid_order_id(id) { Ok(()) } else { Err(FieldError::OrderId) }
}

/// Checks a partner `refundId`: the same form as an `orderId`.
pub fn refund_id(id: &str) -> Result<(), FieldError> {
    if crate::is_valid_order_id(id) { Ok(()) } else { Err(FieldError::RefundId) }
}

/// Checks `orderInfo`: 1..=150 characters, none of them a control character.
pub fn order_info(info: &str) -> Result<(), FieldError> {
    let n = info.chars().count();
    if (1..=MAX_ORDER_INFO_CHARS).contains(&n) && !info.chars().any(char::is_control) {
        Ok(())
    } else {
        Err(FieldError::OrderInfo)
    }
}

/// Checks `clientIp`: an IPv4 or IPv6 literal (no port, no brackets).
pub fn client_ip(ip: &str) -> Result<IpAddr, FieldError> {
    ip.parse::<IpAddr>().map_err(|_| FieldError::ClientIp)
}

/// Checks the URL field `field` (`notifyUrl`, `redirectUrl`): an absolute `http` or
/// `https` URL with a host, of at most 2,048 bytes, without whitespace or control
/// characters, whose host is a DNS name (letters, digits, `-`, `.`) or an IP
/// literal. Returns it parsed.
pub fn http_url(field: &'static str, value: &str) -> Result<Url, FieldError> {
    let bad = FieldError::HttpUrl(field);
    if value.len() > MAX_URL_BYTES || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad);
    }
    let u = Url::parse(value).map_err(|_| bad)?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(bad);
    }
    match u.host() {
        Some(url::Host::Domain(name)) if dns_name(name) => Ok(u),
        Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)) => Ok(u),
        _ => Err(bad),
    }
}

/// Whether a host is a DNS name: letters, digits, `-` and `.` only. The URL parser
/// keeps characters such as `;`, `'` or `_` in a host, and a host is pasted into
/// places where those mean something (the checkout's Content-Security-Policy). An
/// international name arrives here in its ASCII (`xn--`) form.
fn dns_name(host: &str) -> bool {
    !host.is_empty() && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// Checks `extraData`: at most 200 characters, none of them NUL (which no database
/// text column of every backend can hold). Empty is allowed.
pub fn extra_data(extra: &str) -> Result<(), FieldError> {
    if extra.chars().count() <= MAX_EXTRA_DATA_CHARS && !extra.contains('\0') {
        Ok(())
    } else {
        Err(FieldError::ExtraData)
    }
}

/// Checks a refund's `reason`: at most 255 characters, none of them a control
/// character. Empty is allowed.
pub fn reason(reason: &str) -> Result<(), FieldError> {
    if reason.chars().count() <= MAX_REASON_CHARS && !reason.chars().any(char::is_control) {
        Ok(())
    } else {
        Err(FieldError::Reason)
    }
}

/// Checks an `X-Account-Ref-ID` value and returns the id: the value without
/// surrounding whitespace, 1..=64 bytes.
pub fn account_ref_id(value: &str) -> Result<&str, FieldError> {
    let id = value.trim();
    if id.is_empty() || id.len() > MAX_ACCOUNT_REF_ID_BYTES { Err(FieldError::AccountRefId) } else { Ok(id) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_and_refund_ids() {
        assert_eq!(order_id("ORDER-1"), Ok(()));
        assert_eq!(order_id(&"x".repeat(50)), Ok(()));
        assert_eq!(order_id(&"x".repeat(51)), Err(FieldError::OrderId));
        assert_eq!(order_id(""), Err(FieldError::OrderId));
        assert_eq!(refund_id("r:1.2_3-4"), Ok(()));
        assert_eq!(refund_id("r 1"), Err(FieldError::RefundId));
        assert_eq!(refund_id("đ"), Err(FieldError::RefundId));
    }

    #[test]
    fn order_info_boundaries() {
        assert_eq!(order_info("a"), Ok(()));
        assert_eq!(order_info(&"a".repeat(150)), Ok(()));
        assert_eq!(order_info(&"a".repeat(151)), Err(FieldError::OrderInfo));
        // Characters, not bytes: 150 two-byte characters fit.
        assert_eq!(order_info(&"đ".repeat(150)), Ok(()));
        assert_eq!(order_info(&"đ".repeat(151)), Err(FieldError::OrderInfo));
        assert_eq!(order_info(""), Err(FieldError::OrderInfo));
        for bad in ["a\nb", "a\tb", "a\u{0}", "\u{7f}", "a\u{85}b"] {
            assert_eq!(order_info(bad), Err(FieldError::OrderInfo), "{bad:?}");
        }
        assert_eq!(order_info("Thanh toán đơn hàng #42 (2 món) — 150.000đ"), Ok(()));
    }

    #[test]
    fn extra_data_boundaries() {
        assert_eq!(extra_data(""), Ok(()));
        assert_eq!(extra_data(&"x".repeat(200)), Ok(()));
        assert_eq!(extra_data(&"x".repeat(201)), Err(FieldError::ExtraData));
        assert_eq!(extra_data(&"ư".repeat(200)), Ok(()));
        assert_eq!(extra_data(&"ư".repeat(201)), Err(FieldError::ExtraData));
        assert_eq!(extra_data("a\0b"), Err(FieldError::ExtraData));
        assert_eq!(extra_data("line\nbreak\tand {\"json\": 1}"), Ok(()), "other control characters are kept");
    }

    #[test]
    fn url_boundaries() {
        let prefix = "https://shop.example/";
        let at = |n: usize| format!("{prefix}{}", "a".repeat(n - prefix.len()));
        assert_eq!(at(2048).len(), 2048);
        assert!(http_url("notifyUrl", &at(2048)).is_ok());
        assert_eq!(http_url("notifyUrl", &at(2049)), Err(FieldError::HttpUrl("notifyUrl")));
        let u = http_url("redirectUrl", "http://127.0.0.1:8080/return?x=1").expect("valid");
        assert_eq!(u.host_str(), Some("127.0.0.1"));
        assert!(http_url("notifyUrl", "http://[::1]/ipn").is_ok());
        for good in ["https://Shop-1.example.com./x", "https://xn--bcher-kva.example/", "https://bücher.example/"] {
            assert!(http_url("notifyUrl", good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "shop.example/ipn",
            "/ipn",
            "ftp://shop.example/ipn",
            "javascript:alert(1)",
            "mailto:a@b.example",
            "file:///etc/passwd",
            "https://shop.example/a b",
            " https://shop.example/",
            "https://shop.example/\n",
            "https://shop.example/\u{0}",
            "https://shop.example/\u{85}",
            "https://shop.example/\u{a0}",
            "http://",
            "https:",
            "https://x.example;sandbox/",
            "https://x.example'/",
            "https://a_b.example/",
            "https://x.example%3Bsandbox/",
            "https://x.example*/",
            "https://x.example!/",
        ] {
            assert_eq!(http_url("redirectUrl", bad), Err(FieldError::HttpUrl("redirectUrl")), "{bad:?}");
        }
        assert_eq!(FieldError::HttpUrl("notifyUrl").to_string(), "notifyUrl must be an absolute http(s) URL");
    }

    #[test]
    fn client_ips() {
        assert_eq!(client_ip("103.53.171.140"), Ok(IpAddr::from([103, 53, 171, 140])));
        assert!(client_ip("::1").is_ok());
        assert!(client_ip("2001:db8::8a2e:370:7334").is_ok());
        assert!(client_ip("::ffff:192.0.2.1").is_ok());
        for bad in ["", "localhost", "1.2.3", "1.2.3.4:80", "[::1]", "256.1.1.1", " 1.2.3.4", "fe80::1%eth0"] {
            assert_eq!(client_ip(bad), Err(FieldError::ClientIp), "{bad:?}");
        }
    }

    #[test]
    fn reason_boundaries() {
        assert_eq!(reason(""), Ok(()));
        assert_eq!(reason(&"r".repeat(255)), Ok(()));
        assert_eq!(reason(&"r".repeat(256)), Err(FieldError::Reason));
        assert_eq!(reason(&"ữ".repeat(255)), Ok(()));
        assert_eq!(reason("a\rb"), Err(FieldError::Reason));
        assert_eq!(reason("a\u{0}"), Err(FieldError::Reason));
    }

    #[test]
    fn account_ref_ids() {
        assert_eq!(account_ref_id(" SUB-1 "), Ok("SUB-1"));
        assert_eq!(account_ref_id(&"s".repeat(64)).map(str::len), Ok(64));
        assert_eq!(account_ref_id(&"s".repeat(65)), Err(FieldError::AccountRefId));
        assert_eq!(account_ref_id("  "), Err(FieldError::AccountRefId));
        assert_eq!(account_ref_id(""), Err(FieldError::AccountRefId));
    }

    #[test]
    fn codes_and_texts() {
        assert_eq!(FieldError::AccountRefId.code(), ErrorCode(90));
        for e in [
            FieldError::OrderId,
            FieldError::RefundId,
            FieldError::OrderInfo,
            FieldError::ClientIp,
            FieldError::HttpUrl("notifyUrl"),
            FieldError::ExtraData,
            FieldError::Reason,
        ] {
            assert_eq!(e.code(), ErrorCode::INVALID_PARAMS, "{e:?}");
            assert!(e.to_string().is_ascii());
        }
        assert_eq!(FieldError::OrderId.to_string(), "orderId must be 1 to 50 characters of A-Z a-z 0-9 _ . : -");
        assert_eq!(FieldError::ClientIp.to_string(), "clientIp must be an IP address");
        assert_eq!(FieldError::ExtraData.to_string(), "extraData must be at most 200 characters, without NUL");
        assert_eq!(FieldError::Reason.to_string(), "reason must be at most 255 characters without control characters");
        assert_eq!(FieldError::RefundId.to_string(), "refundId must be 1 to 50 characters of A-Z a-z 0-9 _ . : -");
    }
}
