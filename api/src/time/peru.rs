//! Peru's calendar: Easter and the national holidays and vacation that make school days
//! non-academic. The demo world's academic year and the help desk's working-time calendar both
//! read it here. (The help desk's migration keeps its own frozen copy: a migration never calls
//! today's code.)

use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// Easter Sunday (anonymous Gregorian algorithm).
pub fn easter(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).unwrap_or_default()
}

/// Peru's national holidays and the mid-year vacation that fall on school days of the year.
pub fn national_non_academic_days(year: i32) -> Vec<(NaiveDate, String)> {
    let date = |m, d| NaiveDate::from_ymd_opt(year, m, d).unwrap_or_default();
    let easter = easter(year);
    let mut days = vec![
        (easter - Duration::days(3), "Jueves Santo".to_owned()),
        (easter - Duration::days(2), "Viernes Santo".to_owned()),
        (date(5, 1), "Día del Trabajo".to_owned()),
        (
            date(6, 7),
            "Batalla de Arica y Día de la Bandera".to_owned(),
        ),
        (date(6, 29), "San Pedro y San Pablo".to_owned()),
        (date(7, 23), "Día de la Fuerza Aérea del Perú".to_owned()),
        (date(8, 6), "Batalla de Junín".to_owned()),
        (date(8, 30), "Santa Rosa de Lima".to_owned()),
        (date(10, 8), "Combate de Angamos".to_owned()),
        (date(11, 1), "Día de Todos los Santos".to_owned()),
        (date(12, 8), "Inmaculada Concepción".to_owned()),
        (date(12, 9), "Batalla de Ayacucho".to_owned()),
    ];
    // Mid-year vacation: the two weeks that start on the last Monday of July.
    let mut day =
        NaiveDate::from_weekday_of_month_opt(year, 7, Weekday::Mon, 4).unwrap_or_default();
    if (day + Duration::days(7)).month() == 7 {
        day += Duration::days(7);
    }
    for _ in 0..14 {
        days.push((day, "Vacaciones de medio año".to_owned()));
        day += Duration::days(1);
    }
    days.retain(|(d, _)| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun));
    days.sort();
    days.dedup_by_key(|(d, _)| *d);
    days
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn easter_dates_are_right() {
        assert_eq!(easter(2026), NaiveDate::from_ymd_opt(2026, 4, 5).unwrap());
        assert_eq!(easter(2025), NaiveDate::from_ymd_opt(2025, 4, 20).unwrap());
    }

    #[test]
    fn the_national_calendar_has_no_weekends_and_no_repeats() {
        let days = national_non_academic_days(2026);
        assert!(
            days.iter()
                .all(|(d, _)| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        );
        let mut dates: Vec<_> = days.iter().map(|(d, _)| *d).collect();
        dates.dedup();
        assert_eq!(dates.len(), days.len());
        assert!(
            dates.contains(&NaiveDate::from_ymd_opt(2026, 4, 3).unwrap()),
            "Viernes Santo"
        );
    }
}
