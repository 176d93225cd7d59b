//! The web console: server-rendered pages for people signed in with a browser (`/consola`),
//! on the page kit (`crate::page`). Each page calls the same service as its API route; forms
//! post, carry the session's form token and redirect back (POST-redirect-GET).

mod helpdesk_queue;
mod helpdesk_ticket;
mod layout;
mod session;
mod sign_in;

use axum::{
    Router,
    routing::{get, post},
};

use crate::state::AppState;

pub use layout::{HOME_PATH, LOGIN_PATH, LOGOUT_PATH, PASSWORD_PATH, QUEUE_PATH};
pub use session::{COOKIE, Signed};

/// Every page of the console.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(HOME_PATH, get(sign_in::home))
        .route(LOGIN_PATH, get(sign_in::form).post(sign_in::submit))
        .route(LOGOUT_PATH, post(sign_in::logout))
        .route(QUEUE_PATH, get(helpdesk_queue::queue))
        .route(
            "/consola/mesa-de-ayuda/tickets/{id}",
            get(helpdesk_ticket::show),
        )
        .route(
            "/consola/mesa-de-ayuda/tickets/{id}/{action}",
            post(helpdesk_ticket::act),
        )
        .route(
            sign_in::FORGOT_PATH,
            get(sign_in::forgot_form).post(sign_in::forgot_submit),
        )
        .route(
            PASSWORD_PATH,
            get(sign_in::password_form).post(sign_in::password_submit),
        )
}
