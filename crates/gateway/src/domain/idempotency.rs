//! Idempotency keys: what is kept of a request sent with an `Idempotency-Key`, and
//! the rule that decides what a later request with the same key gets.
//!
//! A partner retrying a POST whose answer it never saw (a timeout, a dropped
//! connection) must not create a second order or refund. The first request with a
//! key claims it; its answer is kept, byte for byte, for [`RETENTION`]; a request
//! with the same key and the same [fingerprint](Claim::fingerprint) is answered with
//! it. A claim whose request died before answering (a crashed node) is in flight
//! only until its `locked_until_ms`: then a retry takes it over.

/// How long a key and its answer are kept (from the first request).
pub const RETENTION_MS: i64 = 24 * 3600 * 1000;

/// How long a claim whose request has not answered yet holds the key: longer than
/// any request may run, so that only a request that died (a crashed node) is taken
/// over, and a dead request's key is free again after this long.
pub const CLAIM_TIMEOUT_MS: i64 = 60 * 1000;

/// [`RETENTION_MS`] as a duration, for documentation and settings.
pub const RETENTION: std::time::Duration = std::time::Duration::from_millis(RETENTION_MS as u64);

/// A request's claim of a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    /// The partner: keys are scoped per partner.
    pub partner_code: String,
    /// The key, as sent.
    pub key: String,
    /// A digest of what makes the request (method, path, the headers that change
    /// its meaning, body bytes); hex.
    pub fingerprint: String,
    /// A random id of this request, so that only it records its answer.
    pub claim_id: String,
    /// Until when the claim holds the key without an answer.
    pub locked_until_ms: i64,
    /// When the key and its answer are forgotten.
    pub expires_at_ms: i64,
}

/// An answer kept for replay: everything the partner saw but the request id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredAnswer {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`, if the answer had one.
    pub content_type: Option<String>,
    /// `X-Error-Detail`, if the answer had one.
    pub error_detail: Option<String>,
    /// The body, byte for byte (signed answers carry their signature in it).
    pub body: Vec<u8>,
}

/// What is on record for a key that could not be claimed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRecord {
    /// The fingerprint of the request that holds the key.
    pub fingerprint: String,
    /// Until when an unanswered claim holds the key.
    pub locked_until_ms: i64,
    /// When the record is forgotten.
    pub expires_at_ms: i64,
    /// The answer, once the request gave one.
    pub answer: Option<StoredAnswer>,
}

/// What a request with a key gets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyOutcome {
    /// The key is this request's: run it, then record its answer.
    Claimed,
    /// The same request answered before: send this again.
    Replay(StoredAnswer),
    /// The key was used with another request.
    Mismatch,
    /// The same request is still running (on some node).
    InFlight,
    /// The record changed between the claim and the read (it expired or was swept):
    /// claim again.
    Retry,
}

/// Decides for a request whose claim found `record` in the way (`None`: the record
/// vanished since).
pub fn decide(record: Option<KeyRecord>, fingerprint: &str, now_ms: i64) -> KeyOutcome {
    let Some(r) = record else { return KeyOutcome::Retry };
    if r.expires_at_ms <= now_ms {
        return KeyOutcome::Retry;
    }
    if r.fingerprint != fingerprint {
        return KeyOutcome::Mismatch;
    }
    match r.answer {
        Some(a) => KeyOutcome::Replay(a),
        None if r.locked_until_ms > now_ms => KeyOutcome::InFlight,
        None => KeyOutcome::Retry,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(fp: &str, answer: Option<StoredAnswer>) -> KeyRecord {
        KeyRecord { fingerprint: fp.into(), locked_until_ms: 100, expires_at_ms: 1000, answer }
    }

    #[test]
    fn the_record_decides() {
        let a = StoredAnswer { status: 200, content_type: None, error_detail: None, body: b"{}".to_vec() };
        assert_eq!(decide(None, "f", 0), KeyOutcome::Retry);
        assert_eq!(decide(Some(record("f", Some(a.clone()))), "f", 50), KeyOutcome::Replay(a.clone()));
        assert_eq!(decide(Some(record("g", Some(a.clone()))), "f", 50), KeyOutcome::Mismatch);
        assert_eq!(decide(Some(record("g", None)), "f", 50), KeyOutcome::Mismatch);
        assert_eq!(decide(Some(record("f", None)), "f", 50), KeyOutcome::InFlight);
        assert_eq!(decide(Some(record("f", None)), "f", 100), KeyOutcome::Retry, "a dead claim is taken over");
        assert_eq!(decide(Some(record("f", Some(a))), "f", 1000), KeyOutcome::Retry, "expired");
    }
}
