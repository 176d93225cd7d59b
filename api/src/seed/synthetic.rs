//! A synthetic country for benchmarks: `N` primary schools with `K` sections each (grades 1 to 6,
//! then second sections), `M` students per section, a director per school (`director.<school>`,
//! with e-mail) and one teacher account per section (`docente.<school>.<n>`, the IE's n-th
//! section), all with the password [`super::demo::DEMO_PASSWORD`]. Each chunk of schools is
//! written in one transaction with multi-row inserts, so a country of 100,000 IEs loads in
//! minutes.

use std::collections::HashMap;

use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
};

use entity::{
    academic_year, dre, enrollment, grade, person, role_assignment, school, school_staff, section,
    student, teacher_section, ugel, user_account,
};

use super::{demo::DEMO_PASSWORD, names::Lcg, world};
use crate::{
    auth::{Role, password},
    time::{now, today_lima},
};

/// Schools per UGEL and UGELs per DRE in the synthetic country.
const SCHOOLS_PER_UGEL: u64 = 100;
const UGELS_PER_DRE: u64 = 10;
/// Schools written per transaction: every table of a chunk goes in a few multi-row statements.
const SCHOOLS_PER_CHUNK: u64 = 100;
/// Rows per INSERT, under the bind-parameter limits of SQLite and PostgreSQL.
const ROWS_PER_INSERT: usize = 1000;

/// The size of a synthetic country.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub schools: u64,
    /// Sections per IE: grades 1 to 6 of primary, then a second (B, C, …) section of each grade.
    pub sections_per_school: u64,
    pub students_per_section: u64,
}

impl Size {
    /// `(grade ordinal, section name)` of the IE's `index`-th section.
    fn section(index: u64) -> (i16, String) {
        let name = char::from(b'A' + (index / 6) as u8).to_string();
        ((index % 6 + 1) as i16, name)
    }
}

/// Adds a synthetic country of the given size (see the module documentation).
pub async fn load(db: &DatabaseConnection, size: Size, show_progress: bool) -> anyhow::Result<()> {
    if !(1..=18).contains(&size.sections_per_school) {
        anyhow::bail!("las IE sintéticas tienen entre 1 y 18 secciones");
    }
    let hash = password::hash_blocking(DEMO_PASSWORD).map_err(|e| anyhow::anyhow!("{e}"))?;
    let year_number = world::academic_year_of(today_lima());
    let year = match academic_year::Entity::find()
        .filter(academic_year::Column::Year.eq(year_number))
        .one(db)
        .await?
    {
        Some(year) => year,
        None => world::create_year(db, year_number).await?,
    };
    let grades: HashMap<i16, i64> = grade::Entity::find()
        .filter(grade::Column::Level.eq("primaria"))
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.ordinal, g.id))
        .collect();
    let bar = if show_progress {
        ProgressBar::new(size.schools)
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
    // Codes and DNIs continue after what the database already holds, so that the dataset can be
    // loaded more than once into one database.
    let run = dre::Entity::find().count(db).await?;
    let first_school = school::Entity::find().count(db).await?;
    let next_dni = 10_000_000
        + student::Entity::find().count(db).await?
        + person::Entity::find().count(db).await?;
    let per_school = size.sections_per_school * (size.students_per_section + 1) + 1;
    if first_school + size.schools > 5_000_000 || next_dni + size.schools * per_school > 69_999_999
    {
        anyhow::bail!(
            "el conjunto sintético no cabe en los rangos de códigos modulares y DNI reservados"
        );
    }
    let mut loader = Loader {
        size,
        run,
        first_school,
        next_dni,
        year,
        grades,
        hash,
        rng: Lcg::new(7),
        ugel_id: 0,
        dre_id: 0,
    };
    let mut n = 0;
    while n < size.schools {
        let count = SCHOOLS_PER_CHUNK.min(size.schools - n);
        let txn = crate::db::begin(db).await?;
        loader.chunk(&txn, n, count).await?;
        txn.commit().await?;
        n += count;
        bar.inc(count);
    }
    bar.finish();
    // Fresh statistics, so that the planner knows the tables just grew by millions of rows.
    db.execute_unprepared("ANALYZE").await?;
    Ok(())
}

/// Username, e-mail, role, IE and (for a teacher) section of an account to create.
type AccountRow = (String, Option<String>, Role, i64, Option<i64>);

struct Loader {
    size: Size,
    run: u64,
    first_school: u64,
    next_dni: u64,
    year: academic_year::Model,
    grades: HashMap<i16, i64>,
    hash: String,
    rng: Lcg,
    ugel_id: i64,
    dre_id: i64,
}

impl Loader {
    fn dni(&mut self) -> String {
        self.next_dni += 1;
        format!("{:08}", self.next_dni)
    }

    /// Schools `first..first + count`, with their sections, students, director and teachers.
    async fn chunk(
        &mut self,
        db: &DatabaseTransaction,
        first: u64,
        count: u64,
    ) -> anyhow::Result<()> {
        let at = now();
        let mut schools = Vec::new();
        for n in first..first + count {
            self.open_units(db, n).await?;
            let code = format!("{:07}", 2_000_000 + self.first_school + n);
            schools.push(school::ActiveModel {
                ugel_id: Set(self.ugel_id),
                codigo_modular: Set(code.clone()),
                anexo: Set(0),
                name: Set(format!("IE sintética N° {}", n + 1)),
                level: Set(entity::vocabulary::Level::Primaria),
                modality: Set(entity::vocabulary::Modality::Ebr),
                management: Set(entity::vocabulary::Management::Publica),
                is_pronoei: Set(false),
                centro_poblado: Set("Centro poblado".into()),
                district: Set("Distrito".into()),
                email: Set(Some(format!("ie{code}@siagie.local"))),
                created_at: Set(at),
                ..Default::default()
            });
        }
        let schools = insert_returning::<school::Entity, _>(db, schools).await?;

        let sections: Vec<section::ActiveModel> = schools
            .iter()
            .flat_map(|school| {
                (0..self.size.sections_per_school).map(move |index| (school, Size::section(index)))
            })
            .map(|(school, (ordinal, name))| section::ActiveModel {
                school_id: Set(school.id),
                academic_year_id: Set(self.year.id),
                grade_id: Set(self.grades.get(&ordinal).copied().unwrap_or_default()),
                name: Set(name),
                created_at: Set(at),
                ..Default::default()
            })
            .collect();
        let mut sections = insert_returning::<section::Entity, _>(db, sections).await?;
        sections.sort_by_key(|s| s.id);

        // Students, and their enrollments from the first day of the year.
        let mut students = Vec::new();
        for (index, section) in sections.iter().enumerate() {
            let grade = index as u64 % self.size.sections_per_school % 6;
            for _ in 0..self.size.students_per_section {
                let dni = self.dni();
                let birth_year = self.year.year - 7 - grade as i32;
                students.push((
                    section.id,
                    world::generated_student(&mut self.rng, dni, birth_year, at),
                ));
            }
        }
        let section_of: HashMap<String, i64> = students
            .iter()
            .filter_map(|(section, s)| Some((s.dni.as_ref().clone()?, *section)))
            .collect();
        let created =
            insert_returning::<student::Entity, _>(db, students.into_iter().map(|(_, s)| s))
                .await?;
        let enrollments = created.iter().filter_map(|s| {
            Some(enrollment::ActiveModel {
                student_id: Set(s.id),
                section_id: Set(*section_of.get(s.dni.as_ref()?)?),
                academic_year_id: Set(self.year.id),
                starts_on: Set(self.year.starts_on),
                status: Set(entity::vocabulary::EnrollmentStatus::Activo),
                status_date: Set(None),
                updated_at: Set(at),
                ..Default::default()
            })
        });
        insert_all::<enrollment::Entity, _>(db, enrollments).await?;

        // A director per IE (with e-mail) and a teacher per section.
        let mut accounts: Vec<AccountRow> = Vec::new();
        for school in &schools {
            let code = &school.codigo_modular;
            accounts.push((
                format!("director.{code}"),
                Some(format!("director.{code}@siagie.local")),
                Role::Director,
                school.id,
                None,
            ));
            for (index, section) in sections
                .iter()
                .filter(|s| s.school_id == school.id)
                .enumerate()
            {
                accounts.push((
                    format!("docente.{code}.{}", index + 1),
                    None,
                    Role::Teacher,
                    school.id,
                    Some(section.id),
                ));
            }
        }
        let people: Vec<person::ActiveModel> = accounts
            .iter()
            .map(|(_, email, role, ..)| {
                let (paternal, given) = match role {
                    Role::Director => ("Director", "IE"),
                    _ => ("Docente", "Grado"),
                };
                person::ActiveModel {
                    dni: Set(self.dni()),
                    paternal_surname: Set(paternal.into()),
                    maternal_surname: Set("Sintético".into()),
                    given_names: Set(given.into()),
                    email: Set(email.clone()),
                    cell_phone: Set(None),
                    created_at: Set(at),
                    ..Default::default()
                }
            })
            .collect();
        let mut people = insert_returning::<person::Entity, _>(db, people).await?;
        people.sort_by(|a, b| a.dni.cmp(&b.dni));
        let users = accounts
            .iter()
            .zip(&people)
            .map(|((username, ..), person)| user_account::ActiveModel {
                person_id: Set(person.id),
                username: Set(username.clone()),
                password_hash: Set(self.hash.clone()),
                must_change_password: Set(false),
                created_at: Set(at),
                password_changed_at: Set(at),
                ..Default::default()
            });
        let users: HashMap<i64, i64> = insert_returning::<user_account::Entity, _>(db, users)
            .await?
            .into_iter()
            .map(|u| (u.person_id, u.id))
            .collect();
        let roles = accounts
            .iter()
            .zip(&people)
            .map(
                |((_, _, role, school, _), person)| role_assignment::ActiveModel {
                    user_id: Set(users.get(&person.id).copied().unwrap_or_default()),
                    role: Set(role.code().into()),
                    dre_id: Set(None),
                    ugel_id: Set(None),
                    school_id: Set(Some(*school)),
                    level: Set(None),
                    active: Set(true),
                    starts_at: Set(at),
                    ended_at: Set(None),
                    resolution_number: Set(None),
                    resolution_date: Set(None),
                    request_id: Set(None),
                    ..Default::default()
                },
            );
        insert_all::<role_assignment::Entity, _>(db, roles).await?;
        // The directors confirmed their addresses: their alerts go there.
        let confirmed = people.iter().filter_map(|person| {
            Some(entity::confirmed_email::ActiveModel {
                person_id: Set(person.id),
                email: Set(person.email.clone()?),
                confirmed_at: Set(at),
            })
        });
        insert_all::<entity::confirmed_email::Entity, _>(db, confirmed).await?;
        let teachers: Vec<(i64, i64, i64)> = accounts
            .iter()
            .zip(&people)
            .filter_map(|((.., school, section), person)| Some((*school, (*section)?, person.id)))
            .collect();
        let staff = teachers
            .iter()
            .map(|(school, _, person)| school_staff::ActiveModel {
                school_id: Set(*school),
                person_id: Set(*person),
                position: Set(Role::Teacher.code().into()),
                active: Set(true),
                created_at: Set(at),
                ..Default::default()
            });
        insert_all::<school_staff::Entity, _>(db, staff).await?;
        let assignments =
            teachers
                .iter()
                .map(|(_, section, person)| teacher_section::ActiveModel {
                    section_id: Set(*section),
                    person_id: Set(*person),
                    active: Set(true),
                    created_at: Set(at),
                    ..Default::default()
                });
        insert_all::<teacher_section::Entity, _>(db, assignments).await?;
        Ok(())
    }

    /// Opens a new DRE and UGEL where school `n` starts one.
    async fn open_units(&mut self, db: &DatabaseTransaction, n: u64) -> anyhow::Result<()> {
        let run = self.run;
        if n.is_multiple_of(SCHOOLS_PER_UGEL * UGELS_PER_DRE) {
            let index = n / (SCHOOLS_PER_UGEL * UGELS_PER_DRE);
            self.dre_id = dre::ActiveModel {
                code: Set(format!("DRE-SYN-{run}-{index}")),
                name: Set(format!("DRE sintética {}", index + 1)),
                created_at: Set(now()),
                ..Default::default()
            }
            .insert(db)
            .await?
            .id;
        }
        if n.is_multiple_of(SCHOOLS_PER_UGEL) {
            let index = n / SCHOOLS_PER_UGEL;
            self.ugel_id = ugel::ActiveModel {
                dre_id: Set(self.dre_id),
                code: Set(format!("UGEL-SYN-{run}-{index}")),
                name: Set(format!("UGEL sintética {}", index + 1)),
                created_at: Set(now()),
                ..Default::default()
            }
            .insert(db)
            .await?
            .id;
        }
        Ok(())
    }
}

/// Inserts rows in multi-row statements and returns them as stored.
async fn insert_returning<E, A>(
    db: &DatabaseTransaction,
    rows: impl IntoIterator<Item = A>,
) -> anyhow::Result<Vec<E::Model>>
where
    E: EntityTrait,
    A: ActiveModelTrait<Entity = E>,
    E::Model: sea_orm::IntoActiveModel<A>,
{
    let rows: Vec<A> = rows.into_iter().collect();
    let mut out = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        out.extend(
            E::insert_many(chunk.to_vec())
                .exec_with_returning(db)
                .await?,
        );
    }
    Ok(out)
}

/// Inserts rows in multi-row statements.
async fn insert_all<E, A>(
    db: &DatabaseTransaction,
    rows: impl IntoIterator<Item = A>,
) -> anyhow::Result<()>
where
    E: EntityTrait,
    A: ActiveModelTrait<Entity = E>,
{
    let rows: Vec<A> = rows.into_iter().collect();
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        E::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}
