//! Group commit of new orders on PostgreSQL: a writer task of the node takes every
//! order waiting (up to [`MAX_BATCH`]) and inserts them with one statement, so the
//! whole batch costs one round trip, one plan and one WAL flush instead of one each.
//!
//! Why: with `synchronous_commit = on` every commit waits for its WAL flush, and each
//! order as its own `INSERT` paid a round trip, a commit and the driver's work per
//! statement; a node reached about a tenth of what its HTTP stack serves. SQLite's
//! writer already batches (`store::sqlite::writer`); this is the same idea for the
//! one write that comes with every order.
//!
//! Every guarantee of the single insert holds, because the batch is one plain
//! `INSERT … SELECT FROM UNNEST(…) ON CONFLICT DO NOTHING RETURNING trans_id`:
//! - it is one statement in autocommit, so its rows commit together before any
//!   caller is answered: nothing is acknowledged before it is committed;
//! - `ON CONFLICT DO NOTHING` covers both unique keys, against committed rows, rows
//!   of concurrent transactions (it waits for them) and rows earlier in the same
//!   batch; an order whose row was not inserted is then told apart exactly as
//!   before: the partner's `orderId` taken (errorCode 30) or the trans id taken;
//! - the statement is generated from the shared column list and parameters
//!   ([`orders::ORDER_COLUMNS`], [`orders::order_params`]): a new column needs no
//!   change here.
//!
//! A batch that fails as a whole (a value PostgreSQL refuses, a lost connection) is
//! retried order by order with the single insert, so one bad order fails alone; an
//! order found already inserted under its own trans id by the failed try (its
//! commit went through, its answer was lost with the connection) is answered as
//! created, not as a duplicate. While a batch runs, the next one gathers (up to
//! [`WRITERS`] batches in flight), and a writer that takes a batch first lets the
//! requests under way join it ([`gather`]); under light load a batch is one order
//! and costs what the single insert did.
//!
//! The writers insert on connections of their own, outside the pool ([`Dedicated`]),
//! and run on a thread of their own (one current-thread runtime). Why:
//! - a pooled connection cost each batch an acquire and, as it was given back, the
//!   check sqlx makes then (a round trip that cannot be turned off), each waiting
//!   its turn among the requests: on their own connections one node created about
//!   15 % more orders a second (8,970 → 10,320 on average over same-run rounds), for
//!   less CPU per order on both sides (BENCHMARKS.md);
//! - on the request runtime every step of a batch (the statement sent, its answer
//!   read, the callers answered) waited behind the HTTP requests queued on the
//!   workers, and now and then a batch waited long: at half of saturation the p99
//!   was 4.4–5.2 ms in four rounds of seven and 7.6–91 ms in the others. On their own
//!   thread, the operating system runs them when PostgreSQL answers: 4.3–5.3 ms in
//!   seven of seven, for the same throughput.
//!
//! The node holds [`WRITERS`] connections more than its pool.

use super::Dedicated;
use crate::domain::records::{CreateOutcome, Order};
use crate::store::sql::{Value, args, orders};
use crate::store::{StoreError, StoreResult};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{Postgres, Row};
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::Mutex;
use tokio::sync::{mpsc, oneshot};

/// The most orders inserted by one statement.
pub const MAX_BATCH: usize = 256;

/// Batches in flight at once, each on a connection of its own. More than one:
/// while a batch waits for its WAL flush, the next is already inserted and its
/// commit joins the next flush, so an order never waits for a whole earlier batch
/// (with one writer, throughput was bounded by connections ÷ two flush times).
/// Two rather than three since the writers have a thread of their own: there, a
/// writer's [`gather`] yields only to the other writers, so with three the batches
/// were smaller (7.0–8.2 orders against 9.1–9.3 with two) and the throughput no
/// better (BENCHMARKS.md).
pub const WRITERS: usize = 2;

/// Orders waiting for the writer, at most; a creation beyond waits for room.
const QUEUE: usize = 4096;

/// One order and where its outcome goes.
type Job = (Order, oneshot::Sender<StoreResult<CreateOutcome>>);

/// The sending end: [`OrderWriter::create`] queues an order and waits for the commit
/// of its batch. Dropped, it stops the writers' thread (a batch under way is
/// abandoned, as a request cancelled mid-statement would be).
#[derive(Debug)]
pub struct OrderWriter {
    tx: mpsc::Sender<Job>,
    /// Dropped with the writer, which ends the writers' runtime.
    _stop: oneshot::Sender<()>,
}

impl OrderWriter {
    /// Starts the writers' thread; each writer connects with `options` on first use.
    pub fn start(options: PgConnectOptions) -> StoreResult<OrderWriter> {
        let (tx, rx) = mpsc::channel(QUEUE);
        let (stop, stopped) = oneshot::channel::<()>();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| StoreError::Database(format!("order writers' runtime: {e}")))?;
        std::thread::Builder::new()
            .name("pg-order-writer".into())
            .spawn(move || {
                let rx = Arc::new(Mutex::new(rx));
                runtime.block_on(async move {
                    let mut writers = tokio::task::JoinSet::new();
                    for _ in 0..WRITERS {
                        writers.spawn(run(Dedicated::new(options.clone(), None), rx.clone()));
                    }
                    tokio::select! {
                        _ = stopped => {}
                        _ = async { while writers.join_next().await.is_some() {} } => {}
                    }
                });
            })
            .map_err(|e| StoreError::Database(format!("order writers' thread: {e}")))?;
        Ok(OrderWriter { tx, _stop: stop })
    }

    /// Inserts an order with whatever else is waiting; answers once committed.
    pub async fn create(&self, order: Order) -> StoreResult<CreateOutcome> {
        let (reply, answer) = oneshot::channel();
        self.tx.send((order, reply)).await.map_err(|_| StoreError::Database("the order writer has stopped".into()))?;
        answer.await.map_err(|_| StoreError::Database("the order writer stopped before answering".into()))?
    }
}

/// One writer: takes what is waiting (the others wait their turn for the queue,
/// not for this batch's commit), inserts it, answers.
async fn run(mut conn: Dedicated, rx: Arc<Mutex<mpsc::Receiver<Job>>>) {
    let mut jobs: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    loop {
        {
            let mut rx = rx.lock().await;
            if rx.recv_many(&mut jobs, MAX_BATCH).await == 0 {
                return;
            }
            gather(&mut rx, &mut jobs).await;
        }
        let orders: Vec<&Order> = jobs.iter().map(|(o, _)| o).collect();
        let outcomes = create_batch(&mut conn, &orders).await;
        for ((_, reply), outcome) in jobs.drain(..).zip(outcomes) {
            let _ = reply.send(outcome);
        }
    }
}

/// Most rounds of [`gather`].
const GATHER_ROUNDS: usize = 16;

/// Lets the orders being queued right now join the batch: yields (to the other
/// writer, and to the sockets of this runtime) and takes what the request threads
/// queued meanwhile, for as long as each round brings more (at most
/// [`GATHER_ROUNDS`]).
///
/// Why: PostgreSQL's cost per statement and commit is large beside its cost per row
/// (on this machine about 150 µs of CPU against 20 µs: 61 µs per row in batches of
/// 4, 28 µs in batches of 16). When the writers ran on the request runtime, where a
/// yield let the requests under way run first, 32 concurrent clients made batches
/// of 4 orders without it and 7 to 8 with it (BENCHMARKS.md). Under light load the
/// first round brings nothing and the lone order goes at once.
async fn gather<J>(rx: &mut mpsc::Receiver<J>, jobs: &mut Vec<J>) {
    for _ in 0..GATHER_ROUNDS {
        if jobs.len() >= MAX_BATCH {
            return;
        }
        tokio::task::yield_now().await;
        let before = jobs.len();
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        if jobs.len() == before {
            return;
        }
    }
}

/// The outcome of each order, in order.
async fn create_batch(conn: &mut Dedicated, batch: &[&Order]) -> Vec<StoreResult<CreateOutcome>> {
    let inserted = match insert_all(conn, batch).await {
        Ok(inserted) => inserted,
        Err(e) => {
            if batch.len() > 1 {
                tracing::debug!(error = %e, orders = batch.len(), "a batch of orders failed; inserting them one by one");
            }
            let mut outcomes = Vec::with_capacity(batch.len());
            for o in batch {
                outcomes.push(create_one(conn, o).await);
            }
            return outcomes;
        }
    };
    let mut outcomes = Vec::with_capacity(batch.len());
    for o in batch {
        outcomes.push(if inserted.contains(o.trans_id.as_str()) {
            Ok(CreateOutcome::Created)
        } else {
            not_inserted(conn, o).await
        });
    }
    outcomes
}

/// One order with the single insert (the fallback of a failed batch).
async fn create_one(conn: &mut Dedicated, o: &Order) -> StoreResult<CreateOutcome> {
    if conn.execute(orders::INSERT_ORDER.postgres(), &orders::order_params(o)).await? == 1 {
        return Ok(CreateOutcome::Created);
    }
    not_inserted(conn, o).await
}

/// Why an order's row was not inserted ([`orders::not_inserted`]): a new statement
/// sees the row that won (READ COMMITTED).
async fn not_inserted(conn: &mut Dedicated, o: &Order) -> StoreResult<CreateOutcome> {
    let key = args![&o.partner_code, &o.order_id];
    let holder = conn.first(orders::ORDER_ID_TAKEN.postgres(), &key, |r| Ok(r.try_get::<String, _>(0)?)).await?;
    Ok(orders::not_inserted(holder.as_deref(), o.trans_id.as_str()))
}

/// Inserts the batch with one statement; the trans ids inserted.
async fn insert_all(conn: &mut Dedicated, batch: &[&Order]) -> StoreResult<HashSet<String>> {
    let rows: Vec<Vec<Value<'_>>> = batch.iter().map(|o| orders::order_params(o)).collect();
    let suffix = "ON CONFLICT DO NOTHING RETURNING trans_id";
    let (sql, columns) = unnest_insert("orders", orders::ORDER_COLUMNS, &rows, suffix)?;
    let c: &mut PgConnection = conn.get().await?;
    match bind_columns(sqlx::query::<Postgres>(&sql), columns).fetch_all(&mut *c).await {
        Ok(rows) => rows.iter().map(|r| r.try_get::<String, _>(0).map_err(StoreError::from)).collect(),
        Err(e) => {
            conn.after(&e);
            Err(e.into())
        }
    }
}

/// One `INSERT INTO table (columns) SELECT * FROM UNNEST($1::…[], …) suffix` for
/// `rows` (each row the parameters of the table's single-row insert, in `columns`'
/// order), and the arrays to bind, in order.
pub(super) fn unnest_insert(
    table: &str,
    columns: &str,
    rows: &[Vec<Value<'_>>],
    suffix: &str,
) -> StoreResult<(String, Vec<Column>)> {
    let arrays = columns_of(rows)?;
    if arrays.len() != crate::store::sql::column_count(columns) {
        return Err(StoreError::Database(format!("{table} batch: parameters and columns differ in number")));
    }
    let casts: Vec<&str> = arrays.iter().map(Column::cast).collect();
    Ok((batch_sql(table, columns, &casts, suffix), arrays))
}

/// Binds the arrays of [`unnest_insert`].
pub(super) fn bind_columns<'q>(
    mut query: sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>,
    columns: Vec<Column>,
) -> sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments> {
    for column in columns {
        query = match column {
            Column::Int(v) => query.bind(v),
            Column::Bool(v) => query.bind(v),
            Column::Text(v) => query.bind(v),
            Column::Bytes(v) => query.bind(v),
        };
    }
    query
}

/// The values of one column over the batch, as the array PostgreSQL unnests.
pub(super) enum Column {
    Int(Vec<Option<i64>>),
    Bool(Vec<bool>),
    Text(Vec<Option<String>>),
    Bytes(Vec<Vec<u8>>),
}

impl Column {
    fn cast(&self) -> &'static str {
        match self {
            Column::Int(_) => "int8[]",
            Column::Bool(_) => "bool[]",
            Column::Text(_) => "text[]",
            Column::Bytes(_) => "bytea[]",
        }
    }
}

/// The batch's rows turned into columns; each column's type is that of its first
/// value, and every row must agree (the parameters of one statement always do).
fn columns_of(rows: &[Vec<Value<'_>>]) -> StoreResult<Vec<Column>> {
    let Some(first) = rows.first() else { return Ok(Vec::new()) };
    let mut columns: Vec<Column> = first
        .iter()
        .map(|v| match v {
            Value::Int(_) => Column::Int(Vec::with_capacity(rows.len())),
            Value::Bool(_) => Column::Bool(Vec::with_capacity(rows.len())),
            Value::Text(_) => Column::Text(Vec::with_capacity(rows.len())),
            Value::Bytes(_) => Column::Bytes(Vec::with_capacity(rows.len())),
        })
        .collect();
    for row in rows {
        if row.len() != columns.len() {
            return Err(StoreError::Database("order batch: rows of different lengths".into()));
        }
        for (column, value) in columns.iter_mut().zip(row) {
            match (column, value) {
                (Column::Int(c), Value::Int(v)) => c.push(*v),
                (Column::Bool(c), Value::Bool(v)) => c.push(*v),
                (Column::Text(c), Value::Text(v)) => c.push(v.as_ref().map(|s| s.to_string())),
                (Column::Bytes(c), Value::Bytes(v)) => c.push(v.to_vec()),
                _ => return Err(StoreError::Database("order batch: a column of mixed types".into())),
            }
        }
    }
    Ok(columns)
}

/// `INSERT INTO table (columns) SELECT * FROM UNNEST($1::text[], …) suffix`.
fn batch_sql(table: &str, columns: &str, casts: &[&str], suffix: &str) -> String {
    let arrays = casts.iter().enumerate().map(|(i, c)| format!("${}::{c}", i + 1)).collect::<Vec<_>>().join(", ");
    format!("INSERT INTO {table} ({columns}) SELECT * FROM UNNEST({arrays}) {suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_statement_unnests_one_array_per_column() {
        let sql = batch_sql("t", "a, b", &["text[]", "int8[]"], "ON CONFLICT DO NOTHING");
        assert_eq!(sql, "INSERT INTO t (a, b) SELECT * FROM UNNEST($1::text[], $2::int8[]) ON CONFLICT DO NOTHING");
        let rows = vec![vec![Value::from("x")]];
        assert!(unnest_insert("t", "a, b", &rows, "").is_err(), "one parameter for two columns");
    }

    #[test]
    fn rows_become_typed_columns() {
        let rows = vec![
            vec![Value::from("a"), Value::Int(Some(1)), Value::Text(None)],
            vec![Value::from("b"), Value::Int(None), Value::from("c")],
        ];
        let columns = columns_of(&rows).expect("columns");
        assert!(matches!(&columns[0], Column::Text(v) if v == &[Some("a".to_owned()), Some("b".to_owned())]));
        assert!(matches!(&columns[1], Column::Int(v) if v == &[Some(1), None]));
        assert!(matches!(&columns[2], Column::Text(v) if v == &[None, Some("c".to_owned())]));
        let mixed = vec![vec![Value::from("a")], vec![Value::Int(Some(1))]];
        assert!(columns_of(&mixed).is_err());
    }

    /// Requests that become ready while the writer yields join its batch, one round
    /// after another; one that is still waiting on something else does not hold it.
    #[tokio::test(flavor = "current_thread")]
    async fn a_batch_gathers_the_requests_under_way() {
        let (tx, mut rx) = mpsc::channel::<u32>(QUEUE);
        let mut jobs = vec![0];
        gather(&mut rx, &mut jobs).await;
        assert_eq!(jobs, [0], "nothing under way: the lone job goes at once");

        for (job, yields) in [(1, 0), (2, 1), (3, 2)] {
            let tx = tx.clone();
            tokio::spawn(async move {
                for _ in 0..yields {
                    tokio::task::yield_now().await;
                }
                tx.send(job).await.expect("send");
            });
        }
        let late = tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            late.send(99).await.expect("send");
        });
        gather(&mut rx, &mut jobs).await;
        assert_eq!(jobs, [0, 1, 2, 3]);

        let mut full: Vec<u32> = (0..MAX_BATCH as u32).collect();
        tx.send(7).await.expect("send");
        gather(&mut rx, &mut full).await;
        assert_eq!(full.len(), MAX_BATCH, "a full batch takes nothing more");
    }
}
