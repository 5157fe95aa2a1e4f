//! Idempotency keys in the core: claiming a partner's key for a request, recording
//! its answer, and forgetting keys after their retention. The rules are the
//! domain's ([`crate::domain::idempotency`]); the API layer decides which requests
//! take part (`api::idempotency`).

use super::{CoreError, Gateway, now_ms};
use crate::domain::idempotency::{self, CLAIM_TIMEOUT_MS, Claim, KeyOutcome, RETENTION_MS, StoredAnswer};
use sha2::{Digest, Sha256};

/// How often a claim is tried again when the record in its way vanished or expired
/// between the claim and the read (a sweep, a clock step).
const CLAIM_TRIES: usize = 3;

/// The fingerprint of a request: a digest of its method, path, sub-account header
/// and body bytes. Two requests with one key are "the same request" when these are
/// equal; the body is compared byte for byte, so a re-encoded body (other spacing,
/// other key order) is another request.
pub fn fingerprint(method: &str, path: &str, sub_account: Option<&[u8]>, body: &[u8]) -> String {
    let mut h = Sha256::new();
    for part in [method.as_bytes(), path.as_bytes(), sub_account.unwrap_or(b"\xff-none")] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    h.update(body);
    hex::encode(h.finalize())
}

impl Gateway {
    /// Claims `key` of a partner for a request with `fingerprint`: `(Claimed, Some)`
    /// hands the claim to record the answer with ([`Gateway::finish_idempotency_key`]);
    /// otherwise the outcome says what the request gets.
    pub async fn claim_idempotency_key(
        &self,
        partner_code: &str,
        key: &str,
        fingerprint: &str,
    ) -> Result<(KeyOutcome, Option<Claim>), CoreError> {
        for _ in 0..CLAIM_TRIES {
            let now = now_ms();
            let claim = Claim {
                partner_code: partner_code.to_owned(),
                key: key.to_owned(),
                fingerprint: fingerprint.to_owned(),
                claim_id: format!("{:032x}", rand::random::<u128>()),
                locked_until_ms: now.saturating_add(CLAIM_TIMEOUT_MS),
                expires_at_ms: now.saturating_add(RETENTION_MS),
            };
            if self.store.claim_key(&claim, now).await? {
                return Ok((KeyOutcome::Claimed, Some(claim)));
            }
            let record = self.store.key_record(partner_code, key).await?;
            match idempotency::decide(record, fingerprint, now_ms()) {
                KeyOutcome::Retry => continue,
                outcome => return Ok((outcome, None)),
            }
        }
        Ok((KeyOutcome::InFlight, None))
    }

    /// Records the answer of the request holding `claim`; `false` if the claim was
    /// taken over meanwhile (its request ran past the claim timeout).
    pub async fn finish_idempotency_key(&self, claim: &Claim, answer: &StoredAnswer) -> Result<bool, CoreError> {
        Ok(self.store.finish_key(claim, answer).await?)
    }

    /// Forgets the keys whose retention ended; returns how many.
    pub async fn purge_idempotency_keys(&self) -> Result<u64, CoreError> {
        Ok(self.store.purge_keys(now_ms()).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::fingerprint;

    #[test]
    fn fingerprints_separate_their_parts() {
        let a = fingerprint("POST", "/a", None, b"{}");
        assert_eq!(a, fingerprint("POST", "/a", None, b"{}"));
        assert_ne!(a, fingerprint("POST", "/a", None, b"{ }"));
        assert_ne!(a, fingerprint("POST", "/b", None, b"{}"));
        assert_ne!(a, fingerprint("POST", "/a", Some(b"sub"), b"{}"));
        assert_ne!(fingerprint("POST", "/ab", None, b""), fingerprint("POST", "/a", None, b"b"));
    }
}
