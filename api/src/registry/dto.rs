//! Shapes of the registry API.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use entity::{
    academic_year, dre, enrollment, grade, non_academic_day, person, school, section, student, ugel,
};

/// A regional directorate.
#[derive(Debug, Serialize, ToSchema)]
pub struct DreView {
    pub id: i64,
    pub code: String,
    pub name: String,
}

impl From<dre::Model> for DreView {
    fn from(m: dre::Model) -> Self {
        Self {
            id: m.id,
            code: m.code,
            name: m.name,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewDre {
    /// Short code, e.g. `DRE-CAJ`.
    pub code: String,
    pub name: String,
}

/// A local unit (UGEL).
#[derive(Debug, Serialize, ToSchema)]
pub struct UgelView {
    pub id: i64,
    pub dre_id: i64,
    pub code: String,
    pub name: String,
}

impl From<ugel::Model> for UgelView {
    fn from(m: ugel::Model) -> Self {
        Self {
            id: m.id,
            dre_id: m.dre_id,
            code: m.code,
            name: m.name,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewUgel {
    pub dre_id: i64,
    pub code: String,
    pub name: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UgelFilter {
    pub dre_id: Option<i64>,
}

/// An educational institution (IE).
#[derive(Debug, Serialize, ToSchema)]
pub struct SchoolView {
    pub id: i64,
    pub ugel_id: i64,
    /// Código modular and anexo, as written: `1413889-0`.
    pub code: String,
    pub codigo_modular: String,
    pub anexo: i16,
    pub name: String,
    /// `inicial`, `primaria` or `secundaria`.
    pub level: String,
    /// `ebr`, `ebe` or `eba`.
    pub modality: String,
    /// `publica` or `privada`.
    pub management: String,
    pub is_pronoei: bool,
    pub centro_poblado: String,
    pub district: String,
    pub email: Option<String>,
}

impl From<school::Model> for SchoolView {
    fn from(m: school::Model) -> Self {
        Self {
            id: m.id,
            ugel_id: m.ugel_id,
            code: format!("{}-{}", m.codigo_modular, m.anexo),
            codigo_modular: m.codigo_modular,
            anexo: m.anexo,
            name: m.name,
            level: m.level.code().to_owned(),
            modality: m.modality.code().to_owned(),
            management: m.management.code().to_owned(),
            is_pronoei: m.is_pronoei,
            centro_poblado: m.centro_poblado,
            district: m.district,
            email: m.email,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewSchool {
    pub ugel_id: i64,
    pub codigo_modular: String,
    #[serde(default)]
    pub anexo: i16,
    pub name: String,
    pub level: String,
    pub modality: String,
    pub management: String,
    #[serde(default)]
    pub is_pronoei: bool,
    pub centro_poblado: String,
    pub district: String,
    pub email: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SchoolFilter {
    pub dre_id: Option<i64>,
    pub ugel_id: Option<i64>,
    pub level: Option<String>,
    /// Part of the name, or the código modular.
    pub q: Option<String>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

/// A grade of the catalogue.
#[derive(Debug, Serialize, ToSchema)]
pub struct GradeView {
    pub id: i64,
    pub level: String,
    pub ordinal: i16,
    pub name: String,
}

impl From<grade::Model> for GradeView {
    fn from(m: grade::Model) -> Self {
        Self {
            id: m.id,
            level: m.level.code().to_owned(),
            ordinal: m.ordinal,
            name: m.name,
        }
    }
}

/// An academic year.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AcademicYearView {
    pub year: i32,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

impl From<academic_year::Model> for AcademicYearView {
    fn from(m: academic_year::Model) -> Self {
        Self {
            year: m.year,
            starts_on: m.starts_on,
            ends_on: m.ends_on,
        }
    }
}

/// A non-academic day.
#[derive(Debug, Serialize, ToSchema)]
pub struct NonAcademicDayView {
    pub id: i64,
    pub date: NaiveDate,
    /// `national`, `ugel` or `school`.
    pub scope: String,
    pub ugel_id: Option<i64>,
    pub school_id: Option<i64>,
    pub description: String,
}

impl From<non_academic_day::Model> for NonAcademicDayView {
    fn from(m: non_academic_day::Model) -> Self {
        Self {
            id: m.id,
            date: m.date,
            scope: sea_orm::ActiveEnum::to_value(&m.scope),
            ugel_id: m.ugel_id,
            school_id: m.school_id,
            description: m.description,
        }
    }
}

/// A new non-academic day: national (neither id), for a UGEL, or for an IE.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewNonAcademicDay {
    pub date: NaiveDate,
    pub description: String,
    pub ugel_id: Option<i64>,
    pub school_id: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CalendarFilter {
    /// The IE whose effective calendar (national + UGEL + IE) is wanted.
    pub school_id: Option<i64>,
}

/// A section of a grade in an IE.
#[derive(Debug, Serialize, ToSchema)]
pub struct SectionView {
    pub id: i64,
    pub school_id: i64,
    pub academic_year: i32,
    pub grade_id: i64,
    pub grade_name: String,
    pub name: String,
}

impl SectionView {
    pub fn new(s: section::Model, year: i32, grade: &grade::Model) -> Self {
        Self {
            id: s.id,
            school_id: s.school_id,
            academic_year: year,
            grade_id: s.grade_id,
            grade_name: grade.name.clone(),
            name: s.name,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewSection {
    pub academic_year: i32,
    pub grade_id: i64,
    /// `A`, `B`, `ÚNICA`…
    pub name: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SectionFilter {
    pub year: Option<i32>,
}

/// A student in a section's list (nómina), with the enrollment.
#[derive(Debug, Serialize, ToSchema)]
pub struct RosterEntry {
    pub enrollment_id: i64,
    pub student_id: i64,
    pub dni: Option<String>,
    pub student_code: Option<String>,
    pub paternal_surname: String,
    pub maternal_surname: String,
    pub given_names: String,
    /// `H` (hombre) or `M` (mujer), as SIAGIE writes it.
    pub sex: Option<String>,
    pub starts_on: NaiveDate,
    /// `activo`, `trasladado`, `retirado` or `fallecido`.
    pub status: String,
    pub status_date: Option<NaiveDate>,
}

impl RosterEntry {
    pub fn new(e: enrollment::Model, s: student::Model) -> Self {
        Self {
            enrollment_id: e.id,
            student_id: s.id,
            dni: s.dni,
            student_code: s.student_code,
            paternal_surname: s.paternal_surname,
            maternal_surname: s.maternal_surname,
            given_names: s.given_names,
            sex: s.sex,
            starts_on: e.starts_on,
            status: e.status.code().to_owned(),
            status_date: e.status_date,
        }
    }
}

/// Enroll one student in a section; the student is created if its document is new.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewEnrollment {
    /// DNI (8 digits) or código de estudiante (14 digits).
    pub document: String,
    pub paternal_surname: String,
    pub maternal_surname: String,
    pub given_names: String,
    pub birth_date: Option<NaiveDate>,
    /// `H` or `M`.
    pub sex: Option<String>,
    pub starts_on: NaiveDate,
}

/// A change of enrollment status (traslado, retiro, fallecimiento, or back to activo).
#[derive(Debug, Deserialize, ToSchema)]
pub struct EnrollmentStatusChange {
    pub status: String,
    pub status_date: Option<NaiveDate>,
}

/// What a roster import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    pub rows: usize,
    pub students_created: usize,
    pub enrolled: usize,
    /// Rows whose student was already enrolled in this section.
    pub already_enrolled: usize,
}

/// A rejected row of a roster import.
#[derive(Debug, Serialize, ToSchema)]
pub struct RowError {
    /// Line of the file (the header is line 1).
    pub line: usize,
    pub field: String,
    pub message: String,
}

/// A staff member of an IE.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffView {
    pub person_id: i64,
    pub dni: String,
    pub paternal_surname: String,
    pub maternal_surname: String,
    pub given_names: String,
    pub email: Option<String>,
    pub cell_phone: Option<String>,
    pub position: String,
    pub active: bool,
}

impl StaffView {
    pub fn new(p: person::Model, position: String, active: bool) -> Self {
        Self {
            person_id: p.id,
            dni: p.dni,
            paternal_surname: p.paternal_surname,
            maternal_surname: p.maternal_surname,
            given_names: p.given_names,
            email: p.email,
            cell_phone: p.cell_phone,
            position,
            active,
        }
    }
}

/// Register a person as staff of an IE.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewStaff {
    pub dni: String,
    pub paternal_surname: String,
    pub maternal_surname: String,
    pub given_names: String,
    pub email: Option<String>,
    pub cell_phone: Option<String>,
    /// `deputy_director`, `secretary`, `teacher`, `assistant` or `administrative`.
    pub position: String,
}

/// Assign a teacher (a staff member of the IE) to a section.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TeacherAssignment {
    pub person_id: i64,
}
