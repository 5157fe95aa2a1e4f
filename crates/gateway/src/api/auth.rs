//! `X-APPOTAPAY-AUTH` (spec §3) as an axum extractor.
//!
//! Order of checks: token shape and header (401) → `iss` names a partner (11) →
//! signature and expiry under that partner's secret (401) → `api_key` (14) → the
//! partner is not locked (13) → with `jwt_replay_check` on, the `jti` is present and
//! was not used before (401). All answer HTTP 401.
//!
//! During a key rotation's grace period the token may be signed with either secret
//! and carry either API key ([`Partner::accepted`]).

use super::ApiError;
use crate::core::{Gateway, Partner, now_ms};
use appotapay_protocol::token_cache::KeyId;
use appotapay_protocol::{ErrorCode, Lang, headers, jwt};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use std::sync::Arc;

/// An `exp` above this (the year 33658 in seconds; 2001 in milliseconds) was written
/// in milliseconds.
const MILLISECOND_EXP: i64 = 1_000_000_000_000;

/// The request's language (`X-Language`).
#[derive(Clone, Copy, Debug)]
pub struct ReqLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for ReqLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ReqLang(lang_of(parts)))
    }
}

/// The language of a request's `X-Language` header.
pub fn lang_of(parts: &Parts) -> Lang {
    Lang::from_header(parts.headers.get(headers::LANGUAGE).and_then(|v| v.to_str().ok()))
}

/// The authenticated partner of a request.
#[derive(Clone, Debug)]
pub struct AuthPartner(pub Arc<Partner>);

impl FromRequestParts<Arc<Gateway>> for AuthPartner {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, gw: &Arc<Gateway>) -> Result<Self, Self::Rejection> {
        // Authenticated once already (by the idempotency layer): the token's jti
        // must not be claimed twice.
        if let Some(done) = parts.extensions.get::<AuthPartner>() {
            super::debugger::authenticated(&done.0);
            return Ok(done.clone());
        }
        let lang = lang_of(parts);
        let fail = |code: ErrorCode, why: &str| ApiError::auth(code).lang(lang).detail(why.to_owned());
        let header = parts
            .headers
            .get(headers::AUTH)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| fail(ErrorCode::UNAUTHORIZED, "X-APPOTAPAY-AUTH is missing"))?;
        let now = now_ms() / 1000;
        let leeway = gw.config().jwt_leeway_secs;
        let (partner, claims) = match remembered(gw, header, now, leeway).await? {
            Some(hit) => hit,
            None => {
                let token = jwt::decode(header).map_err(|e| fail(ErrorCode::UNAUTHORIZED, &e.to_string()))?;
                let partner = gw
                    .partner(&token.claims().iss)
                    .await?
                    .ok_or_else(|| fail(ErrorCode::PARTNER_NOT_FOUND, "unknown partner"))?;
                let exp = token.claims().exp;
                let (claims, key) = verify_any(&partner, &token, now, leeway, gw.config().jwt_max_lifetime_secs)
                    .map_err(|e| match e {
                        // Decision (docs §12): an `exp` in milliseconds is refused, with this hint.
                        jwt::JwtError::Lifetime if exp > MILLISECOND_EXP => fail(
                            ErrorCode::UNAUTHORIZED,
                            "the token's exp looks like unix milliseconds: send unix seconds",
                        ),
                        e => fail(ErrorCode::UNAUTHORIZED, &e.to_string()),
                    })?;
                // Each token is used once under the replay check: nothing to remember.
                if !gw.config().jwt_replay_check {
                    gw.verified_tokens().insert(header, claims.clone(), key, now);
                }
                (partner, claims)
            }
        };
        if !partner.accepts_api_key(&claims.api_key) {
            return Err(fail(ErrorCode::INVALID_API_KEY, "api_key does not match the partner"));
        }
        if partner.locked {
            return Err(fail(ErrorCode::PARTNER_LOCKED, "the partner is locked"));
        }
        if gw.config().jwt_replay_check {
            let jti = claims
                .jti
                .as_deref()
                .ok_or_else(|| fail(ErrorCode::UNAUTHORIZED, "jti is required (replay detection is on)"))?;
            // The id is remembered as long as the token could still verify, and never
            // longer than the longest lifetime.
            let until = claims.exp.min(now.saturating_add(gw.config().jwt_max_lifetime_secs));
            let until_ms = until.saturating_add(gw.config().jwt_leeway_secs).saturating_mul(1000);
            if !gw.claim_jti(&partner.code, jti, until_ms).await? {
                return Err(fail(ErrorCode::UNAUTHORIZED, "the token's jti was already used"));
            }
        }
        super::debugger::authenticated(&partner);
        Ok(AuthPartner(partner))
    }
}

/// A token this node already verified, still unexpired, under a secret its partner
/// still accepts: its partner and claims without verifying it again
/// ([`appotapay_protocol::token_cache`]). The partner's lock and API key are checked
/// after, as for any token.
async fn remembered(
    gw: &Gateway,
    header: &str,
    now: i64,
    leeway: i64,
) -> Result<Option<(Arc<Partner>, jwt::Claims)>, ApiError> {
    let tokens = gw.verified_tokens();
    let Some(iss) = tokens.issuer(header) else { return Ok(None) };
    let Some(partner) = gw.partner(&iss).await? else { return Ok(None) };
    Ok(tokens.get(header, now, leeway, &partner.accepted_key_ids()).map(|claims| (partner, claims)))
}

/// The token's claims under the first accepted secret it verifies with, and that
/// secret's id. Otherwise the error of a secret whose signature matched (an expired
/// token), if any: the signature error only when none did.
fn verify_any(
    partner: &Partner,
    token: &jwt::UnverifiedJwt,
    now: i64,
    leeway: i64,
    max_lifetime: i64,
) -> Result<(jwt::Claims, KeyId), jwt::JwtError> {
    let mut first_err = None;
    for keys in partner.accepted() {
        match token.clone().verify_within(&keys.secret, now, leeway, max_lifetime) {
            Ok(claims) => return Ok((claims, keys.key_id)),
            Err(e) if first_err.is_none() || first_err == Some(jwt::JwtError::Signature) => first_err = Some(e),
            Err(_) => {}
        }
    }
    Err(first_err.unwrap_or(jwt::JwtError::Signature))
}
