//! The certificate as a PDF (A4 portrait), laid out like the one of the Mi Certificado manual
//! (docs/domain.md §6): the title, the sentence naming the student, the table of areas × years with
//! the código modular and the final situation of each year, observations, place and date, room for
//! the director's signature and seal, and the virtual code with the QR (also a link in the PDF, so
//! a program can read it).

use chrono::{Datelike, NaiveDate};
use std::sync::OnceLock;

use printpdf::{
    Actions, BorderArray, BuiltinFont, Color, Line, LinePoint, LinkAnnotation, Mm, Op, PaintMode,
    ParsedFont, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Polygon, PolygonRing,
    Pt, RawImage, RawImageData, RawImageFormat, Rect, Rgb, TextItem, WindingOrder,
    XObjectTransform,
};

use super::{
    payload::{CertificateContent, situation_label},
    qr,
};
use crate::domain::Level;

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

fn gray(level: f32) -> Color {
    Color::Rgb(Rgb {
        r: level,
        g: level,
        b: level,
        icc_profile: None,
    })
}

/// Liberation Sans (SIL Open Font License, Debian's fonts-liberation2), cut down to Latin-1
/// and a few punctuation marks with fonttools' `pyftsubset`: embedded, the PDF prints the same
/// everywhere and stays small.
static REGULAR_TTF: &[u8] = include_bytes!("../../assets/fonts/LiberationSans-Regular-latin1.ttf");
static BOLD_TTF: &[u8] = include_bytes!("../../assets/fonts/LiberationSans-Bold-latin1.ttf");

/// The fonts of a document (regular, bold), added to it once.
fn add_fonts(doc: &mut PdfDocument) -> (PdfFontHandle, PdfFontHandle) {
    match fonts() {
        Some((regular, bold)) => (
            PdfFontHandle::External(doc.add_font(regular)),
            PdfFontHandle::External(doc.add_font(bold)),
        ),
        None => (
            PdfFontHandle::Builtin(BuiltinFont::Helvetica),
            PdfFontHandle::Builtin(BuiltinFont::HelveticaBold),
        ),
    }
}

/// The embedded fonts, parsed once (`None` if they could not be: the builtin Helvetica then).
fn fonts() -> Option<&'static (ParsedFont, ParsedFont)> {
    static FONTS: OnceLock<Option<(ParsedFont, ParsedFont)>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut warnings = Vec::new();
            Some((
                ParsedFont::from_bytes(REGULAR_TTF, 0, &mut warnings)?,
                ParsedFont::from_bytes(BOLD_TTF, 0, &mut warnings)?,
            ))
        })
        .as_ref()
}

struct Page {
    ops: Vec<Op>,
    regular: PdfFontHandle,
    bold: PdfFontHandle,
}

impl Page {
    fn new(fonts: &(PdfFontHandle, PdfFontHandle)) -> Self {
        Self {
            ops: Vec::new(),
            regular: fonts.0.clone(),
            bold: fonts.1.clone(),
        }
    }

    fn text_gray(&mut self, x: f32, y: f32, size: f32, bold: bool, level: f32, text: &str) {
        let font = if bold {
            self.bold.clone()
        } else {
            self.regular.clone()
        };
        self.ops.extend([
            Op::StartTextSection,
            Op::SetFillColor { col: gray(level) },
            Op::SetTextCursor {
                pos: Point::new(Mm(x), Mm(PAGE_H - y)),
            },
            Op::SetFont {
                font,
                size: Pt(size),
            },
            Op::ShowText {
                items: vec![TextItem::Text(text.to_owned())],
            },
            Op::EndTextSection,
        ]);
    }

    fn text(&mut self, x: f32, y: f32, size: f32, bold: bool, text: &str) {
        self.text_gray(x, y, size, bold, 0.0, text);
    }

    fn centered(&mut self, x: f32, width: f32, y: f32, size: f32, bold: bool, text: &str) {
        let w = text_width(text, size, bold);
        self.text(x + (width - w).max(0.0) / 2.0, y, size, bold, text);
    }

    fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, thickness: f32) {
        let point = |px: f32, py: f32| LinePoint {
            p: Point::new(Mm(px), Mm(PAGE_H - py)),
            bezier: false,
        };
        self.ops.extend([
            Op::SetOutlineColor { col: gray(0.0) },
            Op::SetOutlineThickness { pt: Pt(thickness) },
            Op::DrawLine {
                line: Line {
                    points: vec![point(x1, y1), point(x2, y2)],
                    is_closed: false,
                },
            },
        ]);
    }

    fn fill(&mut self, x: f32, y: f32, w: f32, h: f32, level: f32) {
        let corner = |px: f32, py: f32| LinePoint {
            p: Point::new(Mm(px), Mm(PAGE_H - py)),
            bezier: false,
        };
        self.ops.extend([
            Op::SetFillColor { col: gray(level) },
            Op::DrawPolygon {
                polygon: Polygon {
                    rings: vec![PolygonRing {
                        points: vec![
                            corner(x, y),
                            corner(x + w, y),
                            corner(x + w, y + h),
                            corner(x, y + h),
                        ],
                    }],
                    mode: PaintMode::Fill,
                    winding_order: WindingOrder::NonZero,
                },
            },
        ]);
    }
}

/// Liberation Sans' (Helvetica's) width of a text, in millimetres (an estimate good enough to centre and wrap).
fn text_width(text: &str, size: f32, bold: bool) -> f32 {
    let em: f32 = text
        .chars()
        .map(|c| match c {
            'i' | 'j' | 'l' | 'í' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' => 0.25,
            'f' | 't' | 'r' | ' ' | '-' | '(' | ')' | '/' | 'I' => 0.32,
            'm' | 'w' | 'M' | 'W' => 0.85,
            c if c.is_uppercase() || c.is_ascii_digit() => 0.68,
            _ => 0.53,
        })
        .sum();
    em * size * 0.3528 * if bold { 1.06 } else { 1.0 }
}

/// Splits a text into lines no wider than `width` millimetres.
fn wrap(text: &str, width: f32, size: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let candidate = if current.is_empty() {
            word.to_owned()
        } else {
            format!("{current} {word}")
        };
        if text_width(&candidate, size, false) > width && !current.is_empty() {
            lines.push(std::mem::replace(&mut current, word.to_owned()));
        } else {
            current = candidate;
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
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
    let mut doc = PdfDocument::new(title);
    let fonts = add_fonts(&mut doc);
    let pages: Vec<PdfPage> = sheets
        .iter()
        .map(|sheet| page_of(&mut doc, &fonts, sheet))
        .collect();
    let mut warnings = Vec::new();
    doc.with_pages(pages).save(
        // The fonts are cut down already: subsetting them again per PDF costs most of the time.
        &PdfSaveOptions {
            subset_fonts: false,
            ..PdfSaveOptions::default()
        },
        &mut warnings,
    )
}

/// One certificate's page, its fonts and QR image added to the document.
fn page_of(
    doc: &mut PdfDocument,
    fonts: &(PdfFontHandle, PdfFontHandle),
    sheet: &Sheet,
) -> PdfPage {
    let content = sheet.content;
    let mut page = Page::new(fonts);
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

    // The table: a label column, then one column per year.
    let years = &content.years;
    let label_w = 68.0;
    let col_w = (inner - label_w) / years.len().max(1) as f32;
    let row_h = 5.6;
    let mut areas: Vec<&str> = Vec::new();
    for year in years {
        for area in &year.areas {
            if !areas.contains(&area.area.as_str()) {
                areas.push(&area.area);
            }
        }
    }
    areas.sort_by_key(|a| crate::domain::spanish_key(a));
    let top = y;
    let header_rows: [(&str, Vec<String>); 3] = [
        (
            "Año lectivo",
            years
                .iter()
                .map(|y| {
                    format!(
                        "{}{}",
                        y.year,
                        if y.transcribed.is_some() { " *" } else { "" }
                    )
                })
                .collect(),
        ),
        ("Grado", years.iter().map(|y| y.grade.clone()).collect()),
        (
            "Código modular de la IE",
            years.iter().map(|y| y.codigo_modular.clone()).collect(),
        ),
    ];
    for (label, cell) in &header_rows {
        page.fill(MARGIN, y, inner, row_h, 0.9);
        page.text(MARGIN + 1.5, y + 4.0, 8.0, true, label);
        for (i, value) in cell.iter().enumerate() {
            page.centered(
                MARGIN + label_w + col_w * i as f32,
                col_w,
                y + 4.0,
                8.0,
                true,
                value,
            );
        }
        y += row_h;
    }
    page.text(MARGIN + 1.5, y + 4.0, 8.0, true, "Área curricular");
    y += row_h;
    for area in &areas {
        let name: String = area.chars().take(44).collect();
        page.text(MARGIN + 1.5, y + 4.0, 7.5, false, &name);
        for (i, year) in years.iter().enumerate() {
            let value = year
                .areas
                .iter()
                .find(|a| a.area == *area)
                .map_or("-", |a| a.value.as_str());
            page.centered(
                MARGIN + label_w + col_w * i as f32,
                col_w,
                y + 4.0,
                8.0,
                false,
                value,
            );
        }
        y += row_h;
    }
    page.fill(MARGIN, y, inner, row_h, 0.9);
    page.text(MARGIN + 1.5, y + 4.0, 8.0, true, "Situación final");
    for (i, year) in years.iter().enumerate() {
        let label = situation_label(&year.situation);
        let size = if text_width(label, 7.0, true) > col_w - 1.0 {
            5.5
        } else {
            7.0
        };
        page.centered(
            MARGIN + label_w + col_w * i as f32,
            col_w,
            y + 4.0,
            size,
            true,
            label,
        );
    }
    y += row_h;
    // Grid.
    let rows = ((y - top) / row_h).round() as usize;
    for r in 0..=rows {
        let yy = top + row_h * r as f32;
        page.line(
            MARGIN,
            yy,
            PAGE_W - MARGIN,
            yy,
            if r == 0 || r == rows { 0.8 } else { 0.3 },
        );
    }
    page.line(MARGIN, top, MARGIN, y, 0.8);
    for i in 0..=years.len() {
        let xx = MARGIN + label_w + col_w * i as f32;
        page.line(xx, top, xx, y, if i == years.len() { 0.8 } else { 0.3 });
    }
    y += 5.0;

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

    // Virtual code and QR at the foot.
    let image = sheet.qr_text.and_then(qr::image);
    let qr_mm = image.as_ref().map_or(QR_MM, |i| qr_side_mm(i.side));
    let qr_top = PAGE_H - MARGIN - qr_mm;
    let text_x = MARGIN + qr_mm + 6.0;
    match image {
        Some(image) => {
            let qr_text = sheet.qr_text.unwrap_or_default();
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
            let id = doc.add_image(&RawImage {
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

    PdfPage::new(Mm(PAGE_W), Mm(PAGE_H), page.ops)
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
