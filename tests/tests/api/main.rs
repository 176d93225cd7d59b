//! Black-box tests of the HTTP API, one module per area. Every test starts its own server on a
//! random port against a fresh database.

mod alerts;
mod auth;
mod authorization;
mod certificate_status;
mod certificates;
mod console;
mod console_helpdesk;
mod database;
mod demo;
mod evaluation;
mod exceptional;
mod hardening;
mod helpdesk;
mod helpdesk_calendar;
mod helpdesk_concurrency;
mod helpdesk_levels;
mod helpdesk_notices;
mod helpdesk_privacy;
mod helpdesk_queue;
mod helpdesk_report_problem;
mod helpdesk_reports;
mod http;
mod idempotency;
mod matrix;
mod pages;
mod provisioning;
mod recovery;
mod register;
mod registry;
mod regularization;
mod roster_import;
mod security;
mod snapshots;
mod sync;
mod uploads;
