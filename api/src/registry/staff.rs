//! The staff registered in an IE, and confirming an existing person by its names.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
};

use entity::{person, school_staff};

use super::{dto::*, repo, units::optional};
use crate::{
    auth::{policy::Action, principal::Principal},
    domain::{CellPhone, Dni, Email, FullName, Position},
    error::{ApiError, Fields, Result},
    record::{AuditAction, Change, Event, record},
    time::now,
};

/// Staff registered in an IE.
pub async fn list_staff(db: &DatabaseConnection, p: &Principal, id: i64) -> Result<Vec<StaffView>> {
    let scope = repo::school_scope(db, id).await?;
    p.authorize(Action::ManageRoster, &scope.target)?;
    let rows = school_staff::Entity::find()
        .filter(school_staff::Column::SchoolId.eq(id))
        .find_also_related(person::Entity)
        .all(db)
        .await?;
    let mut rows = rows;
    rows.sort_by_cached_key(|(_, p)| {
        p.as_ref()
            .map(|p| {
                crate::domain::person_key(&p.paternal_surname, &p.maternal_surname, &p.given_names)
            })
            .unwrap_or_default()
    });
    // The contact data of someone who holds or held a role, or is or was staff, outside this IE
    // is not this IE's to show (registering a DNI and its names must not reveal it): it is left
    // out.
    let elsewhere: std::collections::HashSet<i64> = entity::user_account::Entity::find()
        .select_only()
        .column(entity::user_account::Column::PersonId)
        .filter(
            entity::user_account::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(entity::role_assignment::Column::UserId)
                    .from(entity::role_assignment::Entity)
                    .cond_where(
                        Condition::any()
                            .add(entity::role_assignment::Column::SchoolId.ne(id))
                            .add(entity::role_assignment::Column::SchoolId.is_null()),
                    )
                    .to_owned(),
            ),
        )
        .filter(
            entity::user_account::Column::PersonId
                .is_in(rows.iter().map(|(s, _)| s.person_id).collect::<Vec<_>>()),
        )
        .into_tuple::<i64>()
        .all(db)
        .await?
        .into_iter()
        .chain(
            // Or is registered as staff of another IE, whose director entered its contact.
            school_staff::Entity::find()
                .select_only()
                .column(school_staff::Column::PersonId)
                .filter(school_staff::Column::SchoolId.ne(id))
                .filter(
                    school_staff::Column::PersonId
                        .is_in(rows.iter().map(|(s, _)| s.person_id).collect::<Vec<_>>()),
                )
                .into_tuple::<i64>()
                .all(db)
                .await?,
        )
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|(s, p)| {
            let mut view = StaffView::new(p?, s.position, s.active);
            if elsewhere.contains(&view.person_id) {
                view.email = None;
                view.cell_phone = None;
            }
            Some(view)
        })
        .collect())
}

/// Register a person as staff of the IE (its director).
pub async fn add_staff(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
    body: NewStaff,
) -> Result<StaffView> {
    let scope = repo::school_scope(db, id).await?;
    p.authorize(Action::ManageRoster, &scope.target)?;
    let txn = crate::db::begin(db).await?;
    let sent = insert_staff(&txn, id, body).await?;
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::StaffRegistered, sent.person_id)
                .by(p.user_id)
                .in_unit(scope.target)
                .after(&sent),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(sent)
}

/// An existing person is confirmed by its names (case and accents aside), never shown: a 422 on
/// `dni` that does not say what is stored.
pub fn confirm_person(existing: &person::Model, name: &FullName) -> Result<()> {
    if name.matches(
        &existing.paternal_surname,
        &existing.maternal_surname,
        &existing.given_names,
    ) {
        Ok(())
    } else {
        Err(ApiError::field(
            "dni",
            "Los nombres no coinciden con los registrados para ese DNI. Revise el documento de identidad de la persona.",
        ))
    }
}

/// Registers a person (by DNI, reusing an existing one) as staff of an IE.
async fn insert_staff(
    db: &impl ConnectionTrait,
    school_id: i64,
    input: NewStaff,
) -> Result<StaffView> {
    let mut f = Fields::default();
    let dni = f.check("dni", Dni::parse(&input.dni));
    let name = f.name(
        FullName::FIELDS,
        FullName::parse(
            &input.paternal_surname,
            &input.maternal_surname,
            &input.given_names,
        ),
    );
    let email = f.check("email", optional(input.email.as_deref(), Email::parse));
    let phone = f.check(
        "cell_phone",
        optional(input.cell_phone.as_deref(), CellPhone::parse),
    );
    let position = f.check("position", Position::parse(&input.position));
    f.finish()?;
    let (Some(dni), Some(name), Some(email), Some(phone), Some(position)) =
        (dni, name, email, phone, position)
    else {
        unreachable!("checked above")
    };
    let person = match person::Entity::find()
        .filter(person::Column::Dni.eq(dni.as_str()))
        .one(db)
        .await?
    {
        // A person already registered is confirmed by its names, never shown: what the caller
        // reads back is what it sent, and the stored names and contact data stay as they are.
        Some(existing) => {
            confirm_person(&existing, &name)?;
            existing
        }
        None => {
            person::ActiveModel {
                dni: Set(dni.as_str().to_owned()),
                paternal_surname: Set(name.paternal.as_str().to_owned()),
                maternal_surname: Set(name.maternal.as_str().to_owned()),
                given_names: Set(name.given.as_str().to_owned()),
                email: Set(email.clone().map(Email::into_inner)),
                cell_phone: Set(phone.clone().map(CellPhone::into_inner)),
                created_at: Set(now()),
                ..Default::default()
            }
            .insert(db)
            .await?
        }
    };
    let sent = StaffView {
        person_id: person.id,
        dni: dni.as_str().to_owned(),
        paternal_surname: name.paternal.into_inner(),
        maternal_surname: name.maternal.into_inner(),
        given_names: name.given.into_inner(),
        email: email.map(Email::into_inner),
        cell_phone: phone.map(CellPhone::into_inner),
        position: position.code().to_owned(),
        active: true,
    };
    let existing = school_staff::Entity::find()
        .filter(school_staff::Column::SchoolId.eq(school_id))
        .filter(school_staff::Column::PersonId.eq(person.id))
        .one(db)
        .await?;
    match existing {
        Some(row) => {
            let mut active: school_staff::ActiveModel = row.into();
            active.position = Set(position.code().to_owned());
            active.active = Set(true);
            active.update(db).await?;
        }
        None => {
            school_staff::ActiveModel {
                school_id: Set(school_id),
                person_id: Set(person.id),
                position: Set(position.code().to_owned()),
                active: Set(true),
                created_at: Set(now()),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    Ok(sent)
}
