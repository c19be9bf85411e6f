//! A PostgreSQL server of a test's own, for tests that stop it like a crash would: the
//! shared server (`TEST_DATABASE_URL`) serves every other test and must keep running.
//!
//! initdb and postgres refuse to run as root (as CI does), so there every command runs
//! as the `postgres` user, through `runuser`.

use sea_orm::sqlx::{Connection as _, PgConnection};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// How long a start may take, crash recovery included, before the test gives up.
const READY_WITHIN: Duration = Duration::from_secs(30);
/// Names the cluster's directory after the test process, so a later run can tell the
/// leftovers of a killed process from a cluster still in use.
const DIR_PREFIX: &str = "lsscp-pg-";

/// A PostgreSQL server of the test's own, in a temporary directory, on a free port.
/// Dropping it kills the server and removes its files.
pub struct PostgresCluster {
    /// Holds `data/`, `server.log` and the server's Unix socket.
    dir: TempDir,
    port: u16,
    bin: PathBuf,
    as_postgres: bool,
}

impl PostgresCluster {
    /// Starts a fresh cluster, or returns `None` (after saying why) when no PostgreSQL
    /// server binaries are installed.
    pub async fn start() -> Option<Self> {
        let Some(bin) = server_binaries() else {
            eprintln!(
                "no PostgreSQL server binaries (initdb, pg_ctl, postgres) in `pg_config \
                 --bindir` or /usr/lib/postgresql/*/bin: no cluster of the test's own"
            );
            return None;
        };
        let as_postgres = running_as_root();
        remove_leftovers(&bin, as_postgres);
        let dir = tempfile::Builder::new()
            .prefix(&format!("{DIR_PREFIX}{}-", std::process::id()))
            .tempdir_in(std::env::temp_dir())
            .expect("a temporary directory for the cluster");
        if as_postgres {
            let chown = std::process::Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .output()
                .expect("chown runs");
            assert!(
                chown.status.success(),
                "cannot give {} to the postgres user: {}",
                dir.path().display(),
                String::from_utf8_lossy(&chown.stderr)
            );
        }
        let mut cluster = Self {
            dir,
            port: 0,
            bin,
            as_postgres,
        };
        cluster.init().await;
        // The port is free when picked but may be taken before the server binds it
        // (other tests pick ports too): pick another.
        for attempt in 1.. {
            cluster.port = free_port();
            match cluster.pg_ctl_start().await {
                Ok(()) => break,
                Err(e) if attempt < 5 && cluster.log().contains("Address already in use") => {
                    eprintln!("port {} taken, trying another: {e}", cluster.port);
                }
                Err(e) => panic!("{e}\n{}", cluster.log_report()),
            }
        }
        cluster.wait_until_ready().await;
        Some(cluster)
    }

    /// `postgres://postgres@127.0.0.1:{port}/postgres`; local TCP needs no password.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Kills the server as in a crash (`pg_ctl stop -m immediate`: no checkpoint, the
    /// next start recovers from the WAL); returns when it is down.
    pub async fn stop_immediately(&self) {
        let out = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data_dir())
            .args(["-m", "immediate", "-w", "stop"])
            .output()
            .await
            .expect("pg_ctl runs");
        assert!(
            out.status.success(),
            "pg_ctl stop failed: {}\n{}",
            output_text(&out),
            self.log_report()
        );
    }

    /// Starts the stopped server again, on the same port, and returns once it accepts
    /// connections.
    pub async fn restart(&self) {
        if let Err(e) = self.pg_ctl_start().await {
            panic!("{e}\n{}", self.log_report());
        }
        self.wait_until_ready().await;
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn log_report(&self) -> String {
        format!(
            "--- {} ---\n{}--- end of server log ---",
            self.log_path().display(),
            self.log()
        )
    }

    fn command(&self, program: &str) -> tokio::process::Command {
        let mut command = command(&self.bin, self.as_postgres, program);
        // The postgres user may not be allowed into the test's working directory.
        command.current_dir(self.dir.path());
        command.into()
    }

    async fn init(&self) {
        let help = self
            .command("initdb")
            .arg("--help")
            .output()
            .await
            .expect("initdb runs");
        let mut initdb = self.command("initdb");
        initdb
            .arg("-D")
            .arg(self.data_dir())
            .args(["-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"])
            // The environment's locale may not be installed; C always is.
            .arg("--locale=C");
        if String::from_utf8_lossy(&help.stdout).contains("--no-instructions") {
            initdb.arg("--no-instructions");
        }
        let out = initdb.output().await.expect("initdb runs");
        assert!(out.status.success(), "initdb failed: {}", output_text(&out));
    }

    async fn pg_ctl_start(&self) -> Result<(), String> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100",
            self.port,
            self.dir.path().display()
        );
        let out = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data_dir())
            .arg("-l")
            .arg(self.log_path())
            .args([
                "-w",
                "-t",
                &READY_WITHIN.as_secs().to_string(),
                "-o",
                &options,
            ])
            .arg("start")
            .output()
            .await
            .expect("pg_ctl runs");
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "the cluster on port {} did not start: {}",
                self.port,
                output_text(&out)
            ))
        }
    }

    /// Confirms pg_ctl's word that the server is ready the way the system will use it,
    /// with a connection over TCP.
    async fn wait_until_ready(&self) {
        let url = self.url();
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            match PgConnection::connect(&url).await {
                Ok(conn) => {
                    let _ = conn.close().await;
                    return;
                }
                Err(e) if Instant::now() >= deadline => panic!(
                    "the cluster at {url} accepts no connection after {READY_WITHIN:?}: {e}\n{}",
                    self.log_report()
                ),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }
}

impl Drop for PostgresCluster {
    fn drop(&mut self) {
        // Blocking, and possibly on a runtime's thread, but briefly: an immediate stop
        // does not wait for anything.
        let _ = command(&self.bin, self.as_postgres, "pg_ctl")
            .current_dir(self.dir.path())
            .arg("-D")
            .arg(self.data_dir())
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}

/// `program` of `bin`, as the postgres user when we are root.
fn command(bin: &Path, as_postgres: bool, program: &str) -> std::process::Command {
    let mut command = if as_postgres {
        let mut runuser = std::process::Command::new("runuser");
        runuser
            .args(["-u", "postgres", "--"])
            .arg(bin.join(program));
        runuser
    } else {
        std::process::Command::new(bin.join(program))
    };
    command.stdin(Stdio::null());
    command
}

fn output_text(out: &std::process::Output) -> String {
    format!(
        "{}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The directory of `initdb`, `pg_ctl` and `postgres`: `pg_config --bindir` (which may
/// name a client-only directory), else the newest of /usr/lib/postgresql/*/bin.
fn server_binaries() -> Option<PathBuf> {
    let has_server = |dir: &Path| {
        ["initdb", "pg_ctl", "postgres"]
            .iter()
            .all(|program| dir.join(program).is_file())
    };
    let from_pg_config = std::process::Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    if let Some(dir) = from_pg_config.filter(|dir| has_server(dir)) {
        return Some(dir);
    }
    let mut versions: Vec<(Vec<u32>, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            // "9.6" < "15" < "16": numerically, part by part.
            let version = entry
                .file_name()
                .to_str()?
                .split('.')
                .map(str::parse)
                .collect::<Result<Vec<u32>, _>>()
                .ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, dir)| has_server(dir))
        .collect();
    versions.sort();
    versions.pop().map(|(_, dir)| dir)
}

/// `id -u` is 0. Anything unclear counts as not root: initdb then says what is wrong.
fn running_as_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// A port nothing listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port on 127.0.0.1")
        .port()
}

/// Kills the servers and removes the directories of test processes that are gone (killed
/// before their `Drop` ran).
fn remove_leftovers(bin: &Path, as_postgres: bool) {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|name| name.strip_prefix(DIR_PREFIX))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        let dir = entry.path();
        let _ = command(bin, as_postgres, "pg_ctl")
            .current_dir(&dir)
            .arg("-D")
            .arg(dir.join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[cfg(test)]
mod tests {
    use crate::support::{PostgresCluster, TestApp};
    use sea_orm::sqlx::{Connection as _, PgConnection};
    use sea_orm::{DbBackend, EntityTrait as _, PaginatorTrait as _};

    async fn select_one(url: &str) -> Result<i32, sea_orm::sqlx::Error> {
        let mut conn = PgConnection::connect(url).await?;
        let one = sea_orm::sqlx::query_scalar::<_, i32>("SELECT 1")
            .fetch_one(&mut conn)
            .await?;
        let _ = conn.close().await;
        Ok(one)
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_cluster_of_our_own_stops_and_starts_again() {
        let Some(cluster) = PostgresCluster::start().await else {
            eprintln!("skipped: no PostgreSQL server binaries");
            return;
        };
        let url = cluster.url();
        assert_eq!(select_one(&url).await.unwrap(), 1);

        cluster.stop_immediately().await;
        assert!(
            select_one(&url).await.is_err(),
            "a stopped cluster accepted a connection"
        );

        cluster.restart().await;
        assert_eq!(select_one(&url).await.unwrap(), 1);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn the_system_runs_on_a_cluster_of_our_own() {
        let Some(cluster) = PostgresCluster::start().await else {
            eprintln!("skipped: no PostgreSQL server binaries");
            return;
        };
        let app = TestApp::builder().database_url(cluster.url()).start().await;
        assert_eq!(app.config.database_url, cluster.url());
        assert_eq!(app.db().get_database_backend(), DbBackend::Postgres);
        // Migrated on start: the tables are there.
        let accounts = entity::account::Entity::find()
            .count(app.db())
            .await
            .unwrap();
        assert_eq!(accounts, 0);
        app.stop().await;
    }
}
