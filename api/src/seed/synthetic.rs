//! A synthetic country for benchmarks: `N` primary schools with six sections each (grades 1 to
//! 6), `M` students per section, a director per school (`director.<school>`, with e-mail) and one
//! teacher account per section (`docente.<school>.<grade>`), all with the password
//! [`super::demo::DEMO_PASSWORD`].

use chrono::Datelike;
use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, TransactionTrait,
};

use entity::{academic_year, dre, person, school, student, ugel};

use super::{
    demo::DEMO_PASSWORD,
    names::Lcg,
    world::{self, AccountSpec, SchoolSpec},
};
use crate::{
    auth::{Role, password},
    time::{now, today_lima},
};

/// Schools per UGEL and UGELs per DRE in the synthetic country.
const SCHOOLS_PER_UGEL: u64 = 100;
const UGELS_PER_DRE: u64 = 10;

/// Adds `schools` schools with `students_per_section` students in each of their six sections.
pub async fn load(
    db: &DatabaseConnection,
    schools: u64,
    students_per_section: u64,
    show_progress: bool,
) -> anyhow::Result<()> {
    let hash = password::hash_blocking(DEMO_PASSWORD).map_err(|e| anyhow::anyhow!("{e}"))?;
    let year_number = today_lima().year();
    let year = match academic_year::Entity::find()
        .filter(academic_year::Column::Year.eq(year_number))
        .one(db)
        .await?
    {
        Some(year) => year,
        None => world::create_year(db, year_number).await?,
    };
    let bar = if show_progress {
        ProgressBar::new(schools)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {pos}/{len} IE ({per_sec}, faltan {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let mut rng = Lcg::new(7);
    // Codes and DNIs continue after what the database already holds, so that the dataset can be
    // loaded more than once into one database.
    let run = dre::Entity::find().count(db).await?;
    let first_school = school::Entity::find().count(db).await?;
    let mut next_dni = 10_000_000
        + student::Entity::find().count(db).await?
        + person::Entity::find().count(db).await?;
    if first_school + schools > 5_000_000
        || next_dni + schools * (6 * students_per_section + 8) > 69_999_999
    {
        anyhow::bail!(
            "el conjunto sintético no cabe en los rangos de códigos modulares y DNI reservados"
        );
    }
    let mut ugel_id = 0;
    let mut dre_id = 0;
    for n in 0..schools {
        let txn = db.begin().await?;
        if n.is_multiple_of(SCHOOLS_PER_UGEL * UGELS_PER_DRE) {
            dre_id = dre::ActiveModel {
                code: Set(format!(
                    "DRE-SYN-{run}-{}",
                    n / (SCHOOLS_PER_UGEL * UGELS_PER_DRE)
                )),
                name: Set(format!(
                    "DRE sintética {}",
                    n / (SCHOOLS_PER_UGEL * UGELS_PER_DRE) + 1
                )),
                created_at: Set(now()),
                ..Default::default()
            }
            .insert(&txn)
            .await?
            .id;
        }
        if n.is_multiple_of(SCHOOLS_PER_UGEL) {
            ugel_id = ugel::ActiveModel {
                dre_id: Set(dre_id),
                code: Set(format!("UGEL-SYN-{run}-{}", n / SCHOOLS_PER_UGEL)),
                name: Set(format!("UGEL sintética {}", n / SCHOOLS_PER_UGEL + 1)),
                created_at: Set(now()),
                ..Default::default()
            }
            .insert(&txn)
            .await?
            .id;
        }
        let code = format!("{:07}", 2_000_000 + first_school + n);
        let name = format!("IE sintética N° {}", n + 1);
        let school = world::create_school(
            &txn,
            SchoolSpec {
                ugel_id,
                codigo_modular: &code,
                name: &name,
                level: "primaria",
                modality: "ebr",
                is_pronoei: false,
                centro_poblado: "Centro poblado",
                district: "Distrito",
            },
        )
        .await?;
        let sections = world::create_sections(
            &txn,
            &school,
            &year,
            &[(1, "A"), (2, "A"), (3, "A"), (4, "A"), (5, "A"), (6, "A")],
        )
        .await?;
        next_dni += 1;
        let director_dni = format!("{next_dni:08}");
        let director_user = format!("director.{code}");
        let director_email = format!("director.{code}@siagie.local");
        world::create_account(
            &txn,
            AccountSpec {
                username: &director_user,
                dni: &director_dni,
                names: ("Director", "Sintético", "IE"),
                email: Some(&director_email),
                role: Role::Director,
                dre_id: None,
                ugel_id: None,
                school_id: Some(school.id),
                level: None,
            },
            &hash,
        )
        .await?;
        for (grade, section) in sections.iter().enumerate() {
            world::enroll_generated(
                &txn,
                &mut rng,
                section,
                &year,
                students_per_section,
                &mut next_dni,
                year.year - 7 - grade as i32,
            )
            .await?;
            next_dni += 1;
            let dni = format!("{next_dni:08}");
            let username = format!("docente.{code}.{}", grade + 1);
            let (teacher, _) = world::create_account(
                &txn,
                AccountSpec {
                    username: &username,
                    dni: &dni,
                    names: ("Docente", "Sintético", "Grado"),
                    email: None,
                    role: Role::Teacher,
                    dre_id: None,
                    ugel_id: None,
                    school_id: Some(school.id),
                    level: None,
                },
                &hash,
            )
            .await?;
            world::assign_teacher(&txn, teacher.id, &[section.id]).await?;
        }
        txn.commit().await?;
        bar.inc(1);
    }
    bar.finish();
    Ok(())
}
