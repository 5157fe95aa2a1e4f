//! A small W3C WebDriver client for Debian's `chromium` + `chromium-driver`: enough
//! to open pages, fill and click, read text and URLs, and take screenshots.
//!
//! The tests need a real browser; a missing driver is a failure with instructions,
//! never a skipped test.

use serde_json::{Value, json};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
/// Upper bound of any wait: generous, only there so a broken page fails the test.
pub const WAIT: Duration = Duration::from_secs(30);

/// Where the checkout's screenshots go: `$CARGO_TARGET_DIR/test-artifacts/checkout`
/// (else `target/test-artifacts/checkout`). Never committed.
pub fn artifacts_dir() -> PathBuf {
    artifacts_dir_in("checkout")
}

/// `$CARGO_TARGET_DIR/test-artifacts/<sub>` (else `target/test-artifacts/<sub>`).
pub fn artifacts_dir_in(sub: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("test-artifacts").join(sub);
    std::fs::create_dir_all(&dir).expect("artifacts dir");
    dir
}

/// A chromedriver process with one headless Chromium session.
pub struct Browser {
    driver: Child,
    port: u16,
    base: String,
    session: String,
    http: reqwest::Client,
    name: String,
    dir: PathBuf,
    shots: u32,
    _profile: tempfile::TempDir,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

impl Browser {
    /// Starts chromedriver and a headless Chromium with a phone's viewport (390×844). `name` prefixes the
    /// screenshots, written to [`artifacts_dir`].
    pub async fn start(name: &str) -> Browser {
        Self::start_at(artifacts_dir(), name).await
    }

    /// [`Browser::start`], with the screenshots in [`artifacts_dir_in`]`(sub)`.
    pub async fn start_in(sub: &str, name: &str) -> Browser {
        Self::start_at(artifacts_dir_in(sub), name).await
    }

    async fn start_at(dir: PathBuf, name: &str) -> Browser {
        let driver_path = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        for p in [&driver_path, &chromium] {
            assert!(
                std::path::Path::new(p).exists(),
                "{p} is missing: the browser tests need Debian's chromium and chromium-driver \
                 (apt-get install -y chromium chromium-driver; scripts/test installs them when run as root)"
            );
        }
        // Screenshots of an earlier run of this test would mislead.
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().starts_with(&format!("{name}-")) {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
        let port = free_port();
        let driver = Command::new(&driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().expect("client");
        let start = Instant::now();
        loop {
            let ready = async {
                let v: Value = http.get(format!("{base}/status")).send().await.ok()?.json().await.ok()?;
                v["value"]["ready"].as_bool()
            };
            if ready.await == Some(true) {
                break;
            }
            assert!(start.elapsed() < WAIT, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = tempfile::tempdir().expect("profile dir");
        let args = vec![
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--no-default-browser-check".to_owned(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            // The page's console messages (CSP violations among them), for `console_log`.
            "goog:loggingPrefs": {"browser": "ALL"},
            // A phone's viewport (a headless window cannot be narrower than 500px).
            "goog:chromeOptions": {"binary": chromium, "args": args, "mobileEmulation": {
                "deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 2.0, "touch": true}
            }}
        }}});
        let mut b = Browser {
            driver,
            port,
            base,
            session: String::new(),
            http,
            name: name.to_owned(),
            dir,
            shots: 0,
            _profile: profile,
        };
        let v = b.call(reqwest::Method::POST, "/session", Some(caps)).await;
        b.session = v["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {v}")).to_owned();
        b
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("webdriver request");
        let v: Value = resp.json().await.expect("webdriver json");
        v["value"].clone()
    }

    async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let v = self.call(method, &format!("/session/{}{path}", self.session), body).await;
        if let Some(err) = v.get("error") {
            panic!("webdriver {path}: {err} {}", v["message"]);
        }
        v
    }

    /// Opens `url`.
    pub async fn goto(&self, url: &str) {
        self.cmd(reqwest::Method::POST, "/url", Some(json!({"url": url}))).await;
    }

    /// The current URL.
    pub async fn url(&self) -> String {
        self.cmd(reqwest::Method::GET, "/url", None).await.as_str().unwrap_or_default().to_owned()
    }

    /// The page source.
    pub async fn source(&self) -> String {
        self.cmd(reqwest::Method::GET, "/source", None).await.as_str().unwrap_or_default().to_owned()
    }

    async fn find(&self, css: &str) -> Option<String> {
        let v = self
            .call(
                reqwest::Method::POST,
                &format!("/session/{}/element", self.session),
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        v.get(ELEMENT).and_then(Value::as_str).map(str::to_owned)
    }

    /// Waits for an element to exist; fails the test (with a screenshot) if it never does.
    pub async fn wait_for(&mut self, css: &str) -> String {
        let start = Instant::now();
        loop {
            if let Some(id) = self.find(css).await {
                return id;
            }
            if start.elapsed() > WAIT {
                self.screenshot(&format!("missing-{}", css.replace(|c: char| !c.is_alphanumeric(), "_"))).await;
                panic!("{css} never appeared on {}:\n{}", self.url().await, self.source().await);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Whether an element exists now.
    pub async fn exists(&self, css: &str) -> bool {
        self.find(css).await.is_some()
    }

    /// Clicks an element.
    pub async fn click(&mut self, css: &str) {
        let id = self.wait_for(css).await;
        self.cmd(reqwest::Method::POST, &format!("/element/{id}/click"), Some(json!({}))).await;
    }

    /// Types into an input.
    pub async fn type_into(&mut self, css: &str, text: &str) {
        let id = self.wait_for(css).await;
        self.cmd(reqwest::Method::POST, &format!("/element/{id}/clear"), Some(json!({}))).await;
        self.cmd(reqwest::Method::POST, &format!("/element/{id}/value"), Some(json!({"text": text}))).await;
    }

    /// The visible text of an element.
    pub async fn text(&mut self, css: &str) -> String {
        let id = self.wait_for(css).await;
        self.cmd(reqwest::Method::GET, &format!("/element/{id}/text"), None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// An attribute of an element.
    pub async fn attr(&mut self, css: &str, name: &str) -> String {
        let id = self.wait_for(css).await;
        self.cmd(reqwest::Method::GET, &format!("/element/{id}/attribute/{name}"), None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Waits until the URL satisfies `pred`; returns it.
    pub async fn wait_url(&mut self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let u = self.url().await;
            if pred(&u) {
                return u;
            }
            if start.elapsed() > WAIT {
                self.screenshot("url-timeout").await;
                panic!("never reached {what}; at {u}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Saves a screenshot as `<name>-<n>-<step>.png` under [`artifacts_dir`].
    pub async fn screenshot(&mut self, step: &str) -> PathBuf {
        use base64::Engine;
        self.shots += 1;
        let v = self.call(reqwest::Method::GET, &format!("/session/{}/screenshot", self.session), None).await;
        let png = base64::engine::general_purpose::STANDARD.decode(v.as_str().unwrap_or_default()).expect("png");
        assert!(png.starts_with(b"\x89PNG"), "screenshot is a PNG");
        let path = self.dir.join(format!("{}-{:02}-{step}.png", self.name, self.shots));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    /// Saves a screenshot of the whole page (not only the viewport, at most 8000 CSS
    /// pixels tall) as `<name>-<n>-<step>.png` under the browser's folder.
    pub async fn screenshot_full(&mut self, step: &str) -> PathBuf {
        use base64::Engine;
        self.shots += 1;
        let cdp = |cmd: &str, params: Value| json!({"cmd": cmd, "params": params});
        let size =
            self.execute("return [document.documentElement.scrollWidth, document.documentElement.scrollHeight];").await;
        let (w, h) = (size[0].as_f64().unwrap_or(1.0), size[1].as_f64().unwrap_or(1.0).min(8000.0));
        let shot = self
            .cmd(
                reqwest::Method::POST,
                "/goog/cdp/execute",
                Some(cdp(
                    "Page.captureScreenshot",
                    json!({"format": "png", "captureBeyondViewport": true,
                           "clip": {"x": 0, "y": 0, "width": w, "height": h, "scale": 1}}),
                )),
            )
            .await;
        let png =
            base64::engine::general_purpose::STANDARD.decode(shot["data"].as_str().unwrap_or_default()).expect("png");
        assert!(png.starts_with(b"\x89PNG"), "screenshot is a PNG");
        let path = self.dir.join(format!("{}-{:02}-{step}.png", self.name, self.shots));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    /// A DOM property of an element.
    pub async fn property(&mut self, css: &str, name: &str) -> Value {
        let id = self.wait_for(css).await;
        self.cmd(reqwest::Method::GET, &format!("/element/{id}/property/{name}"), None).await
    }

    /// Sets the viewport to `width`×`height` CSS pixels (a phone's, touch and
    /// `device-width`, below 500 px; a desktop's above), for the pages that follow too.
    pub async fn set_viewport(&self, width: u32, height: u32) {
        let mobile = width < 500;
        let params = json!({
            "width": width, "height": height, "deviceScaleFactor": if mobile { 2 } else { 1 }, "mobile": mobile,
        });
        self.cmd(
            reqwest::Method::POST,
            "/goog/cdp/execute",
            Some(json!({"cmd": "Emulation.setDeviceMetricsOverride", "params": params})),
        )
        .await;
        self.cmd(
            reqwest::Method::POST,
            "/goog/cdp/execute",
            Some(json!({"cmd": "Emulation.setTouchEmulationEnabled", "params": {"enabled": mobile}})),
        )
        .await;
    }

    /// The page's console messages since the last call (`level`, `message`), e.g. the
    /// browser's reports of Content-Security-Policy violations.
    pub async fn console_log(&self) -> Vec<Value> {
        let v = self.cmd(reqwest::Method::POST, "/se/log", Some(json!({"type": "browser"}))).await;
        v.as_array().cloned().unwrap_or_default()
    }

    /// Waits until `script` (a function body) returns `true`; fails the test (with a
    /// screenshot) if it never does.
    pub async fn wait_true(&mut self, what: &str, script: &str) {
        let start = Instant::now();
        loop {
            if self.execute(script).await == Value::Bool(true) {
                return;
            }
            if start.elapsed() > WAIT {
                self.screenshot("wait-timeout").await;
                panic!("never true: {what}, on {}:\n{}", self.url().await, self.source().await);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Runs a script in the page (WebDriver's own channel, outside the page's CSP) and
    /// returns its value.
    pub async fn execute(&self, script: &str) -> Value {
        self.cmd(reqwest::Method::POST, "/execute/sync", Some(json!({"script": script, "args": []}))).await
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // End the session (which closes Chromium) with a plain blocking request: no
        // runtime is needed in drop, and a failed test still leaves no browser behind.
        if !self.session.is_empty() {
            if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", self.port)) {
                let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
                let req = format!(
                    "DELETE /session/{} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    self.session, self.port
                );
                if s.write_all(req.as_bytes()).is_ok() {
                    let mut sink = Vec::new();
                    let _ = s.read_to_end(&mut sink);
                }
            }
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
