//! Each IE's director, as the deadline alerts write to them, kept beside the IE: its names and
//! e-mail. Reading them from the country's active assignments meant joining every director to
//! every account and person (most of an alert run's time). The database keeps the copy itself,
//! with triggers on `role_assignment`, `person` and `confirmed_email`, so that no way of appointing, ending or
//! renaming a director, nor confirming an address (nor a statement written by hand), can leave
//! it behind. Only an address its owner confirmed is copied. An IE with several
//! active directors (one per level) is written to its first appointed.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Brings the copy of the IEs whose ids `schools` lists (SQL) up to date. The e-mail is kept
/// only when its owner confirmed it (`confirmed_email`): an address typed by whoever registered
/// the person first, perhaps a director elsewhere, is not where a director's mail goes. "Still
/// confirmed" is the rule of `auth::email::still_confirmed` (the same address, case aside),
/// written here in SQL: change both together.
pub(crate) fn refresh(schools: &str) -> String {
    format!(
        "DELETE FROM director_contact WHERE school_id IN ({schools}); \
         INSERT INTO director_contact (school_id, given_names, paternal_surname, email) \
         SELECT ra.school_id, p.given_names, p.paternal_surname, \
                CASE WHEN ce.person_id IS NULL THEN NULL ELSE p.email END \
         FROM role_assignment ra \
         JOIN user_account ua ON ua.id = ra.user_id \
         JOIN person p ON p.id = ua.person_id \
         LEFT JOIN confirmed_email ce ON ce.person_id = p.id AND LOWER(ce.email) = LOWER(p.email) \
         WHERE ra.role = 'director' AND ra.active AND ra.school_id IN ({schools}) \
           AND NOT EXISTS (SELECT 1 FROM role_assignment r WHERE r.role = 'director' AND r.active \
                           AND r.school_id = ra.school_id AND r.id < ra.id) \
         ON CONFLICT (school_id) DO UPDATE SET given_names = excluded.given_names, \
           paternal_surname = excluded.paternal_surname, email = excluded.email;"
    )
}

/// The IEs the person `person` (SQL) directs.
fn directed_by(person: &str) -> String {
    format!(
        "SELECT ra.school_id FROM role_assignment ra \
         JOIN user_account ua ON ua.id = ra.user_id \
         WHERE ua.person_id = {person} AND ra.role = 'director' AND ra.active"
    )
}

/// Each trigger: its name, what fires it, when (if not always), and the IEs it brings up to date.
pub(crate) fn triggers() -> [(&'static str, &'static str, Option<&'static str>, String); 7] {
    [
        (
            "director_contact_appointed",
            "AFTER INSERT ON role_assignment",
            Some("NEW.role = 'director'"),
            "NEW.school_id".into(),
        ),
        (
            "director_contact_changed",
            "AFTER UPDATE ON role_assignment",
            Some("OLD.role = 'director' OR NEW.role = 'director'"),
            "OLD.school_id, NEW.school_id".into(),
        ),
        (
            "director_contact_removed",
            "AFTER DELETE ON role_assignment",
            Some("OLD.role = 'director'"),
            "OLD.school_id".into(),
        ),
        (
            "director_contact_renamed",
            "AFTER UPDATE OF given_names, paternal_surname, email ON person",
            Some(
                "OLD.given_names IS DISTINCT FROM NEW.given_names \
                 OR OLD.paternal_surname IS DISTINCT FROM NEW.paternal_surname \
                 OR OLD.email IS DISTINCT FROM NEW.email",
            ),
            directed_by("NEW.id"),
        ),
        (
            "director_contact_confirmed",
            "AFTER INSERT ON confirmed_email",
            None,
            directed_by("NEW.person_id"),
        ),
        (
            "director_contact_reconfirmed",
            "AFTER UPDATE ON confirmed_email",
            None,
            format!(
                "{} UNION {}",
                directed_by("OLD.person_id"),
                directed_by("NEW.person_id")
            ),
        ),
        (
            "director_contact_unconfirmed",
            "AFTER DELETE ON confirmed_email",
            None,
            directed_by("OLD.person_id"),
        ),
    ]
}

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
        for (name, event, when, schools) in triggers() {
            let body = refresh(&schools);
            if postgres {
                let when = when.map(|w| format!("WHEN ({w})")).unwrap_or_default();
                db.execute_unprepared(&format!(
                    "CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ \
                     BEGIN {body} RETURN NULL; END $$"
                ))
                .await?;
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER {name} {event} FOR EACH ROW {when} EXECUTE FUNCTION {name}()"
                ))
                .await?;
            } else {
                // SQLite spells "is distinct from" as "is not".
                let when = when
                    .map(|w| format!("WHEN {}", w.replace("IS DISTINCT FROM", "IS NOT")))
                    .unwrap_or_default();
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER {name} {event} FOR EACH ROW {when} BEGIN {body} END"
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
        for (name, event, _, _) in triggers() {
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
