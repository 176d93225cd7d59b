//! Registers' coverage for UGEL and DRE specialists (`/consola/cobertura`): each IE of the
//! unit by month (closed of all), the IEs late first, sortable and as CSV. The service is
//! `attendance::coverage`; the UGEL's digest e-mail links here.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use minijinja::{Value, context};
use sea_orm::EntityTrait;
use serde::Deserialize;

use super::{
    layout::{PageQuery, message_page, render_wide},
    session::Signed,
    ticket_view::spanish,
};
use crate::{
    attendance::{
        coverage::{self, Coverage},
        pdf::month_name,
    },
    auth::policy::Unit,
    domain::spanish_key,
    error::ApiError,
    http::download::{csv, csv_line},
    links::COVERAGE_PATH,
    state::AppState,
    time::now,
};

/// IEs a page shows.
const PER_PAGE: usize = 100;

/// The page's query: the unit, the order and the page.
#[derive(Debug, Default, Deserialize)]
pub struct Asked {
    ugel: Option<i64>,
    dre: Option<i64>,
    /// `atraso` (the default), `nombre` or `codigo`.
    #[serde(default)]
    orden: String,
    pagina: Option<usize>,
}

/// The unit asked for, or the person's own: its first UGEL, else its first DRE.
fn unit(signed: &Signed, asked: &Asked) -> Option<(Option<i64>, Option<i64>)> {
    if asked.ugel.is_some() || asked.dre.is_some() {
        return Some((asked.ugel, asked.dre.filter(|_| asked.ugel.is_none())));
    }
    let units = &signed.principal.assignments;
    units
        .iter()
        .find_map(|a| match a.unit {
            Unit::Ugel { ugel_id, .. } => Some((Some(ugel_id), None)),
            _ => None,
        })
        .or_else(|| {
            units.iter().find_map(|a| match a.unit {
                Unit::Dre { dre_id } => Some((None, Some(dre_id))),
                _ => None,
            })
        })
}

fn sort(coverage: &mut Coverage, order: &str) {
    match order {
        "nombre" => coverage
            .schools
            .sort_by_cached_key(|s| (spanish_key(&s.name), s.code.clone())),
        "codigo" => coverage.schools.sort_by(|a, b| a.code.cmp(&b.code)),
        _ => coverage.schools.sort_by(|a, b| {
            (std::cmp::Reverse(a.late), &a.code).cmp(&(std::cmp::Reverse(b.late), &b.code))
        }),
    }
}

/// A month's short name for a column: "may. 2027".
fn short_month(year: i32, month: u32) -> String {
    let name: String = month_name(month).chars().take(3).collect();
    format!("{name}. {year}")
}

async fn load(state: &AppState, signed: &Signed, asked: &Asked) -> Result<Coverage, Response> {
    let refused = |status, text: &str| {
        message_page(
            status,
            Some(&signed.person()),
            "Cobertura de registros",
            text,
        )
    };
    let national = signed.principal.assignments.iter().any(|a| {
        matches!(a.unit, Unit::Minedu) && a.role != crate::auth::policy::Role::HelpdeskAgent
    });
    if national && asked.ugel.is_none() && asked.dre.is_none() {
        return Err(choose_dre(state, signed).await);
    }
    let Some((ugel, dre)) = unit(signed, asked) else {
        return Err(refused(
            StatusCode::FORBIDDEN,
            "La cobertura de registros es para los especialistas de una UGEL o una DRE. Con alcance nacional, indíquela: ?dre= o ?ugel= seguido de su identificador.",
        ));
    };
    let mut found = match coverage::of_unit(&state.db, &signed.principal, ugel, dre, now()).await {
        Ok(found) => found,
        Err(error @ ApiError::Client { .. }) => {
            return Err(refused(error.status(), &spanish(&error)));
        }
        Err(error) => return Err(error.into_response()),
    };
    sort(&mut found, &asked.orden);
    Ok(found)
}

/// For a national role: the DREs, each a link to its coverage.
async fn choose_dre(state: &AppState, signed: &Signed) -> Response {
    let mut dres = match entity::dre::Entity::find().all(&state.db).await {
        Ok(dres) => dres,
        Err(error) => return ApiError::from(error).into_response(),
    };
    dres.sort_by_cached_key(|d| spanish_key(&d.name));
    let links: Vec<Value> = dres
        .iter()
        .map(|d| context! { name => &d.name, link => format!("{COVERAGE_PATH}?dre={}", d.id) })
        .collect();
    render_wide(
        StatusCode::OK,
        Some(&signed.person()),
        "Cobertura de registros",
        "console_coverage.html",
        context! { choose => links },
    )
}

/// The page.
pub async fn page(
    State(state): State<AppState>,
    PageQuery(asked): PageQuery<Asked>,
    signed: Signed,
) -> Response {
    let found = match load(&state, &signed, &asked).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let unit_name = unit_name(&state, &signed, &asked).await;
    let decisions = match decisions(&state, &signed).await {
        Ok(found) => found,
        Err(error) => return error.into_response(),
    };
    let total = found.schools.len();
    let late_schools = found.schools.iter().filter(|s| s.late > 0).count();
    let pages = total.div_ceil(PER_PAGE).max(1);
    let page = asked.pagina.unwrap_or(1).clamp(1, pages);
    let query = |order: &str, page: usize| {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(id) = asked.ugel {
            pairs.push(("ugel", id.to_string()));
        } else if let Some(id) = asked.dre {
            pairs.push(("dre", id.to_string()));
        }
        if !order.is_empty() {
            pairs.push(("orden", order.to_owned()));
        }
        if page > 1 {
            pairs.push(("pagina", page.to_string()));
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    };
    let months: Vec<String> = found
        .months
        .iter()
        .map(|(y, m)| short_month(*y, *m))
        .collect();
    let rows: Vec<Value> = found
        .schools
        .iter()
        .skip((page - 1) * PER_PAGE)
        .take(PER_PAGE)
        .map(|s| {
            let cells: Vec<Value> = s
                .months
                .iter()
                .map(|m| {
                    context! {
                        closed => m.closed,
                        total => m.total,
                        late => m.late() > 0,
                    }
                })
                .collect();
            context! { code => &s.code, name => &s.name, late => s.late, cells, actas => s.open_actas }
        })
        .collect();
    let order = asked.orden.as_str();
    render_wide(
        StatusCode::OK,
        Some(&signed.person()),
        "Cobertura de registros",
        "console_coverage.html",
        context! {
            decisions,
            open_actas => found.schools.iter().map(|s| s.open_actas).sum::<usize>(),
            unit => unit_name,
            months,
            rows,
            total,
            late_schools,
            page,
            pages,
            order => if order.is_empty() { "atraso" } else { order },
            by_delay => format!("{COVERAGE_PATH}?{}", query("", 1)),
            by_name => format!("{COVERAGE_PATH}?{}", query("nombre", 1)),
            by_code => format!("{COVERAGE_PATH}?{}", query("codigo", 1)),
            previous => (page > 1).then(|| format!("{COVERAGE_PATH}?{}", query(order, page - 1))),
            next => (page < pages).then(|| format!("{COVERAGE_PATH}?{}", query(order, page + 1))),
            csv => format!("{COVERAGE_PATH}.csv?{}", query(order, 1)),
        },
    )
}

/// What waits for the person's own step: altas y bajas it decides, and exceptional modifications
/// it reviews (the level's specialist) or enables (the UGEL's).
async fn decisions(state: &AppState, signed: &Signed) -> Result<Vec<Value>, ApiError> {
    use crate::{
        attendance::modification::RegisterModification,
        auth::policy::{Action, grants},
        evaluation::modification::ActaModification,
        exceptional::{ModificationFilter, list_in_reach},
        links::{MODIFICATIONS_PATH, PROVISIONING_PATH},
    };
    let p = &signed.principal;
    let mut out = Vec::new();
    let (_, pending) = crate::provisioning::list(&state.db, p, Some("pending"), None).await?;
    let altas = crate::provisioning::decided_by(&state.db, p, &pending).await?;
    if altas > 0 {
        out.push(context! {
            text => if altas == 1 { "1 solicitud de alta o baja espera su decisión".to_owned() } else { format!("{altas} solicitudes de alta o baja esperan su decisión") },
            link => format!("{PROVISIONING_PATH}?estado=pending"),
        });
    }
    let step = if p
        .assignments
        .iter()
        .any(|a| grants(a.role, Action::OpineModification))
    {
        Some(("requested", "su opinión"))
    } else if p
        .assignments
        .iter()
        .any(|a| grants(a.role, Action::EnableModification))
    {
        Some(("favorable", "su habilitación"))
    } else {
        None
    };
    if let Some((state_code, what)) = step {
        let filter = || ModificationFilter {
            state: Some(state_code.to_owned()),
            ugel_id: None,
            school_id: None,
            page: Some(1),
            per_page: Some(1),
        };
        let waiting = list_in_reach::<RegisterModification>(&state.db, p, filter())
            .await?
            .total
            + list_in_reach::<ActaModification>(&state.db, p, filter())
                .await?
                .total;
        if waiting > 0 {
            out.push(context! {
                text => if waiting == 1 { format!("1 modificación excepcional espera {what}") } else { format!("{waiting} modificaciones excepcionales esperan {what}") },
                link => format!("{MODIFICATIONS_PATH}?estado={state_code}"),
            });
        }
    }
    Ok(out)
}

/// The unit's name as the heading shows it.
async fn unit_name(state: &AppState, signed: &Signed, asked: &Asked) -> String {
    match unit(signed, asked) {
        Some((Some(ugel), _)) => entity::ugel::Entity::find_by_id(ugel)
            .one(&state.db)
            .await
            .ok()
            .flatten()
            .map(|u| u.name)
            .unwrap_or_default(),
        Some((None, Some(dre))) => entity::dre::Entity::find_by_id(dre)
            .one(&state.db)
            .await
            .ok()
            .flatten()
            .map(|d| d.name)
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// Every IE of the page's list as CSV: one column a month ("3 de 4": closed of all, as text a
/// spreadsheet will not take for a date) and the delay.
pub async fn download(
    State(state): State<AppState>,
    PageQuery(asked): PageQuery<Asked>,
    signed: Signed,
) -> Response {
    let found = match load(&state, &signed, &asked).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let mut header = vec!["Código modular".to_owned(), "IE".to_owned()];
    header.extend(
        found
            .months
            .iter()
            .map(|(y, m)| format!("{} {y}", month_name(*m))),
    );
    header.push("Registros atrasados".to_owned());
    header.push("Actas abiertas del año que terminó".to_owned());
    let mut lines = vec![csv_line(&header)];
    for school in &found.schools {
        let mut fields = vec![school.code.clone(), school.name.clone()];
        fields.extend(
            school
                .months
                .iter()
                .map(|m| format!("{} de {}", m.closed, m.total)),
        );
        fields.push(school.late.to_string());
        fields.push(school.open_actas.to_string());
        lines.push(csv_line(&fields));
    }
    csv(lines, "cobertura-registros", true).unwrap_or_else(IntoResponse::into_response)
}
