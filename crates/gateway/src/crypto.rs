//! Keys held by the gateway: the master key encrypting partners' secret keys at rest
//! (XChaCha20-Poly1305, the partner code as associated data so a ciphertext cannot be
//! moved to another partner), and the key signing payment links, derived from it.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use std::path::Path;

/// The gateway's keys. `Debug` shows nothing.
#[derive(Clone)]
pub struct Keys {
    master: [u8; 32],
    link: [u8; 32],
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(***)")
    }
}

/// A key or ciphertext problem.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The master key file cannot be read or written.
    #[error("master key file {0}: {1}")]
    File(String, String),
    /// Not 64 hex digits.
    #[error("the master key is not 64 hexadecimal digits")]
    Format,
    /// A stored secret does not decrypt under this master key.
    #[error("a stored secret does not decrypt: wrong master key?")]
    Decrypt,
}

impl Keys {
    /// Keys from a 32-byte master key.
    pub fn from_master(master: [u8; 32]) -> Keys {
        let link = appotapay_protocol::signing::hmac_bytes(&master, b"appotapay-gateway payment-link v1");
        Keys { master, link }
    }

    /// Keys from 64 hex digits.
    pub fn from_hex(hex_key: &str) -> Result<Keys, KeyError> {
        let mut m = [0u8; 32];
        hex::decode_to_slice(hex_key.trim(), &mut m).map_err(|_| KeyError::Format)?;
        Ok(Keys::from_master(m))
    }

    /// The configured key, or (sandbox) the one in `<data_dir>/master.key`, created
    /// with fresh random bytes on first use.
    pub fn load_or_create(configured: Option<&str>, data_dir: &Path) -> Result<Keys, KeyError> {
        if let Some(k) = configured {
            return Keys::from_hex(k);
        }
        let path = data_dir.join("master.key");
        let err = |e: std::io::Error| KeyError::File(path.display().to_string(), e.to_string());
        match std::fs::read_to_string(&path) {
            Ok(s) => Keys::from_hex(&s),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                create_private_dir(data_dir).map_err(err)?;
                let mut m = [0u8; 32];
                rand::thread_rng().fill_bytes(&mut m);
                write_private(&path, &hex::encode(m)).map_err(err)?;
                Ok(Keys::from_master(m))
            }
            Err(e) => Err(err(e)),
        }
    }

    /// Encrypts a partner's secret key: 24-byte nonce followed by the ciphertext.
    pub fn seal(&self, partner_code: &str, secret: &str) -> Vec<u8> {
        let cipher = XChaCha20Poly1305::new((&self.master).into());
        let mut nonce = [0u8; 24];
        rand::thread_rng().fill_bytes(&mut nonce);
        let ct = cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: secret.as_bytes(), aad: partner_code.as_bytes() })
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        out
    }

    /// Decrypts what [`Keys::seal`] produced.
    pub fn open(&self, partner_code: &str, sealed: &[u8]) -> Result<String, KeyError> {
        if sealed.len() < 24 + 16 {
            return Err(KeyError::Decrypt);
        }
        let cipher = XChaCha20Poly1305::new((&self.master).into());
        let (nonce, ct) = sealed.split_at(24);
        let pt = cipher
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad: partner_code.as_bytes() })
            .map_err(|_| KeyError::Decrypt)?;
        String::from_utf8(pt).map_err(|_| KeyError::Decrypt)
    }

    /// The key of payment-link signatures.
    pub fn link_key(&self) -> &[u8; 32] {
        &self.link
    }
}

/// Creates `dir` and its missing parents `0700`: the data directory holds the master
/// key and (on SQLite) the database.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(content.as_bytes())?;
    f.sync_all()
}

/// A random string of `len` characters from `[A-Za-z0-9]` (API and secret keys).
pub fn random_token(len: usize) -> String {
    use rand::distributions::{Alphanumeric, DistString};
    Alphanumeric.sample_string(&mut rand::thread_rng(), len)
}

/// A random string of `len` decimal digits, the first not 0 (saved-card tokens).
pub fn random_digits(len: usize) -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..len).map(|i| char::from(b'0' + rng.gen_range(u8::from(i == 0)..10))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_bound_to_partner() {
        let k = Keys::from_master([7; 32]);
        let sealed = k.seal("P1", "secret");
        assert_eq!(k.open("P1", &sealed).ok().as_deref(), Some("secret"));
        assert!(k.open("P2", &sealed).is_err());
        assert!(Keys::from_master([8; 32]).open("P1", &sealed).is_err());
        assert!(k.open("P1", &sealed[..10]).is_err());
        assert_eq!(format!("{k:?}"), "Keys(***)");
    }

    #[test]
    fn master_key_file_is_created_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = Keys::load_or_create(None, dir.path()).expect("create");
        let b = Keys::load_or_create(None, dir.path()).expect("load");
        assert_eq!(a.link_key(), b.link_key());
    }

    #[cfg(unix)]
    #[test]
    fn the_data_directory_and_the_key_file_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().expect("tempdir");
        let data = tmp.path().join("data/nested");
        Keys::load_or_create(None, &data).expect("create");
        let mode = |p: &Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
        assert_eq!(mode(&tmp.path().join("data")), 0o700);
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&data.join("master.key")), 0o600);
    }
}
