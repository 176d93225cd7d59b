//! Mi Certificado: direct issuance with typed-in years, the PDF and its QR read back from the
//! rendered page, verification online (page, JSON, a real browser) and offline, annulment and
//! correction, the lists, and bad input.

use std::process::Command;

use reqwest::{Method, StatusCode};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use tests::{TestApp, browser::Browser, code, demo, read, spawn_app};
use uuid::Uuid;

/// The director's token, its IE and a student enrolled there (with its DNI).
pub(super) struct Ie {
    pub(super) token: String,
    pub(super) school: i64,
    dni: String,
}

pub(super) async fn ie(app: &TestApp) -> Ie {
    let token = app.login_as("director.demo").await;
    let school = app.school_id(&token, demo::PRIMARIA).await;
    let section = app.sections(&token, school).await[0]["id"]
        .as_i64()
        .unwrap();
    let (_, roster) = app
        .get(&format!("/sections/{section}/students"), &token)
        .await;
    let dni = roster[0]["dni"].as_str().unwrap().to_owned();
    Ie { token, school, dni }
}

/// A typed-in year of primary with `areas` areas (the first grades vigesimal 0–20 would be
/// secondary; primary is literal).
fn year(year: i32, grade: &str, areas: usize) -> Value {
    let names = [
        "Matemática",
        "Comunicación",
        "Personal Social",
        "Ciencia y Ambiente",
        "Educación Física",
        "Arte",
    ];
    let mut list: Vec<Value> = names
        .iter()
        .take(areas)
        .enumerate()
        .map(|(i, n)| {
            let value = ["AD", "A", "B", "A"][i % 4];
            json!({"area": n, "scale": "literal", "value": value})
        })
        .collect();
    if areas > names.len() {
        list.push(json!({"area": "Comportamiento", "kind": "comportamiento", "scale": "literal", "value": "A"}));
    }
    json!({"year": year, "grade": grade, "codigo_modular": "0412345-0", "situation": "promovido", "areas": list})
}

async fn new_request(app: &TestApp, ie: &Ie, years: Vec<Value>) -> (StatusCode, Value) {
    app.post(
        "/certificate-requests",
        &ie.token,
        json!({
            "school_id": ie.school,
            "document": ie.dni,
            "guardian": {"dni": "41234567", "names": "Quispe Mamani, Rosa", "relationship": "madre", "contact": "987654321"},
            "additional_info": "Solicita para traslado a otra IE.",
            "years": years,
            "observations": [{"observation": "Notas transcritas del libro de actas de la IE", "year": 2011, "resolution": "RD 045-2011", "reason": "Años sin registro en el SIAGIE"}],
        }),
    )
    .await
}

/// A request with two complete typed years, issued: the certificate's answer.
pub(super) async fn issued(app: &TestApp, ie: &Ie) -> Value {
    let (status, request) =
        new_request(app, ie, vec![year(2010, "1.º", 6), year(2011, "2.º", 7)]).await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    let id = request["id"].as_i64().unwrap();
    let (status, certificate) = app
        .post(
            &format!("/certificate-requests/{id}/issue"),
            &ie.token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{certificate}");
    certificate
}

async fn bytes(app: &TestApp, path: &str, token: &str) -> (StatusCode, Vec<u8>) {
    let response = app
        .request(Method::GET, path, Some(token))
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.bytes().await.unwrap().to_vec())
}

/// The HTML of a public page.
async fn html(app: &TestApp, url: &str) -> (StatusCode, String) {
    let url = if url.starts_with('/') {
        format!("{}{url}", app.address)
    } else {
        url.to_owned()
    };
    let response = app.client.get(url).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

/// The QR text of a certificate's PDF, read from its page rendered as an image (poppler's
/// `pdftoppm`), as a phone's camera would; `None` where poppler is not installed (outside CI).
fn qr_of_rendered_pdf(pdf: &[u8]) -> Option<(String, std::path::PathBuf)> {
    if Command::new("pdftoppm").arg("-v").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "pdftoppm is missing: .ci/run installs poppler-utils"
        );
        eprintln!("skipped reading the QR from the page: it needs Debian's poppler-utils");
        return None;
    }
    let dir = std::env::temp_dir().join(format!("siagie-cert-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("certificado.pdf");
    std::fs::write(&file, pdf).unwrap();
    // As a phone gets closer: a page rendered finer until the code is found.
    for dpi in ["200", "300"] {
        let status = Command::new("pdftoppm")
            .args(["-r", dpi, "-gray", "-png", "-singlefile"])
            .arg(&file)
            .arg(dir.join("pagina"))
            .status()
            .unwrap();
        assert!(status.success());
        let png_path = dir.join("pagina.png");
        let decoder = png::Decoder::new(std::io::BufReader::new(
            std::fs::File::open(&png_path).unwrap(),
        ));
        let mut reader = decoder.read_info().unwrap();
        let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buffer).unwrap();
        let (w, h) = (info.width as usize, info.height as usize);
        let channels = info.line_size / w;
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
            buffer[y * info.line_size + x * channels]
        });
        let grids = image.detect_grids();
        assert!(grids.len() <= 1, "one QR on the page");
        if let Some(grid) = grids.first() {
            let (meta, text) = grid.decode().expect("the QR decodes");
            eprintln!(
                "QR read from the page at {dpi} dpi: version {:?}, {} characters",
                meta.version,
                text.len()
            );
            return Some((text, png_path));
        }
    }
    panic!("no QR found on the page");
}

#[tokio::test]
async fn a_director_issues_a_certificate_with_typed_in_years_and_anyone_verifies_it() {
    let app = spawn_app().await;
    let ie = ie(&app).await;
    let (status, request) =
        new_request(&app, &ie, vec![year(2011, "2.º", 6), year(2010, "1.º", 7)]).await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    assert_eq!(request["state"], "informacion_completa", "{request}");
    assert_eq!(request["years"][0]["year"], 2010, "oldest first");
    assert_eq!(request["years"][0]["source"], "transcribed");
    assert_eq!(
        request["years"][0]["registered"], true,
        "0412345-0 is in the registry"
    );
    assert_eq!(request["years"][0]["codigo_modular"], "0412345-0");
    let id = request["id"].as_i64().unwrap();

    // The preview: a PDF that says what it is, with no QR.
    let (status, preview) = bytes(
        &app,
        &format!("/certificate-requests/{id}/preview"),
        &ie.token,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(preview.starts_with(b"%PDF"));
    assert!(
        siagie::certificates::offline::qr_text_of_pdf(&preview).is_none(),
        "a preview carries no verifiable link"
    );
    assert_eq!(
        app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM certificate")
            .await
            .as_deref(),
        Some("0"),
        "a preview stores nothing"
    );

    let (status, certificate) = app
        .post(
            &format!("/certificate-requests/{id}/issue"),
            &ie.token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{certificate}");
    let virtual_code = certificate["virtual_code"].as_str().unwrap().to_owned();
    assert_eq!(virtual_code.len(), 12);
    assert!(
        !virtual_code.contains(['0', 'O', '1', 'I', 'L']),
        "{virtual_code}"
    );
    let qr_text = certificate["qr_text"].as_str().unwrap().to_owned();
    assert!(qr_text.starts_with("HTTP://127.0.0.1:8080/V/"), "{qr_text}");
    assert_eq!(certificate["status"], "valid");

    // Issued once: the request is decided.
    let (status, again) = app
        .post(
            &format!("/certificate-requests/{id}/issue"),
            &ie.token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");

    // Its PDF, downloaded again, is small and its link is the QR's text.
    let cid = certificate["id"].as_i64().unwrap();
    let (status, pdf) = bytes(&app, &format!("/certificates/{cid}/pdf"), &ie.token).await;
    assert_eq!(status, StatusCode::OK);
    assert!(pdf.len() <= 60 * 1024, "{} bytes", pdf.len());
    eprintln!("certificate PDF: {} bytes", pdf.len());
    assert_eq!(
        siagie::certificates::offline::qr_text_of_pdf(&pdf).as_deref(),
        Some(qr_text.as_str())
    );

    // JSON verification of the payload: valid, with the signed years, marked transcribed.
    let payload = qr_text.rsplit('/').next().unwrap();
    let verification = app.verify_certificate(payload).await;
    assert_eq!(verification["valid"], true, "{verification}");
    assert_eq!(verification["status"], "vigente");
    let years = verification["content"]["years"].as_array().unwrap();
    assert_eq!(years.len(), 2);
    assert!(
        years[0]["transcribed"]["entered_by"]
            .as_str()
            .unwrap()
            .contains(','),
        "{verification}"
    );
    assert_eq!(years[0]["areas"].as_array().unwrap().len(), 7);
    assert_eq!(years[1]["areas"].as_array().unwrap().len(), 6);
    let masked = verification["content"]["masked_document"].as_str().unwrap();
    assert!(
        masked.contains('*') && !masked.contains(&ie.dni),
        "{masked}"
    );

    // By code alone: validity, IE and date, not the grades; with the document, everything.
    let (_, by_code) = app
        .get(
            &format!("/certificates/verify?code={virtual_code}"),
            &ie.token,
        )
        .await;
    assert_eq!(by_code["valid"], true);
    assert!(by_code["content"].is_null(), "{by_code}");
    let (_, with_document) = app
        .get(
            &format!(
                "/certificates/verify?code={}&document={}",
                virtual_code.to_lowercase(),
                ie.dni
            ),
            &ie.token,
        )
        .await;
    assert!(
        with_document["content"]["years"].is_array(),
        "{with_document}"
    );
    let (_, wrong_document) = app
        .get(
            &format!("/certificates/verify?code={virtual_code}&document=12345678"),
            &ie.token,
        )
        .await;
    assert!(wrong_document["content"].is_null());
    assert_eq!(wrong_document["document_mismatch"], true);

    // The lists: found by document, by name without accents, by last year; not when rejected.
    let (status, list) = app
        .get(
            &format!("/certificates?school_id={}&document={}", ie.school, ie.dni),
            &ie.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["virtual_code"], virtual_code.as_str());
    let name = list["items"][0]["student_name"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(name.contains(','), "{list}");
    // By a surname typed without accents or capitals.
    let surname: String = name
        .split(' ')
        .next()
        .unwrap()
        .to_lowercase()
        .replace(['á', 'Á'], "a")
        .replace(['é', 'É'], "e")
        .replace(['í', 'Í'], "i")
        .replace(['ó', 'Ó'], "o")
        .replace(['ú', 'Ú'], "u");
    let (_, by_name) = app
        .get(
            &format!("/certificates?school_id={}&name={surname}", ie.school),
            &ie.token,
        )
        .await;
    assert_eq!(by_name["total"], 1, "{surname}: {by_name}");
    let (_, by_date) = app
        .get(
            &format!(
                "/certificates?school_id={}&from=2000-01-01&to=2000-12-31",
                ie.school
            ),
            &ie.token,
        )
        .await;
    assert_eq!(by_date["total"], 0, "{by_date}");
    let (_, by_year) = app
        .get(
            &format!("/certificates?school_id={}&last_year=2011", ie.school),
            &ie.token,
        )
        .await;
    assert_eq!(by_year["total"], 1);
    let (_, other_year) = app
        .get(
            &format!("/certificates?school_id={}&last_year=2009", ie.school),
            &ie.token,
        )
        .await;
    assert_eq!(other_year["total"], 0);
    let (_, issued_requests) = app
        .get(
            &format!(
                "/certificate-requests?school_id={}&status=issued",
                ie.school
            ),
            &ie.token,
        )
        .await;
    assert_eq!(issued_requests["total"], 1);

    // Issuing was audited in the IE's trail.
    let (_, trail) = app
        .get(&format!("/audit?school_id={}", ie.school), &ie.token)
        .await;
    assert!(trail.to_string().contains("certificate_issued"), "{trail}");
    // A director of another IE sees none of it.
    let jaen = app.login_as("jaen.demo").await;
    let (status, _) = app.get(&format!("/certificates/{cid}"), &jaen).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_qr_read_from_the_rendered_page_opens_a_page_that_says_it_is_valid() {
    let app = spawn_app().await;
    let ie = ie(&app).await;
    let certificate = issued(&app, &ie).await;
    let cid = certificate["id"].as_i64().unwrap();
    let (_, pdf) = bytes(&app, &format!("/certificates/{cid}/pdf"), &ie.token).await;
    let Some((text, png)) = qr_of_rendered_pdf(&pdf) else {
        return;
    };
    eprintln!("rendered page: {}", png.display());
    assert_eq!(text, certificate["qr_text"].as_str().unwrap());
    assert!(
        text.chars()
            .all(|c| "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".contains(c)),
        "the whole QR is alphanumeric"
    );
    // The QR names the configured address; this server answers on another port.
    let path = &text[text.find("/V/").unwrap()..];
    let (status, page) = html(&app, path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Certificado válido y vigente"), "{page}");
    assert!(page.contains("MATEMÁTICA"), "{page}");
    assert!(page.contains("Año transcrito"), "{page}");
}

#[tokio::test]
async fn a_tampered_truncated_or_foreign_payload_is_shown_as_not_valid() {
    let app = spawn_app().await;
    let ie = ie(&app).await;
    let certificate = issued(&app, &ie).await;
    let text = certificate["qr_text"].as_str().unwrap();
    let payload = text.rsplit('/').next().unwrap().to_owned();

    // A character changed in the middle: the bytes no longer match their signature.
    let mut altered: Vec<char> = payload.chars().collect();
    let at = altered.len() / 2;
    altered[at] = if altered[at] == 'A' { 'B' } else { 'A' };
    let altered: String = altered.into_iter().collect();
    for bad in [
        altered.as_str(),
        &payload[..payload.len() - 9],
        "1ZZZZ",
        "NOVALIDO",
    ] {
        let (status, page) = html(&app, &format!("/V/{bad}")).await;
        assert_eq!(status, StatusCode::OK, "{bad}");
        assert!(page.contains("No válido"), "{bad}: {page}");
        assert!(!page.contains("vigente"), "{page}");
    }

    // Signed by a key no one published: the same content, another key.
    let ring = siagie::certificates::signing::KeyRing::new(
        &secrecy::SecretString::from(siagie::certificates::signing::KeyRing::generate_seed()),
        chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
        None,
    )
    .unwrap();
    let (_, genuine) = app
        .get(
            &format!("/certificates/verify?payload={payload}"),
            &ie.token,
        )
        .await;
    let content: siagie::certificates::payload::CertificateContent =
        serde_json::from_value(genuine["content"].clone()).unwrap();
    let foreign = siagie::certificates::qr::encode_payload(&ring.sign(&content));
    let (_, page) = html(&app, &format!("/V/{foreign}")).await;
    assert!(page.contains("No válido"), "{page}");
    assert!(page.contains("clave que el MINEDU no publicó"), "{page}");
    let (_, json) = read(
        app.client
            .get(format!("{}/V/{foreign}", app.address))
            .header("accept", "application/json")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(json["reason_code"], "unknown_key", "{json}");
    assert_eq!(json["valid"], false);
}

#[tokio::test]
async fn annulled_and_superseded_certificates_say_so_and_are_published_signed() {
    let app = spawn_app().await;
    let ie = ie(&app).await;
    let first = issued(&app, &ie).await;
    let (status, annulled) = app
        .post(
            &format!("/certificates/{}/annul", first["id"]),
            &ie.token,
            json!({"reason": "Emitido por error a otro estudiante", "category": "error_de_emision"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{annulled}");
    // One valid certificate per student and level: the second only once the first is annulled.
    let second = issued(&app, &ie).await;
    let path = |c: &Value| {
        let text = c["qr_text"].as_str().unwrap();
        text[text.find("/V/").unwrap()..].to_owned()
    };
    let (_, page) = html(&app, &path(&first)).await;
    assert!(page.contains("ANULADO"), "{page}");
    assert!(
        page.contains("Emitido por error a otro estudiante"),
        "{page}"
    );
    let (status, again) = app
        .post(
            &format!("/certificates/{}/annul", first["id"]),
            &ie.token,
            json!({"reason": "otra vez"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(code(&again), "certificate_not_valid");

    // A correction: a new certificate with a corrected grade replaces the second one.
    let (status, corrected) = app
        .post(
            &format!("/certificates/{}/correct", second["id"]),
            &ie.token,
            json!({"reason": "Nota de Matemática mal transcrita", "years": {"years": [year(2010, "1.º", 6), year(2011, "2.º", 5)], "observations": []}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{corrected}");
    assert_eq!(corrected["supersedes"], second["virtual_code"]);
    let (_, page) = html(&app, &path(&second)).await;
    assert!(page.contains("REEMPLAZADO"), "{page}");
    assert!(
        page.contains(corrected["virtual_code"].as_str().unwrap()),
        "{page}"
    );
    let (_, page) = html(&app, &path(&corrected)).await;
    assert!(page.contains("Certificado válido y vigente"), "{page}");
    assert!(
        page.contains(&format!(
            "Reemplaza al certificado {}",
            second["virtual_code"].as_str().unwrap()
        )),
        "{page}"
    );

    // The published lists: the key set checks itself, and the status list is signed by it.
    let (_, keys) = read(
        app.client
            .get(format!(
                "{}/.well-known/siagie-certificate-keys",
                app.address
            ))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let keys: siagie::certificates::signing::PublishedKeySet =
        serde_json::from_value(keys).unwrap();
    let set = siagie::certificates::signing::KeySet::from_published(&keys).unwrap();
    let (_, list) = read(
        app.client
            .get(format!(
                "{}/.well-known/siagie-certificate-status",
                app.address
            ))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        !list
            .to_string()
            .contains("Emitido por error a otro estudiante")
            && !list
                .to_string()
                .contains("Nota de Matemática mal transcrita"),
        "the status list publishes categories, never the issuer's words: {list}"
    );
    let list: siagie::certificates::signing::SignedList<siagie::certificates::StatusEntry> =
        serde_json::from_value(list).unwrap();
    assert!(list.is_signed_by(&set));
    let statuses: Vec<(String, Value)> = list
        .entries
        .iter()
        .map(|e| {
            (
                e.virtual_code.clone(),
                serde_json::to_value(e.status).unwrap(),
            )
        })
        .collect();
    assert!(statuses.contains(&(
        first["virtual_code"].as_str().unwrap().to_owned(),
        json!("annulled")
    )));
    assert!(statuses.contains(&(
        second["virtual_code"].as_str().unwrap().to_owned(),
        json!("superseded")
    )));
    let replaced = list
        .entries
        .iter()
        .find(|e| e.virtual_code == second["virtual_code"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        replaced.superseded_by.as_deref(),
        corrected["virtual_code"].as_str()
    );
    let category = |code: &Value| {
        let entry = list
            .entries
            .iter()
            .find(|e| e.virtual_code == code.as_str().unwrap())
            .unwrap();
        serde_json::to_value(entry.category).unwrap()
    };
    assert_eq!(category(&first["virtual_code"]), "error_de_emision");
    assert_eq!(category(&second["virtual_code"]), "correccion");
}

#[tokio::test]
async fn the_offline_verifier_checks_a_pdf_with_only_the_published_keys() {
    let app = spawn_app().await;
    let ie = ie(&app).await;
    let certificate = issued(&app, &ie).await;
    let (_, pdf) = bytes(
        &app,
        &format!("/certificates/{}/pdf", certificate["id"]),
        &ie.token,
    )
    .await;
    let dir = app.data_dir.join("offline");
    std::fs::create_dir_all(&dir).unwrap();
    let pdf_path = dir.join("certificado.pdf");
    std::fs::write(&pdf_path, &pdf).unwrap();
    let keys = app
        .client
        .get(format!(
            "{}/.well-known/siagie-certificate-keys",
            app.address
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let keys_path = dir.join("claves.json");
    std::fs::write(&keys_path, &keys).unwrap();

    let report = siagie::certificates::offline::verify(pdf_path.to_str().unwrap(), &keys).unwrap();
    assert!(report.starts_with("VÁLIDO"), "{report}");
    assert!(report.contains(certificate["virtual_code"].as_str().unwrap()));
    assert!(report.contains("transcrito por"), "{report}");
    let text = certificate["qr_text"].as_str().unwrap();
    let middle = text.len() - 40;
    let swapped = if &text[middle..=middle] == "Q" {
        "R"
    } else {
        "Q"
    };
    let tampered = format!("{}{swapped}{}", &text[..middle], &text[middle + 1..]);
    let refused = siagie::certificates::offline::verify(&tampered, &keys).unwrap_err();
    assert!(refused.starts_with("NO VÁLIDO"), "{refused}");
    // The `siagie certificate verify` command itself is run in `api/tests/certificate_cli.rs`.
}

#[tokio::test]
async fn bad_input_is_refused_with_its_code_and_nothing_is_written() {
    let app = spawn_app().await;
    let ie = ie(&app).await;

    // A grade outside its scale: 21 in the vigesimal one, "AB" in the literal one.
    let mut bad = year(2010, "1.º", 4);
    bad["areas"][0] = json!({"area": "Matemática", "scale": "vigesimal", "value": "21"});
    bad["areas"][1] = json!({"area": "Comunicación", "scale": "literal", "value": "AB"});
    let (status, error) = new_request(&app, &ie, vec![bad]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(code(&error), "grade_out_of_scale");
    assert!(
        error["error"]["fields"]["years[0].areas[0].value"].is_string(),
        "{error}"
    );
    assert!(
        error["error"]["fields"]["years[0].areas[1].value"].is_string(),
        "{error}"
    );
    assert_eq!(
        app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM certificate_request")
            .await
            .as_deref(),
        Some("0")
    );

    // A student the registry does not have (or not in this IE).
    let (status, error) = app
        .post(
            "/certificate-requests",
            &ie.token,
            json!({"school_id": ie.school, "document": "99999999", "years": []}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(code(&error), "certificate_student_not_found");
    let (status, error) = app
        .post(
            "/certificate-requests",
            &ie.token,
            json!({"school_id": ie.school, "document": "12", "years": []}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error["error"]["fields"]["document"].is_string());

    // A bad código modular and situation.
    let mut bad = year(2010, "1.º", 4);
    bad["codigo_modular"] = json!("12AB");
    let (status, error) = new_request(&app, &ie, vec![bad]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error["error"]["fields"]["years[0].codigo_modular"].is_string(),
        "{error}"
    );

    // Three areas: saved, incomplete, not issued.
    let (status, request) = new_request(&app, &ie, vec![year(2010, "1.º", 3)]).await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    assert_eq!(request["state"], "informacion_incompleta");
    assert!(
        request["missing"][0]
            .as_str()
            .unwrap()
            .contains("al menos 4"),
        "{request}"
    );
    let id = request["id"].as_i64().unwrap();
    let (status, error) = app
        .post(
            &format!("/certificate-requests/{id}/issue"),
            &ie.token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(code(&error), "too_few_areas");
    assert_eq!(
        app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM certificate")
            .await
            .as_deref(),
        Some("0")
    );
    // Completed (with a year not in the registry), then issued.
    let mut other_ie = year(2011, "2.º", 4);
    other_ie["codigo_modular"] = json!("0999999");
    other_ie["school_name"] = json!("IE Particular San Martín");
    let (status, saved) = read(
        app.request(
            Method::PUT,
            &format!("/certificate-requests/{id}/years"),
            Some(&ie.token),
        )
        .json(&json!({"years": [year(2010, "1.º", 4), other_ie]}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let (_, request) = app
        .get(&format!("/certificate-requests/{id}"), &ie.token)
        .await;
    assert_eq!(request["state"], "informacion_completa", "{request}");
    assert_eq!(request["years"][1]["registered"], false, "{request}");

    // A request rejected with a reason shows in the rejected list with it.
    let (status, rejected) = app
        .post(
            &format!("/certificate-requests/{id}/reject"),
            &ie.token,
            json!({"reason": "Falta de documentos"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rejected}");
    let (_, list) = app
        .get(
            &format!(
                "/certificate-requests?school_id={}&status=rejected",
                ie.school
            ),
            &ie.token,
        )
        .await;
    assert_eq!(
        list["items"][0]["reject_reason"], "Falta de documentos",
        "{list}"
    );
    let (status, _) = app
        .post(
            &format!("/certificate-requests/{id}/issue"),
            &ie.token,
            json!({}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a rejected request is not issued"
    );

    // A teacher of the IE may not issue until the director grants it.
    let teacher = app.login_as("docente.demo").await;
    let (status, _) = new_request(
        &app,
        &Ie {
            token: teacher.clone(),
            school: ie.school,
            dni: ie.dni.clone(),
        },
        vec![],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, me) = app.get("/me", &teacher).await;
    let (status, issuers) = app
        .post(
            &format!("/schools/{}/certificate-issuers", ie.school),
            &ie.token,
            json!({"user_id": me["user_id"].as_i64().or(me["id"].as_i64())}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{issuers} {me}");
    let teacher_ie = Ie {
        token: teacher.clone(),
        school: ie.school,
        dni: ie.dni.clone(),
    };
    let (status, request) = new_request(&app, &teacher_ie, vec![year(2010, "1.º", 4)]).await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    let status = app
        .request(
            Method::DELETE,
            &format!(
                "/schools/{}/certificate-issuers/{}",
                ie.school, issuers[0]["user_id"]
            ),
            Some(&ie.token),
        )
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = new_request(&app, &teacher_ie, vec![]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn verification_is_throttled_per_address() {
    let app = tests::spawn_app_with(|c| c.certificates.verifications_per_minute = 3).await;
    for _ in 0..3 {
        let (status, _) = html(&app, "/verificar?codigo=ABCDEFGHJKMN").await;
        assert_eq!(status, StatusCode::OK);
    }
    let response = app
        .client
        .get(format!("{}/verificar?codigo=ABCDEFGHJKMN", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().get("retry-after").is_some());
}

/// The IE's pending requests once `count` are there (a public request is filed after its
/// answer), within 10 s.
async fn filed_requests(app: &TestApp, ie: &Ie, count: i64) -> Value {
    for _ in 0..100 {
        let (_, pending) = app
            .get(
                &format!("/certificate-requests?school_id={}", ie.school),
                &ie.token,
            )
            .await;
        if pending["total"].as_i64() >= Some(count) {
            assert_eq!(pending["total"], count, "{pending}");
            return pending;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the IE did not receive {count} public requests");
}

#[tokio::test]
async fn a_public_request_reaches_the_ie_and_its_requester_gets_a_single_use_link() {
    let app = spawn_app().await;
    let ie = ie(&app).await;
    let birth = birth_date(&app, &ie.dni).await;
    let form = |document: &str, birth: &str| public_form(document, birth, "rosa.quispe@example.pe");
    // The same answer for a student that does not exist.
    for body in [form(&ie.dni, &birth), form("99999998", "2015-01-01")] {
        let answer = file_public(&app, &body).await;
        assert!(
            answer["message"]
                .as_str()
                .unwrap()
                .starts_with("Solicitud recibida")
        );
    }
    let pending = filed_requests(&app, &ie, 1).await;
    assert_eq!(pending["items"][0]["origin"], "public");
    let id = pending["items"][0]["id"].as_i64().unwrap();
    let status = app
        .request(
            Method::PUT,
            &format!("/certificate-requests/{id}/years"),
            Some(&ie.token),
        )
        .json(&json!({"years": [year(2012, "1.º", 5)]}))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::OK);
    let (status, certificate) = app
        .post(
            &format!("/certificate-requests/{id}/issue"),
            &ie.token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{certificate}");
    let mail = mails_to(&app, "rosa.quispe@example.pe")
        .await
        .into_iter()
        .find(|m| m.contains("/certificado/descarga?token="))
        .expect("the e-mail with the link");
    assert!(
        mail.contains("es válido por su firma digital y su código QR")
            && !mail.contains("firma y el sello"),
        "{mail}"
    );
    let path = link_path(&mail);
    // Opening the link (as a mail scanner does) shows a page with a button; it spends nothing.
    for _ in 0..2 {
        let (status, page) = html(&app, &path).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(page.contains("Descargar el certificado (PDF)"), "{page}");
        assert!(page.contains("method=\"post\""), "{page}");
    }
    let (status, pdf) = press_download(&app, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(pdf.starts_with(b"%PDF"));
    if let Some(text) = tests::pdf_text(&pdf) {
        assert!(
            text.contains("Emitido digitalmente: es válido por su firma digital y su código QR."),
            "{text}"
        );
        assert!(!text.contains("Firma y sello"), "{text}");
    }
    let (status, page) = press_download(&app, &path).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the link works once");
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains("Enlace no válido"), "{page}");
    assert!(page.contains("Enviarme un nuevo enlace"), "{page}");
}

/// The path of the download link in an e-mail's text.
fn link_path(mail: &str) -> String {
    let link = mail
        .split_whitespace()
        .find(|w| w.contains("/certificado/descarga?token="))
        .unwrap_or_else(|| panic!("a link in {mail}"));
    link[link.find("/certificado/descarga").unwrap()..].to_owned()
}

/// A form's fields as a browser sends them (`application/x-www-form-urlencoded`).
fn form_body(fields: &[(&str, &str)]) -> String {
    let encode = |text: &str| -> String {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Presses the download page's button: the POST its form sends.
async fn press_download(app: &TestApp, path: &str) -> (StatusCode, Vec<u8>) {
    let token = path.split("token=").nth(1).unwrap();
    let response = app
        .client
        .post(format!("{}/certificado/descarga", app.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(&[("token", token)]))
        .send()
        .await
        .unwrap();
    (response.status(), response.bytes().await.unwrap().to_vec())
}

/// A public request of the IE's student, filed, given a typed year and issued: (request id,
/// certificate, the link path e-mailed to `email`).
async fn public_certificate(app: &TestApp, ie: &Ie, email: &str) -> (i64, Value, String) {
    let birth = birth_date(app, &ie.dni).await;
    file_public(app, &public_form(&ie.dni, &birth, email)).await;
    let pending = filed_requests(app, ie, 1).await;
    let id = pending["items"][0]["id"].as_i64().unwrap();
    let (status, _) = app
        .put(
            &format!("/certificate-requests/{id}/years"),
            &ie.token,
            json!({"years": [year(2012, "1.º", 5)]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, certificate) = app
        .post(
            &format!("/certificate-requests/{id}/issue"),
            &ie.token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{certificate}");
    let links = links_to(app, email).await;
    assert_eq!(links.len(), 1);
    (id, certificate, links[0].clone())
}

/// The text of every e-mail delivered to `email` so far.
async fn mails_to(app: &TestApp, email: &str) -> Vec<String> {
    app.deliver_mail().await;
    app.delivered()
        .into_iter()
        .filter(|raw| {
            raw.lines()
                .any(|l| l.starts_with("To: ") && l.contains(email))
        })
        .map(|raw| tests::smtp::Received::from_raw(raw.into_bytes()).text())
        .collect()
}

/// Every download link delivered to `email` so far.
async fn links_to(app: &TestApp, email: &str) -> Vec<String> {
    mails_to(app, email)
        .await
        .iter()
        .filter(|m| m.contains("/certificado/descarga?token="))
        .map(|m| link_path(m))
        .collect()
}

#[tokio::test]
async fn the_verification_page_works_in_a_real_browser_without_javascript() {
    let app = spawn_app().await;
    let ie = ie(&app).await;
    let certificate = issued(&app, &ie).await;
    let text = certificate["qr_text"].as_str().unwrap();
    let path = &text[text.find("/V/").unwrap()..];
    let Some(browser) = Browser::start().await else {
        return;
    };
    browser.open(&format!("{}{path}", app.address)).await;
    let page = browser.text_with("Certificado válido y vigente").await;
    assert!(page.contains("Certificado válido y vigente"), "{page}");
    assert!(page.contains("COMUNICACIÓN"), "{page}");
    browser
        .screenshot(&app.data_dir.join("verificacion.png"))
        .await;

    // By code: the form, then the answer, then the grades with the document.
    browser.open(&format!("{}/verificar", app.address)).await;
    browser
        .type_into("#codigo", certificate["virtual_code"].as_str().unwrap())
        .await;
    browser.click("button[type=submit]").await;
    let page = browser.text_with("Código de un certificado vigente").await;
    assert!(page.contains("No prueba que el papel"), "{page}");
    assert!(
        !page.contains("COMUNICACIÓN"),
        "no grades without the document: {page}"
    );
    browser.type_into("#documento", &ie.dni).await;
    browser.click("button[type=submit]").await;
    let page = browser.text_with("COMUNICACIÓN").await;
    assert!(page.contains("Contenido firmado"), "{page}");
    browser.quit().await;
}

#[tokio::test]
async fn a_section_shows_each_students_state_and_issues_the_complete_ones_in_one_step() {
    let app = spawn_app().await;
    let ie = ie(&app).await;
    let section = app.sections(&ie.token, ie.school).await[0]["id"]
        .as_i64()
        .unwrap();
    let (_, roster) = app
        .get(&format!("/sections/{section}/students"), &ie.token)
        .await;
    let student = |i: usize| {
        (
            roster[i]["student_id"].as_i64().unwrap(),
            roster[i]["dni"].as_str().unwrap().to_owned(),
        )
    };
    // Two students with complete typed-in years, one incomplete, the rest with nothing.
    for (i, areas) in [(0, 4), (1, 5), (2, 2)] {
        let (_, dni) = student(i);
        let (status, body) = app
            .post(
                "/certificate-requests",
                &ie.token,
                json!({"school_id": ie.school, "document": dni, "years": [year(2012, "1.º", areas)]}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, rows) = app
        .get(
            &format!("/certificates/section-status?section_id={section}"),
            &ie.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rows}");
    let state_of = |rows: &Value, id: i64| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["student_id"] == id)
            .map(|r| r["state"].as_str().unwrap().to_owned())
            .unwrap()
    };
    assert_eq!(state_of(&rows, student(0).0), "informacion_completa");
    assert_eq!(state_of(&rows, student(1).0), "informacion_completa");
    assert_eq!(state_of(&rows, student(2).0), "informacion_incompleta");
    assert_eq!(state_of(&rows, student(3).0), "informacion_incompleta");

    let ticked: Vec<i64> = (0..4).map(|i| student(i).0).collect();
    let (status, result) = app
        .post(
            "/certificates/batch",
            &ie.token,
            json!({"section_id": section, "student_ids": ticked}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(result["issued"].as_array().unwrap().len(), 2, "{result}");
    assert_eq!(result["skipped"].as_array().unwrap().len(), 2, "{result}");
    assert!(
        result["skipped"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("incompleta")
    );
    let (_, trail) = app
        .get(&format!("/audit?school_id={}", ie.school), &ie.token)
        .await;
    assert_eq!(
        trail.to_string().matches("certificate_issued").count(),
        2,
        "one event per certificate"
    );
    let (_, rows) = app
        .get(
            &format!("/certificates/section-status?section_id={section}"),
            &ie.token,
        )
        .await;
    assert_eq!(state_of(&rows, student(0).0), "emitido");

    // One PDF with a page per certificate, each with its own QR link.
    let path = result["pdf_path"].as_str().unwrap();
    let (status, pdf) = bytes(&app, path, &ie.token).await;
    assert_eq!(status, StatusCode::OK);
    let document = lopdf::Document::load_mem(&pdf).unwrap();
    assert_eq!(document.get_pages().len(), 2);
    // Another IE's director cannot print them.
    let jaen = app.login_as("jaen.demo").await;
    let (status, _) = bytes(&app, path, &jaen).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_graduates_certificates_come_from_its_closed_actas_and_the_qr_carries_the_grades() {
    let app = spawn_app().await;
    let director = app.login_as("secundaria.demo").await;
    let school = app.school_id(&director, demo::BOLOGNESI).await;
    let (_, sections) = app
        .get(&format!("/schools/{school}/sections?year=2020"), &director)
        .await;
    let fifth = sections[0]["id"].as_i64().unwrap();
    let (status, rows) = app
        .get(
            &format!("/certificates/section-status?section_id={fifth}"),
            &director,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rows}");
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 25);
    assert!(
        rows.iter()
            .all(|r| r["state"] == "por_emitir" && r["missing"] == json!([])),
        "five closed years each, ready to issue: {rows:?}"
    );

    // The whole section in one step.
    let ids: Vec<Value> = rows.iter().map(|r| r["student_id"].clone()).collect();
    let (status, result) = app
        .post(
            "/certificates/batch",
            &director,
            json!({"section_id": fifth, "student_ids": ids}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(result["issued"].as_array().unwrap().len(), 25, "{result}");

    // The student who came from another IE: its first two years carry that IE's código modular,
    // signed with the grades, none of them transcribed.
    let mut newcomer = None;
    for issued in result["issued"].as_array().unwrap() {
        let document = issued["student_document"].as_str().unwrap();
        let (_, record) = app
            .get(&format!("/students/record?document={document}"), &director)
            .await;
        if record["years"][0]["codigo_modular"] == "0523456-0" {
            newcomer = Some((issued.clone(), record));
        }
    }
    let (issued, record) = newcomer.expect("the student who transferred in");
    let id = issued["id"].as_i64().unwrap();
    let (status, pdf) = bytes(&app, &format!("/certificates/{id}/pdf"), &director).await;
    assert_eq!(status, StatusCode::OK);
    assert!(pdf.len() <= 60 * 1024, "{} bytes", pdf.len());
    let qr_text = match qr_of_rendered_pdf(&pdf) {
        Some((text, _)) => text,
        None => siagie::certificates::offline::qr_text_of_pdf(&pdf).unwrap(),
    };
    let payload = qr_text.rsplit('/').next().unwrap();
    let verification = app.verify_certificate(payload).await;
    assert_eq!(verification["valid"], true, "{verification}");
    let years = verification["content"]["years"].as_array().unwrap();
    let numbers: Vec<i64> = years.iter().map(|y| y["year"].as_i64().unwrap()).collect();
    assert_eq!(numbers, [2016, 2017, 2018, 2019, 2020]);
    assert_eq!(years[0]["codigo_modular"], "0523456-0");
    assert_eq!(years[4]["codigo_modular"], "0967890-0");
    assert!(years.iter().all(|y| y["transcribed"].is_null()));
    // The grades signed are the grades of the record, area by area.
    for (signed, kept) in years.iter().zip(record["years"].as_array().unwrap()) {
        let signed: Vec<(String, String)> = signed["areas"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["area"].as_str().unwrap().to_owned(),
                    a["value"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let kept: Vec<(String, String)> = kept["grades"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                (
                    g["area"].as_str().unwrap().to_uppercase(),
                    g["value"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(signed, kept);
    }
    // Typing in a year that comes from an acta is refused.
    let (status, body) = app
        .post(
            "/certificate-requests",
            &director,
            json!({"school_id": school, "document": issued["student_document"], "years": [year(2018, "3.º", 5)]}),
        )
        .await;
    assert!(status.is_client_error(), "{status} {body}");
}

/// The director of the IE Bolognesi and its 2020 fifth-year section, whose 25 students each have
/// five closed years: ready to issue.
async fn graduates(app: &TestApp) -> (String, i64, i64, Vec<Value>) {
    let director = app.login_as("secundaria.demo").await;
    let school = app.school_id(&director, demo::BOLOGNESI).await;
    let (_, sections) = app
        .get(&format!("/schools/{school}/sections?year=2020"), &director)
        .await;
    let fifth = sections[0]["id"].as_i64().unwrap();
    let (_, rows) = app
        .get(
            &format!("/certificates/section-status?section_id={fifth}"),
            &director,
        )
        .await;
    let ids = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["student_id"].clone())
        .collect();
    (director, school, fifth, ids)
}

/// The most valid certificates any student holds for one level, as the database has them.
async fn most_valid_per_student(app: &TestApp) -> String {
    app.scalar(
        "SELECT CAST(COALESCE(MAX(n), 0) AS TEXT) FROM \
         (SELECT COUNT(*) AS n FROM certificate WHERE status = 'valid' GROUP BY student_id, level) t",
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn batches_sent_at_the_same_moment_for_a_section_leave_each_student_one_valid_certificate() {
    let app = spawn_app().await;
    let (director, _, fifth, ids) = graduates(&app).await;
    assert_eq!(ids.len(), 25);
    // Four clicks at once, the students ticked in different orders.
    let sends: Vec<_> = (0..4)
        .map(|i| {
            let mut ticked = ids.clone();
            if i % 2 == 1 {
                ticked.reverse();
            }
            let request = app
                .request(Method::POST, "/certificates/batch", Some(&director))
                .json(&json!({"section_id": fifth, "student_ids": ticked}));
            tokio::spawn(async move { read(request.send().await.unwrap()).await })
        })
        .collect();
    let mut issued = 0;
    let mut answers = Vec::new();
    for send in sends {
        let (status, body) = send.await.unwrap();
        answers.push(format!(
            "{status}: {} issued",
            body["issued"].as_array().map_or(0, Vec::len)
        ));
        assert!(
            status == StatusCode::OK
                || (status == StatusCode::CONFLICT && code(&body) == "certificate_already_valid"),
            "{status} {body}"
        );
        if status == StatusCode::OK {
            issued += body["issued"].as_array().unwrap().len();
            for skipped in body["skipped"].as_array().unwrap() {
                assert!(
                    skipped["reason"].as_str().unwrap().contains("vigente"),
                    "{body}"
                );
            }
        }
    }
    eprintln!("four batches at once: {answers:?}");
    assert_eq!(issued, 25, "each student issued once across the batches");
    assert_eq!(most_valid_per_student(&app).await, "1");
    let (_, rows) = app
        .get(
            &format!("/certificates/section-status?section_id={fifth}"),
            &director,
        )
        .await;
    assert!(
        rows.as_array()
            .unwrap()
            .iter()
            .all(|r| r["state"] == "emitido"),
        "{rows}"
    );
    // A batch sent again issues nothing and says why.
    let (status, again) = app
        .post(
            "/certificates/batch",
            &director,
            json!({"section_id": fifth, "student_ids": ids}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["issued"], json!([]));
    assert_eq!(again["skipped"].as_array().unwrap().len(), 25);
}

#[tokio::test]
async fn a_second_valid_certificate_of_a_student_and_level_is_refused_with_a_clear_conflict() {
    let app = spawn_app().await;
    let ie = ie(&app).await;
    let mut pending = Vec::new();
    for _ in 0..4 {
        let (status, request) =
            new_request(&app, &ie, vec![year(2010, "1.º", 6), year(2011, "2.º", 6)]).await;
        assert_eq!(status, StatusCode::CREATED, "{request}");
        pending.push(request["id"].as_i64().unwrap());
    }
    let issue = |id: i64| {
        let request = app
            .request(
                Method::POST,
                &format!("/certificate-requests/{id}/issue"),
                Some(&ie.token),
            )
            .json(&json!({}));
        tokio::spawn(async move { read(request.send().await.unwrap()).await })
    };
    // Two requests of the same student issued at the same moment: one certificate.
    let (a, b) = (issue(pending[0]), issue(pending[1]));
    let answers = [a.await.unwrap(), b.await.unwrap()];
    let created: Vec<&Value> = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .map(|(_, body)| body)
        .collect();
    assert_eq!(created.len(), 1, "{answers:?}");
    let (status, refused) = answers
        .iter()
        .find(|(s, _)| *s != StatusCode::CREATED)
        .unwrap();
    assert_eq!(*status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(code(refused), "certificate_already_valid");
    assert_eq!(most_valid_per_student(&app).await, "1");

    // Later, one at a time: refused, naming the certificate that stands.
    let first = created[0].clone();
    let (status, refused) = app
        .post(
            &format!("/certificate-requests/{}/issue", pending[2]),
            &ie.token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(code(&refused), "certificate_already_valid");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains(first["virtual_code"].as_str().unwrap()),
        "{refused}"
    );
    let (_, request) = app
        .get(&format!("/certificate-requests/{}", pending[2]), &ie.token)
        .await;
    assert_eq!(
        request["status"], "pending",
        "nothing was written: {request}"
    );

    // The database itself holds the rule, whatever the code above it does.
    let (status, _) = app
        .post(
            &format!("/certificates/{}/annul", first["id"]),
            &ie.token,
            json!({"reason": "Datos del apoderado equivocados", "category": "datos_incorrectos"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, second) = app
        .post(
            &format!("/certificate-requests/{}/issue", pending[2]),
            &ie.token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    let revived = app
        .db
        .execute_unprepared(&format!(
            "UPDATE certificate SET status = 'valid' WHERE id = {}",
            first["id"]
        ))
        .await;
    assert!(
        revived.is_err(),
        "a second valid row is refused by the index"
    );

    // A correction replaces the valid one: still one valid certificate.
    let (status, corrected) = app
        .post(
            &format!("/certificates/{}/correct", second["id"]),
            &ie.token,
            json!({"reason": "Grado mal escrito"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{corrected}");
    assert_eq!(most_valid_per_student(&app).await, "1");
}

#[tokio::test]
async fn a_wrong_document_is_shown_as_not_verified_with_nothing_of_the_certificate() {
    let app = spawn_app().await;
    let ie = ie(&app).await;
    let certificate = issued(&app, &ie).await;
    let code = certificate["virtual_code"].as_str().unwrap();
    let (_, by_code) = read(
        app.request(
            Method::GET,
            &format!("/certificates/verify?code={code}"),
            None,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    let school = by_code["school_name"].as_str().unwrap().to_owned();
    assert!(
        by_code["proves"].as_str().unwrap().contains("No prueba"),
        "the code-only answer says what it does not prove: {by_code}"
    );

    let (status, page) = html(
        &app,
        &format!("/verificar?codigo={code}&documento=12345678"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("<h1 class=\"bad\" id=\"estado\">No verificado</h1>"),
        "{page}"
    );
    for shown in [
        "vigente",
        "válido y",
        school.as_str(),
        "MATEMÁTICA",
        "Fecha de emisión",
        "Contenido firmado",
        certificate["student_name"].as_str().unwrap(),
    ] {
        assert!(!page.contains(shown), "«{shown}» shown: {page}");
    }
    assert!(
        page.contains("El número de documento no corresponde"),
        "{page}"
    );
    let (_, json) = read(
        app.request(
            Method::GET,
            &format!("/certificates/verify?code={code}&document=12345678"),
            None,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(json["valid"], false, "{json}");
    assert_eq!(json["status"], "documento_no_coincide");
    assert_eq!(json["document_mismatch"], true);
    for field in ["school_name", "issued_on", "content", "virtual_code"] {
        assert!(json[field].is_null(), "{field}: {json}");
    }

    // By code alone: green, with what it proves and what it does not, and no grades.
    let (_, page) = html(&app, &format!("/verificar?codigo={code}")).await;
    assert!(
        page.contains("<h1 class=\"ok\" id=\"estado\">Código de un certificado vigente</h1>"),
        "{page}"
    );
    assert!(page.contains("No prueba que el papel"), "{page}");
    assert!(page.contains(&school), "{page}");
    assert!(!page.contains("MATEMÁTICA"), "{page}");
    // With the right document: the whole signed content.
    let (_, page) = html(
        &app,
        &format!("/verificar?codigo={code}&documento={}", ie.dni),
    )
    .await;
    assert!(page.contains("Certificado válido y vigente"), "{page}");
    assert!(page.contains("MATEMÁTICA"), "{page}");
}

/// A public request's form for a student (`document`, `birth`).
fn public_form(document: &str, birth: &str, email: &str) -> Value {
    json!({"student_document": document, "birth_date": birth, "requester_dni": "41234567",
           "requester_names": "Quispe Mamani, Rosa", "email": email,
           "cell_phone": "987654321", "purpose": "Traslado a otra IE", "relationship": "madre"})
}

/// Files a public request (no sign-in), which is answered 202 whatever it names: the answer.
async fn file_public(app: &TestApp, body: &Value) -> Value {
    let (status, answer) = read(
        app.request(Method::POST, "/certificates/public-requests", None)
            .json(body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    answer
}

async fn birth_date(app: &TestApp, dni: &str) -> String {
    app.scalar(&format!(
        "SELECT CAST(birth_date AS TEXT) FROM student WHERE dni = '{dni}'"
    ))
    .await
    .expect("the demo student has a birth date")
}

#[tokio::test]
async fn a_public_request_is_answered_before_its_work_whether_or_not_the_student_matches() {
    let app = tests::spawn_app_with(|c| c.certificates.public_requests_per_hour = 1000).await;
    let ie = ie(&app).await;
    let birth = birth_date(&app, &ie.dni).await;
    let send = async |body: Value| {
        let started = std::time::Instant::now();
        let answer = file_public(&app, &body).await;
        (started.elapsed(), answer)
    };

    // While the requests' table cannot be written, a matching request is still answered at once:
    // its answer does not wait for the work that depends on the student. (The table is locked on
    // PostgreSQL only: SQLite locks the whole database, where the request's limits are counted
    // before its answer.)
    let postgres = app.db.get_database_backend() == sea_orm::DbBackend::Postgres;
    let blocker = if postgres {
        let blocker = siagie::db::begin(&app.db).await.unwrap();
        blocker
            .execute_unprepared("LOCK TABLE certificate_request IN SHARE ROW EXCLUSIVE MODE")
            .await
            .unwrap();
        Some(blocker)
    } else {
        None
    };
    let (took, matched) = send(public_form(&ie.dni, &birth, "rosa@example.pe")).await;
    let (_, unknown) = send(public_form("99999998", "2015-01-01", "rosa@example.pe")).await;
    assert_eq!(matched["message"], unknown["message"], "the same answer");
    let number = |answer: &Value| answer["number"].as_str().unwrap().len();
    assert_eq!(number(&matched), number(&unknown), "a number each, alike");
    if let Some(blocker) = blocker {
        assert!(
            took < std::time::Duration::from_secs(2),
            "answered in {took:?} while the table was locked"
        );
        blocker.rollback().await.unwrap();
    }
    filed_requests(&app, &ie, 1).await;

    // The times, for docs/certificates.md: ten of each, interleaved.
    let (mut matching, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..10 {
        matching.push(
            send(public_form(&ie.dni, &birth, "rosa@example.pe"))
                .await
                .0,
        );
        unknown.push(
            send(public_form(
                &format!("9999990{i}"),
                "2015-01-01",
                "rosa@example.pe",
            ))
            .await
            .0,
        );
    }
    matching.sort();
    unknown.sort();
    eprintln!(
        "public request answered in: matching p50 {:?}, unknown p50 {:?}",
        matching[5], unknown[5]
    );
}

#[tokio::test]
async fn a_certificate_of_only_sixth_grade_is_incomplete_until_every_earlier_grade_is_there() {
    use chrono::Datelike;
    let app = spawn_app().await;
    let ie = ie(&app).await;
    // Last year's sixth grade of the primary IE: each student's only closed acta.
    let last_year = app.today().year() - 1;
    let (_, sections) = app
        .get(
            &format!("/schools/{}/sections?year={last_year}", ie.school),
            &ie.token,
        )
        .await;
    let sixth = sections[0]["id"].as_i64().unwrap();
    let (status, rows) = app
        .get(
            &format!("/certificates/section-status?section_id={sixth}"),
            &ie.token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rows}");
    let rows = rows.as_array().unwrap().clone();
    assert!(!rows.is_empty());
    for row in &rows {
        assert_eq!(row["state"], "informacion_incompleta", "{row}");
        let missing = row["missing"].to_string();
        assert!(
            missing.contains(&format!("1.er grado de primaria (año {}", last_year - 5))
                && missing.contains(&format!("5.º grado de primaria (año {}", last_year - 1)),
            "{missing}"
        );
    }
    let ids: Vec<Value> = rows.iter().map(|r| r["student_id"].clone()).collect();
    let (status, result) = app
        .post(
            "/certificates/batch",
            &ie.token,
            json!({"section_id": sixth, "student_ids": ids}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(result["issued"], json!([]), "{result}");

    // One student's request: incomplete and not issued until the five grades are typed in.
    let dni = rows[0]["document"].as_str().unwrap();
    let student = Ie {
        token: ie.token.clone(),
        school: ie.school,
        dni: dni.to_owned(),
    };
    let (status, request) = new_request(&app, &student, vec![]).await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    assert_eq!(request["state"], "informacion_incompleta", "{request}");
    assert_eq!(request["missing"].as_array().unwrap().len(), 5, "{request}");
    let id = request["id"].as_i64().unwrap();
    let (status, refused) = app
        .post(
            &format!("/certificate-requests/{id}/issue"),
            &ie.token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(code(&refused), "certificate_incomplete");
    assert_eq!(
        refused["error"]["details"]["missing"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    // A grade that is not one of the level is refused as typed.
    let (status, error) = app
        .put(
            &format!("/certificate-requests/{id}/years"),
            &ie.token,
            json!({"years": [year(last_year - 5, "Séptimo", 4)]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert!(
        error["error"]["fields"]["years[0].grade"].is_string(),
        "{error}"
    );
    // Four of the five: still incomplete, naming the one left.
    let grades = ["1.º", "Segundo", "3.º", "4.º", "5.º"];
    let typed = |upto: usize| -> Vec<Value> {
        (0..upto)
            .map(|i| year(last_year - 5 + i as i32, grades[i], 4))
            .collect()
    };
    let (status, saved) = app
        .put(
            &format!("/certificate-requests/{id}/years"),
            &ie.token,
            json!({"years": typed(4)}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["state"], "informacion_incompleta");
    assert_eq!(
        saved["missing"],
        json!([format!(
            "Falta el 5.º grado de primaria (año {}, según los años siguientes): regístrelo con sus notas.",
            last_year - 1
        )])
    );
    let (_, saved) = app
        .put(
            &format!("/certificate-requests/{id}/years"),
            &ie.token,
            json!({"years": typed(5)}),
        )
        .await;
    assert_eq!(saved["state"], "informacion_completa", "{saved}");
    let (status, certificate) = app
        .post(
            &format!("/certificate-requests/{id}/issue"),
            &ie.token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{certificate}");
}

#[tokio::test]
async fn a_spent_link_is_replaced_by_the_requester_with_the_students_data_or_by_the_ie() {
    let app = spawn_app().await;
    let ie = ie(&app).await;
    let email = "rosa.quispe@example.pe";
    let (request, _, first) = public_certificate(&app, &ie, email).await;
    let (status, _) = press_download(&app, &first).await;
    assert_eq!(status, StatusCode::OK);
    let birth = birth_date(&app, &ie.dni).await;
    let ask = async |document: &str, birth: &str, email: &str| {
        let response = app
            .client
            .post(format!("{}/certificado/nuevo-enlace", app.address))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(&[
                ("student_document", document),
                ("birth_date", birth),
                ("email", email),
            ]))
            .send()
            .await
            .unwrap();
        (response.status(), response.text().await.unwrap())
    };

    // Another e-mail, or another birth date: the same answer, and nothing is sent.
    let (status, wrong_email) = ask(&ie.dni, &birth, "otra@example.pe").await;
    assert_eq!(status, StatusCode::OK, "{wrong_email}");
    let (_, wrong_birth) = ask(&ie.dni, "2001-01-01", email).await;
    // The requester's data: a new link to the request's e-mail, which downloads once more.
    let (_, right) = ask(&ie.dni, &birth, email).await;
    assert!(right.contains("enviamos un nuevo enlace"), "{right}");
    assert_eq!(wrong_email, right);
    assert_eq!(wrong_birth, right);
    app.wait_until_queued(email).await;
    let links = links_to(&app, email).await;
    assert_eq!(links.len(), 2, "one new link, none for the wrong data");
    assert!(links_to(&app, "otra@example.pe").await.is_empty());
    let second = links.iter().find(|l| **l != first).unwrap().clone();
    let (status, pdf) = press_download(&app, &second).await;
    assert_eq!(status, StatusCode::OK);
    assert!(pdf.starts_with(b"%PDF"));

    // The IE resends it too: a new link, and the one before stops working.
    let (status, sent) = app
        .post(
            &format!("/certificate-requests/{request}/resend-link"),
            &ie.token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{sent}");
    assert_eq!(sent["email"], "r***@example.pe");
    let links = links_to(&app, email).await;
    assert_eq!(links.len(), 3);
    let third = links
        .iter()
        .find(|l| **l != first && **l != second)
        .unwrap()
        .clone();
    let (status, _) = app
        .post(
            &format!("/certificate-requests/{request}/resend-link"),
            &ie.token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = press_download(&app, &third).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "replaced by the next one");
    let (_, trail) = app
        .get(&format!("/audit?school_id={}", ie.school), &ie.token)
        .await;
    assert_eq!(
        trail.to_string().matches("certificate_link_sent").count(),
        3,
        "{trail}"
    );
    // Only for a public request: a direct one has nobody to send it to.
    let direct = issued(
        &app,
        &Ie {
            token: ie.token.clone(),
            school: ie.school,
            dni: app
                .get(
                    &format!(
                        "/sections/{}/students",
                        app.sections(&ie.token, ie.school).await[0]["id"]
                    ),
                    &ie.token,
                )
                .await
                .1[1]["dni"]
                .as_str()
                .unwrap()
                .to_owned(),
        },
    )
    .await;
    let (status, refused) = app
        .post(
            &format!("/certificate-requests/{}/resend-link", direct["request_id"]),
            &ie.token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(code(&refused), "no_link_to_resend");
    // Another IE's director may not.
    let jaen = app.login_as("jaen.demo").await;
    let (status, _) = app
        .post(
            &format!("/certificate-requests/{request}/resend-link"),
            &jaen,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_annulled_certificates_download_link_gives_a_page_saying_so_not_the_pdf() {
    let app = spawn_app().await;
    let ie = ie(&app).await;
    let email = "rosa.quispe@example.pe";
    let (request, certificate, link) = public_certificate(&app, &ie, email).await;
    let (status, _) = app
        .post(
            &format!("/certificates/{}/annul", certificate["id"]),
            &ie.token,
            json!({"reason": "Se emitió con el apoderado equivocado", "category": "datos_incorrectos"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, page) = html(&app, &link).await;
    assert_eq!(status, StatusCode::GONE, "{page}");
    assert!(page.contains("Certificado anulado"), "{page}");
    assert!(page.contains("Datos o notas incorrectos"), "{page}");
    assert!(!page.contains("Descargar el certificado"), "{page}");
    let (status, body) = press_download(&app, &link).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(!body.starts_with(b"%PDF"));
    // Nor is a new link sent for it.
    let (status, refused) = app
        .post(
            &format!("/certificate-requests/{request}/resend-link"),
            &ie.token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
}

#[tokio::test]
async fn an_upgrade_keeps_the_newest_of_two_valid_certificates_and_supersedes_the_other() {
    let app = tests::spawn_app_on(
        |_| {},
        async |db| {
            use migration::MigratorTrait;
            // The schema before one valid certificate per student and level, with a student
            // issued twice at once (as two batches did).
            let before = migration::Migrator::migrations()
                .iter()
                .position(|m| m.name() == "m20261206_121500_one_valid_certificate")
                .expect("the migration");
            migration::Migrator::up(db, Some(before as u32))
                .await
                .expect("earlier schema");
            siagie::seed::demo::load_without_history(db, tests::lima_today())
                .await
                .expect("demo world");
            let at = tests::now() - chrono::Duration::hours(3);
            let statements = [
                "INSERT INTO certificate_request (school_id, student_id, status, origin, observations, \
                 search_name, created_at) \
                 SELECT s.id, e.student_id, 'issued', 'direct', '[]', 'x', $1 FROM school s \
                 JOIN section c ON c.school_id = s.id JOIN enrollment e ON e.section_id = c.id \
                 WHERE s.codigo_modular = '0412345' ORDER BY e.id LIMIT 1",
                "INSERT INTO certificate (virtual_code, request_id, school_id, student_id, status, \
                 issued_by, issued_at, search_name, student_document, cose, sha256) \
                 SELECT 'AAAAAAAAAAAA', r.id, r.school_id, r.student_id, 'valid', u.id, $1, 'x', \
                 '70000000', $2, 'ab' FROM certificate_request r, user_account u \
                 WHERE u.username = 'director.demo'",
                "INSERT INTO certificate (virtual_code, request_id, school_id, student_id, status, \
                 issued_by, issued_at, search_name, student_document, cose, sha256) \
                 SELECT 'BBBBBBBBBBBB', r.id, r.school_id, r.student_id, 'valid', u.id, $1, 'x', \
                 '70000000', $2, 'ab' FROM certificate_request r, user_account u \
                 WHERE u.username = 'director.demo'",
            ];
            for sql in statements {
                let mut values = vec![at.into()];
                if sql.contains("$2") {
                    values.push(vec![0u8, 1, 2].into());
                }
                db.execute_raw(sea_orm::Statement::from_sql_and_values(
                    db.get_database_backend(),
                    sql,
                    values,
                ))
                .await
                .expect("a certificate of the earlier schema");
            }
        },
    )
    .await;
    let status_of = async |code: &str| {
        app.scalar(&format!(
            "SELECT status || ' ' || level FROM certificate WHERE virtual_code = '{code}'"
        ))
        .await
        .unwrap()
    };
    assert_eq!(status_of("AAAAAAAAAAAA").await, "superseded primaria");
    assert_eq!(status_of("BBBBBBBBBBBB").await, "valid primaria");
    assert_eq!(
        app.scalar(
            "SELECT b.virtual_code FROM certificate a JOIN certificate b ON b.id = a.superseded_by \
             WHERE a.virtual_code = 'AAAAAAAAAAAA'"
        )
        .await
        .as_deref(),
        Some("BBBBBBBBBBBB")
    );
    let (_, list) = read(
        app.client
            .get(format!(
                "{}/.well-known/siagie-certificate-status",
                app.address
            ))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let entry = &list["entries"][0];
    assert_eq!(entry["virtual_code"], "AAAAAAAAAAAA", "{list}");
    assert_eq!(entry["category"], "duplicado");
    assert_eq!(entry["superseded_by"], "BBBBBBBBBBBB");
    assert!(entry["since"].is_string(), "{list}");
}

#[tokio::test]
async fn a_public_requester_is_acknowledged_with_a_number_and_the_ies_issuers_are_told() {
    let app = spawn_app().await;
    let ie = ie(&app).await;
    // The form asks who the requester is and shows the personal-data notice.
    let (status, form) = html(&app, "/certificado/solicitar").await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("Ley N.º 29733"), "{form}");
    assert!(form.contains("<select id=\"relationship\" name=\"relationship\" required>"));
    let response = app
        .client
        .post(format!("{}/certificado/solicitar", app.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(&[
            ("student_document", &ie.dni),
            ("birth_date", "2015-01-01"),
            ("requester_dni", "41234567"),
            ("requester_names", "Quispe Mamani, Rosa"),
            ("email", "rosa@example.pe"),
            ("cell_phone", "987654321"),
            ("purpose", "Traslado"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Indique su relación con el estudiante")
    );

    // A request for the IE's student and one for nobody: each answered with a number.
    let birth = birth_date(&app, &ie.dni).await;
    let send = async |body: Value| {
        let answer = file_public(&app, &body).await;
        answer["number"].as_str().unwrap().to_owned()
    };
    let real = send(public_form(&ie.dni, &birth, "rosa@example.pe")).await;
    let nobody = send(public_form("99999998", "2015-01-01", "nadie@example.pe")).await;
    assert!(real.starts_with("SC-") && real.len() == 11, "{real}");
    assert_ne!(real, nobody);

    // The IE sees the number on the request.
    let pending = filed_requests(&app, &ie, 1).await;
    assert_eq!(pending["items"][0]["number"], real.as_str(), "{pending}");

    // Both requesters get the same acknowledgement, each with its number.
    app.wait_until_queued("nadie@example.pe").await;
    let ack = |mails: Vec<String>, number: &str| {
        let mail = mails
            .into_iter()
            .find(|m| m.contains("Recibimos su solicitud"))
            .expect("an acknowledgement");
        assert!(mail.contains(&format!("N.º {number}")), "{mail}");
        mail.replace(number, "#")
    };
    let real_ack = ack(mails_to(&app, "rosa@example.pe").await, &real);
    let nobody_ack = ack(mails_to(&app, "nadie@example.pe").await, &nobody);
    let body = |m: &str| m[m.find("Estimado").unwrap()..].to_owned();
    assert_eq!(
        body(&real_ack),
        body(&nobody_ack),
        "tells nothing of the student"
    );

    // The IE's director is told of the new request, with its number and who asked.
    let director = mails_to(&app, "director.demo@siagie.local").await;
    let told = director
        .iter()
        .find(|m| m.contains("recibió por Mi Certificado la solicitud"))
        .unwrap_or_else(|| panic!("{director:?}"));
    assert!(told.contains(&real) && told.contains("su madre"), "{told}");
    // With the page of the request, where it is attended.
    assert!(
        told.contains("/consola/certificados/solicitudes/"),
        "{told}"
    );
}

/// A public request reaching an IE with nobody to issue it (no active director, nobody granted)
/// tells the UGEL's Especialista SIAGIE, who designates the director, and the request waits.
#[tokio::test]
async fn a_public_request_to_an_ie_without_a_director_tells_the_ugel() {
    let app = spawn_app().await;
    let ie = ie(&app).await;
    let birth = birth_date(&app, &ie.dni).await;
    app.db
        .execute_unprepared(
            "UPDATE role_assignment SET active = FALSE WHERE user_id = \
             (SELECT id FROM user_account WHERE username = 'director.demo')",
        )
        .await
        .unwrap();
    let body = public_form(&ie.dni, &birth, "rosa.quispe@example.pe");
    file_public(&app, &body).await;
    app.wait_until_queued("ugel.demo@siagie.local").await;
    let told = mails_to(&app, "ugel.demo@siagie.local").await;
    let told = told
        .iter()
        .find(|m| m.contains("no tiene director activo"))
        .expect("the UGEL is told");
    assert!(told.contains("/consola/altas-y-bajas/nueva"), "{told}");
    assert!(!told.contains(&ie.dni), "the student is not named: {told}");
    assert!(
        mails_to(&app, "director.demo@siagie.local")
            .await
            .is_empty()
    );
}
