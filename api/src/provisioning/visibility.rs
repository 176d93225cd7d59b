//! The requests a caller reads in its lists: those it filed, and those it decides, as
//! `authority::is_authority` decides one request, written as one condition for the database.

use sea_orm::{
    ColumnTrait, Condition,
    sea_query::{Expr, ExprTrait, IntoIden, Query},
};

use entity::{person, provisioning_request, role_assignment, school, ugel, user_account};

use crate::auth::{
    Principal, Role,
    policy::{Unit, UnitKind},
};

/// The requests a caller filed, plus those it decides.
pub(super) fn visible_to(p: &Principal) -> Condition {
    let mut any = Condition::any().add(provisioning_request::Column::RequestedBy.eq(p.user_id));
    for a in &p.assignments {
        match (a.role, a.unit) {
            (Role::Director, Unit::School { school_id, .. }) => {
                any = any.add(
                    Condition::all()
                        .add(provisioning_request::Column::Role.is_in(staff()))
                        .add(provisioning_request::Column::SchoolId.eq(school_id))
                        .add(director_decides()),
                );
            }
            (Role::UgelSpecialist, Unit::Ugel { ugel_id, .. }) => {
                any = any.add(above_the_ie(
                    Condition::all()
                        .add(ugel::Column::Id.eq(ugel_id))
                        .add(ugel_decides()),
                ));
            }
            (Role::DreSpecialist, Unit::Dre { dre_id }) => {
                any = any.add(above_the_ie(
                    Condition::all()
                        .add(ugel::Column::DreId.eq(dre_id))
                        .add(ugel_decides().not())
                        .add(dre_decides()),
                ));
            }
            (Role::MineduSpecialist | Role::MineduAdmin, _) => {
                if a.role == Role::MineduAdmin {
                    any = any.add(provisioning_request::Column::SchoolId.is_null());
                }
                any = any.add(above_the_ie(
                    Condition::all()
                        .add(ugel_decides().not())
                        .add(dre_decides().not()),
                ));
            }
            _ => {}
        }
    }
    any
}

/// A request about an IE of the UGEL around that the UGEL's Especialista SIAGIE decides: the
/// UGEL has one other than the request's person.
fn ugel_decides() -> Expr {
    another_holds(
        Role::UgelSpecialist,
        role_assignment::Column::UgelId,
        (ugel::Entity, ugel::Column::Id),
    )
}

/// [`ugel_decides`] for the DRE of the UGEL around and its Especialista SIAGIE.
fn dre_decides() -> Expr {
    another_holds(
        Role::DreSpecialist,
        role_assignment::Column::DreId,
        (ugel::Entity, ugel::Column::DreId),
    )
}

/// The roles of an IE's staff, which its director decides.
fn staff() -> Vec<&'static str> {
    Role::ALL
        .iter()
        .filter(|r| r.unit_kind() == UnitKind::School && **r != Role::Director)
        .map(|r| r.code())
        .collect()
}

/// A staff request its IE's director decides: the IE has a director other than the person the
/// request is about.
fn director_decides() -> Expr {
    another_holds(
        Role::Director,
        role_assignment::Column::SchoolId,
        (
            provisioning_request::Entity,
            provisioning_request::Column::SchoolId,
        ),
    )
}

/// The requests about an IE of the UGELs matching `ugels` that wait above the IE: a director's,
/// or its staff's where the director is the person the request is about.
fn above_the_ie(ugels: Condition) -> Condition {
    Condition::all()
        .add(
            Condition::any()
                .add(provisioning_request::Column::Role.eq(Role::Director.code()))
                .add(
                    Condition::all()
                        .add(provisioning_request::Column::Role.is_in(staff()))
                        .add(director_decides().not()),
                ),
        )
        .add(
            provisioning_request::Column::SchoolId.in_subquery(
                Query::select()
                    .column((school::Entity, school::Column::Id))
                    .from(school::Entity)
                    .inner_join(
                        ugel::Entity,
                        Expr::col((ugel::Entity, ugel::Column::Id))
                            .equals((school::Entity, school::Column::UgelId)),
                    )
                    .cond_where(ugels)
                    .to_owned(),
            ),
        )
}

/// Whether someone other than the request's person holds `role` actively where the
/// assignment's `unit` is `outer` (a column of the query around): the unit has someone to decide.
fn another_holds<T: IntoIden, C: IntoIden>(
    role: Role,
    unit: role_assignment::Column,
    outer: (T, C),
) -> Expr {
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(role_assignment::Entity)
            .inner_join(
                user_account::Entity,
                Expr::col((user_account::Entity, user_account::Column::Id))
                    .equals((role_assignment::Entity, role_assignment::Column::UserId)),
            )
            .inner_join(
                person::Entity,
                Expr::col((person::Entity, person::Column::Id))
                    .equals((user_account::Entity, user_account::Column::PersonId)),
            )
            .and_where(role_assignment::Column::Role.eq(role.code()))
            .and_where(role_assignment::Column::Active.eq(true))
            .and_where(Expr::col((role_assignment::Entity, unit)).equals(outer))
            .and_where(
                Expr::col((person::Entity, person::Column::Dni)).ne(Expr::col((
                    provisioning_request::Entity,
                    provisioning_request::Column::Dni,
                ))),
            )
            .to_owned(),
    )
}
