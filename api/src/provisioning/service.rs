//! Rules of altas y bajas: who may ask, who decides, what a request must carry, and what an
//! approval changes (all in one transaction).

use chrono::{DateTime, NaiveDate, Utc};
use rand::RngExt;
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use entity::{
    person, provisioning_request, role_assignment, school, school_staff, ugel, user_account,
    vocabulary::{RequestKind, RequestStatus},
};

use super::{
    dto::{Credentials, NewRequestForm, StaffAccount},
    files::Upload,
};
use crate::error::ErrorCode;
use crate::{
    auth::{
        Principal, Role, Target, password,
        policy::{
            Unit, UnitKind, provisioning_authority, requires_email, requires_resolution,
            single_holder,
        },
        service::{Sessions, revoke_sessions, store_password},
    },
    domain::{CellPhone, Dni, Email, FullName, Level},
    error::{ApiError, Result},
    http::PageParams,
    record::{AuditAction, Change, Event, record},
    registry::school_scope,
    state::AppState,
    time::{LIMA, now},
};

/// A form carrying only the ids of a unit, to look the unit up.
fn unit_ids(
    dre_id: Option<i64>,
    ugel_id: Option<i64>,
    school_id: Option<i64>,
    level: Option<String>,
) -> NewRequestForm {
    NewRequestForm {
        dre_id,
        ugel_id,
        school_id,
        level,
        ..Default::default()
    }
}

/// Where a role is held, checked to exist.
struct UnitRef {
    dre_id: Option<i64>,
    ugel_id: Option<i64>,
    school: Option<school::Model>,
    level: Option<Level>,
    target: Target,
}

async fn unit_for(db: &impl ConnectionTrait, role: Role, form: &NewRequestForm) -> Result<UnitRef> {
    let missing =
        |field: &str, what: &str| ApiError::field(field, format!("Indique {what} del cargo."));
    match role.unit_kind() {
        UnitKind::Minedu => Ok(UnitRef {
            dre_id: None,
            ugel_id: None,
            school: None,
            level: None,
            target: Target::national(),
        }),
        UnitKind::Dre => {
            let dre_id = form.dre_id.ok_or_else(|| missing("dre_id", "la DRE"))?;
            entity::dre::Entity::find_by_id(dre_id)
                .one(db)
                .await?
                .ok_or_else(|| ApiError::field("dre_id", "La DRE no existe."))?;
            Ok(UnitRef {
                dre_id: Some(dre_id),
                ugel_id: None,
                school: None,
                level: None,
                target: Target::dre(dre_id),
            })
        }
        UnitKind::Ugel => {
            let ugel_id = form.ugel_id.ok_or_else(|| missing("ugel_id", "la UGEL"))?;
            let ugel = ugel::Entity::find_by_id(ugel_id)
                .one(db)
                .await?
                .ok_or_else(|| ApiError::field("ugel_id", "La UGEL no existe."))?;
            let level = match (role, form.level.as_deref()) {
                (Role::LevelSpecialist, Some(level)) => {
                    Some(Level::parse(level).map_err(|m| ApiError::field("level", m))?)
                }
                (Role::LevelSpecialist, None) => {
                    return Err(missing("level", "el nivel educativo"));
                }
                _ => None,
            };
            Ok(UnitRef {
                dre_id: None,
                ugel_id: Some(ugel_id),
                school: None,
                level,
                target: Target::ugel(ugel.id, ugel.dre_id),
            })
        }
        UnitKind::School => {
            let school_id = form
                .school_id
                .ok_or_else(|| missing("school_id", "la IE"))?;
            let scope = school_scope(db, school_id)
                .await
                .map_err(|_| ApiError::field("school_id", "La IE no existe."))?;
            Ok(UnitRef {
                dre_id: None,
                ugel_id: None,
                target: scope.target,
                school: Some(scope.school),
                level: None,
            })
        }
    }
}

/// Whether the caller may file a request for `role` in the unit: the staff of an IE only through
/// its director (never a PRONOEI coordinator); other roles through the deciding authority or
/// anyone holding a MINEDU, DRE or UGEL role over the unit (who registers the oficio).
fn check_requester(principal: &Principal, role: Role, unit: &UnitRef) -> Result<()> {
    let authority = provisioning_authority(role);
    if authority == Role::Director {
        if !principal.holds(Role::Director, &unit.target) {
            return Err(ApiError::forbidden());
        }
        if unit.school.as_ref().is_some_and(|s| s.is_pronoei) {
            return Err(ApiError::from(ErrorCode::PronoeiCannotCreateUsers));
        }
        return Ok(());
    }
    let oversees = principal.assignments.iter().any(|a| {
        a.role.unit_kind() != UnitKind::School
            && a.role != Role::HelpdeskAgent
            && a.covers(&unit.target, &[])
    });
    if principal.holds(authority, &unit.target) || oversees {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

fn required(field: &str, value: Option<&str>) -> Result<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| ApiError::field(field, "Este campo es obligatorio."))
}

/// Files a request. For an alta the form carries the person and, where seed 002 asks for it, the
/// designation resolution; for a baja, the assignment to end and the reason.
pub async fn create(
    state: &AppState,
    principal: &Principal,
    form: NewRequestForm,
    upload: Option<Upload>,
) -> Result<provisioning_request::Model> {
    let db = &state.db;
    let at = now();
    let mut row = provisioning_request::ActiveModel {
        status: Set(RequestStatus::Pending),
        requested_by: Set(principal.user_id),
        requested_at: Set(at),
        reason: Set(form
            .reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_owned)),
        ..Default::default()
    };
    let target = match form.kind.trim() {
        "alta" => {
            let role = Role::parse(&required("role", form.role.as_deref())?)
                .ok_or_else(|| ApiError::field("role", "El cargo solicitado no existe."))?;
            if role == Role::MineduAdmin {
                return Err(ApiError::field(
                    "role",
                    "Los administradores se crean con la tarea de administración del servidor.",
                ));
            }
            let unit = unit_for(db, role, &form).await?;
            check_requester(principal, role, &unit)?;

            let mut fields = crate::error::Fields::default();
            let dni = fields.check("dni", Dni::parse(form.dni.as_deref().unwrap_or_default()));
            let name = fields.name(
                FullName::FIELDS,
                FullName::parse(
                    form.paternal_surname.as_deref().unwrap_or_default(),
                    form.maternal_surname.as_deref().unwrap_or_default(),
                    form.given_names.as_deref().unwrap_or_default(),
                ),
            );
            let email = match form
                .email
                .as_deref()
                .map(str::trim)
                .filter(|e| !e.is_empty())
            {
                Some(e) => fields.check("email", Email::parse(e)),
                None if requires_email(role) => fields.check(
                    "email",
                    Err("El correo electrónico es obligatorio para este cargo.".into()),
                ),
                None => None,
            };
            let phone = form
                .cell_phone
                .as_deref()
                .filter(|p| !p.trim().is_empty())
                .and_then(|p| fields.check("cell_phone", CellPhone::parse(p)));
            if requires_resolution(role) {
                if form
                    .resolution_number
                    .as_deref()
                    .is_none_or(|n| n.trim().is_empty())
                {
                    fields.add(
                        "resolution_number",
                        "Indique el número de la resolución de designación (RD).",
                    );
                }
                match form.resolution_date {
                    None => fields.add(
                        "resolution_date",
                        "Indique la fecha de la resolución de designación.",
                    ),
                    Some(d) if d > at.with_timezone(&LIMA).date_naive() => fields.add(
                        "resolution_date",
                        "La fecha de la resolución no puede ser futura.",
                    ),
                    Some(_) => {}
                }
                if upload.is_none() {
                    fields.add(
                        "resolution",
                        "Adjunte la resolución de designación (RD) en PDF, JPG o PNG.",
                    );
                }
            }
            fields.finish()?;
            let (Some(dni), Some(name)) = (dni, name) else {
                unreachable!("checked above")
            };
            if provisioning_authority(role) == Role::Director {
                let registered = school_staff::Entity::find()
                    .filter(school_staff::Column::SchoolId.eq(unit.target.school_id))
                    .filter(school_staff::Column::Active.eq(true))
                    .filter(
                        school_staff::Column::PersonId.in_subquery(
                            sea_orm::sea_query::Query::select()
                                .column(person::Column::Id)
                                .from(person::Entity)
                                .and_where(person::Column::Dni.eq(dni.as_str()))
                                .to_owned(),
                        ),
                    )
                    .one(db)
                    .await?;
                if registered.is_none() {
                    return Err(ApiError::field(
                        "dni",
                        "La persona no está registrada como personal de la IE: regístrela primero.",
                    ));
                }
            }
            // An existing person is confirmed by its names, as when it is registered as staff.
            if let Some(existing) = person::Entity::find()
                .filter(person::Column::Dni.eq(dni.as_str()))
                .one(db)
                .await?
            {
                crate::registry::confirm_person(&existing, &name)?;
            }
            row.kind = Set(RequestKind::Alta);
            row.role = Set(role.code().into());
            row.dre_id = Set(unit.dre_id);
            row.ugel_id = Set(unit.ugel_id);
            row.school_id = Set(unit.school.as_ref().map(|s| s.id));
            row.level = Set(unit.level.map(|l| l.code().to_owned()));
            row.dni = Set(dni.as_str().to_owned());
            row.paternal_surname = Set(Some(name.paternal.into_inner()));
            row.maternal_surname = Set(Some(name.maternal.into_inner()));
            row.given_names = Set(Some(name.given.into_inner()));
            row.email = Set(email.map(Email::into_inner));
            row.cell_phone = Set(phone.map(CellPhone::into_inner));
            row.resolution_number = Set(form.resolution_number.map(|n| n.trim().to_owned()));
            row.resolution_date = Set(form.resolution_date);
            unit.target
        }
        "baja" => {
            let assignment_id = form.assignment_id.ok_or_else(|| {
                ApiError::field("assignment_id", "Indique la asignación que termina.")
            })?;
            let assignment = role_assignment::Entity::find_by_id(assignment_id)
                .filter(role_assignment::Column::Active.eq(true))
                .one(db)
                .await?
                .ok_or_else(|| {
                    ApiError::field("assignment_id", "La asignación no existe o ya terminó.")
                })?;
            let role = Role::parse(&assignment.role)
                .ok_or_else(|| ApiError::field("assignment_id", "Cargo desconocido."))?;
            let probe = unit_ids(
                assignment.dre_id,
                assignment.ugel_id,
                assignment.school_id,
                assignment.level.clone(),
            );
            let unit = unit_for(db, role, &probe).await?;
            if !(role == Role::Director && principal.holds(Role::Director, &unit.target)) {
                check_requester(principal, role, &unit)?;
            }
            if row.reason.as_ref().is_none() {
                return Err(ApiError::field("reason", "Indique el motivo de la baja."));
            }
            let account = user_account::Entity::find_by_id(assignment.user_id)
                .one(db)
                .await?
                .ok_or_else(|| ApiError::not_found("la cuenta"))?;
            let holder = person::Entity::find_by_id(account.person_id)
                .one(db)
                .await?
                .ok_or_else(|| ApiError::not_found("la persona"))?;
            row.kind = Set(RequestKind::Baja);
            row.role = Set(assignment.role.clone());
            row.dre_id = Set(assignment.dre_id);
            row.ugel_id = Set(assignment.ugel_id);
            row.school_id = Set(assignment.school_id);
            row.level = Set(assignment.level.clone());
            row.dni = Set(holder.dni);
            row.assignment_id = Set(Some(assignment.id));
            unit.target
        }
        _ => {
            return Err(ApiError::field(
                "kind",
                "El tipo de solicitud debe ser «alta» o «baja».",
            ));
        }
    };

    let stored = match &upload {
        Some(upload) => Some(upload.store(&state.config.storage.data_dir).await?),
        None => None,
    };
    if let (Some(upload), Some(path)) = (&upload, &stored) {
        row.resolution_file = Set(Some(path.clone()));
        row.resolution_file_name = Set(Some(upload.name.clone()));
        row.resolution_sha256 = Set(Some(upload.sha256()));
    }
    let result = async {
        let txn = crate::db::begin(db).await?;
        let created = row.insert(&txn).await?;
        record(
            &txn,
            Change::Audited(
                Event::new(AuditAction::ProvisioningRequested, created.id)
                    .by(principal.user_id)
                    .in_unit(target)
                    .after(&created),
            ),
        )
        .await?;
        txn.commit().await?;
        Ok::<_, ApiError>(created)
    }
    .await;
    if result.is_err()
        && let Some(path) = stored
    {
        let _ = tokio::fs::remove_file(state.config.storage.data_dir.join(path)).await;
    }
    result
}

/// The unit a stored request is about.
async fn request_target(
    db: &impl ConnectionTrait,
    request: &provisioning_request::Model,
) -> Result<Target> {
    let role = Role::parse(&request.role).ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!("unknown role in request {}", request.id))
    })?;
    let probe = unit_ids(
        request.dre_id,
        request.ugel_id,
        request.school_id,
        request.level.clone(),
    );
    Ok(unit_for(db, role, &probe).await?.target)
}

/// Whether the caller decides this request.
pub async fn is_authority(
    db: &impl ConnectionTrait,
    principal: &Principal,
    request: &provisioning_request::Model,
) -> Result<bool> {
    let Some(role) = Role::parse(&request.role) else {
        return Ok(false);
    };
    let target = request_target(db, request).await?;
    Ok(principal.holds(provisioning_authority(role), &target))
}

async fn load_pending(
    db: &impl ConnectionTrait,
    principal: &Principal,
    id: i64,
) -> Result<(provisioning_request::Model, Target)> {
    let request = provisioning_request::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("la solicitud"))?;
    if !is_authority(db, principal, &request).await? {
        return Err(if request.requested_by == principal.user_id {
            ApiError::forbidden()
        } else {
            ApiError::not_found("la solicitud")
        });
    }
    if request.status != RequestStatus::Pending {
        return Err(ApiError::from(ErrorCode::RequestDecided));
    }
    let target = request_target(db, &request).await?;
    Ok((request, target))
}

/// A random temporary password: 12 characters from an unambiguous alphabet, with a digit.
fn temporary_password() -> String {
    const LETTERS: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ";
    const DIGITS: &[u8] = b"23456789";
    let mut rng = rand::rng();
    let mut out: String = (0..9)
        .map(|_| LETTERS[rng.random_range(0..LETTERS.len())] as char)
        .collect();
    out.push('-');
    out.extend((0..2).map(|_| DIGITS[rng.random_range(0..DIGITS.len())] as char));
    out
}

/// Approves a request: for an alta, creates the person and account when new (credentials are
/// returned once) and the assignment, ending the previous holder where a unit has one; for a
/// baja, ends the assignment. Everything in one transaction.
pub async fn approve(
    db: &DatabaseConnection,
    auth: &crate::config::AuthConfig,
    principal: &Principal,
    id: i64,
) -> Result<(
    provisioning_request::Model,
    Option<Credentials>,
    Option<&'static str>,
)> {
    let (request, target) = load_pending(db, principal, id).await?;
    let at = now();
    let mut credentials = None;
    let mut notice = None;
    let txn = crate::db::begin(db).await?;
    let mut decided: provisioning_request::ActiveModel = request.clone().into();
    if request.kind == RequestKind::Baja {
        let assignment_id = request.assignment_id.unwrap_or_default();
        let assignment = role_assignment::Entity::find_by_id(assignment_id)
            .filter(role_assignment::Column::Active.eq(true))
            .one(&txn)
            .await?
            .ok_or_else(|| ApiError::from(ErrorCode::AssignmentEnded))?;
        end_assignment(&txn, principal, assignment, target, at).await?;
    } else {
        let hash_for_new_account = {
            let existing = person::Entity::find()
                .filter(person::Column::Dni.eq(&request.dni))
                .one(&txn)
                .await?;
            match &existing {
                Some(p)
                    if user_account::Entity::find()
                        .filter(user_account::Column::PersonId.eq(p.id))
                        .one(&txn)
                        .await?
                        .is_some() =>
                {
                    None
                }
                _ => {
                    let temporary = temporary_password();
                    let hash = password::hash(temporary.clone()).await?;
                    Some((temporary, hash))
                }
            }
        };
        let person = match person::Entity::find()
            .filter(person::Column::Dni.eq(&request.dni))
            .one(&txn)
            .await?
        {
            // An existing person keeps the names and contact data it has: only its owner changes
            // them (through `/me`), never an alta filed by someone else.
            Some(p) => p,
            None => {
                person::ActiveModel {
                    dni: Set(request.dni.clone()),
                    paternal_surname: Set(request.paternal_surname.clone().unwrap_or_default()),
                    maternal_surname: Set(request.maternal_surname.clone().unwrap_or_default()),
                    given_names: Set(request.given_names.clone().unwrap_or_default()),
                    email: Set(request.email.clone()),
                    cell_phone: Set(request.cell_phone.clone()),
                    created_at: Set(at),
                    ..Default::default()
                }
                .insert(&txn)
                .await?
            }
        };
        let account_existed = hash_for_new_account.is_none();
        let account = match (
            user_account::Entity::find()
                .filter(user_account::Column::PersonId.eq(person.id))
                .one(&txn)
                .await?,
            hash_for_new_account,
        ) {
            (Some(account), _) => account,
            (None, Some((temporary, hash))) => {
                let username = free_username(&txn, &request.dni).await?;
                let created = user_account::ActiveModel {
                    person_id: Set(person.id),
                    username: Set(username.clone()),
                    password_hash: Set(hash),
                    must_change_password: Set(true),
                    created_at: Set(at),
                    password_changed_at: Set(at),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
                record(
                    &txn,
                    Change::Audited(
                        Event::new(AuditAction::AccountCreated, created.id)
                            .by(principal.user_id)
                            .in_unit(target),
                    ),
                )
                .await?;
                // A person registered as staff where the approver has no say gets its password
                // from its own e-mail, never from the approver: else a director elsewhere could
                // open the account first and keep its password.
                let (_, unmanaged) = management(&txn, principal, person.id, &[]).await?;
                if unmanaged == 0 {
                    credentials = Some(Credentials {
                        username,
                        temporary_password: temporary,
                    });
                } else {
                    let unusable = password::hash(crate::auth::tokens::random_token(32)).await?;
                    let mut sealed: user_account::ActiveModel = created.clone().into();
                    sealed.password_hash = Set(unusable);
                    sealed.update(&txn).await?;
                    match &person.email {
                        Some(email) => {
                            crate::auth::reset::send_link(
                                &txn,
                                auth,
                                &created,
                                &person.given_names,
                                email,
                                at,
                            )
                            .await?;
                            notice = Some(
                                "La persona también está registrada en otra IE: su contraseña se define con el enlace enviado a su correo.",
                            );
                        }
                        None => {
                            notice = Some(
                                "La persona también está registrada en otra IE y no tiene correo: el Administrador SIAGIE debe restablecer su contraseña.",
                            );
                        }
                    }
                }
                created
            }
            (None, None) => {
                return Err(ApiError::Internal(anyhow::anyhow!(
                    "account vanished during approval"
                )));
            }
        };
        let already = role_assignment::Entity::find()
            .filter(role_assignment::Column::UserId.eq(account.id))
            .filter(role_assignment::Column::Role.eq(&request.role))
            .filter(role_assignment::Column::Active.eq(true))
            .filter(same_unit(&request))
            .one(&txn)
            .await?;
        let new_unit = account_existed
            && role_assignment::Entity::find()
                .filter(role_assignment::Column::UserId.eq(account.id))
                .filter(role_assignment::Column::Active.eq(true))
                .filter(same_place(&request))
                .one(&txn)
                .await?
                .is_none();
        if already.is_some() {
            return Err(ApiError::from(ErrorCode::AlreadyAssigned));
        }
        let role = Role::parse(&request.role).unwrap_or(Role::Teacher);
        if single_holder(role) {
            let holders = role_assignment::Entity::find()
                .filter(role_assignment::Column::Role.eq(&request.role))
                .filter(role_assignment::Column::Active.eq(true))
                .filter(same_unit(&request))
                .all(&txn)
                .await?;
            for holder in holders {
                end_assignment(&txn, principal, holder, target, at).await?;
            }
        }
        if let (UnitKind::School, Some(school_id)) = (role.unit_kind(), request.school_id) {
            ensure_staff(&txn, school_id, person.id, role, at).await?;
        }
        let assignment = role_assignment::ActiveModel {
            user_id: Set(account.id),
            role: Set(request.role.clone()),
            dre_id: Set(request.dre_id),
            ugel_id: Set(request.ugel_id),
            school_id: Set(request.school_id),
            level: Set(request.level.clone()),
            active: Set(true),
            starts_at: Set(at),
            ended_at: Set(None),
            resolution_number: Set(request.resolution_number.clone()),
            resolution_date: Set(request.resolution_date),
            request_id: Set(Some(request.id)),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        record(
            &txn,
            Change::Audited(
                Event::new(AuditAction::AssignmentCreated, assignment.id)
                    .by(principal.user_id)
                    .in_unit(target)
                    .after(&assignment),
            ),
        )
        .await?;
        if new_unit && let Some(to) = person.email.clone() {
            notify_new_assignment(&txn, principal, &person, &to, &request, at).await?;
        }
        decided.result_user_id = Set(Some(account.id));
        decided.result_assignment_id = Set(Some(assignment.id));
    }
    decided.status = Set(RequestStatus::Approved);
    decided.decided_by = Set(Some(principal.user_id));
    decided.decided_at = Set(Some(at));
    let decided = decided.update(&txn).await?;
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::ProvisioningApproved, id)
                .by(principal.user_id)
                .in_unit(target)
                .before(&request)
                .after(&decided),
        ),
    )
    .await?;
    notify_requester(&txn, &decided, true).await?;
    txn.commit().await?;
    Ok((decided, credentials, notice))
}

/// Rejects a request with a reason the requester will read.
pub async fn reject(
    db: &DatabaseConnection,
    principal: &Principal,
    id: i64,
    reason: &str,
) -> Result<provisioning_request::Model> {
    let (request, target) = load_pending(db, principal, id).await?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(ApiError::field(
            "reason",
            "Indique el motivo del rechazo (hasta 500 caracteres).",
        ));
    }
    let txn = crate::db::begin(db).await?;
    let mut decided: provisioning_request::ActiveModel = request.clone().into();
    decided.status = Set(RequestStatus::Rejected);
    decided.decided_by = Set(Some(principal.user_id));
    decided.decided_at = Set(Some(now()));
    decided.decision_reason = Set(Some(reason.to_owned()));
    let decided = decided.update(&txn).await?;
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::ProvisioningRejected, id)
                .by(principal.user_id)
                .in_unit(target)
                .before(&request)
                .after(&decided),
        ),
    )
    .await?;
    notify_requester(&txn, &decided, false).await?;
    txn.commit().await?;
    Ok(decided)
}

/// The requester learns the outcome by e-mail too, when it has an address.
async fn notify_requester(
    db: &impl ConnectionTrait,
    request: &provisioning_request::Model,
    approved: bool,
) -> Result<()> {
    let Some(account) = user_account::Entity::find_by_id(request.requested_by)
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let Some(requester) = person::Entity::find_by_id(account.person_id)
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let Some(to) = requester.email.clone() else {
        return Ok(());
    };
    let role = Role::parse(&request.role)
        .map(Role::label)
        .unwrap_or_default();
    // A baja carries only the DNI: its person is named from the registry.
    let named = match (&request.given_names, &request.paternal_surname) {
        (Some(given), Some(paternal)) => format!(
            "{given} {paternal} {}",
            request.maternal_surname.clone().unwrap_or_default()
        ),
        _ => person::Entity::find()
            .filter(person::Column::Dni.eq(&request.dni))
            .one(db)
            .await?
            .map(|p| {
                format!(
                    "{} {} {}",
                    p.given_names, p.paternal_surname, p.maternal_surname
                )
            })
            .unwrap_or_default(),
    };
    let person = format!("{named} (DNI {})", request.dni);
    let mail = jobs::templates::Mail::new(
        "provisioning_decision",
        &jobs::templates::context! {
            name => requester.given_names,
            kind => request.kind.clone(),
            approved => approved,
            role => role,
            person => person.split_whitespace().collect::<Vec<_>>().join(" "),
            reason => request.decision_reason.clone().unwrap_or_default(),
        },
    )
    .map_err(ApiError::Internal)?;
    jobs::outbox::enqueue(
        db,
        &to,
        mail,
        Some(format!("provisioning-decision-{}", request.id)),
        now(),
    )
    .await?;
    Ok(())
}

/// An account that gains a role in a unit where it had none is told by e-mail, so that a role
/// given without its knowledge does not go unnoticed.
async fn notify_new_assignment(
    db: &impl ConnectionTrait,
    principal: &Principal,
    person: &person::Model,
    to: &str,
    request: &provisioning_request::Model,
    at: DateTime<Utc>,
) -> Result<()> {
    let unit = match (request.school_id, request.ugel_id, request.dre_id) {
        (Some(id), _, _) => school::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|s| format!("{} ({}-{})", s.name, s.codigo_modular, s.anexo)),
        (None, Some(id), _) => ugel::Entity::find_by_id(id).one(db).await?.map(|u| u.name),
        (None, None, Some(id)) => entity::dre::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|d| d.name),
        (None, None, None) => Some("el Ministerio de Educación".to_owned()),
    }
    .unwrap_or_default();
    let by = person::Entity::find_by_id(principal.person_id)
        .one(db)
        .await?
        .map(|p| {
            format!(
                "{} {} {}",
                p.given_names, p.paternal_surname, p.maternal_surname
            )
        })
        .unwrap_or_default();
    let role = Role::parse(&request.role)
        .map(Role::label)
        .unwrap_or_default();
    let mail = jobs::templates::Mail::new(
        "assignment_added",
        &jobs::templates::context! {
            name => person.given_names.clone(),
            role => role,
            unit => unit,
            by => by,
            at => at.with_timezone(&LIMA).format("%d/%m/%Y %H:%M").to_string(),
        },
    )
    .map_err(ApiError::Internal)?;
    jobs::outbox::enqueue(
        db,
        to,
        mail,
        Some(format!("assignment-added-{}", request.id)),
        at,
    )
    .await?;
    Ok(())
}

/// Assignments held in the same unit as the request (any role): a DRE, a UGEL or an IE.
fn same_place(request: &provisioning_request::Model) -> Condition {
    let eq_or_null = |column: role_assignment::Column, value: Option<i64>| match value {
        Some(v) => Condition::all().add(column.eq(v)),
        None => Condition::all().add(column.is_null()),
    };
    Condition::all()
        .add(eq_or_null(role_assignment::Column::DreId, request.dre_id))
        .add(eq_or_null(role_assignment::Column::UgelId, request.ugel_id))
        .add(eq_or_null(
            role_assignment::Column::SchoolId,
            request.school_id,
        ))
}

fn same_unit(request: &provisioning_request::Model) -> Condition {
    let eq_or_null = |column: role_assignment::Column, value: Option<i64>| match value {
        Some(v) => Condition::all().add(column.eq(v)),
        None => Condition::all().add(column.is_null()),
    };
    let level = match &request.level {
        Some(l) => Condition::all().add(role_assignment::Column::Level.eq(l.clone())),
        None => Condition::all().add(role_assignment::Column::Level.is_null()),
    };
    Condition::all()
        .add(eq_or_null(role_assignment::Column::DreId, request.dre_id))
        .add(eq_or_null(role_assignment::Column::UgelId, request.ugel_id))
        .add(eq_or_null(
            role_assignment::Column::SchoolId,
            request.school_id,
        ))
        .add(level)
}

/// Ends an assignment (baja never deletes); an account left with no active assignment loses its
/// sessions at once.
async fn end_assignment(
    db: &impl ConnectionTrait,
    principal: &Principal,
    assignment: role_assignment::Model,
    target: Target,
    at: DateTime<Utc>,
) -> Result<()> {
    let mut ended: role_assignment::ActiveModel = assignment.clone().into();
    ended.active = Set(false);
    ended.ended_at = Set(Some(at));
    let ended = ended.update(db).await?;
    record(
        db,
        Change::Audited(
            Event::new(AuditAction::AssignmentEnded, assignment.id)
                .by(principal.user_id)
                .in_unit(target)
                .before(&assignment)
                .after(&ended),
        ),
    )
    .await?;
    let still_active = role_assignment::Entity::find()
        .filter(role_assignment::Column::UserId.eq(assignment.user_id))
        .filter(role_assignment::Column::Active.eq(true))
        .one(db)
        .await?;
    if still_active.is_none() {
        revoke_sessions(db, Sessions::User(assignment.user_id), at).await?;
    }
    Ok(())
}

async fn ensure_staff(
    db: &impl ConnectionTrait,
    school_id: i64,
    person_id: i64,
    role: Role,
    at: DateTime<Utc>,
) -> Result<()> {
    let existing = school_staff::Entity::find()
        .filter(school_staff::Column::SchoolId.eq(school_id))
        .filter(school_staff::Column::PersonId.eq(person_id))
        .one(db)
        .await?;
    match existing {
        Some(row) if row.active => {}
        Some(row) => {
            let mut active: school_staff::ActiveModel = row.into();
            active.active = Set(true);
            active.update(db).await?;
        }
        None => {
            school_staff::ActiveModel {
                school_id: Set(school_id),
                person_id: Set(person_id),
                position: Set(role.code().into()),
                active: Set(true),
                created_at: Set(at),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}

/// New accounts log in with their DNI; a taken name gets a suffix.
async fn free_username(db: &impl ConnectionTrait, dni: &str) -> Result<String> {
    for n in 0..100 {
        let candidate = if n == 0 {
            dni.to_owned()
        } else {
            format!("{dni}.{n}")
        };
        let taken = user_account::Entity::find()
            .filter(user_account::Column::Username.eq(&candidate))
            .one(db)
            .await?;
        if taken.is_none() {
            return Ok(candidate);
        }
    }
    Err(ApiError::from(ErrorCode::UsernameUnavailable))
}

/// A manager resets the password of an account without e-mail: it gets a temporary password,
/// shown once, that must be changed at the next login. Every session of the account ends.
pub async fn reset_by_manager(
    db: &DatabaseConnection,
    principal: &Principal,
    user_id: i64,
) -> Result<Credentials> {
    let account = user_account::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("la cuenta"))?;
    let holder = person::Entity::find_by_id(account.person_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("la persona"))?;
    let assignments = role_assignment::Entity::find()
        .filter(role_assignment::Column::UserId.eq(user_id))
        .filter(role_assignment::Column::Active.eq(true))
        .all(db)
        .await?;
    // A manager resets an account only if it manages every active assignment of it and every IE
    // where the person is registered as staff: otherwise a role given in one's own unit would
    // open an account that works elsewhere too.
    let (managed, unmanaged) = management(db, principal, holder.id, &assignments).await?;
    let Some(&target) = managed.first() else {
        return Err(ApiError::not_found("la cuenta"));
    };
    if unmanaged > 0 {
        return Err(ApiError::from(ErrorCode::NotSoleManager));
    }
    if holder.email.is_some() {
        return Err(ApiError::from(ErrorCode::UseEmailReset));
    }
    let temporary = temporary_password();
    let hash = password::hash(temporary.clone()).await?;
    let at = now();
    let txn = crate::db::begin(db).await?;
    let username = account.username.clone();
    store_password(&txn, account, hash, true, at).await?;
    revoke_sessions(&txn, Sessions::User(user_id), at).await?;
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::PasswordResetByManager, user_id)
                .by(principal.user_id)
                .in_unit(target),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(Credentials {
        username,
        temporary_password: temporary,
    })
}

/// Where the caller manages a person: the units of its active assignments that the caller
/// manages, and how many assignments and staff registrations (IEs) it does not. The MINEDU
/// administrator manages everything; an IE's staff registration is managed by its director and
/// the Especialista SIAGIE of its UGEL.
async fn management(
    db: &impl ConnectionTrait,
    principal: &Principal,
    person_id: i64,
    assignments: &[role_assignment::Model],
) -> Result<(Vec<Target>, usize)> {
    let national = principal.has_role(Role::MineduAdmin);
    let mut managed = Vec::new();
    let mut unmanaged = 0;
    for assignment in assignments {
        let role = Role::parse(&assignment.role);
        let probe = unit_ids(
            assignment.dre_id,
            assignment.ugel_id,
            assignment.school_id,
            assignment.level.clone(),
        );
        let target = match role {
            Some(role) => Some(unit_for(db, role, &probe).await?.target),
            None => None,
        };
        match (role, target) {
            (Some(role), Some(target))
                if national || principal.holds(provisioning_authority(role), &target) =>
            {
                managed.push(target)
            }
            _ => unmanaged += 1,
        }
    }
    for staff in school_staff::Entity::find()
        .filter(school_staff::Column::PersonId.eq(person_id))
        .filter(school_staff::Column::Active.eq(true))
        .all(db)
        .await?
    {
        let target = school_scope(db, staff.school_id).await?.target;
        // Registrations only restrict: whether the caller manages the account at all is a
        // matter of its roles.
        if !(national
            || principal.holds(Role::Director, &target)
            || principal.holds(Role::UgelSpecialist, &target))
        {
            unmanaged += 1;
        }
    }
    Ok((managed, unmanaged))
}

/// Parses a `YYYY-MM-DD` form field.
pub fn parse_form_date(field: &str, value: &str) -> Result<NaiveDate> {
    crate::time::parse_date(value).map_err(|m| ApiError::field(field, m))
}

/// The requests a caller filed or decides, newest first, with `status` if given: one page and the
/// whole count when paging is asked, the newest 500 otherwise.
pub async fn list(
    db: &DatabaseConnection,
    p: &Principal,
    status: Option<&str>,
    paging: Option<PageParams>,
) -> Result<(Option<u64>, Vec<provisioning_request::Model>)> {
    let mut query = provisioning_request::Entity::find().filter(visible_to(p));
    if let Some(status) = status {
        let status = RequestStatus::try_from_value(&status.to_owned()).map_err(|_| {
            ApiError::field("status", "El estado debe ser pending, approved o rejected.")
        })?;
        query = query.filter(provisioning_request::Column::Status.eq(status));
    }
    let query = query.order_by_desc(provisioning_request::Column::Id);
    match paging {
        Some(paging) => {
            let (page, per_page) = paging.resolve()?;
            let paginator = query.paginate(db, per_page);
            let total = paginator.num_items().await?;
            Ok((Some(total), paginator.fetch_page(page - 1).await?))
        }
        None => Ok((None, query.limit(500).all(db).await?)),
    }
}

/// Gives a role to a person registered as staff of the IE (its director; seed 004): an alta
/// filed and approved in one step.
pub async fn create_staff_account(
    state: &AppState,
    p: &Principal,
    school_id: i64,
    body: StaffAccount,
) -> Result<(
    provisioning_request::Model,
    Option<Credentials>,
    Option<&'static str>,
)> {
    let person = entity::person::Entity::find_by_id(body.person_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::field("person_id", "La persona no existe."))?;
    let role = Role::parse(&body.role)
        .filter(|r| r.unit_kind() == UnitKind::School && *r != Role::Director)
        .ok_or_else(|| ApiError::field("role", "El cargo debe ser uno del personal de la IE."))?;
    let form = NewRequestForm {
        kind: "alta".into(),
        role: Some(role.code().into()),
        school_id: Some(school_id),
        dni: Some(person.dni.clone()),
        paternal_surname: Some(person.paternal_surname.clone()),
        maternal_surname: Some(person.maternal_surname.clone()),
        given_names: Some(person.given_names.clone()),
        ..Default::default()
    };
    let request = create(state, p, form, None).await?;
    approve(&state.db, &state.config.auth, p, request.id).await
}

/// The requests a caller filed, plus those it decides.
fn visible_to(p: &Principal) -> Condition {
    let mut any = Condition::any().add(provisioning_request::Column::RequestedBy.eq(p.user_id));
    let staff: Vec<&str> = Role::ALL
        .iter()
        .filter(|r| r.unit_kind() == UnitKind::School && **r != Role::Director)
        .map(|r| r.code())
        .collect();
    for a in &p.assignments {
        match (a.role, a.unit) {
            (Role::MineduAdmin, _) => {
                any = any.add(provisioning_request::Column::SchoolId.is_null());
            }
            (Role::UgelSpecialist, Unit::Ugel { ugel_id, .. }) => {
                any = any.add(
                    Condition::all()
                        .add(provisioning_request::Column::Role.eq(Role::Director.code()))
                        .add(
                            provisioning_request::Column::SchoolId.in_subquery(
                                sea_orm::sea_query::Query::select()
                                    .column(school::Column::Id)
                                    .from(school::Entity)
                                    .and_where(school::Column::UgelId.eq(ugel_id))
                                    .to_owned(),
                            ),
                        ),
                );
            }
            (Role::Director, Unit::School { school_id, .. }) => {
                any = any.add(
                    Condition::all()
                        .add(provisioning_request::Column::Role.is_in(staff.clone()))
                        .add(provisioning_request::Column::SchoolId.eq(school_id)),
                );
            }
            _ => {}
        }
    }
    any
}

/// A request the caller filed or decides; any other is not found.
pub async fn visible_request(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
) -> Result<provisioning_request::Model> {
    let request = provisioning_request::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("la solicitud"))?;
    if request.requested_by == p.user_id || is_authority(db, p, &request).await? {
        Ok(request)
    } else {
        Err(ApiError::not_found("la solicitud"))
    }
}
