//! Evaluation: the catalogue of curricular areas (seeded with the national curricula of primary
//! and secondary before and after the Currículo Nacional), the actas of each section with their
//! closure and exceptional modification, each student's final grade per area and final
//! situation, and the areas each teacher grades in a section.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// An area of the catalogue: level, code, name, kind, scale, first year, last year.
type Area = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    i32,
    Option<i32>,
);

/// The areas of the national curricula, in the order
/// of the actas. Primary is graded on the literal scale; secondary on the vigesimal scale before
/// the Currículo Nacional reached it and on the literal one after; behaviour always literal.
#[rustfmt::skip]
const CATALOGUE: &[Area] = &[
    ("primaria", "COM", "Comunicación", "general", "literal", 2009, Some(2016)),
    ("primaria", "MAT", "Matemática", "general", "literal", 2009, Some(2016)),
    ("primaria", "PS", "Personal Social", "general", "literal", 2009, Some(2016)),
    ("primaria", "CA", "Ciencia y Ambiente", "general", "literal", 2009, Some(2016)),
    ("primaria", "ART", "Arte", "general", "literal", 2009, Some(2016)),
    ("primaria", "EF", "Educación Física", "general", "literal", 2009, Some(2016)),
    ("primaria", "ER", "Educación Religiosa", "general", "literal", 2009, Some(2016)),
    ("primaria", "COMP", "Comportamiento", "comportamiento", "literal", 2009, Some(2016)),
    ("primaria", "COM", "Comunicación", "general", "literal", 2017, None),
    ("primaria", "MAT", "Matemática", "general", "literal", 2017, None),
    ("primaria", "PS", "Personal Social", "general", "literal", 2017, None),
    ("primaria", "CT", "Ciencia y Tecnología", "general", "literal", 2017, None),
    ("primaria", "AYC", "Arte y Cultura", "general", "literal", 2017, None),
    ("primaria", "EF", "Educación Física", "general", "literal", 2017, None),
    ("primaria", "ER", "Educación Religiosa", "general", "literal", 2017, None),
    ("primaria", "COMP", "Comportamiento", "comportamiento", "literal", 2017, None),
    ("secundaria", "ART", "Arte", "general", "vigesimal", 2009, Some(2019)),
    ("secundaria", "CTA", "Ciencia, Tecnología y Ambiente", "general", "vigesimal", 2009, Some(2019)),
    ("secundaria", "COM", "Comunicación", "general", "vigesimal", 2009, Some(2019)),
    ("secundaria", "EF", "Educación Física", "general", "vigesimal", 2009, Some(2019)),
    ("secundaria", "EPT", "Educación para el Trabajo", "general", "vigesimal", 2009, Some(2019)),
    ("secundaria", "ER", "Educación Religiosa", "general", "vigesimal", 2009, Some(2019)),
    ("secundaria", "FCC", "Formación Ciudadana y Cívica", "general", "vigesimal", 2009, Some(2019)),
    ("secundaria", "HGE", "Historia, Geografía y Economía", "general", "vigesimal", 2009, Some(2019)),
    ("secundaria", "ING", "Inglés", "general", "vigesimal", 2009, Some(2019)),
    ("secundaria", "MAT", "Matemática", "general", "vigesimal", 2009, Some(2019)),
    ("secundaria", "PFRH", "Persona, Familia y Relaciones Humanas", "general", "vigesimal", 2009, Some(2019)),
    ("secundaria", "COMP", "Comportamiento", "comportamiento", "literal", 2009, Some(2019)),
    ("secundaria", "AYC", "Arte y Cultura", "general", "literal", 2020, None),
    ("secundaria", "CT", "Ciencia y Tecnología", "general", "literal", 2020, None),
    ("secundaria", "CCSS", "Ciencias Sociales", "general", "literal", 2020, None),
    ("secundaria", "COM", "Comunicación", "general", "literal", 2020, None),
    ("secundaria", "DPCC", "Desarrollo Personal, Ciudadanía y Cívica", "general", "literal", 2020, None),
    ("secundaria", "EF", "Educación Física", "general", "literal", 2020, None),
    ("secundaria", "EPT", "Educación para el Trabajo", "general", "literal", 2020, None),
    ("secundaria", "ER", "Educación Religiosa", "general", "literal", 2020, None),
    ("secundaria", "ING", "Inglés como Lengua Extranjera", "general", "literal", 2020, None),
    ("secundaria", "MAT", "Matemática", "general", "literal", 2020, None),
    ("secundaria", "COMP", "Comportamiento", "comportamiento", "literal", 2020, None),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("curricular_area")
                    .col(big_pk_auto("id"))
                    .col(string_len("level", 16))
                    .col(string_len("code", 12))
                    .col(string_len("name", 80))
                    .col(string_len("kind", 16))
                    .col(string_len("scale", 12))
                    .col(integer("from_year"))
                    .col(integer_null("to_year"))
                    .col(small_integer("position"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "curricular_area",
                &["level", "code", "from_year"],
                true,
            ))
            .await?;
        let mut insert = Query::insert();
        insert.into_table("curricular_area").columns([
            "level",
            "code",
            "name",
            "kind",
            "scale",
            "from_year",
            "to_year",
            "position",
        ]);
        let mut position = 0i16;
        let mut period = None;
        for &(level, code, name, kind, scale, from, to) in CATALOGUE {
            if period != Some((level, from)) {
                period = Some((level, from));
                position = 0;
            }
            position += 1;
            insert.values_panic([
                level.into(),
                code.into(),
                name.into(),
                kind.into(),
                scale.into(),
                from.into(),
                to.into(),
                position.into(),
            ]);
        }
        manager.exec_stmt(insert).await?;

        manager
            .create_table(
                Table::create()
                    .table("acta")
                    .col(big_pk_auto("id"))
                    .col(big_integer_uniq("section_id"))
                    .col(timestamp_with_time_zone_null("closed_at"))
                    .col(big_integer_null("closed_by"))
                    .col(timestamp_with_time_zone_null("modification_until"))
                    .foreign_key(&mut fk("acta", "section_id", "section"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("final_grade")
                    .col(big_integer("enrollment_id"))
                    .col(big_integer("area_id"))
                    .col(small_integer("value"))
                    .primary_key(Index::create().col("enrollment_id").col("area_id"))
                    .foreign_key(&mut fk("final_grade", "enrollment_id", "enrollment"))
                    .foreign_key(&mut fk("final_grade", "area_id", "curricular_area"))
                    .to_owned(),
            )
            .await?;
        // Whether an area has grades (the catalogue is fixed then) without reading them all.
        manager
            .create_index(index("final_grade", &["area_id"], false))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("final_situation")
                    .col(big_integer("enrollment_id").primary_key())
                    .col(string_len("situation", 24))
                    .col(string_len_null("suggested", 24))
                    .col(text_null("reason"))
                    .col(big_integer("recorded_by"))
                    .col(timestamp_with_time_zone("recorded_at"))
                    .foreign_key(&mut fk("final_situation", "enrollment_id", "enrollment"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("teacher_area")
                    .col(big_integer("section_id"))
                    .col(big_integer("person_id"))
                    .col(big_integer("area_id"))
                    .primary_key(
                        Index::create()
                            .col("section_id")
                            .col("person_id")
                            .col("area_id"),
                    )
                    .foreign_key(&mut fk("teacher_area", "section_id", "section"))
                    .foreign_key(&mut fk("teacher_area", "person_id", "person"))
                    .foreign_key(&mut fk("teacher_area", "area_id", "curricular_area"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("acta_modification")
                    .col(big_pk_auto("id"))
                    .col(big_integer("acta_id"))
                    .col(string_len("status", 24))
                    .col(text("reason"))
                    .col(big_integer("requested_by"))
                    .col(timestamp_with_time_zone("requested_at"))
                    .col(big_integer_null("opinion_by"))
                    .col(timestamp_with_time_zone_null("opinion_at"))
                    .col(boolean_null("favorable"))
                    .col(text_null("opinion_note"))
                    .col(big_integer_null("enabled_by"))
                    .col(timestamp_with_time_zone_null("enabled_at"))
                    .col(timestamp_with_time_zone_null("enabled_until"))
                    .col(timestamp_with_time_zone_null("closed_at"))
                    .foreign_key(&mut fk("acta_modification", "acta_id", "acta"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("acta_modification", &["acta_id"], false))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "acta_modification",
            "teacher_area",
            "final_situation",
            "final_grade",
            "acta",
            "curricular_area",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
