//! The append-only audit trail's events: what was done, to which record, by whom, in which unit,
//! with the record before and after.

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait};
use serde::Serialize;

use entity::audit_event;

use crate::{auth::policy::Target, error::Result, time::now};

macro_rules! actions {
    ($($variant:ident = ($action:literal, $entity:literal),)*) => {
        /// Every kind of event of the trail, with the kind of record it is about.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum AuditAction { $($variant,)* }

        impl AuditAction {
            /// Every action, in declaration order.
            pub const ALL: &'static [AuditAction] = &[$(AuditAction::$variant,)*];

            /// The stored name of the action.
            pub const fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $action,)* }
            }

            /// The table of the record the action is about.
            pub const fn entity_type(self) -> &'static str {
                match self { $(Self::$variant => $entity,)* }
            }
        }
    };
}

actions! {
    // The organisation registry.
    DreCreated = ("dre_created", "dre"),
    UgelCreated = ("ugel_created", "ugel"),
    SchoolCreated = ("school_created", "school"),
    AcademicYearCreated = ("academic_year_created", "academic_year"),
    NonAcademicDayAdded = ("non_academic_day_added", "non_academic_day"),
    SectionCreated = ("section_created", "section"),
    StudentEnrolled = ("student_enrolled", "enrollment"),
    EnrollmentStatusChanged = ("enrollment_status_changed", "enrollment"),
    RosterImported = ("roster_imported", "section"),
    StaffRegistered = ("staff_registered", "person"),
    TeacherAssigned = ("teacher_assigned", "teacher_section"),
    TeacherUnassigned = ("teacher_unassigned", "teacher_section"),
    // Identity and provisioning.
    PasswordResetRequested = ("password_reset_requested", "user_account"),
    PasswordResetCompleted = ("password_reset_completed", "user_account"),
    PasswordChanged = ("password_changed", "user_account"),
    PasswordResetByManager = ("password_reset_by_manager", "user_account"),
    EmailConfirmed = ("email_confirmed", "user_account"),
    AccountCreated = ("account_created", "user_account"),
    AssignmentCreated = ("assignment_created", "role_assignment"),
    AssignmentEnded = ("assignment_ended", "role_assignment"),
    ProvisioningRequested = ("provisioning_requested", "provisioning_request"),
    ProvisioningApproved = ("provisioning_approved", "provisioning_request"),
    ProvisioningRejected = ("provisioning_rejected", "provisioning_request"),
    DeviceRevoked = ("device_revoked", "device"),
    // Attendance registers.
    RegisterModified = ("register_modified", "attendance_register"),
    RegisterClosed = ("register_closed", "attendance_register"),
    HeldMarksApplied = ("held_marks_applied", "attendance_register"),
    HeldMarksDismissed = ("held_marks_dismissed", "attendance_register"),
    RegisterModificationRequested = ("register_modification_requested", "register_modification"),
    RegisterModificationOpinion = ("register_modification_opinion", "register_modification"),
    RegisterModificationEnabled = ("register_modification_enabled", "register_modification"),
    RegisterModificationExpired = ("register_modification_expired", "register_modification"),
    // Evaluation.
    CurricularAreaCreated = ("curricular_area_created", "curricular_area"),
    CurricularAreaChanged = ("curricular_area_changed", "curricular_area"),
    TeacherAreasSet = ("teacher_areas_set", "section"),
    GradesEntered = ("grades_entered", "acta"),
    GradesImported = ("grades_imported", "acta"),
    FinalSituationsRecorded = ("final_situations_recorded", "acta"),
    ActaClosed = ("acta_closed", "acta"),
    RecoveryRecorded = ("recovery_recorded", "acta"),
    RecoveryDropped = ("recovery_dropped", "acta"),
    ActaModificationRequested = ("acta_modification_requested", "acta_modification"),
    RegularizationRequested = ("regularization_requested", "regularization"),
    RegularizationApproved = ("regularization_approved", "regularization"),
    RegularizationRejected = ("regularization_rejected", "regularization"),
    // A director read years a student studied at other IEs.
    StudentRecordRead = ("student_record_read", "student"),
    ActaModificationOpinion = ("acta_modification_opinion", "acta_modification"),
    ActaModificationEnabled = ("acta_modification_enabled", "acta_modification"),
    ActaModificationExpired = ("acta_modification_expired", "acta_modification"),
    // Certificates (Mi Certificado).
    CertificateRequested = ("certificate_requested", "certificate_request"),
    CertificateYearsSaved = ("certificate_years_saved", "certificate_request"),
    CertificateRequestRejected = ("certificate_request_rejected", "certificate_request"),
    CertificateIssued = ("certificate_issued", "certificate"),
    CertificateAnnulled = ("certificate_annulled", "certificate"),
    CertificateSuperseded = ("certificate_superseded", "certificate"),
    CertificateVerified = ("certificate_verified", "certificate"),
    CertificateDownloaded = ("certificate_downloaded", "certificate"),
    CertificateLinkSent = ("certificate_link_sent", "certificate_request"),
    CertificateSettingsChanged = ("certificate_settings_changed", "certificate_setting"),
    CertificateIssuerGranted = ("certificate_issuer_granted", "certificate_issuer"),
    CertificateIssuerRevoked = ("certificate_issuer_revoked", "certificate_issuer"),
    // Help desk
    HelpdeskTicketFiled = ("helpdesk_ticket_filed", "helpdesk_ticket"),
    HelpdeskTicketChanged = ("helpdesk_ticket_changed", "helpdesk_ticket"),
    HelpdeskMessagePosted = ("helpdesk_message_posted", "helpdesk_message"),
    HelpdeskTopicChanged = ("helpdesk_topic_changed", "helpdesk_topic"),
    HelpdeskHolidayAdded = ("helpdesk_holiday_added", "helpdesk_holiday"),
    HelpdeskHolidayChanged = ("helpdesk_holiday_changed", "helpdesk_holiday"),
    HelpdeskHolidayDeleted = ("helpdesk_holiday_deleted", "helpdesk_holiday"),
    HelpdeskAvailabilityChanged = ("helpdesk_availability_changed", "helpdesk_availability"),
    HelpdeskArticleChanged = ("helpdesk_article_changed", "helpdesk_article"),
    HelpdeskCannedReplyChanged = ("helpdesk_canned_reply_changed", "helpdesk_canned_reply"),
}

/// One entry of the trail, built step by step.
#[derive(Debug)]
pub struct Event {
    action: AuditAction,
    entity_id: Option<i64>,
    actor: Option<i64>,
    unit: Target,
    before: Option<String>,
    after: Option<String>,
}

impl Event {
    /// An event about one record (`None` when the record has no numeric id).
    pub fn new(action: AuditAction, entity_id: impl Into<Option<i64>>) -> Self {
        Self {
            action,
            entity_id: entity_id.into(),
            actor: None,
            unit: Target::default(),
            before: None,
            after: None,
        }
    }

    /// Who did it (no one: a scheduled job).
    pub fn by(mut self, user_id: i64) -> Self {
        self.actor = Some(user_id);
        self
    }

    /// The unit it happened in, so that those who oversee the unit can read it.
    pub fn in_unit(mut self, unit: Target) -> Self {
        self.unit = unit;
        self
    }

    pub fn before(mut self, value: &impl Serialize) -> Self {
        self.before = serde_json::to_string(value).ok();
        self
    }

    pub fn after(mut self, value: &impl Serialize) -> Self {
        self.after = serde_json::to_string(value).ok();
        self
    }
}

impl Event {
    /// An event that follows this one: the same record, actor and unit, another action.
    pub(super) fn followed_by(&self, action: AuditAction) -> Self {
        Self {
            action,
            entity_id: self.entity_id,
            actor: self.actor,
            unit: self.unit,
            before: None,
            after: None,
        }
    }
}

/// Appends an event, in the caller's transaction.
pub(super) async fn append(db: &impl ConnectionTrait, event: Event) -> Result<()> {
    row(event).insert(db).await?;
    Ok(())
}

/// The row of an event, stamped now.
pub(super) fn row(event: Event) -> audit_event::ActiveModel {
    audit_event::ActiveModel {
        at: Set(now()),
        actor_user_id: Set(event.actor),
        action: Set(event.action.as_str().to_owned()),
        entity_type: Set(event.action.entity_type().to_owned()),
        entity_id: Set(event.entity_id),
        dre_id: Set(event.unit.dre_id),
        ugel_id: Set(event.unit.ugel_id),
        school_id: Set(event.unit.school_id),
        before: Set(event.before),
        after: Set(event.after),
        request_id: Set(None),
        ..Default::default()
    }
}
