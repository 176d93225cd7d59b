//! One error type for every handler, rendered as `{"error": {"code", "message", "fields"}}`.

use std::{borrow::Cow, collections::BTreeMap};

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use sea_orm::{DbErr, SqlErr, TransactionError};
use serde::Serialize;
use utoipa::ToSchema;

mod code;

use crate::domain::{FullName, NamePart};

pub use code::ErrorCode;

/// The result of anything a request can reach.
pub type Result<T, E = ApiError> = std::result::Result<T, E>;

/// Field name → Spanish message.
pub type FieldErrors = BTreeMap<String, String>;

/// An error answered to the client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A 4xx (or 503) with a stable code and a message for a person.
    #[error("{code}: {message}")]
    Client {
        code: ErrorCode,
        /// The code's message, or that message told with the facts of this case.
        message: Cow<'static, str>,
        fields: Option<FieldErrors>,
        retry_after: Option<u64>,
        /// Extra machine-readable detail (e.g. the rows of a rejected roster).
        details: Option<serde_json::Value>,
    },
    /// Anything else: logged with its cause, shown as a generic message.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<ErrorCode> for ApiError {
    fn from(code: ErrorCode) -> Self {
        Self::Client {
            code,
            message: Cow::Borrowed(code.message()),
            fields: None,
            retry_after: None,
            details: None,
        }
    }
}

impl ApiError {
    /// The code's error, with a message that tells the facts of this case (which IE, how many
    /// registers) where the code's own message would be vaguer.
    pub fn because(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        let mut error = Self::from(code);
        if let Self::Client { message: m, .. } = &mut error {
            *m = message.into();
        }
        error
    }

    /// 400 for a body or query that is not the expected shape, saying what failed.
    pub fn invalid_body(message: impl Into<Cow<'static, str>>) -> Self {
        Self::because(ErrorCode::InvalidBody, message)
    }

    /// 422 with a message per field.
    pub fn validation(fields: FieldErrors) -> Self {
        Self::from(ErrorCode::ValidationFailed).with_fields(fields)
    }

    /// 422 for one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::validation(FieldErrors::from([(field.to_owned(), message.into())]))
    }

    /// 404 naming what was not found, in Spanish (e.g. "la IE").
    pub fn not_found(what: &str) -> Self {
        Self::because(ErrorCode::NotFound, format!("No se encontró {what}."))
    }

    /// 403: authenticated, but outside the caller's role or jurisdiction.
    pub fn forbidden() -> Self {
        ErrorCode::Forbidden.into()
    }

    /// Adds per-field messages.
    pub fn with_fields(mut self, new_fields: FieldErrors) -> Self {
        if let Self::Client { fields, .. } = &mut self {
            *fields = Some(new_fields);
        }
        self
    }

    /// Adds a `Retry-After` header.
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        if let Self::Client { retry_after, .. } = &mut self {
            *retry_after = Some(seconds);
        }
        self
    }

    /// Adds machine-readable detail under `error.details`.
    pub fn with_details(mut self, value: serde_json::Value) -> Self {
        if let Self::Client { details, .. } = &mut self {
            *details = Some(value);
        }
        self
    }

    /// The machine-readable detail of a client error (`error.details`), when it has one.
    pub fn details(&self) -> Option<&serde_json::Value> {
        match self {
            Self::Client { details, .. } => details.as_ref(),
            Self::Internal(_) => None,
        }
    }

    /// The code of a client error.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Client { code, .. } => Some(*code),
            Self::Internal(_) => None,
        }
    }

    /// The status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Client { code, .. } => code.status(),
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// Collects field errors while parsing a request into domain values.
#[derive(Default)]
pub struct Fields(FieldErrors);

impl Fields {
    /// Records the error of `result` under `field`, returning the value when valid.
    pub fn check<T>(&mut self, field: &str, result: std::result::Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) => {
                self.0.entry(field.to_owned()).or_insert(message);
                None
            }
        }
    }

    /// Records the errors of a full name under `fields` (paternal, maternal, given), returning
    /// the name when all three parts are valid.
    pub fn name(
        &mut self,
        fields: [&str; 3],
        result: std::result::Result<FullName, Vec<(NamePart, String)>>,
    ) -> Option<FullName> {
        match result {
            Ok(name) => Some(name),
            Err(errors) => {
                for (part, message) in errors {
                    self.add(fields[part.index()], message);
                }
                None
            }
        }
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_owned())
            .or_insert_with(|| message.into());
    }

    /// 422 with every collected message, or nothing.
    pub fn finish(self) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.0))
        }
    }
}

/// The JSON error shape.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong, for a machine (`code`) and for a person (`message`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable snake_case code.
    pub code: ErrorCode,
    /// Spanish text for a person.
    pub message: String,
    /// Field name → message, when the error is about specific fields.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<FieldErrors>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::Client {
                code,
                message,
                fields,
                retry_after,
                details,
            } => {
                let status = code.status();
                let body = ErrorBody {
                    error: ErrorDetail {
                        code,
                        message: message.into_owned(),
                        fields,
                        details,
                    },
                };
                let mut response = (status, Json(body)).into_response();
                if let Some(seconds) = retry_after {
                    response
                        .headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
                }
                response
            }
            Self::Internal(error) => {
                // A database error that reached here wrapped (through a job or a library) is
                // still an outage, not a fault of the request.
                if error
                    .chain()
                    .filter_map(|cause| cause.downcast_ref::<DbErr>())
                    .any(connection_lost)
                {
                    tracing::warn!(
                        error = format!("{error:#}"),
                        "the database cannot be reached"
                    );
                    return database_unavailable().into_response();
                }
                tracing::error!(error = format!("{error:#}"), "request failed");
                internal_error_response()
            }
        }
    }
}

/// The generic 500 answer; the cause stays in the log.
pub fn internal_error_response() -> Response {
    error_response(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::InternalError)
}

/// The JSON answer of a code under another status: for the 4xx a layer answered in plain text.
pub fn error_response(status: StatusCode, code: ErrorCode) -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code,
            message: code.message().to_owned(),
            fields: None,
            details: None,
        },
    };
    (status, Json(body)).into_response()
}

/// 503 while the database cannot be reached: the tablet keeps its queue and tries later.
pub fn database_unavailable() -> ApiError {
    ApiError::from(ErrorCode::ServiceUnavailable).with_retry_after(30)
}

/// Whether the database went away (or could not be reached) rather than refused the statement:
/// no connection to be had, one lost in flight (a closed socket, a server shutting down or
/// restarting), or a pool closed under the request.
fn connection_lost(error: &DbErr) -> bool {
    use sea_orm::{RuntimeErr, sqlx::Error as Sqlx};
    let runtime = match error {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return true,
        DbErr::Exec(runtime) | DbErr::Query(runtime) => runtime,
        _ => return false,
    };
    let RuntimeErr::SqlxError(sqlx) = runtime else {
        return false;
    };
    match sqlx.as_ref() {
        Sqlx::Io(_) | Sqlx::PoolTimedOut | Sqlx::PoolClosed | Sqlx::WorkerCrashed => true,
        // PostgreSQL's connection exceptions (08…) and its shutdowns (57P01–57P03).
        Sqlx::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03")
        }),
        _ => false,
    }
}

impl From<DbErr> for ApiError {
    fn from(error: DbErr) -> Self {
        if connection_lost(&error) {
            tracing::warn!(error = %error, "the database cannot be reached");
            return database_unavailable();
        }
        match error.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(message)) => {
                code::unique_violation(&message).into()
            }
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => ErrorCode::InvalidReference.into(),
            _ => Self::Internal(anyhow::Error::new(error)),
        }
    }
}

impl From<TransactionError<ApiError>> for ApiError {
    fn from(error: TransactionError<ApiError>) -> Self {
        match error {
            TransactionError::Connection(db) => db.into(),
            TransactionError::Transaction(api) => api,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use sea_orm::{RuntimeErr, sqlx};

    use super::*;

    fn status_of(error: DbErr) -> (StatusCode, bool) {
        let response = ApiError::from(error).into_response();
        (
            response.status(),
            response.headers().contains_key(header::RETRY_AFTER),
        )
    }

    fn sqlx(error: sqlx::Error) -> DbErr {
        DbErr::Exec(RuntimeErr::SqlxError(Arc::new(error)))
    }

    #[test]
    fn a_connection_lost_in_flight_is_a_503_to_retry_never_a_500() {
        let lost = [
            sqlx(sqlx::Error::Io(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "connection reset by peer",
            ))),
            sqlx(sqlx::Error::PoolClosed),
            sqlx(sqlx::Error::PoolTimedOut),
            DbErr::Query(RuntimeErr::SqlxError(Arc::new(sqlx::Error::WorkerCrashed))),
        ];
        for error in lost {
            assert_eq!(status_of(error), (StatusCode::SERVICE_UNAVAILABLE, true));
        }
        // Wrapped on its way (a job, a library), it is still an outage.
        let wrapped = ApiError::Internal(
            anyhow::Error::new(sqlx(sqlx::Error::PoolClosed)).context("while issuing"),
        );
        assert_eq!(
            wrapped.into_response().status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        // A statement the database refused is not.
        assert_eq!(
            status_of(sqlx(sqlx::Error::RowNotFound)).0,
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}
