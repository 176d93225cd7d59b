//! The monthly register as a PDF, laid out like the paper register (docs/domain.md §3): one row per
//! student, one column per day, greyed cells for days without attendance, totals and the legend.

use chrono::{DateTime, Utc};
use mobile_contract::AttendanceStatus;

use super::register::{Register, State};
use crate::{pdf::Document, time::LIMA};

const PAGE_W: f32 = 297.0;
const PAGE_H: f32 = 210.0;
const MARGIN: f32 = 10.0;
const ROW_H: f32 = 5.2;
const NUMBER_W: f32 = 7.0;
const NAME_W: f32 = 62.0;
const TOTAL_W: f32 = 6.0;
const ROWS_PER_PAGE: usize = 26;

const MONTHS: [&str; 12] = [
    "ENERO",
    "FEBRERO",
    "MARZO",
    "ABRIL",
    "MAYO",
    "JUNIO",
    "JULIO",
    "AGOSTO",
    "SETIEMBRE",
    "OCTUBRE",
    "NOVIEMBRE",
    "DICIEMBRE",
];

/// The Spanish name of a month (1 to 12), in lower case: "setiembre".
pub fn month_name(month: u32) -> String {
    MONTHS
        .get((month as usize).wrapping_sub(1))
        .map(|m| m.to_lowercase())
        .unwrap_or_default()
}

fn reason_mark(reason: &str) -> &'static str {
    match reason {
        "sin_matricula" => "–",
        "traslado" => "TR",
        "retirado" => "RE",
        "fallecido" => "FA",
        _ => "",
    }
}

/// Renders the register as PDF bytes (A4 landscape).
pub fn render(register: &Register, generated_at: DateTime<Utc>) -> Vec<u8> {
    let day_count = register.days.len() as f32;
    let totals = AttendanceStatus::ALL;
    let day_w =
        (PAGE_W - 2.0 * MARGIN - NUMBER_W - NAME_W - TOTAL_W * totals.len() as f32) / day_count;
    let pages_needed = register.rows.len().div_ceil(ROWS_PER_PAGE).max(1);
    let mut doc = Document::new(&format!(
        "Registro de asistencia {} {} {}-{}",
        register.school_code, register.grade, register.month, register.year
    ));
    for page_index in 0..pages_needed {
        let mut page = doc.page(PAGE_W, PAGE_H);
        let month = MONTHS
            .get(register.month as usize - 1)
            .copied()
            .unwrap_or("");
        page.text(
            MARGIN,
            14.0,
            13.0,
            true,
            "REGISTRO DE ASISTENCIA MENSUAL DE ESTUDIANTES",
        );
        page.text(
            MARGIN,
            20.0,
            9.0,
            false,
            &format!(
                "Institución educativa: {} — Código modular: {}",
                register.school_name, register.school_code
            ),
        );
        page.text(
            MARGIN,
            25.0,
            9.0,
            false,
            &format!(
                "Grado: {} — Sección: {} — Mes: {month} {} — Estado: {}",
                register.grade,
                register.section,
                register.year,
                State::label(register.state)
            ),
        );
        page.text(
            PAGE_W - MARGIN - 22.0,
            14.0,
            8.0,
            false,
            &format!("Hoja {} de {}", page_index + 1, pages_needed),
        );

        // Header row: N°, names, day numbers with weekday initials, totals.
        let top = 30.0;
        let header_h = 8.0;
        let mut x = MARGIN;
        page.centered(x, NUMBER_W, top + 5.5, 7.0, true, "N°");
        x += NUMBER_W;
        page.text(x + 1.5, top + 5.5, 7.0, true, "Apellidos y nombres");
        x += NAME_W;
        for day in &register.days {
            if !day.academic {
                page.fill(x, top, day_w, header_h, 0.85);
            }
            page.centered(x, day_w, top + 3.4, 5.5, false, day.weekday);
            page.centered(x, day_w, top + 6.8, 6.5, true, &day.day.to_string());
            x += day_w;
        }
        for status in totals {
            page.centered(
                x,
                TOTAL_W,
                top + 5.5,
                7.0,
                true,
                if status == AttendanceStatus::Asistio {
                    "A"
                } else {
                    status.symbol()
                },
            );
            x += TOTAL_W;
        }

        // Student rows.
        let rows = register
            .rows
            .iter()
            .skip(page_index * ROWS_PER_PAGE)
            .take(ROWS_PER_PAGE);
        let mut y = top + header_h;
        let mut drawn = 0;
        for row in rows {
            let mut x = MARGIN;
            page.centered(x, NUMBER_W, y + 3.7, 7.0, false, &row.number.to_string());
            x += NUMBER_W;
            let name: String = row.full_name.chars().take(44).collect();
            page.text(x + 1.0, y + 3.7, 6.5, false, &name);
            x += NAME_W;
            for cell in &row.cells {
                match (cell.symbol, cell.reason) {
                    (Some(symbol), _) => page.centered(x, day_w, y + 3.8, 8.0, true, symbol),
                    (None, Some("pendiente")) => {}
                    (None, Some(reason)) => {
                        page.fill(
                            x,
                            y,
                            day_w,
                            ROW_H,
                            if reason == "no_academico" { 0.85 } else { 0.93 },
                        );
                        page.centered(x, day_w, y + 3.6, 5.0, false, reason_mark(reason));
                    }
                    (None, None) => {}
                }
                x += day_w;
            }
            for status in totals {
                let n = row.totals.get(status.code()).copied().unwrap_or(0);
                page.centered(x, TOTAL_W, y + 3.7, 7.0, false, &n.to_string());
                x += TOTAL_W;
            }
            y += ROW_H;
            drawn += 1;
        }

        // Grid lines.
        let bottom = top + header_h + ROW_H * drawn as f32;
        let right = PAGE_W - MARGIN;
        page.line(MARGIN, top, right, top, 0.8);
        page.line(MARGIN, top + header_h, right, top + header_h, 0.8);
        for i in 1..=drawn {
            let yy = top + header_h + ROW_H * i as f32;
            page.line(MARGIN, yy, right, yy, 0.3);
        }
        let mut xs = vec![MARGIN, MARGIN + NUMBER_W, MARGIN + NUMBER_W + NAME_W];
        for i in 1..=register.days.len() {
            xs.push(MARGIN + NUMBER_W + NAME_W + day_w * i as f32);
        }
        for i in 1..=totals.len() {
            xs.push(MARGIN + NUMBER_W + NAME_W + day_w * day_count + TOTAL_W * i as f32);
        }
        for xx in xs {
            page.line(xx, top, xx, bottom, 0.3);
        }

        // Legend and signature.
        let legend_y = bottom + 6.0;
        page.text(MARGIN, legend_y, 7.0, true, "Leyenda:");
        page.text(
            MARGIN + 13.0,
            legend_y,
            7.0,
            false,
            ". Asistió    F Faltó    T Tardanza    J Falta justificada    U Tardanza justificada    (A = total de asistencias)",
        );
        page.text(
            MARGIN + 13.0,
            legend_y + 4.5,
            7.0,
            false,
            "Celda gris: día no académico    – sin matrícula    TR traslado    RE retirado    FA fallecido",
        );
        // The notes of this page's marks (the reasons of justified absences and lateness).
        let notes: Vec<String> = register
            .rows
            .iter()
            .skip(page_index * ROWS_PER_PAGE)
            .take(ROWS_PER_PAGE)
            .flat_map(|row| {
                row.cells.iter().filter_map(move |cell| {
                    let note = cell.note.as_deref()?;
                    Some(format!(
                        "N° {}, día {} ({}): {}",
                        row.number,
                        chrono::Datelike::day(&cell.date),
                        cell.symbol.unwrap_or(""),
                        note.split_whitespace().collect::<Vec<_>>().join(" ")
                    ))
                })
            })
            .collect();
        if !notes.is_empty() {
            let text = notes.join("; ");
            let mut lines: Vec<String> = Vec::new();
            let mut current = String::from("Observaciones: ");
            for word in text.split(' ') {
                if current.chars().count() + word.chars().count() > 190 {
                    lines.push(std::mem::take(&mut current));
                }
                if !current.is_empty() {
                    current.push(' ');
                }
                current.push_str(word);
            }
            lines.push(current);
            let shown = lines.len().min(2);
            for (i, line) in lines.iter().take(shown).enumerate() {
                let mut line = line.trim().to_owned();
                if i + 1 == shown && lines.len() > shown {
                    line.push_str(" …");
                }
                page.text(MARGIN, legend_y + 9.0 + 4.0 * i as f32, 6.5, false, &line);
            }
        }
        if page_index + 1 == pages_needed {
            let sign_y = (legend_y + 20.0).min(PAGE_H - 8.0);
            page.line(
                PAGE_W - MARGIN - 80.0,
                sign_y - 4.0,
                PAGE_W - MARGIN - 10.0,
                sign_y - 4.0,
                0.5,
            );
            page.text(
                PAGE_W - MARGIN - 66.0,
                sign_y,
                7.5,
                false,
                "Firma y sello del director(a)",
            );
        }
        let stamp = generated_at.with_timezone(&LIMA).format("%d/%m/%Y %H:%M");
        page.text(
            MARGIN,
            PAGE_H - 6.0,
            6.5,
            false,
            &format!("Generado por el SIAGIE el {stamp} (hora de Lima)."),
        );
        doc.push(page);
    }
    doc.save()
}
