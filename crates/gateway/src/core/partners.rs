//! Partners: their records with the secret decrypted (cached per node for
//! `partner_cache_ttl`, so a lock or a key rotation reaches every node within that
//! time), their sub-accounts, and the JWT ids already used when the replay check is
//! on.
//!
//! A key rotation ([`Gateway::rotate_partner_keys`]) gives a partner a new API key
//! and secret. With a grace period the replaced credentials stay accepted beside
//! the new ones, and keep signing responses, redirects and IPNs, until it ends: the
//! merchant switches its requests first and its verification after, at leisure.
//! Without one they stop at once. A second rotation while a grace period runs is
//! refused unless forced, which ends that grace period: only one generation of
//! replaced credentials is ever kept.

use super::{CoreError, Gateway, now_ms};
use crate::crypto::random_token;
use crate::domain::credit::BankAccount;
use crate::domain::records::{Allowed, KeyRotation, PartnerRecord, PreviousKeys, SubAccount};
use appotapay_protocol::token_cache::KeyId;
use appotapay_protocol::{AmountLimits, SecretKey};
use std::sync::Arc;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

/// One pair of a partner's credentials, the secret decrypted.
#[derive(Clone)]
pub struct PartnerKeys {
    /// API key.
    pub api_key: String,
    /// Secret key.
    pub secret: SecretKey,
    /// The secret's id in the verified-token cache.
    pub key_id: KeyId,
}

impl PartnerKeys {
    /// A pair of credentials.
    pub fn new(api_key: String, secret: SecretKey) -> PartnerKeys {
        let key_id = KeyId::of(&secret);
        PartnerKeys { api_key, secret, key_id }
    }
}

impl std::fmt::Debug for PartnerKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartnerKeys").finish_non_exhaustive()
    }
}

/// A partner with its secrets decrypted, as the request path needs it.
#[derive(Clone)]
pub struct Partner {
    /// Partner code.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Locked partners answer 13.
    pub locked: bool,
    /// IPN for failures too.
    pub notify_failures: bool,
    /// Accepted amounts.
    pub limits: AmountLimits,
    /// Its own collecting account for QR payments, when it has one (cached with the
    /// partner, so a QR order costs no extra read).
    pub account: Option<BankAccount>,
    /// The payment methods and banks it may use.
    pub allowed: Allowed,
    /// The current credentials.
    keys: PartnerKeys,
    /// The credentials a rotation replaced, and the end of their grace period.
    previous: Option<(PartnerKeys, i64)>,
}

impl std::fmt::Debug for Partner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Partner").field("code", &self.code).field("locked", &self.locked).finish_non_exhaustive()
    }
}

impl Partner {
    /// The current credentials (the newest rotation's).
    pub fn current(&self) -> &PartnerKeys {
        &self.keys
    }

    /// The replaced credentials while their grace period runs at `now`.
    fn in_grace(&self, now: i64) -> Option<&PartnerKeys> {
        self.previous.as_ref().filter(|(_, until)| now < *until).map(|(k, _)| k)
    }

    /// The end of the running grace period, if one runs.
    pub fn grace_until_ms(&self) -> Option<i64> {
        self.previous.as_ref().map(|(_, until)| *until).filter(|until| now_ms() < *until)
    }

    /// The credentials responses, redirects and IPNs are signed with and whose API
    /// key they carry: the replaced ones while a grace period runs (the merchant may
    /// still verify with them), the current ones otherwise.
    pub fn signing(&self) -> &PartnerKeys {
        self.in_grace(now_ms()).unwrap_or(&self.keys)
    }

    /// The credentials a request may be made with: the current ones, and the
    /// replaced ones while a grace period runs.
    pub fn accepted(&self) -> impl Iterator<Item = &PartnerKeys> {
        std::iter::once(&self.keys).chain(self.in_grace(now_ms()))
    }

    /// The ids of the secrets a token may be verified with now (see
    /// [`appotapay_protocol::token_cache`]).
    pub fn accepted_key_ids(&self) -> Vec<KeyId> {
        self.accepted().map(|k| k.key_id).collect()
    }

    /// Whether `api_key` is an accepted API key (each compared in constant time).
    pub fn accepts_api_key(&self, api_key: &str) -> bool {
        self.accepted().fold(false, |ok, k| ok | bool::from(api_key.as_bytes().ct_eq(k.api_key.as_bytes())))
    }
}

/// What a key rotation did.
#[derive(Debug)]
pub enum Rotated {
    /// The new credentials (shown once); the replaced ones are accepted until
    /// `grace_until_ms`, or no more if `None`.
    Done {
        /// The new credentials.
        keys: PartnerKeys,
        /// The end of the replaced credentials' grace period.
        grace_until_ms: Option<i64>,
    },
    /// No such partner.
    UnknownPartner,
    /// A grace period runs until `until_ms`, and the rotation was not forced.
    InGrace {
        /// The end of the running grace period.
        until_ms: i64,
    },
}

impl Gateway {
    /// A partner by code, cached for `partner_cache_ttl`.
    pub async fn partner(&self, code: &str) -> Result<Option<Arc<Partner>>, CoreError> {
        if let Some((p, at)) = self.partners.read().unwrap_or_else(|e| e.into_inner()).get(code) {
            if at.elapsed() < self.config.partner_cache_ttl {
                return Ok(Some(p.clone()));
            }
        }
        let Some(rec) = self.store.get_partner(code).await? else {
            return Ok(None);
        };
        let mut p = self.decrypt_partner(&rec)?;
        p.account = self.store.partner_account(code).await?;
        let p = Arc::new(p);
        self.partners.write().unwrap_or_else(|e| e.into_inner()).insert(code.to_owned(), (p.clone(), Instant::now()));
        Ok(Some(p))
    }

    /// Drops this node's cached record of a partner (other nodes see a change within
    /// `partner_cache_ttl`).
    pub(super) fn forget_partner(&self, code: &str) {
        self.partners.write().unwrap_or_else(|e| e.into_inner()).remove(code);
    }

    /// Decrypts a stored partner.
    pub(crate) fn decrypt_partner(&self, rec: &PartnerRecord) -> Result<Partner, CoreError> {
        let open = |api_key: &str, sealed: &[u8]| {
            let secret = self.keys.open(&rec.code, sealed).map_err(|_| CoreError::Key(rec.code.clone()))?;
            Ok::<_, CoreError>(PartnerKeys::new(api_key.to_owned(), SecretKey::new(secret)))
        };
        let previous = match &rec.previous {
            Some(PreviousKeys { api_key, secret_enc, until_ms }) => Some((open(api_key, secret_enc)?, *until_ms)),
            None => None,
        };
        Ok(Partner {
            code: rec.code.clone(),
            name: rec.name.clone(),
            locked: rec.locked,
            notify_failures: rec.notify_failures,
            limits: AmountLimits { min: rec.amount_min, max: rec.amount_max },
            account: None,
            allowed: rec.allowed.clone(),
            keys: open(&rec.api_key, &rec.secret_enc)?,
            previous,
        })
    }

    /// Stores a new partner with its secret encrypted. `false` if the code exists.
    pub async fn create_partner(
        &self,
        code: &str,
        name: &str,
        api_key: &str,
        secret: &str,
        notify_failures: bool,
    ) -> Result<bool, CoreError> {
        let rec = PartnerRecord {
            code: code.to_owned(),
            name: name.to_owned(),
            api_key: api_key.to_owned(),
            secret_enc: self.keys.seal(code, secret),
            locked: false,
            notify_failures,
            amount_min: AmountLimits::DEFAULT_MIN,
            amount_max: AmountLimits::DEFAULT_MAX,
            created_at_ms: now_ms(),
            previous: None,
            allowed: Allowed::default(),
        };
        Ok(self.store.insert_partner(&rec).await?)
    }

    /// Every partner, by code (secrets stay encrypted).
    pub async fn partners(&self) -> Result<Vec<PartnerRecord>, CoreError> {
        Ok(self.store.list_partners().await?)
    }

    /// Replaces a partner's allowed payment methods and banks (empty lists allow
    /// every one); `false` if unknown. Other nodes see it within `partner_cache_ttl`;
    /// this one at once.
    pub async fn set_partner_allowed(&self, code: &str, allowed: &Allowed) -> Result<bool, CoreError> {
        let known = self.store.set_partner_allowed(code, allowed).await?;
        self.partners.write().unwrap_or_else(|e| e.into_inner()).remove(code);
        Ok(known)
    }

    /// Locks or unlocks a partner; `false` if unknown. Other nodes see it within
    /// `partner_cache_ttl`; this one at once.
    pub async fn set_partner_locked(&self, code: &str, locked: bool) -> Result<bool, CoreError> {
        let known = self.store.set_partner_locked(code, locked).await?;
        self.partners.write().unwrap_or_else(|e| e.into_inner()).remove(code);
        self.tokens.forget_issuer(code);
        Ok(known)
    }

    /// Gives a partner a new API key and secret. With a non-zero `grace` the
    /// replaced ones stay accepted, and keep signing, for that long; with a zero one
    /// they stop at once. While an earlier rotation's grace period runs, a rotation
    /// is refused unless `force`, which ends that grace period (its credentials stop
    /// at once). Other nodes see the change within `partner_cache_ttl`; this one at
    /// once.
    pub async fn rotate_partner_keys(&self, code: &str, grace: Duration, force: bool) -> Result<Rotated, CoreError> {
        let Some(rec) = self.store.get_partner(code).await? else { return Ok(Rotated::UnknownPartner) };
        let now = now_ms();
        if let Some(until_ms) = rec.previous.as_ref().map(|p| p.until_ms).filter(|until| now < *until) {
            if !force {
                return Ok(Rotated::InGrace { until_ms });
            }
        }
        let grace_ms = i64::try_from(grace.as_millis()).unwrap_or(i64::MAX);
        let grace_until_ms = (grace_ms > 0).then(|| now.saturating_add(grace_ms));
        let keys = PartnerKeys::new(random_token(32), SecretKey::new(random_token(32)));
        let rotation = KeyRotation {
            api_key: keys.api_key.clone(),
            secret_enc: self.keys.seal(code, keys.secret.expose()),
            grace_until_ms,
        };
        let rotated = self.store.rotate_partner_keys(code, &rec.api_key, &rotation).await?;
        self.partners.write().unwrap_or_else(|e| e.into_inner()).remove(code);
        self.tokens.forget_issuer(code);
        if !rotated {
            // Another rotation came between the read and the write: judge again.
            return Box::pin(self.rotate_partner_keys(code, grace, force)).await;
        }
        tracing::info!(partner = code, grace_until_ms, "partner keys rotated");
        Ok(Rotated::Done { keys, grace_until_ms })
    }

    /// Creates a sub-account of a partner; `None` if the partner is unknown.
    pub async fn create_sub_account(&self, partner_code: &str, owner: bool) -> Result<Option<SubAccount>, CoreError> {
        let sub = SubAccount {
            id: uuid::Uuid::new_v4().to_string(),
            partner_code: partner_code.to_owned(),
            owner,
            created_at_ms: now_ms(),
        };
        Ok(self.add_sub_account(&sub).await?.then_some(sub))
    }

    /// Stores a sub-account as given (its id chosen by the caller); `false` if the
    /// partner is unknown.
    pub async fn add_sub_account(&self, sub: &SubAccount) -> Result<bool, CoreError> {
        Ok(self.store.insert_sub_account(sub).await?)
    }

    /// A sub-account of `partner_code` by id (`X-Account-Ref-ID`); `None` if it does
    /// not exist or is another partner's.
    pub async fn sub_account(&self, partner_code: &str, id: &str) -> Result<Option<SubAccount>, CoreError> {
        Ok(self.store.get_sub_account(id).await?.filter(|s| s.partner_code == partner_code))
    }

    /// Records that a partner's JWT id was used, until `until_ms`: `true` the first
    /// time, `false` for a replay while the earlier use is on record.
    pub async fn claim_jti(&self, partner_code: &str, jti: &str, until_ms: i64) -> Result<bool, CoreError> {
        Ok(self.store.claim_jti(partner_code, jti, until_ms, now_ms()).await?)
    }

    /// Forgets the JWT ids whose tokens expired.
    pub async fn prune_jtis(&self) -> Result<u64, CoreError> {
        Ok(self.store.prune_jtis(now_ms()).await?)
    }
}
