//! Drawing PDF documents with printpdf: the one page type of registers, actas and certificates.
//! Text in Liberation Sans, embedded (so a document prints the same everywhere), filled boxes and
//! lines, placed in millimetres from the top-left corner; and the document saved with its fonts
//! added once.

use std::sync::OnceLock;

use printpdf::{
    BuiltinFont, Color, Line, LinePoint, Mm, Op, PaintMode, ParsedFont, PdfDocument, PdfFontHandle,
    PdfPage, PdfSaveOptions, Point, Polygon, PolygonRing, Pt, Rgb, TextItem, WindingOrder,
};

/// Liberation Sans (SIL Open Font License, Debian's fonts-liberation2), cut down to Latin-1
/// and a few punctuation marks with fonttools' `pyftsubset`: embedded, the PDF prints the same
/// everywhere and stays small.
static REGULAR_TTF: &[u8] = include_bytes!("../assets/fonts/LiberationSans-Regular-latin1.ttf");
static BOLD_TTF: &[u8] = include_bytes!("../assets/fonts/LiberationSans-Bold-latin1.ttf");

/// The embedded fonts, parsed once (`None` if they could not be: the builtin Helvetica then).
fn parsed_fonts() -> Option<&'static (ParsedFont, ParsedFont)> {
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

/// A document being drawn: its fonts (regular, bold), added once, and its pages.
pub struct Document {
    pub doc: PdfDocument,
    regular: PdfFontHandle,
    bold: PdfFontHandle,
    pages: Vec<PdfPage>,
}

impl Document {
    pub fn new(title: &str) -> Self {
        let mut doc = PdfDocument::new(title);
        let (regular, bold) = match parsed_fonts() {
            Some((regular, bold)) => (
                PdfFontHandle::External(doc.add_font(regular)),
                PdfFontHandle::External(doc.add_font(bold)),
            ),
            None => (
                PdfFontHandle::Builtin(BuiltinFont::Helvetica),
                PdfFontHandle::Builtin(BuiltinFont::HelveticaBold),
            ),
        };
        Self {
            doc,
            regular,
            bold,
            pages: Vec::new(),
        }
    }

    /// A blank page of `width` × `height` millimetres, to draw on and then [`Document::push`].
    pub fn page(&self, width: f32, height: f32) -> Page {
        Page {
            width,
            height,
            regular: self.regular.clone(),
            bold: self.bold.clone(),
            ops: Vec::new(),
        }
    }

    pub fn push(&mut self, page: Page) {
        self.pages
            .push(PdfPage::new(Mm(page.width), Mm(page.height), page.ops));
    }

    /// The PDF's bytes.
    pub fn save(mut self) -> Vec<u8> {
        let mut warnings = Vec::new();
        let pages = std::mem::take(&mut self.pages);
        self.doc.with_pages(pages).save(
            // The fonts are cut down already: subsetting them again per PDF costs most of the time.
            &PdfSaveOptions {
                subset_fonts: false,
                ..PdfSaveOptions::default()
            },
            &mut warnings,
        )
    }
}

/// Collects drawing operations for one page.
pub struct Page {
    width: f32,
    /// Height of the page in millimetres: positions are given from its top.
    height: f32,
    regular: PdfFontHandle,
    bold: PdfFontHandle,
    pub ops: Vec<Op>,
}

/// A shade of grey, from 0 (black) to 1 (white).
pub fn gray(level: f32) -> Color {
    Color::Rgb(Rgb {
        r: level,
        g: level,
        b: level,
        icc_profile: None,
    })
}

/// The width a text takes in Liberation Sans (Helvetica's metrics), in millimetres: an estimate
/// good enough to centre and wrap.
pub fn text_width(text: &str, size: f32, bold: bool) -> f32 {
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
pub fn wrap(text: &str, width: f32, size: f32) -> Vec<String> {
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

impl Page {
    /// A point `(x, y)` from the top-left corner, in PDF coordinates.
    pub fn point(&self, x: f32, y: f32) -> Point {
        Point::new(Mm(x), Mm(self.height - y))
    }

    /// Text with its baseline at (x, y), in a shade of grey.
    pub fn text_gray(&mut self, x: f32, y: f32, size: f32, bold: bool, level: f32, text: &str) {
        let font = if bold {
            self.bold.clone()
        } else {
            self.regular.clone()
        };
        let pos = self.point(x, y);
        self.ops.extend([
            Op::StartTextSection,
            Op::SetFillColor { col: gray(level) },
            Op::SetTextCursor { pos },
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

    /// Text with its baseline at (x, y) from the top-left corner, in millimetres.
    pub fn text(&mut self, x: f32, y: f32, size: f32, bold: bool, text: &str) {
        self.text_gray(x, y, size, bold, 0.0, text);
    }

    /// Text centred in a cell.
    pub fn centered(&mut self, x: f32, width: f32, y: f32, size: f32, bold: bool, text: &str) {
        let estimate = text_width(text, size, bold);
        self.text(x + (width - estimate).max(0.0) / 2.0, y, size, bold, text);
    }

    pub fn fill(&mut self, x: f32, y: f32, w: f32, h: f32, level: f32) {
        let corner = |px: f32, py: f32| LinePoint {
            p: self.point(px, py),
            bezier: false,
        };
        let points = vec![
            corner(x, y),
            corner(x + w, y),
            corner(x + w, y + h),
            corner(x, y + h),
        ];
        self.ops.extend([
            Op::SetFillColor { col: gray(level) },
            Op::DrawPolygon {
                polygon: Polygon {
                    rings: vec![PolygonRing { points }],
                    mode: PaintMode::Fill,
                    winding_order: WindingOrder::NonZero,
                },
            },
        ]);
    }

    pub fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, thickness: f32) {
        let points = vec![
            LinePoint {
                p: self.point(x1, y1),
                bezier: false,
            },
            LinePoint {
                p: self.point(x2, y2),
                bezier: false,
            },
        ];
        self.ops.extend([
            Op::SetOutlineColor { col: gray(0.0) },
            Op::SetOutlineThickness { pt: Pt(thickness) },
            Op::DrawLine {
                line: Line {
                    points,
                    is_closed: false,
                },
            },
        ]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_wraps_within_its_width_and_keeps_every_word() {
        let text = "La dirección de la institución educativa certifica que el estudiante concluyó";
        let lines = wrap(text, 40.0, 9.5);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| text_width(l, 9.5, false) <= 40.0));
        assert_eq!(lines.join(" "), text);
    }

    #[test]
    fn a_document_embeds_its_fonts_once_for_all_its_pages() {
        let mut doc = Document::new("Prueba");
        for n in 1..=3 {
            let mut page = doc.page(210.0, 297.0);
            page.text(
                10.0,
                10.0,
                10.0,
                n == 2,
                &format!("Página {n} — año académico"),
            );
            doc.push(page);
        }
        let bytes = doc.save();
        assert!(bytes.starts_with(b"%PDF"));
        let fonts = bytes.windows(9).filter(|w| w == b"/FontFile").count();
        assert_eq!(fonts, 2, "regular and bold, once each");
    }
}
