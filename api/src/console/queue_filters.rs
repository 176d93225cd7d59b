//! The queue's filters as its page's query string carries them: read, checked, turned into the
//! service's filter, and written back (for the next page and for a saved view).

use entity::helpdesk_vocabulary::{N2Unit, TicketState};

use crate::helpdesk::dto::TicketFilter;

/// The filters a person sets in the page's form, as its query string carries them.
#[derive(Debug, Default)]
pub struct Filters {
    pub states: Vec<String>,
    pub mine: bool,
    pub unassigned: bool,
    pub overdue: bool,
    pub q: String,
    pub sort: String,
    pub level: Option<i16>,
    /// At N2: `ugel` or `dre` (empty: both).
    pub n2_unit: String,
    pub topic: String,
    pub ugel: Option<i64>,
    pub before: Option<i64>,
}

impl Filters {
    /// Reads the query string; an unknown parameter or value is a 400 page naming it.
    pub fn parse(query: Option<&str>) -> Result<Self, String> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or_default())
            .map_err(|_| "La dirección de la página no es válida.".to_owned())?;
        let mut filters = Filters {
            sort: "deadline".into(),
            ..Filters::default()
        };
        for (key, value) in pairs {
            match key.as_str() {
                "state" => {
                    TicketState::parse(&value)?;
                    filters.states.push(value);
                }
                "mine" => filters.mine = !value.is_empty(),
                "unassigned" => filters.unassigned = !value.is_empty(),
                "overdue" => filters.overdue = !value.is_empty(),
                "q" => filters.q = value.trim().chars().take(100).collect(),
                "sort" if SORTS.iter().any(|(code, _)| *code == value) => filters.sort = value,
                "before" => {
                    filters.before = Some(
                        value
                            .parse()
                            .map_err(|_| format!("Página no válida: «{value}»."))?,
                    );
                }
                "level" if value.is_empty() => {}
                "level" => {
                    let (level, unit) = value.split_once('-').unwrap_or((value.as_str(), ""));
                    filters.level = Some(
                        level
                            .parse()
                            .ok()
                            .filter(|l| (1..=3).contains(l))
                            .filter(|l| unit.is_empty() || *l == 2)
                            .ok_or_else(|| format!("Nivel no válido: «{value}»."))?,
                    );
                    if !unit.is_empty() {
                        N2Unit::parse(unit).map_err(|_| format!("Nivel no válido: «{value}»."))?;
                        filters.n2_unit = unit.to_owned();
                    }
                }
                "topic" => filters.topic = value.trim().chars().take(60).collect(),
                "ugel" if value.is_empty() => {}
                "ugel" => {
                    filters.ugel = Some(
                        value
                            .parse()
                            .map_err(|_| format!("UGEL no válida: «{value}»."))?,
                    );
                }
                "sort" => return Err(format!("Orden no válido: «{value}».")),
                other => return Err(format!("Filtro desconocido: «{other}».")),
            }
        }
        Ok(filters)
    }

    /// The service's filter for these.
    pub fn ticket_filter(&self) -> TicketFilter {
        TicketFilter {
            view: Some("queue".into()),
            state: (!self.states.is_empty()).then(|| self.states.join(",")),
            q: (!self.q.is_empty()).then(|| self.q.clone()),
            sort: Some(self.sort.clone()),
            mine: self.mine.then_some(true),
            unassigned: self.unassigned.then_some(true),
            overdue: self.overdue.then_some(true),
            level: self.level,
            n2_unit: (!self.n2_unit.is_empty()).then(|| self.n2_unit.clone()),
            topic: (!self.topic.is_empty()).then(|| self.topic.clone()),
            ugel_id: self.ugel,
            before: self.before,
            limit: Some(50),
        }
    }

    /// The query string of these filters, from `before` when it is the next page.
    pub fn query(&self, before: Option<i64>) -> String {
        let mut pairs: Vec<(&str, String)> =
            self.states.iter().map(|s| ("state", s.clone())).collect();
        for (key, on) in [
            ("mine", self.mine),
            ("unassigned", self.unassigned),
            ("overdue", self.overdue),
        ] {
            if on {
                pairs.push((key, "1".into()));
            }
        }
        if !self.q.is_empty() {
            pairs.push(("q", self.q.clone()));
        }
        if let Some(level) = self.level {
            let unit = if self.n2_unit.is_empty() {
                String::new()
            } else {
                format!("-{}", self.n2_unit)
            };
            pairs.push(("level", format!("{level}{unit}")));
        }
        if !self.topic.is_empty() {
            pairs.push(("topic", self.topic.clone()));
        }
        if let Some(ugel) = self.ugel {
            pairs.push(("ugel", ugel.to_string()));
        }
        pairs.push(("sort", self.sort.clone()));
        if let Some(before) = before {
            pairs.push(("before", before.to_string()));
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// The orders the page offers, with their names.
pub const SORTS: &[(&str, &str)] = &[
    ("deadline", "Vencimiento más próximo"),
    ("priority", "Prioridad"),
    ("age", "Más antiguos"),
    ("newest", "Más recientes"),
];
