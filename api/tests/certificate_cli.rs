//! `siagie certificate verify`: a certificate's PDF checked offline with only the published key
//! set, and a tampered QR text refused with exit code 1.

use std::process::Command;

use chrono::NaiveDate;
use secrecy::SecretString;
use siagie::certificates::{
    payload::{AreaGrade, AreaKind, CertificateContent, CertificateYear, Scale, Transcription},
    pdf::{Sheet, render},
    qr,
    signing::KeyRing,
};
use siagie::domain::Level;

fn content() -> CertificateContent {
    let areas = ["MATEMÁTICA", "COMUNICACIÓN", "PERSONAL SOCIAL", "ARTE"]
        .iter()
        .map(|a| AreaGrade {
            area: (*a).into(),
            kind: AreaKind::General,
            scale: Scale::Literal,
            value: "A".into(),
        })
        .collect();
    CertificateContent {
        virtual_code: "KQ7XM3PR9TZA".into(),
        school_code: "0412345-0".into(),
        school_name: "IE N° 16471 SEÑOR DE HUAMANTANGA".into(),
        student_name: "JESÚS ALARCÓN GUTIÉRREZ".into(),
        masked_document: "7*****27".into(),
        level: Level::Primaria,
        issued_on: NaiveDate::from_ymd_opt(2026, 12, 2).unwrap(),
        years: vec![CertificateYear {
            year: 2010,
            grade: "1.º".into(),
            level: Level::Primaria,
            codigo_modular: "0412345-0".into(),
            school_name: None,
            areas,
            situation: "promovido".into(),
            transcribed: Some(Transcription {
                entered_by: "GUEVARA CUBAS, WILDER".into(),
            }),
            regularized: None,
        }],
        observations: Vec::new(),
        supersedes: None,
    }
}

#[test]
fn the_command_verifies_a_pdf_offline_and_refuses_a_tampered_text() {
    let ring = KeyRing::new(
        &SecretString::from(KeyRing::generate_seed()),
        NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
        None,
    )
    .unwrap();
    let content = content();
    let text = qr::qr_text(
        "https://certificado.siagie.gob.pe",
        &qr::encode_payload(&ring.sign(&content)),
    );
    let pdf = render(&Sheet {
        content: &content,
        document: "70000027",
        place: "San Ignacio",
        qr_text: Some(&text),
        verify_url: "https://certificado.siagie.gob.pe/verificar",
        digital: true,
    });
    let dir = std::env::temp_dir().join(format!("siagie-cli-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let pdf_path = dir.join("certificado.pdf");
    std::fs::write(&pdf_path, pdf).unwrap();
    let keys_path = dir.join("claves.json");
    std::fs::write(
        &keys_path,
        serde_json::to_string(&ring.published()).unwrap(),
    )
    .unwrap();

    let output = Command::new(env!("CARGO_BIN_EXE_siagie"))
        .args(["certificate", "verify"])
        .arg(&pdf_path)
        .arg("--keys")
        .arg(&keys_path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.starts_with("VÁLIDO"), "{stdout}");
    assert!(
        stdout.contains("KQ7XM3PR9TZA") && stdout.contains("transcrito por"),
        "{stdout}"
    );

    let middle = text.len() - 40;
    let swapped = if &text[middle..=middle] == "Q" {
        "R"
    } else {
        "Q"
    };
    let tampered = format!("{}{swapped}{}", &text[..middle], &text[middle + 1..]);
    let output = Command::new(env!("CARGO_BIN_EXE_siagie"))
        .args(["certificate", "verify", &tampered, "--keys"])
        .arg(&keys_path)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with("NO VÁLIDO"), "{stdout}");
}
