//! Password resets by whoever manages an account: only when it manages every unit the account
//! holds a role or is registered in, and the account has no e-mail its owner confirmed.

use rand::RngExt;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};

use entity::{role_assignment, school_staff};

use super::dto::Credentials;
use super::{
    requests::account_and_holder,
    units::{unit_for, unit_ids},
};
use crate::error::ErrorCode;
use crate::{
    auth::{
        Principal, Role, Target, password,
        policy::provisioning_authority,
        service::{Sessions, revoke_sessions, store_password},
    },
    error::{ApiError, Result},
    record::{AuditAction, Change, Event, record},
    registry::school_scope,
    time::now,
};

/// A manager resets the password of an account without an e-mail its owner confirmed: it gets a temporary password,
/// shown once, that must be changed at the next login. Every session of the account ends.
pub async fn reset_by_manager(
    db: &DatabaseConnection,
    principal: &Principal,
    user_id: i64,
) -> Result<Credentials> {
    // One's own password is changed with the current one (`/me/password`), never reset from a
    // session alone: a session left open would take the account, and its address with it.
    if user_id == principal.user_id {
        return Err(ApiError::because(
            ErrorCode::Forbidden,
            "Su propia contraseña se cambia con la actual, en «Cambiar contraseña»; si la olvidó, use «¿Olvidó su contraseña?».",
        ));
    }
    let (account, holder) = account_and_holder(db, user_id).await?;
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
    // An owner with a confirmed address recovers by its link; the administrator, the last
    // resort, resets even then (an address confirmed by whoever kept the account is not the
    // owner's).
    let confirmed = crate::auth::email::recoverable(db, &holder).await?;
    if confirmed.is_some() && !principal.has_role(Role::MineduAdmin) {
        return Err(ApiError::from(ErrorCode::UseEmailReset));
    }
    let temporary = temporary_password();
    let hash = password::hash(temporary.clone()).await?;
    let at = now();
    let txn = crate::db::begin(db).await?;
    let username = account.username.clone();
    store_password(&txn, account, hash, true, at).await?;
    revoke_sessions(&txn, Sessions::User(user_id), at).await?;
    // Whoever gets the temporary password confirms its address again: recovery links stop going
    // where they went, and so does a pending code.
    crate::auth::email::forget(&txn, holder.id, user_id).await?;
    // The owner's confirmed address is told, so that a reset it did not ask for is known.
    if let Some(address) = confirmed {
        let mail = jobs::templates::Mail::new(
            "password_set_by_administrator",
            &jobs::templates::context! {
                name => &holder.given_names,
                username => &username,
                at => at.with_timezone(&crate::time::LIMA).format("%d/%m/%Y %H:%M").to_string(),
            },
        )
        .map_err(ApiError::Internal)?;
        record(&txn, Change::Mail(vec![(address, mail, None)])).await?;
    }
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
pub(super) async fn management(
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
            assignment.level.map(|l| l.code().to_owned()),
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

/// A random temporary password: 12 characters from an unambiguous alphabet, with a digit.
pub(super) fn temporary_password() -> String {
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
