//! The console's statements: admin tokens, the audit log, order events, the search
//! over every partner's orders, and the failing IPNs with the requeues that send
//! them again.

use super::orders::ORDER_COLUMNS;
use super::rows::{SqlRow, corrupt};
use super::{Sql, Value, values};
use crate::domain::console::{
    AdminToken, AuditEntry, ConsoleOrderQuery, FailingDelivery, FailingGroup, NewAudit, OrderEvent, Role,
};
use crate::store::{AttemptRecord, DeliveryStatus, StoreResult};

/// Columns of [`admin_token_from_row`].
const TOKEN_COLUMNS: &str = "id, name, role, token_hash, created_at_ms, revoked_at_ms";

/// Inserts an admin token ([`admin_token_params`]); no row when its id or hash exists.
pub static INSERT_ADMIN_TOKEN: Sql = Sql::new(|| {
    "INSERT INTO admin_tokens (id, name, role, token_hash, created_at_ms, revoked_at_ms) \
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING"
        .into()
});

/// An admin token by the hash `$1`.
pub static ADMIN_TOKEN_BY_HASH: Sql =
    Sql::new(|| format!("SELECT {TOKEN_COLUMNS} FROM admin_tokens WHERE token_hash = $1"));

/// An admin token by id `$1`.
pub static ADMIN_TOKEN_BY_ID: Sql = Sql::new(|| format!("SELECT {TOKEN_COLUMNS} FROM admin_tokens WHERE id = $1"));

/// Every admin token, oldest first.
pub static LIST_ADMIN_TOKENS: Sql =
    Sql::new(|| format!("SELECT {TOKEN_COLUMNS} FROM admin_tokens ORDER BY created_at_ms, id"));

/// Revokes the live token `$1` at `$2`.
pub static REVOKE_ADMIN_TOKEN: Sql =
    Sql::new(|| "UPDATE admin_tokens SET revoked_at_ms = $2 WHERE id = $1 AND revoked_at_ms IS NULL".into());

/// The parameters of [`INSERT_ADMIN_TOKEN`].
pub fn admin_token_params(t: &AdminToken) -> Vec<Value<'_>> {
    values![&t.id, &t.name, t.role.as_str(), &t.token_hash, t.created_at_ms, t.revoked_at_ms]
}

/// A row of the admin token columns.
pub fn admin_token_from_row<R: SqlRow + ?Sized>(r: &R) -> StoreResult<AdminToken> {
    Ok(AdminToken {
        id: r.text(0)?,
        name: r.text(1)?,
        role: Role::parse(&r.text(2)?).ok_or_else(|| corrupt("admin token role"))?,
        token_hash: r.text(3)?,
        created_at_ms: r.int(4)?,
        revoked_at_ms: r.int_opt(5)?,
    })
}

/// Appends to the audit log ([`audit_params`]).
pub static INSERT_AUDIT: Sql =
    Sql::new(|| "INSERT INTO audit_log (at_ms, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)".into());

/// The audit log, newest first: entries below id `$1` (all when NULL) about the
/// target `$2` (any when NULL), `$3` of them.
pub static LIST_AUDIT: Sql = Sql::new(|| {
    "SELECT id, at_ms, actor, action, target, detail FROM audit_log \
     WHERE ($1 IS NULL OR id < $1) AND ($2 IS NULL OR target = $2) ORDER BY id DESC LIMIT $3"
        .into()
});

/// The parameters of [`INSERT_AUDIT`].
pub fn audit_params(a: &NewAudit) -> Vec<Value<'_>> {
    values![a.at_ms, &a.actor, &a.action, &a.target, &a.detail]
}

/// A row of [`LIST_AUDIT`].
pub fn audit_from_row<R: SqlRow + ?Sized>(r: &R) -> StoreResult<AuditEntry> {
    Ok(AuditEntry {
        id: r.int(0)?,
        entry: NewAudit {
            at_ms: r.int(1)?,
            actor: r.text(2)?,
            action: r.text(3)?,
            target: r.text(4)?,
            detail: r.text(5)?,
        },
    })
}

/// Records a checkout step (`$1` trans id, `$2` time, `$3` what).
pub static INSERT_ORDER_EVENT: Sql =
    Sql::new(|| "INSERT INTO order_events (trans_id, at_ms, what) VALUES ($1, $2, $3)".into());

/// The checkout steps of an order (`$1`), in order.
pub static ORDER_EVENTS: Sql =
    Sql::new(|| "SELECT trans_id, at_ms, what FROM order_events WHERE trans_id = $1 ORDER BY id".into());

/// A row of [`ORDER_EVENTS`].
pub fn order_event_from_row<R: SqlRow + ?Sized>(r: &R) -> StoreResult<OrderEvent> {
    Ok(OrderEvent { trans_id: r.text(0)?, at_ms: r.int(1)?, what: r.text(2)? })
}

/// The `WHERE` of a search ([`search_params`]); a filter whose parameter is NULL is
/// off: partner `$1`, orderId `$2`, appotapayTransId `$3`, created from `$4` to `$5`,
/// method `$6`, up to six states `$7`…`$12`.
const SEARCH_WHERE: &str = "WHERE ($1 IS NULL OR partner_code = $1) AND ($2 IS NULL OR order_id = $2) \
     AND ($3 IS NULL OR trans_id = $3) \
     AND ($4 IS NULL OR created_at_ms >= $4) AND ($5 IS NULL OR created_at_ms <= $5) \
     AND ($6 IS NULL OR payment_method = $6) \
     AND ($7 IS NULL OR state IN ($7, $8, $9, $10, $11, $12))";

/// How many orders a search matches.
pub static COUNT_SEARCH: Sql = Sql::new(|| format!("SELECT COUNT(*) FROM orders {SEARCH_WHERE}"));

/// A page of a search, newest first: `$13` rows after skipping `$14`.
pub static SEARCH_ORDERS: Sql = Sql::new(|| {
    format!(
        "SELECT {ORDER_COLUMNS} FROM orders {SEARCH_WHERE} ORDER BY created_at_ms DESC, trans_id DESC LIMIT $13 OFFSET $14"
    )
});

/// The parameters of [`COUNT_SEARCH`] (`page` false) or [`SEARCH_ORDERS`].
pub fn search_params(q: &ConsoleOrderQuery, page: bool) -> Vec<Value<'_>> {
    let state = |i: usize| q.states.get(i).or(q.states.first()).map(|s| s.as_str());
    let mut v = values![
        &q.partner_code,
        &q.order_id,
        &q.trans_id,
        q.start_ms,
        q.end_ms,
        q.payment_method.map(|m| m.as_str()),
        state(0),
        state(1),
        state(2),
        state(3),
        state(4),
        state(5),
    ];
    if page {
        v.extend(values![i64::from(q.limit), i64::try_from(q.offset).unwrap_or(i64::MAX)]);
    }
    v
}

/// Which outbox rows count as failing: tried and not delivered. (`status <>
/// 'delivered'` is spelled out so that both databases read the partial index
/// `outbox_undelivered` rather than scan every delivered row.)
const FAILING: &str = "o.status <> 'delivered' AND (o.status = 'failed' OR (o.status = 'pending' AND o.attempts > 0))";

/// The failing IPNs by partner and URL, of the partner `$1` (any when NULL): how
/// many, how many given up, the oldest's queueing time and the URL's last delivery;
/// the groups with the newest failures first, `$2` of them. Counted by the database,
/// however many rows fail.
pub static FAILING_GROUPS: Sql = Sql::new(|| {
    format!(
        "SELECT o.partner_code, o.url, COUNT(*), SUM(CASE WHEN o.status = 'failed' THEN 1 ELSE 0 END), \
         MIN(o.created_at_ms), (SELECT MAX(d.finished_at_ms) FROM outbox d \
         WHERE d.partner_code = o.partner_code AND d.url = o.url AND d.status = 'delivered') \
         FROM outbox o WHERE {FAILING} AND ($1 IS NULL OR o.partner_code = $1) \
         GROUP BY o.partner_code, o.url ORDER BY MAX(o.created_at_ms) DESC, o.partner_code, o.url LIMIT $2"
    )
});

/// A row of [`FAILING_GROUPS`].
pub fn group_from_row<R: SqlRow + ?Sized>(r: &R) -> StoreResult<FailingGroup> {
    Ok(FailingGroup {
        partner_code: r.text(0)?,
        url: r.text(1)?,
        failing: u64::try_from(r.int(2)?).map_err(|_| corrupt("failing count"))?,
        exhausted: u64::try_from(r.int(3)?).map_err(|_| corrupt("exhausted count"))?,
        failing_since_ms: r.int(4)?,
        last_delivered_ms: r.int_opt(5)?,
    })
}

/// The columns of a failing IPN with its last finished attempt ([`failing_from_row`]).
const FAILING_COLUMNS: &str = "o.id, o.trans_id, o.partner_code, o.url, o.status, o.attempts, o.created_at_ms, \
     a.attempt, a.at_ms, a.http_status, a.error, a.latency_ms, a.response_head \
     FROM outbox o LEFT JOIN ipn_attempts a ON a.id = (SELECT MAX(id) FROM ipn_attempts WHERE outbox_id = o.id)";

/// The newest failing IPNs of the partner `$1` to the URL `$2`, `$3` of them.
pub static FAILING_OF_URL: Sql = Sql::new(|| {
    format!(
        "SELECT {FAILING_COLUMNS} WHERE {FAILING} AND o.partner_code = $1 AND o.url = $2 \
         ORDER BY o.created_at_ms DESC, o.id DESC LIMIT $3"
    )
});

/// A row of [`FAILING_OF_URL`] or [`OUTBOX_ROW`].
pub fn failing_from_row<R: SqlRow + ?Sized>(r: &R) -> StoreResult<FailingDelivery> {
    let outbox_id = r.int(0)?;
    let last = match r.int_opt(8)? {
        Some(at_ms) => Some(AttemptRecord {
            outbox_id,
            attempt: r.u32(7, "attempt")?,
            at_ms,
            http_status: r.int_opt(9)?.and_then(|s| u16::try_from(s).ok()),
            error: r.text_opt(10)?,
            latency_ms: r.int(11)?,
            response_head: r.text(12)?,
        }),
        None => None,
    };
    Ok(FailingDelivery {
        outbox_id,
        trans_id: r.text(1)?,
        partner_code: r.text(2)?,
        url: r.text(3)?,
        status: DeliveryStatus::parse(&r.text(4)?).ok_or_else(|| corrupt("outbox status"))?,
        attempts: r.u32(5, "attempts")?,
        created_at_ms: r.int(6)?,
        last,
    })
}

/// The outbox id of a transaction's (`$1`) latest IPN.
pub static LATEST_OUTBOX_ROW: Sql =
    Sql::new(|| "SELECT id FROM outbox WHERE trans_id = $1 ORDER BY id DESC LIMIT 1".into());

/// An outbox row by id `$1`, as a failing IPN is shown ([`failing_from_row`]).
pub static OUTBOX_ROW: Sql = Sql::new(|| format!("SELECT {FAILING_COLUMNS} WHERE o.id = $1"));

/// Sends a delivered IPN (outbox row `$1`) again: a new row with the same
/// transaction, partner, URL and body, due at `$2`, with the whole retry schedule
/// before it; the delivered row stays as it was. Its id; no row unless `$1` is
/// delivered.
pub static COPY_DELIVERED_ROW: Sql = Sql::new(|| {
    "INSERT INTO outbox (trans_id, partner_code, url, body, status, attempts, next_attempt_at_ms, locked_until_ms, \
     created_at_ms, lose_attempts) \
     SELECT trans_id, partner_code, url, body, 'pending', 0, $2, 0, $2, 0 FROM outbox \
     WHERE id = $1 AND status = 'delivered' RETURNING id"
        .into()
});

/// Makes the undelivered outbox row `$1` due at `$2` unless an attempt holds its
/// lease right now: a given-up IPN is sent once more (its next attempt counts on), a
/// retrying one is sent now.
pub static REQUEUE_ROW: Sql = Sql::new(|| {
    "UPDATE outbox SET status = 'pending', next_attempt_at_ms = $2, finished_at_ms = NULL, locked_until_ms = 0 \
     WHERE id = $1 AND status <> 'delivered' AND (status <> 'pending' OR locked_until_ms <= $2)"
        .into()
});

/// Makes due at `$1` every failing IPN (given up, or retrying and not leased) of the
/// partner `$2`, to the URL `$3` when not NULL.
pub static REDRIVE: Sql = Sql::new(|| {
    "UPDATE outbox SET status = 'pending', next_attempt_at_ms = $1, finished_at_ms = NULL, locked_until_ms = 0 \
     WHERE partner_code = $2 AND ($3 IS NULL OR url = $3) AND status <> 'delivered' \
     AND (status = 'failed' OR (status = 'pending' AND attempts > 0 AND locked_until_ms <= $1))"
        .into()
});

/// Sets the partner `$1`'s notify-failures flag to `$2`.
pub static SET_NOTIFY_FAILURES: Sql = Sql::new(|| "UPDATE partners SET notify_failures = $2 WHERE code = $1".into());

/// The sub-accounts of the partner `$1`, oldest first.
pub static PARTNER_SUB_ACCOUNTS: Sql = Sql::new(|| {
    "SELECT id, partner_code, owner, created_at_ms FROM sub_accounts WHERE partner_code = $1 \
     ORDER BY created_at_ms, id"
        .into()
});
