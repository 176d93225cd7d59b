//! Working time of the help desk and the SLA clocks: America/Lima, Monday to Friday within the
//! working hours of the settings, without the holidays of the help-desk calendar. Waiting for the
//! requester pauses a clock and moves its deadline (GLPI), it does not hide it. Pure logic: the
//! caller reads the calendar and the ticket's event log.

use std::collections::HashSet;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use serde::Serialize;
use utoipa::ToSchema;

use entity::helpdesk_vocabulary::{Priority, TicketLevel, TicketState};

use crate::time::LIMA;

/// The working calendar: hours of a working day and the holidays.
#[derive(Debug, Clone)]
pub struct Calendar {
    pub opens: NaiveTime,
    pub closes: NaiveTime,
    pub holidays: HashSet<NaiveDate>,
    /// Working seconds summed day by day over a span, for a job that measures many clocks.
    index: Option<DayIndex>,
}

/// `before[i]`: the working seconds of the days from `first` up to `first + i` (excluded).
#[derive(Debug, Clone)]
struct DayIndex {
    first: NaiveDate,
    before: Vec<i64>,
}

impl DayIndex {
    /// The position of a day in the index, when it is inside it.
    fn position(&self, day: NaiveDate) -> Option<usize> {
        let offset = usize::try_from((day - self.first).num_days()).ok()?;
        (offset + 1 < self.before.len()).then_some(offset)
    }
}

impl Calendar {
    pub fn new(opens: NaiveTime, closes: NaiveTime, holidays: HashSet<NaiveDate>) -> Self {
        Self {
            opens,
            closes: closes.max(opens),
            holidays,
            index: None,
        }
    }

    /// The same calendar, answering in constant time for instants between `from` and `to` (a
    /// job measuring thousands of clocks); outside them it counts day by day as always.
    pub fn indexed(mut self, from: NaiveDate, to: NaiveDate) -> Self {
        let mut before = vec![0];
        let mut day = from;
        while day <= to {
            let secs = self
                .window(day)
                .map_or(0, |(open, close)| (close - open).num_seconds());
            before.push(before[before.len() - 1] + secs);
            day += Duration::days(1);
        }
        self.index = Some(DayIndex {
            first: from,
            before,
        });
        self
    }

    /// Working seconds of `day` from `from` on (`from` may be on another day).
    fn rest_of_day(&self, day: NaiveDate, from: DateTime<Utc>) -> i64 {
        self.window(day).map_or(0, |(open, close)| {
            (close - open.max(from)).num_seconds().max(0)
        })
    }

    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains(&day)
    }

    /// A working day's window, in UTC.
    fn window(&self, day: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        if !self.is_working_day(day) {
            return None;
        }
        let at = |time: NaiveTime| {
            LIMA.from_local_datetime(&day.and_time(time))
                .single()
                .map(|t| t.with_timezone(&Utc))
        };
        Some((at(self.opens)?, at(self.closes)?))
    }

    /// Whether `at` falls in working hours.
    pub fn is_working_time(&self, at: DateTime<Utc>) -> bool {
        let day = at.with_timezone(&LIMA).date_naive();
        self.window(day)
            .is_some_and(|(open, close)| open <= at && at < close)
    }

    /// Working seconds between two instants (0 when `to` is not after `from`).
    pub fn working_secs(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        if to <= from {
            return 0;
        }
        let mut day = from.with_timezone(&LIMA).date_naive();
        let last = to.with_timezone(&LIMA).date_naive();
        if let Some(index) = &self.index
            && let (Some(a), Some(b)) = (index.position(day), index.position(last))
            && a < b
        {
            // The rest of the first day, the whole days between, and the last day up to `to`.
            let last_day = self.window(last).map_or(0, |(open, close)| {
                (close.min(to) - open).num_seconds().max(0)
            });
            return self.rest_of_day(day, from) + index.before[b] - index.before[a + 1] + last_day;
        }
        let mut total = 0;
        while day <= last {
            if let Some((open, close)) = self.window(day) {
                let start = open.max(from);
                let end = close.min(to);
                if end > start {
                    total += (end - start).num_seconds();
                }
            }
            day += Duration::days(1);
        }
        total
    }

    /// The instant `secs` working seconds after `from`.
    pub fn add_working(&self, from: DateTime<Utc>, secs: i64) -> DateTime<Utc> {
        let mut left = secs.max(0);
        let mut day = from.with_timezone(&LIMA).date_naive();
        if let Some(index) = &self.index
            && let Some(a) = index.position(day)
        {
            let today = self.rest_of_day(day, from);
            if left > today {
                // The first later day whose working seconds, added up, reach what is left.
                let need = index.before[a + 1] + left - today;
                let after = index.before.partition_point(|&sum| sum < need);
                if after < index.before.len() {
                    let end = index.first + Duration::days(after as i64 - 1);
                    if let Some((open, _)) = self.window(end) {
                        return open + Duration::seconds(need - index.before[after - 1]);
                    }
                }
            }
        }
        // Ten years of days at most: a calendar without working days ends the search.
        for _ in 0..3660 {
            if let Some((open, close)) = self.window(day) {
                let start = open.max(from);
                if close > start {
                    let available = (close - start).num_seconds();
                    if left <= available {
                        return start + Duration::seconds(left);
                    }
                    left -= available;
                }
            }
            day += Duration::days(1);
        }
        from + Duration::seconds(secs)
    }
}

/// A ticket's state from an instant on, as its event log tells.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    pub at: DateTime<Utc>,
    pub state: TicketState,
}

/// One SLA target of a ticket, measured now.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct Target {
    /// `first_response` or `resolution`.
    pub target: &'static str,
    /// The target, in working minutes.
    pub target_minutes: i64,
    /// Working minutes used so far (pauses excluded).
    pub elapsed_minutes: i64,
    /// When the target falls due, moved by every pause; while paused, as if the pause ended now.
    pub due_at: DateTime<Utc>,
    /// Whether the requester is awaited (the clock is stopped).
    pub paused: bool,
    /// Whether the target was met (`true`), missed (`false`), or is still running (`null`).
    pub met: Option<bool>,
    /// `en_plazo`, `por_vencer` (80 %), `vencido`, `cumplido`, `incumplido`, `pausado`.
    pub status: &'static str,
}

/// Measures one clock started at `start` and stopped at `stop` (if it was), with the pauses that
/// the log's `esperando_usuario` steps mark, as of `now`.
pub fn measure(
    calendar: &Calendar,
    name: &'static str,
    target_secs: i64,
    start: DateTime<Utc>,
    stop: Option<DateTime<Utc>>,
    steps: &[Step],
    now: DateTime<Utc>,
) -> Target {
    let end = stop.unwrap_or(now).max(start);
    // Pauses inside [start, end].
    let mut paused_secs = 0;
    let mut pause_from: Option<DateTime<Utc>> = None;
    for step in steps {
        let at = step.at.clamp(start, end);
        match (pause_from, step.state == TicketState::EsperandoUsuario) {
            (None, true) => pause_from = Some(at),
            (Some(from), false) => {
                paused_secs += calendar.working_secs(from, at);
                pause_from = None;
            }
            _ => {}
        }
    }
    let paused = stop.is_none() && pause_from.is_some();
    if let Some(from) = pause_from {
        paused_secs += calendar.working_secs(from, end);
    }
    let elapsed = (calendar.working_secs(start, end) - paused_secs).max(0);
    let due_at = calendar.add_working(start, target_secs + paused_secs);
    let met = stop.map(|_| elapsed <= target_secs);
    let status = match (met, paused) {
        (Some(true), _) => "cumplido",
        (Some(false), _) => "incumplido",
        (None, true) => "pausado",
        (None, false) if elapsed > target_secs => "vencido",
        (None, false) if elapsed * 5 >= target_secs * 4 => "por_vencer",
        _ => "en_plazo",
    };
    Target {
        target: name,
        target_minutes: target_secs / 60,
        elapsed_minutes: elapsed / 60,
        due_at,
        paused,
        met,
        status,
    }
}

/// Working hours to the first response, by priority.
pub fn first_response_hours(priority: Priority) -> i64 {
    match priority {
        Priority::MuyAlta => 1,
        Priority::Alta => 2,
        Priority::Media => 4,
        Priority::Baja => 8,
        Priority::MuyBaja => 16,
    }
}

/// Working hours to resolve, by priority and level: each level has its own clock, longer the
/// higher the level.
pub fn resolution_hours(priority: Priority, level: TicketLevel) -> i64 {
    let base = match priority {
        Priority::MuyAlta => 4,
        Priority::Alta => 8,
        Priority::Media => 16,
        Priority::Baja => 24,
        Priority::MuyBaja => 40,
    };
    base * i64::from(level.number())
}

/// Peru's national holidays of a year (Ley 27444's calendar of feriados, with Holy Week).
pub fn national_holidays(year: i32) -> Vec<(NaiveDate, String)> {
    let date = |m, d| NaiveDate::from_ymd_opt(year, m, d).unwrap_or_default();
    let mut days: Vec<(NaiveDate, String)> = [
        (1, 1, "Año Nuevo"),
        (5, 1, "Día del Trabajo"),
        (6, 7, "Batalla de Arica y Día de la Bandera"),
        (6, 29, "San Pedro y San Pablo"),
        (7, 23, "Día de la Fuerza Aérea del Perú"),
        (7, 28, "Fiestas Patrias"),
        (7, 29, "Fiestas Patrias"),
        (8, 6, "Batalla de Junín"),
        (8, 30, "Santa Rosa de Lima"),
        (10, 8, "Combate de Angamos"),
        (11, 1, "Día de Todos los Santos"),
        (12, 8, "Inmaculada Concepción"),
        (12, 9, "Batalla de Ayacucho"),
        (12, 25, "Navidad"),
    ]
    .into_iter()
    .map(|(m, d, name)| (date(m, d), name.to_owned()))
    .collect();
    // Holy Thursday and Friday, as the school calendar has them.
    days.extend(
        crate::time::peru::national_non_academic_days(year)
            .into_iter()
            .filter(|(_, name)| name.ends_with("Santo")),
    );
    days.sort();
    days
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lima(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        LIMA.with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .unwrap()
            .with_timezone(&Utc)
    }

    fn calendar(holidays: &[(i32, u32, u32)]) -> Calendar {
        Calendar::new(
            NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
            NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
            holidays
                .iter()
                .map(|&(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap())
                .collect(),
        )
    }

    #[test]
    fn working_time_skips_nights_and_weekends() {
        let cal = calendar(&[]);
        // Friday 2026-12-04 16:00 to Monday 2026-12-07 09:00: one hour Friday, one Monday.
        assert_eq!(
            cal.working_secs(lima(2026, 12, 4, 16, 0), lima(2026, 12, 7, 9, 0)),
            2 * 3600
        );
        assert_eq!(
            cal.add_working(lima(2026, 12, 4, 16, 0), 2 * 3600),
            lima(2026, 12, 7, 9, 0)
        );
        // Starting at night counts from the next opening.
        assert_eq!(
            cal.add_working(lima(2026, 12, 3, 22, 0), 3600),
            lima(2026, 12, 4, 9, 0)
        );
        assert!(cal.is_working_time(lima(2026, 12, 4, 8, 0)));
        assert!(!cal.is_working_time(lima(2026, 12, 5, 10, 0)));
        assert!(!cal.is_working_time(lima(2026, 12, 4, 17, 0)));
    }

    #[test]
    fn the_indexed_calendar_answers_as_the_day_by_day_count() {
        let plain = calendar(&[(2026, 12, 8), (2026, 12, 25), (2027, 1, 1)]);
        let indexed = plain.clone().indexed(
            NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            NaiveDate::from_ymd_opt(2027, 2, 28).unwrap(),
        );
        // Instants every 97 minutes over four months (nights, weekends and holidays included),
        // some outside the index, paired with spans of up to six weeks.
        let start = lima(2026, 10, 20, 0, 7);
        for i in 0..2_000_i64 {
            let from = start + Duration::minutes(97 * i);
            for span in [0, 45, 600, 2_000, 9_000, 60_000] {
                let to = from + Duration::minutes(span + i % 13);
                assert_eq!(
                    indexed.working_secs(from, to),
                    plain.working_secs(from, to),
                    "{from} → {to}"
                );
            }
            for secs in [0, 1, 1_800, 9 * 3600, 9 * 3600 + 1, 40 * 3600, 300 * 3600] {
                assert_eq!(
                    indexed.add_working(from, secs),
                    plain.add_working(from, secs),
                    "{from} + {secs} s"
                );
            }
        }
    }

    #[test]
    fn holidays_are_not_working_time() {
        // Tuesday 8 and Wednesday 9 December 2026 are holidays.
        let cal = calendar(&[(2026, 12, 8), (2026, 12, 9)]);
        assert_eq!(
            cal.add_working(lima(2026, 12, 7, 16, 0), 2 * 3600),
            lima(2026, 12, 10, 9, 0)
        );
        assert_eq!(
            cal.working_secs(lima(2026, 12, 7, 8, 0), lima(2026, 12, 11, 8, 0)),
            2 * 9 * 3600
        );
    }

    #[test]
    fn waiting_for_the_requester_across_a_weekend_and_a_holiday_moves_the_deadline() {
        let cal = calendar(&[(2026, 12, 8)]);
        let filed = lima(2026, 12, 4, 9, 0); // Friday
        let steps = [
            Step {
                at: filed,
                state: TicketState::Nuevo,
            },
            Step {
                at: lima(2026, 12, 4, 10, 0),
                state: TicketState::EsperandoUsuario,
            },
            // The requester answers on Wednesday at 10:00, after the weekend and the holiday.
            Step {
                at: lima(2026, 12, 9, 10, 0),
                state: TicketState::EnAtencion,
            },
        ];
        let target = 4 * 3600;
        let now = lima(2026, 12, 9, 11, 0);
        let clock = measure(&cal, "resolution", target, filed, None, &steps, now);
        // Worked: Friday 9–10 and Wednesday 10–11.
        assert_eq!(clock.elapsed_minutes, 120);
        assert!(!clock.paused);
        assert_eq!(clock.status, "en_plazo");
        // Four hours of work from Friday 9:00, plus the pause (Friday 10–17, Monday 8–17 and
        // Wednesday 8–10, the Tuesday holiday and the weekend not counting): Wednesday 13:00.
        assert_eq!(clock.due_at, lima(2026, 12, 9, 13, 0));

        // While waiting, the clock is stopped and says so.
        let waiting = measure(
            &cal,
            "resolution",
            target,
            filed,
            None,
            &steps[..2],
            lima(2026, 12, 7, 12, 0),
        );
        assert!(waiting.paused);
        assert_eq!(waiting.status, "pausado");
        assert_eq!(waiting.elapsed_minutes, 60);
    }

    #[test]
    fn a_clock_warns_at_80_percent_and_then_breaches() {
        let cal = calendar(&[]);
        let filed = lima(2026, 12, 1, 8, 0);
        let steps = [Step {
            at: filed,
            state: TicketState::Nuevo,
        }];
        let at = |h, m| lima(2026, 12, 1, h, m);
        let status = |now| measure(&cal, "first_response", 3600, filed, None, &steps, now).status;
        assert_eq!(status(at(8, 30)), "en_plazo");
        assert_eq!(status(at(8, 50)), "por_vencer");
        assert_eq!(status(at(9, 30)), "vencido");
        let done = measure(
            &cal,
            "first_response",
            3600,
            filed,
            Some(at(8, 40)),
            &steps,
            at(12, 0),
        );
        assert_eq!((done.met, done.status), (Some(true), "cumplido"));
    }

    #[test]
    fn the_national_calendar_has_the_fixed_holidays_and_holy_week() {
        let days = national_holidays(2026);
        let has = |m, d| {
            days.iter()
                .any(|(day, _)| *day == NaiveDate::from_ymd_opt(2026, m, d).unwrap())
        };
        assert!(has(1, 1) && has(7, 28) && has(7, 29) && has(12, 25));
        // Easter 2026 is 5 April: Holy Thursday 2, Good Friday 3.
        assert!(has(4, 2) && has(4, 3));
    }
}
