//! The steps of an exceptional modification and who takes each: the director asks with a reason,
//! the Especialista del nivel of the IE's UGEL and level gives its opinion, the Especialista
//! SIAGIE UGEL enables it until a deadline (the unit above where the UGEL has nobody in that
//! role), and the record closes again then. Each step tells the next person by e-mail.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveEnum, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Deserialize;
use utoipa::ToSchema;

use entity::{person, role_assignment, user_account, vocabulary::ModificationStatus};

use crate::{
    auth::{
        Target,
        policy::{Action, Role},
        principal::Principal,
    },
    error::{ApiError, Result},
    record::{Change, record},
    time::LIMA,
};

/// A step of the workflow, which tells the next person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The director asked: the Especialista del nivel gives an opinion.
    Requested,
    /// A favourable opinion: the Especialista SIAGIE UGEL enables it.
    Favorable,
    /// An unfavourable opinion: the director learns why.
    Unfavorable,
    /// Enabled until a deadline: the director edits the record.
    Enabled,
    /// The deadline passed: the record is closed again, and the director is told.
    Expired,
    /// A change under the modification deleted recorded results it left without ground (an
    /// acta's recuperaciones): the director records them again.
    Dropped,
}

impl Step {
    /// The step's name in the e-mail templates and the outbox keys.
    pub fn code(self) -> &'static str {
        match self {
            Step::Requested => "requested",
            Step::Favorable => "favorable",
            Step::Unfavorable => "unfavorable",
            Step::Enabled => "enabled",
            Step::Expired => "expired",
            Step::Dropped => "dropped",
        }
    }
}

/// `POST …/modifications` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ModificationRequest {
    pub reason: String,
}

impl ModificationRequest {
    /// The reason, trimmed: a request must be argued.
    pub fn checked_reason(&self) -> Result<String> {
        let reason = self.reason.trim();
        if !crate::domain::argued(reason, 1000) {
            return Err(ApiError::field(
                "reason",
                format!(
                    "Sustente la solicitud ({}).",
                    crate::domain::argument_rule(1000)
                ),
            ));
        }
        Ok(reason.to_owned())
    }
}

/// `POST …-modifications/{id}/opinion` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Opinion {
    pub favorable: bool,
    pub note: Option<String>,
}

impl Opinion {
    /// Where the request stands after this opinion.
    pub fn status(&self) -> ModificationStatus {
        if self.favorable {
            ModificationStatus::Favorable
        } else {
            ModificationStatus::Unfavorable
        }
    }

    /// The step it is, for the e-mail it causes.
    pub fn step(&self) -> Step {
        if self.favorable {
            Step::Favorable
        } else {
            Step::Unfavorable
        }
    }

    /// The note, trimmed and cut to 1,000 characters.
    pub fn checked_note(&self) -> Option<String> {
        self.note
            .as_deref()
            .map(|n| n.trim().chars().take(1000).collect())
    }
}

/// `POST …-modifications/{id}/enable` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Enable {
    /// The record closes again at this time (at most 30 days ahead).
    pub until: DateTime<Utc>,
}

impl Enable {
    /// A deadline after `at` and at most 30 days ahead.
    pub fn check(&self, at: DateTime<Utc>) -> Result<()> {
        if self.until <= at || self.until > at + chrono::Duration::days(30) {
            return Err(ApiError::field(
                "until",
                "El plazo debe ser posterior a ahora y de hasta 30 días.",
            ));
        }
        Ok(())
    }
}

/// The roles that take part in the workflow (the director asks, the Especialista del nivel
/// opines, the Especialista SIAGIE UGEL enables; the DRE's and MINEDU's specialists where the
/// UGEL has nobody in those roles), and the administrator.
const TAKING_PART: [Action; 6] = [
    Action::CloseRegister,
    Action::KeepActa,
    Action::OpineModification,
    Action::EnableModification,
    Action::ManageOrganisation,
    Action::ReadRecord,
];

/// Whether the caller may read a request about a record of `target`: it takes part in it.
pub fn takes_part(p: &Principal, target: &Target) -> bool {
    TAKING_PART.iter().any(|a| p.can(*a, target))
}

/// The IEs whose requests the caller takes part in, as a condition on `school`; 403 for a
/// caller who takes part in none.
pub fn schools_taking_part(p: &Principal) -> Result<Condition> {
    let mut reach = Condition::any();
    let mut any = false;
    for action in TAKING_PART {
        let r = p.reach(action);
        if !r.is_empty() {
            any = true;
            reach = reach.add(r.school_condition());
        }
    }
    if any {
        Ok(reach)
    } else {
        Err(ApiError::forbidden())
    }
}

/// Who a step tells: whoever takes the next step ([`deciders`]: the Especialista del nivel of
/// the IE's UGEL and level for a request, the Especialista SIAGIE UGEL for a favourable opinion,
/// or the unit above where the UGEL has nobody in that role), the director who asked otherwise.
pub async fn recipients(
    db: &impl ConnectionTrait,
    step: Step,
    requested_by: i64,
    target: &Target,
    level: &str,
) -> Result<Vec<person::Model>> {
    match step {
        Step::Requested => Ok(deciders(db, Role::LevelSpecialist, Some(level), target)
            .await?
            .1),
        Step::Favorable => Ok(deciders(db, Role::UgelSpecialist, None, target).await?.1),
        Step::Unfavorable | Step::Enabled | Step::Expired | Step::Dropped => {
            people_holding(
                db,
                Condition::all().add(role_assignment::Column::UserId.eq(requested_by)),
            )
            .await
        }
    }
}

/// The role at the UGEL that takes a step, and the level it is held for.
fn step_role(action: Action, level: &str) -> (Role, Option<&str>) {
    match action {
        Action::OpineModification => (Role::LevelSpecialist, Some(level)),
        _ => (Role::UgelSpecialist, None),
    }
}

/// The stage (and its people) that takes the step of `action` on a record of an IE of `level`.
pub async fn stage_of_step(
    db: &impl ConnectionTrait,
    action: Action,
    target: &Target,
    level: &str,
) -> Result<(Stage, Vec<person::Model>)> {
    let (role, level) = step_role(action, level);
    deciders(db, role, level, target).await
}

/// The state a list is filtered by, read from the query.
pub fn parse_state(state: Option<&str>) -> Result<Option<ModificationStatus>> {
    state
        .map(|wanted| {
            ModificationStatus::try_from_value(&wanted.to_owned()).map_err(|_| {
                ApiError::field(
                    "state",
                    "El estado debe ser requested, favorable, unfavorable, enabled o closed.",
                )
            })
        })
        .transpose()
}

/// Whether the caller may take a step of `action` on a request about a record of `target` (an
/// IE of `level`), at the stage that takes it: 404 (as `what`) outside its reach, 403 inside it
/// without the role that takes the step there.
pub async fn may_take_step(
    db: &impl ConnectionTrait,
    p: &Principal,
    action: Action,
    target: &Target,
    level: &str,
    what: &str,
) -> Result<()> {
    let (stage, _) = stage_of_step(db, action, target, level).await?;
    let (role, _) = step_role(action, level);
    if decides_at(p, stage, role, target) {
        Ok(())
    } else if p.can(Action::ReadRoster, target) || takes_part(p, target) {
        Err(ApiError::forbidden())
    } else {
        Err(ApiError::not_found(what))
    }
}

/// What an e-mail of the workflow says about the request: its IE, section, reason, opinion and
/// deadline, and what names its record (`month` or `year`).
pub struct Told<'a> {
    pub school: String,
    pub section: String,
    pub record: (&'a str, serde_json::Value),
    pub reason: &'a str,
    pub note: Option<&'a str>,
    pub until: Option<DateTime<Utc>>,
    /// The page where the request is followed, reviewed and enabled, in full.
    pub link: String,
    /// What the director is left to do on the record, as a variable of the template.
    pub left: Option<(&'static str, serde_json::Value)>,
}

/// Writes to the outbox, in the caller's transaction, the e-mail of a step (`template`) to each
/// person it tells who has an address, once per request, step and person (`key` names the
/// request).
pub async fn tell(
    db: &impl ConnectionTrait,
    step: Step,
    people: Vec<person::Model>,
    template: &'static str,
    told: Told<'_>,
    key: &str,
) -> Result<()> {
    let mut context = serde_json::json!({
        "step": step.code(),
        "school": told.school,
        "section": told.section,
        "reason": told.reason,
        "note": told.note.unwrap_or_default(),
        "until": told
            .until
            .map(|u| u.with_timezone(&LIMA).format("%d/%m/%Y %H:%M").to_string())
            .unwrap_or_default(),
        "link": told.link,
    });
    context[told.record.0] = told.record.1;
    if let Some((name, value)) = told.left {
        context[name] = value;
    }
    let mut mail = Vec::with_capacity(people.len());
    for to in people {
        let Some(email) = to.email.clone() else {
            continue;
        };
        context["name"] = serde_json::Value::String(to.given_names.clone());
        let told = jobs::templates::Mail::new(template, &context).map_err(ApiError::Internal)?;
        mail.push((
            email,
            told,
            Some(format!("{key}-{}-{}", step.code(), to.id)),
        ));
    }
    record(db, Change::Mail(mail)).await
}

/// The unit that takes a step about an IE's record: the IE's UGEL when someone there holds the
/// step's role, otherwise the unit above (the DRE's Especialista SIAGIE, then MINEDU's), so that
/// no step waits where nobody can see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Ugel,
    Dre,
    Minedu,
}

impl Stage {
    /// Who decides at this stage, as a person reads it.
    pub fn label(self) -> &'static str {
        match self {
            Stage::Ugel => "la UGEL",
            Stage::Dre => "la DRE (la UGEL no tiene especialista activo)",
            Stage::Minedu => "el MINEDU (ni la UGEL ni la DRE tienen especialista activo)",
        }
    }
}

/// The stage that takes a step whose role at the UGEL is `at_ugel` (for `level`, where the role
/// is per level) on a record of `target`, and the people active there.
pub async fn deciders(
    db: &impl ConnectionTrait,
    at_ugel: Role,
    level: Option<&str>,
    target: &Target,
) -> Result<(Stage, Vec<person::Model>)> {
    deciders_but(db, at_ugel, level, target, None).await
}

/// [`deciders`], passing over the person of DNI `but` (a step about that person, which it may
/// not take): a stage where only that person is active passes to the one above.
pub async fn deciders_but(
    db: &impl ConnectionTrait,
    at_ugel: Role,
    level: Option<&str>,
    target: &Target,
    but: Option<&str>,
) -> Result<(Stage, Vec<person::Model>)> {
    let mut at_ugel_holders = Condition::all()
        .add(role_assignment::Column::Role.eq(at_ugel.code()))
        .add(role_assignment::Column::UgelId.eq(target.ugel_id));
    if let Some(level) = level {
        at_ugel_holders = at_ugel_holders.add(role_assignment::Column::Level.eq(level));
    }
    let stages = [
        (Stage::Ugel, at_ugel_holders),
        (
            Stage::Dre,
            Condition::all()
                .add(role_assignment::Column::Role.eq(Role::DreSpecialist.code()))
                .add(role_assignment::Column::DreId.eq(target.dre_id)),
        ),
        (
            Stage::Minedu,
            Condition::all().add(role_assignment::Column::Role.eq(Role::MineduSpecialist.code())),
        ),
        (
            Stage::Minedu,
            Condition::all().add(role_assignment::Column::Role.eq(Role::MineduAdmin.code())),
        ),
    ];
    for (stage, holders) in stages {
        let mut people = people_holding(db, holders).await?;
        people.retain(|p| but.is_none_or(|dni| p.dni != dni));
        if !people.is_empty() {
            return Ok((stage, people));
        }
    }
    Ok((Stage::Minedu, Vec::new()))
}

/// Whether the caller takes the step at `stage` on a record of `target`.
pub fn decides_at(p: &Principal, stage: Stage, at_ugel: Role, target: &Target) -> bool {
    match stage {
        Stage::Ugel => p.holds(at_ugel, target),
        Stage::Dre => p.holds(Role::DreSpecialist, target),
        Stage::Minedu => {
            p.holds(Role::MineduSpecialist, target) || p.holds(Role::MineduAdmin, target)
        }
    }
}

/// The people with an active assignment matching `holders`.
pub async fn people_holding(
    db: &impl ConnectionTrait,
    holders: Condition,
) -> Result<Vec<person::Model>> {
    let users = role_assignment::Entity::find()
        .filter(role_assignment::Column::Active.eq(true))
        .filter(holders)
        .all(db)
        .await?;
    if users.is_empty() {
        return Ok(Vec::new());
    }
    let accounts = user_account::Entity::find()
        .filter(user_account::Column::Id.is_in(users.iter().map(|u| u.user_id)))
        .all(db)
        .await?;
    Ok(person::Entity::find()
        .filter(person::Column::Id.is_in(accounts.iter().map(|a| a.person_id)))
        .all(db)
        .await?)
}

/// Who takes the step after `step` on a record of the section, as a person reads it: the unit
/// that gives the opinion after a request, the one that enables after a favourable opinion.
pub async fn next_step_by(
    db: &impl ConnectionTrait,
    step: Step,
    scope: &crate::registry::SectionScope,
) -> Result<Option<String>> {
    let action = match step {
        Step::Requested => Action::OpineModification,
        Step::Favorable => Action::EnableModification,
        _ => return Ok(None),
    };
    let level = scope.school.level.code();
    let (stage, _) = stage_of_step(db, action, &scope.target, level).await?;
    let who = match (action, stage) {
        (Action::OpineModification, Stage::Ugel) => "el Especialista del nivel de la UGEL",
        (_, Stage::Ugel) => "el Especialista SIAGIE de la UGEL",
        (_, Stage::Dre) => {
            "el Especialista SIAGIE de la DRE (la UGEL no tiene a quién le corresponde)"
        }
        (_, Stage::Minedu) => "el MINEDU (ni la UGEL ni la DRE tienen a quién le corresponde)",
    };
    Ok(Some(who.to_owned()))
}
