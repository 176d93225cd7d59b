//! Drawing PDF pages with printpdf: text in the builtin Helvetica (which renders Spanish accents
//! and is not embedded, so documents stay small), filled boxes and lines, placed in millimetres
//! from the top-left corner.

use printpdf::{
    BuiltinFont, Color, Line, LinePoint, Mm, Op, PaintMode, PdfFontHandle, Point, Polygon,
    PolygonRing, Pt, Rgb, TextItem, WindingOrder,
};

/// Collects drawing operations for one page.
pub struct Page {
    /// Height of the page in millimetres: positions are given from its top.
    height: f32,
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

impl Page {
    pub fn new(height: f32) -> Self {
        Self {
            height,
            ops: Vec::new(),
        }
    }

    /// Text with its baseline at (x, y) from the top-left corner, in millimetres.
    pub fn text(&mut self, x: f32, y: f32, size: f32, bold: bool, text: &str) {
        let font = if bold {
            BuiltinFont::HelveticaBold
        } else {
            BuiltinFont::Helvetica
        };
        self.ops.extend([
            Op::StartTextSection,
            Op::SetFillColor { col: gray(0.0) },
            Op::SetTextCursor {
                pos: Point::new(Mm(x), Mm(self.height - y)),
            },
            Op::SetFont {
                font: PdfFontHandle::Builtin(font),
                size: Pt(size),
            },
            Op::ShowText {
                items: vec![TextItem::Text(text.to_owned())],
            },
            Op::EndTextSection,
        ]);
    }

    /// The width a text takes, estimated: Helvetica averages about half its size per character.
    pub fn width(text: &str, size: f32) -> f32 {
        text.chars().count() as f32 * size * 0.5 * 0.3528
    }

    /// Text centred in a cell.
    pub fn centered(&mut self, x: f32, width: f32, y: f32, size: f32, bold: bool, text: &str) {
        let estimate = Self::width(text, size);
        self.text(x + (width - estimate).max(0.0) / 2.0, y, size, bold, text);
    }

    pub fn fill(&mut self, x: f32, y: f32, w: f32, h: f32, level: f32) {
        let height = self.height;
        let corner = |px: f32, py: f32| LinePoint {
            p: Point::new(Mm(px), Mm(height - py)),
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

    pub fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, thickness: f32) {
        let height = self.height;
        let point = |px: f32, py: f32| LinePoint {
            p: Point::new(Mm(px), Mm(height - py)),
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
}
