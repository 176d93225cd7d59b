//! Typed settings: defaults that run with nothing installed, overridden by an optional TOML file
//! (`siagie.toml`, or the path in `SIAGIE_CONFIG`) and by `SIAGIE_<SECTION>_<KEY>` variables.

use std::path::PathBuf;

use figment::{
    Figment,
    providers::{Env, Format, Toml},
};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

mod secrets;

/// Whether the server runs as a local, embedded installation or in production.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Embedded default: SQLite, e-mail to files, secrets generated under the data folder.
    #[default]
    Development,
    /// Every secret must be given; nothing is generated.
    Production,
}

/// All settings of the application.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct Config {
    pub mode: Mode,
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub auth: AuthConfig,
    pub mail: jobs::MailConfig,
    pub jobs: jobs::JobsConfig,
    pub log: LogConfig,
    pub storage: StorageConfig,
    pub demo: DemoConfig,
    pub certificates: CertificatesConfig,
    pub clock: ClockConfig,
    pub helpdesk: HelpdeskConfig,
}

/// Settings of the help desk (`[helpdesk]`, `SIAGIE_HELPDESK_*`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct HelpdeskConfig {
    /// When a working day starts, Lima time (`HH:MM`).
    #[serde(deserialize_with = "clock_time")]
    pub opens: chrono::NaiveTime,
    /// When a working day ends, Lima time (`HH:MM`).
    #[serde(deserialize_with = "clock_time")]
    pub closes: chrono::NaiveTime,
    /// Calendar days after its resolution during which the requester may reopen a ticket.
    pub reopen_days: i64,
    /// Working days a resolved ticket waits for the requester's confirmation before it closes.
    pub close_after_working_days: i64,
}

impl Default for HelpdeskConfig {
    fn default() -> Self {
        Self {
            opens: chrono::NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default(),
            closes: chrono::NaiveTime::from_hms_opt(17, 0, 0).unwrap_or_default(),
            reopen_days: 7,
            close_after_working_days: 3,
        }
    }
}

impl HelpdeskConfig {
    /// The working hours: (opens, closes), Lima time.
    pub fn hours(&self) -> (chrono::NaiveTime, chrono::NaiveTime) {
        (self.opens, self.closes)
    }

    fn validate(&self) -> Result<(), String> {
        if self.opens >= self.closes {
            return Err(format!(
                "helpdesk.opens ({}) debe ser anterior a helpdesk.closes ({})",
                self.opens.format("%H:%M"),
                self.closes.format("%H:%M")
            ));
        }
        Ok(())
    }
}

/// A time of day written `HH:MM`.
fn clock_time<'de, D: serde::Deserializer<'de>>(d: D) -> Result<chrono::NaiveTime, D::Error> {
    let value = String::deserialize(d)?;
    chrono::NaiveTime::parse_from_str(value.trim(), "%H:%M").map_err(|_| {
        serde::de::Error::custom(format!(
            "«{value}» no es una hora con la forma HH:MM (por ejemplo 08:00)"
        ))
    })
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ServerConfig {
    pub host: String,
    pub port: u16,
    /// Largest request body accepted, after decompression.
    pub body_limit_bytes: usize,
    pub request_timeout_secs: u64,
    /// A connection that sends no complete request headers for this long (slowly, or idle
    /// between requests) is closed.
    pub header_timeout_secs: u64,
    /// Connections served at once; more wait to be accepted.
    pub max_connections: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 8080,
            body_limit_bytes: 2 * 1024 * 1024,
            request_timeout_secs: 30,
            header_timeout_secs: 10,
            max_connections: 512,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct DatabaseConfig {
    /// `sqlite://…` or `postgres://…`; empty means a SQLite file in the data folder.
    pub url: Option<SecretString>,
    pub max_connections: u32,
    /// How many groups of tablet batches are written at once; 0 picks one on SQLite (a single
    /// writer) and two on PostgreSQL.
    pub ingest_writers: usize,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: None,
            max_connections: 16,
            ingest_writers: 0,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct AuthConfig {
    /// HMAC key of access tokens. Required in production; generated under the data folder in
    /// development.
    pub jwt_secret: Option<SecretString>,
    pub jwt_secret_file: Option<PathBuf>,
    pub access_token_ttl_secs: i64,
    pub refresh_token_ttl_days: i64,
    /// Failed logins allowed per account and per address within the window before a lockout.
    pub max_failed_logins: i32,
    pub max_failed_logins_per_address: i32,
    pub failure_window_secs: i64,
    pub lockout_secs: i64,
    /// Lifetime of an e-mailed password reset link.
    pub reset_link_ttl_mins: i64,
    /// Base address used in links sent by e-mail.
    pub public_base_url: String,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            jwt_secret: None,
            jwt_secret_file: None,
            access_token_ttl_secs: 15 * 60,
            refresh_token_ttl_days: 60,
            max_failed_logins: 5,
            max_failed_logins_per_address: 30,
            failure_window_secs: 15 * 60,
            lockout_secs: 15 * 60,
            reset_link_ttl_mins: 30,
            public_base_url: "http://127.0.0.1:8080".into(),
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Pretty,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct LogConfig {
    pub format: LogFormat,
    /// A `tracing` filter, e.g. `info,sqlx=warn`.
    pub filter: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Pretty,
            filter: "info,sqlx=warn,sea_orm=warn".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct StorageConfig {
    /// Folder for the embedded database, generated secrets and uploaded files.
    pub data_dir: PathBuf,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("var"),
        }
    }
}

/// The server's clock: the system's, unless `start` sets the instant the server starts at (a
/// demonstration on a given day, or a test). Refused in production.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct ClockConfig {
    /// RFC 3339, e.g. `2027-06-16T10:00:00-05:00`; the clock runs on from there.
    pub start: Option<chrono::DateTime<chrono::FixedOffset>>,
}

impl ClockConfig {
    /// The clock this setting describes, starting now.
    pub fn clock(&self) -> jobs::Clock {
        match self.start {
            Some(start) => jobs::Clock::starting_at(start.to_utc()),
            None => jobs::Clock::system(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct DemoConfig {
    /// Load the demo world when the server starts on an empty database.
    pub seed_on_empty: bool,
}

impl Default for DemoConfig {
    fn default() -> Self {
        Self {
            seed_on_empty: true,
        }
    }
}

/// Certificates (Mi Certificado): the signing keys, the address printed in the QR, the limits
/// of the public pages.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct CertificatesConfig {
    /// The address the QR names (`<public_base_url>/V/<payload>`); `auth.public_base_url` when
    /// empty.
    pub public_base_url: Option<String>,
    /// The Ed25519 signing key: a 32-byte seed in base64. Never logged.
    pub signing_key: Option<SecretString>,
    pub signing_key_file: Option<PathBuf>,
    /// First day certificates are dated under the current key.
    pub signing_key_valid_from: chrono::NaiveDate,
    /// The current key is revoked from this day (a compromised key, before a new one is set).
    pub signing_key_revoked_from: Option<chrono::NaiveDate>,
    /// Keys used before, still published so that what they signed stays verifiable.
    pub retired_keys: Vec<RetiredKey>,
    /// Verifications answered per client address per minute.
    pub verifications_per_minute: u32,
    /// Public requests accepted per client address, and per student document, per hour.
    pub public_requests_per_hour: u32,
    /// Seconds between two checks for certificates annulled or corrected by another server
    /// (this server's own changes count at once).
    pub status_refresh_secs: u64,
}

/// A public key that signed certificates between two dates.
#[derive(Debug, Clone, Deserialize)]
pub struct RetiredKey {
    /// The 32-byte Ed25519 public key, base64url.
    pub public_key: String,
    pub valid_from: chrono::NaiveDate,
    pub valid_until: chrono::NaiveDate,
    pub revoked_from: Option<chrono::NaiveDate>,
}

impl Default for CertificatesConfig {
    fn default() -> Self {
        Self {
            public_base_url: None,
            signing_key: None,
            signing_key_file: None,
            signing_key_valid_from: chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or_default(),
            signing_key_revoked_from: None,
            retired_keys: Vec::new(),
            verifications_per_minute: 60,
            public_requests_per_hour: 5,
            status_refresh_secs: 2,
        }
    }
}

/// A configuration that cannot run, with a message for the operator.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuración inválida: {0}")]
    Invalid(String),
    #[error("falta el secreto {0}: defínalo en el entorno (o en {0}_FILE) para el modo producción")]
    MissingSecret(&'static str),
    #[error("no se pudo leer {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl Config {
    /// Reads defaults, then the config file, then the environment.
    pub fn load() -> Result<Self, ConfigError> {
        let file = std::env::var("SIAGIE_CONFIG").unwrap_or_else(|_| "siagie.toml".into());
        let env = Env::prefixed("SIAGIE_")
            .ignore(&["CONFIG"])
            .map(|key| match key.as_str().split_once('_') {
                Some((section, rest)) => format!("{section}.{rest}").into(),
                None => key.into(),
            })
            .lowercase(true);
        let config: Config = Figment::new()
            .merge(Toml::file(file))
            .merge(env)
            .extract()
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// Checks what serde cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.auth.access_token_ttl_secs < 30 {
            return Err(ConfigError::Invalid(
                "auth.access_token_ttl_secs debe ser al menos 30".into(),
            ));
        }
        if self.auth.refresh_token_ttl_days < 45 {
            return Err(ConfigError::Invalid(
                "auth.refresh_token_ttl_days debe ser al menos 45 (una tableta puede pasar un mes sin conexión)".into(),
            ));
        }
        if self.mode == Mode::Production && self.clock.start.is_some() {
            return Err(ConfigError::Invalid(
                "clock.start no se admite en producción: el servidor usa el reloj del sistema"
                    .into(),
            ));
        }
        if self.mode == Mode::Production && self.database.url.is_none() {
            return Err(ConfigError::MissingSecret("SIAGIE_DATABASE_URL"));
        }
        self.mail.validate().map_err(ConfigError::Invalid)?;
        self.jobs.validate().map_err(ConfigError::Invalid)?;
        self.helpdesk.validate().map_err(ConfigError::Invalid)?;
        Ok(())
    }

    /// The database address, defaulting to a SQLite file in the data folder.
    pub fn database_url(&self) -> String {
        match &self.database.url {
            Some(url) => url.expose_secret().to_owned(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.storage.data_dir.join("siagie.db").display()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_without_a_jwt_secret_refuses_to_start_and_names_the_variable() {
        let mut config = Config {
            mode: Mode::Production,
            ..Config::default()
        };
        config.database.url = Some(SecretString::from("postgres://db/siagie".to_owned()));
        let error = config.jwt_secret().unwrap_err().to_string();
        assert!(error.contains("SIAGIE_AUTH_JWT_SECRET"), "{error}");
    }

    #[test]
    fn production_without_a_database_url_is_invalid() {
        let config = Config {
            mode: Mode::Production,
            ..Config::default()
        };
        assert!(
            config
                .validate()
                .unwrap_err()
                .to_string()
                .contains("SIAGIE_DATABASE_URL")
        );
    }

    #[test]
    fn development_generates_the_secret_once_and_keeps_it() {
        let dir = std::env::temp_dir().join(format!("siagie-config-{}", uuid::Uuid::new_v4()));
        let mut config = Config::default();
        config.storage.data_dir = dir.clone();
        let first = config.jwt_secret().unwrap();
        let second = config.jwt_secret().unwrap();
        assert_eq!(first.expose_secret(), second.expose_secret());
        assert!(first.expose_secret().len() >= 32);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn the_help_desk_hours_are_read_as_times_and_must_make_a_working_day() {
        let read = |toml: &str| -> Result<Config, String> {
            let config: Config = Figment::new()
                .merge(Toml::string(toml))
                .extract()
                .map_err(|e| e.to_string())?;
            config.validate().map_err(|e| e.to_string())?;
            Ok(config)
        };
        let config = read("[helpdesk]\nopens = \"07:30\"\ncloses = \"16:00\"").unwrap();
        let time = |h, m| chrono::NaiveTime::from_hms_opt(h, m, 0).unwrap();
        assert_eq!(config.helpdesk.hours(), (time(7, 30), time(16, 0)));
        assert_eq!(
            Config::default().helpdesk.hours(),
            (time(8, 0), time(17, 0))
        );
        let error = read("[helpdesk]\nopens = \"8 de la mañana\"").unwrap_err();
        assert!(error.contains("HH:MM"), "{error}");
        let error = read("[helpdesk]\nopens = \"18:00\"").unwrap_err();
        assert!(error.contains("helpdesk.opens"), "{error}");
    }

    #[test]
    fn a_bad_cron_expression_or_a_short_refresh_lifetime_stops_the_start() {
        let mut config = Config::default();
        config.jobs.overdue_alert = "cada lunes".into();
        assert!(
            config
                .validate()
                .unwrap_err()
                .to_string()
                .contains("jobs.overdue_alert")
        );
        let mut config = Config::default();
        config.auth.refresh_token_ttl_days = 30;
        assert!(config.validate().is_err());
        assert!(Config::default().validate().is_ok());
    }

    #[test]
    fn a_short_jwt_key_is_refused_from_the_environment_and_from_a_file() {
        let dir = std::env::temp_dir().join(format!("siagie-cfg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut config = Config {
            mode: Mode::Production,
            ..Config::default()
        };
        config.auth.jwt_secret = Some(SecretString::from("corta".to_owned()));
        assert!(config.jwt_secret().unwrap_err().to_string().contains("32"));
        let file = dir.join("key");
        std::fs::write(&file, "x".repeat(31)).unwrap();
        config.auth.jwt_secret = None;
        config.auth.jwt_secret_file = Some(file);
        assert!(config.jwt_secret().unwrap_err().to_string().contains("32"));
    }

    #[cfg(unix)]
    #[test]
    fn a_generated_key_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("siagie-cfg-{}", uuid::Uuid::new_v4()));
        let mut config = Config::default();
        config.storage.data_dir = dir.clone();
        config.jwt_secret().unwrap();
        let mode = std::fs::metadata(dir.join("jwt-secret"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn secrets_do_not_appear_in_debug_output() {
        let mut config = Config::default();
        config.auth.jwt_secret = Some(SecretString::from(
            "muy-secreto-no-mostrar-nunca-0123456789".to_owned(),
        ));
        config.database.url = Some(SecretString::from("postgres://u:clave-db@h/db".to_owned()));
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("muy-secreto") && !shown.contains("clave-db"),
            "{shown}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_development_certificate_key_is_generated_once_for_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("siagie-cfg-{}", uuid::Uuid::new_v4()));
        let mut config = Config::default();
        config.storage.data_dir = dir.clone();
        let first = config.certificate_signing_key().unwrap();
        let second = config.certificate_signing_key().unwrap();
        assert_eq!(first.expose_secret(), second.expose_secret());
        let path = dir.join("certificate-signing-key");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        config.mode = Mode::Production;
        let error = config.certificate_signing_key().unwrap_err().to_string();
        assert!(error.contains("SIAGIE_CERTIFICATES_SIGNING_KEY"), "{error}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
