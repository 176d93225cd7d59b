//! Data to start with: the demo world, and synthetic datasets for benchmarks.

pub mod demo;
mod helpdesk;
mod history;
mod names;
pub mod synthetic;
pub(crate) mod world;

use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait};

/// Whether the database holds no organisation yet.
pub async fn is_empty(db: &impl ConnectionTrait) -> anyhow::Result<bool> {
    Ok(entity::dre::Entity::find().count(db).await? == 0)
}

/// Creates a person with an account and a national role (used by the admin tasks).
pub async fn world_account(
    db: &impl ConnectionTrait,
    username: &str,
    dni: &str,
    names: (&str, &str, &str),
    email: Option<&str>,
    role: crate::auth::Role,
    password_hash: &str,
) -> anyhow::Result<()> {
    world::create_account(
        db,
        world::AccountSpec {
            username,
            dni,
            names,
            email,
            role,
            dre_id: None,
            ugel_id: None,
            school_id: None,
            level: None,
        },
        password_hash,
    )
    .await?;
    Ok(())
}
