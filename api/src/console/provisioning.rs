//! Altas y bajas as pages (`/consola/altas-y-bajas`): the requests a person filed or decides,
//! the form to file one (with the RD's file), and a request's page where its authority approves
//! it (the new account's credentials shown once, on that answer) or rejects it with a reason.
//! Every form calls the service of the API's route (`crate::provisioning`).

use std::collections::BTreeMap;

use axum::{
    extract::{Multipart, Path, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use minijinja::{Value, context};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde::Deserialize;

use super::{
    layout::{PageQuery, message_page, render_wide},
    session::{Posted, Signed, forbidden, same},
    ticket_view::spanish,
};
use crate::{
    auth::policy::{Role, Unit, UnitKind, provisioning_authority},
    error::ApiError,
    links::PROVISIONING_PATH,
    provisioning::{self, RequestView},
    state::AppState,
    time::LIMA,
};

/// Whether a person files or decides altas y bajas: a director of an IE that is not a PRONOEI
/// (whose coordinator does not request accounts: the UGEL registers its staff), and the DRE's,
/// UGEL's and MINEDU's roles over their units; not the help desk, not an IE's staff.
pub async fn files_requests(
    db: &impl ConnectionTrait,
    p: &crate::auth::principal::Principal,
) -> Result<bool, ApiError> {
    if p.assignments
        .iter()
        .any(|a| a.role.unit_kind() != UnitKind::School && a.role != Role::HelpdeskAgent)
    {
        return Ok(true);
    }
    let directed = crate::pending::directed_schools(p);
    if directed.is_empty() {
        return Ok(false);
    }
    let not_pronoei = entity::school::Entity::find()
        .filter(entity::school::Column::Id.is_in(directed))
        .filter(entity::school::Column::IsPronoei.eq(false))
        .count(db)
        .await?;
    Ok(not_pronoei > 0)
}

/// [`files_requests`] for a page: `None` when it may, else the page that says it may not.
async fn not_filer(state: &AppState, signed: &Signed) -> Option<Response> {
    match files_requests(&state.db, &signed.principal).await {
        Ok(true) => None,
        Ok(false) => Some(not_theirs(signed)),
        Err(error) => Some(error.into_response()),
    }
}

/// The roles a person may name in a request, as filing checks them: an IE's staff for its
/// director; for the units above, the roles held at their level or below (a UGEL's roles and
/// directors for a UGEL, a DRE's too for a DRE, every role but the administrator's for MINEDU).
fn requestable(p: &crate::auth::principal::Principal) -> Vec<Role> {
    let rank = |kind: UnitKind| match kind {
        UnitKind::School => 0,
        UnitKind::Ugel => 1,
        UnitKind::Dre => 2,
        UnitKind::Minedu => 3,
    };
    let over = p
        .assignments
        .iter()
        .filter(|a| a.role.unit_kind() != UnitKind::School && a.role != Role::HelpdeskAgent)
        .map(|a| rank(a.role.unit_kind()))
        .max();
    let directs = p.has_role(Role::Director);
    Role::ALL
        .iter()
        .copied()
        .filter(|r| *r != Role::MineduAdmin)
        .filter(|r| match provisioning_authority(*r) {
            Role::Director => directs,
            _ => over.is_some_and(|top| rank(r.unit_kind()) <= top),
        })
        .collect()
}

fn status_label(status: &str) -> &'static str {
    match status {
        "pending" => "Pendiente",
        "approved" => "Aprobada",
        "rejected" => "Rechazada",
        _ => "",
    }
}

fn not_theirs(signed: &Signed) -> Response {
    message_page(
        StatusCode::FORBIDDEN,
        Some(&signed.person()),
        "Sin acceso",
        "Las altas y bajas las solicitan y deciden el director de la IE (para su personal) y los especialistas de la UGEL, la DRE y el MINEDU.",
    )
}

fn not_found(signed: &Signed) -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        Some(&signed.person()),
        "Solicitud no encontrada",
        "No encontramos esa solicitud, o no está a su alcance.",
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct Asked {
    /// `pending`, `approved` or `rejected`; every one when empty.
    #[serde(default)]
    estado: String,
    #[serde(default)]
    hecho: String,
}

/// The requests the person filed or decides, newest first.
pub async fn list(
    State(state): State<AppState>,
    PageQuery(asked): PageQuery<Asked>,
    signed: Signed,
) -> Response {
    if let Some(refused) = not_filer(&state, &signed).await {
        return refused;
    }
    let status = (!asked.estado.is_empty()).then_some(asked.estado.as_str());
    let rows = match provisioning::list(&state.db, &signed.principal, status, None).await {
        Ok((_, rows)) => rows,
        Err(error @ ApiError::Client { .. }) => {
            return message_page(
                error.status(),
                Some(&signed.person()),
                "Altas y bajas",
                &spanish(&error),
            );
        }
        Err(error) => return error.into_response(),
    };
    let rows: Vec<Value> = rows
        .into_iter()
        .map(RequestView::from)
        .map(|r| {
            context! {
                link => format!("{PROVISIONING_PATH}/{}", r.id),
                id => r.id,
                kind => if r.kind == "alta" { "Alta" } else { "Baja" },
                role => &r.role_name,
                person => format!("{} {} {}", r.given_names.clone().unwrap_or_default(), r.paternal_surname.clone().unwrap_or_default(), r.maternal_surname.clone().unwrap_or_default()).trim().to_owned(),
                dni => &r.dni,
                date => r.requested_at.with_timezone(&LIMA).format("%d/%m/%Y").to_string(),
                status => status_label(&r.status),
            }
        })
        .collect();
    render_wide(
        StatusCode::OK,
        Some(&signed.person()),
        "Altas y bajas",
        "console_provisioning.html",
        context! {
            rows,
            path => PROVISIONING_PATH,
            estado => &asked.estado,
            done => (asked.hecho == "solicitud").then_some("Solicitud registrada; se avisó a quien la decide."),
        },
    )
}

/// The units a person may name in a request: its own, and those under them.
async fn units(state: &AppState, signed: &Signed) -> Result<Value, ApiError> {
    let mut schools: BTreeMap<i64, String> = BTreeMap::new();
    let mut ugels: BTreeMap<i64, String> = BTreeMap::new();
    let mut dres: BTreeMap<i64, String> = BTreeMap::new();
    let db = &state.db;
    for a in &signed.principal.assignments {
        match a.unit {
            Unit::School { school_id, .. } => {
                if let Some(s) = entity::school::Entity::find_by_id(school_id)
                    .one(db)
                    .await?
                {
                    schools.insert(
                        s.id,
                        format!("{} ({}-{})", s.name, s.codigo_modular, s.anexo),
                    );
                }
            }
            Unit::Ugel { ugel_id, dre_id } => {
                if let Some(u) = entity::ugel::Entity::find_by_id(ugel_id).one(db).await? {
                    ugels.insert(u.id, u.name);
                }
                if let Some(d) = entity::dre::Entity::find_by_id(dre_id).one(db).await? {
                    dres.insert(d.id, d.name);
                }
                for s in entity::school::Entity::find()
                    .filter(entity::school::Column::UgelId.eq(ugel_id))
                    .order_by_asc(entity::school::Column::Name)
                    .all(db)
                    .await?
                {
                    schools.insert(
                        s.id,
                        format!("{} ({}-{})", s.name, s.codigo_modular, s.anexo),
                    );
                }
            }
            Unit::Dre { dre_id } => {
                if let Some(d) = entity::dre::Entity::find_by_id(dre_id).one(db).await? {
                    dres.insert(d.id, d.name);
                }
                for u in entity::ugel::Entity::find()
                    .filter(entity::ugel::Column::DreId.eq(dre_id))
                    .all(db)
                    .await?
                {
                    ugels.insert(u.id, u.name);
                }
            }
            Unit::Minedu => {
                for d in entity::dre::Entity::find().all(db).await? {
                    dres.insert(d.id, d.name);
                }
                for u in entity::ugel::Entity::find().all(db).await? {
                    ugels.insert(u.id, u.name);
                }
            }
        }
    }
    let options = |map: BTreeMap<i64, String>| -> Vec<Value> {
        let mut list: Vec<(i64, String)> = map.into_iter().collect();
        list.sort_by_cached_key(|(_, name)| crate::domain::spanish_key(name));
        list.into_iter()
            .map(|(id, name)| context! { id, name })
            .collect()
    };
    Ok(context! {
        schools => options(schools),
        ugels => options(ugels),
        dres => options(dres),
    })
}

/// The form to file a request.
pub async fn form(State(state): State<AppState>, signed: Signed) -> Response {
    if let Some(refused) = not_filer(&state, &signed).await {
        return refused;
    }
    form_page(&state, &signed, StatusCode::OK, None).await
}

async fn form_page(
    state: &AppState,
    signed: &Signed,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let units = match units(state, signed).await {
        Ok(units) => units,
        Err(error) => return error.into_response(),
    };
    let roles: Vec<Value> = requestable(&signed.principal)
        .into_iter()
        .map(|r| context! { code => r.code(), label => r.label() })
        .collect();
    render_wide(
        status,
        Some(&signed.person()),
        "Nueva solicitud de alta o baja",
        "console_provisioning_form.html",
        context! {
            action => format!("{PROVISIONING_PATH}/nueva"),
            csrf => &signed.csrf,
            roles,
            units,
            error,
            back => PROVISIONING_PATH,
        },
    )
}

/// Files a request: the form token is read first, and nothing else without it; then the form
/// and the RD's file, through the API's reader and service.
pub async fn file(
    State(state): State<AppState>,
    signed: Signed,
    mut multipart: Multipart,
) -> Response {
    let token = match multipart.next_field().await {
        Ok(Some(field)) if field.name() == Some("csrf") => field.text().await.ok(),
        _ => None,
    };
    if !token.is_some_and(|t| same(&t, &signed.csrf)) {
        return forbidden(Some(&signed));
    }
    if let Some(refused) = not_filer(&state, &signed).await {
        return refused;
    }
    let filed = async {
        let (mut form, upload) = provisioning::read_form(multipart).await?;
        // A baja names the holder by DNI: the assignment it ends is the one that person holds
        // in that role and unit.
        if form.kind == "baja" {
            let role = form.role.clone().unwrap_or_default();
            let dni = form.dni.clone().unwrap_or_default();
            form.assignment_id = Some(
                provisioning::holder_assignment(&state.db, &signed.principal, &role, &dni, &form)
                    .await?,
            );
        }
        provisioning::create(&state, &signed.principal, form, upload).await
    }
    .await;
    match filed {
        Ok(_) => Redirect::to(&format!("{PROVISIONING_PATH}?hecho=solicitud")).into_response(),
        Err(error @ ApiError::Client { .. }) => {
            form_page(&state, &signed, error.status(), Some(spanish(&error))).await
        }
        Err(error) => error.into_response(),
    }
}

/// A request: what it asks, its RD, and (to its authority, while pending) the decision.
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
    signed: Signed,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found(&signed);
    };
    let request = match provisioning::visible_request(&state.db, &signed.principal, id).await {
        Ok(request) => request,
        Err(ApiError::Client { .. }) => return not_found(&signed),
        Err(error) => return error.into_response(),
    };
    match provisioning::is_authority(&state.db, &signed.principal, &request).await {
        Ok(decides) => request_page(&signed, request.into(), decides, StatusCode::OK, None, None),
        Err(error) => error.into_response(),
    }
}

fn request_page(
    signed: &Signed,
    r: RequestView,
    decides: bool,
    status: StatusCode,
    error: Option<String>,
    decided: Option<Value>,
) -> Response {
    let base = format!("{PROVISIONING_PATH}/{}", r.id);
    render_wide(
        status,
        Some(&signed.person()),
        "Solicitud de alta o baja",
        "console_provisioning_request.html",
        context! {
            id => r.id,
            kind => if r.kind == "alta" { "Alta" } else { "Baja" },
            role => &r.role_name,
            named => format!("{} {} {}", r.given_names.clone().unwrap_or_default(), r.paternal_surname.clone().unwrap_or_default(), r.maternal_surname.clone().unwrap_or_default()).trim().to_owned(),
            dni => &r.dni,
            email => &r.email,
            resolution => r.resolution_number.as_ref().map(|n| format!("{n}{}", r.resolution_date.map(|d| format!(" del {}", d.format("%d/%m/%Y"))).unwrap_or_default())),
            file => r.has_resolution_file.then(|| format!("{base}/resolucion")),
            reason => &r.reason,
            status => status_label(&r.status),
            pending => r.status == "pending",
            decides,
            date => r.requested_at.with_timezone(&LIMA).format("%d/%m/%Y %H:%M").to_string(),
            base,
            csrf => &signed.csrf,
            back => PROVISIONING_PATH,
            error,
            decided,
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    reason: String,
}

/// Approves (`aprobar`) or rejects (`rechazar`) a request; an approval that creates an account
/// shows its credentials here, once.
pub async fn decide(
    State(state): State<AppState>,
    Path((id, step)): Path<(String, String)>,
    posted: Posted<DecisionForm>,
) -> Response {
    let Posted { signed, form } = posted;
    let Ok(id) = id.parse::<i64>() else {
        return not_found(&signed);
    };
    let p = &signed.principal;
    let decided = match step.as_str() {
        "aprobar" => provisioning::approve(&state.db, &state.config.auth, p, id)
            .await
            .map(|(request, credentials, notice)| {
                let shown = context! {
                    approved => true,
                    username => credentials.as_ref().map(|c| c.username.clone()),
                    password => credentials.as_ref().map(|c| c.temporary_password.clone()),
                    notice,
                };
                (request, shown)
            }),
        "rechazar" => provisioning::reject(
            &state.db,
            crate::links::Links::new(&state.config.auth.public_base_url),
            p,
            id,
            &form.reason,
        )
        .await
        .map(|request| (request, context! { approved => false })),
        _ => return not_found(&signed),
    };
    match decided {
        Ok((request, shown)) => request_page(
            &signed,
            request.into(),
            true,
            StatusCode::OK,
            None,
            Some(shown),
        ),
        Err(error @ ApiError::Client { .. }) => {
            let Ok(request) = provisioning::visible_request(&state.db, p, id).await else {
                return not_found(&signed);
            };
            let decides = provisioning::is_authority(&state.db, p, &request)
                .await
                .unwrap_or(false);
            let text = spanish(&error);
            request_page(
                &signed,
                request.into(),
                decides,
                error.status(),
                Some(text),
                None,
            )
        }
        Err(error) => error.into_response(),
    }
}

/// The RD's file of a request, for those who see the request.
pub async fn resolution(
    State(state): State<AppState>,
    Path(id): Path<String>,
    signed: Signed,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found(&signed);
    };
    let request = match provisioning::visible_request(&state.db, &signed.principal, id).await {
        Ok(request) => request,
        Err(ApiError::Client { .. }) => return not_found(&signed),
        Err(error) => return error.into_response(),
    };
    let Some(path) = request.resolution_file else {
        return not_found(&signed);
    };
    match tokio::fs::read(state.config.storage.data_dir.join(&path)).await {
        Ok(bytes) => (
            [
                (
                    axum::http::header::CONTENT_TYPE,
                    provisioning::files::content_type(&path).to_owned(),
                ),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"resolucion-{id}.{}\"",
                        path.rsplit('.').next().unwrap_or("bin")
                    ),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(error) => ApiError::Internal(error.into()).into_response(),
    }
}
