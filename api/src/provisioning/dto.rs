//! Shapes of the provisioning API.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use entity::provisioning_request;

use crate::auth::Role;

/// A request, as its requester and its authority see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestView {
    pub id: i64,
    /// `alta` or `baja`.
    pub kind: String,
    pub role: String,
    pub role_name: String,
    pub dre_id: Option<i64>,
    pub ugel_id: Option<i64>,
    pub school_id: Option<i64>,
    pub level: Option<String>,
    pub dni: String,
    pub paternal_surname: Option<String>,
    pub maternal_surname: Option<String>,
    pub given_names: Option<String>,
    pub email: Option<String>,
    pub assignment_id: Option<i64>,
    pub resolution_number: Option<String>,
    pub resolution_date: Option<NaiveDate>,
    pub has_resolution_file: bool,
    pub reason: Option<String>,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    pub requested_by: i64,
    pub requested_at: DateTime<Utc>,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_reason: Option<String>,
    pub result_user_id: Option<i64>,
}

impl From<provisioning_request::Model> for RequestView {
    fn from(m: provisioning_request::Model) -> Self {
        Self {
            role_name: Role::parse(&m.role)
                .map(|r| r.label().to_owned())
                .unwrap_or_default(),
            id: m.id,
            kind: sea_orm::ActiveEnum::to_value(&m.kind),
            role: m.role,
            dre_id: m.dre_id,
            ugel_id: m.ugel_id,
            school_id: m.school_id,
            level: m.level.map(|l| l.code().to_owned()),
            dni: m.dni,
            paternal_surname: m.paternal_surname,
            maternal_surname: m.maternal_surname,
            given_names: m.given_names,
            email: m.email,
            assignment_id: m.assignment_id,
            resolution_number: m.resolution_number,
            resolution_date: m.resolution_date,
            has_resolution_file: m.resolution_file.is_some(),
            reason: m.reason,
            status: sea_orm::ActiveEnum::to_value(&m.status),
            requested_by: m.requested_by,
            requested_at: m.requested_at,
            decided_by: m.decided_by,
            decided_at: m.decided_at,
            decision_reason: m.decision_reason,
            result_user_id: m.result_user_id,
        }
    }
}

/// The fields of a new request, sent as `multipart/form-data`, plus a file part `resolution`
/// (the RD: PDF, JPEG or PNG, up to 5 MiB) where the role requires it.
#[derive(Debug, Default, ToSchema)]
pub struct NewRequestForm {
    /// `alta` or `baja`.
    pub kind: String,
    /// For an alta: the role to give.
    pub role: Option<String>,
    pub dre_id: Option<i64>,
    pub ugel_id: Option<i64>,
    pub school_id: Option<i64>,
    /// For the Especialista del nivel.
    pub level: Option<String>,
    pub dni: Option<String>,
    pub paternal_surname: Option<String>,
    pub maternal_surname: Option<String>,
    pub given_names: Option<String>,
    pub email: Option<String>,
    pub cell_phone: Option<String>,
    /// For a baja: the assignment to end.
    pub assignment_id: Option<i64>,
    /// Número de la resolución de designación.
    pub resolution_number: Option<String>,
    pub resolution_date: Option<NaiveDate>,
    /// Free text: the oficio's reference, the reason of a baja.
    pub reason: Option<String>,
}

/// Credentials of a new account: shown once, to whoever approved its creation.
#[derive(Debug, Serialize, ToSchema)]
pub struct Credentials {
    pub username: String,
    /// Temporary: it must be changed at the first login.
    pub temporary_password: String,
}

/// The answer to an approval.
#[derive(Debug, Serialize, ToSchema)]
pub struct Decision {
    pub request: RequestView,
    /// Present only when a new account was created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credentials: Option<Credentials>,
    /// Why a new account came without credentials, in Spanish.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<&'static str>,
}

/// `POST /provisioning/requests/{id}/reject` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Rejection {
    pub reason: String,
}

/// `POST /schools/{id}/users` body: give a role to someone registered as staff of the IE.
#[derive(Debug, Deserialize, ToSchema)]
pub struct StaffAccount {
    pub person_id: i64,
    /// `deputy_director`, `secretary`, `teacher`, `assistant` or `administrative`.
    pub role: String,
}
