//! The organisation registry: DRE → UGEL → IE, academic years and their calendar, grades,
//! sections, students, enrollments, staff and teacher assignments.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The grade catalogue: (level, ordinal, name).
const GRADES: &[(&str, i16, &str)] = &[
    ("inicial", 3, "3 años"),
    ("inicial", 4, "4 años"),
    ("inicial", 5, "5 años"),
    ("primaria", 1, "Primer grado"),
    ("primaria", 2, "Segundo grado"),
    ("primaria", 3, "Tercer grado"),
    ("primaria", 4, "Cuarto grado"),
    ("primaria", 5, "Quinto grado"),
    ("primaria", 6, "Sexto grado"),
    ("secundaria", 1, "Primer año"),
    ("secundaria", 2, "Segundo año"),
    ("secundaria", 3, "Tercer año"),
    ("secundaria", 4, "Cuarto año"),
    ("secundaria", 5, "Quinto año"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("dre")
                    .col(big_pk_auto("id"))
                    .col(string_uniq("code"))
                    .col(string("name"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("ugel")
                    .col(big_pk_auto("id"))
                    .col(big_integer("dre_id"))
                    .col(string_uniq("code"))
                    .col(string("name"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("ugel", "dre_id", "dre"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("school")
                    .col(big_pk_auto("id"))
                    .col(big_integer("ugel_id"))
                    .col(string_len("codigo_modular", 7))
                    .col(small_integer("anexo"))
                    .col(string("name"))
                    .col(string_len("level", 16))
                    .col(string_len("modality", 8))
                    .col(string_len("management", 16))
                    .col(boolean("is_pronoei"))
                    .col(string("centro_poblado"))
                    .col(string("district"))
                    .col(string_null("email"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("school", "ugel_id", "ugel"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("school", &["codigo_modular", "anexo"], true))
            .await?;
        manager
            .create_index(index("school", &["ugel_id"], false))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("academic_year")
                    .col(big_pk_auto("id"))
                    .col(integer_uniq("year"))
                    .col(date("starts_on"))
                    .col(date("ends_on"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("non_academic_day")
                    .col(big_pk_auto("id"))
                    .col(big_integer("academic_year_id"))
                    .col(date("date"))
                    .col(string_len("scope", 16))
                    .col(big_integer_null("ugel_id"))
                    .col(big_integer_null("school_id"))
                    .col(string("description"))
                    .foreign_key(&mut fk(
                        "non_academic_day",
                        "academic_year_id",
                        "academic_year",
                    ))
                    .foreign_key(&mut fk("non_academic_day", "ugel_id", "ugel"))
                    .foreign_key(&mut fk("non_academic_day", "school_id", "school"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "non_academic_day",
                &["academic_year_id", "date"],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("grade")
                    .col(big_pk_auto("id"))
                    .col(string_len("level", 16))
                    .col(small_integer("ordinal"))
                    .col(string("name"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("grade", &["level", "ordinal"], true))
            .await?;
        let mut insert = Query::insert();
        insert
            .into_table("grade")
            .columns(["level", "ordinal", "name"]);
        for (level, ordinal, name) in GRADES {
            insert.values_panic([(*level).into(), (*ordinal).into(), (*name).into()]);
        }
        manager.exec_stmt(insert).await?;

        manager
            .create_table(
                Table::create()
                    .table("section")
                    .col(big_pk_auto("id"))
                    .col(big_integer("school_id"))
                    .col(big_integer("academic_year_id"))
                    .col(big_integer("grade_id"))
                    .col(string_len("name", 16))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("section", "school_id", "school"))
                    .foreign_key(&mut fk("section", "academic_year_id", "academic_year"))
                    .foreign_key(&mut fk("section", "grade_id", "grade"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "section",
                &["school_id", "academic_year_id", "grade_id", "name"],
                true,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("student")
                    .col(big_pk_auto("id"))
                    .col(string_len_null("dni", 8).unique_key())
                    .col(string_len_null("student_code", 14).unique_key())
                    .col(string("paternal_surname"))
                    .col(string("maternal_surname"))
                    .col(string("given_names"))
                    .col(date_null("birth_date"))
                    .col(string_len_null("sex", 1))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("enrollment")
                    .col(big_pk_auto("id"))
                    .col(big_integer("student_id"))
                    .col(big_integer("section_id"))
                    .col(big_integer("academic_year_id"))
                    .col(date("starts_on"))
                    .col(string_len("status", 16))
                    .col(date_null("status_date"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("enrollment", "student_id", "student"))
                    .foreign_key(&mut fk("enrollment", "section_id", "section"))
                    .foreign_key(&mut fk("enrollment", "academic_year_id", "academic_year"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "enrollment",
                &["student_id", "academic_year_id"],
                true,
            ))
            .await?;
        manager
            .create_index(index("enrollment", &["section_id"], false))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("person")
                    .col(big_pk_auto("id"))
                    .col(string_len_uniq("dni", 8))
                    .col(string("paternal_surname"))
                    .col(string("maternal_surname"))
                    .col(string("given_names"))
                    .col(string_null("email"))
                    .col(string_len_null("cell_phone", 9))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("school_staff")
                    .col(big_pk_auto("id"))
                    .col(big_integer("school_id"))
                    .col(big_integer("person_id"))
                    .col(string_len("position", 32))
                    .col(boolean("active"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("school_staff", "school_id", "school"))
                    .foreign_key(&mut fk("school_staff", "person_id", "person"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("school_staff", &["school_id", "person_id"], true))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("teacher_section")
                    .col(big_pk_auto("id"))
                    .col(big_integer("section_id"))
                    .col(big_integer("person_id"))
                    .col(boolean("active"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("teacher_section", "section_id", "section"))
                    .foreign_key(&mut fk("teacher_section", "person_id", "person"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("teacher_section", &["section_id", "person_id"], true))
            .await?;
        manager
            .create_index(index("teacher_section", &["person_id"], false))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "teacher_section",
            "school_staff",
            "person",
            "enrollment",
            "student",
            "section",
            "grade",
            "non_academic_day",
            "academic_year",
            "school",
            "ugel",
            "dre",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
