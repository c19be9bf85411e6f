//! Sending a rendered email: SMTP (pooled) in production, `.eml` files when embedded.

use domain::services::notifications::Failure;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;

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
    /// One connection per message (no pool): a send abandoned at its timeout closes its
    /// connection rather than returning it, mid-reply, to a pool.
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        timeout: std::time::Duration,
    },
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
    /// `smtps://user:pass@host:465`; each send is abandoned after `timeout`.
    pub fn smtp(url: &str, timeout: std::time::Duration) -> Result<Self, MailerConfigError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| MailerConfigError(e.to_string()))?
            .timeout(Some(timeout))
            .build();
        Ok(Self::Smtp { transport, timeout })
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
            // lettre's own timeout bounds only the connect; this bounds the whole send.
            Mailer::Smtp { transport, timeout } => {
                match tokio::time::timeout(*timeout, transport.send(message)).await {
                    Err(_) => Err(SendError {
                        failure: Failure::Transient,
                        message: format!("the SMTP server did not answer within {timeout:?}"),
                    }),
                    Ok(sent) => sent.map(|_| ()).map_err(|e| SendError {
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
