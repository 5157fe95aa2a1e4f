//! Reading a column, the same way from either driver's row, so that each resource's
//! rows are decoded by one function.
//!
//! The schemas differ in types where the databases do: PostgreSQL has `INTEGER`
//! beside `BIGINT` and a `BOOLEAN`, SQLite stores all three as its one integer. So a
//! PostgreSQL column is read by its declared width, and decoders see an `i64` or a
//! `bool` either way.

use crate::store::{StoreError, StoreResult};
use appotapay_protocol::{AppotapayTransId, BankCode, PaymentMethod};
use sqlx::postgres::PgRow;
use sqlx::{Column, Row, TypeInfo};

/// A row of either database.
pub trait SqlRow {
    /// A text column, NULL as `None`.
    fn text_opt(&self, i: usize) -> StoreResult<Option<String>>;
    /// An integer column of any width, NULL as `None`.
    fn int_opt(&self, i: usize) -> StoreResult<Option<i64>>;
    /// A boolean column (SQLite: an integer).
    fn bool(&self, i: usize) -> StoreResult<bool>;
    /// A bytes column.
    fn bytes(&self, i: usize) -> StoreResult<Vec<u8>>;
    /// A bytes column, NULL as `None`.
    fn bytes_opt(&self, i: usize) -> StoreResult<Option<Vec<u8>>>;

    /// A text column that is never NULL.
    fn text(&self, i: usize) -> StoreResult<String> {
        self.text_opt(i)?.ok_or_else(|| null(i))
    }

    /// An integer column that is never NULL.
    fn int(&self, i: usize) -> StoreResult<i64> {
        self.int_opt(i)?.ok_or_else(|| null(i))
    }

    /// A non-negative integer column that fits a `u32`; `what` names it in the error.
    fn u32(&self, i: usize, what: &str) -> StoreResult<u32> {
        u32::try_from(self.int(i)?).map_err(|_| corrupt(what))
    }

    /// An `appotapayTransId` column.
    fn trans_id(&self, i: usize) -> StoreResult<AppotapayTransId> {
        self.text(i)?.parse().map_err(|_| corrupt("appotapayTransId"))
    }

    /// A payment method column (`ATM`, `CC`, `ALL`, `QR`), NULL as `None`.
    fn method_opt(&self, i: usize) -> StoreResult<Option<PaymentMethod>> {
        self.text_opt(i)?.map(|m| m.parse().map_err(|_| corrupt("payment method"))).transpose()
    }

    /// A payment method column that is never NULL.
    fn method(&self, i: usize) -> StoreResult<PaymentMethod> {
        self.method_opt(i)?.ok_or_else(|| null(i))
    }

    /// A bank code column; NULL and the empty text are `None`.
    fn bank_opt(&self, i: usize) -> StoreResult<Option<BankCode>> {
        match self.text_opt(i)? {
            None => Ok(None),
            Some(b) if b.is_empty() => Ok(None),
            Some(b) => BankCode::parse(&b).map(Some).ok_or_else(|| corrupt("bank code")),
        }
    }
}

/// A row that does not decode: `what` is wrong.
pub fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("bad {what}"))
}

fn null(i: usize) -> StoreError {
    StoreError::Corrupt(format!("column {i} is NULL"))
}

fn sqlite_err(e: rusqlite::Error) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn pg_err(e: sqlx::Error) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

impl SqlRow for rusqlite::Row<'_> {
    fn text_opt(&self, i: usize) -> StoreResult<Option<String>> {
        self.get(i).map_err(sqlite_err)
    }

    fn int_opt(&self, i: usize) -> StoreResult<Option<i64>> {
        self.get(i).map_err(sqlite_err)
    }

    fn bool(&self, i: usize) -> StoreResult<bool> {
        self.get(i).map_err(sqlite_err)
    }

    fn bytes(&self, i: usize) -> StoreResult<Vec<u8>> {
        self.get(i).map_err(sqlite_err)
    }

    fn bytes_opt(&self, i: usize) -> StoreResult<Option<Vec<u8>>> {
        self.get(i).map_err(sqlite_err)
    }
}

impl SqlRow for PgRow {
    fn text_opt(&self, i: usize) -> StoreResult<Option<String>> {
        self.try_get(i).map_err(pg_err)
    }

    fn int_opt(&self, i: usize) -> StoreResult<Option<i64>> {
        let column = self.try_column(i).map_err(pg_err)?;
        match column.type_info().name() {
            "INT4" => Ok(self.try_get::<Option<i32>, _>(i).map_err(pg_err)?.map(i64::from)),
            "INT2" => Ok(self.try_get::<Option<i16>, _>(i).map_err(pg_err)?.map(i64::from)),
            _ => self.try_get(i).map_err(pg_err),
        }
    }

    fn bool(&self, i: usize) -> StoreResult<bool> {
        self.try_get(i).map_err(pg_err)
    }

    fn bytes(&self, i: usize) -> StoreResult<Vec<u8>> {
        self.try_get(i).map_err(pg_err)
    }

    fn bytes_opt(&self, i: usize) -> StoreResult<Option<Vec<u8>>> {
        self.try_get(i).map_err(pg_err)
    }
}
