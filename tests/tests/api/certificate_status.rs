//! What a certificate's verification reads from memory and writes in groups: an annulment or a
//! correction seen at once by the server that made it and within the refresh period by another,
//! the audit event of every answered verification in the trail, and the published lists answered
//! 304 when the verifier already holds them.

use std::time::{Duration, Instant};

use reqwest::{StatusCode, header};
use serde_json::{Value, json};
use tests::{TestApp, spawn_app, spawn_instance};

use super::certificates::{ie, issued};

/// The payload of an issued certificate's QR.
fn payload(certificate: &Value) -> String {
    let text = certificate["qr_text"].as_str().unwrap();
    text.rsplit('/').next().unwrap().to_owned()
}

async fn verify(app: &TestApp, payload: &str) -> Value {
    app.verify_certificate(payload).await
}

#[tokio::test]
async fn an_annulled_or_corrected_certificate_says_so_as_soon_as_the_change_answers() {
    let app = spawn_app().await;
    let ie = ie(&app).await;
    let first = issued(&app, &ie).await;
    // Verified once: from now on this server answers it from memory.
    let before = verify(&app, &payload(&first)).await;
    assert_eq!(before["status"], "vigente", "{before}");
    assert_eq!(before["valid"], true);

    let (status, _) = app
        .post(
            &format!("/certificates/{}/annul", first["id"]),
            &ie.token,
            json!({"reason": "Emitido por error", "category": "error_de_emision"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let after = verify(&app, &payload(&first)).await;
    assert_eq!(after["status"], "anulado", "{after}");
    assert_eq!(after["valid"], false);
    assert_eq!(after["reason_code"], "annulled");
    assert_eq!(after["annul_reason"], "Emitido por error");

    let second = issued(&app, &ie).await;
    assert_eq!(verify(&app, &payload(&second)).await["status"], "vigente");
    let (status, corrected) = app
        .post(
            &format!("/certificates/{}/correct", second["id"]),
            &ie.token,
            json!({"reason": "Grado mal escrito"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{corrected}");
    let replaced = verify(&app, &payload(&second)).await;
    assert_eq!(replaced["status"], "reemplazado", "{replaced}");
    assert_eq!(replaced["superseded_by"], corrected["virtual_code"]);
    assert_eq!(
        verify(&app, &payload(&corrected)).await["status"],
        "vigente"
    );
}

#[tokio::test]
async fn another_server_sees_an_annulment_within_its_refresh_period() {
    let app = spawn_app().await;
    let other = spawn_instance(&app, |c| c.certificates.status_refresh_secs = 1).await;
    let ie = ie(&app).await;
    let certificate = issued(&app, &ie).await;
    let payload = payload(&certificate);
    assert_eq!(verify(&other, &payload).await["status"], "vigente");

    let (status, _) = app
        .post(
            &format!("/certificates/{}/annul", certificate["id"]),
            &ie.token,
            json!({"reason": "Duplicado", "category": "duplicado"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(verify(&app, &payload).await["status"], "anulado");
    let started = Instant::now();
    loop {
        let seen = verify(&other, &payload).await;
        if seen["status"] == "anulado" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the other server still says {seen}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn every_answered_verification_is_already_in_the_audit_trail() {
    let app = spawn_app().await;
    let ie = ie(&app).await;
    let certificate = issued(&app, &ie).await;
    let payload = payload(&certificate);
    // Verifications at once share a transaction; each is answered after it commits.
    let url = app.url(&format!("/certificates/verify?payload={payload}"));
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (client, url) = (app.client.clone(), url.clone());
            tokio::spawn(async move {
                let answer: Value = client.get(url).send().await.unwrap().json().await.unwrap();
                answer["status"] == "vigente"
            })
        })
        .collect();
    for task in tasks {
        assert!(task.await.unwrap());
    }
    let written = app
        .scalar(&format!(
            "SELECT CAST(COUNT(*) AS TEXT) FROM audit_event \
             WHERE action = 'certificate_verified' AND entity_id = {} AND school_id = {}",
            certificate["id"], ie.school
        ))
        .await;
    assert_eq!(written.as_deref(), Some("20"));
}

/// A published list, and the same asked again with its entity tag.
async fn fetched_twice(app: &TestApp, path: &str) -> (String, StatusCode) {
    let url = format!("{}{path}", app.address);
    let first = app.client.get(&url).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let etag = first.headers()[header::ETAG].to_str().unwrap().to_owned();
    let again = app
        .client
        .get(&url)
        .header(header::IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    let status = again.status();
    assert!(again.bytes().await.unwrap().is_empty());
    (etag, status)
}

#[tokio::test]
async fn the_published_lists_are_not_sent_again_to_a_verifier_that_holds_them() {
    let app = spawn_app().await;
    let keys = "/.well-known/siagie-certificate-keys";
    let status_list = "/.well-known/siagie-certificate-status";
    let (_, status) = fetched_twice(&app, keys).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    let (etag, status) = fetched_twice(&app, status_list).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);

    // Once a certificate is annulled, the tag held no longer matches: the new list is sent.
    let ie = ie(&app).await;
    let certificate = issued(&app, &ie).await;
    let (status, _) = app
        .post(
            &format!("/certificates/{}/annul", certificate["id"]),
            &ie.token,
            json!({"reason": "Duplicado", "category": "duplicado"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let response = app
        .client
        .get(format!("{}{status_list}", app.address))
        .header(header::IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_ne!(response.headers()[header::ETAG].to_str().unwrap(), etag);
    let list: Value = response.json().await.unwrap();
    assert_eq!(
        list["entries"][0]["virtual_code"],
        certificate["virtual_code"]
    );
    assert_eq!(list["entries"][0]["status"], "annulled");
}
