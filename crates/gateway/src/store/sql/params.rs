//! Statement parameters as one type both drivers bind: a statement's parameter list
//! is written once, as a `Vec<Value>`, beside its SQL text.
//!
//! A NULL carries its type ([`Value::Int`]`(None)`, [`Value::Text`]`(None)`), as
//! PostgreSQL needs one to plan `COALESCE($n, column)`; SQLite ignores it. Integers
//! are bound as 64-bit: PostgreSQL casts them on assignment to its `INTEGER`
//! columns and compares across widths.

use appotapay_protocol::{AppotapayTransId, BankCode, PaymentMethod};
use rusqlite::types::{ToSql, ToSqlOutput, ValueRef};
use sqlx::postgres::{PgArguments, Postgres};
use sqlx::query::Query;
use std::borrow::Cow;

/// One statement parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    /// An integer, or a NULL integer.
    Int(Option<i64>),
    /// A boolean (SQLite stores 0 or 1).
    Bool(bool),
    /// Text, or a NULL text.
    Text(Option<Cow<'a, str>>),
    /// Bytes.
    Bytes(Cow<'a, [u8]>),
}

impl Value<'_> {
    /// The same value owning its data, to move into another thread.
    pub fn into_owned(self) -> Value<'static> {
        match self {
            Value::Int(v) => Value::Int(v),
            Value::Bool(v) => Value::Bool(v),
            Value::Text(v) => Value::Text(v.map(|s| Cow::Owned(s.into_owned()))),
            Value::Bytes(v) => Value::Bytes(Cow::Owned(v.into_owned())),
        }
    }
}

/// Owned values of a list, for a job that runs on another thread.
pub fn owned(values: Vec<Value<'_>>) -> Vec<Value<'static>> {
    values.into_iter().map(Value::into_owned).collect()
}

impl From<i64> for Value<'_> {
    fn from(v: i64) -> Self {
        Value::Int(Some(v))
    }
}

impl From<Option<i64>> for Value<'_> {
    fn from(v: Option<i64>) -> Self {
        Value::Int(v)
    }
}

impl From<u32> for Value<'_> {
    fn from(v: u32) -> Self {
        Value::Int(Some(i64::from(v)))
    }
}

impl From<Option<u32>> for Value<'_> {
    fn from(v: Option<u32>) -> Self {
        Value::Int(v.map(i64::from))
    }
}

impl From<Option<u16>> for Value<'_> {
    fn from(v: Option<u16>) -> Self {
        Value::Int(v.map(i64::from))
    }
}

impl From<bool> for Value<'_> {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(v: &'a str) -> Self {
        Value::Text(Some(Cow::Borrowed(v)))
    }
}

impl<'a> From<&'a String> for Value<'a> {
    fn from(v: &'a String) -> Self {
        Value::Text(Some(Cow::Borrowed(v.as_str())))
    }
}

impl From<String> for Value<'_> {
    fn from(v: String) -> Self {
        Value::Text(Some(Cow::Owned(v)))
    }
}

impl<'a> From<Cow<'a, str>> for Value<'a> {
    fn from(v: Cow<'a, str>) -> Self {
        Value::Text(Some(v))
    }
}

impl<'a> From<Option<&'a str>> for Value<'a> {
    fn from(v: Option<&'a str>) -> Self {
        Value::Text(v.map(Cow::Borrowed))
    }
}

impl<'a> From<&'a Option<String>> for Value<'a> {
    fn from(v: &'a Option<String>) -> Self {
        Value::Text(v.as_deref().map(Cow::Borrowed))
    }
}

impl<'a> From<&'a [u8]> for Value<'a> {
    fn from(v: &'a [u8]) -> Self {
        Value::Bytes(Cow::Borrowed(v))
    }
}

// The domain's typed values go to the database as their wire text: the one place
// where they become strings.

impl<'a> From<&'a AppotapayTransId> for Value<'a> {
    fn from(v: &'a AppotapayTransId) -> Self {
        Value::Text(Some(Cow::Borrowed(v.as_str())))
    }
}

impl From<PaymentMethod> for Value<'_> {
    fn from(v: PaymentMethod) -> Self {
        Value::Text(Some(Cow::Borrowed(v.as_str())))
    }
}

impl From<&PaymentMethod> for Value<'_> {
    fn from(v: &PaymentMethod) -> Self {
        Value::from(*v)
    }
}

impl From<&Option<PaymentMethod>> for Value<'_> {
    fn from(v: &Option<PaymentMethod>) -> Self {
        Value::Text(v.map(|m| Cow::Borrowed(m.as_str())))
    }
}

impl From<BankCode> for Value<'_> {
    fn from(v: BankCode) -> Self {
        Value::Text(Some(Cow::Borrowed(v.as_str())))
    }
}

impl From<&BankCode> for Value<'_> {
    fn from(v: &BankCode) -> Self {
        Value::from(*v)
    }
}

impl From<&Option<BankCode>> for Value<'_> {
    fn from(v: &Option<BankCode>) -> Self {
        Value::Text(v.map(|b| Cow::Borrowed(b.as_str())))
    }
}

impl From<Option<BankCode>> for Value<'_> {
    fn from(v: Option<BankCode>) -> Self {
        Value::from(&v)
    }
}

/// `values![a, b, …]`: a parameter list, each item converted with `Value::from`.
macro_rules! values {
    ($($v:expr),* $(,)?) => {
        vec![$($crate::store::sql::Value::from($v)),*]
    };
}
pub(crate) use values;

/// `args![a, b, …]`: a parameter list on the stack, for a statement run where it is
/// built.
macro_rules! args {
    ($($v:expr),* $(,)?) => {
        [$($crate::store::sql::Value::from($v)),*]
    };
}
pub(crate) use args;

impl ToSql for Value<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Int(Some(v)) => ToSqlOutput::from(*v),
            Value::Int(None) | Value::Text(None) => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Bool(v) => ToSqlOutput::from(*v),
            Value::Text(Some(s)) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Value::Bytes(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
        })
    }
}

/// Binds `values`, in order, to a PostgreSQL query.
pub fn bind_all<'q>(
    mut query: Query<'q, Postgres, PgArguments>,
    values: &'q [Value<'_>],
) -> Query<'q, Postgres, PgArguments> {
    for v in values {
        query = match v {
            Value::Int(v) => query.bind(*v),
            Value::Bool(v) => query.bind(*v),
            Value::Text(v) => query.bind(v.as_deref()),
            Value::Bytes(v) => query.bind(v.as_ref()),
        };
    }
    query
}
