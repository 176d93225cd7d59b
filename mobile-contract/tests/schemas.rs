//! The JSON Schemas in `mobile-contract/schema/` are what the tablet team builds against: they
//! must match the types. Regenerate with `UPDATE_SCHEMAS=1 cargo test -p mobile-contract`.

use std::path::PathBuf;

use mobile_contract::{Mark, PushRequest, schemas};
use validator::Validate;

#[test]
fn the_published_schemas_match_the_types() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schema");
    for (name, schema) in schemas() {
        let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
        let path = dir.join(name);
        if std::env::var_os("UPDATE_SCHEMAS").is_some() {
            std::fs::write(&path, &text).unwrap();
        }
        let published = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            published, text,
            "{name} is out of date: run UPDATE_SCHEMAS=1 cargo test -p mobile-contract"
        );
    }
}

#[test]
fn the_push_schema_names_every_contract_field() {
    let (_, schema) = schemas()
        .into_iter()
        .find(|(n, _)| *n == "push-request.json")
        .unwrap();
    let text = schema.to_string();
    for field in [
        "contract_version",
        "device_id",
        "batch_id",
        "marks",
        "mark_id",
        "section_id",
        "student_id",
        "date",
        "status",
        "recorded_at",
        "note",
    ] {
        assert!(text.contains(&format!("\"{field}\"")), "{field}");
    }
}

fn batch(marks: usize, note: Option<String>) -> PushRequest {
    let mark = Mark {
        mark_id: uuid::Uuid::new_v4(),
        section_id: "1".into(),
        student_id: "2".into(),
        date: chrono::NaiveDate::from_ymd_opt(2026, 4, 6).unwrap(),
        status: "asistio".into(),
        recorded_at: chrono::DateTime::parse_from_rfc3339("2026-04-06T08:02:11-05:00").unwrap(),
        note,
    };
    PushRequest {
        contract_version: 1,
        device_id: uuid::Uuid::new_v4(),
        batch_id: uuid::Uuid::new_v4(),
        marks: vec![mark; marks],
        pending: None,
    }
}

#[test]
fn a_batch_over_a_thousand_marks_or_with_a_long_note_is_invalid() {
    assert!(batch(1000, None).validate().is_ok());
    assert!(batch(1001, None).validate().is_err());
    assert!(batch(1, Some("n".repeat(200))).validate().is_ok());
    assert!(batch(1, Some("n".repeat(201))).validate().is_err());
    let mut wrong_version = batch(1, None);
    wrong_version.contract_version = 2;
    assert!(wrong_version.validate().is_err());
}

#[test]
fn the_example_of_the_contract_parses() {
    let example = r#"{"contract_version": 1, "device_id": "6f1c1f5e-8d43-4d39-9a8e-3f0c2d1b7a10",
        "batch_id": "0b7f9b2e-5d7a-4f7e-9a55-2a4f0d9c1e21",
        "marks": [{"mark_id": "a3d5e7f9-1b2c-4d6e-8f0a-1c3e5a7b9d11", "section_id": "12", "student_id": "345",
                   "date": "2026-04-06", "status": "asistio", "recorded_at": "2026-04-06T08:02:11-05:00"}]}"#;
    let parsed: PushRequest = serde_json::from_str(example).unwrap();
    assert_eq!(
        parsed.marks[0].recorded_at.offset().local_minus_utc(),
        -5 * 3600
    );
    assert!(parsed.validate().is_ok());
}
