//! A PostgreSQL database of the test's own on the cluster `scripts/test-postgres.sh start` runs
//! (`make test` starts it and exports `ACCESSORY_TEST_POSTGRES`). Each test creates
//! `test_<random>` and drops it when the guard goes, so tests run in parallel and leave nothing.
//! Without the variable the test is a visible skip ([`crate::skip`]), a failure under CI.

use crate::skip::{skip, Missing};

/// The variable naming the tests' cluster (a URL to its `postgres` database).
pub const ENV: &str = "ACCESSORY_TEST_POSTGRES";

/// A database of this test's own; dropped (with any connection left) on drop.
#[derive(Debug)]
pub struct TestDatabase {
    admin: String,
    name: String,
    /// The URL of this database, for `Ledger::open` or `--ledger`.
    pub url: String,
}

/// Creates a fresh database, or records a skip and returns `None` when no cluster is configured.
#[track_caller]
pub fn database() -> Option<TestDatabase> {
    let Some(admin) = std::env::var(ENV).ok().filter(|v| !v.is_empty()) else {
        skip(
            Missing::Dependency,
            &format!(
                "{ENV} is not set: no PostgreSQL for the several-stations ledger \
                 (`scripts/test-postgres.sh start`, or `make test`, starts one)"
            ),
        );
        return None;
    };
    let name = format!(
        "test_{}_{:x}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
            & 0xffff_ffff_ffff
    );
    admin_sql(&admin, format!("CREATE DATABASE {name}"))
        .unwrap_or_else(|e| panic!("{ENV}={admin}: CREATE DATABASE {name}: {e}"));
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    let url = format!("{base}/{name}");
    Some(TestDatabase { admin, name, url })
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let _ = admin_sql(
            &self.admin,
            format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

/// Runs `sql` on the cluster's `postgres` database, on a thread of its own: the synchronous
/// client may not run on an async test's thread.
fn admin_sql(admin: &str, sql: String) -> Result<(), postgres::Error> {
    let admin = admin.to_owned();
    std::thread::spawn(move || {
        postgres::Client::connect(&admin, postgres::NoTls)?.batch_execute(&sql)
    })
    .join()
    .expect("the admin thread")
}
