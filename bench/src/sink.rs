//! Writing generated rows, set-based: `COPY … FROM STDIN` on PostgreSQL (the default), or
//! multi-row `INSERT … VALUES (…), (…)` of [`INSERT_ROWS`] rows per statement on either
//! database. Rows are encoded on the generating thread and handed to a writer task, so
//! generation and the database's work overlap.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend};
use std::fmt::Write as _;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Rows per multi-row INSERT statement.
pub const INSERT_ROWS: usize = 1000;
/// Bytes of COPY data sent at once.
const COPY_CHUNK: usize = 1 << 20;

/// How rows reach the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Method {
    /// `COPY FROM STDIN` (PostgreSQL only).
    Copy,
    /// Multi-row INSERT statements.
    Insert,
}

/// One value of a row.
#[derive(Debug, Clone, Copy)]
pub enum V<'a> {
    Null,
    I(i64),
    S(&'a str),
    B(bool),
    D(NaiveDate),
    Ts(DateTime<Utc>),
    /// JSON text.
    J(&'a str),
}

impl<'a> From<Option<&'a str>> for V<'a> {
    fn from(v: Option<&'a str>) -> Self {
        v.map_or(V::Null, V::S)
    }
}

/// An optional id.
pub fn oi(v: Option<i64>) -> V<'static> {
    v.map_or(V::Null, V::I)
}

/// An optional date.
pub fn od(v: Option<NaiveDate>) -> V<'static> {
    v.map_or(V::Null, V::D)
}

/// An optional instant.
pub fn ots(v: Option<DateTime<Utc>>) -> V<'static> {
    v.map_or(V::Null, V::Ts)
}

#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("copy: {0}")]
    Sqlx(#[from] sea_orm::sqlx::Error),
    #[error("the writer of {0} stopped")]
    Stopped(String),
    #[error("{0}")]
    Other(String),
}

fn write_date(out: &mut String, d: NaiveDate) {
    let _ = write!(out, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day());
}

fn write_ts(out: &mut String, t: DateTime<Utc>) {
    write_date(out, t.date_naive());
    let _ = write!(
        out,
        "T{:02}:{:02}:{:02}+00:00",
        t.hour(),
        t.minute(),
        t.second()
    );
}

fn sql_quoted(out: &mut String, s: &str) {
    out.push('\'');
    for c in s.chars() {
        if c == '\'' {
            out.push('\'');
        }
        out.push(c);
    }
    out.push('\'');
}

fn copy_text(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
}

/// Where the rows of one table go.
pub struct TableWriter {
    table: String,
    method: Method,
    columns: Vec<String>,
    buf: String,
    rows_in_buf: usize,
    rows: u64,
    tx: Option<mpsc::Sender<String>>,
    task: Option<JoinHandle<Result<(), SinkError>>>,
}

impl TableWriter {
    /// Starts writing `table`'s `columns`.
    pub async fn open(
        db: &DatabaseConnection,
        method: Method,
        table: &str,
        columns: &[&str],
    ) -> Result<Self, SinkError> {
        let (tx, mut rx) = mpsc::channel::<String>(4);
        let cols: Vec<String> = columns.iter().map(|c| format!("\"{c}\"")).collect();
        let task = match method {
            Method::Copy => {
                if db.get_database_backend() != DbBackend::Postgres {
                    return Err(SinkError::Other("COPY needs PostgreSQL".into()));
                }
                let pool = db.get_postgres_connection_pool().clone();
                let stmt = format!("COPY \"{table}\" ({}) FROM STDIN", cols.join(", "));
                tokio::spawn(async move {
                    // The pool has no COPY of its own in sqlx 0.9; the connection is held for
                    // the whole table so its rows land in one COPY.
                    let mut conn = pool.acquire().await?;
                    let mut copy = conn.copy_in_raw(&stmt).await?;
                    while let Some(chunk) = rx.recv().await {
                        copy.send(chunk.into_bytes()).await?;
                    }
                    copy.finish().await?;
                    Ok(())
                })
            }
            Method::Insert => {
                let db = db.clone();
                tokio::spawn(async move {
                    while let Some(sql) = rx.recv().await {
                        db.execute_unprepared(&sql).await?;
                    }
                    Ok(())
                })
            }
        };
        Ok(Self {
            table: table.to_owned(),
            method,
            columns: cols,
            buf: String::with_capacity(COPY_CHUNK + 4096),
            rows_in_buf: 0,
            rows: 0,
            tx: Some(tx),
            task: Some(task),
        })
    }

    /// Adds one row; its values in the order of the columns.
    pub async fn row(&mut self, values: &[V<'_>]) -> Result<(), SinkError> {
        debug_assert_eq!(values.len(), self.columns.len(), "{}", self.table);
        match self.method {
            Method::Copy => {
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        self.buf.push('\t');
                    }
                    match v {
                        V::Null => self.buf.push_str("\\N"),
                        V::I(n) => {
                            let _ = write!(self.buf, "{n}");
                        }
                        V::S(s) | V::J(s) => copy_text(&mut self.buf, s),
                        V::B(b) => self.buf.push(if *b { 't' } else { 'f' }),
                        V::D(d) => write_date(&mut self.buf, *d),
                        V::Ts(t) => write_ts(&mut self.buf, *t),
                    }
                }
                self.buf.push('\n');
                self.rows_in_buf += 1;
                if self.buf.len() >= COPY_CHUNK {
                    self.flush().await?;
                }
            }
            Method::Insert => {
                if self.rows_in_buf == 0 {
                    let _ = write!(
                        self.buf,
                        "INSERT INTO \"{}\" ({}) VALUES ",
                        self.table,
                        self.columns.join(", ")
                    );
                } else {
                    self.buf.push_str(", ");
                }
                self.buf.push('(');
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        self.buf.push_str(", ");
                    }
                    match v {
                        V::Null => self.buf.push_str("NULL"),
                        V::I(n) => {
                            let _ = write!(self.buf, "{n}");
                        }
                        V::S(s) | V::J(s) => sql_quoted(&mut self.buf, s),
                        V::B(b) => self.buf.push_str(if *b { "TRUE" } else { "FALSE" }),
                        V::D(d) => {
                            self.buf.push('\'');
                            write_date(&mut self.buf, *d);
                            self.buf.push('\'');
                        }
                        V::Ts(t) => {
                            self.buf.push('\'');
                            write_ts(&mut self.buf, *t);
                            self.buf.push('\'');
                        }
                    }
                }
                self.buf.push(')');
                self.rows_in_buf += 1;
                if self.rows_in_buf >= INSERT_ROWS {
                    self.flush().await?;
                }
            }
        }
        self.rows += 1;
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), SinkError> {
        if self.rows_in_buf == 0 {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, String::with_capacity(COPY_CHUNK + 4096));
        self.rows_in_buf = 0;
        let sent = match &self.tx {
            Some(tx) => tx.send(chunk).await.is_ok(),
            None => false,
        };
        if !sent {
            // The writer stopped: its error says why.
            self.tx = None;
            if let Some(task) = self.task.take() {
                task.await.map_err(|e| SinkError::Other(e.to_string()))??;
            }
            return Err(SinkError::Stopped(self.table.clone()));
        }
        Ok(())
    }

    /// Writes what is left and waits until the table is committed. Returns the rows written.
    pub async fn finish(mut self) -> Result<u64, SinkError> {
        self.flush().await?;
        self.tx = None;
        if let Some(task) = self.task.take() {
            task.await.map_err(|e| SinkError::Other(e.to_string()))??;
        }
        Ok(self.rows)
    }
}
