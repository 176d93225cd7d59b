//! A certificate that stops being valid: annulled, with a reason and the category the status
//! list publishes, or corrected, replaced by a new certificate issued in the same transaction.
//! Both stay verifiable and show why.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use entity::{
    certificate::{self, CertificateStatus},
    certificate_request::{self, RequestOrigin, RequestStatus},
    certificate_year,
};

use super::{
    Certificates, access,
    issue::{IssuedView, find, issue_in, view},
    requests::{self, SavedYears},
    standing::Revoked,
};
use crate::{
    auth::principal::Principal,
    error::{ApiError, ErrorCode, Result},
    record::{AuditAction, Change, Event, record},
    time::now,
};

/// Why a certificate stopped being valid, as the published status list tells it (the issuer's
/// own words stay with the issuer and the certificate's page).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatusCategory {
    /// Issued by mistake (to another student, or when it should not have been).
    ErrorDeEmision,
    /// Its data or grades are wrong.
    DatosIncorrectos,
    /// Issued twice.
    Duplicado,
    /// Obtained or used fraudulently.
    Fraude,
    /// Replaced by a corrected certificate.
    Correccion,
    /// Any other reason.
    Otro,
}

impl StatusCategory {
    /// The category of a certificate that no longer stands, as the status list publishes it.
    pub fn of(revoked: &Revoked) -> Self {
        match (&revoked.status_category, revoked.status) {
            (Some(code), _) => Self::from_code(code),
            (None, CertificateStatus::Superseded) => Self::Correccion,
            (None, _) => Self::Otro,
        }
    }

    /// The code stored and published.
    pub fn code(self) -> &'static str {
        match self {
            Self::ErrorDeEmision => "error_de_emision",
            Self::DatosIncorrectos => "datos_incorrectos",
            Self::Duplicado => "duplicado",
            Self::Fraude => "fraude",
            Self::Correccion => "correccion",
            Self::Otro => "otro",
        }
    }

    /// Reads a stored code; an unknown one is `otro`.
    pub fn from_code(code: &str) -> Self {
        [
            Self::ErrorDeEmision,
            Self::DatosIncorrectos,
            Self::Duplicado,
            Self::Fraude,
            Self::Correccion,
        ]
        .into_iter()
        .find(|c| c.code() == code)
        .unwrap_or(Self::Otro)
    }

    /// In Spanish, for a page.
    pub fn label(self) -> &'static str {
        match self {
            Self::ErrorDeEmision => "Emitido por error",
            Self::DatosIncorrectos => "Datos o notas incorrectos",
            Self::Duplicado => "Emitido dos veces",
            Self::Fraude => "Uso u obtención fraudulenta",
            Self::Correccion => "Reemplazado por un certificado corregido",
            Self::Otro => "Otro motivo",
        }
    }
}

/// An annulment: why, in the issuer's words, and its category (`otro` when absent).
#[derive(Debug, Deserialize, ToSchema)]
pub struct Annulment {
    pub reason: String,
    /// `error_de_emision`, `datos_incorrectos`, `duplicado`, `fraude` or `otro`.
    pub category: Option<StatusCategory>,
}

/// A correction: the typed-in years and observations of the new certificate (those of the
/// old one when absent) and why.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Correction {
    pub reason: String,
    pub years: Option<SavedYears>,
}

fn reason_text(reason: &str) -> Result<String> {
    let reason = reason.split_whitespace().collect::<Vec<_>>().join(" ");
    if !crate::domain::said(&reason) || reason.chars().count() > 500 {
        return Err(ApiError::field(
            "reason",
            "Indique el motivo (hasta 500 caracteres).",
        ));
    }
    Ok(reason)
}

/// Annuls a valid certificate, with a reason; it stays verifiable and shows as annulled.
pub async fn annul(
    db: &DatabaseConnection,
    service: &Certificates,
    p: &Principal,
    id: i64,
    annulment: Annulment,
) -> Result<IssuedView> {
    let c = find(db, id).await?;
    let scope = access::issuer(db, p, c.school_id).await?;
    let reason = reason_text(&annulment.reason)?;
    let category = match annulment.category {
        Some(StatusCategory::Correccion) => {
            return Err(ApiError::field(
                "category",
                "Un certificado se reemplaza con «corregir», no se anula con esa categoría.",
            ));
        }
        Some(category) => category,
        None => StatusCategory::Otro,
    };
    let at = now();
    let txn = crate::db::begin(db).await?;
    let changed = certificate::Entity::update_many()
        .col_expr(
            certificate::Column::Status,
            Expr::value(CertificateStatus::Annulled),
        )
        .col_expr(
            certificate::Column::AnnulReason,
            Expr::value(reason.clone()),
        )
        .col_expr(
            certificate::Column::StatusCategory,
            Expr::value(category.code()),
        )
        .col_expr(certificate::Column::StatusChangedAt, Expr::value(at))
        .filter(certificate::Column::Id.eq(c.id))
        .filter(certificate::Column::Status.eq(CertificateStatus::Valid))
        .exec(&txn)
        .await?;
    if changed.rows_affected != 1 {
        return Err(ErrorCode::CertificateNotValid.into());
    }
    record(
        &txn,
        Change::Certificate {
            event: Some(
                Event::new(AuditAction::CertificateAnnulled, c.id)
                    .by(p.user_id)
                    .in_unit(scope.target)
                    .after(&serde_json::json!({"reason": reason, "category": category.code()})),
            ),
            mail: Vec::new(),
        },
    )
    .await?;
    txn.commit().await?;
    // Before the answer: from now on this server's verifications say it is annulled.
    service.standing.note(Revoked {
        id: c.id,
        virtual_code: c.virtual_code.clone(),
        status: CertificateStatus::Annulled,
        status_changed_at: Some(at),
        status_category: Some(category.code().to_owned()),
        annul_reason: Some(reason),
        superseded_by: None,
    });
    view(db, service, find(db, id).await?).await
}

/// Corrects a valid certificate: a new request copies the old one's (with the corrected typed
/// years when given), a new certificate is issued and the old one shows as superseded by it —
/// one transaction; both stay verifiable.
pub async fn correct(
    db: &DatabaseConnection,
    service: &Certificates,
    p: &Principal,
    id: i64,
    correction: Correction,
) -> Result<IssuedView> {
    let old = find(db, id).await?;
    let scope = access::issuer(db, p, old.school_id).await?;
    if old.status != CertificateStatus::Valid {
        return Err(ErrorCode::CertificateNotValid.into());
    }
    let reason = reason_text(&correction.reason)?;
    let old_request = requests::find(db, old.request_id).await?;
    let txn = crate::db::begin(db).await?;
    let mut copy: certificate_request::ActiveModel = old_request.clone().into();
    copy.id = sea_orm::ActiveValue::NotSet;
    copy.status = Set(RequestStatus::Pending);
    copy.origin = Set(RequestOrigin::Direct);
    copy.created_by = Set(Some(p.user_id));
    copy.created_at = Set(now());
    copy.decided_by = Set(None);
    copy.decided_at = Set(None);
    copy.certificate_id = Set(None);
    copy.reject_reason = Set(None);
    copy.requester_email = Set(None);
    copy.download_token_hash = Set(None);
    copy.download_used_at = Set(None);
    copy.number = Set(None);
    let new_request = copy.insert(&txn).await?;
    match correction.years {
        Some(years) => {
            requests::store_years(
                &txn,
                p,
                new_request.clone(),
                scope.school.level,
                &years.years,
                &years.observations,
            )
            .await?;
        }
        None => {
            let rows = certificate_year::Entity::find()
                .filter(certificate_year::Column::RequestId.eq(old_request.id))
                .all(&txn)
                .await?;
            for row in rows {
                let mut year: certificate_year::ActiveModel = row.into();
                year.id = sea_orm::ActiveValue::NotSet;
                year.request_id = Set(new_request.id);
                year.insert(&txn).await?;
            }
        }
    }
    let new_request = requests::find(&txn, new_request.id).await?;
    // The old one stops being valid before the new one is written: one valid certificate per
    // student and level, at every statement.
    let at = now();
    let changed = certificate::Entity::update_many()
        .col_expr(
            certificate::Column::Status,
            Expr::value(CertificateStatus::Superseded),
        )
        .col_expr(
            certificate::Column::StatusCategory,
            Expr::value(StatusCategory::Correccion.code()),
        )
        .col_expr(
            certificate::Column::AnnulReason,
            Expr::value(reason.clone()),
        )
        .col_expr(certificate::Column::StatusChangedAt, Expr::value(at))
        .filter(certificate::Column::Id.eq(old.id))
        .filter(certificate::Column::Status.eq(CertificateStatus::Valid))
        .exec(&txn)
        .await?;
    if changed.rows_affected != 1 {
        return Err(ErrorCode::CertificateNotValid.into());
    }
    let new = issue_in(&txn, service, p, &scope, &new_request, Some(&old)).await?;
    certificate::Entity::update_many()
        .col_expr(certificate::Column::SupersededBy, Expr::value(new.id))
        .filter(certificate::Column::Id.eq(old.id))
        .exec(&txn)
        .await?;
    record(
        &txn,
        Change::Certificate {
            event: Some(
                Event::new(AuditAction::CertificateSuperseded, old.id)
                    .by(p.user_id)
                    .in_unit(scope.target)
                    .after(
                        &serde_json::json!({"superseded_by": new.virtual_code, "reason": reason}),
                    ),
            ),
            mail: Vec::new(),
        },
    )
    .await?;
    txn.commit().await?;
    // Before the answer: from now on this server's verifications say it was replaced.
    service.standing.note(Revoked {
        id: old.id,
        virtual_code: old.virtual_code.clone(),
        status: CertificateStatus::Superseded,
        status_changed_at: Some(at),
        status_category: Some(StatusCategory::Correccion.code().to_owned()),
        annul_reason: Some(reason),
        superseded_by: Some(new.virtual_code.clone()),
    });
    view(db, service, new).await
}
