//! A full disk under the SQLite database: the data directory is a tmpfs of a few MB,
//! filled while orders are being created. Creations then answer HTTP 500 with
//! errorCode 500; nothing is half-written (the database passes `PRAGMA
//! integrity_check` and holds no order whose creation failed); once space returns
//! the same process creates and settles orders again, and delivers their IPNs.

use super::{Node, acknowledged, client, create, is_root, run, settle};
use crate::harness::{Answer, Merchant};
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The tmpfs's size.
const DISK: &str = "8m";
/// Room left next to the filler file when the load starts.
const ROOM: u64 = 256 * 1024;
/// At most this many creations to fill the room (a bound, far above what it takes).
const MAX_CREATES: usize = 20_000;
/// The disk counts as full after this many failed creations in a row.
const FULL_AFTER: usize = 20;
/// Whether the drill asserts that `/healthz` answers 503 while the disk is full (and
/// 200 again once space returns): it does, as its check writes a heartbeat.
const HEALTHZ_REPORTS_FULL_DISK: bool = true;

/// A tmpfs mounted for the drill, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path) -> Tmpfs {
        std::fs::create_dir_all(at).expect("mount point");
        run(Command::new("mount").args(["-t", "tmpfs", "-o", &format!("size={DISK}"), "tmpfs"]).arg(at));
        Tmpfs(at.to_path_buf())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let ok = Command::new("umount").arg(&self.0).status().is_ok_and(|s| s.success());
        if !ok {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
}

/// Writes zeros to `path` until the filesystem is full, then gives `room` bytes back.
fn fill(path: &Path, room: u64) {
    let mut f = std::fs::File::create(path).expect("filler file");
    let chunk = vec![0u8; 64 * 1024];
    loop {
        match f.write(&chunk) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.raw_os_error() == Some(28) => break, // ENOSPC
            Err(e) => panic!("filling the disk: {e}"),
        }
    }
    let len = f.metadata().expect("filler size").len();
    f.set_len(len.saturating_sub(room)).expect("give room back");
}

async fn healthz(http: &reqwest::Client, base: &str) -> u16 {
    http.get(format!("{base}/healthz")).send().await.map_or(0, |r| r.status().as_u16())
}

/// The creations so far: acknowledged and failed orderIds.
struct Load {
    http: reqwest::Client,
    base: String,
    notify: String,
    next: usize,
    acked: Vec<String>,
    failed: Vec<String>,
}

impl Load {
    /// Creates one more order; `true` when acknowledged. A creation that fails must
    /// answer HTTP 500 with errorCode 500.
    async fn try_create(&mut self) -> bool {
        self.next += 1;
        let order_id = format!("disk-{}", self.next);
        let answer = create(&self.http, &self.base, &order_id, &self.notify).await;
        if acknowledged(&answer).is_some() {
            self.acked.push(order_id);
            return true;
        }
        let (status, v) = answer.unwrap_or_else(|| panic!("creation {order_id} got no HTTP answer"));
        assert!(status == 500 && v["errorCode"] == 500, "a creation on a full disk answered {status}: {v}");
        self.failed.push(order_id);
        false
    }

    /// Creates orders until FULL_AFTER in a row failed.
    async fn until_full(&mut self) {
        let mut in_a_row = 0;
        while in_a_row < FULL_AFTER {
            assert!(self.next < MAX_CREATES, "the disk never filled: {} orders created", self.acked.len());
            in_a_row = if self.try_create().await { 0 } else { in_a_row + 1 };
        }
    }

    /// Creates orders until one is acknowledged (bounded).
    async fn until_recovered(&mut self, node: &Node) {
        let end = Instant::now() + Duration::from_secs(60);
        while !self.try_create().await {
            assert!(Instant::now() < end, "no creation succeeded within 60 s of space returning: {}", node.log());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The database after the drill: intact, every acknowledged order in it, none of
/// the failed ones.
fn check_database(db_file: &Path, load: &Load) {
    let db = rusqlite::Connection::open(db_file).expect("open the database");
    let check: String = db.query_row("PRAGMA integrity_check", [], |r| r.get(0)).expect("integrity_check");
    assert_eq!(check, "ok", "integrity_check after the full disk");
    let mut stmt = db.prepare("SELECT order_id FROM orders").expect("prepare");
    let stored: HashSet<String> =
        stmt.query_map([], |r| r.get(0)).expect("orders").collect::<Result<_, _>>().expect("order ids");
    for o in &load.acked {
        assert!(stored.contains(o), "acknowledged order {o} is missing");
    }
    let half: Vec<&String> = load.failed.iter().filter(|o| stored.contains(*o)).collect();
    assert!(half.is_empty(), "orders whose creation failed are stored: {half:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "drill: mounts a tmpfs (root); run by scripts/test"]
async fn full_disk_answers_500_writes_nothing_half_and_recovers_sqlite() {
    assert!(is_root(), "the full-disk drill mounts a tmpfs: run it as root (scripts/test does)");
    let dir = tempfile::tempdir().expect("tempdir");
    let disk = Tmpfs::mount(&dir.path().join("disk"));
    let data = disk.0.join("data");
    std::fs::create_dir_all(&data).expect("data dir");
    let merchant = Merchant::start(vec![], Answer::Ok).await;
    let http = client();
    let env = [("APPOTAPAY_DATA_DIR", data.display().to_string())];
    let mut node = Node::start(&http, &dir.path().join("gateway.log"), &env).await;
    let mut load = Load {
        http: http.clone(),
        base: node.base.clone(),
        notify: merchant.url.clone(),
        next: 0,
        acked: Vec::new(),
        failed: Vec::new(),
    };

    // Orders in, then the disk filled up to ROOM, then orders until it is full.
    for _ in 0..20 {
        assert!(load.try_create().await, "creation before the disk filled: {:?}", load.failed);
    }
    let filler = disk.0.join("filler");
    fill(&filler, ROOM);
    let filling = Instant::now();
    load.until_full().await;
    let filled_in = filling.elapsed();
    let failed_while_full = load.failed.len();
    let health_full = healthz(&http, &node.base).await;
    if HEALTHZ_REPORTS_FULL_DISK {
        assert_eq!(health_full, 503, "/healthz on a full disk");
    }
    node.assert_alive();

    // Space returns: the same process recovers.
    std::fs::remove_file(&filler).expect("remove the filler");
    let freed = Instant::now();
    load.until_recovered(&node).await;
    let recovered_in = freed.elapsed();
    for _ in 0..20 {
        assert!(load.try_create().await, "creation after recovery failed");
    }
    let answer = create(&http, &node.base, "disk-settle", &merchant.url).await;
    let tid = acknowledged(&answer).unwrap_or_else(|| panic!("creation to settle: {answer:?}"));
    let settled = settle(&http, &node.base, &tid).await;
    assert!(matches!(&settled, Some((200, v)) if v["errorCode"] == 0), "settling after recovery: {settled:?}");
    let ipn = merchant.wait_for(1, Duration::from_secs(30)).await;
    assert!(ipn.iter().any(|r| r.body["appotapayTransId"] == tid.as_str()), "no IPN after recovery: {ipn:?}");
    let health_after = healthz(&http, &node.base).await;
    assert_eq!(health_after, 200, "/healthz once space returned");
    node.assert_alive();
    node.stop().await;

    check_database(&data.join("gateway.db"), &load);
    println!(
        "full-disk drill: tmpfs {DISK}, {} KiB left for orders; full after {:.1}s; creations acknowledged {}, \
         answered 500 {} ({failed_while_full} while full, the rest while space returned); /healthz while full \
         {health_full}, after {health_after}; first creation {:.2}s after space returned; integrity_check ok",
        ROOM / 1024,
        filled_in.as_secs_f64(),
        load.acked.len(),
        load.failed.len(),
        recovered_in.as_secs_f64()
    );
    drop(disk);
}
