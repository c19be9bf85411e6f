//! A pool of SMTP connections whose sends can be abandoned safely.
//!
//! lettre's own pool returns a connection to the pool when the send holding it is dropped,
//! even half-way through a reply; the next message would then read the previous one's
//! reply, or be written into its DATA. Here a connection goes back to the pool only after
//! a send completed successfully: a send abandoned at its timeout, or one that failed,
//! takes its connection with it.

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Tls, TlsParameters};
use lettre::transport::smtp::commands::{Data, Ehlo, Mail, Rcpt};
use lettre::transport::smtp::extension::ClientId;
use lettre::{Executor, Tokio1Executor};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Where and how to connect, from a URL such as `smtp://host:1025`,
/// `smtp://user:pass@host:587?tls=required` or `smtps://user:pass@host:465` (the forms
/// lettre's `from_url` accepts).
#[derive(Clone)]
pub struct SmtpServer {
    host: String,
    port: u16,
    tls: Tls,
    credentials: Option<Credentials>,
    hello_name: ClientId,
}

impl std::fmt::Debug for SmtpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the credentials.
        f.debug_struct("SmtpServer")
            .field("host", &self.host)
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl SmtpServer {
    pub fn from_url(url: &str) -> Result<Self, String> {
        let parsed = url::Url::parse(url).map_err(|e| format!("SMTP_URL: {e}"))?;
        let host = parsed
            .host_str()
            .ok_or("SMTP_URL names no host")?
            .to_owned();
        let tls_mode = parsed
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let params = || TlsParameters::new(host.clone()).map_err(|e| format!("SMTP TLS: {e}"));
        let (port, tls) = match (parsed.scheme(), tls_mode.as_deref()) {
            ("smtp", None) => (parsed.port().unwrap_or(25), Tls::None),
            ("smtp", Some("required")) => (parsed.port().unwrap_or(587), Tls::Required(params()?)),
            ("smtp", Some("opportunistic")) => {
                (parsed.port().unwrap_or(587), Tls::Opportunistic(params()?))
            }
            ("smtps", _) => (parsed.port().unwrap_or(465), Tls::Wrapper(params()?)),
            (scheme, tls) => {
                return Err(format!(
                    "SMTP_URL: unknown scheme {scheme:?} or tls parameter {tls:?} \
                     (use smtp://, smtp://…?tls=required or smtps://)"
                ));
            }
        };
        let credentials = match parsed.password() {
            Some(password) => {
                let decode = |s: &str| {
                    percent_encoding::percent_decode_str(s)
                        .decode_utf8()
                        .map(|s| s.into_owned())
                        .map_err(|e| format!("SMTP_URL credentials: {e}"))
                };
                Some(Credentials::new(
                    decode(parsed.username())?,
                    decode(password)?,
                ))
            }
            None => None,
        };
        let hello_name = match parsed.path().trim_matches('/') {
            "" => ClientId::default(),
            name => ClientId::Domain(name.to_owned()),
        };
        Ok(Self {
            host,
            port,
            tls,
            credentials,
            hello_name,
        })
    }

    async fn connect(&self, timeout: Duration) -> Result<Connection, ConnectError> {
        let mut conn = match &self.tls {
            // lettre opens implicit TLS itself, on a socket we cannot reach.
            Tls::Wrapper(_) => Tokio1Executor::connect(
                &self.host,
                self.port,
                Some(timeout),
                &self.hello_name,
                &self.tls,
            )
            .await
            .map_err(ConnectError::Smtp)?,
            _ => self.connect_without_delay(timeout).await?,
        };
        // lettre keeps only the extensions it uses itself; PIPELINING is not one of them. A
        // second EHLO, before AUTH, shows the whole list.
        let pipelining = conn
            .command(Ehlo::new(self.hello_name.clone()))
            .await
            .map_err(ConnectError::Smtp)?
            .message()
            .any(|line| line.split_whitespace().next() == Some("PIPELINING"));
        if let Some(credentials) = &self.credentials {
            conn.auth(DEFAULT_MECHANISMS, credentials)
                .await
                .map_err(ConnectError::Smtp)?;
        }
        Ok(Connection { conn, pipelining })
    }

    /// A plain or STARTTLS connection on a socket with Nagle's algorithm off. lettre writes a
    /// message and its closing `.` in two writes; with Nagle on, the `.` waits for the
    /// server to acknowledge the message, which a server that delays its ACKs (Linux's
    /// default) does after about 40 ms: 25 messages a second on each connection.
    async fn connect_without_delay(
        &self,
        timeout: Duration,
    ) -> Result<AsyncSmtpConnection, ConnectError> {
        let socket = tokio::time::timeout(
            timeout,
            tokio::net::TcpStream::connect((self.host.as_str(), self.port)),
        )
        .await
        .map_err(|_| ConnectError::TimedOut)?
        .map_err(ConnectError::Io)?;
        socket.set_nodelay(true).map_err(ConnectError::Io)?;
        let mut conn =
            AsyncSmtpConnection::connect_with_transport(Box::new(socket), &self.hello_name)
                .await
                .map_err(ConnectError::Smtp)?;
        match &self.tls {
            Tls::Opportunistic(params) if conn.can_starttls() => conn
                .starttls(params.clone(), &self.hello_name)
                .await
                .map_err(ConnectError::Smtp)?,
            Tls::Required(params) => conn
                .starttls(params.clone(), &self.hello_name)
                .await
                .map_err(ConnectError::Smtp)?,
            _ => {}
        }
        Ok(conn)
    }
}

/// An open connection, and whether its server takes commands in batches (RFC 2920).
struct Connection {
    conn: AsyncSmtpConnection,
    pipelining: bool,
}

impl Connection {
    /// Sends one message. Where the server allows it, `MAIL`, `RCPT` and `DATA` go in one
    /// write and their replies are read after it: two round trips a message instead of
    /// four. Each round trip wakes both ends, which is most of what a message costs on a
    /// near server, and all of what it waits for on a far one. After a refusal the
    /// replies still due are left unread, so the connection must not be reused; the pool
    /// drops a connection whose send failed.
    async fn send(&mut self, envelope: &Envelope, body: &[u8]) -> Result<(), ConnSendError> {
        if !self.pipelines(envelope, body) {
            return self
                .conn
                .send(envelope, body)
                .await
                .map(|_| ())
                .map_err(ConnSendError::maybe_after_data);
        }
        let before_data = |error| ConnSendError {
            error,
            in_doubt: false,
        };
        let mut commands = Mail::new(envelope.from().cloned(), vec![]).to_string();
        for to in envelope.to() {
            commands.push_str(&Rcpt::new(to.clone(), vec![]).to_string());
        }
        commands.push_str(&Data.to_string());
        // The reply to MAIL, then one for each RCPT, then DATA's.
        self.conn.command(commands).await.map_err(before_data)?;
        for _ in envelope.to() {
            self.conn.read_response().await.map_err(before_data)?;
        }
        self.conn.read_response().await.map_err(before_data)?;
        // The message and its closing `.` in one write; lettre's `message` makes two.
        self.conn
            .command(data_block(body))
            .await
            .map(|_| ())
            .map_err(ConnSendError::maybe_after_data)
    }

    /// Whether [`Connection::send`] pipelines this message. lettre's own sequence adds the
    /// SMTPUTF8 and 8BITMIME parameters, and refuses a message the server cannot take, one
    /// command at a time; it is used where those matter.
    fn pipelines(&self, envelope: &Envelope, body: &[u8]) -> bool {
        let non_ascii_address = envelope
            .from()
            .into_iter()
            .chain(envelope.to())
            .any(|a: &lettre::Address| !AsRef::<str>::as_ref(a).is_ascii());
        self.pipelining && !non_ascii_address && body.is_ascii()
    }

    fn has_broken(&self) -> bool {
        self.conn.has_broken()
    }
}

/// `body` as the DATA section carries it: a line starting with `.` gets a second one, and
/// `CRLF . CRLF` ends it, as lettre's own encoder writes it. `body` is ASCII (the caller
/// checks), so it is text.
fn data_block(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut block = String::with_capacity(body.len() + 64);
    if text.starts_with('.') {
        block.push('.');
    }
    block.push_str(&text.replace("\r\n.", "\r\n.."));
    block.push_str("\r\n.\r\n");
    block
}

/// Why a send on one connection failed.
#[derive(Debug)]
struct ConnSendError {
    error: lettre::transport::smtp::Error,
    /// The connection broke at a point where the server may already have taken the
    /// message. Sending it again on another connection could deliver it twice.
    in_doubt: bool,
}

impl ConnSendError {
    /// A failure from a step that may have come after the message was written: a reply
    /// is an answer, anything else (a broken connection, a reply cut short) leaves the
    /// message's fate unknown.
    fn maybe_after_data(error: lettre::transport::smtp::Error) -> Self {
        let answered = error.is_permanent() || error.is_transient();
        Self {
            error,
            in_doubt: !answered,
        }
    }
}

/// Why a connection could not be opened.
#[derive(Debug)]
enum ConnectError {
    TimedOut,
    Io(std::io::Error),
    Smtp(lettre::transport::smtp::Error),
}

/// Why a pooled send did not go through.
#[derive(Debug)]
pub enum PoolSendError {
    /// The whole send (connecting included) took longer than the timeout.
    TimedOut(Duration),
    /// No connection to the server could be opened (refused, unreachable, reset).
    Connect(std::io::Error),
    Smtp(lettre::transport::smtp::Error),
    /// The connection broke after the message may have reached the server: it is not
    /// sent again here, and whoever retries it later sends it with the same Message-ID.
    InDoubt(lettre::transport::smtp::Error),
}

impl From<ConnectError> for PoolSendError {
    fn from(e: ConnectError) -> Self {
        match e {
            // The connect's own timeout is the send's: both are `timeout`.
            ConnectError::TimedOut => PoolSendError::Connect(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "connecting to the SMTP server timed out",
            )),
            ConnectError::Io(e) => PoolSendError::Connect(e),
            ConnectError::Smtp(e) => PoolSendError::Smtp(e),
        }
    }
}

/// At most `connections` sends at once, each on a connection of its own; idle connections
/// are reused most recent first.
pub struct SmtpPool {
    server: SmtpServer,
    timeout: Duration,
    max_idle: usize,
    /// One permit per connection that may be open and sending.
    sending: Semaphore,
    idle: Mutex<Vec<(Connection, Instant)>>,
}

/// A connection idle longer than this is closed rather than reused: servers drop idle
/// clients after a while (commonly 60 s or more), and a reused dead connection costs a
/// failed attempt.
const MAX_IDLE_AGE: Duration = Duration::from_secs(30);

impl SmtpPool {
    /// `connections` bounds the sends in flight, and so the connections open at once;
    /// `timeout` bounds each whole send, the wait for a connection included.
    pub fn new(server: SmtpServer, timeout: Duration, connections: usize) -> Self {
        let connections = connections.max(1);
        Self {
            server,
            timeout,
            max_idle: connections,
            sending: Semaphore::new(connections),
            idle: Mutex::new(Vec::new()),
        }
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    fn take_idle(&self) -> Option<Connection> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        while let Some((conn, since)) = idle.pop() {
            if since.elapsed() < MAX_IDLE_AGE && !conn.has_broken() {
                return Some(conn);
            }
            // Dropping closes the socket; a polite QUIT would cost a round trip.
        }
        None
    }

    fn give_back(&self, conn: Connection) {
        if conn.has_broken() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < self.max_idle {
            idle.push((conn, Instant::now()));
        }
    }

    /// Sends one message, bounded by the timeout as a whole.
    pub async fn send(&self, envelope: &Envelope, body: &[u8]) -> Result<(), PoolSendError> {
        let attempt = async {
            // Never closed, so acquiring cannot fail; the permit ends with the send.
            let _permit = self.sending.acquire().await;
            if let Some(mut conn) = self.take_idle() {
                // lettre's sequence cannot tell where it broke, so a connection it is to
                // use is first asked whether it still stands.
                let stands = conn.pipelines(envelope, body) || conn.conn.test_connected().await;
                if stands {
                    match conn.send(envelope, body).await {
                        Ok(()) => {
                            self.give_back(conn);
                            return Ok(());
                        }
                        Err(e) if e.in_doubt => return Err(PoolSendError::InDoubt(e.error)),
                        // A server's refusal is an answer: trying on another connection
                        // would only be refused again.
                        Err(e) if e.error.is_permanent() || e.error.is_transient() => {
                            return Err(PoolSendError::Smtp(e.error));
                        }
                        // An idle connection the server has since closed, found so
                        // before the message went: try a fresh one.
                        Err(_) => {}
                    }
                }
            }
            let mut conn = self.server.connect(self.timeout).await?;
            match conn.send(envelope, body).await {
                Ok(()) => {
                    self.give_back(conn);
                    Ok(())
                }
                Err(e) if e.in_doubt => Err(PoolSendError::InDoubt(e.error)),
                Err(e) => Err(PoolSendError::Smtp(e.error)),
            }
        };
        match tokio::time::timeout(self.timeout, attempt).await {
            Err(_) => Err(PoolSendError::TimedOut(self.timeout)),
            Ok(result) => result,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_ports_and_tls_as_lettre_does() {
        let s = SmtpServer::from_url("smtp://mail.example.org:1025").unwrap();
        assert_eq!((s.host.as_str(), s.port), ("mail.example.org", 1025));
        assert!(matches!(s.tls, Tls::None));
        assert!(s.credentials.is_none());

        let s = SmtpServer::from_url("smtp://u:p%40ss@mail.example.org?tls=required").unwrap();
        assert_eq!(s.port, 587);
        assert!(matches!(s.tls, Tls::Required(_)));
        assert!(s.credentials.is_some());

        let s = SmtpServer::from_url("smtps://mail.example.org").unwrap();
        assert_eq!(s.port, 465);
        assert!(matches!(s.tls, Tls::Wrapper(_)));

        assert!(SmtpServer::from_url("http://mail.example.org").is_err());
        assert!(SmtpServer::from_url("smtp://mail.example.org?tls=sometimes").is_err());
        assert!(SmtpServer::from_url("not a url").is_err());
    }

    #[test]
    fn a_data_block_doubles_leading_dots_and_ends_with_a_lone_dot() {
        assert_eq!(
            data_block(b"Subject: x\r\n\r\nhi"),
            "Subject: x\r\n\r\nhi\r\n.\r\n"
        );
        assert_eq!(
            data_block(b".start\r\n.\r\n..two\r\nend."),
            "..start\r\n..\r\n...two\r\nend.\r\n.\r\n"
        );
    }

    #[test]
    fn credentials_never_show_in_debug_output() {
        let s = SmtpServer::from_url("smtps://user:hunter2@mail.example.org").unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
