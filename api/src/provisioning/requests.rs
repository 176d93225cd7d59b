//! Filing a request (alta or baja): who may ask for which role in which unit, what a request
//! must carry (names, document, e-mail, the resolution), and the requests a caller may read.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use entity::{
    person, provisioning_request, role_assignment, school_staff, user_account,
    vocabulary::{RequestKind, RequestStatus},
};

use super::{
    dto::NewRequestForm,
    files::Upload,
    notices::notify_deciders,
    units::{UnitRef, unit_for, unit_ids},
    visibility::visible_to,
};
use crate::error::ErrorCode;
use crate::{
    auth::{
        Principal, Role, Target,
        policy::{UnitKind, provisioning_authority, requires_email, requires_resolution},
    },
    domain::{CellPhone, Dni, Email, FullName},
    error::{ApiError, Result},
    http::PageParams,
    record::{AuditAction, Change, Event, record},
    state::AppState,
    time::{LIMA, now},
};

/// Whether the caller may file a request for `role` in the unit: the staff of an IE only through
/// its director (never a PRONOEI coordinator); other roles through the deciding authority or
/// anyone holding a MINEDU, DRE or UGEL role over the unit (who registers the oficio).
pub(super) fn check_requester(principal: &Principal, role: Role, unit: &UnitRef) -> Result<()> {
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

pub(super) fn required(field: &str, value: Option<&str>) -> Result<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| ApiError::field(field, "Este campo es obligatorio."))
}

/// Files a request. For an alta the form carries the person and, where docs/domain.md §2 asks for
/// it, the designation resolution; for a baja, the assignment to end and the reason.
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
    if form
        .reason
        .as_deref()
        .is_some_and(|r| r.trim().chars().count() > 500)
    {
        return Err(ApiError::field(
            "reason",
            "La referencia o el motivo admite hasta 500 caracteres.",
        ));
    }
    let target = match form.kind.trim() {
        "alta" => alta(db, principal, &form, upload.is_some(), at, &mut row).await?,
        "baja" => baja(db, principal, &form, &mut row).await?,
        _ => {
            return Err(ApiError::field(
                "kind",
                "El tipo de solicitud debe ser «alta» o «baja».",
            ));
        }
    };
    file(state, principal, row, target, upload).await
}

/// An alta's person, as its form names it, checked.
struct Person {
    dni: Dni,
    name: FullName,
    email: Option<Email>,
    phone: Option<CellPhone>,
}

/// Checks an alta (who may ask for the role in the unit, the person, the resolution) and writes
/// it on the request's row; answers the unit it is about.
async fn alta(
    db: &DatabaseConnection,
    principal: &Principal,
    form: &NewRequestForm,
    with_resolution: bool,
    at: DateTime<Utc>,
    row: &mut provisioning_request::ActiveModel,
) -> Result<Target> {
    let role = Role::parse(&required("role", form.role.as_deref())?)
        .ok_or_else(|| ApiError::field("role", "El cargo solicitado no existe."))?;
    if role == Role::MineduAdmin {
        return Err(ApiError::field(
            "role",
            "Los administradores se crean con la tarea de administración del servidor.",
        ));
    }
    let unit = unit_for(db, role, form).await?;
    check_requester(principal, role, &unit)?;

    let person = person_of(form, role, with_resolution, at)?;
    let (dni, name) = (&person.dni, person.name.clone());
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
    // A person not registered yet has the names of the first request that names it: another
    // request pending for that DNI with other names would give one person two names.
    let named_otherwise = provisioning_request::Entity::find()
        .filter(provisioning_request::Column::Status.eq(RequestStatus::Pending))
        .filter(provisioning_request::Column::Kind.eq(RequestKind::Alta))
        .filter(provisioning_request::Column::Dni.eq(dni.as_str()))
        .all(db)
        .await?
        .into_iter()
        .any(|pending| {
            !name.matches(
                pending.paternal_surname.as_deref().unwrap_or_default(),
                pending.maternal_surname.as_deref().unwrap_or_default(),
                pending.given_names.as_deref().unwrap_or_default(),
            )
        });
    if named_otherwise {
        return Err(ApiError::field(
            "dni",
            "Hay una solicitud pendiente para ese DNI con otros nombres. Revise el documento de identidad de la persona.",
        ));
    }
    row.kind = Set(RequestKind::Alta);
    row.role = Set(role.code().into());
    row.dre_id = Set(unit.dre_id);
    row.ugel_id = Set(unit.ugel_id);
    row.school_id = Set(unit.school.as_ref().map(|s| s.id));
    row.level = Set(unit.level);
    row.dni = Set(dni.as_str().to_owned());
    row.paternal_surname = Set(Some(name.paternal.into_inner()));
    row.maternal_surname = Set(Some(name.maternal.into_inner()));
    row.given_names = Set(Some(name.given.into_inner()));
    row.email = Set(person.email.map(Email::into_inner));
    row.cell_phone = Set(person.phone.map(CellPhone::into_inner));
    // A form's field left empty is no number, as when the field is not sent.
    row.resolution_number = Set(form
        .resolution_number
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned));
    row.resolution_date = Set(form.resolution_date);
    Ok(unit.target)
}

/// The active assignments of `role` in the unit (its IE, else its UGEL, else its DRE, and its
/// level where it names one) held through the accounts `accounts` selects.
fn held_in_unit(
    accounts: sea_orm::sea_query::SelectStatement,
    role: Role,
    unit: &UnitRef,
) -> sea_orm::Select<role_assignment::Entity> {
    let query = role_assignment::Entity::find()
        .filter(role_assignment::Column::Active.eq(true))
        .filter(role_assignment::Column::Role.eq(role.code()))
        .filter(role_assignment::Column::UserId.in_subquery(accounts));
    let query = match (&unit.school, unit.ugel_id, unit.dre_id) {
        (Some(school), _, _) => query.filter(role_assignment::Column::SchoolId.eq(school.id)),
        (None, Some(ugel), _) => query.filter(role_assignment::Column::UgelId.eq(ugel)),
        (None, None, Some(dre)) => query.filter(role_assignment::Column::DreId.eq(dre)),
        _ => query,
    };
    match unit.level {
        Some(level) => query.filter(role_assignment::Column::Level.eq(level)),
        None => query,
    }
}

/// The accounts of the person with the DNI `dni`.
fn accounts_of(dni: &str) -> sea_orm::sea_query::SelectStatement {
    let people = sea_orm::sea_query::Query::select()
        .column(person::Column::Id)
        .from(person::Entity)
        .and_where(person::Column::Dni.eq(dni))
        .to_owned();
    sea_orm::sea_query::Query::select()
        .column(user_account::Column::Id)
        .from(user_account::Entity)
        .and_where(user_account::Column::PersonId.in_subquery(people))
        .to_owned()
}

/// The person an alta's form names, and its resolution where the role asks for one: every field
/// checked, each error under its field.
fn person_of(
    form: &NewRequestForm,
    role: Role,
    with_resolution: bool,
    at: DateTime<Utc>,
) -> Result<Person> {
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
    if form
        .resolution_number
        .as_deref()
        .is_some_and(|n| n.trim().chars().count() > 60)
    {
        fields.add(
            "resolution_number",
            "El número de la resolución admite hasta 60 caracteres.",
        );
    }
    if requires_resolution(role) {
        if form
            .resolution_number
            .as_deref()
            .is_none_or(|n| !crate::domain::said(n))
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
        if !with_resolution {
            fields.add(
                "resolution",
                "Adjunte la resolución de designación (RD) en PDF, JPG o PNG.",
            );
        }
    }
    fields.finish()?;
    match (dni, name) {
        (Some(dni), Some(name)) => Ok(Person {
            dni,
            name,
            email,
            phone,
        }),
        _ => Err(ApiError::Internal(anyhow::anyhow!(
            "an alta's fields passed unread"
        ))),
    }
}

/// Checks a baja (the assignment it ends, who may ask, the reason) and writes it on the request's
/// row; answers the unit it is about.
async fn baja(
    db: &DatabaseConnection,
    principal: &Principal,
    form: &NewRequestForm,
    row: &mut provisioning_request::ActiveModel,
) -> Result<Target> {
    let assignment_id = form
        .assignment_id
        .ok_or_else(|| ApiError::field("assignment_id", "Indique la asignación que termina."))?;
    let unknown = || ApiError::field("assignment_id", "La asignación no existe o ya terminó.");
    let assignment = role_assignment::Entity::find_by_id(assignment_id)
        .filter(role_assignment::Column::Active.eq(true))
        .one(db)
        .await?
        .ok_or_else(unknown)?;
    let role = Role::parse(&assignment.role)
        .ok_or_else(|| ApiError::field("assignment_id", "Cargo desconocido."))?;
    let probe = unit_ids(
        assignment.dre_id,
        assignment.ugel_id,
        assignment.school_id,
        assignment.level.map(|l| l.code().to_owned()),
    );
    let unit = unit_for(db, role, &probe).await?;
    if !(role == Role::Director && principal.holds(Role::Director, &unit.target)) {
        // Out of the caller's reach, an assignment is as unknown as one that never was: which
        // ids are held is not the caller's to learn.
        check_requester(principal, role, &unit).map_err(|refused| match refused.code() {
            Some(ErrorCode::Forbidden) => unknown(),
            _ => refused,
        })?;
    }
    ensure_not_last_administrator(db, &assignment).await?;
    if row
        .reason
        .as_ref()
        .as_ref()
        .is_none_or(|r| !crate::domain::argued(r, 500))
    {
        return Err(ApiError::field(
            "reason",
            format!(
                "Indique el motivo de la baja ({}).",
                crate::domain::argument_rule(500)
            ),
        ));
    }
    let (_, holder) = account_and_holder(db, assignment.user_id).await?;
    row.kind = Set(RequestKind::Baja);
    row.role = Set(assignment.role.clone());
    row.dre_id = Set(assignment.dre_id);
    row.ugel_id = Set(assignment.ugel_id);
    row.school_id = Set(assignment.school_id);
    row.level = Set(assignment.level);
    // Whoever decides sees whom the baja removes (the holder is in the caller's unit).
    row.paternal_surname = Set(Some(holder.paternal_surname));
    row.maternal_surname = Set(Some(holder.maternal_surname));
    row.given_names = Set(Some(holder.given_names));
    row.dni = Set(holder.dni);
    row.assignment_id = Set(Some(assignment.id));
    Ok(unit.target)
}

/// An account and the person who holds it (404 naming whichever is gone).
pub(super) async fn account_and_holder(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<(user_account::Model, person::Model)> {
    let account = user_account::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("la cuenta"))?;
    let holder = person::Entity::find_by_id(account.person_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("la persona"))?;
    Ok((account, holder))
}

/// Assignments held in the same unit as the request (any role): a DRE, a UGEL or an IE.
pub(super) fn same_place(request: &provisioning_request::Model) -> Condition {
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

pub(super) fn same_unit(request: &provisioning_request::Model) -> Condition {
    let level = match &request.level {
        Some(l) => role_assignment::Column::Level.eq(*l),
        None => role_assignment::Column::Level.is_null(),
    };
    same_place(request).add(level)
}

/// The active assignments of the role an alta asks for, in its unit: the ones its approval
/// would give again (to be narrowed to an account).
pub(super) fn held_as_requested(
    request: &provisioning_request::Model,
) -> sea_orm::Select<role_assignment::Entity> {
    role_assignment::Entity::find()
        .filter(role_assignment::Column::Role.eq(&request.role))
        .filter(role_assignment::Column::Active.eq(true))
        .filter(same_unit(request))
}

/// A baja of the last active MINEDU administrator is refused (409 `last_administrator`): nobody
/// would be left to decide the DRE's and UGEL's requests or to manage every account. Checked in
/// the decision's transaction, the administrators' rows locked on PostgreSQL (SQLite has one
/// writer), so two bajas at once cannot end the last two.
pub(super) async fn ensure_not_last_administrator(
    txn: &impl ConnectionTrait,
    assignment: &role_assignment::Model,
) -> Result<()> {
    if assignment.role != Role::MineduAdmin.code() {
        return Ok(());
    }
    // Every active administrator's row, in one order: of two bajas at once, the later waits
    // for the earlier and then finds it ended.
    let all = role_assignment::Entity::find()
        .filter(role_assignment::Column::Role.eq(Role::MineduAdmin.code()))
        .filter(role_assignment::Column::Active.eq(true))
        .order_by_asc(role_assignment::Column::Id);
    let all = match txn.get_database_backend() {
        sea_orm::DbBackend::Postgres => all.lock_exclusive(),
        _ => all,
    };
    if all.all(txn).await?.iter().all(|a| a.id == assignment.id) {
        return Err(ApiError::from(ErrorCode::LastAdministrator));
    }
    Ok(())
}

/// Whether the person an alta names holds the role it asks for in its unit already: its
/// approval would be refused.
async fn holds_already(
    db: &impl ConnectionTrait,
    request: &provisioning_request::Model,
) -> Result<bool> {
    Ok(held_as_requested(request)
        .filter(role_assignment::Column::UserId.in_subquery(accounts_of(&request.dni)))
        .one(db)
        .await?
        .is_some())
}

/// Stores the request with its resolution's file, audited; the file is removed again when the
/// request is not stored.
async fn file(
    state: &AppState,
    principal: &Principal,
    mut row: provisioning_request::ActiveModel,
    target: Target,
    upload: Option<Upload>,
) -> Result<provisioning_request::Model> {
    let db = &state.db;
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
        // Checked after the insert, in its transaction: a decision of the same request pending
        // until now is committed by then (the insert waits for it on the pending requests'
        // unique index), so an approval at this very moment is seen.
        if created.kind == RequestKind::Alta && holds_already(&txn, &created).await? {
            return Err(ApiError::from(ErrorCode::AlreadyAssigned));
        }
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
        let links = crate::links::Links::new(&state.config.auth.public_base_url);
        notify_deciders(&txn, links, principal, &created, &target).await?;
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

/// The active assignment a baja ends, named as a person names it: the role, the holder's DNI and
/// the unit of the form (the one the role is held in); a field error when there is none.
pub async fn holder_assignment(
    db: &impl ConnectionTrait,
    principal: &Principal,
    role: &str,
    dni: &str,
    form: &NewRequestForm,
) -> Result<i64> {
    let role =
        Role::parse(role.trim()).ok_or_else(|| ApiError::field("role", "El cargo no existe."))?;
    let unit = unit_for(db, role, form).await?;
    // Who may ask, before anything is looked up: whether a DNI holds a role in a unit out of
    // the caller's reach is not the caller's to learn. A director may ask for its own baja.
    if !(role == Role::Director && principal.holds(Role::Director, &unit.target)) {
        check_requester(principal, role, &unit)?;
    }
    let query = held_in_unit(accounts_of(dni.trim()), role, &unit);
    query.one(db).await?.map(|a| a.id).ok_or_else(|| {
        ApiError::field(
            "dni",
            "Nadie con ese DNI tiene ese cargo activo en la unidad indicada.",
        )
    })
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
