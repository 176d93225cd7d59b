//! The certificate as a PDF (A4 portrait), laid out like the one of the Mi Certificado manual
//! (docs/domain.md §6): the title, the sentence naming the student, the table of areas × years with
//! the código modular and the final situation of each year, observations, place and date, room for
//! the director's signature and seal, and the virtual code with the QR (also a link in the PDF, so
//! a program can read it).

use chrono::{Datelike, NaiveDate};
use printpdf::{
    Actions, BorderArray, LinkAnnotation, Mm, Op, Pt, RawImage, RawImageData, RawImageFormat, Rect,
    XObjectTransform,
};

use super::{
    payload::{CertificateContent, situation_label},
    qr,
};
use crate::{
    domain::Level,
    pdf::{Document, Page, text_width, wrap},
};

const PAGE_W: f32 = 210.0;
const PAGE_H: f32 = 297.0;
const MARGIN: f32 = 15.0;
/// The printed side of the QR, quiet zone included, for a small code: a larger one (several
/// years of grades) is printed at [`MODULE_MM`] a module, up to [`QR_MAX_MM`].
pub const QR_MM: f32 = 45.0;
/// The least a module is printed at, so that a phone's camera resolves it on paper.
pub const MODULE_MM: f32 = 0.45;
/// The largest the QR is printed, beside the virtual code, under the signature.
pub const QR_MAX_MM: f32 = 62.0;

/// The printed side of a QR of `modules` per side (quiet zone included).
pub fn qr_side_mm(modules: usize) -> f32 {
    (modules as f32 * MODULE_MM).clamp(QR_MM, QR_MAX_MM)
}
/// Pixels per QR module in the embedded image (crisp when a viewer scales it).
const PX_PER_MODULE: usize = 4;

/// What the PDF shows besides the signed content.
pub struct Sheet<'a> {
    pub content: &'a CertificateContent,
    /// The student's full document number (the payload holds it masked).
    pub document: &'a str,
    /// Where it is issued (the IE's district).
    pub place: &'a str,
    /// The QR text; `None` for a preview, which has no QR and no value.
    pub qr_text: Option<&'a str>,
    /// The address of the verification by code.
    pub verify_url: &'a str,
    /// Delivered as a file (the requester's download): valid by its digital signature and QR,
    /// with no line for a handwritten signature and seal.
    pub digital: bool,
}

const MONTHS: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "setiembre",
    "octubre",
    "noviembre",
    "diciembre",
];

/// "2 de diciembre de 2026".
pub fn long_date(date: NaiveDate) -> String {
    format!(
        "{} de {} de {}",
        date.day(),
        MONTHS[date.month0() as usize],
        date.year()
    )
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Inicial => "INICIAL",
        Level::Primaria => "PRIMARIA",
        Level::Secundaria => "SECUNDARIA",
    }
}

/// Ordinal words of grades for the sentence ("PRIMER, SEGUNDO y TERCER").
fn grades_sentence(grades: &[String]) -> String {
    match grades {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} y {last}", rest.join(", ")),
    }
}

/// Renders a certificate (or its preview) as PDF bytes.
pub fn render(sheet: &Sheet) -> Vec<u8> {
    render_all(
        &format!(
            "Certificado oficial de estudios {}",
            sheet.content.virtual_code
        ),
        std::slice::from_ref(sheet),
    )
}

/// Renders certificates as one PDF, a page each (the certificates of a section issued at once).
pub fn render_all(title: &str, sheets: &[Sheet]) -> Vec<u8> {
    let mut doc = Document::new(title);
    for sheet in sheets {
        let page = page_of(&mut doc, sheet);
        doc.push(page);
    }
    doc.save()
}

/// One certificate's page, its QR image added to the document.
fn page_of(doc: &mut Document, sheet: &Sheet) -> Page {
    let mut page = doc.page(PAGE_W, PAGE_H);
    let y = heading(&mut page, sheet);
    let y = grades_table(&mut page, sheet.content, y);
    let y = notes(&mut page, sheet.content, y);
    signature(&mut page, sheet, y);
    foot(doc, &mut page, sheet);
    page
}

/// The title, the level and the sentence naming the student; where the table starts.
fn heading(page: &mut Page, sheet: &Sheet) -> f32 {
    let content = sheet.content;
    let preview = sheet.qr_text.is_none();
    let inner = PAGE_W - 2.0 * MARGIN;

    if preview {
        page.text_gray(
            MARGIN,
            10.0,
            12.0,
            true,
            0.45,
            "VISTA PREVIA – SIN VALOR OFICIAL",
        );
    }
    page.centered(MARGIN, inner, 20.0, 11.0, true, "MINISTERIO DE EDUCACIÓN");
    page.centered(
        MARGIN,
        inner,
        28.0,
        15.0,
        true,
        "CERTIFICADO OFICIAL DE ESTUDIOS",
    );
    page.centered(MARGIN, inner, 34.5, 10.0, false, "EDUCACIÓN BÁSICA REGULAR");
    page.centered(
        MARGIN,
        inner,
        40.0,
        10.0,
        false,
        &format!("NIVEL {}", level_name(content.level)),
    );

    let mut y = 50.0;
    for line in wrap(
        &format!(
            "La dirección de la institución educativa {} (código modular {}) certifica:",
            content.school_name, content.school_code
        ),
        inner,
        9.5,
    ) {
        page.text(MARGIN, y, 9.5, false, &line);
        y += 4.8;
    }
    y += 1.5;
    let grades: Vec<String> = content
        .years
        .iter()
        .map(|g| g.grade.to_uppercase())
        .collect();
    let sentence = format!(
        "Que {}, con DNI/Código del estudiante N.° {}, ha concluido estudios correspondientes a {} grado de EBR, nivel de educación {}, con los siguientes resultados, según consta en las actas de evaluación respectivas:",
        content.student_name,
        sheet.document,
        grades_sentence(&grades),
        level_name(content.level)
    );
    for line in wrap(&sentence, inner, 9.5) {
        page.text(MARGIN, y, 9.5, false, &line);
        y += 4.8;
    }
    y += 3.0;
    y
}

/// A cell of the table: its text, size and whether it is bold.
type Cell = (String, f32, bool);

/// The height of a row of the table of grades; a long table (many areas over the years, as
/// when a level spans two curricula) gets the smaller one, so that observations, place, date and
/// the QR still fit on the page.
const ROW_H: f32 = 5.6;
const SMALL_ROW_H: f32 = 4.6;

/// The table's columns: a label column, then one per year.
struct Columns {
    label_w: f32,
    col_w: f32,
    years: usize,
    row_h: f32,
}

impl Columns {
    fn of(years: usize, rows: usize) -> Self {
        let label_w = 68.0;
        Self {
            label_w,
            col_w: (PAGE_W - 2.0 * MARGIN - label_w) / years.max(1) as f32,
            years,
            row_h: if rows > 18 { SMALL_ROW_H } else { ROW_H },
        }
    }

    /// One row: its label, then each year's cell centred, `(size, bold)` for the cells.
    fn row(&self, page: &mut Page, y: f32, label: (&str, f32, bool), cells: &[Cell]) {
        let baseline = y + self.row_h - 1.6;
        page.text(MARGIN + 1.5, baseline, label.1, label.2, label.0);
        for (i, (value, size, bold)) in cells.iter().enumerate() {
            page.centered(
                MARGIN + self.label_w + self.col_w * i as f32,
                self.col_w,
                baseline,
                *size,
                *bold,
                value,
            );
        }
    }

    /// The grid's lines, from the table's top to its bottom.
    fn grid(&self, page: &mut Page, top: f32, bottom: f32) {
        let rows = ((bottom - top) / self.row_h).round() as usize;
        for r in 0..=rows {
            let yy = top + self.row_h * r as f32;
            let thickness = if r == 0 || r == rows { 0.8 } else { 0.3 };
            page.line(MARGIN, yy, PAGE_W - MARGIN, yy, thickness);
        }
        page.line(MARGIN, top, MARGIN, bottom, 0.8);
        for i in 0..=self.years {
            let xx = MARGIN + self.label_w + self.col_w * i as f32;
            page.line(xx, top, xx, bottom, if i == self.years { 0.8 } else { 0.3 });
        }
    }
}

/// The areas of every year, once each, in Spanish alphabetical order.
fn area_names(content: &CertificateContent) -> Vec<&str> {
    let mut areas: Vec<&str> = Vec::new();
    for year in &content.years {
        for area in &year.areas {
            if !areas.contains(&area.area.as_str()) {
                areas.push(&area.area);
            }
        }
    }
    areas.sort_by_key(|a| crate::domain::spanish_key(a));
    areas
}

/// The table of areas × years, with the código modular and the final situation of each year;
/// where what follows it starts.
fn grades_table(page: &mut Page, content: &CertificateContent, top: f32) -> f32 {
    let years = &content.years;
    let areas = area_names(content);
    let columns = Columns::of(years.len(), areas.len() + 5);
    let row_h = columns.row_h;
    let inner = PAGE_W - 2.0 * MARGIN;
    let header = |value: String| (value, 8.0, true);
    let header_rows: [(&str, Vec<Cell>); 3] = [
        (
            "Año lectivo",
            years
                .iter()
                .map(|y| {
                    header(format!(
                        "{}{}",
                        y.year,
                        if y.transcribed.is_some() { " *" } else { "" }
                    ))
                })
                .collect(),
        ),
        (
            "Grado",
            years.iter().map(|y| header(y.grade.clone())).collect(),
        ),
        (
            "Código modular de la IE",
            years
                .iter()
                .map(|y| header(y.codigo_modular.clone()))
                .collect(),
        ),
    ];
    let mut y = top;
    for (label, cells) in &header_rows {
        page.fill(MARGIN, y, inner, row_h, 0.9);
        columns.row(page, y, (label, 8.0, true), cells);
        y += row_h;
    }
    columns.row(page, y, ("Área curricular", 8.0, true), &[]);
    y += row_h;
    for area in areas {
        let name: String = area.chars().take(44).collect();
        let cells: Vec<Cell> = years
            .iter()
            .map(|year| {
                let value = year.areas.iter().find(|a| a.area == area);
                (
                    value.map_or("-", |a| a.value.as_str()).to_owned(),
                    8.0,
                    false,
                )
            })
            .collect();
        columns.row(page, y, (&name, 7.5, false), &cells);
        y += row_h;
    }
    page.fill(MARGIN, y, inner, row_h, 0.9);
    let situations: Vec<Cell> = years
        .iter()
        .map(|year| {
            let label = situation_label(&year.situation);
            let fits = text_width(label, 7.0, true) <= columns.col_w - 1.0;
            (label.to_owned(), if fits { 7.0 } else { 5.5 }, true)
        })
        .collect();
    columns.row(page, y, ("Situación final", 8.0, true), &situations);
    y += row_h;
    columns.grid(page, top, y);
    y + 5.0
}

/// The note on transcribed years and the observations; where the signature goes.
fn notes(page: &mut Page, content: &CertificateContent, y: f32) -> f32 {
    let mut y = y;
    let inner = PAGE_W - 2.0 * MARGIN;
    let years = &content.years;
    let transcribed: Vec<String> = years
        .iter()
        .filter_map(|y| {
            y.transcribed
                .as_ref()
                .map(|t| format!("{} ({})", y.year, t.entered_by))
        })
        .collect();
    if !transcribed.is_empty() {
        for line in wrap(
            &format!(
                "* Año transcrito de los registros de la IE, sin acta en el SIAGIE; registrado por: {}.",
                transcribed.join("; ")
            ),
            inner,
            7.5,
        ) {
            page.text(MARGIN, y, 7.5, false, &line);
            y += 3.8;
        }
        y += 1.5;
    }
    if !content.observations.is_empty() {
        page.text(MARGIN, y, 8.5, true, "Observaciones:");
        y += 4.5;
        for o in &content.observations {
            let mut text = o.observation.clone();
            if let Some(year) = o.year {
                text.push_str(&format!(" — Año: {year}"));
            }
            if let Some(r) = &o.resolution {
                text.push_str(&format!(" — Resolución: {r}"));
            }
            if let Some(r) = &o.reason {
                text.push_str(&format!(" — Motivo: {r}"));
            }
            for line in wrap(&text, inner - 4.0, 8.0) {
                page.text(MARGIN + 3.0, y, 8.0, false, &line);
                y += 4.0;
            }
        }
    }
    y
}

/// Place, date and, on paper, the line for the director's signature and seal.
fn signature(page: &mut Page, sheet: &Sheet, y: f32) {
    let content = sheet.content;
    // Place, date and the director's signature and seal.
    let sign_y = (y + 10.0).clamp(PAGE_H - 110.0, PAGE_H - 92.0);
    page.text(
        MARGIN,
        sign_y,
        9.5,
        false,
        &format!("{}, {}", sheet.place, long_date(content.issued_on)),
    );
    if !sheet.digital {
        let sx = PAGE_W - MARGIN - 75.0;
        page.line(sx, sign_y + 22.0, PAGE_W - MARGIN, sign_y + 22.0, 0.5);
        page.centered(
            sx,
            75.0,
            sign_y + 26.0,
            8.0,
            false,
            "Firma y sello del director(a)",
        );
    }
}

/// The virtual code with the QR (an image, and a link a program can read), or for a preview
/// the box where it goes.
fn foot(doc: &mut Document, page: &mut Page, sheet: &Sheet) {
    let content = sheet.content;
    let preview = sheet.qr_text.is_none();
    // Virtual code and QR at the foot.
    let image = sheet.qr_text.and_then(qr::image);
    let qr_mm = image.as_ref().map_or(QR_MM, |i| qr_side_mm(i.side));
    let qr_top = PAGE_H - MARGIN - qr_mm;
    let text_x = MARGIN + qr_mm + 6.0;
    match image {
        Some(image) => draw_qr(doc, page, &image, qr_mm, sheet.qr_text.unwrap_or_default()),
        None => {
            page.fill(MARGIN, qr_top, QR_MM, QR_MM, 0.93);
            page.centered(
                MARGIN,
                QR_MM,
                qr_top + QR_MM / 2.0,
                7.0,
                true,
                "SIN CÓDIGO QR",
            );
        }
    }
    page.text(text_x, qr_top + 8.0, 9.0, true, "Código virtual:");
    page.text(text_x, qr_top + 15.0, 14.0, true, &content.virtual_code);
    for (i, line) in [
        "Verifique este certificado escaneando el código QR con la cámara de su",
        "celular, o ingresando el código virtual y el número de documento en:",
        sheet.verify_url,
        if sheet.digital {
            "Emitido digitalmente: es válido por su firma digital y su código QR."
        } else {
            "El certificado es válido con la firma y el sello del director(a) de la IE."
        },
    ]
    .iter()
    .enumerate()
    {
        page.text(text_x, qr_top + 23.0 + 4.2 * i as f32, 7.5, i == 2, line);
    }
    if let Some(code) = &content.supersedes {
        page.text(
            text_x,
            qr_top + 42.0,
            7.5,
            false,
            &format!("Reemplaza al certificado {code}."),
        );
    }
    if preview {
        page.text_gray(
            MARGIN,
            PAGE_H - 6.0,
            12.0,
            true,
            0.45,
            "VISTA PREVIA – SIN VALOR OFICIAL",
        );
    }
}

/// The QR as an image at the page's bottom-left corner, `qr_mm` a side, and a link with its text
/// (so a program reads it without decoding the image).
fn draw_qr(doc: &mut Document, page: &mut Page, image: &qr::QrImage, qr_mm: f32, qr_text: &str) {
    let px = image.side * PX_PER_MODULE;
    let mut pixels = Vec::with_capacity(px * px);
    for row in 0..image.side {
        let line: Vec<u8> = image.pixels[row * image.side..(row + 1) * image.side]
            .iter()
            .flat_map(|p| std::iter::repeat_n(*p, PX_PER_MODULE))
            .collect();
        for _ in 0..PX_PER_MODULE {
            pixels.extend_from_slice(&line);
        }
    }
    let id = doc.doc.add_image(&RawImage {
        pixels: RawImageData::U8(pixels),
        width: px,
        height: px,
        data_format: RawImageFormat::R8,
        tag: Vec::new(),
    });
    let side_pt = Mm(qr_mm).into_pt().0;
    page.ops.push(Op::UseXobject {
        id,
        transform: XObjectTransform {
            translate_x: Some(Mm(MARGIN).into_pt()),
            translate_y: Some(Mm(MARGIN).into_pt()),
            dpi: Some(px as f32 * 72.0 / side_pt),
            ..Default::default()
        },
    });
    page.ops.push(Op::LinkAnnotation {
        link: LinkAnnotation::new(
            Rect::from_xywh(
                Mm(MARGIN).into_pt(),
                Mm(MARGIN).into_pt(),
                Pt(side_pt),
                Pt(side_pt),
            ),
            Actions::uri(qr_text.to_owned()),
            Some(BorderArray::Solid([0.0, 0.0, 0.0])),
            None,
            None,
        ),
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certificates::payload::tests::sample;

    #[test]
    fn a_certificate_pdf_stays_small() {
        let content = sample();
        let text = format!("HTTPS://CERTIFICADO.SIAGIE.GOB.PE/V/9{}", "A".repeat(570));
        let bytes = render(&Sheet {
            content: &content,
            document: "70845108",
            place: "San Ignacio",
            qr_text: Some(&text),
            verify_url: "https://certificado.siagie.gob.pe/verificar",
            digital: false,
        });
        assert!(bytes.starts_with(b"%PDF"));
        assert!(bytes.len() < 60 * 1024, "{} bytes", bytes.len());
        if let Ok(path) = std::env::var("CERTIFICATE_PDF_OUT") {
            std::fs::write(path, &bytes).unwrap();
        }
    }
}
