//! E-mail templates: one folder per e-mail under `jobs/templates/`, with `subject.txt`,
//! `body.txt` and `body.html`, rendered with minijinja (HTML auto-escaped).

use std::sync::OnceLock;

pub use minijinja::context;
use minijinja::{Environment, Value};

/// An e-mail before it is sent: its template and the data it is rendered with, as JSON. The
/// outbox keeps it this way and renders it when it is delivered.
#[derive(Debug, Clone)]
pub struct Mail {
    pub template: &'static str,
    pub context: String,
    /// The IE whose director it is for, whoever that is when it is sent (see
    /// [`Mail::for_director_of`]).
    pub director_of: Option<i64>,
}

impl Mail {
    /// A mail of `template` with `context` (a `context!` or any serializable value).
    pub fn new(template: &'static str, context: &impl serde::Serialize) -> anyhow::Result<Self> {
        Ok(Self {
            template,
            context: serde_json::to_string(context)?,
            director_of: None,
        })
    }

    /// For whoever directs the IE `school_id` when it is sent, rather than for a person: the
    /// sender addresses it to the IE's director with a confirmed address then, greeting them by
    /// name (the context's `name`), and withdraws it when the IE has none.
    pub fn for_director_of(self, school_id: i64) -> Self {
        Self {
            director_of: Some(school_id),
            ..self
        }
    }
}

/// A rendered e-mail, before it has an address.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

macro_rules! templates {
    ($($name:literal),+ $(,)?) => {
        &[$(
            (concat!($name, "/subject.txt"), include_str!(concat!("../templates/", $name, "/subject.txt"))),
            (concat!($name, "/body.txt"), include_str!(concat!("../templates/", $name, "/body.txt"))),
            (concat!($name, "/body.html"), include_str!(concat!("../templates/", $name, "/body.html"))),
        )+]
    };
}

const TEMPLATES: &[(&str, &str)] = templates![
    "password_reset",
    "email_confirmation",
    "email_changed",
    "password_set_by_administrator",
    "account_unopened",
    "provisioning_request",
    "provisioning_decision",
    "assignment_added",
    "register_modification",
    "acta_modification",
    "regularization",
    "deadline_reminder",
    "overdue_alert",
    "ugel_digest",
    "certificate_issued",
    "certificate_rejected",
    "certificate_request_received",
    "certificate_request_new",
    "certificate_request_unattended",
    // Help desk
    "helpdesk_ticket",
    "helpdesk_sla",
    "helpdesk_sla_digest",
    "helpdesk_staff"
];

/// The templates, parsed once.
fn environment() -> &'static Environment<'static> {
    static ENVIRONMENT: OnceLock<Environment<'static>> = OnceLock::new();
    ENVIRONMENT.get_or_init(|| {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            // The sources are compiled into the binary; a broken one fails the unit tests below.
            let _ = env.add_template(name, source);
        }
        env.add_filter("register_line", register_line);
        env
    })
}

/// A register in a director's alert, kept as `[grade, section, state, missing days]`, as the line
/// the director reads: "Primer grado A: parcial (3 días académicos sin registrar)".
fn register_line(register: Value) -> Result<String, minijinja::Error> {
    let field = |index: usize| register.get_item(&Value::from(index));
    let (grade, section, state, missing) = (field(0)?, field(1)?, field(2)?, field(3)?);
    let state = match state.as_str() {
        Some("sin_datos") => "sin datos",
        Some("parcial") => "parcial",
        Some("completo") => "completo — falta cerrarlo",
        Some("cerrado") => "cerrado",
        _ => "sin estado",
    };
    let days = match i64::try_from(missing).unwrap_or_default() {
        1 => "1 día académico sin registrar".to_owned(),
        n => format!("{n} días académicos sin registrar"),
    };
    Ok(format!("{grade} {section}: {state} ({days})"))
}

/// Whether an e-mail template of this name exists.
pub fn exists(name: &str) -> bool {
    environment()
        .get_template(&format!("{name}/subject.txt"))
        .is_ok()
}

/// Renders a queued e-mail: its template with the JSON its data was kept as.
pub fn render_json(name: &str, context: &str) -> anyhow::Result<Rendered> {
    let data: serde_json::Value = serde_json::from_str(context)?;
    render(name, Value::from_serialize(&data))
}

/// Renders the e-mail `name` with `context`.
pub fn render(name: &str, context: Value) -> anyhow::Result<Rendered> {
    let env = environment();
    let get = |part: &str| -> anyhow::Result<String> {
        Ok(env
            .get_template(&format!("{name}/{part}"))?
            .render(&context)?)
    };
    Ok(Rendered {
        subject: get("subject.txt")?.trim().to_owned(),
        text: get("body.txt")?,
        html: get("body.html")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_renders_and_escapes_html() {
        let reset = render(
            "password_reset",
            minijinja::context! { name => "Rosa <Elvira>", link => "http://x/r?t=1", expires => "23/11/2026 18:30" },
        )
        .unwrap();
        assert!(reset.subject.contains("contraseña"));
        assert!(reset.text.contains("Rosa <Elvira>"));
        assert!(reset.html.contains("Rosa &lt;Elvira&gt;"));
        let decision = render(
            "provisioning_decision",
            minijinja::context! { name => "Oscar", approved => false, role => "Director de IE", person => "Ana", reason => "Falta la RD" },
        )
        .unwrap();
        assert!(decision.text.contains("Falta la RD"));
        let unattended = render(
            "certificate_request_unattended",
            minijinja::context! { name => "Oscar", number => "MC-2027-000001", school => "IE N° 1 (0412345-0)", link => "http://x/consola/altas-y-bajas/nueva" },
        )
        .unwrap();
        assert!(
            unattended.subject.contains("IE N° 1") && unattended.text.contains("MC-2027-000001")
        );
        let waiting = render(
            "provisioning_request",
            minijinja::context! { name => "Rosa", kind => "baja", role => "Director de IE", person => "Ana (DNI 41112222)", unit => "IE N° 1", by => "Oscar Díaz", stage => "la DRE", link => "http://x/consola/altas-y-bajas/7" },
        )
        .unwrap();
        assert!(waiting.text.contains("solicitó la baja de Director de IE"));
        assert!(
            waiting.text.contains("La decide la DRE"),
            "{}",
            waiting.text
        );
        assert!(
            waiting.html.contains("<p>La decide la DRE.</p>"),
            "{}",
            waiting.html
        );
        assert!(waiting.text.contains("http://x/consola/altas-y-bajas/7"));
        let added = render(
            "assignment_added",
            minijinja::context! { name => "Ana", role => "Docente", unit => "IE N° 1", by => "Oscar Díaz", at => "02/12/2026 10:00" },
        )
        .unwrap();
        assert!(added.subject.contains("Docente") && added.text.contains("IE N° 1"));
        for step in [
            "requested",
            "favorable",
            "unfavorable",
            "enabled",
            "expired",
        ] {
            let mail = render(
                "register_modification",
                minijinja::context! { name => "Elena", step => step, school => "IE N° 1 (0412345-0)", section => "1.° A", month => "mayo de 2026", reason => "Error de registro", note => "Sin sustento", until => "10/06/2026 18:00" },
            )
            .unwrap();
            assert!(
                mail.text.contains("mayo de 2026") && mail.html.contains("1.° A"),
                "{step}"
            );
            let acta = render(
                "acta_modification",
                minijinja::context! { name => "Elena", step => step, school => "IE N° 1 (0412345-0)", section => "5.° A", year => 2025, reason => "Error de registro", note => "", until => "10/06/2026 18:00" },
            )
            .unwrap();
            assert!(
                acta.subject.contains("2025")
                    && acta.text.contains("acta de evaluación de 5.° A, año 2025")
                    && !acta.text.contains("Opinión"),
                "{step}"
            );
        }
        for (students, says) in [
            (1, "Queda 1 estudiante con"),
            (2, "Quedan 2 estudiantes con"),
        ] {
            let closed = render(
                "acta_modification",
                minijinja::context! { name => "Elena", step => "expired", school => "IE N° 1 (0412345-0)", section => "5.° A", year => 2025, reason => "Error de registro", note => "", until => "10/06/2026 18:00", recoveries => minijinja::context! { students => students, link => "https://siagie.test/consola/actas/7#recuperacion" } },
            )
            .unwrap();
            for body in [&closed.text, &closed.html] {
                assert!(body.contains(says), "{body}");
                assert!(
                    body.contains("recuperación pedagógica por registrar"),
                    "{body}"
                );
            }
            let link = "https://siagie.test/consola/actas/7#recuperacion";
            assert!(closed.text.contains(link), "{}", closed.text);
            assert!(
                closed.html.contains(&link.replace('/', "&#x2f;")),
                "{}",
                closed.html
            );
        }
    }

    #[test]
    fn the_help_desk_mails_name_the_ticket_and_escape_what_people_type() {
        let reply = render(
            "helpdesk_ticket",
            minijinja::context! { number => "ISOS-2026-000123", headline => "Respuesta de la mesa de ayuda", body => "Ingrese con <su DNI>", state => "En atención", resolved => false, thread => "ISOS-2026-000123", thread_root => false },
        )
        .unwrap();
        assert_eq!(
            reply.subject,
            "[ISOS-2026-000123] Respuesta de la mesa de ayuda"
        );
        assert!(reply.text.contains("Ingrese con <su DNI>"));
        assert!(reply.html.contains("Ingrese con &lt;su DNI&gt;"));
        for (breached, subject) in [(true, "Plazo vencido"), (false, "Plazo por vencer")] {
            let sla = render(
                "helpdesk_sla",
                minijinja::context! { name => "Rosa", number => "ISOS-2026-000007", breached => breached, target => "primera respuesta", level => "N1", due => "07/12/2026 13:00", priority => "media" },
            )
            .unwrap();
            assert!(
                sla.subject.starts_with("[ISOS-2026-000007]"),
                "{}",
                sla.subject
            );
            assert!(sla.subject.contains(subject), "{}", sla.subject);
            assert_eq!(sla.text.contains("Vence el 07/12/2026 13:00"), !breached);
        }
        let unassigned = render(
            "helpdesk_sla",
            minijinja::context! { name => "Rosa", number => "ISOS-2026-000007", breached => true, target => "resolución", level => "N2", due => "07/12/2026 13:00", priority => "media", unassigned => true },
        )
        .unwrap();
        assert!(unassigned.text.contains("Nadie tiene asignado este ticket"));
        let staff = render(
            "helpdesk_staff",
            minijinja::context! { name => "Rosa", number => "ISOS-2026-000007", headline => "Ticket derivado a su nivel", stage => "N2 — Especialista SIAGIE UGEL", priority => "Media", detail_label => "Motivo", detail => "Revisar <matrícula>", subject => "No puedo matricular", action => "Tómelo desde su bandeja." },
        )
        .unwrap();
        assert_eq!(
            staff.subject,
            "[ISOS-2026-000007] Ticket derivado a su nivel"
        );
        assert!(
            staff.text.contains("Motivo: Revisar <matrícula>"),
            "{}",
            staff.text
        );
        assert!(staff.html.contains("Revisar &lt;matrícula&gt;"));
        let one = minijinja::context! { number => "ISOS-2026-000007", target => "resolución", level => "N2", priority => "alta", due => "07/12/2026 13:00" };
        let digest = render(
            "helpdesk_sla_digest",
            minijinja::context! { name => "Oscar", count => 3, date => "07/12/2026 10:00", tickets => vec![one], more => 2 },
        )
        .unwrap();
        assert!(
            digest.subject.contains("3 tickets superaron su plazo"),
            "{}",
            digest.subject
        );
        assert!(
            digest.text.contains(
                "- ISOS-2026-000007: resolución (N2, prioridad alta), venció el 07/12/2026 13:00"
            ),
            "{}",
            digest.text
        );
        assert!(digest.text.contains("y 2 más") && digest.html.contains("y 2 más"));
        let single = render(
            "helpdesk_sla_digest",
            minijinja::context! { name => "Oscar", count => 1, date => "07/12/2026 10:00", tickets => Vec::<minijinja::Value>::new(), more => 0 },
        )
        .unwrap();
        assert!(
            single.subject.contains("1 ticket superó su plazo"),
            "{}",
            single.subject
        );
        assert!(!single.text.contains("más"));
    }

    #[test]
    fn a_queued_mail_renders_the_same_from_its_kept_data() {
        let context = minijinja::context! { name => "Ña <Rosa>", link => "http://x/r?t=1", expires => "23/11/2026 18:30" };
        let direct = render("password_reset", context.clone()).unwrap();
        let kept = serde_json::to_string(&context).unwrap();
        let later = render_json("password_reset", &kept).unwrap();
        assert_eq!(
            (direct.subject, direct.text, direct.html),
            (later.subject, later.text, later.html)
        );
        assert!(exists("overdue_alert"));
        assert!(!exists("nada"));
    }

    #[test]
    fn a_directors_alert_lists_its_registers_as_lines() {
        let context = r#"{"name":"Ana","school":"IE 1","code":"0412345-0","month":"mayo","year":2026,
            "deadline":"31/05/2026","days_after":null,"stale_tablets":[],"stale_days":7,"held_marks":0,
            "registers":[["Primer grado","A","parcial",1],["Segundo grado","B","completo",0]]}"#;
        let mail = render_json("deadline_reminder", context).unwrap();
        assert!(
            mail.text
                .contains("- Primer grado A: parcial (1 día académico sin registrar)\n"),
            "{}",
            mail.text
        );
        assert!(mail.html.contains(
            "<li>Segundo grado B: completo — falta cerrarlo (0 días académicos sin registrar)</li>"
        ));
    }
}
