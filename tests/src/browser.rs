//! A real browser for the pages people open from an e-mail: Debian's Chromium, headless and with
//! JavaScript turned off, driven through ChromeDriver's W3C WebDriver protocol (a few JSON calls).

use std::{net::TcpListener, process::Child, time::Duration};

use reqwest::Client;
use serde_json::{Value, json};

/// The W3C key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A browser session; ChromeDriver and the browser end when it is dropped.
pub struct Browser {
    driver: Child,
    client: Client,
    session: String,
}

impl Browser {
    /// Signs in to the console through its form, as a demo account, and waits for the home.
    pub async fn sign_in(&self, app: &crate::TestApp, username: &str) {
        self.open(&format!("{}/consola/ingresar", app.address))
            .await;
        self.type_into("#username", username).await;
        self.type_into("#password", crate::DEMO_PASSWORD).await;
        self.click("main button[type=submit]").await;
        self.text_with("Bienvenido").await;
    }

    /// Signs out of the console with the header's button, and waits for the sign-in form.
    pub async fn sign_out(&self) {
        self.click("header form.person button").await;
        self.text_with("Iniciar sesión").await;
    }

    /// Starts ChromeDriver on a free port and opens a headless Chromium without JavaScript.
    /// Without them installed the test is skipped (it says so), except in CI (`CI` set), where
    /// `.ci/run` installs them and their absence fails the test.
    pub async fn start() -> Option<Browser> {
        Self::launch(false).await
    }

    /// [`Browser::start`] with JavaScript on, for checks that run a script in the page (the
    /// accessibility audit); the pages themselves never need it.
    pub async fn start_with_scripts() -> Option<Browser> {
        Self::launch(true).await
    }

    async fn launch(scripts: bool) -> Option<Browser> {
        let driver_path = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let installed = std::process::Command::new(&driver_path)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !installed {
            assert!(
                std::env::var_os("CI").is_none(),
                "chromedriver is missing: .ci/run installs chromium and chromium-driver"
            );
            eprintln!("skipped: a browser test needs Debian's chromium and chromium-driver");
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let driver = std::process::Command::new(driver_path)
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("chromedriver (Debian's chromium-driver) is installed; .ci/run installs it");
        let client = Client::new();
        let base = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if client.get(format!("{base}/status")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let binary = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let mut args = vec![
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--lang=es-PE",
            "--window-size=1000,900",
        ];
        if !scripts {
            args.push("--blink-settings=scriptEnabled=false");
        }
        let answer: Value = client
            .post(format!("{base}/session"))
            .json(&json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": binary,
                    "args": args
                }
            }}}))
            .send()
            .await
            .expect("a browser session")
            .json()
            .await
            .expect("session answer");
        let session = answer["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {answer}"))
            .to_owned();
        let browser = Browser {
            driver,
            client,
            session: format!("{base}/session/{session}"),
        };
        // Elements are looked for until the page has them (a click may still be loading one).
        browser
            .call(
                reqwest::Method::POST,
                "/timeouts",
                Some(json!({"implicit": 5000})),
            )
            .await;
        Some(browser)
    }

    /// A WebDriver call: its value, or the error it answered.
    async fn try_call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, Value> {
        let request = self
            .client
            .request(method, format!("{}{path}", self.session));
        let request = match body {
            Some(body) => request.json(&body),
            None => request,
        };
        let answer: Value = request
            .send()
            .await
            .expect("webdriver call")
            .json()
            .await
            .expect("webdriver answer");
        if answer["value"]["error"].is_string() {
            Err(answer)
        } else {
            Ok(answer["value"].clone())
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        self.try_call(method, path, body)
            .await
            .unwrap_or_else(|answer| panic!("webdriver {path}: {answer}"))
    }

    /// Opens a URL and waits for the page to load.
    pub async fn open(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await;
    }

    async fn find(&self, css: &str) -> String {
        let found = self
            .call(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {found}"))
            .to_owned()
    }

    /// Types into the field that `css` selects.
    pub async fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/value"),
            Some(json!({"text": text})),
        )
        .await;
    }

    /// Empties the field that `css` selects.
    pub async fn clear(&self, css: &str) {
        let element = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/clear"),
            Some(json!({})),
        )
        .await;
    }

    /// Clicks what `css` selects (a submit button sends its form and the next page loads).
    pub async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/click"),
            Some(json!({})),
        )
        .await;
    }

    /// The text a person sees on the page (read again if the page changed while it was read).
    pub async fn text(&self) -> String {
        for _ in 0..50 {
            let body = self
                .try_call(
                    reqwest::Method::POST,
                    "/element",
                    Some(json!({"using": "css selector", "value": "body"})),
                )
                .await;
            if let Ok(body) = body
                && let Some(id) = body[ELEMENT].as_str()
                && let Ok(text) = self
                    .try_call(reqwest::Method::GET, &format!("/element/{id}/text"), None)
                    .await
            {
                return text.as_str().unwrap_or_default().to_owned();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the page's text could not be read");
    }

    /// The page's text once it shows `needle` (the next page may still be loading after a
    /// click), or after 10 seconds whatever it shows.
    pub async fn text_with(&self, needle: &str) -> String {
        let mut text = String::new();
        for _ in 0..100 {
            text = self.text().await;
            if text.contains(needle) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        text
    }

    /// The serious and critical accessibility violations axe-core (`tests/assets/axe.min.js`)
    /// finds on the open page, each as "rule: how many elements". Needs
    /// [`Browser::start_with_scripts`].
    pub async fn serious_accessibility_violations(&self) -> Vec<String> {
        let axe = include_str!("../assets/axe.min.js");
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": format!("{axe}\nreturn true;"), "args": []})),
        )
        .await;
        let found = self
            .call(
                reqwest::Method::POST,
                "/execute/async",
                Some(
                    json!({"script": "const done = arguments[arguments.length - 1];\
                    axe.run(document, {resultTypes: ['violations']})\
                      .then(r => done(r.violations\
                        .filter(v => v.impact === 'serious' || v.impact === 'critical')\
                        .map(v => v.id + ': ' + v.nodes.length)))\
                      .catch(e => done(['axe failed: ' + e]));", "args": []}),
                ),
            )
            .await;
        found
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_else(|| vec![format!("no answer from axe: {found}")])
    }

    /// Runs a script in the page and answers what it returns (needs
    /// [`Browser::start_with_scripts`]).
    pub async fn execute(&self, script: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
        .await
    }

    /// Sets the window's size in CSS pixels (a phone's: 390 × 844).
    pub async fn resize(&self, width: u32, height: u32) {
        self.call(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        )
        .await;
    }

    /// Emulates a network (Chromium's own throttling): round-trip latency, and download and
    /// upload throughput in kilobits a second.
    pub async fn emulate_network(&self, latency_ms: u64, down_kbps: u64, up_kbps: u64) {
        self.call(
            reqwest::Method::POST,
            "/chromium/network_conditions",
            Some(json!({"network_conditions": {
                "offline": false,
                "latency": latency_ms,
                "download_throughput": down_kbps * 1000 / 8,
                "upload_throughput": up_kbps * 1000 / 8,
            }})),
        )
        .await;
    }

    /// A PNG of the page, to look at.
    pub async fn screenshot(&self, file: &std::path::Path) {
        use base64::Engine;
        let png = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap_or_default())
            .expect("a PNG");
        std::fs::write(file, bytes).expect("screenshot written");
    }
}

impl Browser {
    /// Ends the session (and with it the browser).
    pub async fn quit(self) {
        let _ = self.client.delete(&self.session).send().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
