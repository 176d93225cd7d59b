//! The authenticated caller and the extractor that builds it from a bearer token.

use std::collections::HashMap;

use std::sync::Arc;

use axum::{
    extract::{FromRef, FromRequestParts},
    http::request::Parts,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, QueryResult, Statement,
    sea_query::{Expr, ExprTrait, Query},
};

use entity::{school, ugel};

use super::{
    policy::{Action, Assignment, Role, Target, Unit, grants},
    tokens::TokenKeys,
};
use crate::{
    domain::Level,
    error::{ApiError, ErrorCode, Result},
};

/// The caller of a request, with its active assignments.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: i64,
    pub person_id: i64,
    pub username: String,
    pub must_change_password: bool,
    /// The login (refresh-token family) the access token belongs to.
    pub family: String,
    pub assignments: Vec<Assignment>,
    /// Sections the caller teaches (only loaded for teachers).
    pub taught_sections: Vec<i64>,
}

/// Where an action may be done: the union of the caller's units that grant it.
#[derive(Debug, Default)]
pub struct Reach {
    pub national: bool,
    pub dres: Vec<i64>,
    pub ugels: Vec<(i64, Option<Level>)>,
    pub schools: Vec<i64>,
    /// For teachers: the sections they teach inside `schools`.
    pub sections_only: Option<Vec<i64>>,
}

impl Reach {
    /// Whether nothing at all is reachable.
    pub fn is_empty(&self) -> bool {
        !self.national && self.dres.is_empty() && self.ugels.is_empty() && self.schools.is_empty()
    }

    /// A filter on the `school` table selecting the IEs in reach.
    pub fn school_condition(&self) -> Condition {
        if self.national {
            return Condition::all();
        }
        let mut any = Condition::any();
        if !self.dres.is_empty() {
            any = any.add(
                school::Column::UgelId.in_subquery(
                    Query::select()
                        .column(ugel::Column::Id)
                        .from(ugel::Entity)
                        .and_where(ugel::Column::DreId.is_in(self.dres.clone()))
                        .to_owned(),
                ),
            );
        }
        for (ugel_id, level) in &self.ugels {
            let mut one = Condition::all().add(school::Column::UgelId.eq(*ugel_id));
            if let Some(level) = level {
                one = one.add(school::Column::Level.eq(level.code()));
            }
            any = any.add(one);
        }
        if !self.schools.is_empty() {
            any = any.add(school::Column::Id.is_in(self.schools.clone()));
        }
        if self.is_empty() {
            any = any.add(Expr::val(1).eq(0));
        }
        any
    }
}

impl Principal {
    /// Succeeds when an assignment grants `action` over `target`; 403 otherwise.
    pub fn authorize(&self, action: Action, target: &Target) -> Result<()> {
        if self.can(action, target) {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }

    /// Whether an assignment grants `action` over `target`.
    pub fn can(&self, action: Action, target: &Target) -> bool {
        self.assignments
            .iter()
            .any(|a| grants(a.role, action) && a.covers(target, &self.taught_sections))
    }

    /// Whether the caller holds `role` in a unit that contains `target`.
    pub fn holds(&self, role: Role, target: &Target) -> bool {
        self.assignments
            .iter()
            .any(|a| a.role == role && a.covers(target, &self.taught_sections))
    }

    /// Whether the caller holds an assignment in the IE.
    pub fn works_in(&self, school: i64) -> bool {
        self.assignments
            .iter()
            .any(|a| matches!(a.unit, Unit::School { school_id, .. } if school_id == school))
    }

    /// Whether the caller holds `role` anywhere.
    pub fn has_role(&self, role: Role) -> bool {
        self.assignments.iter().any(|a| a.role == role)
    }

    /// Every unit in which `action` is granted.
    pub fn reach(&self, action: Action) -> Reach {
        let mut reach = Reach::default();
        let mut teacher_only = true;
        let mut any_school = false;
        for a in self.assignments.iter().filter(|a| grants(a.role, action)) {
            match a.unit {
                Unit::Minedu => reach.national = true,
                Unit::Dre { dre_id } => reach.dres.push(dre_id),
                Unit::Ugel { ugel_id, .. } => reach.ugels.push((ugel_id, a.level)),
                Unit::School { school_id, .. } => {
                    any_school = true;
                    teacher_only &= a.role == Role::Teacher;
                    reach.schools.push(school_id);
                }
            }
        }
        let wider = reach.national || !reach.dres.is_empty() || !reach.ugels.is_empty();
        if any_school && teacher_only && !wider {
            reach.sections_only = Some(self.taught_sections.clone());
        }
        reach
    }
}

/// A caller known by a valid access token only: who, not yet what they may do. The push
/// endpoint takes it, and its writer loads the callers of many batches with one query
/// ([`load_principals`]); every other endpoint takes [`AuthUser`].
pub struct Bearer {
    pub user_id: i64,
    /// The login (refresh-token family) the token belongs to.
    pub family: String,
    /// The tablet the login is bound to, if any.
    pub device_id: Option<String>,
}

/// A caller known by the signature of its access token alone, whose login is yet to be checked
/// (with [`live_sessions`]): the push endpoint takes it, and its writer checks the logins of many
/// batches with one query, as it loads their callers.
pub struct TokenHolder {
    pub user_id: i64,
    /// The login (refresh-token family) the token belongs to.
    pub family: String,
}

impl<S> FromRequestParts<S> for TokenHolder
where
    S: Send + Sync,
    Arc<TokenKeys>: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        let claims = Arc::<TokenKeys>::from_ref(state).verify(bearer(parts)?)?;
        let user_id = claims
            .sub
            .parse()
            .map_err(|_| ApiError::from(ErrorCode::InvalidToken))?;
        Ok(Self {
            user_id,
            family: claims.fam,
        })
    }
}

impl TokenHolder {
    /// 401 `session_revoked` unless the token's login is still open.
    pub async fn ensure_live(&self, db: &impl ConnectionTrait) -> Result<()> {
        live_session(db, self.user_id, &self.family).await.map(drop)
    }
}

/// What the extractors need of the application's state: the token keys and the database.
impl<S> FromRequestParts<S> for Bearer
where
    S: Send + Sync,
    Arc<TokenKeys>: FromRef<S>,
    DatabaseConnection: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        let TokenHolder { user_id, family } = TokenHolder::from_request_parts(parts, state).await?;
        let device_id =
            live_session(&DatabaseConnection::from_ref(state), user_id, &family).await?;
        Ok(Self {
            user_id,
            family,
            device_id,
        })
    }
}

/// An open login: whose it is and the tablet it is bound to, if any.
#[derive(Debug, Clone)]
pub struct LiveSession {
    pub user_id: i64,
    pub device_id: Option<String>,
}

/// The logins of `families` still open (see [`live_session`]), by family, with one query.
pub async fn live_sessions(
    db: &impl ConnectionTrait,
    families: Vec<String>,
) -> Result<HashMap<String, LiveSession>> {
    use sea_orm::{EntityTrait, QueryFilter, QueryOrder, QuerySelect};
    let backend = db.get_database_backend();
    let rows: Vec<(String, i64, Option<String>)> = entity::refresh_token::Entity::find()
        .select_only()
        .column(entity::refresh_token::Column::FamilyId)
        .column(entity::refresh_token::Column::UserId)
        .column(entity::refresh_token::Column::DeviceId)
        .filter(crate::db::one_of(
            backend,
            entity::refresh_token::Column::FamilyId,
            families,
        ))
        .filter(entity::refresh_token::Column::RevokedAt.is_null())
        .order_by_desc(entity::refresh_token::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let mut sessions = HashMap::new();
    for (family, user_id, device_id) in rows {
        // The newest token of a family speaks for it.
        sessions
            .entry(family)
            .or_insert(LiveSession { user_id, device_id });
    }
    Ok(sessions)
}

/// Whether the login an access token belongs to is still open: logout, a detected reuse, a
/// password change or reset and revoking a tablet revoke its refresh tokens, and with them every
/// access token already issued for it. Answers the tablet the login is bound to.
async fn live_session(
    db: &impl ConnectionTrait,
    user_id: i64,
    family: &str,
) -> Result<Option<String>> {
    match live_sessions(db, vec![family.to_owned()])
        .await?
        .remove(family)
    {
        Some(session) if session.user_id == user_id => Ok(session.device_id),
        _ => Err(session_revoked()),
    }
}

/// The authenticated caller. Rejects a missing or bad token with 401, and an account with no
/// active assignment with 401 `session_revoked`, whatever token it holds.
pub struct AuthUser(pub Principal);

impl<S> FromRequestParts<S> for AuthUser
where
    S: Send + Sync,
    Arc<TokenKeys>: FromRef<S>,
    DatabaseConnection: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        let TokenHolder { user_id, family } = TokenHolder::from_request_parts(parts, state).await?;
        let principal = load_caller(&DatabaseConnection::from_ref(state), user_id, family).await?;
        if principal.must_change_password && !password_change_route(parts) {
            return Err(password_change_required());
        }
        Ok(AuthUser(principal))
    }
}

/// 403 for a caller who must first change a temporary password.
pub fn password_change_required() -> ApiError {
    ApiError::from(ErrorCode::PasswordChangeRequired)
}

/// Routes a caller with a temporary password may still use. Inside the nested API router the
/// path has lost its `/api/v1` prefix.
fn password_change_route(parts: &Parts) -> bool {
    let path = parts.uri.path();
    let path = path.strip_prefix("/api/v1").unwrap_or(path);
    matches!(path, "/me" | "/me/password" | "/auth/logout")
}

fn bearer(parts: &Parts) -> Result<&str> {
    let header = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or_else(|| ApiError::from(ErrorCode::Unauthenticated))?;
    header
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::from(ErrorCode::InvalidToken))
}

/// 401 for an account that no longer has an active assignment (or no longer exists).
pub fn session_revoked() -> ApiError {
    ApiError::from(ErrorCode::SessionRevoked)
}

/// The caller's account, active assignments (with each unit's ancestors) and taught sections: one
/// query, of one caller (so that its plan walks the keys of that caller, however many people the
/// country has).
pub async fn load_principal(db: &impl ConnectionTrait, user_id: i64) -> Result<Principal> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            principal_rows("ua.id = $1", "TRUE"),
            [user_id.into()],
        ))
        .await?;
    principal_of(user_id, rows)?.ok_or_else(session_revoked)
}

/// [`load_principal`] of a request's caller whose login is still open (see [`live_session`]),
/// checked in the same statement: what every authenticated request runs, one round trip.
/// 401 `session_revoked` for a login ended, as for an account without an active assignment.
pub async fn load_caller(
    db: &impl ConnectionTrait,
    user_id: i64,
    family: String,
) -> Result<Principal> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            principal_rows(
                "ua.id = $1",
                "EXISTS (SELECT 1 FROM refresh_token rt WHERE rt.family_id = $2 \
                 AND rt.user_id = ua.id AND rt.revoked_at IS NULL)",
            ),
            [user_id.into(), family.clone().into()],
        ))
        .await?;
    let mut principal = principal_of(user_id, rows)?.ok_or_else(session_revoked)?;
    principal.family = family;
    Ok(principal)
}

/// The statement of [`principal_of`]'s rows for the accounts `callers` selects (a condition on
/// `ua`): a row per active assignment when `open` holds (a condition on `ua` too), then a row per
/// section a caller teaches (`taught_section` set), which without an assignment row count for
/// nothing.
fn principal_rows(callers: &str, open: &str) -> String {
    format!(
        "SELECT ua.id AS user_id, ua.person_id, ua.username, ua.must_change_password, \
                ra.id AS assignment_id, ra.role, ra.dre_id, ra.ugel_id, ra.school_id, ra.level, \
                s.ugel_id AS school_ugel_id, su.dre_id AS school_dre_id, uu.dre_id AS ugel_dre_id, \
                CAST(NULL AS BIGINT) AS taught_section \
         FROM user_account ua \
         JOIN role_assignment ra ON ra.user_id = ua.id AND ra.active = TRUE \
         LEFT JOIN school s ON s.id = ra.school_id \
         LEFT JOIN ugel su ON su.id = s.ugel_id \
         LEFT JOIN ugel uu ON uu.id = ra.ugel_id \
         WHERE {callers} AND {open} \
         UNION ALL \
         SELECT ua.id, ua.person_id, ua.username, ua.must_change_password, \
                NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, ts.section_id \
         FROM user_account ua \
         JOIN teacher_section ts ON ts.person_id = ua.person_id AND ts.active = TRUE \
         WHERE {callers}"
    )
}

/// [`load_principal`] for many accounts with one query; an account with no active assignment is
/// absent from the answer.
pub async fn load_principals(
    db: &impl ConnectionTrait,
    user_ids: &[i64],
) -> Result<HashMap<i64, Principal>> {
    // One statement, with one text for every set of callers (so each connection plans it once).
    // The callers travel as one array (PostgreSQL) or one JSON list (SQLite).
    let backend = db.get_database_backend();
    let (callers, ids) = crate::db::dialect::in_ids(backend, "ua.id", 1, padded(user_ids));
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            principal_rows(&callers, "TRUE"),
            [ids],
        ))
        .await?;
    let mut by_user: HashMap<i64, Vec<QueryResult>> = HashMap::new();
    for row in rows {
        by_user
            .entry(row.try_get("", "user_id")?)
            .or_default()
            .push(row);
    }
    let mut principals = HashMap::with_capacity(by_user.len());
    for (user_id, rows) in by_user {
        if let Some(principal) = principal_of(user_id, rows)? {
            principals.insert(user_id, principal);
        }
    }
    Ok(principals)
}

/// At least [`PLANNED_CALLERS`] ids, the last repeated (which selects nothing more). PostgreSQL
/// plans a statement with an array parameter for ten elements; given fewer, each plan made for
/// the actual values looks cheaper than that generic one, so it would plan every call anew (0.8 ms,
/// twice the query). With this many, it keeps the generic plan after five calls.
fn padded(ids: &[i64]) -> Vec<i64> {
    let mut ids = ids.to_vec();
    if let Some(&last) = ids.last() {
        ids.resize(ids.len().max(PLANNED_CALLERS), last);
    }
    ids
}

/// See [`padded`].
const PLANNED_CALLERS: usize = 16;

/// One caller's rows of [`load_principals`]; `None` without an active assignment.
fn principal_of(user_id: i64, rows: Vec<QueryResult>) -> Result<Option<Principal>> {
    let (section_rows, rows): (Vec<_>, Vec<_>) = rows.into_iter().partition(|row| {
        matches!(
            row.try_get::<Option<i64>>("", "taught_section"),
            Ok(Some(_))
        )
    });
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let person_id: i64 = first.try_get("", "person_id")?;
    let username: String = first.try_get("", "username")?;
    let must_change_password: bool = first.try_get("", "must_change_password")?;

    let mut assignments = Vec::with_capacity(rows.len());
    for row in &rows {
        let id: i64 = row.try_get("", "assignment_id")?;
        let code: String = row.try_get("", "role")?;
        let Some(role) = Role::parse(&code) else {
            tracing::warn!(assignment = id, "unknown role code in the database");
            continue;
        };
        let school_id: Option<i64> = row.try_get("", "school_id")?;
        let ugel_id: Option<i64> = row.try_get("", "ugel_id")?;
        let dre_id: Option<i64> = row.try_get("", "dre_id")?;
        let unit = match (school_id, ugel_id, dre_id) {
            (Some(school_id), _, _) => {
                let (Some(ugel_id), Some(dre_id)) = (
                    row.try_get::<Option<i64>>("", "school_ugel_id")?,
                    row.try_get::<Option<i64>>("", "school_dre_id")?,
                ) else {
                    continue;
                };
                Unit::School {
                    school_id,
                    ugel_id,
                    dre_id,
                }
            }
            (None, Some(ugel_id), _) => {
                let Some(dre_id) = row.try_get::<Option<i64>>("", "ugel_dre_id")? else {
                    continue;
                };
                Unit::Ugel { ugel_id, dre_id }
            }
            (None, None, Some(dre_id)) => Unit::Dre { dre_id },
            (None, None, None) => Unit::Minedu,
        };
        let level = row
            .try_get::<Option<String>>("", "level")?
            .and_then(|l| Level::parse(&l).ok());
        assignments.push(Assignment {
            id,
            role,
            unit,
            level,
        });
    }
    if assignments.is_empty() {
        return Ok(None);
    }

    assignments.sort_by_key(|a| a.id);
    let taught_sections = if assignments.iter().any(|a| a.role == Role::Teacher) {
        section_rows
            .iter()
            .map(|row| row.try_get::<i64>("", "taught_section"))
            .collect::<std::result::Result<_, _>>()?
    } else {
        Vec::new()
    };

    Ok(Some(Principal {
        user_id,
        person_id,
        username,
        must_change_password,
        family: String::new(),
        assignments,
        taught_sections,
    }))
}
