//! A person's browser without JavaScript, for the console's tests: a cookie jar, forms sent as a
//! browser sends them, no redirect followed by itself.

use std::collections::HashMap;

use reqwest::{Client, Method, StatusCode, header, multipart, redirect::Policy};

use crate::TestApp;

/// A person's browser: keeps the cookies the server sets, follows no redirect by itself.
pub struct Visitor {
    client: Client,
    pub base: String,
    pub cookies: HashMap<String, String>,
}

/// A page as it arrived.
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub set_cookies: Vec<String>,
    pub headers: header::HeaderMap,
    pub html: String,
}

impl Visitor {
    pub fn new(app: &TestApp) -> Self {
        Self {
            client: Client::builder()
                .redirect(Policy::none())
                .build()
                .expect("a client"),
            base: app.address.clone(),
            cookies: HashMap::new(),
        }
    }

    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        form: Option<&[(&str, &str)]>,
    ) -> Page {
        let mut request = self.request(method, path);
        if let Some(form) = form {
            let body: String = form
                .iter()
                .map(|(k, v)| format!("{k}={}", encode(v)))
                .collect::<Vec<_>>()
                .join("&");
            request = request
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(body);
        }
        let response = request.send().await.expect("an answer");
        self.read(response).await
    }

    /// A request with the cookies kept so far.
    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let request = self.client.request(method, format!("{}{path}", self.base));
        if self.cookies.is_empty() {
            return request;
        }
        let jar: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        request.header(header::COOKIE, jar.join("; "))
    }

    /// Reads an answer: keeps the cookies it sets (or deletes), and the page.
    async fn read(&mut self, response: reqwest::Response) -> Page {
        let set_cookies: Vec<String> = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect();
        for line in &set_cookies {
            let pair = line.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                if value.is_empty() || line.contains("Max-Age=0") {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_owned(), value.to_owned());
                }
            }
        }
        Page {
            status: response.status(),
            location: response
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            set_cookies,
            headers: response.headers().clone(),
            html: response.text().await.unwrap_or_default(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        self.send(Method::GET, path, None).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        self.send(Method::POST, path, Some(form)).await
    }

    /// A demo account signed in to the console through its form, at its home, with the session's
    /// form token.
    pub async fn signed_in(app: &TestApp, username: &str) -> (Self, String) {
        let mut visitor = Self::new(app);
        let home = visitor.sign_in(username, crate::DEMO_PASSWORD).await;
        assert_eq!(home.status, StatusCode::SEE_OTHER, "{username} signs in");
        let home = visitor.get("/consola").await;
        let csrf = hidden(&home.html, "csrf");
        (visitor, csrf)
    }

    /// Opens the sign-in page and sends it with these credentials.
    pub async fn sign_in(&mut self, username: &str, password: &str) -> Page {
        let form = self.get("/consola/ingresar").await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.html);
        let csrf = hidden(&form.html, "csrf");
        self.post(
            "/consola/ingresar",
            &[
                ("csrf", &csrf),
                ("username", username),
                ("password", password),
            ],
        )
        .await
    }
}

/// Who opens which console page, as the authorization matrix does for the API: each demo
/// account's status for each page (in the order of `pages`), and without a session the way to the
/// sign-in page that comes back to the page. Answers each cell that differs, in words.
pub async fn page_matrix<const N: usize>(
    app: &TestApp,
    pages: &[String; N],
    expected: &[(&str, [u16; N])],
) -> Vec<String> {
    let mut wrong = Vec::new();
    for (username, statuses) in expected {
        let (visitor, _) = &mut Visitor::signed_in(app, username).await;
        for (path, want) in pages.iter().zip(statuses) {
            let got = visitor.get(path).await.status.as_u16();
            if got != *want {
                wrong.push(format!("{username} {path}: {got}, expected {want}"));
            }
        }
    }
    let mut nobody = Visitor::new(app);
    for path in pages {
        let page = nobody.get(path).await;
        // To sign in, and back to the page once signed in (the home needs no way back).
        let back = match path.as_str() {
            "/consola" => "/consola/ingresar".to_owned(),
            path => format!("/consola/ingresar?siguiente={}", encode(path)),
        };
        if page.status != StatusCode::SEE_OTHER || page.location.as_deref() != Some(back.as_str()) {
            wrong.push(format!("without a session {path}: {}", page.status));
        }
    }
    wrong
}

pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The value of a page's hidden field.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no field {name} in {html}"))
        + marker.len();
    html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

impl Visitor {
    /// Sends a `multipart/form-data` form (fields and files), as a browser sends a form with a
    /// file input named `attachment`.
    pub async fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        files: Vec<(&str, Vec<u8>)>,
    ) -> Page {
        let files = files
            .into_iter()
            .map(|(name, bytes)| ("attachment", name, bytes))
            .collect();
        self.post_files(path, fields, files).await
    }

    /// Sends a `multipart/form-data` form: its fields first, then each file as (input's name,
    /// file's name, content).
    pub async fn post_files(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        files: Vec<(&str, &str, Vec<u8>)>,
    ) -> Page {
        let mut form = multipart::Form::new();
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        for (input, name, bytes) in files {
            form = form.part(
                input.to_owned(),
                multipart::Part::bytes(bytes).file_name(name.to_owned()),
            );
        }
        let response = self
            .request(Method::POST, path)
            .multipart(form)
            .send()
            .await
            .expect("an answer");
        self.read(response).await
    }

    /// The page a redirect leads to (the 303 after a form), read.
    pub async fn follow(&mut self, page: &Page) -> Page {
        let location = page.location.clone().expect("a redirect");
        self.get(&location).await
    }
}
