//! SeaORM entities of the SIAGIE back end: plain data, no behaviour.

pub mod academic_year;
pub mod audit_event;
pub mod device;
pub mod dre;
pub mod enrollment;
pub mod grade;
pub mod login_throttle;
pub mod mail_outbox;
pub mod non_academic_day;
pub mod password_reset_token;
pub mod person;
pub mod provisioning_request;
pub mod refresh_token;
pub mod role_assignment;
pub mod school;
pub mod school_staff;
pub mod section;
pub mod student;
pub mod teacher_section;
pub mod ugel;
pub mod user_account;
