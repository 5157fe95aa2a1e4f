//! Verified JWTs, remembered: a server sees the same partner token on every request
//! (SDKs reuse one token for its whole lifetime), and verifying it again each time
//! costs a base64 decode, two JSON parses and an HMAC for an answer it already
//! knows.
//!
//! [`VerifiedTokens`] maps the exact token text to the claims it verified to and the
//! [`KeyId`] of the secret that verified it. What a hit still checks, every time:
//!
//! - the expiry (`exp` plus the leeway against the caller's clock): a remembered
//!   token stops working exactly when a fresh verification would refuse it;
//! - the key: the caller passes the ids of the secrets it accepts *now*, and a token
//!   verified under a secret no longer among them (a key rotation, a grace period
//!   that ended) is verified again from scratch, and fails. So nothing needs to be
//!   told that keys changed, on this node or any other.
//!
//! Everything else about the partner (locked, API key) stays the caller's to check
//! on each request. The cache is bounded: when full, expired entries go first, then
//! everything (a burst of distinct tokens costs one full verification each, as
//! without a cache). [`VerifiedTokens::forget_issuer`] drops a partner's tokens at
//! once, for callers that know its record changed.

use crate::SecretKey;
use crate::jwt::Claims;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;

/// Which secret verified a token: a digest of the secret, never the secret.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId([u8; 32]);

impl KeyId {
    /// The id of `secret`.
    pub fn of(secret: &SecretKey) -> KeyId {
        let mut h = Sha256::new();
        h.update(b"appotapay-token-cache-key-id\0");
        h.update(secret.expose().as_bytes());
        KeyId(h.finalize().into())
    }
}

impl std::fmt::Debug for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyId(…)")
    }
}

/// A remembered verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The claims the token verified to.
    pub claims: Claims,
    /// The secret that verified it.
    pub key: KeyId,
}

/// Tokens already verified, bounded (see the module documentation). Entries are
/// keyed by a digest of the token, so a long token costs no more memory than a short
/// one and the map never holds a usable bearer token.
pub struct VerifiedTokens {
    entries: Mutex<HashMap<[u8; 32], Verified>>,
    capacity: usize,
}

impl std::fmt::Debug for VerifiedTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedTokens").field("len", &self.len()).field("capacity", &self.capacity).finish()
    }
}

/// The key of a token (with or without its `Bearer ` prefix): a digest of its text.
fn key_of(token: &str) -> [u8; 32] {
    let t = token.trim();
    let t = t.strip_prefix("Bearer ").or_else(|| t.strip_prefix("bearer ")).unwrap_or(t).trim();
    Sha256::digest(t.as_bytes()).into()
}

impl VerifiedTokens {
    /// A cache of at most `capacity` tokens.
    pub fn new(capacity: usize) -> VerifiedTokens {
        VerifiedTokens { entries: Mutex::new(HashMap::new()), capacity: capacity.max(1) }
    }

    /// The claims of `token` (with or without `Bearer `) if it was verified under one
    /// of `accepted` and has not expired at `now` (unix seconds, `leeway` allowed).
    /// `None` means: verify it in full (and [`insert`](Self::insert) the result).
    pub fn get(&self, token: &str, now: i64, leeway: i64, accepted: &[KeyId]) -> Option<Claims> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let v = entries.get(&key_of(token))?;
        if v.claims.exp.saturating_add(leeway) < now || !accepted.contains(&v.key) {
            return None;
        }
        Some(v.claims.clone())
    }

    /// The issuer a remembered token names, to find the partner before [`get`](Self::get).
    pub fn issuer(&self, token: &str) -> Option<String> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.get(&key_of(token)).map(|v| v.claims.iss.clone())
    }

    /// Remembers that `token` verified to `claims` under the secret `key`.
    pub fn insert(&self, token: &str, claims: Claims, key: KeyId, now: i64) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= self.capacity {
            // Full: drop the expired; if that frees less than a tenth, start over, so
            // that a stream of distinct live tokens (a token per request) costs one
            // sweep per `capacity / 10` inserts, not one per insert.
            entries.retain(|_, v| v.claims.exp >= now);
            if entries.len() > self.capacity - (self.capacity / 10).max(1) {
                entries.clear();
            }
        }
        entries.insert(key_of(token), Verified { claims, key });
    }

    /// Forgets every token of the partner `iss`.
    pub fn forget_issuer(&self, iss: &str) {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).retain(|_, v| v.claims.iss != iss);
    }

    /// Tokens remembered.
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether none is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(iss: &str, exp: i64) -> Claims {
        Claims { iss: iss.into(), jti: None, api_key: "K".into(), exp }
    }

    #[test]
    fn a_hit_still_checks_expiry_and_key() {
        let cache = VerifiedTokens::new(10);
        let (a, b) = (KeyId::of(&SecretKey::new("secret-a")), KeyId::of(&SecretKey::new("secret-b")));
        cache.insert("Bearer tok", claims("P", 1_000), a, 900);
        assert_eq!(cache.get("tok", 950, 0, &[a]), Some(claims("P", 1_000)), "with or without Bearer");
        assert_eq!(cache.get("Bearer tok", 1_000, 0, &[b, a]), Some(claims("P", 1_000)));
        assert_eq!(cache.get("tok", 1_001, 0, &[a]), None, "expired");
        assert_eq!(cache.get("tok", 1_030, 60, &[a]), Some(claims("P", 1_000)), "within the leeway");
        assert_eq!(cache.get("tok", 950, 0, &[b]), None, "its secret is no longer accepted");
        assert_eq!(cache.get("other", 950, 0, &[a]), None);
        assert_eq!(cache.issuer("tok").as_deref(), Some("P"));
        cache.forget_issuer("P");
        assert!(cache.is_empty());
    }

    #[test]
    fn bounded() {
        let cache = VerifiedTokens::new(3);
        let k = KeyId::of(&SecretKey::new("s"));
        cache.insert("old", claims("P", 10), k, 5);
        for t in ["a", "b"] {
            cache.insert(t, claims("P", 100), k, 5);
        }
        cache.insert("c", claims("P", 100), k, 50);
        assert_eq!(cache.len(), 3, "the expired one made room");
        assert_eq!(cache.get("old", 50, 0, &[k]), None);
        cache.insert("d", claims("P", 100), k, 50);
        assert!(cache.len() <= 3);
        assert_eq!(cache.get("d", 50, 0, &[k]), Some(claims("P", 100)));
    }

    #[test]
    fn the_key_id_is_not_the_secret() {
        let s = SecretKey::new(crate::sandbox_partner::SECRET_KEY);
        assert_eq!(KeyId::of(&s), KeyId::of(&s.clone()));
        assert_ne!(KeyId::of(&s), KeyId::of(&SecretKey::new("x")));
        assert!(!format!("{:?}", KeyId::of(&s)).contains(crate::sandbox_partner::SECRET_KEY));
    }
}
