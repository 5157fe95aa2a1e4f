//! Throw-away PostgreSQL databases: one fresh database per test, dropped afterwards,
//! so tests run in parallel on one server.
//!
//! The server comes from `APPOTAPAY_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`; the role must be allowed to create
//! databases). An unreachable server fails the test: PostgreSQL tests never skip.

#![allow(dead_code)]

use rand::Rng;
use sqlx::Connection;
use sqlx::postgres::PgConnection;

/// The master key every node of a test database shares.
pub const MASTER_KEY: &str = "5ec2e7c0ffee5ec2e7c0ffee5ec2e7c0ffee5ec2e7c0ffee5ec2e7c0ffee5ec2";

/// The server the PostgreSQL tests use.
pub fn server_url() -> String {
    std::env::var("APPOTAPAY_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

async fn admin() -> PgConnection {
    let url = server_url();
    match PgConnection::connect(&url).await {
        Ok(c) => c,
        Err(e) => panic!(
            "PostgreSQL is unreachable at {url}: {e}\nThe PostgreSQL tests never skip. Run scripts/test (it starts a \
             server), or start one and point APPOTAPAY_TEST_POSTGRES_URL at it (the role needs CREATEDB)."
        ),
    }
}

/// A fresh database, dropped (with its connections) when this is dropped.
#[derive(Debug)]
pub struct TestDb {
    /// Its URL.
    pub url: String,
    /// Its name.
    pub name: String,
}

impl TestDb {
    /// Creates a database with a random name on the test server.
    pub async fn create() -> TestDb {
        let name = format!("gw_test_{:016x}", rand::thread_rng().r#gen::<u64>());
        let mut conn = admin().await;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name} on {}: {e}", server_url()));
        let _ = conn.close().await;
        let mut url = url::Url::parse(&server_url()).expect("APPOTAPAY_TEST_POSTGRES_URL is a URL");
        url.set_path(&format!("/{name}"));
        TestDb { url: url.to_string(), name }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs inside a test's runtime: use a runtime of its own on a thread.
        let dropper = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async move {
                if let Ok(mut conn) = PgConnection::connect(&server_url()).await {
                    let forced =
                        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await;
                    if forced.is_err() {
                        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name}")).execute(&mut conn).await;
                    }
                    let _ = conn.close().await;
                }
            });
        });
        let _ = dropper.join();
    }
}
