//! What a request tells: whoever decides it, that it waits; the requester, of the outcome; the
//! person given a role in a unit where it already had an account, of the new role. By e-mail,
//! where there is an address, written to the outbox in the transaction that files or decides.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use entity::{person, provisioning_request, school, ugel, user_account};

use super::authority::deciders_of;
use crate::{
    auth::{Principal, Role, Target},
    error::{ApiError, Result},
    exceptional::Stage,
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
    let person = named(db, request).await?;
    let mail = jobs::templates::Mail::new(
        "provisioning_decision",
        &jobs::templates::context! {
            name => requester.given_names,
            kind => request.kind.clone(),
            approved => approved,
            role => role,
            person => person,
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
    let unit = unit_named(db, request).await?;
    let by = full_name_of(db, principal.person_id).await?;
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

/// Whoever decides a new request learns of it by e-mail (all but its requester, who may decide
/// it too), with where it waits when the unit above decides it.
pub(super) async fn notify_deciders(
    db: &impl ConnectionTrait,
    links: crate::links::Links<'_>,
    principal: &Principal,
    request: &provisioning_request::Model,
    target: &Target,
) -> Result<()> {
    let Some(role) = Role::parse(&request.role) else {
        return Ok(());
    };
    let (stage, people) = deciders_of(db, role, target, &request.dni).await?;
    let people: Vec<_> = people
        .into_iter()
        .filter(|p| p.id != principal.person_id && p.email.is_some())
        .collect();
    if people.is_empty() {
        return Ok(());
    }
    let by = full_name_of(db, principal.person_id).await?;
    let mut context = serde_json::json!({
        "kind": request.kind,
        "role": role.label(),
        "person": named(db, request).await?,
        "unit": unit_named(db, request).await?,
        "by": by,
        "stage": stage.filter(|s| *s != Stage::Ugel).map(Stage::label).unwrap_or_default(),
        "link": links.full(&format!("{}/{}", crate::links::PROVISIONING_PATH, request.id)),
    });
    let mut mail = Vec::with_capacity(people.len());
    for to in people {
        context["name"] = serde_json::Value::String(to.given_names.clone());
        let told = jobs::templates::Mail::new("provisioning_request", &context)
            .map_err(ApiError::Internal)?;
        let key = format!("provisioning-request-{}-{}", request.id, to.id);
        mail.push((to.email.unwrap_or_default(), told, Some(key)));
    }
    record(db, Change::Mail(mail)).await
}

/// An account opened with nobody to give its password (the person is registered where the
/// approver has no say, and has no address of its own confirmed): the MINEDU administrators, who
/// manage every account, are told, with the IE's staff page where they give it one.
pub(super) async fn notify_unopened(
    db: &impl ConnectionTrait,
    links: crate::links::Links<'_>,
    principal: &Principal,
    request: &provisioning_request::Model,
    account: &user_account::Model,
) -> Result<()> {
    let administrators = crate::exceptional::people_holding(
        db,
        sea_orm::Condition::all()
            .add(entity::role_assignment::Column::Role.eq(Role::MineduAdmin.code())),
    )
    .await?;
    let by = full_name_of(db, principal.person_id).await?;
    let mut context = serde_json::json!({
        "role": Role::parse(&request.role).map(Role::label).unwrap_or_default(),
        "person": named(db, request).await?,
        "unit": unit_named(db, request).await?,
        "by": by,
        "username": account.username,
        "user_id": account.id,
        "link": request.school_id.map(|ie| links.full(&format!("{}?ie={ie}", crate::links::STAFF_PAGE_PATH))),
    });
    let mut mail = Vec::new();
    for to in administrators {
        let Some(address) = to.email.clone() else {
            continue;
        };
        context["name"] = serde_json::Value::String(to.given_names.clone());
        let told =
            jobs::templates::Mail::new("account_unopened", &context).map_err(ApiError::Internal)?;
        let key = format!("account-unopened-{}-{}", account.id, to.id);
        mail.push((address, told, Some(key)));
    }
    record(db, Change::Mail(mail)).await
}

/// The names of the person of an id, as they are read.
async fn full_name_of(db: &impl ConnectionTrait, person_id: i64) -> Result<String> {
    Ok(person::Entity::find_by_id(person_id)
        .one(db)
        .await?
        .map(|p| full_name(&p))
        .unwrap_or_default())
}

/// A person's names as they are read: given names, then surnames.
fn full_name(p: &person::Model) -> String {
    format!(
        "{} {} {}",
        p.given_names, p.paternal_surname, p.maternal_surname
    )
    .split_whitespace()
    .collect::<Vec<_>>()
    .join(" ")
}

/// The person a request names, with its DNI. A baja carries only the DNI: its person is named
/// from the registry.
async fn named(db: &impl ConnectionTrait, request: &provisioning_request::Model) -> Result<String> {
    let name = match (&request.given_names, &request.paternal_surname) {
        (Some(given), Some(paternal)) => format!(
            "{given} {paternal} {}",
            request.maternal_surname.clone().unwrap_or_default()
        ),
        _ => person::Entity::find()
            .filter(person::Column::Dni.eq(&request.dni))
            .one(db)
            .await?
            .map(|p| full_name(&p))
            .unwrap_or_default(),
    };
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    Ok(format!("{name} (DNI {})", request.dni))
}

/// The unit a request's role is held in, as a person names it.
async fn unit_named(
    db: &impl ConnectionTrait,
    request: &provisioning_request::Model,
) -> Result<String> {
    Ok(match (request.school_id, request.ugel_id, request.dre_id) {
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
    .unwrap_or_default())
}
