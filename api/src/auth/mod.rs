//! Identity: login for web and tablets, token rotation, the caller, and the authorization matrix.

pub mod email;
pub mod page;
pub mod password;
pub mod policy;
pub mod principal;
pub mod reset;
pub mod routes;
pub mod service;
pub mod throttle;
pub mod tokens;

pub use policy::{Action, Role, Target};
pub use principal::{AuthUser, Principal};
