//! A real SMTP server on 127.0.0.1:0 that records what it receives.
//!
//! It speaks just enough SMTP for lettre over plain `smtp://` (no STARTTLS, no AUTH) and
//! can misbehave on demand: refuse sessions (`421` on connect or `451` to `MAIL FROM`),
//! reject recipients for good (`550`), or stall after `DATA` without ever answering. A
//! message counts as received only once the server has answered its `DATA` with `250`.
//!
//! Tests never sleep to let mail arrive: they wait on the listener, which wakes them on
//! every change and fails after a generous timeout with what it did receive.

use base64::Engine as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// How long a test waits for mail before failing. Generous, because the whole suite runs
/// in parallel on small machines.
pub const WAIT: Duration = Duration::from_secs(30);

/// How a refusing server turns a session away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `421` instead of the greeting, then the connection is closed.
    Greeting421,
    /// A normal greeting, then `451` to every `MAIL FROM` of the session.
    MailFrom451,
}

/// What the server does with the next session or message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Takes every message.
    Accept,
    /// Turns sessions away; `remaining: Some(n)` returns to `Accept` after `n` sessions.
    Refuse {
        how: Refusal,
        remaining: Option<u32>,
    },
    /// `550` to every `RCPT TO`: a permanent failure.
    Reject,
    /// Takes the next `remaining` messages, then closes each one's connection without
    /// answering its `DATA`: the sender cannot know the message arrived. Back to `Accept`
    /// after them.
    DropAfterData { remaining: u32 },
    /// `451` to every `MAIL FROM`, in open sessions as in new ones: a server in trouble
    /// that the client's pooled connections cannot avoid.
    Defer,
    /// Reads a message's `DATA` and does not answer it, holding the connection until the
    /// mode changes (then closes it unanswered, or answers it: see
    /// [`SmtpServer::accept_including_stalled`]) or the client goes away.
    Stall,
}

/// One message the server accepted.
#[derive(Debug, Clone)]
pub struct Received {
    /// Which connection (1-based) carried it.
    pub session: u64,
    pub mail_from: String,
    pub recipients: Vec<String>,
    /// The message as sent, dot-unstuffed, lines ending in CRLF.
    pub raw: String,
    pub subject: String,
    /// The `Message-ID` header, with its angle brackets.
    pub message_id: String,
    /// The decoded `text/plain` part.
    pub text: String,
}

impl Received {
    /// Whether `address` was among the envelope recipients.
    pub fn is_to(&self, address: &str) -> bool {
        self.recipients
            .iter()
            .any(|r| r.eq_ignore_ascii_case(address))
    }

    /// The value of `token=` in the first link of the text body that contains `path`, e.g.
    /// `/verify-email?token=`.
    pub fn link_token(&self, link_prefix: &str) -> Option<String> {
        let start = self.text.find(link_prefix)? + link_prefix.len();
        let token: String = self.text[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        (!token.is_empty()).then_some(token)
    }

    fn summary(&self) -> String {
        format!(
            "#{} {} to {:?} “{}”",
            self.session, self.message_id, self.recipients, self.subject
        )
    }
}

#[derive(Debug)]
struct State {
    mode: Mode,
    messages: Vec<Received>,
    sessions: u64,
    refused_sessions: u64,
    stalled_now: usize,
    stalled_total: u64,
    /// The most sessions stalled at one moment.
    stalled_max: usize,
    /// Whether stalled sessions, once released, are answered `250` (the server was only
    /// slow) rather than closed unanswered.
    answer_stalled: bool,
    /// Whether new sessions' EHLO offers PIPELINING (RFC 2920).
    pipelining: bool,
    /// Commands that arrived before the reply to the one ahead of them was written:
    /// pipelined. A client must not do that unless the server offered PIPELINING.
    pipelined_commands: u64,
    /// How long the server takes to answer each message's `DATA`, after it has taken the
    /// message: a slow server, so that a fault can land in the middle of a batch.
    pace: Duration,
}

struct Inner {
    state: Mutex<State>,
    /// Bumped on every change, so waiters wake and look again.
    changed: watch::Sender<u64>,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn update<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let out = f(&mut self.lock());
        self.changed.send_modify(|v| *v += 1);
        out
    }
}

/// A handle to the listener; clones share it. The server stops with the test's runtime.
#[derive(Clone)]
pub struct SmtpServer {
    inner: Arc<Inner>,
    addr: SocketAddr,
}

impl SmtpServer {
    /// Starts listening on 127.0.0.1, on a port of the system's choosing.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let inner = Arc::new(Inner {
            state: Mutex::new(State {
                mode: Mode::Accept,
                messages: Vec::new(),
                sessions: 0,
                refused_sessions: 0,
                stalled_now: 0,
                stalled_total: 0,
                stalled_max: 0,
                answer_stalled: false,
                pipelining: true,
                pipelined_commands: 0,
                pace: Duration::ZERO,
            }),
            changed: watch::channel(0).0,
        });
        let server = inner.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let inner = server.clone();
                tokio::spawn(async move {
                    // A session ends with an I/O error when the client vanishes; that is
                    // one of the things tests do on purpose.
                    let _ = session(inner, stream).await;
                });
            }
        });
        Self { inner, addr }
    }

    /// The URL to give the application (`SMTP_URL`).
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    fn set_mode(&self, mode: Mode) {
        self.inner.update(|s| s.mode = mode);
    }

    /// Accepts every message from now on, and closes stalled sessions unanswered.
    pub fn accept(&self) {
        self.inner.update(|s| {
            s.mode = Mode::Accept;
            s.answer_stalled = false;
        });
    }

    /// Accepts every message from now on, stalled ones included: a slow server that
    /// finally answers `250` to everything it was sent.
    pub fn accept_including_stalled(&self) {
        self.inner.update(|s| {
            s.mode = Mode::Accept;
            s.answer_stalled = true;
        });
    }

    /// Refuses the next `sessions` sessions, then accepts.
    pub fn refuse_next(&self, sessions: u32, how: Refusal) {
        self.set_mode(Mode::Refuse {
            how,
            remaining: Some(sessions),
        });
    }

    /// Refuses every session until the mode is changed.
    pub fn refuse(&self, how: Refusal) {
        self.set_mode(Mode::Refuse {
            how,
            remaining: None,
        });
    }

    /// Rejects every recipient with a permanent `550` until the mode is changed.
    pub fn reject(&self) {
        self.set_mode(Mode::Reject);
    }

    /// Stalls every message after its `DATA` until the mode is changed.
    pub fn stall(&self) {
        self.set_mode(Mode::Stall);
    }

    /// Sessions opened from now on do not offer PIPELINING.
    /// Takes the next `messages` and drops each one's connection unanswered (see
    /// [`Mode::DropAfterData`]).
    pub fn drop_after_data(&self, messages: u32) {
        self.set_mode(Mode::DropAfterData {
            remaining: messages,
        });
    }

    /// Answers `451` to every `MAIL FROM` until the mode changes (see [`Mode::Defer`]).
    pub fn defer(&self) {
        self.set_mode(Mode::Defer);
    }

    /// Answers each message `pace` after taking it (see `State::pace`).
    pub fn pace(&self, pace: Duration) {
        self.inner.update(|s| s.pace = pace);
    }

    pub fn without_pipelining(&self) {
        self.inner.update(|s| s.pipelining = false);
    }

    /// Commands received so far that the client sent before reading the reply to the
    /// command ahead of them.
    pub fn pipelined_commands(&self) -> u64 {
        self.inner.lock().pipelined_commands
    }

    /// Every message accepted so far.
    pub fn messages(&self) -> Vec<Received> {
        self.inner.lock().messages.clone()
    }

    /// How many accepted messages match `pred`.
    pub fn count(&self, pred: impl Fn(&Received) -> bool) -> usize {
        self.inner
            .lock()
            .messages
            .iter()
            .filter(|m| pred(m))
            .count()
    }

    /// SMTP sessions (connections) opened so far.
    pub fn sessions(&self) -> u64 {
        self.inner.lock().sessions
    }

    /// Sessions turned away so far.
    pub fn refused_sessions(&self) -> u64 {
        self.inner.lock().refused_sessions
    }

    /// Sessions stalled since the start.
    pub fn stalled_total(&self) -> u64 {
        self.inner.lock().stalled_total
    }

    /// The most sessions that were stalled at the same moment.
    pub fn stalled_max(&self) -> usize {
        self.inner.lock().stalled_max
    }

    fn describe(&self) -> String {
        let s = self.inner.lock();
        let mut out = format!(
            "mode {:?}; {} sessions, {} refused, {} stalled now; {} messages",
            s.mode,
            s.sessions,
            s.refused_sessions,
            s.stalled_now,
            s.messages.len()
        );
        for m in &s.messages {
            out.push_str("\n  ");
            out.push_str(&m.summary());
        }
        out
    }

    /// Waits until `check` returns something, waking on every change; fails after
    /// `timeout` with `what` and everything the server saw.
    async fn wait_until<T>(
        &self,
        what: &str,
        timeout: Duration,
        mut check: impl FnMut(&State) -> Option<T>,
    ) -> T {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut changes = self.inner.changed.subscribe();
        loop {
            changes.borrow_and_update();
            if let Some(found) = check(&self.inner.lock()) {
                return found;
            }
            if tokio::time::timeout_at(deadline, changes.changed())
                .await
                .is_err()
            {
                panic!(
                    "SMTP listener: gave up after {timeout:?} waiting for {what}; {}",
                    self.describe()
                );
            }
        }
    }

    /// The first message matching `pred`, waiting up to [`WAIT`] for it.
    pub async fn wait_for(&self, what: &str, pred: impl Fn(&Received) -> bool) -> Received {
        self.wait_until(what, WAIT, |s| s.messages.iter().find(|m| pred(m)).cloned())
            .await
    }

    /// Waits up to `timeout` until at least `n` messages match `pred`; returns them all.
    pub async fn wait_for_count(
        &self,
        what: &str,
        n: usize,
        timeout: Duration,
        pred: impl Fn(&Received) -> bool,
    ) -> Vec<Received> {
        self.wait_until(what, timeout, |s| {
            let found: Vec<Received> = s.messages.iter().filter(|m| pred(m)).cloned().collect();
            (found.len() >= n).then_some(found)
        })
        .await
    }

    /// Waits until some session is stalled after its `DATA`.
    pub async fn wait_for_stalled_session(&self) {
        self.wait_until("a stalled session", WAIT, |s| {
            (s.stalled_now > 0).then_some(())
        })
        .await;
    }

    /// Watches for `period` that exactly `n` messages match `pred` (failing at once if
    /// more arrive), then that there are still exactly `n`. This is how a test shows a
    /// message was not sent twice: the period must outlast every redelivery mechanism.
    pub async fn assert_count_holds(
        &self,
        what: &str,
        n: usize,
        period: Duration,
        pred: impl Fn(&Received) -> bool,
    ) {
        let deadline = tokio::time::Instant::now() + period;
        let mut changes = self.inner.changed.subscribe();
        loop {
            changes.borrow_and_update();
            let count = self.count(&pred);
            assert!(
                count <= n,
                "SMTP listener: expected {n} × {what}, received {count}; {}",
                self.describe()
            );
            if tokio::time::timeout_at(deadline, changes.changed())
                .await
                .is_err()
            {
                break;
            }
        }
        let count = self.count(&pred);
        assert_eq!(
            count,
            n,
            "SMTP listener: expected {n} × {what}; {}",
            self.describe()
        );
    }
}

/// Serves one connection.
async fn session(inner: Arc<Inner>, stream: TcpStream) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let (number, refusal, pipelining) = inner.update(|s| {
        s.sessions += 1;
        let refusal = match s.mode {
            Mode::Refuse { how, remaining } => {
                s.refused_sessions += 1;
                s.mode = match remaining {
                    Some(n) if n <= 1 => Mode::Accept,
                    Some(n) => Mode::Refuse {
                        how,
                        remaining: Some(n - 1),
                    },
                    None => s.mode,
                };
                Some(how)
            }
            _ => None,
        };
        (s.sessions, refusal, s.pipelining)
    });
    if refusal == Some(Refusal::Greeting421) {
        write
            .write_all(b"421 4.3.2 test server busy, closing transmission channel\r\n")
            .await?;
        return write.shutdown().await;
    }
    write.write_all(b"220 lsscp-test ESMTP ready\r\n").await?;

    let mut mail_from = String::new();
    let mut recipients: Vec<String> = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        if !read.buffer().is_empty() {
            // The next command is already here, sent before this one's reply.
            inner.update(|s| s.pipelined_commands += 1);
        }
        let text = String::from_utf8_lossy(&line);
        let command = text.trim_end();
        let verb = command
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" if pipelining => b"250-lsscp-test greets you\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 10485760\r\n",
            "EHLO" => b"250-lsscp-test greets you\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 10485760\r\n",
            "HELO" => b"250 lsscp-test\r\n",
            "MAIL" if refusal == Some(Refusal::MailFrom451) || inner.lock().mode == Mode::Defer => {
                b"451 4.3.0 test server: try again later\r\n"
            }
            "MAIL" => {
                mail_from = angle_address(command);
                recipients.clear();
                b"250 2.1.0 Ok\r\n"
            }
            "RCPT" if inner.lock().mode == Mode::Reject => {
                b"550 5.1.1 test server: no such mailbox\r\n"
            }
            "RCPT" => {
                recipients.push(angle_address(command));
                b"250 2.1.5 Ok\r\n"
            }
            "DATA" if recipients.is_empty() => b"503 5.5.1 RCPT first\r\n",
            "DATA" => {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let raw = read_data(&mut read).await?;
                if inner.lock().mode == Mode::Stall
                    && !(stall(&inner, &mut read).await && inner.lock().answer_stalled)
                {
                    return Ok(());
                }
                let message = parse(number, &mail_from, &recipients, raw);
                let vanish = inner.update(|s| {
                    s.messages.push(message);
                    match s.mode {
                        Mode::DropAfterData { remaining } => {
                            s.mode = if remaining <= 1 {
                                Mode::Accept
                            } else {
                                Mode::DropAfterData {
                                    remaining: remaining - 1,
                                }
                            };
                            true
                        }
                        _ => false,
                    }
                });
                if vanish {
                    return Ok(());
                }
                recipients.clear();
                let pace = inner.lock().pace;
                if !pace.is_zero() {
                    tokio::time::sleep(pace).await;
                }
                b"250 2.0.0 Ok: queued\r\n"
            }
            "RSET" => {
                mail_from.clear();
                recipients.clear();
                b"250 2.0.0 Ok\r\n"
            }
            "NOOP" => b"250 2.0.0 Ok\r\n",
            "QUIT" => {
                write.write_all(b"221 2.0.0 Bye\r\n").await?;
                return write.shutdown().await;
            }
            _ => b"502 5.5.2 Command not recognised\r\n",
        };
        write.write_all(reply).await?;
    }
}

/// Holds a stalled session until the mode changes (returns true) or the client goes
/// away (returns false).
async fn stall(inner: &Arc<Inner>, read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> bool {
    let mut changes = inner.changed.subscribe();
    inner.update(|s| {
        s.stalled_now += 1;
        s.stalled_total += 1;
        s.stalled_max = s.stalled_max.max(s.stalled_now);
    });
    let mut scratch = Vec::new();
    let released = loop {
        changes.borrow_and_update();
        if inner.lock().mode != Mode::Stall {
            break true;
        }
        tokio::select! {
            changed = changes.changed() => if changed.is_err() { break false },
            // The client sends nothing while it waits for our answer: any read result
            // means it closed the connection or died.
            _ = read.read_until(b'\n', &mut scratch) => break false,
        }
    };
    inner.update(|s| s.stalled_now -= 1);
    released
}

/// `MAIL FROM:<a@b>` → `a@b`.
fn angle_address(command: &str) -> String {
    match (command.find('<'), command.find('>')) {
        (Some(start), Some(end)) if start < end => command[start + 1..end].to_owned(),
        _ => command
            .split_once(':')
            .map(|(_, a)| a.trim().to_owned())
            .unwrap_or_default(),
    }
}

/// Reads a message up to the lone dot, undoing dot-stuffing.
async fn read_data(
    read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
) -> std::io::Result<String> {
    let mut raw = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok(String::from_utf8_lossy(&raw).into_owned());
        }
        let content = if line.starts_with(b"..") {
            &line[1..]
        } else {
            &line[..]
        };
        raw.extend_from_slice(content);
    }
}

fn parse(session: u64, mail_from: &str, recipients: &[String], raw: String) -> Received {
    let (headers, body) = split_entity(&raw);
    let subject = header(&headers, "subject")
        .map(|s| decode_words(&s))
        .unwrap_or_default();
    let message_id = header(&headers, "message-id").unwrap_or_default();
    let text = text_part(&headers, body).unwrap_or_default();
    Received {
        session,
        mail_from: mail_from.to_owned(),
        recipients: recipients.to_vec(),
        raw,
        subject,
        message_id,
        text,
    }
}

/// Splits a MIME entity into its unfolded headers and its body.
fn split_entity(entity: &str) -> (Vec<(String, String)>, &str) {
    let (head, body) = entity
        .split_once("\r\n\r\n")
        .or_else(|| entity.split_once("\n\n"))
        .unwrap_or((entity, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    (headers, body)
}

fn header(headers: &[(String, String)], name: &str) -> Option<String> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
}

/// A parameter of a header value such as `multipart/alternative; boundary="x"`.
fn parameter(value: &str, name: &str) -> Option<String> {
    value.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// The decoded `text/plain` content of an entity, looking inside multiparts.
fn text_part(headers: &[(String, String)], body: &str) -> Option<String> {
    let content_type = header(headers, "content-type").unwrap_or_else(|| "text/plain".into());
    let lower = content_type.to_ascii_lowercase();
    if lower.starts_with("multipart/") {
        let boundary = format!("--{}", parameter(&content_type, "boundary")?);
        return body.split(boundary.as_str()).skip(1).find_map(|part| {
            if part.starts_with("--") {
                return None;
            }
            let part = part.strip_prefix("\r\n").unwrap_or(part);
            let (h, b) = split_entity(part);
            text_part(&h, b)
        });
    }
    if !lower.starts_with("text/plain") {
        return None;
    }
    let encoding = header(headers, "content-transfer-encoding")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let bytes = match encoding.as_str() {
        "quoted-printable" => decode_quoted_printable(body),
        "base64" => base64::engine::general_purpose::STANDARD
            .decode(body.split_whitespace().collect::<String>())
            .ok()?,
        _ => body.as_bytes().to_vec(),
    };
    Some(
        String::from_utf8_lossy(&bytes)
            .trim_end_matches(['\r', '\n'])
            .to_owned(),
    )
}

/// Quoted-printable: `=\r\n` is a soft line break, `=XX` a byte.
fn decode_quoted_printable(body: &str) -> Vec<u8> {
    let bytes = body.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'=' {
            out.push(bytes[i]);
            i += 1;
        } else if bytes[i + 1..].starts_with(b"\r\n") {
            i += 3;
        } else if bytes[i + 1..].starts_with(b"\n") {
            i += 2;
        } else if let Some(byte) = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(byte);
            i += 3;
        } else {
            out.push(b'=');
            i += 1;
        }
    }
    out
}

/// RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`) in a header value.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut previous_was_word = false;
    while let Some(start) = rest.find("=?") {
        let word = rest[start + 2..].splitn(3, '?').collect::<Vec<_>>();
        let decoded = match word.as_slice() {
            [charset, encoding, tail] => tail.find("?=").and_then(|end| {
                let text = &tail[..end];
                let bytes = match encoding.to_ascii_lowercase().as_str() {
                    "b" => base64::engine::general_purpose::STANDARD
                        .decode(text)
                        .ok()?,
                    "q" => decode_quoted_printable(&text.replace('_', " ")),
                    _ => return None,
                };
                let consumed = start + 2 + charset.len() + 1 + encoding.len() + 1 + end + 2;
                Some((String::from_utf8_lossy(&bytes).into_owned(), consumed))
            }),
            _ => None,
        };
        let Some((text, consumed)) = decoded else {
            break;
        };
        let between = &rest[..start];
        if !(previous_was_word && between.trim().is_empty()) {
            out.push_str(between);
        }
        out.push_str(&text);
        rest = &rest[consumed..];
        previous_was_word = true;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_printable_soft_breaks_and_escapes_are_decoded() {
        let decoded = decode_quoted_printable("a long=\r\n line =3D x=C3=A9\r\nnext");
        assert_eq!(
            String::from_utf8(decoded).unwrap(),
            "a long line = xé\r\nnext"
        );
    }

    #[test]
    fn the_text_part_of_a_multipart_message_is_found_and_decoded() {
        let raw = "Subject: =?utf-8?b?SGVsbG8=?= =?utf-8?q?_w=C3=B6rld?=\r\n\
                   Message-ID: <notification-7@lsscp>\r\n\
                   Content-Type: multipart/alternative;\r\n boundary=\"XYZ\"\r\n\r\n\
                   --XYZ\r\nContent-Type: text/plain; charset=utf-8\r\n\
                   Content-Transfer-Encoding: quoted-printable\r\n\r\n\
                   http://app/verify-email?token=3Dab=\r\ncd_9-x\r\n\
                   --XYZ\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n--XYZ--\r\n";
        let m = parse(1, "a@b", &["c@d".to_owned()], raw.to_owned());
        assert_eq!(m.subject, "Hello wörld");
        assert_eq!(m.message_id, "<notification-7@lsscp>");
        assert_eq!(m.text, "http://app/verify-email?token=abcd_9-x");
        assert_eq!(
            m.link_token("/verify-email?token=").as_deref(),
            Some("abcd_9-x")
        );
    }
}
