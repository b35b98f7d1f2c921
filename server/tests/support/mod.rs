//! Server processes for tests that need more than one server on one database: the real binary,
//! started on a free loopback port.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A `baladiya-server` process; killed when dropped.
pub struct ServerProcess {
    child: Child,
    pub url: String,
}

impl ServerProcess {
    /// Start the server on `data_dir` with `--demo` and `args`, and return once it listens.
    pub fn start(data_dir: &Path, args: &[&str]) -> ServerProcess {
        // Under scripts/with-postgres.sh: the data directory's database on the test cluster.
        let mut database = Vec::new();
        if !args.contains(&"--database") {
            if let Some(url) = baladiya_server::test_database_for(data_dir).expect("the test database") {
                let baladiya_server::DatabaseUrl::Postgres(url) = url else { unreachable!() };
                database = vec!["--database".to_owned(), url];
            }
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_baladiya-server"))
            .args(&database)
            .arg("--demo")
            .args(["--listen", "127.0.0.1:0"])
            .arg("--data-dir")
            .arg(data_dir)
            .args(args)
            .env("RUST_LOG", std::env::var("SERVER_LOG").unwrap_or_else(|_| "warn".into()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start baladiya-server");
        let stdout = child.stdout.take().expect("the server's stdout");
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(url) = line.strip_prefix("listening on ") {
                        break url.trim().to_owned();
                    }
                    // Why it may not start (its log is on standard output).
                    eprintln!("server: {line}");
                }
                _ => {
                    let _ = child.kill();
                    panic!("the server exited before listening: {:?}", child.wait());
                }
            }
        };
        // Keep draining its output so that it never blocks on a full pipe.
        std::thread::spawn(move || {
            for l in lines.by_ref().map_while(Result::ok) {
                if std::env::var_os("SERVER_LOG").is_some() {
                    eprintln!("server: {l}");
                }
            }
        });
        ServerProcess { child, url }
    }

    /// `http://127.0.0.1:PORT/` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// `127.0.0.1:PORT`
    pub fn addr(&self) -> String {
        self.url.trim_start_matches("http://").trim_end_matches('/').to_owned()
    }

    /// Ask it to stop (SIGTERM): it stops accepting and finishes the requests in flight.
    pub fn terminate(&self) {
        let sent = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -TERM");
    }

    /// Its exit status, if it exits within `timeout`.
    pub fn wait_exit(&mut self, timeout: std::time::Duration) -> Option<std::process::ExitStatus> {
        let until = std::time::Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if std::time::Instant::now() >= until {
                return None;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// Kill it now (SIGKILL), keeping the handle (its URL then refuses connections).
    pub fn sigkill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stop it at once (SIGKILL): nothing is drained or flushed.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client for plain-http loopback tests.
pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().timeout(std::time::Duration::from_secs(60)).build().expect("an HTTP client")
}

/// A fresh PostgreSQL database on the throwaway cluster `scripts/with-postgres.sh` started
/// (`BALADIYA_TEST_POSTGRES_URL`); dropped with everything in it when this is dropped. `None`
/// when no cluster is given, unless `BALADIYA_REQUIRE_POSTGRES` is set: then it panics.
pub struct PgDatabase {
    admin: String,
    name: String,
    pub url: String,
}

impl PgDatabase {
    pub fn create() -> Option<PgDatabase> {
        let Ok(admin) = std::env::var("BALADIYA_TEST_POSTGRES_URL") else {
            assert!(
                std::env::var_os("BALADIYA_REQUIRE_POSTGRES").is_none(),
                "BALADIYA_REQUIRE_POSTGRES is set but BALADIYA_TEST_POSTGRES_URL is not \
                 (run the test under scripts/with-postgres.sh)"
            );
            eprintln!("no PostgreSQL (BALADIYA_TEST_POSTGRES_URL): skipped");
            return None;
        };
        let mut bytes = [0u8; 6];
        getrandom::getrandom(&mut bytes).expect("random");
        let name = format!("t_{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>());
        let admin_url = admin.clone();
        let create = format!("CREATE DATABASE {name}");
        // The client runs its own runtime: never on an async worker.
        std::thread::spawn(move || {
            let mut c =
                postgres::Client::connect(&admin_url, postgres::NoTls).expect("connect to PostgreSQL");
            c.batch_execute(&create).expect("CREATE DATABASE");
        })
        .join()
        .expect("create a database");
        let (base, _) = admin.rsplit_once('/').expect("a database in the URL");
        let url = format!("{base}/{name}");
        Some(PgDatabase { admin, name, url })
    }

    /// A client on this database (not on an async worker).
    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls).expect("connect to PostgreSQL")
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (admin, drop) =
            (self.admin.clone(), format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        let _ = std::thread::spawn(move || {
            if let Ok(mut c) = postgres::Client::connect(&admin, postgres::NoTls) {
                let _ = c.batch_execute(&drop);
            }
        })
        .join();
    }
}
