//! E-mail templates: one folder per e-mail under `jobs/templates/`, with `subject.txt`,
//! `body.txt` and `body.html`, rendered with minijinja (HTML auto-escaped).

pub use minijinja::context;
use minijinja::{Environment, Value};

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
    "provisioning_decision",
    "deadline_reminder",
    "overdue_alert",
    "ugel_digest"
];

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    for (name, source) in TEMPLATES {
        // The sources are compiled into the binary; a broken one fails the unit tests below.
        let _ = env.add_template(name, source);
    }
    env
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
    }
}
