//! `section_day`: the values that stand for one section's day, one cell per student with a mark:
//! the latest recorded mark of each. One row per section and day, the unit in which a tablet
//! sends marks and a register is read; the cells are packed (see [`Cell`]).
use sea_orm::entity::prelude::*;

use crate::packed::{self, FORMAT, Reader, V1};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "section_day")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub section_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub date: Date,
    /// Raised by one on every write: a write names the version it read, so that of two
    /// concurrent writers the second reads again instead of overwriting the first.
    pub version: i32,
    /// How many cells the row holds (students with a mark that day).
    pub filled: i32,
    /// [`Cell`]s, by enrollment: [`encode`] and [`decode`].
    pub cells: Vec<u8>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// The value that stands for one student's day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cell {
    pub enrollment_id: i64,
    /// The attendance code (see the server's `codes`).
    pub status: i16,
    /// When the mark was recorded on the device, in microseconds since the Unix epoch (UTC):
    /// with `mark_id`, what decides which of two marks is later.
    pub recorded_at_us: i64,
    pub mark_id: Uuid,
}

impl Cell {
    /// The order in which marks for the same student and day win: by recorded time, then by id.
    pub fn rank(&self) -> (i64, Uuid) {
        (self.recorded_at_us, self.mark_id)
    }
}

const CELL_BYTES: usize = 8 + 2 + 8 + 16;

/// Packs cells (34 bytes each), in enrollment order, in the current format (the layout is in
/// the `packed` module's documentation).
pub fn encode(cells: &[Cell]) -> Vec<u8> {
    let mut sorted: Vec<&Cell> = cells.iter().collect();
    sorted.sort_by_key(|c| c.enrollment_id);
    let mut out = Vec::with_capacity(1 + cells.len() * CELL_BYTES);
    out.push(FORMAT);
    for cell in sorted {
        out.extend_from_slice(&cell.enrollment_id.to_le_bytes());
        out.extend_from_slice(&cell.status.to_le_bytes());
        out.extend_from_slice(&cell.recorded_at_us.to_le_bytes());
        out.extend_from_slice(cell.mark_id.as_bytes());
    }
    out
}

/// Unpacks cells of any format the readers accept; `None` for a damaged value.
pub fn decode(bytes: &[u8]) -> Option<Vec<Cell>> {
    let (format, reader) = packed::open(bytes)?;
    match format {
        V1 => decode_v1(reader),
        // When the format changes, this arm stays (the previous format) beside the new one.
        _ => None,
    }
}

/// The cells after a format 1 byte.
fn decode_v1(mut reader: Reader) -> Option<Vec<Cell>> {
    let mut cells = Vec::with_capacity(reader.remaining() / CELL_BYTES);
    while !reader.is_empty() {
        cells.push(Cell {
            enrollment_id: reader.i64()?,
            status: reader.i16()?,
            recorded_at_us: reader.i64()?,
            mark_id: reader.uuid()?,
        });
    }
    Some(cells)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(enrollment_id: i64, status: i16) -> Cell {
        Cell {
            enrollment_id,
            status,
            recorded_at_us: 1_764_000_000_000_000 + enrollment_id,
            mark_id: Uuid::from_u128(enrollment_id as u128 * 7919),
        }
    }

    #[test]
    fn cells_read_back_in_enrollment_order() {
        let cells = [cell(42, 3), cell(7, 1), cell(1_000_000_000_000, 5)];
        let bytes = encode(&cells);
        assert_eq!(bytes.len(), 1 + 3 * 34);
        assert_eq!(decode(&bytes), Some(vec![cells[1], cells[0], cells[2]]));
        assert_eq!(decode(&encode(&[])), Some(vec![]));
    }

    #[test]
    fn a_damaged_value_is_not_read() {
        let bytes = encode(&[cell(1, 1), cell(2, 2)]);
        assert_eq!(decode(&bytes[..bytes.len() - 1]), None);
        assert_eq!(decode(&[]), None);
        let mut other_format = bytes.clone();
        other_format[0] = 9;
        assert_eq!(decode(&other_format), None);
    }
}
