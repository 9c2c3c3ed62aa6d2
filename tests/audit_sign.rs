//! Signed bundles: `timber audit keygen`, `timber certify --sign`,
//! `timber audit sign` and `timber audit verify --pubkey`.
//!
//! A signed bundle verifies with its public key and fails with another key,
//! after any one-byte change of a file, of the manifest or of the signature.
//! The envelope is checked against OpenSSL too (an independent ed25519
//! implementation): OpenSSL verifies timber's signature over DSSE's
//! pre-authentication encoding, and a key OpenSSL generated signs bundles.

mod common;

use base64::Engine;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/xgboost/binary_nan.json")
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("timber-audit-sign-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

fn timber(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_timber"))
        .current_dir(cwd)
        .args(args)
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .expect("run timber")
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

fn flip_byte(path: &Path, at: usize) {
    let mut bytes = std::fs::read(path).unwrap();
    let i = at.min(bytes.len() - 1);
    bytes[i] ^= 0x01;
    std::fs::write(path, bytes).unwrap();
}

/// A signed bundle of the misra profile (host only), with its keys.
fn signed_bundle(root: &Path) -> Option<PathBuf> {
    common::targets_with_tools(&["host"])?;
    let keygen = timber(root, &["audit", "keygen", "release-key"]);
    assert_eq!(keygen.status.code(), Some(0), "{}", text(&keygen));
    assert!(String::from_utf8_lossy(&keygen.stdout).contains("key id sha256:"));
    let o = Command::new(env!("CARGO_BIN_EXE_timber"))
        .current_dir(root)
        .arg("certify")
        .arg(fixture())
        .args([
            "--profile",
            "misra",
            "--out",
            "bundle",
            "--sign",
            "release-key",
        ])
        .output()
        .expect("certify");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("signed: manifest.dsse.json"));
    Some(root.join("bundle"))
}

#[test]
fn keygen_writes_a_private_and_a_public_key_and_never_overwrites() {
    let root = scratch("keygen");
    let o = timber(&root, &["audit", "keygen", "k"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let private = std::fs::read_to_string(root.join("k")).unwrap();
    let public = std::fs::read_to_string(root.join("k.pub")).unwrap();
    assert!(
        private.starts_with("-----BEGIN PRIVATE KEY-----"),
        "{private}"
    );
    assert!(public.starts_with("-----BEGIN PUBLIC KEY-----"), "{public}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(root.join("k"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "private key mode {mode:o}");
    let again = timber(&root, &["audit", "keygen", "k"]);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
    assert!(text(&again).contains("already exists"), "{}", text(&again));
    assert_eq!(std::fs::read_to_string(root.join("k")).unwrap(), private);
}

#[test]
fn a_signed_bundle_verifies_with_its_key_and_fails_with_another_or_after_any_change() {
    let root = scratch("tamper");
    let Some(bundle) = signed_bundle(&root) else {
        return;
    };
    let ok = timber(
        &root,
        &["audit", "verify", "bundle", "--pubkey", "release-key.pub"],
    );
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    assert!(
        text(&ok).contains("signature: verified for sha256:"),
        "{}",
        text(&ok)
    );
    // Without a key, the envelope is still checked against the manifest and
    // the signer is named.
    let unkeyed = timber(&root, &["audit", "verify", "bundle"]);
    assert_eq!(unkeyed.status.code(), Some(0), "{}", text(&unkeyed));
    assert!(text(&unkeyed).contains("not checked"), "{}", text(&unkeyed));

    // Another key: no signature by it.
    let other = timber(&root, &["audit", "keygen", "other-key"]);
    assert_eq!(other.status.code(), Some(0), "{}", text(&other));
    let wrong = timber(
        &root,
        &["audit", "verify", "bundle", "--pubkey", "other-key.pub"],
    );
    assert_eq!(wrong.status.code(), Some(1), "{}", text(&wrong));
    assert!(
        text(&wrong).contains("no signature by the key"),
        "{}",
        text(&wrong)
    );

    // One byte changed in a source, in the manifest, in the signature.
    let cases: [(&str, &str); 4] = [
        ("src/model.c", "model.c"),
        ("certification.json", "certification.json"),
        ("manifest.json", "changed after signing"),
        ("manifest.dsse.json", "manifest.dsse.json"),
    ];
    for (i, (file, expect)) in cases.iter().enumerate() {
        let copy = root.join(format!("copy{i}"));
        copy_dir(&bundle, &copy);
        let path = copy.join(file);
        let len = std::fs::metadata(&path).unwrap().len() as usize;
        if *file == "manifest.dsse.json" {
            // Flip a bit inside the base64 signature, keeping it base64.
            let text = std::fs::read_to_string(&path).unwrap();
            let at = text.find("\"sig\": \"").unwrap() + 12;
            let mut bytes = text.into_bytes();
            bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
            std::fs::write(&path, bytes).unwrap();
        } else {
            flip_byte(&path, len / 2);
        }
        let dir = format!("copy{i}");
        let o = timber(
            &root,
            &["audit", "verify", &dir, "--pubkey", "release-key.pub"],
        );
        assert_eq!(o.status.code(), Some(1), "{file}: {}", text(&o));
        assert!(text(&o).contains(expect), "{file}: {}", text(&o));
    }

    // A signed bundle is still an earlier bundle that --force may replace.
    let again = Command::new(env!("CARGO_BIN_EXE_timber"))
        .current_dir(&root)
        .arg("certify")
        .arg(fixture())
        .args(["--profile", "misra", "--out", "bundle", "--force"])
        .output()
        .expect("certify");
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert!(!bundle.join("manifest.dsse.json").exists());
}

#[test]
fn openssl_agrees_with_timber_on_keys_and_signatures() {
    let root = scratch("openssl");
    if Command::new("openssl").arg("version").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set and openssl is missing (scripts/install-toolchains.sh installs it)"
        );
        eprintln!("NOTICE: openssl not installed; cross-check not run");
        return;
    }
    let Some(bundle) = signed_bundle(&root) else {
        return;
    };
    // OpenSSL verifies timber's signature over the DSSE encoding.
    let envelope: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bundle.join("manifest.dsse.json")).unwrap()).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    let payload = b64.decode(envelope["payload"].as_str().unwrap()).unwrap();
    assert_eq!(
        payload,
        std::fs::read(bundle.join("manifest.json")).unwrap()
    );
    let ptype = envelope["payloadType"].as_str().unwrap();
    let mut pae = format!("DSSEv1 {} {ptype} {} ", ptype.len(), payload.len()).into_bytes();
    pae.extend_from_slice(&payload);
    std::fs::write(root.join("pae.bin"), &pae).unwrap();
    let sig = b64
        .decode(envelope["signatures"][0]["sig"].as_str().unwrap())
        .unwrap();
    std::fs::write(root.join("sig.bin"), sig).unwrap();
    let verify = Command::new("openssl")
        .current_dir(&root)
        .args([
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            "release-key.pub",
            "-rawin",
        ])
        .args(["-in", "pae.bin", "-sigfile", "sig.bin"])
        .output()
        .expect("openssl");
    assert!(verify.status.success(), "{}", text(&verify));

    // A key OpenSSL generated signs a bundle; its OpenSSL-derived public key
    // verifies it in timber.
    let gen = Command::new("openssl")
        .current_dir(&root)
        .args(["genpkey", "-algorithm", "ed25519", "-out", "ossl-key"])
        .output()
        .expect("openssl genpkey");
    assert!(gen.status.success(), "{}", text(&gen));
    let pubout = Command::new("openssl")
        .current_dir(&root)
        .args(["pkey", "-in", "ossl-key", "-pubout", "-out", "ossl-key.pub"])
        .output()
        .expect("openssl pkey");
    assert!(pubout.status.success(), "{}", text(&pubout));
    let sign = timber(&root, &["audit", "sign", "bundle", "--key", "ossl-key"]);
    assert_eq!(sign.status.code(), Some(0), "{}", text(&sign));
    let both = timber(
        &root,
        &[
            "audit",
            "verify",
            "bundle",
            "--pubkey",
            "ossl-key.pub",
            "--pubkey",
            "release-key.pub",
        ],
    );
    assert_eq!(both.status.code(), Some(0), "{}", text(&both));
}

#[test]
fn sign_refuses_a_tampered_bundle_and_bad_keys() {
    let root = scratch("refuse");
    let Some(bundle) = signed_bundle(&root) else {
        return;
    };
    std::fs::remove_file(bundle.join("manifest.dsse.json")).unwrap();
    flip_byte(&bundle.join("ir.json"), 100);
    let o = timber(&root, &["audit", "sign", "bundle", "--key", "release-key"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("not signing"), "{}", text(&o));
    assert!(!bundle.join("manifest.dsse.json").exists());
    // A public key where a private one is needed: exit 2, before any work.
    let o = Command::new(env!("CARGO_BIN_EXE_timber"))
        .current_dir(&root)
        .arg("certify")
        .arg(fixture())
        .args([
            "--profile",
            "misra",
            "--out",
            "b2",
            "--sign",
            "release-key.pub",
        ])
        .output()
        .expect("certify");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("PKCS#8"), "{}", text(&o));
    assert!(!root.join("b2").exists());
}
