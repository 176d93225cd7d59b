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
