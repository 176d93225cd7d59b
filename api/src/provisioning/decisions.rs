//! Deciding a request (its authority): an approval gives or ends the role, creates the account
//! when the person has none (credentials shown once), and tells those concerned; a rejection
//! carries its reason. All in one transaction.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, QueryFilter, sea_query::Expr,
};

use entity::{
    person, provisioning_request, role_assignment, school_staff, user_account,
    vocabulary::{RequestKind, RequestStatus},
};

use super::dto::{Credentials, NewRequestForm, StaffAccount};
use super::{
    accounts::{management, temporary_password},
    authority::{is_authority, request_target},
    notices::{notify_new_assignment, notify_requester},
    requests::{
        account_and_holder, create, ensure_not_last_administrator, held_as_requested, same_place,
        same_unit,
    },
};
use crate::error::ErrorCode;
use crate::{
    auth::{
        Principal, Role, Target, password,
        policy::{UnitKind, single_holder},
        service::{Sessions, revoke_sessions},
    },
    error::{ApiError, Result},
    record::{AuditAction, Change, Event, record},
    state::AppState,
    time::now,
};

pub(super) async fn load_pending(
    db: &impl ConnectionTrait,
    principal: &Principal,
    id: i64,
) -> Result<(provisioning_request::Model, Target)> {
    let request = provisioning_request::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("la solicitud"))?;
    if !is_authority(db, principal, &request).await? {
        if request.requested_by != principal.user_id {
            return Err(ApiError::not_found("la solicitud"));
        }
        // Its requester reads it; a request about the requester is decided above it.
        let (_, requester) = account_and_holder(db, principal.user_id).await?;
        return Err(if requester.dni == request.dni {
            ApiError::from(ErrorCode::OwnAppointment)
        } else {
            ApiError::forbidden()
        });
    }
    if request.status != RequestStatus::Pending {
        return Err(ApiError::from(ErrorCode::RequestDecided));
    }
    let target = request_target(db, &request).await?;
    Ok((request, target))
}

/// Takes a pending request for its decision, first thing in the decision's transaction: of two
/// decisions at once (an approval and a rejection, two approvals), the later finds it decided,
/// 409 `request_decided`, and writes nothing.
async fn claim(txn: &DatabaseTransaction, id: i64, status: RequestStatus) -> Result<()> {
    let claimed = provisioning_request::Entity::update_many()
        .col_expr(provisioning_request::Column::Status, Expr::value(status))
        .filter(provisioning_request::Column::Id.eq(id))
        .filter(provisioning_request::Column::Status.eq(RequestStatus::Pending))
        .exec(txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(ApiError::from(ErrorCode::RequestDecided));
    }
    Ok(())
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
    let links = crate::links::Links::new(&auth.public_base_url);
    if request.kind == RequestKind::Alta {
        let (_, decider) = account_and_holder(db, principal.user_id).await?;
        if decider.dni == request.dni {
            return Err(ApiError::from(ErrorCode::OwnAppointment));
        }
    }
    let at = now();
    let txn = crate::db::begin(db).await?;
    claim(&txn, id, RequestStatus::Approved).await?;
    let mut decided: provisioning_request::ActiveModel = request.clone().into();
    let mut opened = Opened::default();
    if request.kind == RequestKind::Baja {
        let assignment_id = request.assignment_id.unwrap_or_default();
        let assignment = role_assignment::Entity::find_by_id(assignment_id)
            .filter(role_assignment::Column::Active.eq(true))
            .one(&txn)
            .await?
            .ok_or_else(|| ApiError::from(ErrorCode::AssignmentEnded))?;
        ensure_not_last_administrator(&txn, &assignment).await?;
        end_assignment(&txn, links, principal, assignment, target, at).await?;
    } else {
        let alta = Alta {
            auth,
            principal,
            request: &request,
            target,
            at,
        };
        let person = person_for(&txn, &request, at).await?;
        let (account, account_existed) = account_for(&txn, &alta, &person, &mut opened).await?;
        let (assignment, told) = assign(&txn, &alta, &person, &account, account_existed).await?;
        if account_existed {
            let confirmed = crate::auth::email::recoverable(&txn, &person).await?;
            opened.notice = Some(existing_account_notice(told, confirmed.is_some()));
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
    notify_requester(&txn, links, &decided, true).await?;
    txn.commit().await?;
    Ok((decided, opened.credentials, opened.notice))
}

/// An alta being approved: by whom, in which unit, when.
struct Alta<'a> {
    auth: &'a crate::config::AuthConfig,
    principal: &'a Principal,
    request: &'a provisioning_request::Model,
    target: Target,
    at: DateTime<Utc>,
}

/// What the approver is told of an account the approval opened: its credentials, once, or why
/// they are not shown.
#[derive(Default)]
struct Opened {
    credentials: Option<Credentials>,
    notice: Option<&'static str>,
}

/// The person of an alta's DNI. An existing person keeps the names and contact data it has: only
/// its owner changes them (through `/me`), never an alta filed by someone else.
async fn person_for(
    txn: &impl ConnectionTrait,
    request: &provisioning_request::Model,
    at: DateTime<Utc>,
) -> Result<person::Model> {
    if let Some(person) = person::Entity::find()
        .filter(person::Column::Dni.eq(&request.dni))
        .one(txn)
        .await?
    {
        // Registered since the request was filed (another alta for the DNI, approved first):
        // the role goes to that person only if the request names it.
        let named = crate::domain::FullName::parse(
            request.paternal_surname.as_deref().unwrap_or_default(),
            request.maternal_surname.as_deref().unwrap_or_default(),
            request.given_names.as_deref().unwrap_or_default(),
        )
        .map_err(|_| ApiError::field("dni", "La solicitud no nombra a la persona."))?;
        crate::registry::confirm_person(&person, &named)?;
        return Ok(person);
    }
    Ok(person::ActiveModel {
        dni: Set(request.dni.clone()),
        paternal_surname: Set(request.paternal_surname.clone().unwrap_or_default()),
        maternal_surname: Set(request.maternal_surname.clone().unwrap_or_default()),
        given_names: Set(request.given_names.clone().unwrap_or_default()),
        email: Set(request.email.clone()),
        cell_phone: Set(request.cell_phone.clone()),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(txn)
    .await?)
}

/// The person's account, and whether it existed; a new one gets a temporary password, shown to
/// the approver only where the approver manages every place the person is registered.
async fn account_for(
    txn: &impl ConnectionTrait,
    alta: &Alta<'_>,
    person: &person::Model,
    opened: &mut Opened,
) -> Result<(user_account::Model, bool)> {
    if let Some(account) = user_account::Entity::find()
        .filter(user_account::Column::PersonId.eq(person.id))
        .one(txn)
        .await?
    {
        return Ok((account, true));
    }
    let temporary = temporary_password();
    let hash = password::hash(temporary.clone()).await?;
    let username = free_username(txn, &alta.request.dni).await?;
    let created = user_account::ActiveModel {
        person_id: Set(person.id),
        username: Set(username.clone()),
        password_hash: Set(hash),
        must_change_password: Set(true),
        created_at: Set(alta.at),
        password_changed_at: Set(alta.at),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    record(
        txn,
        Change::Audited(
            Event::new(AuditAction::AccountCreated, created.id)
                .by(alta.principal.user_id)
                .in_unit(alta.target),
        ),
    )
    .await?;
    // A person registered as staff where the approver has no say gets its password from its
    // own e-mail, never from the approver: else a director elsewhere could open the account
    // first and keep its password.
    let (_, unmanaged) = management(txn, alta.principal, person.id, &[]).await?;
    if unmanaged == 0 {
        opened.credentials = Some(Credentials {
            username,
            temporary_password: temporary,
        });
        return Ok((created, false));
    }
    let unusable = password::hash(crate::auth::tokens::random_token(32)).await?;
    let mut sealed: user_account::ActiveModel = created.clone().into();
    sealed.password_hash = Set(unusable);
    sealed.update(txn).await?;
    // A link that opens the account goes only to an address its owner confirmed: one typed by
    // whoever registered the person (maybe a director elsewhere) could be anyone's.
    opened.notice = Some(match crate::auth::email::recoverable(txn, person).await? {
        Some(email) => {
            crate::auth::reset::send_link(
                txn,
                alta.auth,
                &created,
                (&person.given_names, &email),
                true,
                alta.at,
            )
            .await?;
            "La persona también está registrada en otra IE: su contraseña se define con el enlace enviado a su correo."
        }
        None => {
            let links = crate::links::Links::new(&alta.auth.public_base_url);
            super::notices::notify_unopened(txn, links, alta.principal, alta.request, &created)
                .await?;
            "La persona también está registrada en otra IE y no tiene un correo confirmado por ella: por seguridad no se envía enlace; se avisó al Administrador SIAGIE, que le dará una contraseña temporal."
        }
    });
    Ok((created, false))
}

/// What the approver of an alta for an existing account is told: the account may have been
/// opened, and kept, elsewhere; and whether its person was told of the new role by e-mail.
fn existing_account_notice(told: bool, confirmed_email: bool) -> &'static str {
    match (told, confirmed_email) {
        (true, _) => {
            "La persona ya tenía usuario del SIAGIE: ingresa con él, y se le avisó del nuevo cargo a su correo. Si no lo reconoce como suyo, el Administrador SIAGIE restablece su contraseña."
        }
        (false, false) => {
            "La persona ya tenía usuario del SIAGIE: ingresa con él (no tiene un correo confirmado para avisarle del nuevo cargo: avísele usted). Si no lo reconoce como suyo, el Administrador SIAGIE restablece su contraseña."
        }
        (false, true) => {
            "La persona ya tenía usuario del SIAGIE, con un cargo en esta unidad: ingresa con él. Si no lo reconoce como suyo, el Administrador SIAGIE restablece su contraseña."
        }
    }
}

/// The alta's assignment (409 `already_assigned` when the account holds it): the unit's previous
/// holder ends where a unit has one, an IE's staff is registered, and a person with an account
/// who is new to the unit is told by e-mail (whether it was, with the assignment).
async fn assign(
    txn: &impl ConnectionTrait,
    alta: &Alta<'_>,
    person: &person::Model,
    account: &user_account::Model,
    account_existed: bool,
) -> Result<(role_assignment::Model, bool)> {
    let (request, principal, target, at) = (alta.request, alta.principal, alta.target, alta.at);
    let already = held_as_requested(request)
        .filter(role_assignment::Column::UserId.eq(account.id))
        .one(txn)
        .await?;
    if already.is_some() {
        return Err(ApiError::from(ErrorCode::AlreadyAssigned));
    }
    let new_unit = account_existed
        && role_assignment::Entity::find()
            .filter(role_assignment::Column::UserId.eq(account.id))
            .filter(role_assignment::Column::Active.eq(true))
            .filter(same_place(request))
            .one(txn)
            .await?
            .is_none();
    let role = Role::parse(&request.role).unwrap_or(Role::Teacher);
    if single_holder(role) {
        let holders = role_assignment::Entity::find()
            .filter(role_assignment::Column::Role.eq(&request.role))
            .filter(role_assignment::Column::Active.eq(true))
            .filter(same_unit(request))
            .all(txn)
            .await?;
        let links = crate::links::Links::new(&alta.auth.public_base_url);
        for holder in holders {
            end_assignment(txn, links, principal, holder, target, at).await?;
        }
    }
    if let (UnitKind::School, Some(school_id)) = (role.unit_kind(), request.school_id) {
        ensure_staff(txn, school_id, person.id, role, at).await?;
    }
    let assignment = role_assignment::ActiveModel {
        user_id: Set(account.id),
        role: Set(request.role.clone()),
        dre_id: Set(request.dre_id),
        ugel_id: Set(request.ugel_id),
        school_id: Set(request.school_id),
        level: Set(request.level),
        active: Set(true),
        starts_at: Set(at),
        ended_at: Set(None),
        resolution_number: Set(request.resolution_number.clone()),
        resolution_date: Set(request.resolution_date),
        request_id: Set(Some(request.id)),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    record(
        txn,
        Change::Audited(
            Event::new(AuditAction::AssignmentCreated, assignment.id)
                .by(principal.user_id)
                .in_unit(target)
                .after(&assignment),
        ),
    )
    .await?;
    // Only to an address its owner confirmed: one typed by whoever registered the person first
    // (a director elsewhere) is not the owner's.
    let told = match crate::auth::email::recoverable(txn, person).await? {
        Some(to) if new_unit => {
            notify_new_assignment(txn, principal, person, &to, request, at).await?;
            true
        }
        _ => false,
    };
    Ok((assignment, told))
}

/// Rejects a request with a reason the requester will read.
pub async fn reject(
    db: &DatabaseConnection,
    links: crate::links::Links<'_>,
    principal: &Principal,
    id: i64,
    reason: &str,
) -> Result<provisioning_request::Model> {
    let (request, target) = load_pending(db, principal, id).await?;
    let reason = reason.trim();
    if !crate::domain::said(reason) || reason.chars().count() > 500 {
        return Err(ApiError::field(
            "reason",
            "Indique el motivo del rechazo, con letras o dígitos (hasta 500 caracteres).",
        ));
    }
    let txn = crate::db::begin(db).await?;
    claim(&txn, id, RequestStatus::Rejected).await?;
    let decided = decline(&txn, links, principal, request, target, reason, now()).await?;
    txn.commit().await?;
    Ok(decided)
}

/// Writes a request's rejection with its reason, audited, and tells its requester: in the
/// caller's transaction, the request already taken from `pending`.
async fn decline(
    db: &impl ConnectionTrait,
    links: crate::links::Links<'_>,
    principal: &Principal,
    request: provisioning_request::Model,
    target: Target,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<provisioning_request::Model> {
    let mut decided: provisioning_request::ActiveModel = request.clone().into();
    decided.status = Set(RequestStatus::Rejected);
    decided.decided_by = Set(Some(principal.user_id));
    decided.decided_at = Set(Some(at));
    decided.decision_reason = Set(Some(reason.to_owned()));
    let decided = decided.update(db).await?;
    record(
        db,
        Change::Audited(
            Event::new(AuditAction::ProvisioningRejected, request.id)
                .by(principal.user_id)
                .in_unit(target)
                .before(&request)
                .after(&decided),
        ),
    )
    .await?;
    notify_requester(db, links, &decided, false).await?;
    Ok(decided)
}

/// Ends an assignment (baja never deletes); an account left with no active assignment loses its
/// sessions at once.
pub(super) async fn end_assignment(
    db: &impl ConnectionTrait,
    links: crate::links::Links<'_>,
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
    decline_stale_bajas(db, links, principal, &assignment, target, at).await
}

/// The bajas still pending for an assignment just ended (by an approved baja or a new holder of
/// the unit) can no longer be approved: each is declined and its requester told, rather than
/// left pending, blocking the next baja of the same person and unit.
async fn decline_stale_bajas(
    db: &impl ConnectionTrait,
    links: crate::links::Links<'_>,
    principal: &Principal,
    assignment: &role_assignment::Model,
    target: Target,
    at: DateTime<Utc>,
) -> Result<()> {
    let stale = provisioning_request::Entity::find()
        .filter(provisioning_request::Column::Kind.eq(RequestKind::Baja))
        .filter(provisioning_request::Column::AssignmentId.eq(assignment.id))
        .filter(provisioning_request::Column::Status.eq(RequestStatus::Pending))
        .all(db)
        .await?;
    for request in stale {
        decline(
            db,
            links,
            principal,
            request,
            target,
            "La asignación terminó por otra decisión: esta baja ya no tiene objeto.",
            at,
        )
        .await?;
    }
    Ok(())
}

pub(super) async fn ensure_staff(
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
pub(super) async fn free_username(db: &impl ConnectionTrait, dni: &str) -> Result<String> {
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

/// Gives a role to a person registered as staff of the IE (its director; docs/domain.md §2): an
/// alta filed and approved in one step.
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
