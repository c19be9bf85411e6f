//! Sending a rendered email: SMTP (pooled) in production, `.eml` files when embedded.

use crate::smtp_pool::{PoolSendError, SmtpPool, SmtpServer};
use domain::rules::text::flatten;
use domain::services::notifications::Failure;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncFileTransport, AsyncTransport, Message, Tokio1Executor};
use std::panic::AssertUnwindSafe;
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

/// Builds the message. The recipient's name and the subject come from stored rows that may
/// predate the rules against control characters in names, so both are flattened to one
/// line: a line break in a header is either an injected header or, inside lettre's
/// encoders, a panic. Anything lettre still refuses, or panics on, fails this one message
/// for good rather than the worker that sends it.
pub fn build(
    from: &str,
    to_email: &str,
    to_name: Option<&str>,
    message_id: &str,
    rendered: Rendered,
) -> Result<Message, SendError> {
    let from: Mailbox = from
        .parse()
        .map_err(|e| SendError::permanent(format!("MAIL_FROM is not a mailbox: {e}")))?;
    let to_address = to_email
        .trim()
        .parse()
        .map_err(|e| SendError::permanent(format!("bad recipient {to_email:?}: {e}")))?;
    let to_name = to_name.map(flatten).filter(|n| !n.is_empty());
    let subject = flatten(&rendered.subject);
    let message_id = flatten(message_id);
    std::panic::catch_unwind(AssertUnwindSafe(move || {
        Message::builder()
            .from(from)
            .to(Mailbox::new(to_name, to_address))
            .subject(subject)
            // The same id on every attempt lets a receiving server drop a duplicate.
            .message_id(Some(message_id))
            .multipart(MultiPart::alternative_plain_html(
                rendered.text,
                rendered.html,
            ))
    }))
    .map_err(|panic| {
        SendError::permanent(format!(
            "cannot build message: {}",
            crate::panic_message(panic.as_ref())
        ))
    })?
    .map_err(|e| SendError::permanent(format!("cannot build message: {e}")))
}

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
        let message = build(from, to_email, to_name, message_id, rendered)?;
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
                    Err(PoolSendError::InDoubt(e)) => Err(SendError {
                        failure: Failure::Transient,
                        message: format!(
                            "the connection broke after the message was sent, and the \
                             server may have it (a retry carries the same Message-ID): {e}"
                        ),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(subject: &str) -> Rendered {
        Rendered {
            subject: subject.to_owned(),
            text: "Hello.\r\nBcc: body@example.org\n".to_owned(),
            html: "<p>Hello.</p>".to_owned(),
        }
    }

    fn headers(message: &Message) -> String {
        let formatted = String::from_utf8_lossy(&message.formatted()).into_owned();
        let end = formatted.find("\r\n\r\n").unwrap_or(formatted.len());
        formatted[..end].to_owned()
    }

    #[test]
    fn hostile_names_and_subjects_are_flattened_into_one_header_each() {
        for name in [
            "Ada\r\nBcc: x@evil.example",
            "Ada\nBcc: x@evil.example",
            "Ada\rBcc: x@evil.example",
            "\r\n",
            "Ada\u{0}\u{1b}[2J\u{7f}\u{85}\u{2028}Lovelace",
            "\"Ada\"\r\n\t<x@evil.example>",
        ] {
            let message = build(
                "LSSCP <noreply@lsscp.example>",
                "ada@example.org",
                Some(name),
                "<notification-1@lsscp>",
                rendered(&format!("Hi {name}")),
            )
            .unwrap_or_else(|e| panic!("{name:?}: {e}"));
            let head = headers(&message);
            assert!(
                !head.to_lowercase().contains("\nbcc:"),
                "{name:?} injected a header:\n{head}"
            );
            let to: Vec<_> = message
                .envelope()
                .to()
                .iter()
                .map(|a| a.to_string())
                .collect();
            assert_eq!(to, ["ada@example.org"], "{name:?}");
        }
    }

    #[test]
    fn a_bad_recipient_fails_the_message_for_good() {
        for to in ["not an address", "a@b\r\nBcc: x@evil.example", ""] {
            let err = build(
                "noreply@lsscp.example",
                to,
                Some("Ada"),
                "<notification-1@lsscp>",
                rendered("Hi"),
            )
            .unwrap_err();
            assert_eq!(err.failure, Failure::Permanent, "{to:?}");
        }
    }
}
