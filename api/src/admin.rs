//! Operator tasks run from the command line.

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use entity::{person, user_account};

use crate::{
    auth::{Role, password},
    domain::{Dni, Email, FullName},
    seed::world_account,
};

/// Data of the first administrator.
pub struct NewAdmin {
    pub username: String,
    pub dni: String,
    pub paternal_surname: String,
    pub maternal_surname: String,
    pub given_names: String,
    pub email: Option<String>,
}

/// Creates a MINEDU administrator account with the given password.
pub async fn create_admin(
    db: &DatabaseConnection,
    input: NewAdmin,
    password_text: &str,
) -> anyhow::Result<()> {
    let dni = Dni::parse(&input.dni).map_err(anyhow::Error::msg)?;
    let name = FullName::parse(
        &input.paternal_surname,
        &input.maternal_surname,
        &input.given_names,
    )
    .map_err(|errors| {
        let messages: Vec<String> = errors.into_iter().map(|(_, message)| message).collect();
        anyhow::anyhow!(messages.join(" "))
    })?;
    let email = input
        .email
        .as_deref()
        .map(Email::parse)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    password::check_strength(password_text, &input.username).map_err(anyhow::Error::msg)?;
    let username = input.username.trim().to_lowercase();
    if username.is_empty() || username.len() > 64 {
        anyhow::bail!("el usuario debe tener entre 1 y 64 caracteres");
    }
    if user_account::Entity::find()
        .filter(user_account::Column::Username.eq(&username))
        .one(db)
        .await?
        .is_some()
    {
        anyhow::bail!("ya existe una cuenta con el usuario {username}");
    }
    if person::Entity::find()
        .filter(person::Column::Dni.eq(dni.as_str()))
        .one(db)
        .await?
        .is_some()
    {
        anyhow::bail!("ya existe una persona con ese DNI");
    }
    let hash = password::hash_blocking(password_text).map_err(|e| anyhow::anyhow!("{e}"))?;
    let txn = crate::db::begin(db).await?;
    world_account(
        &txn,
        &username,
        dni.as_str(),
        (
            name.paternal.as_str(),
            name.maternal.as_str(),
            name.given.as_str(),
        ),
        email.as_ref().map(Email::as_str),
        Role::MineduAdmin,
        &hash,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
