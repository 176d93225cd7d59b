//! Every error code the API answers, with its HTTP status and its message for a person.
//!
//! A code is a promise to clients (the tablet app branches on `session_revoked`,
//! `batch_too_large`, …): it is named here once, documented in the OpenAPI document as the
//! `ErrorCode` schema, and never spelled as a string anywhere else.

use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident = ($code:literal, $status:ident, $message:literal),)*) => {
        /// A stable, machine-readable error code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode {
            // The variants' notes stay in this file: with a description each, the document would
            // describe the codes one by one instead of as one list.
            // Each variant's name is its code in snake_case (a unit test holds them together).
            $($variant,)*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The snake_case code clients read.
            pub const fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $code,)* }
            }

            /// The HTTP status the code is answered with.
            pub const fn status(self) -> StatusCode {
                match self { $(Self::$variant => StatusCode::$status,)* }
            }

            /// The Spanish message a person reads.
            pub const fn message(self) -> &'static str {
                match self { $(Self::$variant => $message,)* }
            }
        }
    };
}

error_codes! {
    // 400: the request is not the expected shape.
    /// A body that is not valid JSON or not the expected shape.
    InvalidBody = ("invalid_body", BAD_REQUEST, "La solicitud no tiene la forma esperada."),
    /// Query parameters that are not valid.
    InvalidQuery = ("invalid_query", BAD_REQUEST, "Los parámetros de la consulta no son válidos."),
    /// A query parameter the endpoint does not take (named in the message and `error.details.parameter`).
    UnknownQueryParameter = ("unknown_query_parameter", BAD_REQUEST, "La consulta tiene un parámetro que este recurso no admite."),
    /// A NUL or another control character in the path, query or body.
    ControlCharacters = ("control_characters", BAD_REQUEST, "La solicitud contiene caracteres de control no permitidos (por ejemplo, el carácter nulo o los que invierten la dirección del texto)."),
    /// A password-reset link that is unknown, spent or expired.
    InvalidResetToken = ("invalid_reset_token", BAD_REQUEST, "El enlace no es válido, ya se usó o venció. Solicite uno nuevo."),
    /// Any other malformed request a layer refused.
    BadRequest = ("bad_request", BAD_REQUEST, "La solicitud no es válida."),

    // 401: who is calling is not established.
    Unauthenticated = ("unauthenticated", UNAUTHORIZED, "Inicie sesión para continuar."),
    InvalidToken = ("invalid_token", UNAUTHORIZED, "El token de acceso no es válido. Inicie sesión nuevamente."),
    TokenExpired = ("token_expired", UNAUTHORIZED, "La sesión expiró. Renueve el token de acceso."),
    /// The session was ended (logout, password change, a revoked tablet) or the account is no longer active.
    SessionRevoked = ("session_revoked", UNAUTHORIZED, "Su sesión fue revocada o su cuenta ya no está activa. Inicie sesión nuevamente."),
    InvalidCredentials = ("invalid_credentials", UNAUTHORIZED, "Usuario o contraseña incorrectos."),

    // 403: known caller, outside its role or jurisdiction.
    Forbidden = ("forbidden", FORBIDDEN, "No tiene permiso para realizar esta acción en esta unidad."),
    PasswordChangeRequired = ("password_change_required", FORBIDDEN, "Debe cambiar su contraseña temporal antes de continuar."),
    DeviceOtherSchool = ("device_other_school", FORBIDDEN, "Esta tableta está registrada en otra IE. Pida a su director que la dé de baja allí antes de usarla."),
    DeviceRevoked = ("device_revoked", FORBIDDEN, "Esta tableta fue dada de baja por la dirección de la IE."),
    DeviceMismatch = ("device_mismatch", FORBIDDEN, "El lote indica una tableta distinta de aquella con la que se inició la sesión."),
    PronoeiCannotCreateUsers = ("pronoei_cannot_create_users", FORBIDDEN, "Los coordinadores de PRONOEI no pueden asignar usuarios adicionales (guía de altas, Director IE f)."),
    NotSoleManager = ("not_sole_manager", FORBIDDEN, "La cuenta tiene cargos o registros en unidades que usted no administra: su titular recupera la contraseña con el enlace que llega a su correo confirmado, o el Administrador SIAGIE la restablece."),

    // 404, 405, 408.
    /// It does not exist, or it is outside the caller's reach.
    NotFound = ("not_found", NOT_FOUND, "No se encontró lo solicitado."),
    MethodNotAllowed = ("method_not_allowed", METHOD_NOT_ALLOWED, "Esta ruta no admite el método usado."),
    RequestTimeout = ("request_timeout", REQUEST_TIMEOUT, "La solicitud tardó demasiado. Intente nuevamente."),

    // 409: a rule about the current state.
    /// A unique rule no more specific code names.
    AlreadyExists = ("already_exists", CONFLICT, "Ya existe un registro con esos datos."),
    SchoolExists = ("school_exists", CONFLICT, "Ya existe una IE con ese código modular y anexo."),
    YearExists = ("year_exists", CONFLICT, "Ese año académico ya existe."),
    SectionExists = ("section_exists", CONFLICT, "Esa sección ya existe para el grado y año indicados."),
    AlreadyEnrolled = ("already_enrolled", CONFLICT, "El estudiante ya está matriculado en esta sección."),
    EnrolledElsewhere = ("enrolled_elsewhere", CONFLICT, "El estudiante ya está matriculado en otra sección este año."),
    AreaExists = ("area_exists", CONFLICT, "Ya existe un área con ese código para el nivel y el año de inicio."),
    AlreadyAssigned = ("already_assigned", CONFLICT, "La persona ya tiene ese cargo en esa unidad."),
    AssignmentEnded = ("assignment_ended", CONFLICT, "La asignación ya había terminado."),
    LastAdministrator = ("last_administrator", CONFLICT, "Es el único Administrador SIAGIE activo: cree otro antes de darlo de baja."),
    OwnAppointment = ("own_appointment", FORBIDDEN, "Nadie aprueba su propia designación: la decide otra persona de la unidad o de la unidad superior."),
    RequestDecided = ("request_decided", CONFLICT, "La solicitud ya fue atendida."),
    UsernameUnavailable = ("username_unavailable", CONFLICT, "No se pudo asignar un nombre de usuario."),
    UseEmailReset = ("use_email_reset", CONFLICT, "La cuenta tiene un correo confirmado por su titular: el usuario debe recuperar su contraseña con el enlace que se le envía por correo."),
    /// No code waits for the caller's e-mail: none was asked for, it expired, it was used or its attempts ran out.
    EmailCodeExpired = ("email_code_expired", CONFLICT, "No hay un código vigente para confirmar su correo: solicite uno nuevo."),
    /// The month's register is closed: it changes only through an exceptional modification.
    RegisterClosed = ("register_closed", CONFLICT, "El registro del mes está cerrado: solicite una modificación excepcional a la UGEL."),
    RegisterIncomplete = ("register_incomplete", CONFLICT, "El registro no está completo: faltan celdas de días académicos."),
    RegisterNotClosed = ("register_not_closed", CONFLICT, "Solo se solicita modificación de un registro cerrado."),
    /// A request for the same person, role and unit waits for its decision.
    RequestPending = ("request_pending", CONFLICT, "Ya hay una solicitud pendiente para esa persona, ese cargo y esa unidad: espere su decisión."),
    ModificationPending = ("modification_pending", CONFLICT, "Ya hay una solicitud de modificación en curso para este registro."),
    ModificationDecided = ("modification_decided", CONFLICT, "La solicitud ya tiene opinión."),
    OpinionRequired = ("opinion_required", CONFLICT, "La modificación requiere antes la opinión favorable del especialista del nivel."),
    /// The acta of the section is closed: it changes only through an exceptional modification.
    ActaClosed = ("acta_closed", CONFLICT, "El acta de evaluación está cerrada: solicite una modificación excepcional a la UGEL."),
    /// Students without a grade in some area or without a final situation, under `error.details`.
    ActaIncomplete = ("acta_incomplete", CONFLICT, "El acta no está completa: faltan calificaciones o situaciones finales."),
    /// A recuperación is recorded for a student of an acta that is not closed yet.
    RecoveryActaOpen = ("recovery_acta_open", CONFLICT, "La recuperación se registra sobre el acta cerrada: cierre primero el acta de la sección."),
    /// A student's recuperación was recorded already and the acta is not under modification.
    RecoveryRecorded = ("recovery_recorded", CONFLICT, "La recuperación de este estudiante ya está registrada: se corrige con una modificación excepcional del acta."),
    ActaNotClosed = ("acta_not_closed", CONFLICT, "Solo se solicita modificación de un acta cerrada."),
    /// A regularization is asked for a section with enrollments made after its year ended.
    NothingToRegularize = ("nothing_to_regularize", CONFLICT, "La sección no tiene matrículas registradas después del fin de su año académico: no hay nada que regularizar."),
    /// The acta is approved as closed.
    RegularizationActaOpen = ("regularization_acta_open", CONFLICT, "Cierre primero el acta de la sección: la regularización se aprueba sobre el acta cerrada."),
    RegularizationPending = ("regularization_pending", CONFLICT, "Ya hay una solicitud de regularización en curso o aprobada para esta sección."),
    RegularizationDecided = ("regularization_decided", CONFLICT, "La solicitud de regularización ya fue decidida."),
    /// A year's set of curricular areas is fixed once it has grades.
    CurriculumFixed = ("curriculum_fixed", CONFLICT, "Ya hay calificaciones registradas con esas áreas curriculares: el plan de ese año no se puede cambiar."),
    /// A page's form would overwrite what someone else wrote after the page loaded.
    ChangedSinceLoaded = ("changed_since_loaded", CONFLICT, "Mientras editaba, alguien más cambió lo que iba a guardar: revise lo que figura ahora y vuelva a guardar."),
    BatchIdReused = ("batch_id_reused", CONFLICT, "Ese identificador de lote ya se usó con otras marcas: envíe las marcas nuevas en un lote con otro identificador."),
    // Help desk
    /// The ticket's state does not allow the step (e.g. resolving a closed ticket).
    TicketStateConflict = ("ticket_state_conflict", CONFLICT, "El estado actual del ticket no admite esa acción."),
    /// A ticket is rated once.
    TicketAlreadyRated = ("ticket_already_rated", CONFLICT, "El ticket ya fue calificado."),
    /// A resolved ticket is reopened only within the days the help desk allows.
    ReopenWindowOver = ("reopen_window_over", CONFLICT, "Ya pasó el plazo para reabrir el ticket: registre un ticket nuevo."),
    /// Round-robin found nobody available at the ticket's stage.
    TooManyToSortByDeadline = ("too_many_to_sort_by_deadline", BAD_REQUEST, "Hay demasiados tickets abiertos para ordenarlos por vencimiento o mostrar los vencidos: filtre por nivel, estado, tema o UGEL."),
    NoAgentAvailable = ("no_agent_available", CONFLICT, "Nadie que atienda este nivel está disponible ahora: asigne el ticket a una persona o tómelo usted."),

    /// A teacher grading an area it is not assigned in the section.
    AreaNotAssigned = ("area_not_assigned", FORBIDDEN, "No tiene asignada esa área curricular en la sección."),

    // 413, 415.
    PayloadTooLarge = ("payload_too_large", PAYLOAD_TOO_LARGE, "El contenido enviado supera el tamaño permitido."),
    UriTooLong = ("uri_too_long", URI_TOO_LONG, "La dirección solicitada es demasiado larga."),
    InvalidIdempotencyKey = ("invalid_idempotency_key", BAD_REQUEST, "La cabecera Idempotency-Key no es válida."),
    /// The first request with the key is still running: retry in a moment.
    IdempotencyInProgress = ("idempotency_in_progress", CONFLICT, "Una solicitud con la misma clave Idempotency-Key aún se está procesando. Intente nuevamente en un momento."),
    IdempotencyKeyReused = ("idempotency_key_reused", UNPROCESSABLE_ENTITY, "La clave Idempotency-Key ya se usó con otra solicitud: use una clave nueva para cada operación."),
    HeadersTooLarge = ("headers_too_large", REQUEST_HEADER_FIELDS_TOO_LARGE, "Las cabeceras de la solicitud son demasiado grandes."),
    BatchTooLarge = ("batch_too_large", PAYLOAD_TOO_LARGE, "El lote es demasiado grande: envíe hasta 1000 marcas y 1 MiB por lote."),
    RosterTooLarge = ("roster_too_large", PAYLOAD_TOO_LARGE, "La nómina supera el número de estudiantes que admite un archivo."),
    UnsupportedMediaType = ("unsupported_media_type", UNSUPPORTED_MEDIA_TYPE, "El tipo de contenido no es el esperado (por ejemplo, JSON o un formulario multipart)."),

    // 422: values that break a rule.
    /// A message per field under `error.fields`.
    ValidationFailed = ("validation_failed", UNPROCESSABLE_ENTITY, "Algunos datos no son válidos. Revise los campos indicados."),
    InvalidReference = ("invalid_reference", UNPROCESSABLE_ENTITY, "Uno de los registros referidos no existe."),
    /// Cells of the web register that cannot be recorded, each under `error.details`.
    InvalidCells = ("invalid_cells", UNPROCESSABLE_ENTITY, "Algunas celdas no se pueden registrar; no se guardó ninguna."),
    /// Rows of a roster that cannot be registered, each under `error.details`.
    RosterInvalid = ("roster_invalid", UNPROCESSABLE_ENTITY, "La nómina tiene filas con errores; no se registró ningún estudiante. Corrija las filas indicadas y vuelva a enviarla."),

    /// An article whose text holds a DNI, a phone number or an e-mail address, each field under `error.fields`.
    PersonalDataInArticle = ("personal_data_in_article", UNPROCESSABLE_ENTITY, "El artículo contiene datos personales (DNI, teléfono o correo): quítelos o reemplácelos por [DNI], [teléfono] o [correo]."),

    /// Grades that cannot be recorded, each under `error.details`.
    InvalidGrades = ("invalid_grades", UNPROCESSABLE_ENTITY, "Algunas calificaciones no se pueden registrar; no se guardó ninguna."),
    /// Rows of a grades file that cannot be recorded, each under `error.details`.
    GradesFileInvalid = ("grades_file_invalid", UNPROCESSABLE_ENTITY, "El archivo de calificaciones tiene filas con errores; no se registró ninguna calificación. Corrija las filas indicadas y vuelva a enviarlo."),

    // 429, 500, 503.
    TooManyAttempts = ("too_many_attempts", TOO_MANY_REQUESTS, "Demasiados intentos fallidos. Intente nuevamente más tarde."),
    CodeRecentlySent = ("code_recently_sent", TOO_MANY_REQUESTS, "Se le envió un código hace menos de un minuto: revise su correo o espere un momento para pedir otro."),
    ServerBusy = ("server_busy", TOO_MANY_REQUESTS, "El servidor está atendiendo muchos inicios de sesión a la vez. Intente nuevamente en unos segundos."),
    InternalError = ("internal_error", INTERNAL_SERVER_ERROR, "Ocurrió un error interno. Intente nuevamente en unos minutos."),
    ServiceUnavailable = ("service_unavailable", SERVICE_UNAVAILABLE, "El servicio no está disponible en este momento. Intente nuevamente en unos minutos; sus datos no se perdieron."),

    // Certificates (Mi Certificado).
    /// No student has that DNI or código de estudiante (or none in the caller's IE).
    CertificateStudentNotFound = ("certificate_student_not_found", UNPROCESSABLE_ENTITY, "No se encontró un estudiante con ese documento."),
    /// A typed-in year with fewer than 4 curricular areas, at issuance.
    TooFewAreas = ("too_few_areas", UNPROCESSABLE_ENTITY, "Cada año registrado necesita al menos 4 áreas curriculares antes de emitir el certificado."),
    /// A grade outside its scale, each under `error.fields`.
    GradeOutOfScale = ("grade_out_of_scale", UNPROCESSABLE_ENTITY, "Hay notas fuera de su escala: de 0 a 20 en la vigesimal, AD, A, B o C en la literal."),
    /// A certificate that lacks grades of its level (the grades missing under `error.details`).
    CertificateIncomplete = ("certificate_incomplete", UNPROCESSABLE_ENTITY, "El certificado no cubre todos los grados del nivel: registre los que faltan antes de emitirlo."),
    /// A certificate with no year at all.
    CertificateWithoutYears = ("certificate_without_years", UNPROCESSABLE_ENTITY, "El certificado no tiene ningún año con notas: registre al menos un año."),
    /// A year typed in that the closed actas already give.
    YearFromActas = ("year_from_actas", CONFLICT, "Ese año ya tiene notas en actas cerradas del SIAGIE: no se registra a mano."),
    /// The student already holds a valid certificate of that level (one per student and level).
    CertificateAlreadyValid = ("certificate_already_valid", CONFLICT, "El estudiante ya tiene un certificado vigente de ese nivel: corríjalo o anúlelo antes de emitir otro."),
    /// Annulling or correcting a certificate that is no longer valid.
    CertificateNotValid = ("certificate_not_valid", CONFLICT, "El certificado ya fue anulado o reemplazado."),
    /// Too many verifications from one client address.
    TooManyVerifications = ("too_many_verifications", TOO_MANY_REQUESTS, "Demasiadas consultas desde esta dirección. Intente nuevamente en un minuto."),
    /// Too many public requests from one address or for one student.
    TooManyCertificateRequests = ("too_many_certificate_requests", TOO_MANY_REQUESTS, "Se recibieron demasiadas solicitudes. Intente nuevamente más tarde."),
    /// A certificate download link that is unknown or already used.
    InvalidDownloadLink = ("invalid_download_link", NOT_FOUND, "El enlace de descarga no es válido o ya se usó. Pida uno nuevo con el documento y la fecha de nacimiento del estudiante y el correo de la solicitud, o a la IE."),
    /// Resending a download link of a request that is not public and issued, or whose certificate is no longer valid.
    NoLinkToResend = ("no_link_to_resend", CONFLICT, "Solo se reenvía el enlace de una solicitud pública atendida cuyo certificado está vigente."),
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A unique rule of the schema and the code that names its violation. PostgreSQL names the
/// constraint; SQLite names the table and columns instead.
struct UniqueRule {
    postgres: &'static str,
    sqlite: &'static str,
    code: ErrorCode,
}

const UNIQUE_RULES: &[UniqueRule] = &[
    UniqueRule {
        postgres: "ix_school_codigo_modular_anexo",
        sqlite: "school.codigo_modular, school.anexo",
        code: ErrorCode::SchoolExists,
    },
    UniqueRule {
        postgres: "academic_year_year_key",
        sqlite: "academic_year.year",
        code: ErrorCode::YearExists,
    },
    UniqueRule {
        postgres: "ix_section_school_id_academic_year_id_grade_id_name",
        sqlite: "section.school_id, section.academic_year_id, section.grade_id, section.name",
        code: ErrorCode::SectionExists,
    },
    UniqueRule {
        postgres: "ix_curricular_area_level_code_from_year",
        sqlite: "curricular_area.level, curricular_area.code, curricular_area.from_year",
        code: ErrorCode::AreaExists,
    },
    UniqueRule {
        postgres: "ix_teacher_section_section_id_person_id",
        sqlite: "teacher_section.section_id, teacher_section.person_id",
        code: ErrorCode::AlreadyAssigned,
    },
    UniqueRule {
        postgres: "ix_provisioning_request_pending",
        sqlite: "index 'ix_provisioning_request_pending'",
        code: ErrorCode::RequestPending,
    },
    UniqueRule {
        postgres: "ix_certificate_valid_student_id_level",
        sqlite: "certificate.student_id, certificate.level",
        code: ErrorCode::CertificateAlreadyValid,
    },
];

/// The code for a unique violation, from the database's message: the specific rule's code, or
/// `already_exists`.
pub fn unique_violation(message: &str) -> ErrorCode {
    UNIQUE_RULES
        .iter()
        .find(|rule| {
            message.contains(&format!("\"{}\"", rule.postgres))
                || message
                    .split_once("UNIQUE constraint failed: ")
                    .is_some_and(|(_, columns)| columns.trim_end() == rule.sqlite)
        })
        .map_or(ErrorCode::AlreadyExists, |rule| rule.code)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_code_is_snake_case_unique_and_has_a_spanish_sentence() {
        let mut seen = HashSet::new();
        for code in ErrorCode::ALL {
            let text = code.as_str();
            assert!(seen.insert(text), "{text} twice");
            assert!(
                text.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{text}"
            );
            assert!(code.status().is_client_error() || code.status().is_server_error());
            assert!(code.message().ends_with('.'), "{text}: {}", code.message());
            assert_eq!(serde_json::to_value(code).unwrap(), serde_json::json!(text));
        }
    }

    #[test]
    fn a_unique_violation_is_named_by_its_constraint_on_either_database() {
        let postgres = "error returned from database: duplicate key value violates unique constraint \"ix_section_school_id_academic_year_id_grade_id_name\"";
        assert_eq!(unique_violation(postgres), ErrorCode::SectionExists);
        let sqlite = "error returned from database: (code: 2067) UNIQUE constraint failed: school.codigo_modular, school.anexo";
        assert_eq!(unique_violation(sqlite), ErrorCode::SchoolExists);
        let sqlite_prefix = "UNIQUE constraint failed: section.school_id";
        assert_eq!(unique_violation(sqlite_prefix), ErrorCode::AlreadyExists);
        assert_eq!(
            unique_violation("UNIQUE constraint failed: certificate.student_id, certificate.level"),
            ErrorCode::CertificateAlreadyValid
        );
        assert_eq!(
            unique_violation(
                "error returned from database: (code: 2067) UNIQUE constraint failed: index 'ix_provisioning_request_pending'"
            ),
            ErrorCode::RequestPending
        );
        assert_eq!(
            unique_violation("duplicate key value violates unique constraint \"other\""),
            ErrorCode::AlreadyExists
        );
    }
}
