//! Uploaded designation resolutions (RD), kept under the data folder.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{ApiError, Result};

/// Largest RD file accepted.
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;

/// The part of a form a file travels in, and how its messages name it.
pub struct Part {
    /// The form field, named in a 422.
    pub field: &'static str,
    /// "de la resolución": "El archivo de la resolución está vacío."
    pub of: &'static str,
    /// "La resolución": "La resolución debe ser un archivo PDF, JPG o PNG …"
    pub subject: &'static str,
    /// The name kept when the part has none.
    pub default_name: &'static str,
}

impl Part {
    const RESOLUTION: Part = Part {
        field: "resolution",
        of: "de la resolución",
        subject: "La resolución",
        default_name: "resolucion",
    };
}

/// A checked upload.
pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
    pub extension: &'static str,
}

impl Upload {
    /// Accepts PDF, JPEG and PNG, recognised by their first bytes rather than their names.
    pub fn check(name: Option<&str>, bytes: Vec<u8>) -> Result<Self> {
        Self::check_part(&Part::RESOLUTION, name, bytes)
    }

    /// [`Upload::check`] for a file sent in another part of a form, named in its messages.
    pub fn check_part(part: &Part, name: Option<&str>, bytes: Vec<u8>) -> Result<Self> {
        if bytes.is_empty() {
            return Err(ApiError::field(
                part.field,
                format!("El archivo {} está vacío.", part.of),
            ));
        }
        if bytes.len() > MAX_FILE_BYTES {
            return Err(ApiError::field(
                part.field,
                format!("El archivo {} no puede superar 5 MB.", part.of),
            ));
        }
        let not_a_document = || {
            ApiError::field(
                part.field,
                format!(
                    "{} debe ser un archivo PDF, JPG o PNG completo y legible.",
                    part.subject
                ),
            )
        };
        // Recognised by its first bytes, then checked whole where that is cheap: a PDF must
        // have a PDF's structure and not expand far beyond its size (`pdf_check`), an image must
        // end as its format ends.
        let extension = if bytes.starts_with(b"%PDF-") {
            match super::pdf_check::check(&bytes) {
                Ok(()) => {}
                Err(super::pdf_check::NotAPdf::Broken) => return Err(not_a_document()),
                Err(super::pdf_check::NotAPdf::Expands) => {
                    return Err(ApiError::field(
                        part.field,
                        format!(
                            "{} es un PDF cuyo contenido comprimido se expande a un tamaño desproporcionado: envíe el documento escaneado o impreso a PDF de nuevo.",
                            part.subject
                        ),
                    ));
                }
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
            .unwrap_or(part.default_name)
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
        self.store_in(data_dir, "resolutions").await
    }

    /// Writes the file under `data_dir/<folder>/`, returning its path relative to `data_dir`.
    pub async fn store_in(&self, data_dir: &Path, folder: &str) -> Result<String> {
        tokio::fs::create_dir_all(data_dir.join(folder))
            .await
            .map_err(|e| ApiError::Internal(e.into()))?;
        let relative =
            PathBuf::from(folder).join(format!("{}.{}", uuid::Uuid::new_v4(), self.extension));
        // Synced before the row that names it is committed: an acknowledged file is on disk.
        let path = data_dir.join(&relative);
        let write = async {
            tokio::fs::write(&path, &self.bytes).await?;
            tokio::fs::File::open(&path).await?.sync_all().await
        };
        write.await.map_err(|e| ApiError::Internal(e.into()))?;
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

/// Where uploads live, each folder with the column that names its files.
const KEPT_IN: [(&str, &str, &str); 2] = [
    ("helpdesk", "helpdesk_attachment", "path"),
    ("resolutions", "provisioning_request", "resolution_file"),
];

/// How old a file with no row must be before it is removed: far past the longest request, so a
/// filing in flight (its files written, its transaction not yet committed) keeps them.
pub const ORPHAN_AFTER: std::time::Duration = std::time::Duration::from_secs(5 * 60);

/// Removes the uploaded files that no committed row names and that are older than `older_than`:
/// those of a filing whose client went away mid-request, or whose server was stopped, between
/// writing the files and committing. Answers how many were removed.
pub async fn sweep_orphans(
    db: &impl sea_orm::ConnectionTrait,
    data_dir: &Path,
    older_than: std::time::Duration,
) -> Result<usize> {
    let mut removed = 0;
    for (folder, table, column) in KEPT_IN {
        let Ok(mut entries) = tokio::fs::read_dir(data_dir.join(folder)).await else {
            continue;
        };
        let mut candidates = Vec::new();
        while let Ok(Some(entry)) = entries.next_entry().await {
            let old = entry
                .metadata()
                .await
                .ok()
                .and_then(|m| m.modified().ok())
                .and_then(|at| at.elapsed().ok())
                .is_some_and(|age| age >= older_than);
            if old {
                candidates.push(format!("{folder}/{}", entry.file_name().to_string_lossy()));
            }
        }
        for chunk in candidates.chunks(500) {
            let backend = db.get_database_backend();
            let list = chunk
                .iter()
                .map(|p| format!("'{}'", p.replace('\'', "''")))
                .collect::<Vec<_>>()
                .join(", ");
            let named: std::collections::HashSet<String> = db
                .query_all_raw(sea_orm::Statement::from_string(
                    backend,
                    format!("SELECT {column} FROM {table} WHERE {column} IN ({list})"),
                ))
                .await?
                .into_iter()
                .filter_map(|row| row.try_get_by_index::<String>(0).ok())
                .collect();
            for path in chunk.iter().filter(|p| !named.contains(*p)) {
                if tokio::fs::remove_file(data_dir.join(path)).await.is_ok() {
                    removed += 1;
                }
            }
        }
    }
    if removed > 0 {
        tracing::info!(removed, "uploaded files without a row removed");
    }
    Ok(removed)
}
