//! The acta consolidada de evaluación as a PDF (A4 landscape): the IE, its código modular, level,
//! grade, section and year; one row per student in Spanish alphabetical order, one column per
//! area, the final situation; the areas' names, and the director's signature line.

use chrono::{DateTime, Utc};

use super::{
    scale::situation_label,
    sheet::{ActaState, ActaView},
};
use crate::{
    pdf::{Document, Page, text_width},
    time::LIMA,
};

const PAGE_W: f32 = 297.0;
const PAGE_H: f32 = 210.0;
const MARGIN: f32 = 10.0;
const ROW_H: f32 = 5.6;
const NUMBER_W: f32 = 8.0;
const NAME_W: f32 = 70.0;
const SITUATION_W: f32 = 36.0;
const ROWS_PER_PAGE: usize = 22;

fn level_label(view: &ActaView) -> &'static str {
    match view.level {
        entity::vocabulary::Level::Inicial => "Inicial",
        entity::vocabulary::Level::Primaria => "Primaria",
        entity::vocabulary::Level::Secundaria => "Secundaria",
    }
}

fn state_label(state: ActaState) -> &'static str {
    match state {
        ActaState::Abierta => "Abierta (sin cerrar)",
        ActaState::Cerrada => "Cerrada",
        ActaState::EnModificacion => "En modificación excepcional",
    }
}

/// Renders the acta as PDF bytes.
pub fn render(view: &ActaView, generated_at: DateTime<Utc>) -> Vec<u8> {
    let area_count = view.areas.len().max(1) as f32;
    let area_w = (PAGE_W - 2.0 * MARGIN - NUMBER_W - NAME_W - SITUATION_W) / area_count;
    let pages_needed = view.students.len().div_ceil(ROWS_PER_PAGE).max(1);
    let mut doc = Document::new(&format!(
        "Acta consolidada de evaluación {} {} {}",
        view.grade, view.section, view.year
    ));
    for page_index in 0..pages_needed {
        let mut page = doc.page(PAGE_W, PAGE_H);
        page.text(MARGIN, 13.0, 13.0, true, "ACTA CONSOLIDADA DE EVALUACIÓN");
        page.text(
            MARGIN,
            19.5,
            9.0,
            false,
            &format!(
                "Institución educativa: {} — Código modular: {}",
                view.school_name, view.school_code
            ),
        );
        page.text(
            MARGIN,
            24.5,
            9.0,
            false,
            &format!(
                "Nivel: {} — Grado: {} — Sección: {} — Año académico: {} — Estado: {}",
                level_label(view),
                view.grade,
                view.section,
                view.year,
                state_label(view.state)
            ),
        );
        page.text(
            PAGE_W - MARGIN - 24.0,
            13.0,
            8.0,
            false,
            &format!("Página {} de {pages_needed}", page_index + 1),
        );

        let top = 29.0;
        let header_h = 9.0;
        page.fill(MARGIN, top, PAGE_W - 2.0 * MARGIN, header_h, 0.88);
        let mut x = MARGIN;
        page.centered(x, NUMBER_W, top + 5.8, 7.5, true, "N°");
        x += NUMBER_W;
        page.text(x + 1.5, top + 5.8, 7.5, true, "Apellidos y nombres");
        x += NAME_W;
        for area in &view.areas {
            page.centered(x, area_w, top + 5.8, 6.5, true, &area.code);
            x += area_w;
        }
        page.centered(x, SITUATION_W, top + 5.8, 7.5, true, "Situación final");

        let rows = view
            .students
            .iter()
            .skip(page_index * ROWS_PER_PAGE)
            .take(ROWS_PER_PAGE);
        let mut y = top + header_h;
        let mut drawn = 0;
        for row in rows {
            let mut x = MARGIN;
            page.centered(x, NUMBER_W, y + 4.0, 7.5, false, &row.number.to_string());
            x += NUMBER_W;
            let name: String = row.full_name.chars().take(44).collect();
            page.text(x + 1.0, y + 4.0, 7.0, false, &name);
            x += NAME_W;
            for area in &view.areas {
                let value = row
                    .grades
                    .iter()
                    .find(|g| g.area_id == area.id)
                    .map(|g| g.value.as_str())
                    .unwrap_or("");
                page.centered(x, area_w, y + 4.0, 8.0, false, value);
                x += area_w;
            }
            let situation = row.situation.map(situation_label).unwrap_or("—");
            page.centered(x, SITUATION_W, y + 4.0, 7.0, false, situation);
            y += ROW_H;
            drawn += 1;
        }

        // The grid.
        let bottom = top + header_h + ROW_H * drawn as f32;
        let right = PAGE_W - MARGIN;
        page.line(MARGIN, top, right, top, 0.8);
        page.line(MARGIN, top + header_h, right, top + header_h, 0.8);
        for i in 1..=drawn {
            let yy = top + header_h + ROW_H * i as f32;
            page.line(MARGIN, yy, right, yy, 0.3);
        }
        let mut columns = vec![MARGIN, MARGIN + NUMBER_W, MARGIN + NUMBER_W + NAME_W];
        for i in 1..=view.areas.len() {
            columns.push(MARGIN + NUMBER_W + NAME_W + area_w * i as f32);
        }
        columns.push(right);
        for xx in columns {
            page.line(xx, top, xx, bottom, 0.3);
        }

        if page_index + 1 == pages_needed {
            let legend_y = bottom + 7.0;
            page.text(MARGIN, legend_y, 7.0, true, "Áreas curriculares:");
            let mut line = String::new();
            let mut line_y = legend_y + 4.0;
            for area in &view.areas {
                let item = format!("{}: {} ({})   ", area.code, area.name, scale_label(area));
                if text_width(&line, 6.5, false) + text_width(&item, 6.5, false)
                    > PAGE_W - 2.0 * MARGIN
                {
                    page.text(MARGIN, line_y, 6.5, false, &line);
                    line.clear();
                    line_y += 3.6;
                }
                line.push_str(&item);
            }
            page.text(MARGIN, line_y, 6.5, false, &line);
            let sign_y = (line_y + 18.0).min(PAGE_H - 10.0);
            page.line(
                PAGE_W - MARGIN - 80.0,
                sign_y,
                PAGE_W - MARGIN - 10.0,
                sign_y,
                0.5,
            );
            page.text(
                PAGE_W - MARGIN - 68.0,
                sign_y + 4.0,
                8.0,
                false,
                "Firma y sello del director(a) de la IE",
            );
        }
        page.text(
            MARGIN,
            PAGE_H - 6.0,
            6.5,
            false,
            &format!(
                "SIAGIE — generado el {}",
                generated_at.with_timezone(&LIMA).format("%d/%m/%Y %H:%M")
            ),
        );
        doc.push(page);
    }
    if view.students.iter().any(|s| s.recovery.is_some()) {
        let mut page = doc.page(PAGE_W, PAGE_H);
        recovery_page(&mut page, view, generated_at);
        doc.push(page);
    }
    doc.save()
}

/// The results of the recuperación pedagógica recorded after the acta closed: per student, the
/// recuperación's grade in each area it had failed and the situation it led to.
fn recovery_page(page: &mut Page, view: &ActaView, generated_at: DateTime<Utc>) {
    page.text(
        MARGIN,
        13.0,
        13.0,
        true,
        "RESULTADOS DE LA RECUPERACIÓN PEDAGÓGICA",
    );
    page.text(
        MARGIN,
        19.5,
        9.0,
        false,
        &format!(
            "Institución educativa: {} — Código modular: {} — Grado: {} — Sección: {} — Año académico: {}",
            view.school_name, view.school_code, view.grade, view.section, view.year
        ),
    );
    let top = 26.0;
    page.fill(MARGIN, top, PAGE_W - 2.0 * MARGIN, ROW_H + 1.0, 0.88);
    page.centered(MARGIN, NUMBER_W, top + 4.3, 7.5, true, "N°");
    page.text(
        MARGIN + NUMBER_W + 1.5,
        top + 4.3,
        7.5,
        true,
        "Apellidos y nombres",
    );
    page.text(
        MARGIN + NUMBER_W + NAME_W + 1.5,
        top + 4.3,
        7.5,
        true,
        "Calificaciones de recuperación",
    );
    page.centered(
        PAGE_W - MARGIN - SITUATION_W,
        SITUATION_W,
        top + 4.3,
        7.5,
        true,
        "Situación final",
    );
    let mut y = top + ROW_H + 1.0;
    for row in &view.students {
        let Some(recovery) = &row.recovery else {
            continue;
        };
        if y > PAGE_H - 20.0 {
            break;
        }
        let grades = recovery
            .grades
            .iter()
            .map(|g| {
                let code = view
                    .areas
                    .iter()
                    .find(|a| a.id == g.area_id)
                    .map_or("?", |a| a.code.as_str());
                format!("{code}: {}", g.value)
            })
            .collect::<Vec<_>>()
            .join("   ");
        page.centered(
            MARGIN,
            NUMBER_W,
            y + 4.0,
            7.5,
            false,
            &row.number.to_string(),
        );
        let name: String = row.full_name.chars().take(44).collect();
        page.text(MARGIN + NUMBER_W + 1.0, y + 4.0, 7.0, false, &name);
        page.text(
            MARGIN + NUMBER_W + NAME_W + 1.5,
            y + 4.0,
            7.5,
            false,
            &grades,
        );
        page.centered(
            PAGE_W - MARGIN - SITUATION_W,
            SITUATION_W,
            y + 4.0,
            7.0,
            false,
            situation_label(recovery.situation),
        );
        y += ROW_H;
        page.line(MARGIN, y, PAGE_W - MARGIN, y, 0.3);
    }
    page.text(
        MARGIN,
        PAGE_H - 6.0,
        6.5,
        false,
        &format!(
            "SIAGIE — generado el {}",
            generated_at.with_timezone(&LIMA).format("%d/%m/%Y %H:%M")
        ),
    );
}

fn scale_label(area: &super::catalogue::Area) -> &'static str {
    match area.scale {
        entity::vocabulary::GradeScale::Vigesimal => "0 a 20",
        entity::vocabulary::GradeScale::Literal => "AD, A, B, C",
    }
}
