//! Each IE's director, as the deadline alerts write to them, kept beside the IE: its names and
//! e-mail. Reading them from the country's active assignments meant joining every director to
//! every account and person (most of an alert run's time). The database keeps the copy itself,
//! with triggers on `role_assignment` and `person`, so that no way of appointing, ending or
//! renaming a director (nor a statement written by hand) can leave it behind. An IE with several
//! active directors (one per level) is written to its first appointed.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Brings the copy of the IEs whose ids `schools` lists (SQL) up to date.
fn refresh(schools: &str) -> String {
    format!(
        "DELETE FROM director_contact WHERE school_id IN ({schools}); \
         INSERT INTO director_contact (school_id, given_names, paternal_surname, email) \
         SELECT ra.school_id, p.given_names, p.paternal_surname, p.email \
         FROM role_assignment ra \
         JOIN user_account ua ON ua.id = ra.user_id \
         JOIN person p ON p.id = ua.person_id \
         WHERE ra.role = 'director' AND ra.active AND ra.school_id IN ({schools}) \
           AND NOT EXISTS (SELECT 1 FROM role_assignment r WHERE r.role = 'director' AND r.active \
                           AND r.school_id = ra.school_id AND r.id < ra.id) \
         ON CONFLICT (school_id) DO UPDATE SET given_names = excluded.given_names, \
           paternal_surname = excluded.paternal_surname, email = excluded.email;"
    )
}

/// The IEs a person directs.
const DIRECTED_BY_NEW: &str = "SELECT ra.school_id FROM role_assignment ra \
     JOIN user_account ua ON ua.id = ra.user_id \
     WHERE ua.person_id = NEW.id AND ra.role = 'director' AND ra.active";

/// Each trigger: its name, what fires it, when, and the IEs it brings up to date.
const TRIGGERS: [(&str, &str, &str, &str); 4] = [
    (
        "director_contact_appointed",
        "AFTER INSERT ON role_assignment",
        "NEW.role = 'director'",
        "NEW.school_id",
    ),
    (
        "director_contact_changed",
        "AFTER UPDATE ON role_assignment",
        "OLD.role = 'director' OR NEW.role = 'director'",
        "OLD.school_id, NEW.school_id",
    ),
    (
        "director_contact_removed",
        "AFTER DELETE ON role_assignment",
        "OLD.role = 'director'",
        "OLD.school_id",
    ),
    (
        "director_contact_renamed",
        "AFTER UPDATE OF given_names, paternal_surname, email ON person",
        "OLD.given_names IS DISTINCT FROM NEW.given_names \
         OR OLD.paternal_surname IS DISTINCT FROM NEW.paternal_surname \
         OR OLD.email IS DISTINCT FROM NEW.email",
        DIRECTED_BY_NEW,
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        manager
            .create_table(
                Table::create()
                    .table("director_contact")
                    .col(
                        ColumnDef::new("school_id")
                            .big_integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new("given_names").string().not_null())
                    .col(ColumnDef::new("paternal_surname").string().not_null())
                    .col(ColumnDef::new("email").string().null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_director_contact_school_id")
                            .from("director_contact", "school_id")
                            .to("school", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        for (name, event, when, schools) in TRIGGERS {
            let body = refresh(schools);
            if postgres {
                db.execute_unprepared(&format!(
                    "CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ \
                     BEGIN {body} RETURN NULL; END $$"
                ))
                .await?;
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER {name} {event} FOR EACH ROW WHEN ({when}) \
                     EXECUTE FUNCTION {name}()"
                ))
                .await?;
            } else {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER {name} {event} FOR EACH ROW WHEN {} BEGIN {body} END",
                    // SQLite spells "is distinct from" as "is not".
                    when.replace("IS DISTINCT FROM", "IS NOT")
                ))
                .await?;
            }
        }
        db.execute_unprepared(&refresh(
            "SELECT school_id FROM role_assignment WHERE role = 'director' AND active",
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        for (name, event, _, _) in TRIGGERS {
            if postgres {
                let table = event.rsplit(' ').next().unwrap_or_default();
                db.execute_unprepared(&format!("DROP TRIGGER {name} ON {table}"))
                    .await?;
                db.execute_unprepared(&format!("DROP FUNCTION {name}()"))
                    .await?;
            } else {
                db.execute_unprepared(&format!("DROP TRIGGER {name}"))
                    .await?;
            }
        }
        manager
            .drop_table(Table::drop().table("director_contact").to_owned())
            .await
    }
}
