//! The sandbox's request log: what is kept of each partner API call, and what never
//! is.
//!
//! A merchant wiring up the API wants to see what the gateway received and
//! answered, from any node and after the fact (`appotapay-gateway logs tail`). So
//! every call is kept, in the database, for a bounded time and count per partner.
//! It must never become a store of secrets: no header is kept at all (the JWT
//! travels in one), bodies are cut to [`MAX_BODY_CHARS`], and every run of 13 to 19
//! digits, the length of a card number, keeps only its first 6 and last 4 digits
//! ([`mask_card_numbers`]) — an order id of that length is masked too, to be safe.

/// Longest body kept, in characters; the rest is cut and marked.
pub const MAX_BODY_CHARS: usize = 8 * 1024;

/// The mark at the end of a cut body.
pub const CUT_MARK: &str = "…[cut]";

/// One partner API call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestEntry {
    /// The entry's id, increasing (0 before it is stored).
    pub id: i64,
    /// The partner the token names (empty when it names none).
    pub partner_code: String,
    /// When the request arrived.
    pub at_ms: i64,
    /// HTTP method.
    pub method: String,
    /// Path, without the query.
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// HTTP status of the answer.
    pub status: u16,
    /// The answer's errorCode, when it had one.
    pub error_code: Option<i64>,
    /// Time to answer, in microseconds.
    pub latency_us: i64,
    /// The request body, masked and cut.
    pub request_body: String,
    /// The answer body, masked and cut.
    pub response_body: String,
    /// The `data` string the signature was checked against, when one was, masked.
    pub signature_data: Option<String>,
    /// The request's `X-Request-ID`.
    pub request_id: Option<String>,
}

/// How much of a partner's log is kept: entries newer than `since_ms`, at most
/// `max` of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
    /// Entries older than this are forgotten.
    pub since_ms: i64,
    /// At most this many entries per partner.
    pub max: u32,
}

/// A body as kept: invalid UTF-8 replaced, card-like numbers masked, cut to
/// [`MAX_BODY_CHARS`].
pub fn keepable(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let masked = redact_credentials(&mask_card_numbers(&text));
    // No more bytes than the limit's characters: nothing to cut (a character is at
    // least a byte), without walking the text.
    if masked.len() <= MAX_BODY_CHARS {
        return masked;
    }
    match masked.char_indices().nth(MAX_BODY_CHARS) {
        Some((i, _)) => format!("{}{CUT_MARK}", &masked[..i]),
        None => masked,
    }
}

/// Replaces what would let a reader act as the partner or pay its orders: the
/// value of every `"apiKey"` JSON string, and the `sign` parameter of every URL
/// (a payment link's signature is a capability).
///
/// ```
/// use appotapay_gateway::domain::request_log::redact_credentials;
/// assert_eq!(
///     redact_credentials(r#"{"apiKey":"K123","paymentUrl":"http://h/p?tran=x&sign=ab12&lang=vi"}"#),
///     r#"{"apiKey":"***","paymentUrl":"http://h/p?tran=x&sign=***&lang=vi"}"#
/// );
/// ```
pub fn redact_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let key = rest.find("\"apiKey\":\"").map(|i| (i, "\"apiKey\":\"".len(), '"'));
        let sign = ["?sign=", "&sign="].iter().filter_map(|m| rest.find(m).map(|i| (i, m.len(), '&'))).min();
        let Some((at, len, end)) = [key, sign].into_iter().flatten().min() else { break };
        out.push_str(&rest[..at + len]);
        out.push_str("***");
        let value = &rest[at + len..];
        // A JSON string ends at its quote; a URL parameter at `&`, a quote or a space.
        let stop = value
            .char_indices()
            .find(|&(_, c)| c == end || c == '"' || c == '\\' || (end == '&' && c.is_whitespace()))
            .map_or(value.len(), |(i, _)| i);
        rest = &value[stop..];
    }
    out.push_str(rest);
    out
}

/// Masks every run of 13 to 19 digits (single spaces or dashes between digits
/// belong to the run, as in `4111 1111 1111 1111`): its first 6 and last 4 digits
/// stay, the others become `*`.
///
/// ```
/// use appotapay_gateway::domain::request_log::mask_card_numbers;
/// assert_eq!(mask_card_numbers(r#"{"card":"9704000000000018"}"#), r#"{"card":"970400******0018"}"#);
/// assert_eq!(mask_card_numbers("4111 1111 1111 1111 ok"), "4111 11** **** 1111 ok");
/// assert_eq!(mask_card_numbers("amount 10000, AP221434473737"), "amount 10000, AP221434473737");
/// ```
pub fn mask_card_numbers(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            // Up to the next digit, in one copy (a digit is ASCII, so it always starts
            // a character).
            let next = bytes[i..].iter().position(u8::is_ascii_digit).map_or(bytes.len(), |d| i + d);
            out.push_str(&text[i..next]);
            i = next;
            continue;
        }
        // A run: digits, with single separators between digits.
        let start = i;
        let mut end = i;
        let mut digits = 0;
        let mut j = i;
        while j < bytes.len() {
            if bytes[j].is_ascii_digit() {
                digits += 1;
                j += 1;
                end = j;
            } else if matches!(bytes[j], b' ' | b'-') && bytes.get(j + 1).is_some_and(u8::is_ascii_digit) {
                j += 1;
            } else {
                break;
            }
        }
        let run = &text[start..end];
        if (13..=19).contains(&digits) {
            let mut seen = 0;
            for c in run.chars() {
                if c.is_ascii_digit() {
                    seen += 1;
                    out.push(if seen <= 6 || seen > digits - 4 { c } else { '*' });
                } else {
                    out.push(c);
                }
            }
        } else {
            out.push_str(run);
        }
        i = end;
    }
    out
}

/// Which HTTP statuses an entry may have: one (`200`) or a class (`4xx`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusFilter {
    /// Exactly this status.
    Exact(u16),
    /// `N00..=N99`.
    Class(u16),
}

impl StatusFilter {
    /// Parses `200`, `4xx` (or `4XX`).
    pub fn parse(s: &str) -> Option<StatusFilter> {
        let s = s.trim();
        if let Some(class) = s.strip_suffix("xx").or_else(|| s.strip_suffix("XX")) {
            let c: u16 = class.parse().ok()?;
            return (1..=5).contains(&c).then_some(StatusFilter::Class(c));
        }
        let n: u16 = s.parse().ok()?;
        (100..=599).contains(&n).then_some(StatusFilter::Exact(n))
    }

    /// Whether `status` passes.
    pub fn matches(self, status: u16) -> bool {
        match self {
            StatusFilter::Exact(n) => status == n,
            StatusFilter::Class(c) => status / 100 == c,
        }
    }
}

/// What `logs tail` shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogFilter {
    /// One partner's entries.
    pub partner_code: Option<String>,
    /// Statuses.
    pub status: Option<StatusFilter>,
    /// A path, or a prefix of paths when it ends with `*`.
    pub path: Option<String>,
}

impl LogFilter {
    /// Whether an entry passes.
    pub fn matches(&self, e: &RequestEntry) -> bool {
        self.partner_code.as_ref().is_none_or(|p| *p == e.partner_code)
            && self.status.is_none_or(|s| s.matches(e.status))
            && self.path.as_ref().is_none_or(|p| match p.strip_suffix('*') {
                Some(prefix) => e.path.starts_with(prefix),
                None => *p == e.path,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_like_runs_are_masked() {
        assert_eq!(mask_card_numbers("4111111111111111"), "411111******1111");
        assert_eq!(mask_card_numbers("x4111-1111-1111-1111y"), "x4111-11**-****-1111y");
        assert_eq!(mask_card_numbers("1234567890123"), "123456***0123");
        assert_eq!(mask_card_numbers("123456789012"), "123456789012");
        assert_eq!(mask_card_numbers("12345678901234567890"), "12345678901234567890");
        assert_eq!(mask_card_numbers("thẻ 9704 0000 0000 0018 đã"), "thẻ 9704 00** **** 0018 đã");
        assert_eq!(mask_card_numbers("1 2"), "1 2");
        assert_eq!(mask_card_numbers("a  1"), "a  1");
    }

    #[test]
    fn bodies_are_cut() {
        let long = "á".repeat(MAX_BODY_CHARS + 5);
        let kept = keepable(long.as_bytes());
        assert!(kept.ends_with(CUT_MARK));
        assert_eq!(kept.chars().count(), MAX_BODY_CHARS + CUT_MARK.chars().count());
        assert_eq!(keepable(b"{\"a\":1}"), "{\"a\":1}");
        assert_eq!(keepable(&[0xff, b'a']), "\u{FFFD}a");
    }

    #[test]
    fn filters() {
        assert_eq!(StatusFilter::parse("4xx"), Some(StatusFilter::Class(4)));
        assert_eq!(StatusFilter::parse("200"), Some(StatusFilter::Exact(200)));
        assert_eq!(StatusFilter::parse("9xx"), None);
        assert_eq!(StatusFilter::parse("abc"), None);
        assert!(StatusFilter::Class(4).matches(401) && !StatusFilter::Class(4).matches(200));
        let e = RequestEntry {
            id: 1,
            partner_code: "P".into(),
            at_ms: 0,
            method: "POST".into(),
            path: "/api/v1/orders/payment/qr".into(),
            query: None,
            status: 400,
            error_code: Some(2),
            latency_us: 1,
            request_body: String::new(),
            response_body: String::new(),
            signature_data: None,
            request_id: None,
        };
        assert!(LogFilter::default().matches(&e));
        assert!(LogFilter { path: Some("/api/v1/orders/*".into()), ..Default::default() }.matches(&e));
        assert!(!LogFilter { path: Some("/api/v1/orders".into()), ..Default::default() }.matches(&e));
        assert!(!LogFilter { partner_code: Some("Q".into()), ..Default::default() }.matches(&e));
        assert!(LogFilter { status: StatusFilter::parse("4xx"), ..Default::default() }.matches(&e));
    }
}
