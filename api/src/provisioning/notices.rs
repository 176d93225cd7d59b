//! What a decided request tells: the requester, of the outcome, and the person given a role in a
//! unit where it already had an account, of the new role (both by e-mail, when there is an
//! address, written to the outbox in the decision's transaction).

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use entity::{person, provisioning_request, school, ugel, user_account};

use crate::{
    auth::{Principal, Role},
    error::{ApiError, Result},
    record::{Change, record},
    time::LIMA,
};

/// The requester learns the outcome by e-mail too, when it has an address.
pub(super) async fn notify_requester(
    db: &impl ConnectionTrait,
    links: crate::links::Links<'_>,
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
            link => links.full(&format!("{}/{}", crate::links::PROVISIONING_PATH, request.id)),
        },
    )
    .map_err(ApiError::Internal)?;
    let key = format!("provisioning-decision-{}", request.id);
    record(db, Change::Mail(vec![(to, mail, Some(key))])).await
}

/// An account that gains a role in a unit where it had none is told by e-mail, so that a role
/// given without its knowledge does not go unnoticed.
pub(super) async fn notify_new_assignment(
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
    let key = format!("assignment-added-{}", request.id);
    record(db, Change::Mail(vec![(to.to_owned(), mail, Some(key))])).await
}
