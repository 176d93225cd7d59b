//! Who may do what, and where: the whole authorization matrix in one place.
//!
//! A request is allowed when one of the caller's active assignments has a role that grants the
//! action ([`grants`]) in a unit that contains the target ([`Assignment::covers`]).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::Level;

/// A role of `docs/domain.md` §2, with its machine code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Administrador SIAGIE (Unidad de Estadística, MINEDU).
    MineduAdmin,
    /// Especialista SIAGIE MINEDU.
    MineduSpecialist,
    /// Agente de la Central de Atención.
    HelpdeskAgent,
    /// Especialista SIAGIE DRE.
    DreSpecialist,
    /// Estadístico DRE.
    DreStatistician,
    /// Especialista SIAGIE UGEL.
    UgelSpecialist,
    /// Especialista del nivel educativo (UGEL, per level).
    LevelSpecialist,
    /// Estadístico UGEL.
    UgelStatistician,
    /// Director IE, or coordinator of a PRONOEI.
    Director,
    /// Personal IE: subdirector.
    DeputyDirector,
    /// Personal IE: secretario.
    Secretary,
    /// Personal IE: docente.
    Teacher,
    /// Personal IE: auxiliar.
    Assistant,
    /// Personal IE: administrativo.
    Administrative,
}

/// The kind of unit a role is held in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitKind {
    Minedu,
    Dre,
    Ugel,
    School,
}

impl Role {
    pub const ALL: &'static [Role] = &[
        Role::MineduAdmin,
        Role::MineduSpecialist,
        Role::HelpdeskAgent,
        Role::DreSpecialist,
        Role::DreStatistician,
        Role::UgelSpecialist,
        Role::LevelSpecialist,
        Role::UgelStatistician,
        Role::Director,
        Role::DeputyDirector,
        Role::Secretary,
        Role::Teacher,
        Role::Assistant,
        Role::Administrative,
    ];

    /// The machine code stored in the database.
    pub fn code(self) -> &'static str {
        match self {
            Role::MineduAdmin => "minedu_admin",
            Role::MineduSpecialist => "minedu_specialist",
            Role::HelpdeskAgent => "helpdesk_agent",
            Role::DreSpecialist => "dre_specialist",
            Role::DreStatistician => "dre_statistician",
            Role::UgelSpecialist => "ugel_specialist",
            Role::LevelSpecialist => "level_specialist",
            Role::UgelStatistician => "ugel_statistician",
            Role::Director => "director",
            Role::DeputyDirector => "deputy_director",
            Role::Secretary => "secretary",
            Role::Teacher => "teacher",
            Role::Assistant => "assistant",
            Role::Administrative => "administrative",
        }
    }

    pub fn parse(code: &str) -> Option<Role> {
        Role::ALL.iter().copied().find(|role| role.code() == code)
    }

    /// The Spanish name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Role::MineduAdmin => "Administrador SIAGIE",
            Role::MineduSpecialist => "Especialista SIAGIE MINEDU",
            Role::HelpdeskAgent => "Agente de la Central de Atención",
            Role::DreSpecialist => "Especialista SIAGIE DRE",
            Role::DreStatistician => "Estadístico DRE",
            Role::UgelSpecialist => "Especialista SIAGIE UGEL",
            Role::LevelSpecialist => "Especialista del nivel educativo",
            Role::UgelStatistician => "Estadístico UGEL",
            Role::Director => "Director de IE",
            Role::DeputyDirector => "Subdirector",
            Role::Secretary => "Secretario",
            Role::Teacher => "Docente",
            Role::Assistant => "Auxiliar",
            Role::Administrative => "Administrativo",
        }
    }

    /// Where the role is held.
    pub fn unit_kind(self) -> UnitKind {
        match self {
            Role::MineduAdmin | Role::MineduSpecialist | Role::HelpdeskAgent => UnitKind::Minedu,
            Role::DreSpecialist | Role::DreStatistician => UnitKind::Dre,
            Role::UgelSpecialist | Role::LevelSpecialist | Role::UgelStatistician => UnitKind::Ugel,
            _ => UnitKind::School,
        }
    }
}

/// What a request wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Read DRE, UGEL and IE data and the academic calendar.
    ReadOrganisation,
    /// Create DREs, UGELs, IEs and academic years; set the national calendar.
    ManageOrganisation,
    /// Add non-academic days for a UGEL or an IE.
    ManageCalendar,
    /// Read sections, students, enrollments, staff and teacher assignments.
    ReadRoster,
    /// Change those (docs/domain.md §2: records are changed by the director of the IE).
    ManageRoster,
    /// Read the audit trail of a unit.
    ReadAudit,
    /// List and revoke the tablets of an IE.
    ManageDevices,
    /// Record attendance in a section (a teacher in the sections it teaches, the director in
    /// every section of its IE).
    TakeAttendance,
    /// Close a monthly register, request its exceptional modification, apply held marks.
    CloseRegister,
    /// Give the favourable (or unfavourable) opinion on an exceptional modification.
    OpineModification,
    /// Enable an exceptional modification for a limited time.
    EnableModification,
    /// Enter final grades in a section's acta (a teacher in the sections and areas it teaches,
    /// the director in every section of its IE).
    EnterGrades,
    /// Keep an IE's actas: record final situations, close an acta, ask for its exceptional
    /// modification.
    KeepActa,
    /// Read a student's record of closed actas across years and schools.
    ReadRecord,
    // Certificates (Mi Certificado).
    /// Issue, reject, annul and correct the study certificates of an IE, and list them (staff
    /// the director granted it to also may, see `certificates::access`).
    IssueCertificates,
    /// Enable the constancia and public requests for an IE, grant the right to issue.
    ConfigureCertificates,
    // Help desk
    /// File a ticket with the help desk (every signed-in person).
    FileTicket,
    /// Work the help desk's tickets at the role's level: N1 the Central de Atención, N2 the
    /// Especialista SIAGIE of the UGEL or DRE, N3 the Especialista SIAGIE MINEDU.
    WorkTickets,
    /// Keep the help desk's topics, calendar and knowledge base.
    ManageHelpdesk,
    /// Read the help desk's reports.
    ReadHelpdeskReports,
}

use Action::*;
use Role::*;

/// The matrix: which actions each role is granted, anywhere inside its unit.
#[rustfmt::skip]
const MATRIX: &[(Role, &[Action])] = &[
    (MineduAdmin,      &[ReadOrganisation, ManageOrganisation, ManageCalendar, ReadRoster, ManageRoster, ReadAudit, ManageDevices, ReadRecord]),
    (MineduSpecialist, &[ReadOrganisation, ReadRoster, ReadAudit, ReadRecord]),
    (HelpdeskAgent,    &[ReadOrganisation]),
    (DreSpecialist,    &[ReadOrganisation, ReadRoster, ReadAudit, ReadRecord]),
    (DreStatistician,  &[ReadOrganisation, ReadRoster]),
    (UgelSpecialist,   &[ReadOrganisation, ManageCalendar, ReadRoster, ReadAudit, EnableModification, ReadRecord]),
    (LevelSpecialist,  &[ReadOrganisation, ReadRoster, OpineModification, ReadRecord]),
    (UgelStatistician, &[ReadOrganisation, ReadRoster]),
    (Director,         &[ReadOrganisation, ManageCalendar, ReadRoster, ManageRoster, ReadAudit, ManageDevices, TakeAttendance, CloseRegister, EnterGrades, KeepActa, ReadRecord, IssueCertificates, ConfigureCertificates]),
    (DeputyDirector,   &[ReadOrganisation, ReadRoster]),
    (Secretary,        &[ReadOrganisation, ReadRoster]),
    (Teacher,          &[ReadOrganisation, ReadRoster, TakeAttendance, EnterGrades]),
    (Assistant,        &[ReadOrganisation]),
    (Administrative,   &[ReadOrganisation]),
];

// Help desk
/// The help desk's part of the matrix: every role files tickets; the levels work them.
#[rustfmt::skip]
const HELPDESK_MATRIX: &[(Role, &[Action])] = &[
    (MineduAdmin,      &[WorkTickets, ManageHelpdesk, ReadHelpdeskReports]),
    (MineduSpecialist, &[WorkTickets, ReadHelpdeskReports]),
    (HelpdeskAgent,    &[WorkTickets, ManageHelpdesk, ReadHelpdeskReports]),
    (DreSpecialist,    &[WorkTickets]),
    (UgelSpecialist,   &[WorkTickets]),
];

/// Whether a role is granted an action (in its own unit).
pub fn grants(role: Role, action: Action) -> bool {
    action == FileTicket
        || MATRIX
            .iter()
            .chain(HELPDESK_MATRIX)
            .any(|(r, actions)| *r == role && actions.contains(&action))
}

/// Who decides a request (alta or baja) for a role, per docs/domain.md §2: the MINEDU administrator
/// for MINEDU, DRE and UGEL roles; the Especialista SIAGIE UGEL for directors; the director for the
/// staff of its IE.
pub fn provisioning_authority(role: Role) -> Role {
    match role.unit_kind() {
        UnitKind::Minedu | UnitKind::Dre | UnitKind::Ugel => MineduAdmin,
        UnitKind::School if role == Director => UgelSpecialist,
        UnitKind::School => Director,
    }
}

/// Whether a request for this role must carry the designation resolution (RD).
pub fn requires_resolution(role: Role) -> bool {
    matches!(role.unit_kind(), UnitKind::Dre | UnitKind::Ugel) || role == Director
}

/// Whether a request for this role must carry an e-mail address.
pub fn requires_email(role: Role) -> bool {
    role.unit_kind() != UnitKind::School || role == Director
}

/// Roles that have one active holder per unit (and per level for the Especialista del nivel).
pub fn single_holder(role: Role) -> bool {
    matches!(
        role,
        DreSpecialist
            | DreStatistician
            | UgelSpecialist
            | UgelStatistician
            | LevelSpecialist
            | Director
    )
}

/// The unit an assignment is held in, with its ancestors so that checks need no query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Minedu,
    Dre {
        dre_id: i64,
    },
    Ugel {
        ugel_id: i64,
        dre_id: i64,
    },
    School {
        school_id: i64,
        ugel_id: i64,
        dre_id: i64,
    },
}

/// One active role of the caller in one unit.
#[derive(Debug, Clone)]
pub struct Assignment {
    pub id: i64,
    pub role: Role,
    pub unit: Unit,
    /// For the Especialista del nivel: the level it oversees.
    pub level: Option<Level>,
}

/// What an action is aimed at: the nation, or a unit down to one section.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Target {
    pub dre_id: Option<i64>,
    pub ugel_id: Option<i64>,
    pub school_id: Option<i64>,
    pub school_level: Option<Level>,
    pub section_id: Option<i64>,
}

impl Target {
    /// The whole country (e.g. creating a DRE).
    pub fn national() -> Self {
        Self::default()
    }

    pub fn dre(dre_id: i64) -> Self {
        Self {
            dre_id: Some(dre_id),
            ..Self::default()
        }
    }

    pub fn ugel(ugel_id: i64, dre_id: i64) -> Self {
        Self {
            dre_id: Some(dre_id),
            ugel_id: Some(ugel_id),
            ..Self::default()
        }
    }

    pub fn school(school_id: i64, ugel_id: i64, dre_id: i64, level: Level) -> Self {
        Self {
            dre_id: Some(dre_id),
            ugel_id: Some(ugel_id),
            school_id: Some(school_id),
            school_level: Some(level),
            section_id: None,
        }
    }

    pub fn with_section(self, section_id: i64) -> Self {
        Self {
            section_id: Some(section_id),
            ..self
        }
    }
}

impl Assignment {
    /// Whether the unit of this assignment contains the target. A teacher's reach inside its IE
    /// is limited to the sections it teaches.
    pub fn covers(&self, target: &Target, taught_sections: &[i64]) -> bool {
        match self.unit {
            Unit::Minedu => true,
            Unit::Dre { dre_id } => target.dre_id == Some(dre_id),
            Unit::Ugel { ugel_id, .. } => {
                target.ugel_id == Some(ugel_id)
                    && match (self.level, target.school_level) {
                        (Some(mine), Some(theirs)) => mine == theirs,
                        _ => true,
                    }
            }
            Unit::School { school_id, .. } => {
                target.school_id == Some(school_id)
                    && (self.role != Role::Teacher
                        || target
                            .section_id
                            .is_none_or(|s| taught_sections.contains(&s)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(role: Role, unit: Unit) -> Assignment {
        Assignment {
            id: 1,
            role,
            unit,
            level: None,
        }
    }

    const SCHOOL: Unit = Unit::School {
        school_id: 10,
        ugel_id: 5,
        dre_id: 1,
    };

    #[test]
    fn every_role_has_a_row_in_the_matrix() {
        for role in Role::ALL {
            assert!(MATRIX.iter().any(|(r, _)| r == role), "{role:?} missing");
            assert_eq!(Role::parse(role.code()), Some(*role));
        }
    }

    #[test]
    fn only_directors_and_the_administrator_change_records() {
        let writers: Vec<Role> = Role::ALL
            .iter()
            .copied()
            .filter(|r| grants(*r, ManageRoster))
            .collect();
        assert_eq!(writers, vec![MineduAdmin, Director]);
    }

    #[test]
    fn provisioning_goes_to_the_authority_seed_002_names() {
        assert_eq!(provisioning_authority(UgelSpecialist), MineduAdmin);
        assert_eq!(provisioning_authority(DreStatistician), MineduAdmin);
        assert_eq!(provisioning_authority(HelpdeskAgent), MineduAdmin);
        assert_eq!(provisioning_authority(Director), UgelSpecialist);
        assert_eq!(provisioning_authority(Teacher), Director);
        assert!(requires_resolution(Director) && requires_resolution(LevelSpecialist));
        assert!(!requires_resolution(Teacher) && !requires_resolution(MineduSpecialist));
    }

    #[test]
    fn a_ugel_reaches_its_schools_only() {
        let ugel = at(
            UgelSpecialist,
            Unit::Ugel {
                ugel_id: 5,
                dre_id: 1,
            },
        );
        assert!(ugel.covers(&Target::school(10, 5, 1, Level::Primaria), &[]));
        assert!(!ugel.covers(&Target::school(11, 6, 1, Level::Primaria), &[]));
        assert!(!ugel.covers(&Target::dre(1), &[]));
    }

    #[test]
    fn a_level_specialist_reaches_its_level_only() {
        let mut spec = at(
            LevelSpecialist,
            Unit::Ugel {
                ugel_id: 5,
                dre_id: 1,
            },
        );
        spec.level = Some(Level::Inicial);
        assert!(spec.covers(&Target::school(10, 5, 1, Level::Inicial), &[]));
        assert!(!spec.covers(&Target::school(10, 5, 1, Level::Secundaria), &[]));
    }

    #[test]
    fn a_teacher_reaches_its_sections_only() {
        let teacher = at(Teacher, SCHOOL);
        let school = Target::school(10, 5, 1, Level::Primaria);
        assert!(teacher.covers(&school.with_section(100), &[100, 101]));
        assert!(!teacher.covers(&school.with_section(102), &[100, 101]));
        assert!(!teacher.covers(&Target::school(11, 5, 1, Level::Primaria), &[100]));
    }

    #[test]
    fn a_director_reaches_every_section_of_its_school() {
        let director = at(Director, SCHOOL);
        assert!(director.covers(
            &Target::school(10, 5, 1, Level::Primaria).with_section(999),
            &[]
        ));
        assert!(!director.covers(&Target::school(12, 5, 1, Level::Primaria), &[]));
    }
}
