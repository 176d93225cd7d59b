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

/// The result of anything a request can reach.
pub type Result<T, E = ApiError> = std::result::Result<T, E>;

/// Field name → Spanish message.
pub type FieldErrors = BTreeMap<String, String>;

/// An error answered to the client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A 4xx with a stable code and a message for a person.
    #[error("{code}: {message}")]
    Client {
        status: StatusCode,
        code: &'static str,
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

impl ApiError {
    /// A client error with a status, a code and a message.
    pub fn new(
        status: StatusCode,
        code: &'static str,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::Client {
            status,
            code,
            message: message.into(),
            fields: None,
            retry_after: None,
            details: None,
        }
    }

    /// 400 for a body or query that is not the expected shape.
    pub fn invalid_body(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_body", message)
    }

    /// 422 with a message per field.
    pub fn validation(fields: FieldErrors) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "Algunos datos no son válidos. Revise los campos indicados.",
        )
        .with_fields(fields)
    }

    /// 422 for one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::validation(FieldErrors::from([(field.to_owned(), message.into())]))
    }

    /// 404 naming what was not found, in Spanish (e.g. "la IE").
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("No se encontró {what}."),
        )
    }

    /// 403: authenticated, but outside the caller's role or jurisdiction.
    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "No tiene permiso para realizar esta acción en esta unidad.",
        )
    }

    /// 409 for a rule about the current state.
    pub fn conflict(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// 401 with a code the tablet understands.
    pub fn unauthorized(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }

    /// Adds per-field messages.
    pub fn with_fields(mut self, new_fields: FieldErrors) -> Self {
        if let Self::Client { fields, .. } = &mut self {
            *fields = Some(new_fields);
        }
        self
    }

    /// Replaces the code of a client error.
    pub fn with_code(mut self, new_code: &'static str) -> Self {
        if let Self::Client { code, .. } = &mut self {
            *code = new_code;
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

    /// The status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Client { status, .. } => *status,
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
    pub code: String,
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
                status,
                code,
                message,
                fields,
                retry_after,
                details,
            } => {
                let body = ErrorBody {
                    error: ErrorDetail {
                        code: code.into(),
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
                tracing::error!(error = format!("{error:#}"), "request failed");
                internal_error_response()
            }
        }
    }
}

/// The generic 500 answer; the cause stays in the log.
pub fn internal_error_response() -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code: "internal_error".into(),
            message: "Ocurrió un error interno. Intente nuevamente en unos minutos.".into(),
            fields: None,
            details: None,
        },
    };
    (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response()
}

/// 503 while the database cannot be reached: the tablet keeps its queue and tries later.
pub fn database_unavailable() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "service_unavailable",
        "El servicio no está disponible en este momento. Intente nuevamente en unos minutos; sus datos no se perdieron.",
    )
    .with_retry_after(30)
}

impl From<DbErr> for ApiError {
    fn from(error: DbErr) -> Self {
        if matches!(error, DbErr::ConnectionAcquire(_) | DbErr::Conn(_)) {
            tracing::warn!(error = %error, "the database cannot be reached");
            return database_unavailable();
        }
        match error.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                Self::conflict("already_exists", "Ya existe un registro con esos datos.")
            }
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_reference",
                "Uno de los registros referidos no existe.",
            ),
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
