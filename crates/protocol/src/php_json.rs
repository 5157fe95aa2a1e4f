//! JSON as PHP's `json_encode` writes it with its default flags, because AppotaPay's
//! v1.1 `tokenResult` and the v2 notification `data` are produced that way and their
//! signatures cover the exact text: no spaces, every character outside ASCII as a
//! `\uXXXX` escape (UTF-16, so a surrogate pair beyond the BMP), and `/` as `\/`.
//!
//! Keys keep the order of the serialised struct (serde writes fields in
//! declaration order), which is how the documented examples are ordered.

use serde::Serialize;

/// `value` as PHP's `json_encode($value)` would write it.
///
/// ```
/// use appotapay_protocol::php_json;
/// let text = php_json::encode(&serde_json::json!({"message": "Thành công", "url": "a/b"}));
/// assert_eq!(text, r#"{"message":"Th\u00e0nh c\u00f4ng","url":"a\/b"}"#);
/// ```
pub fn encode<T: Serialize + ?Sized>(value: &T) -> String {
    let compact = serde_json::to_string(value).unwrap_or_default();
    escape(&compact)
}

/// Rewrites compact JSON text in PHP's style. Outside strings, JSON text has neither
/// non-ASCII characters nor `/`, so every one met is inside a string and escaping it
/// keeps the text's meaning.
pub fn escape(compact: &str) -> String {
    let mut out = String::with_capacity(compact.len() + compact.len() / 4);
    for c in compact.chars() {
        match c {
            '/' => out.push_str("\\/"),
            c if c.is_ascii() => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_php() {
        assert_eq!(encode("Thành công"), r#""Th\u00e0nh c\u00f4ng""#);
        assert_eq!(encode("😀"), r#""\ud83d\ude00""#);
        assert_eq!(encode("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(encode("https://x/y"), r#""https:\/\/x\/y""#);
        let back: String = serde_json::from_str(&encode("Đơn hàng/1 😀")).unwrap_or_default();
        assert_eq!(back, "Đơn hàng/1 😀", "still JSON, same value");
    }
}
