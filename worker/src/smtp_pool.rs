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
use lettre::transport::smtp::extension::ClientId;
use lettre::{Executor, Tokio1Executor};
use std::sync::Mutex;
use std::time::{Duration, Instant};

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

    async fn connect(
        &self,
        timeout: Duration,
    ) -> Result<AsyncSmtpConnection, lettre::transport::smtp::Error> {
        let mut conn = Tokio1Executor::connect(
            &self.host,
            self.port,
            Some(timeout),
            &self.hello_name,
            &self.tls,
        )
        .await?;
        if let Some(credentials) = &self.credentials {
            conn.auth(DEFAULT_MECHANISMS, credentials).await?;
        }
        Ok(conn)
    }
}

/// Why a pooled send did not go through.
#[derive(Debug)]
pub enum PoolSendError {
    /// The whole send (connecting included) took longer than the timeout.
    TimedOut(Duration),
    Smtp(lettre::transport::smtp::Error),
}

/// Idle connections, reused most recent first.
pub struct SmtpPool {
    server: SmtpServer,
    timeout: Duration,
    max_idle: usize,
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
}

/// A connection idle longer than this is closed rather than reused: servers drop idle
/// clients after a while (commonly 60 s or more), and a reused dead connection costs a
/// failed attempt.
const MAX_IDLE_AGE: Duration = Duration::from_secs(30);

impl SmtpPool {
    /// `max_idle` bounds the connections kept between sends (typically the number of
    /// concurrent senders); `timeout` bounds each whole send.
    pub fn new(server: SmtpServer, timeout: Duration, max_idle: usize) -> Self {
        Self {
            server,
            timeout,
            max_idle: max_idle.max(1),
            idle: Mutex::new(Vec::new()),
        }
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    fn take_idle(&self) -> Option<AsyncSmtpConnection> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        while let Some((conn, since)) = idle.pop() {
            if since.elapsed() < MAX_IDLE_AGE && !conn.has_broken() {
                return Some(conn);
            }
            // Dropping closes the socket; a polite QUIT would cost a round trip.
        }
        None
    }

    fn give_back(&self, conn: AsyncSmtpConnection) {
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
            if let Some(mut conn) = self.take_idle() {
                match conn.send(envelope, body).await {
                    Ok(_) => {
                        self.give_back(conn);
                        return Ok(());
                    }
                    // A server's refusal is an answer: trying on another connection would
                    // only be refused again.
                    Err(e) if e.is_permanent() || e.is_transient() => return Err(e),
                    // An idle connection the server has since closed: try a fresh one.
                    Err(_) => {}
                }
            }
            let mut conn = self.server.connect(self.timeout).await?;
            conn.send(envelope, body).await?;
            self.give_back(conn);
            Ok(())
        };
        match tokio::time::timeout(self.timeout, attempt).await {
            Err(_) => Err(PoolSendError::TimedOut(self.timeout)),
            Ok(result) => result.map_err(PoolSendError::Smtp),
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
    fn credentials_never_show_in_debug_output() {
        let s = SmtpServer::from_url("smtps://user:hunter2@mail.example.org").unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
