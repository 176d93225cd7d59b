//! Grades on their scales, and the final situation they suggest.
//!
//! A grade is stored as a small number: 0 to 20 on the vigesimal scale, 1 to 4 for C, B, A and AD
//! on the literal one. People read and type it as `15` or `AD`.

use entity::vocabulary::{AreaKind, FinalSituation, GradeScale, Level};

/// The literal grades, from the lowest (stored as 1) to the highest (stored as 4).
const LITERAL: [&str; 4] = ["C", "B", "A", "AD"];

/// The lowest passing vigesimal grade.
const VIGESIMAL_PASS: i16 = 11;

/// Reads a grade typed on a scale.
pub fn parse(scale: GradeScale, text: &str) -> Result<i16, String> {
    let text = text.trim();
    match scale {
        GradeScale::Vigesimal => match text.parse::<i16>() {
            Ok(value) if (0..=20).contains(&value) => Ok(value),
            _ => Err(format!(
                "«{text}» no es una calificación vigesimal: escriba un número entero de 0 a 20."
            )),
        },
        GradeScale::Literal => LITERAL
            .iter()
            .position(|l| l.eq_ignore_ascii_case(text))
            .map(|i| i as i16 + 1)
            .ok_or_else(|| {
                format!("«{text}» no es una calificación literal: escriba AD, A, B o C.")
            }),
    }
}

/// How a stored grade is written.
pub fn show(scale: GradeScale, value: i16) -> String {
    match scale {
        GradeScale::Vigesimal => format!("{value:02}"),
        GradeScale::Literal => LITERAL
            .get((value as usize).wrapping_sub(1))
            .copied()
            .unwrap_or("?")
            .to_owned(),
    }
}

/// Whether a grade is below what passes the area: under 11 on the vigesimal scale, C on the
/// literal one.
pub fn fails(scale: GradeScale, value: i16) -> bool {
    match scale {
        GradeScale::Vigesimal => value < VIGESIMAL_PASS,
        GradeScale::Literal => value <= 1,
    }
}

/// One area's grade as the rule reads it.
#[derive(Debug, Clone, Copy)]
pub struct Graded<'a> {
    pub code: &'a str,
    pub kind: AreaKind,
    pub scale: GradeScale,
    pub value: Option<i16>,
}

/// The final situation the grades suggest (docs/evaluation.md, "Final situations"), or `None` while
/// an area that counts has no grade. Behaviour (comportamiento) does not count.
///
/// - First grade of primary: promovido (automatic promotion).
/// - Primary: permanece with C in both Comunicación and Matemática, or in four or more areas;
///   requiere recuperación with C in one to three areas; otherwise promovido.
/// - Secondary: an area fails under 11 (vigesimal) or with C (literal); permanece with four or
///   more areas failed, requiere recuperación with one to three, otherwise promovido.
pub fn suggest(level: Level, grade_ordinal: i16, grades: &[Graded]) -> Option<FinalSituation> {
    let counted: Vec<&Graded> = grades
        .iter()
        .filter(|g| g.kind != AreaKind::Comportamiento)
        .collect();
    let mut failed = Vec::new();
    for g in &counted {
        if fails(g.scale, g.value?) {
            failed.push(g.code);
        }
    }
    if level == Level::Primaria && grade_ordinal == 1 {
        return Some(FinalSituation::Promovido);
    }
    let core_failed = failed.contains(&"COM") && failed.contains(&"MAT");
    Some(match failed.len() {
        0 => FinalSituation::Promovido,
        _ if level == Level::Primaria && core_failed => FinalSituation::Permanece,
        1..=3 => FinalSituation::RequiereRecuperacion,
        _ => FinalSituation::Permanece,
    })
}

/// The final situation the recuperación suggests, from how many of the areas it covered are still
/// failed after it: in secondary a student is promovido with at most one area still failed; in
/// primary, with none. Otherwise it permanece en el grado.
pub fn suggest_after_recovery(level: Level, still_failed: usize) -> FinalSituation {
    let allowed = if level == Level::Secundaria { 1 } else { 0 };
    if still_failed <= allowed {
        FinalSituation::Promovido
    } else {
        FinalSituation::Permanece
    }
}

/// How a final situation is written on an acta and a certificate.
pub fn situation_label(situation: FinalSituation) -> &'static str {
    match situation {
        FinalSituation::Promovido => "Promovido",
        FinalSituation::RequiereRecuperacion => "Requiere recuperación",
        FinalSituation::Permanece => "Permanece en el grado",
        FinalSituation::Retirado => "Retirado",
        FinalSituation::Trasladado => "Trasladado",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(code: &'static str, scale: GradeScale, text: Option<&str>) -> Graded<'static> {
        Graded {
            code,
            kind: if code == "COMP" {
                AreaKind::Comportamiento
            } else {
                AreaKind::General
            },
            scale,
            value: text.map(|t| parse(scale, t).unwrap()),
        }
    }

    #[test]
    fn grades_are_read_on_their_scale_and_written_back() {
        assert_eq!(parse(GradeScale::Vigesimal, " 15 "), Ok(15));
        assert_eq!(parse(GradeScale::Vigesimal, "0"), Ok(0));
        assert!(parse(GradeScale::Vigesimal, "21").is_err());
        assert!(parse(GradeScale::Vigesimal, "-1").is_err());
        assert!(parse(GradeScale::Vigesimal, "AD").is_err());
        assert!(parse(GradeScale::Vigesimal, "14.5").is_err());
        assert_eq!(parse(GradeScale::Literal, "ad"), Ok(4));
        assert_eq!(parse(GradeScale::Literal, "C"), Ok(1));
        assert!(parse(GradeScale::Literal, "D").is_err());
        assert!(parse(GradeScale::Literal, "18").is_err());
        assert_eq!(show(GradeScale::Vigesimal, 7), "07");
        assert_eq!(show(GradeScale::Literal, 4), "AD");
        for value in 1..=4 {
            let shown = show(GradeScale::Literal, value);
            assert_eq!(parse(GradeScale::Literal, &shown), Ok(value));
        }
    }

    #[test]
    fn secondary_counts_the_areas_failed_without_behaviour() {
        let v = GradeScale::Vigesimal;
        let mut grades = vec![
            area("MAT", v, Some("10")),
            area("COM", v, Some("14")),
            area("CTA", v, Some("11")),
            area("HGE", v, Some("16")),
            area("COMP", GradeScale::Literal, Some("C")),
        ];
        assert_eq!(
            suggest(Level::Secundaria, 3, &grades),
            Some(FinalSituation::RequiereRecuperacion)
        );
        grades[0].value = Some(11);
        assert_eq!(
            suggest(Level::Secundaria, 3, &grades),
            Some(FinalSituation::Promovido),
            "behaviour with C does not count"
        );
        for g in grades.iter_mut().take(4) {
            g.value = Some(8);
        }
        assert_eq!(
            suggest(Level::Secundaria, 3, &grades),
            Some(FinalSituation::Permanece)
        );
        grades[2].value = None;
        assert_eq!(suggest(Level::Secundaria, 3, &grades), None);
    }

    #[test]
    fn primary_keeps_back_with_c_in_communication_and_mathematics() {
        let l = GradeScale::Literal;
        let grades = [
            area("COM", l, Some("C")),
            area("MAT", l, Some("C")),
            area("PS", l, Some("A")),
        ];
        assert_eq!(
            suggest(Level::Primaria, 3, &grades),
            Some(FinalSituation::Permanece)
        );
        assert_eq!(
            suggest(Level::Primaria, 1, &grades),
            Some(FinalSituation::Promovido),
            "first grade is promoted automatically"
        );
        let grades = [area("COM", l, Some("C")), area("MAT", l, Some("B"))];
        assert_eq!(
            suggest(Level::Primaria, 4, &grades),
            Some(FinalSituation::RequiereRecuperacion)
        );
    }

    #[test]
    fn the_recuperacion_promotes_with_at_most_one_area_failed_in_secondary_and_none_in_primary() {
        use FinalSituation::{Permanece, Promovido};
        assert_eq!(suggest_after_recovery(Level::Secundaria, 0), Promovido);
        assert_eq!(suggest_after_recovery(Level::Secundaria, 1), Promovido);
        assert_eq!(suggest_after_recovery(Level::Secundaria, 2), Permanece);
        assert_eq!(suggest_after_recovery(Level::Primaria, 0), Promovido);
        assert_eq!(suggest_after_recovery(Level::Primaria, 1), Permanece);
    }
}
