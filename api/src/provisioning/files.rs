//! Uploaded designation resolutions (RD), kept under the data folder.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{ApiError, Result};

/// Largest RD file accepted.
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;

/// A checked upload.
pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
    pub extension: &'static str,
}

impl Upload {
    /// Accepts PDF, JPEG and PNG, recognised by their first bytes rather than their names.
    pub fn check(name: Option<&str>, bytes: Vec<u8>) -> Result<Self> {
        if bytes.is_empty() {
            return Err(ApiError::field(
                "resolution",
                "El archivo de la resolución está vacío.",
            ));
        }
        if bytes.len() > MAX_FILE_BYTES {
            return Err(ApiError::field(
                "resolution",
                "El archivo de la resolución no puede superar 5 MB.",
            ));
        }
        let not_a_document = || {
            ApiError::field(
                "resolution",
                "La resolución debe ser un archivo PDF, JPG o PNG completo y legible.",
            )
        };
        // Recognised by its first bytes, then checked whole where that is cheap: a PDF must
        // parse as one, an image must end as its format ends.
        let extension = if bytes.starts_with(b"%PDF-") {
            if lopdf::Document::load_mem(&bytes).is_err() {
                return Err(not_a_document());
            }
            "pdf"
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            if !bytes.ends_with(&[0xFF, 0xD9]) {
                return Err(not_a_document());
            }
            "jpg"
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            // The IHDR chunk first, the IEND chunk last.
            if bytes.get(12..16) != Some(b"IHDR") || !bytes.ends_with(b"IEND\xAE\x42\x60\x82") {
                return Err(not_a_document());
            }
            "png"
        } else {
            return Err(not_a_document());
        };
        let name: String = name
            .unwrap_or("resolucion")
            .chars()
            .filter(|c| !c.is_control() && !matches!(c, '/' | '\\'))
            .take(120)
            .collect();
        Ok(Self {
            name,
            bytes,
            extension,
        })
    }

    pub fn sha256(&self) -> String {
        Sha256::digest(&self.bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Writes the file under `data_dir/resolutions/`, returning its path relative to `data_dir`.
    pub async fn store(&self, data_dir: &Path) -> Result<String> {
        let folder = data_dir.join("resolutions");
        tokio::fs::create_dir_all(&folder)
            .await
            .map_err(|e| ApiError::Internal(e.into()))?;
        let relative = PathBuf::from("resolutions").join(format!(
            "{}.{}",
            uuid::Uuid::new_v4(),
            self.extension
        ));
        tokio::fs::write(data_dir.join(&relative), &self.bytes)
            .await
            .map_err(|e| ApiError::Internal(e.into()))?;
        Ok(relative.to_string_lossy().into_owned())
    }
}

/// The MIME type of a stored file, by its extension.
pub fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("pdf") => "application/pdf",
        Some("jpg") => "image/jpeg",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}
