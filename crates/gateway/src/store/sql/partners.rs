//! Partners and sub-accounts: statements, parameters, row decoding.

use super::rows::SqlRow;
use super::rows::corrupt;
use super::{Sql, Value, values};
use crate::store::{Allowed, KeyRotation, PartnerRecord, PreviousKeys, StoreResult, SubAccount};

/// The columns a new partner is inserted with ([`partner_params`]).
const INSERT_COLUMNS: &str =
    "code, name, api_key, secret_enc, locked, notify_failures, amount_min, amount_max, created_at_ms";

/// The columns of a partner, in [`partner_from_row`]'s order: the inserted ones,
/// then the previous credentials of a key rotation, then the allowed methods and
/// banks (comma-separated, empty for all).
pub const PARTNER_COLUMNS: &str = "code, name, api_key, secret_enc, locked, notify_failures, amount_min, amount_max, \
     created_at_ms, prev_api_key, prev_secret_enc, prev_until_ms, allowed_methods, allowed_banks";

/// Inserts a partner ([`partner_params`]); no row if the code exists.
pub static INSERT_PARTNER: Sql = Sql::new(|| {
    format!(
        "INSERT INTO partners ({INSERT_COLUMNS}) VALUES ({}) ON CONFLICT (code) DO NOTHING",
        super::placeholders(1, 9)
    )
});

/// A partner by code (`$1`).
pub static GET_PARTNER: Sql = Sql::new(|| format!("SELECT {PARTNER_COLUMNS} FROM partners WHERE code = $1"));

/// Every partner, by code.
pub static LIST_PARTNERS: Sql = Sql::new(|| format!("SELECT {PARTNER_COLUMNS} FROM partners ORDER BY code"));

/// Sets `locked` (`$1`) of the partner `$2`.
pub static SET_PARTNER_LOCKED: Sql = Sql::new(|| "UPDATE partners SET locked = $1 WHERE code = $2".into());

/// Replaces the credentials of the partner `$5` whose API key is still `$6` (a
/// compare-and-set: no row if another rotation came first): the current ones become
/// the previous ones until `$2` if `$1`, and are forgotten otherwise; `$3`, `$4` are
/// the new API key and sealed secret ([`rotation_params`]).
pub static ROTATE_PARTNER_KEYS: Sql = Sql::new(|| {
    "UPDATE partners SET prev_api_key = CASE WHEN $1 THEN api_key END, \
     prev_secret_enc = CASE WHEN $1 THEN secret_enc END, prev_until_ms = $2, api_key = $3, secret_enc = $4 \
     WHERE code = $5 AND api_key = $6"
        .into()
});

/// Sets the allowed methods (`$1`) and banks (`$2`) of the partner `$3`.
pub static SET_PARTNER_ALLOWED: Sql =
    Sql::new(|| "UPDATE partners SET allowed_methods = $1, allowed_banks = $2 WHERE code = $3".into());

/// Inserts a sub-account ([`sub_account_params`]) if its partner exists: no row
/// otherwise.
pub static INSERT_SUB_ACCOUNT: Sql = Sql::new(|| {
    "INSERT INTO sub_accounts (id, partner_code, owner, created_at_ms) \
     SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM partners WHERE code = $2)"
        .into()
});

/// A sub-account by id (`$1`).
pub static GET_SUB_ACCOUNT: Sql =
    Sql::new(|| "SELECT id, partner_code, owner, created_at_ms FROM sub_accounts WHERE id = $1".into());

/// The parameters of [`INSERT_PARTNER`].
pub fn partner_params(p: &PartnerRecord) -> Vec<Value<'_>> {
    values![
        &p.code,
        &p.name,
        &p.api_key,
        p.secret_enc.as_slice(),
        p.locked,
        p.notify_failures,
        p.amount_min,
        p.amount_max,
        p.created_at_ms,
    ]
}

/// The parameters of [`ROTATE_PARTNER_KEYS`]: the rotation of `code`'s credentials,
/// if its API key is still `current_api_key`.
pub fn rotation_params<'a>(code: &'a str, current_api_key: &'a str, r: &'a KeyRotation) -> Vec<Value<'a>> {
    values![r.grace_until_ms.is_some(), r.grace_until_ms, &r.api_key, r.secret_enc.as_slice(), code, current_api_key]
}

/// The parameters of [`INSERT_SUB_ACCOUNT`].
pub fn sub_account_params(s: &SubAccount) -> Vec<Value<'_>> {
    values![&s.id, &s.partner_code, s.owner, s.created_at_ms]
}

/// A row of [`PARTNER_COLUMNS`].
pub fn partner_from_row<R: SqlRow + ?Sized>(r: &R) -> StoreResult<PartnerRecord> {
    Ok(PartnerRecord {
        code: r.text(0)?,
        name: r.text(1)?,
        api_key: r.text(2)?,
        secret_enc: r.bytes(3)?,
        locked: r.bool(4)?,
        notify_failures: r.bool(5)?,
        amount_min: r.int(6)?,
        amount_max: r.int(7)?,
        created_at_ms: r.int(8)?,
        previous: previous_from_row(r)?,
        allowed: Allowed { methods: Allowed::parse_list(&r.text(12)?), banks: Allowed::parse_list(&r.text(13)?) },
    })
}

/// The previous credentials of a row of [`PARTNER_COLUMNS`]: all three columns set,
/// or none.
fn previous_from_row<R: SqlRow + ?Sized>(r: &R) -> StoreResult<Option<PreviousKeys>> {
    match (r.text_opt(9)?, r.bytes_opt(10)?, r.int_opt(11)?) {
        (Some(api_key), Some(secret_enc), Some(until_ms)) => Ok(Some(PreviousKeys { api_key, secret_enc, until_ms })),
        (None, None, _) => Ok(None),
        _ => Err(corrupt("previous partner credentials")),
    }
}

/// A row of [`GET_SUB_ACCOUNT`].
pub fn sub_account_from_row<R: SqlRow + ?Sized>(r: &R) -> StoreResult<SubAccount> {
    Ok(SubAccount { id: r.text(0)?, partner_code: r.text(1)?, owner: r.bool(2)?, created_at_ms: r.int(3)? })
}
