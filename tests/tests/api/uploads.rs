//! Uploaded PDFs (a help-desk attachment, a designation resolution) are checked in memory and time
//! bounded by their size: one built to expand to tens of megabytes is refused, naming the field.

use std::io::Write;

use reqwest::{
    Method, StatusCode,
    multipart::{Form, Part},
};
use serde_json::Value;
use tests::{TestApp, read, spawn_app};

/// A one-page PDF whose content stream inflates to `size` spaces.
fn expanding_pdf(size: usize) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(&vec![b' '; size]).unwrap();
    let stream = encoder.finish().unwrap();
    let mut pdf = b"%PDF-1.5\n".to_vec();
    let mut offsets = Vec::new();
    let objects: [Vec<u8>; 4] = [
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>".to_vec(),
        [
            format!(
                "<< /Length {} /Filter /FlateDecode >>\nstream\n",
                stream.len()
            )
            .into_bytes(),
            stream,
            b"\nendstream".to_vec(),
        ]
        .concat(),
    ];
    for (n, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend(format!("{} 0 obj\n", n + 1).bytes());
        pdf.extend(object);
        pdf.extend(b"\nendobj\n");
    }
    let xref = pdf.len();
    pdf.extend(b"xref\n0 5\n0000000000 65535 f \n");
    for offset in offsets {
        pdf.extend(format!("{offset:010} 00000 n \n").bytes());
    }
    pdf.extend(format!("trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n").bytes());
    pdf
}

/// Files a help-desk ticket with one attachment.
async fn file_with(app: &TestApp, token: &str, attachment: Vec<u8>) -> (StatusCode, Value) {
    let form = Form::new()
        .text("email", "ie16471@siagie.local")
        .text("cell_phone", "987654321")
        .text("topic", "acceso")
        .text("comment", "Adjunto la captura del error al ingresar")
        .part(
            "attachment",
            Part::bytes(attachment).file_name("captura.pdf"),
        );
    read(
        app.request(Method::POST, "/helpdesk/tickets", Some(token))
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn a_pdf_that_expands_far_beyond_its_size_is_refused_on_both_upload_paths() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let bomb = expanding_pdf(48 * 1024 * 1024);
    assert!(bomb.len() < 100 * 1024, "{} bytes", bomb.len());
    let tickets_before = app
        .scalar("SELECT CAST(COUNT(*) AS TEXT) FROM helpdesk_ticket")
        .await;

    // A help-desk attachment.
    let (status, body) = file_with(&app, &director, bomb.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let message = body["error"]["fields"].to_string();
    assert!(message.contains("se expande"), "{body}");
    assert_eq!(
        app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM helpdesk_ticket")
            .await,
        tickets_before
    );

    // A designation resolution.
    let (_, school) = app.get("/me", &director).await;
    let school = school["roles"][0]["school_id"].as_i64().unwrap();
    let form = Form::new()
        .text("kind", "alta")
        .text("role", "secretary")
        .text("school_id", school.to_string())
        .text("dni", "47770031")
        .text("paternal_surname", "Cubas")
        .text("maternal_surname", "Díaz")
        .text("given_names", "Lucía")
        .part("resolution", Part::bytes(bomb).file_name("rd.pdf"));
    let (status, body) = read(
        app.request(Method::POST, "/provisioning/requests", Some(&director))
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["fields"]["resolution"]
            .as_str()
            .unwrap()
            .contains("se expande"),
        "{body}"
    );

    // A plain scanned PDF still goes through.
    let (status, body) = file_with(&app, &director, tests::minimal_pdf()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn files_a_filing_left_without_its_row_are_swept_and_the_others_kept() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    // A filing that committed: its file stays.
    let (status, ticket) = file_with(&app, &director, tests::minimal_pdf()).await;
    assert_eq!(status, StatusCode::CREATED, "{ticket}");
    let folder = app.data_dir.join("helpdesk");
    let kept: Vec<_> = std::fs::read_dir(&folder).unwrap().flatten().collect();
    assert_eq!(kept.len(), 1);
    let kept = kept[0].path();
    // Files of filings that never committed (a client gone, a server killed mid-request): one
    // from long ago, one from a filing that may still be running.
    let old = folder.join(format!("{}.pdf", uuid::Uuid::new_v4()));
    let recent = folder.join(format!("{}.pdf", uuid::Uuid::new_v4()));
    // Their times are set as the sweep will read them (the process's clock, which a test run
    // under a faked clock moves while the file system keeps the real one).
    let now = std::time::SystemTime::now();
    let hour_ago = now - std::time::Duration::from_secs(3600);
    for (path, modified) in [(&old, hour_ago), (&recent, now), (&kept, hour_ago)] {
        if path != &kept {
            std::fs::write(path, tests::minimal_pdf()).unwrap();
        }
        std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(modified)
            .unwrap();
    }
    // A server starting on the same data sweeps them.
    let _second = tests::spawn_instance(&app, |_| {}).await;
    let mut swept = false;
    for _ in 0..100 {
        if !old.exists() {
            swept = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(swept, "the old file without a row is removed");
    assert!(kept.exists(), "the attachment of a committed ticket stays");
    assert!(
        recent.exists(),
        "a file of a filing that may be running stays"
    );
}
