//! Sending a rendered email: SMTP (pooled) in production, `.eml` files when embedded.

use crate::smtp_pool::{PoolSendError, SmtpPool, SmtpServer};
use domain::services::notifications::Failure;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncFileTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;
use std::sync::Arc;

/// A rendered email, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Where emails go.
#[derive(Clone)]
pub enum Mailer {
    /// Pooled connections, each send bounded by a timeout (see [`SmtpPool`]).
    Smtp(Arc<SmtpPool>),
    Files(AsyncFileTransport<Tokio1Executor>),
}

/// Why an email could not be sent, and whether trying again could help.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    pub message: String,
    pub failure: Failure,
}

impl SendError {
    fn permanent(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            failure: Failure::Permanent,
        }
    }
}

/// The mailer could not be configured.
#[derive(Debug, thiserror::Error)]
#[error("mailer: {0}")]
pub struct MailerConfigError(String);

impl Mailer {
    /// An SMTP mailer from a URL such as `smtp://host:1025` or
    /// `smtps://user:pass@host:465`; each send is abandoned after `timeout`, and at most
    /// `connections` sends run at once, each on a connection of its own.
    pub fn smtp(
        url: &str,
        timeout: std::time::Duration,
        connections: usize,
    ) -> Result<Self, MailerConfigError> {
        let server = SmtpServer::from_url(url).map_err(MailerConfigError)?;
        Ok(Self::Smtp(Arc::new(SmtpPool::new(
            server,
            timeout,
            connections,
        ))))
    }

    /// A mailer that writes each message as `<message-id>.eml` under `dir`.
    pub fn files(dir: PathBuf) -> Result<Self, MailerConfigError> {
        std::fs::create_dir_all(&dir)
            .map_err(|e| MailerConfigError(format!("cannot create {}: {e}", dir.display())))?;
        Ok(Self::Files(AsyncFileTransport::new(dir)))
    }

    /// Sends one message.
    pub async fn send(
        &self,
        from: &str,
        to_email: &str,
        to_name: Option<&str>,
        message_id: &str,
        rendered: Rendered,
    ) -> Result<(), SendError> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| SendError::permanent(format!("MAIL_FROM is not a mailbox: {e}")))?;
        let to = Mailbox::new(
            to_name.map(str::to_owned),
            to_email
                .parse()
                .map_err(|e| SendError::permanent(format!("bad recipient {to_email}: {e}")))?,
        );
        let message = Message::builder()
            .from(from)
            .to(to)
            .subject(rendered.subject)
            // The same id on every attempt lets a receiving server drop a duplicate.
            .message_id(Some(message_id.to_owned()))
            .multipart(MultiPart::alternative_plain_html(
                rendered.text,
                rendered.html,
            ))
            .map_err(|e| SendError::permanent(format!("cannot build message: {e}")))?;
        match self {
            Mailer::Smtp(pool) => {
                let envelope = message.envelope().clone();
                match pool.send(&envelope, &message.formatted()).await {
                    Ok(()) => Ok(()),
                    Err(PoolSendError::TimedOut(timeout)) => Err(SendError {
                        failure: Failure::Transient,
                        message: format!("the SMTP server did not answer within {timeout:?}"),
                    }),
                    Err(PoolSendError::Connect(e)) => Err(SendError {
                        failure: Failure::Transient,
                        message: format!("cannot connect to the SMTP server: {e}"),
                    }),
                    Err(PoolSendError::Smtp(e)) => Err(SendError {
                        failure: if e.is_permanent() {
                            Failure::Permanent
                        } else {
                            Failure::Transient
                        },
                        message: e.to_string(),
                    }),
                }
            }
            Mailer::Files(t) => t.send(message).await.map(|_| ()).map_err(|e| SendError {
                failure: Failure::Transient,
                message: e.to_string(),
            }),
        }
    }
}
