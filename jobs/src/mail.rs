//! How e-mail leaves the system: files under the data folder (embedded default) or SMTP.

use std::path::PathBuf;

use secrecy::SecretString;
use serde::Deserialize;

/// Where outgoing e-mail goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum MailTransport {
    /// One `.eml` file per message in `mail.dir`.
    #[default]
    File,
    /// An SMTP relay.
    Smtp,
}

/// Transport security towards the SMTP relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain SMTP (only for a relay on the same host).
    None,
    /// STARTTLS on the submission port.
    #[default]
    Starttls,
    /// Implicit TLS.
    Tls,
}

/// Mail settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct MailConfig {
    pub transport: MailTransport,
    /// Folder for `transport = "file"`.
    pub dir: PathBuf,
    /// Sender, e.g. `SIAGIE <no-responder@minedu.gob.pe>`.
    pub from: String,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_tls: SmtpTls,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<SecretString>,
    /// Seconds between two passes of the outbox sender.
    pub send_interval_secs: u64,
    /// First retry delay after a failed delivery, in seconds; it doubles up to one hour.
    pub retry_base_secs: i64,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            transport: MailTransport::File,
            dir: PathBuf::from("var/mail"),
            from: "SIAGIE <no-responder@siagie.local>".into(),
            smtp_host: "127.0.0.1".into(),
            smtp_port: 587,
            smtp_tls: SmtpTls::Starttls,
            smtp_username: None,
            smtp_password: None,
            send_interval_secs: 5,
            retry_base_secs: 30,
        }
    }
}

impl MailConfig {
    /// Checks the settings, with a message for the operator.
    pub fn validate(&self) -> Result<(), String> {
        if self.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(format!(
                "mail.from no es una dirección válida: {}",
                self.from
            ));
        }
        if self.transport == MailTransport::Smtp && self.smtp_host.trim().is_empty() {
            return Err("mail.smtp_host es obligatorio con mail.transport = \"smtp\"".into());
        }
        Ok(())
    }
}

use lettre::{
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart},
    transport::smtp::authentication::Credentials,
};
use secrecy::ExposeSecret;

/// Messages sent at the same time by one sender (and SMTP connections in its pool).
pub const PARALLEL_SENDS: usize = 16;

/// A ready-to-send e-mail.
#[derive(Debug, Clone)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// A stable Message-ID, so that a message sent again after a crash can be recognised.
    pub message_id: String,
    /// The Message-ID of the first message of its thread (a help-desk ticket's e-mails), set as
    /// In-Reply-To and References.
    pub thread: Option<String>,
}

/// The configured transport.
#[derive(Clone)]
pub enum Mailer {
    File(AsyncFileTransport<Tokio1Executor>),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl Mailer {
    /// Builds the transport from the settings (a pooled SMTP connection, or a folder of files).
    pub fn from_config(config: &MailConfig) -> anyhow::Result<Self> {
        match config.transport {
            MailTransport::File => {
                std::fs::create_dir_all(&config.dir)?;
                Ok(Self::File(AsyncFileTransport::new(&config.dir)))
            }
            MailTransport::Smtp => {
                let builder = match config.smtp_tls {
                    SmtpTls::None => {
                        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.smtp_host)
                    }
                    SmtpTls::Starttls => {
                        AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.smtp_host)?
                    }
                    SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.smtp_host)?,
                };
                let mut builder = builder
                    .port(config.smtp_port)
                    .timeout(Some(std::time::Duration::from_secs(20)))
                    .pool_config(
                        lettre::transport::smtp::PoolConfig::new().max_size(PARALLEL_SENDS as u32),
                    );
                if let (Some(user), Some(password)) = (&config.smtp_username, &config.smtp_password)
                {
                    builder = builder.credentials(Credentials::new(
                        user.clone(),
                        password.expose_secret().to_owned(),
                    ));
                }
                Ok(Self::Smtp(builder.build()))
            }
        }
    }

    /// Sends one message as multipart plain text + HTML.
    pub async fn send(&self, from: &str, email: &Email) -> anyhow::Result<()> {
        let from: Mailbox = from.parse()?;
        let to: Mailbox = email.to.parse()?;
        let mut builder = Message::builder()
            .from(from)
            .to(to)
            .subject(&email.subject)
            .message_id(Some(email.message_id.clone()));
        if let Some(thread) = email.thread.as_ref().filter(|t| **t != email.message_id) {
            builder = builder
                .in_reply_to(thread.clone())
                .references(thread.clone());
        }
        let message = builder.multipart(MultiPart::alternative_plain_html(
            email.text.clone(),
            email.html.clone(),
        ))?;
        match self {
            Self::File(transport) => {
                transport.send(message).await?;
            }
            Self::Smtp(transport) => {
                transport.send(message).await?;
            }
        }
        Ok(())
    }
}
