//! SeaORM entities of the SIAGIE back end: plain data, no behaviour, and the byte format of the
//! columns that pack many values (a batch's marks, a section's day).

pub mod academic_year;
pub mod acta;
pub mod acta_modification;
pub mod attendance_entry;
pub mod attendance_register;
pub mod audit_event;
pub mod certificate;
pub mod certificate_issuer;
pub mod certificate_request;
pub mod certificate_setting;
pub mod certificate_year;
pub mod change_log;
pub mod curricular_area;
pub mod device;
pub mod dre;
pub mod enrollment;
pub mod final_grade;
pub mod final_situation;
pub mod grade;
pub mod held_mark;
pub mod job_run;
pub mod login_throttle;
pub mod mail_outbox;
pub mod mark_receipt;
pub mod non_academic_day;
pub mod password_reset_token;
pub mod person;
pub mod provisioning_request;
pub mod refresh_token;
pub mod register_modification;
pub mod register_progress;
pub mod role_assignment;
pub mod school;
pub mod school_staff;
pub mod section;
pub mod section_day;
pub mod student;
pub mod sync_batch;
pub mod teacher_area;
pub mod teacher_section;
pub mod ugel;

mod packed;
pub mod user_account;
pub mod vocabulary;
