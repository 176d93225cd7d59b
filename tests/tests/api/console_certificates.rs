//! Certificates in the console: a section's graduates issued in one step and printed in one
//! PDF, a certificate annulled from its page, a request rejected from its page, and nothing of
//! another IE reachable by its address.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::{TestApp, browser::Browser, demo, spawn_app, visitor::Visitor};

/// Bolognesi's fifth year of 2020: 25 graduates whose five years are in closed actas.
async fn graduates(app: &TestApp) -> (i64, i64) {
    let director = app.login_as("secundaria.demo").await;
    let school = app.school_id(&director, demo::BOLOGNESI).await;
    let (_, sections) = app
        .get(&format!("/schools/{school}/sections?year=2020"), &director)
        .await;
    (school, sections[0]["id"].as_i64().unwrap())
}

/// The `href` of the first link whose text starts with `text`.
fn link(html: &str, text: &str) -> Option<String> {
    let end = html.find(&format!("\">{text}"))?;
    let start = html[..end].rfind("href=\"")? + 6;
    Some(html[start..end].replace("&amp;", "&"))
}

#[tokio::test]
async fn a_section_is_issued_in_one_step_printed_in_one_pdf_and_a_certificate_annulled() {
    let app = spawn_app().await;
    let (school, fifth) = graduates(&app).await;
    let (director, csrf) = &mut Visitor::signed_in(&app, "secundaria.demo").await;
    let home = director.get("/consola").await;
    assert!(
        home.html.contains("href=\"/consola/certificados\""),
        "{}",
        home.html
    );
    let page = director
        .get(&format!("/consola/certificados/secciones/{fifth}"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let ticked: Vec<String> = page
        .html
        .split("name=\"student\" value=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_owned())
        .collect();
    assert_eq!(ticked.len(), 25, "every graduate is ready");
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend(ticked.iter().map(|id| ("student", id.as_str())));
    let issued = director
        .post(
            &format!("/consola/certificados/secciones/{fifth}/emitir"),
            &form,
        )
        .await;
    assert_eq!(issued.status, StatusCode::OK, "{}", issued.html);
    let pdf_path = link(&issued.html, "Descargar todos en un PDF").expect("the batch's PDF");
    let pdf = director.get(&pdf_path).await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.headers["content-type"], "application/pdf");
    let certificate = issued
        .html
        .split("<li><a href=\"/consola/certificados/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let certificate_page = format!("/consola/certificados/{certificate}");

    // Another IE's director reaches neither the certificate, its PDF, the batch nor the section.
    let (other, other_csrf) = &mut Visitor::signed_in(&app, "jaen.demo").await;
    for path in [
        certificate_page.clone(),
        format!("{certificate_page}/certificado.pdf"),
        pdf_path.clone(),
        format!("/consola/certificados/secciones/{fifth}"),
        format!("/consola/certificados?ie={school}"),
    ] {
        let status = other.get(&path).await.status;
        assert!(
            status == StatusCode::NOT_FOUND || status == StatusCode::FORBIDDEN,
            "{path}: {status}"
        );
    }
    let annulled = other
        .post(
            &format!("{certificate_page}/anular"),
            &[
                ("csrf", other_csrf),
                ("category", "fraude"),
                ("reason", "Intento ajeno de anular."),
            ],
        )
        .await;
    assert_eq!(annulled.status, StatusCode::NOT_FOUND);

    // The issuer annuls it from its page; the certificate then says so, and so does the API.
    let page = director.get(&certificate_page).await;
    assert!(page.html.contains("Vigente"), "{}", page.html);
    let annulled = director
        .post(
            &format!("{certificate_page}/anular"),
            &[
                ("csrf", csrf),
                ("category", "datos_incorrectos"),
                ("reason", "El segundo apellido está mal escrito."),
            ],
        )
        .await;
    assert_eq!(annulled.status, StatusCode::SEE_OTHER, "{}", annulled.html);
    let page = director.follow(&annulled).await;
    assert!(page.html.contains("Anulado"), "{}", page.html);
    let token = app.login_as("secundaria.demo").await;
    let (_, view) = app
        .get(&format!("/certificates/{certificate}"), &token)
        .await;
    assert_eq!(view["status"], "annulled");
}

#[tokio::test]
async fn a_request_is_read_and_rejected_from_its_page() {
    let app = spawn_app().await;
    let token = app.login_as("director.demo").await;
    let school = app.school_id(&token, demo::PRIMARIA).await;
    let section = app.sections(&token, school).await[0]["id"]
        .as_i64()
        .unwrap();
    let (_, roster) = app
        .get(&format!("/sections/{section}/students"), &token)
        .await;
    let dni = roster[0]["dni"].as_str().unwrap();
    let year = json!({"year": 2012, "grade": "1.º", "codigo_modular": "0412345-0", "situation": "promovido",
        "areas": [{"area": "Matemática", "scale": "literal", "value": "A"}]});
    let (status, request) = app
        .post(
            "/certificate-requests",
            &token,
            json!({"school_id": school, "document": dni, "years": [year]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    let id = request["id"].as_i64().unwrap();

    let (director, csrf) = &mut Visitor::signed_in(&app, "director.demo").await;
    let pending = director.get("/consola/pendientes").await;
    assert!(
        pending.html.contains("1 solicitud de certificado espera"),
        "{}",
        pending.html
    );
    let list = director.get("/consola/certificados").await;
    let page_path = format!("/consola/certificados/solicitudes/{id}");
    assert!(
        list.html.contains(&format!("href=\"{page_path}\"")),
        "{}",
        list.html
    );
    let page = director.get(&page_path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("Falta antes de emitir"), "{}", page.html);
    assert!(
        !page.html.contains("Emitir el certificado"),
        "incomplete: not issuable"
    );
    assert!(
        !page.html.contains("vista-previa"),
        "nothing to preview yet"
    );

    let rejected = director
        .post(
            &format!("{page_path}/rechazar"),
            &[
                ("csrf", csrf),
                ("reason", "El estudiante no cursó estudios en esta IE."),
            ],
        )
        .await;
    assert_eq!(rejected.status, StatusCode::SEE_OTHER, "{}", rejected.html);
    let (_, view) = app
        .get(&format!("/certificate-requests/{id}"), &token)
        .await;
    assert_eq!(view["status"], "rejected");
    let list = director.get("/consola/certificados?ver=rechazadas").await;
    assert!(list.html.contains("no cursó estudios"), "{}", list.html);

    // A teacher has no certificates to issue.
    let (teacher, _) = &mut Visitor::signed_in(&app, "docente.demo").await;
    assert_eq!(
        teacher.get("/consola/certificados").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(teacher.get(&page_path).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_director_issues_a_sections_certificates_and_downloads_the_batch_in_a_browser() {
    let app = spawn_app().await;
    let (_, fifth) = graduates(&app).await;
    let Some(browser) = Browser::start_with_scripts().await else {
        return;
    };
    browser.sign_in(&app, "secundaria.demo").await;
    browser
        .open(&format!(
            "{}/consola/certificados/secciones/{fifth}",
            app.address
        ))
        .await;
    browser
        .text_with("Estudiantes y el estado de su certificado")
        .await;
    let violations = browser.serious_accessibility_violations().await;
    browser.click("main form button[type=submit]").await;
    browser.text_with("Descargar todos en un PDF").await;
    // The batch's PDF, fetched as the browser would download it (its session, same origin).
    let answer: Value = browser
        .execute(
            "var a = [...document.querySelectorAll('a')].find(a => a.textContent.startsWith('Descargar todos'));\
             var x = new XMLHttpRequest(); x.open('GET', a.href, false); x.send();\
             return [x.status, x.getResponseHeader('content-type'), x.responseText.length];",
        )
        .await;
    browser.quit().await;
    assert_eq!(answer[0], 200, "{answer}");
    assert_eq!(answer[1], "application/pdf");
    assert!(answer[2].as_u64().unwrap() > 10_000, "{answer}");
    assert!(violations.is_empty(), "{violations:?}");
}

#[tokio::test]
async fn a_students_record_is_read_by_its_director_and_not_found_elsewhere() {
    let app = spawn_app().await;
    let (_, fifth) = graduates(&app).await;
    let token = app.login_as("secundaria.demo").await;
    let (_, roster) = app
        .get(&format!("/sections/{fifth}/students"), &token)
        .await;
    let dni = roster[0]["dni"].as_str().unwrap().to_owned();
    let (director, _) = &mut Visitor::signed_in(&app, "secundaria.demo").await;
    let page = director
        .get(&format!("/consola/estudiantes?documento={dni}"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert_eq!(
        page.html.matches("<h3 id=\"y").count(),
        5,
        "five closed years"
    );
    assert!(page.html.contains("Promovido"), "{}", page.html);
    let (other, _) = &mut Visitor::signed_in(&app, "jaen.demo").await;
    let page = other
        .get(&format!("/consola/estudiantes?documento={dni}"))
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(!page.html.contains("<h3 id=\"y"), "{}", page.html);
}

/// The inputs of the areas of a form's page: (name, literal scale).
fn area_inputs(html: &str) -> Vec<(String, bool)> {
    html.split("<input id=\"a")
        .skip(1)
        .map(|rest| {
            let name = format!("a{}", rest.split('"').next().unwrap());
            (name, rest.split('>').next().unwrap().contains("AD|A|B|C"))
        })
        .collect()
}

#[tokio::test]
async fn a_certificate_is_typed_in_a_year_at_a_time_with_the_areas_of_its_curriculum() {
    let app = spawn_app().await;
    let token = app.login_as("director.demo").await;
    let school = app.school_id(&token, demo::PRIMARIA).await;
    let section = app.sections(&token, school).await[0]["id"]
        .as_i64()
        .unwrap();
    let (_, roster) = app
        .get(&format!("/sections/{section}/students"), &token)
        .await;
    let dni = roster[0]["dni"].as_str().unwrap().to_owned();
    let (director, csrf) = &mut Visitor::signed_in(&app, "director.demo").await;
    let mut request: Option<i64> = None;
    for (year, grade) in [(2012, "1.º"), (2013, "2.º")] {
        let mut query = format!(
            "/consola/certificados/nueva?anio={year}&nivel=primaria&grado={}&codigo=0412345-0&situacion=promovido",
            tests::visitor::encode(grade)
        );
        match request {
            None => query.push_str(&format!("&documento={dni}")),
            Some(id) => query.push_str(&format!("&solicitud={id}")),
        }
        let step = director.get(&query).await;
        assert_eq!(step.status, StatusCode::OK, "{}", step.html);
        let inputs = area_inputs(&step.html);
        assert!(inputs.len() >= 4, "the curriculum's areas: {}", step.html);
        let mut form: Vec<(String, String)> = vec![
            ("csrf".into(), csrf.clone()),
            ("anio".into(), year.to_string()),
            ("nivel".into(), "primaria".into()),
            ("grado".into(), grade.into()),
            ("codigo".into(), "0412345-0".into()),
            ("situacion".into(), "promovido".into()),
        ];
        match request {
            None => form.push(("documento".into(), dni.clone())),
            Some(id) => form.push(("solicitud".into(), id.to_string())),
        }
        for (name, literal) in inputs {
            form.push((name, if literal { "A".into() } else { "14".into() }));
        }
        let fields: Vec<(&str, &str)> =
            form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let saved = director.post("/consola/certificados/nueva", &fields).await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
        let id: i64 = saved
            .location
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        request = Some(id);
    }
    let id = request.unwrap();
    let (_, view) = app
        .get(&format!("/certificate-requests/{id}"), &token)
        .await;
    let years: Vec<i64> = view["years"]
        .as_array()
        .unwrap()
        .iter()
        .map(|y| y["year"].as_i64().unwrap())
        .collect();
    assert_eq!(years, [2012, 2013], "{view}");
    let page = director
        .get(&format!("/consola/certificados/solicitudes/{id}"))
        .await;
    assert!(page.html.contains("(transcrito)"), "{}", page.html);
}
