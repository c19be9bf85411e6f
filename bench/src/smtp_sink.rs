//! A fast SMTP sink for the bulk-email benchmark: plain `smtp://` on 127.0.0.1, no TLS or
//! AUTH, one task per connection. It keeps no messages, only counts: messages, bytes,
//! sessions, and duplicates, recorded per envelope recipient under two keys:
//!
//! - the `Message-ID` header and the recipient: the same message delivered again;
//! - the recipient and the `Subject` header: a recipient given the same notice twice under
//!   different ids (two outbox rows for one holder).
//!
//! A message counts only once the sink has answered its `DATA` with `250`, after the
//! final `.`. The first message is kept as a sample, so that a floor can send messages of
//! the same size and shape.
//!
//! With `quick_ack`, the sink acknowledges every read at once (`TCP_QUICKACK`, Linux). A
//! client that leaves Nagle's algorithm on and writes a message's content and its final
//! `.` separately (lettre does both) otherwise waits for the kernel's delayed ACK, about
//! 40 ms, on every message: a ceiling of ~25 messages per second per connection that
//! says nothing about either side's work.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::OwnedReadHalf;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// The longest command line accepted (RFC 5321 allows 512 octets; lettre sends less).
const MAX_LINE: usize = 4096;
/// The largest message accepted, as the `SIZE` extension announces.
const MAX_MESSAGE: usize = 10 * 1024 * 1024;

/// The first message received, as sent (dot-unstuffed, lines ending in CRLF).
#[derive(Debug, Clone)]
pub struct Sample {
    pub mail_from: String,
    pub recipients: Vec<String>,
    pub raw: Vec<u8>,
}

/// What the sink has received so far.
#[derive(Debug, Clone, Default)]
pub struct SinkStats {
    /// Messages answered `250` after their `DATA`.
    pub messages: u64,
    /// Message-recipient pairs (a message to two recipients counts twice).
    pub deliveries: u64,
    /// Bytes of message content, dot-unstuffed.
    pub bytes: u64,
    /// Connections accepted.
    pub sessions: u64,
    /// Deliveries whose `Message-ID` and recipient were already seen.
    pub duplicates: u64,
    /// Deliveries to a recipient who already received a message with the same subject.
    pub recipient_duplicates: u64,
    /// Messages without a `Message-ID` (not checked for duplicates by id).
    pub without_message_id: u64,
    /// Sessions that ended with an I/O or protocol error (mid-message included).
    pub broken_sessions: u64,
    pub first_message: Option<Instant>,
    pub last_message: Option<Instant>,
}

#[derive(Default)]
struct Seen {
    /// `message-id \n recipient`.
    ids: HashSet<Box<str>>,
    /// `recipient \n subject`.
    recipients: HashSet<Box<str>>,
    deliveries: u64,
    duplicates: u64,
    recipient_duplicates: u64,
    without_message_id: u64,
    first: Option<Instant>,
    last: Option<Instant>,
    sample: Option<Sample>,
}

struct Inner {
    quick_ack: bool,
    messages: AtomicU64,
    bytes: AtomicU64,
    sessions: AtomicU64,
    broken_sessions: AtomicU64,
    want_sample: AtomicBool,
    seen: Mutex<Seen>,
}

impl Inner {
    fn seen(&self) -> MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running sink; it stops when dropped.
pub struct SmtpSink {
    inner: Arc<Inner>,
    addr: SocketAddr,
    accept: JoinHandle<()>,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl SmtpSink {
    /// Listens on `bind` (e.g. `127.0.0.1:0`); `quick_ack`: see the module's comment.
    pub async fn start(bind: &str, quick_ack: bool) -> std::io::Result<Self> {
        let listener = TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let inner = Arc::new(Inner {
            quick_ack,
            messages: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            sessions: AtomicU64::new(0),
            broken_sessions: AtomicU64::new(0),
            want_sample: AtomicBool::new(true),
            seen: Mutex::new(Seen::default()),
        });
        let shared = inner.clone();
        let accept = tokio::spawn(async move {
            loop {
                let stream = match listener.accept().await {
                    Ok((stream, _)) => stream,
                    // Out of descriptors and the like: pause rather than spin.
                    Err(_) => {
                        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let inner = shared.clone();
                tokio::spawn(async move {
                    inner.sessions.fetch_add(1, Ordering::Relaxed);
                    if session(&inner, stream).await.is_err() {
                        inner.broken_sessions.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
        });
        Ok(Self {
            inner,
            addr,
            accept,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL to give the application (`SMTP_URL`).
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Messages received so far (cheap: no lock).
    pub fn messages(&self) -> u64 {
        self.inner.messages.load(Ordering::Relaxed)
    }

    /// The first message received, if any.
    pub fn sample(&self) -> Option<Sample> {
        self.inner.seen().sample.clone()
    }

    pub fn stats(&self) -> SinkStats {
        let seen = self.inner.seen();
        SinkStats {
            messages: self.inner.messages.load(Ordering::Relaxed),
            deliveries: seen.deliveries,
            bytes: self.inner.bytes.load(Ordering::Relaxed),
            sessions: self.inner.sessions.load(Ordering::Relaxed),
            duplicates: seen.duplicates,
            recipient_duplicates: seen.recipient_duplicates,
            without_message_id: seen.without_message_id,
            broken_sessions: self.inner.broken_sessions.load(Ordering::Relaxed),
            first_message: seen.first,
            last_message: seen.last,
        }
    }
}

/// A session's failure; the connection is dropped.
#[derive(Debug, thiserror::Error)]
enum SessionError {
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("the client closed the connection mid-message")]
    Eof,
    #[error("a line or message too long")]
    TooLong,
}

/// Reads one line (up to `\n`) into `line`; `Ok(false)` at the end of the stream.
async fn read_line(
    read: &mut BufReader<OwnedReadHalf>,
    line: &mut Vec<u8>,
    limit: usize,
    quick_ack: bool,
) -> Result<bool, SessionError> {
    line.clear();
    loop {
        if quick_ack && read.buffer().is_empty() {
            // The flag does not stick: set before each read from the socket. Setting it
            // also sends an ACK still pending for what was read before.
            let _ = read.get_ref().as_ref().set_quickack(true);
        }
        let buf = read.fill_buf().await?;
        if buf.is_empty() {
            return Ok(!line.is_empty());
        }
        let (used, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        if line.len() + used > limit {
            return Err(SessionError::TooLong);
        }
        line.extend_from_slice(&buf[..used]);
        read.consume(used);
        if done {
            return Ok(true);
        }
    }
}

/// `MAIL FROM:<a@b> SIZE=12` → `a@b`.
fn angle_address(command: &str) -> String {
    match (command.find('<'), command.find('>')) {
        (Some(start), Some(end)) if start < end => command[start + 1..end].to_owned(),
        _ => command
            .split_once(':')
            .map(|(_, a)| a.split_whitespace().next().unwrap_or("").to_owned())
            .unwrap_or_default(),
    }
}

/// The headers the sink looks at while a message streams in.
#[derive(Default)]
struct Headers {
    message_id: String,
    subject: String,
    /// Which of the two the last header line was, for folded continuations.
    last: Option<bool>,
}

impl Headers {
    fn line(&mut self, line: &[u8]) {
        let text = String::from_utf8_lossy(line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.starts_with([' ', '\t']) {
            match self.last {
                Some(true) => self.message_id.push_str(text.trim()),
                Some(false) => {
                    self.subject.push(' ');
                    self.subject.push_str(text.trim());
                }
                None => {}
            }
            return;
        }
        self.last = None;
        if let Some((name, value)) = text.split_once(':') {
            let name = name.trim();
            if name.eq_ignore_ascii_case("message-id") {
                self.message_id = value.trim().to_owned();
                self.last = Some(true);
            } else if name.eq_ignore_ascii_case("subject") {
                self.subject = value.trim().to_owned();
                self.last = Some(false);
            }
        }
    }
}

/// Reads a message up to the lone dot, undoing dot-stuffing; returns its headers of
/// interest, its size, and its content when `keep` is set.
async fn read_data(
    read: &mut BufReader<OwnedReadHalf>,
    line: &mut Vec<u8>,
    keep: bool,
    quick_ack: bool,
) -> Result<(Headers, usize, Option<Vec<u8>>), SessionError> {
    let mut headers = Headers::default();
    let mut in_headers = true;
    let mut size = 0usize;
    let mut kept = keep.then(Vec::new);
    loop {
        if !read_line(read, line, MAX_MESSAGE, quick_ack).await? {
            return Err(SessionError::Eof);
        }
        if line.as_slice() == b".\r\n" || line.as_slice() == b".\n" {
            return Ok((headers, size, kept));
        }
        let content = if line.starts_with(b"..") {
            &line[1..]
        } else {
            &line[..]
        };
        if in_headers {
            if content == b"\r\n" || content == b"\n" {
                in_headers = false;
            } else {
                headers.line(content);
            }
        }
        size += content.len();
        if size > MAX_MESSAGE {
            return Err(SessionError::TooLong);
        }
        if let Some(k) = kept.as_mut() {
            k.extend_from_slice(content);
        }
    }
}

/// Serves one connection.
async fn session(inner: &Inner, stream: TcpStream) -> Result<(), SessionError> {
    stream.set_nodelay(true)?;
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::with_capacity(64 * 1024, read);
    write
        .write_all(b"220 bulkbench-sink ESMTP ready\r\n")
        .await?;
    let mut mail_from = String::new();
    let mut recipients: Vec<String> = Vec::new();
    let mut line = Vec::with_capacity(1024);
    // Replies not yet written. As Postfix's smtpd does, the replies to a client's
    // pipelined commands go out together, once every command already received is answered.
    let mut replies: Vec<u8> = Vec::with_capacity(256);
    loop {
        if !read_line(&mut read, &mut line, MAX_LINE, inner.quick_ack).await? {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&line);
        let command = text.trim_end();
        let verb = command
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => {
                b"250-bulkbench-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 10485760\r\n"
            }
            "HELO" => b"250 bulkbench-sink\r\n",
            "MAIL" => {
                mail_from = angle_address(command);
                recipients.clear();
                b"250 2.1.0 Ok\r\n"
            }
            "RCPT" => {
                recipients.push(angle_address(command).to_ascii_lowercase());
                b"250 2.1.5 Ok\r\n"
            }
            "DATA" if recipients.is_empty() => b"503 5.5.1 RCPT first\r\n",
            "DATA" => {
                replies.extend_from_slice(b"354 End data with <CR><LF>.<CR><LF>\r\n");
                write.write_all(&replies).await?;
                replies.clear();
                let keep = inner.want_sample.load(Ordering::Relaxed);
                let (headers, size, kept) =
                    read_data(&mut read, &mut line, keep, inner.quick_ack).await?;
                record(inner, &mail_from, &recipients, headers, size, kept);
                recipients.clear();
                b"250 2.0.0 Ok: queued\r\n"
            }
            "RSET" => {
                mail_from.clear();
                recipients.clear();
                b"250 2.0.0 Ok\r\n"
            }
            "NOOP" => b"250 2.0.0 Ok\r\n",
            "QUIT" => {
                replies.extend_from_slice(b"221 2.0.0 Bye\r\n");
                write.write_all(&replies).await?;
                write.shutdown().await?;
                return Ok(());
            }
            _ => b"502 5.5.2 Command not recognised\r\n",
        };
        replies.extend_from_slice(reply);
        if read.buffer().is_empty() {
            write.write_all(&replies).await?;
            replies.clear();
        }
    }
}

/// Counts one message, before its `250` goes out.
fn record(
    inner: &Inner,
    mail_from: &str,
    recipients: &[String],
    headers: Headers,
    size: usize,
    kept: Option<Vec<u8>>,
) {
    let now = Instant::now();
    {
        let mut seen = inner.seen();
        if headers.message_id.is_empty() {
            seen.without_message_id += 1;
        }
        for rcpt in recipients {
            seen.deliveries += 1;
            if !headers.message_id.is_empty() {
                let key = format!("{}\n{rcpt}", headers.message_id);
                if !seen.ids.insert(key.into_boxed_str()) {
                    seen.duplicates += 1;
                }
            }
            let key = format!("{rcpt}\n{}", headers.subject);
            if !seen.recipients.insert(key.into_boxed_str()) {
                seen.recipient_duplicates += 1;
            }
        }
        seen.first.get_or_insert(now);
        seen.last = Some(now);
        if let Some(raw) = kept
            && seen.sample.is_none()
        {
            seen.sample = Some(Sample {
                mail_from: mail_from.to_owned(),
                recipients: recipients.to_vec(),
                raw,
            });
            inner.want_sample.store(false, Ordering::Relaxed);
        }
    }
    inner.bytes.fetch_add(size as u64, Ordering::Relaxed);
    inner.messages.fetch_add(1, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_found_and_unfolded() {
        let mut h = Headers::default();
        for l in [
            "From: a@b\r\n",
            "Subject: Time to\r\n",
            " renew\r\n",
            "Message-ID: <n-1@lsscp>\r\n",
            "To: c@d\r\n",
        ] {
            h.line(l.as_bytes());
        }
        assert_eq!(h.subject, "Time to renew");
        assert_eq!(h.message_id, "<n-1@lsscp>");
    }

    #[test]
    fn addresses_are_read_with_or_without_brackets() {
        assert_eq!(angle_address("MAIL FROM:<a@b> SIZE=10"), "a@b");
        assert_eq!(angle_address("RCPT TO: c@d"), "c@d");
        assert_eq!(angle_address("RCPT"), "");
    }
}
