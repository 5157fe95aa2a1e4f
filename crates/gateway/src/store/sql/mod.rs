//! What both backends share: the SQL text of every statement, written once with
//! PostgreSQL's `$1, $2…` placeholders, the parameters each statement takes, and the
//! decoding of the rows it returns.
//!
//! A statement is a [`Sql`] static. Its text is built on first use (column lists are
//! spliced in then) and its SQLite form (`?1, ?2…`) derived from it once, so a call
//! on the hot path only reads a string that already exists. Parameters are
//! [`Value`]s, bound by either driver; rows are read through [`SqlRow`], implemented
//! for both drivers' rows. The statements sit by resource, beside the decoders of
//! their rows and the pure decisions taken on what they read:
//! [`partners`], [`orders`], [`outbox`], [`refunds`], [`checkout`], [`jwt_ids`],
//! [`meta`], [`idempotency`], [`console`], [`credits`], [`request_log`], [`test_kit`],
//! [`stats`].
//!
//! A text is used by both backends unless its name says otherwise: a backend adds
//! only the clauses the other database lacks (`FOR UPDATE`, `SKIP LOCKED`,
//! `pg_notify`, statements chained in a `WITH`), in its own module.

pub mod checkout;
pub mod console;
pub mod credits;
pub mod idempotency;
pub mod jwt_ids;
pub mod meta;
pub mod orders;
pub mod outbox;
pub mod params;
pub mod partners;
pub mod refunds;
pub mod request_log;
pub mod rows;
pub mod stats;
pub mod test_kit;

pub use params::Value;
pub(crate) use params::{args, values};
pub use rows::SqlRow;

use std::sync::OnceLock;

/// One statement's SQL text, in PostgreSQL's form, with its SQLite form derived once.
#[derive(Debug)]
pub struct Sql {
    build: fn() -> String,
    postgres: OnceLock<String>,
    sqlite: OnceLock<String>,
}

impl Sql {
    /// A statement whose text `build` returns (called once).
    pub const fn new(build: fn() -> String) -> Sql {
        Sql { build, postgres: OnceLock::new(), sqlite: OnceLock::new() }
    }

    /// The text with `$n` placeholders.
    pub fn postgres(&self) -> &str {
        self.postgres.get_or_init(self.build)
    }

    /// The text with `?n` placeholders.
    pub fn sqlite(&self) -> &str {
        self.sqlite.get_or_init(|| to_sqlite(self.postgres()))
    }
}

/// Rewrites `$n` placeholders as `?n` (SQLite's numbered parameters; rusqlite binds
/// the n-th value to `?n`). No statement holds a `$` anywhere else.
pub fn to_sqlite(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

/// `columns` (`a, b, c`) with each name qualified by `table` (`t.a, t.b, t.c`), for
/// statements that join another table.
pub fn qualified(table: &str, columns: &str) -> String {
    columns.split(", ").map(|c| format!("{table}.{c}")).collect::<Vec<_>>().join(", ")
}

/// `$from, $from+1, … $to`: the placeholders of an `INSERT … VALUES` list.
pub fn placeholders(from: usize, to: usize) -> String {
    (from..=to).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ")
}

/// The number of columns in a column list.
pub fn column_count(columns: &str) -> usize {
    columns.split(", ").count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_rewritten_for_sqlite() {
        assert_eq!(to_sqlite("a = $1 AND b IN ($2, $10) AND c = '$'"), "a = ?1 AND b IN (?2, ?10) AND c = '$'");
        assert_eq!(placeholders(1, 3), "$1, $2, $3");
        assert_eq!(qualified("r", "a, b"), "r.a, r.b");
        static S: Sql = Sql::new(|| format!("SELECT {} FROM t WHERE x = $1", "a, b"));
        assert_eq!(S.postgres(), "SELECT a, b FROM t WHERE x = $1");
        assert_eq!(S.sqlite(), "SELECT a, b FROM t WHERE x = ?1");
    }
}
