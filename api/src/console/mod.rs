//! The web console: server-rendered pages for people signed in with a browser (`/consola`),
//! on the page kit (`crate::page`). Each page calls the same service as its API route; forms
//! post, carry the session's form token and redirect back (POST-redirect-GET).

mod acta;
mod bulk;
mod canned;
mod certificate_form;
mod certificates;
mod coverage;
mod helpdesk_queue;
mod helpdesk_ticket;
mod knowledge;
mod layout;
mod modifications;
mod my_email;
mod pending;
mod provisioning;
mod queue_filters;
mod record;
mod register;
mod reports;
mod requester;
mod saved_views;
mod session;
mod sign_in;
mod staff;
mod staff_page;
mod teachers;
mod ticket_view;
mod today;

use axum::{
    Router,
    extract::DefaultBodyLimit,
    routing::{get, post},
};

use crate::{
    helpdesk::{links, tickets},
    provisioning::files::MAX_FILE_BYTES,
    state::AppState,
};

pub use layout::{HOME_PATH, LOGIN_PATH, LOGOUT_PATH, PASSWORD_PATH, QUEUE_PATH};
pub use session::{COOKIE, Signed};

/// Every page of the console.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(HOME_PATH, get(sign_in::home))
        .route(LOGIN_PATH, get(sign_in::form).post(sign_in::submit))
        .route(LOGOUT_PATH, post(sign_in::logout))
        .route(QUEUE_PATH, get(helpdesk_queue::queue))
        .route(crate::links::PENDING_PATH, get(pending::page))
        .route(crate::links::COVERAGE_PATH, get(coverage::page))
        .route("/consola/cobertura.csv", get(coverage::download))
        .route(crate::links::MODIFICATIONS_PATH, get(modifications::page))
        .route(
            "/consola/modificaciones/{kind}/{id}/{step}",
            post(modifications::act),
        )
        .route(crate::links::CERTIFICATES_PATH, get(certificates::list))
        .route(
            certificate_form::PATH,
            get(certificate_form::form).post(certificate_form::save),
        )
        .route(
            "/consola/certificados/lote.pdf",
            get(certificates::batch_pdf),
        )
        .route(
            "/consola/certificados/secciones/{section}",
            get(certificates::section),
        )
        .route(
            "/consola/certificados/secciones/{section}/emitir",
            post(certificates::issue_section),
        )
        .route(
            "/consola/certificados/solicitudes/{id}",
            get(certificates::request),
        )
        .route(
            "/consola/certificados/solicitudes/{id}/vista-previa.pdf",
            get(certificates::preview),
        )
        .route(
            "/consola/certificados/solicitudes/{id}/{step}",
            post(certificates::request_step),
        )
        .route("/consola/certificados/{id}", get(certificates::certificate))
        .route(
            "/consola/certificados/{id}/certificado.pdf",
            get(certificates::certificate_pdf),
        )
        .route(
            "/consola/certificados/{id}/{step}",
            post(certificates::certificate_step),
        )
        .route(crate::links::PROVISIONING_PATH, get(provisioning::list))
        .route(
            "/consola/altas-y-bajas/nueva",
            get(provisioning::form)
                .post(provisioning::file)
                .layer(DefaultBodyLimit::max(MAX_FILE_BYTES + 64 * 1024)),
        )
        .route("/consola/altas-y-bajas/{id}", get(provisioning::show))
        .route(
            "/consola/altas-y-bajas/{id}/resolucion",
            get(provisioning::resolution),
        )
        .route(
            "/consola/altas-y-bajas/{id}/{step}",
            post(provisioning::decide),
        )
        .route(crate::links::RECORD_PATH, get(record::page))
        .route(
            crate::links::STAFF_PAGE_PATH,
            get(staff_page::page).post(staff_page::register),
        )
        .route(staff_page::RESET_PATH, post(staff_page::reset))
        .route("/consola/secciones/{section}/docentes", get(teachers::page))
        .route(
            "/consola/secciones/{section}/docentes/{step}",
            post(teachers::act),
        )
        .route(
            "/consola/secciones/{section}/docentes/{person}/{step}",
            post(teachers::act),
        )
        .route(acta::PATH, get(acta::show))
        .route(&format!("{}/pdf", acta::PATH), get(acta::acta_pdf))
        .route(
            &format!("{}/importar", acta::PATH),
            post(acta::import).layer(DefaultBodyLimit::max(acta::MAX_FILE_BYTES + 16 * 1024)),
        )
        .route(&format!("{}/{{action}}", acta::PATH), post(acta::act))
        .route(register::PATH, get(register::show))
        .route(
            "/consola/asistencia/{section}",
            get(today::show).post(today::save),
        )
        .route(
            &format!("{}/pdf", register::PATH),
            get(register::register_pdf),
        )
        .route(
            &format!("{}/asistencia.csv", register::PATH),
            get(register::export),
        )
        .route(
            &format!("{}/{{action}}", register::PATH),
            post(register::act),
        )
        .route(
            "/consola/mesa-de-ayuda/tickets/{id}",
            get(helpdesk_ticket::show),
        )
        .route(
            "/consola/mesa-de-ayuda/tickets/{id}/{action}",
            post(helpdesk_ticket::act),
        )
        .route(
            "/consola/mesa-de-ayuda/tickets/{id}/presencia",
            get(helpdesk_ticket::presence),
        )
        .route(
            "/consola/mesa-de-ayuda/tickets/{id}/adjuntos/{file}",
            get(helpdesk_ticket::attachment),
        )
        .route("/consola/mesa-de-ayuda/lote", post(bulk::apply))
        .route("/consola/mesa-de-ayuda/vistas", post(saved_views::save))
        .route(
            "/consola/mesa-de-ayuda/vistas/{id}/borrar",
            post(saved_views::delete),
        )
        .route(reports::REPORTS_PATH, get(reports::page))
        .route("/consola/mesa-de-ayuda/reportes/{file}", get(reports::csv))
        .route(canned::CANNED_PATH, get(canned::page).post(canned::create))
        .route(
            "/consola/mesa-de-ayuda/respuestas/{id}",
            post(canned::update),
        )
        .route(links::ARTICLES_PATH, get(knowledge::search))
        .route(
            knowledge::NEW_PATH,
            get(knowledge::new_form).post(knowledge::create),
        )
        .route("/consola/articulos/{id}", get(knowledge::show))
        .route("/consola/articulos/{id}/voto", post(knowledge::vote))
        .route(
            "/consola/articulos/{id}/editar",
            get(knowledge::edit_form).post(knowledge::update),
        )
        .route(links::REQUESTER_PATH, get(requester::mine))
        .route(
            requester::NEW_PATH,
            get(requester::form)
                .post(requester::file)
                .layer(DefaultBodyLimit::max(
                    tickets::MAX_ATTACHMENTS * MAX_FILE_BYTES + 64 * 1024,
                )),
        )
        .route("/consola/mis-tickets/{id}", get(requester::show))
        .route(
            "/consola/mis-tickets/{id}/responder",
            post(requester::reply).layer(DefaultBodyLimit::max(
                tickets::MAX_ATTACHMENTS * MAX_FILE_BYTES + 64 * 1024,
            )),
        )
        .route("/consola/mis-tickets/{id}/{action}", post(requester::act))
        .route(
            "/consola/mis-tickets/{id}/adjuntos/{file}",
            get(requester::attachment),
        )
        .route(
            sign_in::FORGOT_PATH,
            get(sign_in::forgot_form).post(sign_in::forgot_submit),
        )
        .route(my_email::PATH, get(my_email::page).post(my_email::send))
        .route(my_email::CONFIRM_PATH, post(my_email::confirm))
        .route(
            PASSWORD_PATH,
            get(sign_in::password_form).post(sign_in::password_submit),
        )
}
