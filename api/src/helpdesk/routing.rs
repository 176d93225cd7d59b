//! "Report this problem": the error code of a failed operation picks the ticket's topic (when the
//! requester chose none, or «otros») and may make it urgent — one table, here, that docs/helpdesk.md
//! repeats — and the call that pre-fills the help form from an error answer.

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use entity::{helpdesk_article, helpdesk_topic, helpdesk_vocabulary::ArticleState, person, school};

use super::dto::{ReportProblem, ReportProblemQuery};
use crate::{
    auth::{Principal, policy::Unit},
    error::{ApiError, ErrorCode, Fields, Result},
};

/// Where a failed operation's error code sends its ticket: the topic's code and whether the
/// ticket is urgent (the service itself failed). Codes not named here leave the topic to the
/// requester.
#[rustfmt::skip]
pub const ROUTES: &[(ErrorCode, &str, bool)] = &[
    // Signing in, sessions and passwords: acceso y contraseña.
    (ErrorCode::InvalidCredentials, "acceso", false),
    (ErrorCode::TooManyAttempts, "acceso", false),
    (ErrorCode::SessionRevoked, "acceso", false),
    (ErrorCode::TokenExpired, "acceso", false),
    (ErrorCode::InvalidToken, "acceso", false),
    (ErrorCode::Unauthenticated, "acceso", false),
    (ErrorCode::PasswordChangeRequired, "acceso", false),
    (ErrorCode::InvalidResetToken, "acceso", false),
    (ErrorCode::UseEmailReset, "acceso", false),
    (ErrorCode::NotSoleManager, "acceso", false),
    (ErrorCode::ServerBusy, "acceso", false),
    // Enrolment and rosters: matrícula; a student enrolled in another IE: traslados.
    (ErrorCode::AlreadyEnrolled, "matricula", false),
    (ErrorCode::SectionExists, "matricula", false),
    (ErrorCode::RosterInvalid, "matricula", false),
    (ErrorCode::RosterTooLarge, "matricula", false),
    (ErrorCode::EnrolledElsewhere, "traslados", false),
    // The attendance register and the tablets that feed it: asistencia.
    (ErrorCode::RegisterClosed, "asistencia", false),
    (ErrorCode::RegisterIncomplete, "asistencia", false),
    (ErrorCode::RegisterNotClosed, "asistencia", false),
    (ErrorCode::InvalidCells, "asistencia", false),
    (ErrorCode::BatchIdReused, "asistencia", false),
    (ErrorCode::BatchTooLarge, "asistencia", false),
    (ErrorCode::DeviceOtherSchool, "asistencia", false),
    (ErrorCode::DeviceRevoked, "asistencia", false),
    (ErrorCode::DeviceMismatch, "asistencia", false),
    // Grades and actas: evaluación y actas.
    (ErrorCode::ActaClosed, "evaluacion", false),
    (ErrorCode::ActaIncomplete, "evaluacion", false),
    (ErrorCode::ActaNotClosed, "evaluacion", false),
    (ErrorCode::CurriculumFixed, "evaluacion", false),
    (ErrorCode::AreaNotAssigned, "evaluacion", false),
    (ErrorCode::AreaExists, "evaluacion", false),
    (ErrorCode::InvalidGrades, "evaluacion", false),
    (ErrorCode::GradesFileInvalid, "evaluacion", false),
    // Certificates (Mi Certificado): certificados.
    (ErrorCode::CertificateStudentNotFound, "certificados", false),
    (ErrorCode::TooFewAreas, "certificados", false),
    (ErrorCode::GradeOutOfScale, "certificados", false),
    (ErrorCode::CertificateWithoutYears, "certificados", false),
    (ErrorCode::YearFromActas, "certificados", false),
    (ErrorCode::CertificateNotValid, "certificados", false),
    (ErrorCode::TooManyCertificateRequests, "certificados", false),
    (ErrorCode::InvalidDownloadLink, "certificados", false),
    (ErrorCode::CertificateAlreadyValid, "certificados", false),
    (ErrorCode::CertificateIncomplete, "certificados", false),
    (ErrorCode::NoLinkToResend, "certificados", false),
    // Accounts of the IE's staff: altas y bajas.
    (ErrorCode::PronoeiCannotCreateUsers, "altas_bajas", false),
    (ErrorCode::RequestDecided, "altas_bajas", false),
    (ErrorCode::UsernameUnavailable, "altas_bajas", false),
    (ErrorCode::AlreadyAssigned, "altas_bajas", false),
    (ErrorCode::AssignmentEnded, "altas_bajas", false),
    // The service failed: whatever the topic, urgent.
    (ErrorCode::InternalError, "otros", true),
    (ErrorCode::ServiceUnavailable, "otros", true),
    (ErrorCode::RequestTimeout, "otros", true),
];

fn route(code: &str) -> Option<(ErrorCode, &'static str, bool)> {
    ROUTES.iter().copied().find(|(c, ..)| c.as_str() == code)
}

/// The topic an error code files its ticket under (`otros` is no choice: the requester's stays).
pub fn topic_for(code: &str) -> Option<&'static str> {
    route(code)
        .map(|(_, topic, _)| topic)
        .filter(|t| *t != "otros")
}

/// The error code of that name, if the product has one.
pub fn known(code: &str) -> Option<ErrorCode> {
    ErrorCode::ALL.iter().copied().find(|k| k.as_str() == code)
}

/// Whether an error code makes its ticket urgent.
pub fn urgent(code: &str) -> bool {
    route(code).is_some_and(|(_, _, urgent)| urgent)
}

/// The help form pre-filled for the caller from an error answer's code and request id: who they
/// are and their IE from the sign-in, the topic and urgency the code gives, a first line for the
/// comment, and published articles of that topic to read before filing.
pub async fn report_problem(
    db: &DatabaseConnection,
    p: &Principal,
    query: ReportProblemQuery,
) -> Result<ReportProblem> {
    let (known, request_id) = checked(&query)?;
    let topic_code = topic_for(known.as_str());
    let topic = match topic_code {
        Some(code) => {
            helpdesk_topic::Entity::find()
                .filter(helpdesk_topic::Column::Code.eq(code))
                .filter(helpdesk_topic::Column::Active.eq(true))
                .one(db)
                .await?
        }
        None => None,
    };
    let own_school = p.assignments.iter().find_map(|a| match a.unit {
        Unit::School { school_id, .. } => Some(school_id),
        _ => None,
    });
    let school = match own_school {
        Some(id) => school::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let me = entity::user_account::Entity::find_by_id(p.user_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("la cuenta"))?;
    let person = person::Entity::find_by_id(me.person_id).one(db).await?;
    let articles = match &topic {
        Some(t) => articles_of(db, t.id).await?,
        None => Vec::new(),
    };
    let reference = match &request_id {
        Some(id) => format!(" (código {known}, solicitud {id})"),
        None => format!(" (código {known})"),
    };
    Ok(ReportProblem {
        email: school
            .as_ref()
            .and_then(|s| s.email.clone())
            .or_else(|| person.as_ref().and_then(|p| p.email.clone())),
        codigo_modular: school.as_ref().map(|s| s.codigo_modular.clone()),
        cell_phone: person.and_then(|p| p.cell_phone),
        topic: topic.as_ref().map(|t| t.code.clone()),
        topic_name: topic.map(|t| t.name),
        error_code: known.as_str().to_owned(),
        request_id,
        error_message: known.message().to_owned(),
        comment: format!(
            "Al realizar una operación el sistema respondió: «{}»{reference}.",
            known.message().trim_end_matches('.')
        ),
        urgent: urgent(known.as_str()),
        articles,
    })
}

/// The error code and request id of a "Report this problem" link, checked: a known code is
/// required, the request id is optional.
fn checked(query: &ReportProblemQuery) -> Result<(ErrorCode, Option<String>)> {
    let mut fields = Fields::default();
    let error_code = fields.check(
        "error_code",
        super::rules::code(query.error_code.as_deref()),
    );
    let request_id = fields.check(
        "request_id",
        super::rules::code(query.request_id.as_deref()),
    );
    let known = match error_code.as_ref().and_then(Option::as_deref) {
        None => {
            fields.add("error_code", "Indique el código del error que recibió.");
            None
        }
        Some(c) => {
            let known = known(c);
            if known.is_none() {
                fields.add("error_code", "No es un código de error del SIAGIE.");
            }
            known
        }
    };
    fields.finish()?;
    let (Some(known), Some(request_id)) = (known, request_id) else {
        return Err(ErrorCode::ValidationFailed.into());
    };
    Ok((known, request_id))
}

/// The published articles of a topic, the most helpful first (five at most).
async fn articles_of(
    db: &DatabaseConnection,
    topic_id: i64,
) -> Result<Vec<super::dto::ArticleHit>> {
    Ok(helpdesk_article::Entity::find()
        .filter(helpdesk_article::Column::TopicId.eq(topic_id))
        .filter(helpdesk_article::Column::State.eq(ArticleState::Publicado))
        .order_by_desc(helpdesk_article::Column::Helpful)
        .order_by_asc(helpdesk_article::Column::Id)
        .limit(5)
        .all(db)
        .await?
        .into_iter()
        .map(|a| super::dto::ArticleHit {
            id: a.id,
            title: a.title,
            snippet: super::rules::subject(&a.problem),
            state: a.state,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_names_a_topic_of_the_catalogue_once() {
        let catalogue = [
            "acceso",
            "matricula",
            "asistencia",
            "evaluacion",
            "certificados",
            "traslados",
            "altas_bajas",
            "otros",
        ];
        let mut seen = std::collections::HashSet::new();
        for (code, topic, _) in ROUTES {
            assert!(catalogue.contains(topic), "{code}: {topic}");
            assert!(seen.insert(*code), "{code} twice");
        }
        assert_eq!(topic_for("invalid_credentials"), Some("acceso"));
        assert_eq!(topic_for("internal_error"), None);
        assert!(urgent("service_unavailable") && !urgent("acta_closed"));
    }
}
