//! What the help desk's endpoints take and answer.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use entity::helpdesk_vocabulary::{
    ArticleState, EventKind, N2Unit, Priority, Severity, TicketLevel, TicketState,
};

use super::sla;

/// The fields of the help form (docs/domain.md §5), sent as `multipart/form-data` with up to three files
/// in parts named `attachment` (PDF, JPG or PNG, each up to 5 MB). Who files it comes from the
/// sign-in.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct TicketForm {
    /// The IE's e-mail.
    pub email: Option<String>,
    /// The IE's código modular; by default the requester's IE.
    pub codigo_modular: Option<String>,
    /// Cell phone: 9 digits starting with 9.
    pub cell_phone: Option<String>,
    /// Phone extension (anexo), optional.
    pub extension: Option<String>,
    /// A topic's code from `GET /helpdesk/topics`.
    pub topic: Option<String>,
    /// The comment or question.
    pub comment: Option<String>,
    /// The error code of a failed operation ("report this problem").
    pub error_code: Option<String>,
    /// The request id of that failed operation.
    pub request_id: Option<String>,
    /// Files, in parts named `attachment`.
    #[schema(value_type = Option<Vec<String>>, format = Binary)]
    pub attachment: Option<Vec<Vec<u8>>>,
}

/// A topic of the help form.
#[derive(Debug, Serialize, ToSchema)]
pub struct Topic {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub active: bool,
}

/// A new topic, or a change of one (the administrator).
#[derive(Debug, Deserialize, ToSchema)]
pub struct TopicInput {
    pub code: String,
    pub name: String,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// A ticket in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketSummary {
    pub id: i64,
    pub number: String,
    pub state: TicketState,
    pub state_label: &'static str,
    /// 1 to 3.
    #[schema(value_type = i16)]
    pub level: TicketLevel,
    /// At N2: `ugel` or `dre`, whose specialist works it.
    pub n2_unit: Option<N2Unit>,
    /// 1 (muy baja) to 5 (muy alta).
    #[schema(value_type = i16)]
    pub priority: Priority,
    pub priority_label: &'static str,
    pub topic: String,
    /// The first line of the comment, shortened.
    pub subject: String,
    pub codigo_modular: Option<String>,
    /// The IE's name (none for a ticket filed without an IE).
    pub school: Option<String>,
    pub ugel_id: Option<i64>,
    /// Who filed it: "Apellidos, Nombres".
    pub requester: String,
    pub assignee_id: Option<i64>,
    /// The running SLA clock (the help desk's queue; none for a ticket no longer open).
    pub clock: Option<Clock>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The SLA clock a ticket runs on now: the first response until it is given, then the
/// resolution at the ticket's level.
#[derive(Debug, Serialize, ToSchema)]
pub struct Clock {
    /// `first_response` or `resolution`.
    pub target: &'static str,
    /// When it falls due (moved by every pause; while paused, as if the pause ended now).
    pub due_at: DateTime<Utc>,
    /// Working minutes left before it falls due; negative once overdue.
    pub minutes_left: i64,
    pub overdue: bool,
    /// The requester is awaited: the clock is stopped.
    pub paused: bool,
    /// `en_plazo`, `por_vencer` (80 %), `vencido` or `pausado`.
    pub status: &'static str,
}

/// One page of tickets, newest first; pass `next_before` as `before` for the next page.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketPage {
    pub items: Vec<TicketSummary>,
    pub next_before: Option<i64>,
}

/// Filters of a ticket list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TicketFilter {
    /// `filed`: the tickets the caller filed (the default for those without a queue);
    /// `queue`: the tickets of the caller's help-desk queues (the default for agents and
    /// specialists).
    pub view: Option<String>,
    /// One state or several separated by commas (`nuevo,escalado`); `todos` for every state. The
    /// queue shows open tickets unless told otherwise; `view=filed`, every state.
    pub state: Option<String>,
    /// A ticket's number (`ISOS-2026-000123`, or its last digits), an IE's código modular, or words
    /// of the comment.
    pub q: Option<String>,
    /// `newest` (the default), `deadline` (the running clock's due instant, soonest first; open
    /// tickets only, at most 5,000 of them), `priority` (highest first, then the oldest) or `age`
    /// (oldest first).
    pub sort: Option<String>,
    pub level: Option<i16>,
    /// `ugel` or `dre`: the tickets at that stage of N2.
    pub n2_unit: Option<String>,
    pub topic: Option<String>,
    pub ugel_id: Option<i64>,
    /// `true`: only the tickets assigned to the caller.
    pub mine: Option<bool>,
    /// `true`: only the tickets nobody has taken.
    pub unassigned: Option<bool>,
    /// `true`: only the open tickets whose running clock is past its deadline, soonest due first
    /// (as `sort=deadline`, at most 5,000 tickets measured).
    pub overdue: Option<bool>,
    /// Keyset: the `next_before` of the previous page (in the order asked).
    pub before: Option<i64>,
    /// 1 to 200 (default 50).
    pub limit: Option<u64>,
}

/// A message of the conversation.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageView {
    pub id: i64,
    pub author: String,
    /// The requester wrote it.
    pub from_requester: bool,
    /// An internal note (never shown to the requester).
    pub internal: bool,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// A step of the ticket's log.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub at: DateTime<Utc>,
    pub kind: EventKind,
    pub from_state: Option<TicketState>,
    pub to_state: TicketState,
    #[schema(value_type = i16)]
    pub level: TicketLevel,
    /// The N2 stage after the step (at N2 only).
    pub n2_unit: Option<N2Unit>,
    /// The reason given (only to the help desk).
    pub reason: Option<String>,
}

/// An attached file.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentView {
    pub id: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
}

/// A ticket as its reader may see it: the requester never gets internal notes nor the help
/// desk's reasons.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketView {
    pub id: i64,
    pub number: String,
    pub state: TicketState,
    pub state_label: &'static str,
    /// 1 to 3.
    #[schema(value_type = i16)]
    pub level: TicketLevel,
    /// At N2: `ugel` (the Especialista SIAGIE of the requester's UGEL) or `dre` (of its DRE).
    pub n2_unit: Option<N2Unit>,
    pub level_label: &'static str,
    pub impact: Severity,
    pub urgency: Severity,
    /// 1 (muy baja) to 5 (muy alta).
    #[schema(value_type = i16)]
    pub priority: Priority,
    pub priority_label: &'static str,
    pub topic: Topic,
    pub requester: String,
    pub requester_role: Option<String>,
    pub school_id: Option<i64>,
    pub school: Option<String>,
    pub ugel_id: Option<i64>,
    pub dre_id: Option<i64>,
    pub codigo_modular: Option<String>,
    pub email: String,
    pub cell_phone: String,
    pub extension: Option<String>,
    pub comment: String,
    pub error_code: Option<String>,
    pub request_id: Option<String>,
    pub assignee_id: Option<i64>,
    pub owner_id: Option<i64>,
    pub resolution: Option<String>,
    pub merged_into: Option<String>,
    pub rating: Option<i16>,
    pub rating_comment: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub messages: Vec<MessageView>,
    pub events: Vec<EventView>,
    pub attachments: Vec<AttachmentView>,
    /// The SLA clocks, measured now (only to the help desk).
    pub sla: Vec<sla::Target>,
    /// What the caller may do now.
    pub can_work: bool,
}

/// A message posted to a ticket: a public reply, or (the help desk only) an internal note.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewMessage {
    pub body: String,
    #[serde(default)]
    pub internal: bool,
}

/// A step that needs a reason (escalate, return, annul, reopen, wait for the requester: the
/// reason is the public question asked).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct Reason {
    #[serde(default)]
    pub reason: String,
}

/// Resolving a ticket.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Resolution {
    #[serde(default)]
    pub resolution: String,
}

/// Assigning a ticket: to an agent of its level, or round-robin among them when none is named.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct AssignInput {
    pub user_id: Option<i64>,
}

/// Changing the priority by impact × urgency, with a reason.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PriorityInput {
    pub impact: String,
    pub urgency: String,
    #[serde(default)]
    pub reason: String,
}

/// Merging a duplicate into another ticket.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MergeInput {
    /// The number (`ISOS-2026-000123`) or id of the ticket that stays.
    pub into: String,
    #[serde(default)]
    pub reason: String,
}

/// The requester's rating of a resolved ticket: 1 to 5; a comment is required below 3.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RatingInput {
    pub score: i16,
    pub comment: Option<String>,
}

/// A holiday of the help-desk calendar: national, or of a DRE (its N2 queues).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct HolidayInput {
    pub date: NaiveDate,
    pub description: String,
    pub dre_id: Option<i64>,
}

/// A holiday as stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct Holiday {
    pub id: i64,
    pub date: NaiveDate,
    pub description: String,
    pub dre_id: Option<i64>,
}

/// `?year=2026`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct YearQuery {
    pub year: Option<i32>,
}

/// A knowledge-base article.
#[derive(Debug, Serialize, ToSchema)]
pub struct Article {
    pub id: i64,
    pub title: String,
    pub problem: String,
    pub solution: String,
    pub topic: Option<String>,
    pub tags: Vec<String>,
    pub state: ArticleState,
    pub source_ticket: Option<String>,
    pub helpful: i32,
    pub not_helpful: i32,
    pub deflections: i32,
    /// The caller's own answer to "¿Le sirvió?" (null: none yet).
    pub my_vote: Option<bool>,
    pub updated_at: DateTime<Utc>,
    /// Personal data taken out of a draft drawn from a ticket, field by field (empty otherwise).
    pub removed: Vec<Removed>,
}

/// Personal data replaced by a placeholder in one field of a draft: its kind and how many.
#[derive(Debug, Serialize, ToSchema)]
pub struct Removed {
    /// `title`, `problem` or `solution`.
    pub field: &'static str,
    pub kind: super::privacy::Kind,
    /// The placeholder that took its place: `[DNI]`, `[teléfono]` or `[correo]`.
    pub placeholder: &'static str,
    pub count: usize,
}

/// A new article, or its change (the help desk).
#[derive(Debug, Deserialize, ToSchema)]
pub struct ArticleInput {
    pub title: Option<String>,
    pub problem: Option<String>,
    pub solution: Option<String>,
    pub topic: Option<String>,
    pub tags: Option<Vec<String>>,
    /// `borrador`, `publicado` or `archivado`.
    pub state: Option<String>,
}

/// `?q=…` full-text search (accents and inflections ignored).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    pub q: Option<String>,
    /// The help desk may search drafts and archived articles too: `all`.
    pub state: Option<String>,
    /// 1 to 50 (default 10).
    pub limit: Option<u64>,
}

/// A found article, best first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleHit {
    pub id: i64,
    pub title: String,
    pub snippet: String,
    pub state: ArticleState,
}

/// "¿Le sirvió?": whether the article helped, and whether the reader is leaving without filing a
/// ticket (a deflection).
#[derive(Debug, Deserialize, ToSchema)]
pub struct Feedback {
    pub helpful: Option<bool>,
    #[serde(default)]
    pub deflected: bool,
}

/// A ticket like another: similar text, or a probable duplicate (same error code, same IE).
#[derive(Debug, Serialize, ToSchema)]
pub struct SimilarTicket {
    pub id: i64,
    pub number: String,
    pub state: TicketState,
    pub subject: String,
    pub probable_duplicate: bool,
    /// Why: `texto`, `codigo_error`, `misma_ie`.
    pub reasons: Vec<&'static str>,
}

/// Whether a person of the help desk takes new tickets by round-robin.
#[derive(Debug, Serialize, ToSchema)]
pub struct Availability {
    pub available: bool,
    /// When the person last changed it (never: available).
    pub updated_at: Option<DateTime<Utc>>,
}

/// Setting one's availability.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AvailabilityInput {
    /// `false`: away; round-robin assigns nothing new until `true`.
    pub available: Option<bool>,
}

/// `?error_code=…&request_id=…`: the `code` and `request_id` of an error answer.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportProblemQuery {
    pub error_code: Option<String>,
    pub request_id: Option<String>,
}

/// The help form pre-filled from an error answer ("report this problem"): send these fields
/// (with the comment completed) to `POST /helpdesk/tickets`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportProblem {
    /// The IE's e-mail, or the caller's.
    pub email: Option<String>,
    /// The caller's IE.
    pub codigo_modular: Option<String>,
    pub cell_phone: Option<String>,
    /// The topic the error code files under (null: the requester chooses).
    pub topic: Option<String>,
    pub topic_name: Option<String>,
    pub error_code: String,
    pub request_id: Option<String>,
    /// What the error answer told the person.
    pub error_message: String,
    /// A first line for the comment.
    pub comment: String,
    /// The ticket will be filed as urgent (the service itself failed).
    pub urgent: bool,
    /// Published articles of the topic, to read before filing.
    pub articles: Vec<ArticleHit>,
}

/// `?format=csv` for the backlog as CSV.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BacklogQuery {
    /// `json` (default) or `csv`.
    pub format: Option<String>,
    /// `1` to start the CSV with a UTF-8 byte order mark, so that Excel opens accents right.
    pub bom: Option<u8>,
}

/// `?format=csv` for the summary as CSV, and its period.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// `json` (default) or `csv`.
    pub format: Option<String>,
    /// `1` to start the CSV with a UTF-8 byte order mark, so that Excel opens accents right.
    pub bom: Option<u8>,
    /// The summary covers the tickets filed from this day (Lima; default: 30 days before `to`).
    pub from: Option<chrono::NaiveDate>,
    /// … up to this day included (default: today). At most 366 days.
    pub to: Option<chrono::NaiveDate>,
}
