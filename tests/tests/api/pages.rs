//! Pages people open from an e-mail, in a real browser with JavaScript turned off.

use reqwest::{Method, StatusCode};
use serde_json::json;
use tests::{TestApp, browser::Browser, read, smtp::Received, spawn_app};

/// Asks for a reset link for an account and answers the link's path and query, on this server.
async fn reset_link(app: &TestApp, username: &str, email: &str) -> String {
    let (status, _) = read(
        app.request(Method::POST, "/auth/password-reset", None)
            .json(&json!({"username": username}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    app.wait_until_queued(email).await;
    let mail = Received::from_raw(app.mail_to(email).await.into_bytes()).text();
    let link = mail
        .split_whitespace()
        .find(|w| w.contains("/restablecer-contrasena?token="))
        .unwrap_or_else(|| panic!("a link in {mail}"));
    let path = &link[link.find("/restablecer-contrasena").unwrap()..];
    format!("{}{path}", app.address)
}

#[tokio::test]
async fn the_reset_link_opens_a_page_where_the_person_sets_a_new_password() {
    let app = spawn_app().await;
    let link = reset_link(&app, "director.demo", "director.demo@siagie.local").await;
    let Some(browser) = Browser::start().await else {
        return;
    };
    browser.open(&link).await;
    let text = browser.text_with("Nueva contraseña").await;
    assert!(text.contains("Nueva contraseña"), "{text}");

    // Two different passwords: the page says so and keeps the form.
    browser.type_into("#new_password", "Huamantanga.2026").await;
    browser
        .type_into("#confirm_password", "Huamantanga.2027")
        .await;
    browser.click("button[type=submit]").await;
    let text = browser.text_with("no coinciden").await;
    assert!(text.contains("no coinciden"), "{text}");

    // A password containing the username is refused on the page too.
    browser
        .type_into("#new_password", "director.demo2026")
        .await;
    browser
        .type_into("#confirm_password", "director.demo2026")
        .await;
    browser.click("button[type=submit]").await;
    let text = browser.text_with("no puede contener").await;
    assert!(
        text.contains("no puede contener su nombre de usuario"),
        "{text}"
    );

    browser.type_into("#new_password", "Huamantanga.2026").await;
    browser
        .type_into("#confirm_password", "Huamantanga.2026")
        .await;
    browser.click("button[type=submit]").await;
    let text = browser.text_with("Contraseña actualizada").await;
    assert!(text.contains("Contraseña actualizada"), "{text}");
    browser
        .screenshot(&app.data_dir.join("restablecer-contrasena.png"))
        .await;
    let (status, _) = read(
        app.login_response("director.demo", "Huamantanga.2026")
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "the new password works");

    // The link works once.
    browser.open(&link).await;
    let text = browser.text_with("Enlace no válido").await;
    assert!(text.contains("Enlace no válido"), "{text}");
    browser.quit().await;
}
