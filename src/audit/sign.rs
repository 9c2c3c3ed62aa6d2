//! Signed bundles: a DSSE envelope (Dead Simple Signing Envelope, as used
//! by in-toto and Sigstore) over `manifest.json`, with ed25519 keys.
//!
//! The manifest pins every other file by sha256, so one signature over its
//! bytes authenticates the whole bundle: change any file and its hash no
//! longer matches the manifest; change the manifest and it no longer
//! matches the signed payload; change the signature and it no longer
//! verifies.
//!
//! `manifest.dsse.json` at the bundle root (it cannot be listed in the
//! manifest it signs):
//!
//! ```json
//! {
//!   "payload": "<base64 of manifest.json's bytes>",
//!   "payloadType": "application/vnd.timber.manifest+json",
//!   "signatures": [ { "keyid": "sha256:<hex>", "sig": "<base64>" } ]
//! }
//! ```
//!
//! Each signature is ed25519 over DSSE's pre-authentication encoding
//! `"DSSEv1" SP len(type) SP type SP len(payload) SP payload` (lengths in
//! ASCII decimal). The key id is the sha256 of the public key's
//! SubjectPublicKeyInfo DER. Keys are PEM files in the standard formats
//! OpenSSL uses (`openssl genpkey -algorithm ed25519` writes a private key
//! timber reads; `openssl pkey -pubout` the matching public key), so a
//! signature can be checked without timber. ed25519 signatures are
//! deterministic: the same key over the same bundle gives the same bytes.

use super::layout;
use base64::Engine;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The DSSE payload type of a signed manifest.
pub const PAYLOAD_TYPE: &str = "application/vnd.timber.manifest+json";

/// Why a key or a signature could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("{path}: {message}")]
    Key { path: PathBuf, message: String },
    #[error("{path}: {message}")]
    Envelope { path: PathBuf, message: String },
    #[error("{path}: cannot {action}: {message}")]
    Io {
        path: PathBuf,
        action: &'static str,
        message: String,
    },
}

fn io(path: &Path, action: &'static str, e: std::io::Error) -> SignError {
    SignError::Io {
        path: path.to_path_buf(),
        action,
        message: e.to_string(),
    }
}

/// One signature of an envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvelopeSignature {
    pub keyid: String,
    pub sig: String,
}

/// A DSSE envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    pub payload: String,
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    pub signatures: Vec<EnvelopeSignature>,
}

impl Envelope {
    /// Canonical text: pretty JSON, signatures sorted by key id, newline.
    pub fn to_canonical_json(&self) -> String {
        let mut sorted = self.clone();
        sorted.signatures.sort_by(|a, b| a.keyid.cmp(&b.keyid));
        let mut text = serde_json::to_string_pretty(&sorted)
            .unwrap_or_else(|e| unreachable!("envelope serialisation cannot fail: {e}"));
        text.push('\n');
        text
    }
}

/// DSSE's pre-authentication encoding of a payload.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// The key id of a public key: `sha256:` and the hex sha256 of its
/// SubjectPublicKeyInfo DER.
pub fn key_id(key: &VerifyingKey) -> String {
    let der = key
        .to_public_key_der()
        .map(|d| d.as_bytes().to_vec())
        .unwrap_or_else(|_| key.as_bytes().to_vec());
    format!("sha256:{}", hex::encode(Sha256::digest(der)))
}

/// Read an ed25519 private key (PKCS#8 PEM).
pub fn read_signing_key(path: &Path) -> Result<SigningKey, SignError> {
    let text = std::fs::read_to_string(path).map_err(|e| io(path, "read the private key", e))?;
    SigningKey::from_pkcs8_pem(&text).map_err(|e| SignError::Key {
        path: path.to_path_buf(),
        message: format!(
            "not an ed25519 private key in PKCS#8 PEM (\"BEGIN PRIVATE KEY\"; `timber audit keygen` or `openssl genpkey -algorithm ed25519` write one): {e}"
        ),
    })
}

/// Read an ed25519 public key (SubjectPublicKeyInfo PEM).
pub fn read_verifying_key(path: &Path) -> Result<VerifyingKey, SignError> {
    let text = std::fs::read_to_string(path).map_err(|e| io(path, "read the public key", e))?;
    VerifyingKey::from_public_key_pem(&text).map_err(|e| SignError::Key {
        path: path.to_path_buf(),
        message: format!(
            "not an ed25519 public key in PEM (\"BEGIN PUBLIC KEY\"; `timber audit keygen` writes KEY.pub, `openssl pkey -pubout` another): {e}"
        ),
    })
}

/// The public key file written beside a private key.
pub fn public_key_path(private: &Path) -> PathBuf {
    let mut s = private.as_os_str().to_os_string();
    s.push(".pub");
    PathBuf::from(s)
}

/// Generate a key pair: the private key at `private` (mode 0600), the
/// public key at `private` + `.pub`. Refuses to overwrite either file.
/// Returns the key id.
pub fn keygen(private: &Path) -> Result<String, SignError> {
    let public = public_key_path(private);
    for p in [private, public.as_path()] {
        if std::fs::symlink_metadata(p).is_ok() {
            return Err(SignError::Key {
                path: p.to_path_buf(),
                message: "already exists; not overwriting a key".into(),
            });
        }
    }
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| SignError::Key {
        path: private.to_path_buf(),
        message: format!("no randomness from the operating system: {e}"),
    })?;
    let key = SigningKey::from_bytes(&seed);
    let pem = key
        .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
        .map_err(|e| SignError::Key {
            path: private.to_path_buf(),
            message: format!("cannot encode the key: {e}"),
        })?;
    let public_pem = key
        .verifying_key()
        .to_public_key_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
        .map_err(|e| SignError::Key {
            path: public.clone(),
            message: format!("cannot encode the key: {e}"),
        })?;
    write_private(private, pem.as_bytes())?;
    std::fs::write(&public, public_pem).map_err(|e| io(&public, "write the public key", e))?;
    Ok(key_id(&key.verifying_key()))
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), SignError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| io(path, "create the private key", e))?;
    f.write_all(bytes)
        .map_err(|e| io(path, "write the private key", e))
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), SignError> {
    std::fs::write(path, bytes).map_err(|e| io(path, "write the private key", e))
}

/// Sign the bundle's manifest with `key`: write (or extend) the envelope.
/// A signature of the same key is replaced; an envelope over another
/// manifest is refused (the bundle changed since it was signed). Returns
/// the key id.
pub fn sign_bundle(bundle: &Path, key: &SigningKey) -> Result<String, SignError> {
    let manifest_path = bundle.join(layout::MANIFEST);
    let manifest =
        std::fs::read(&manifest_path).map_err(|e| io(&manifest_path, "read the manifest", e))?;
    let envelope_path = bundle.join(layout::SIGNATURE);
    let b64 = base64::engine::general_purpose::STANDARD;
    let payload = b64.encode(&manifest);
    let mut envelope = match std::fs::read_to_string(&envelope_path) {
        Ok(text) => {
            let env = parse_envelope(&envelope_path, &text)?;
            if env.payload != payload {
                return Err(SignError::Envelope {
                    path: envelope_path,
                    message: "signs another manifest than the bundle's; the bundle changed after it was signed (remove the envelope to sign the bundle as it is now)".into(),
                });
            }
            env
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Envelope {
            payload,
            payload_type: PAYLOAD_TYPE.into(),
            signatures: Vec::new(),
        },
        Err(e) => return Err(io(&envelope_path, "read the signature envelope", e)),
    };
    let keyid = key_id(&key.verifying_key());
    let sig: Signature = key.sign(&pae(PAYLOAD_TYPE, &manifest));
    envelope.signatures.retain(|s| s.keyid != keyid);
    envelope.signatures.push(EnvelopeSignature {
        keyid: keyid.clone(),
        sig: b64.encode(sig.to_bytes()),
    });
    std::fs::write(&envelope_path, envelope.to_canonical_json())
        .map_err(|e| io(&envelope_path, "write the signature envelope", e))?;
    Ok(keyid)
}

fn parse_envelope(path: &Path, text: &str) -> Result<Envelope, SignError> {
    serde_json::from_str(text).map_err(|e| SignError::Envelope {
        path: path.to_path_buf(),
        message: format!("not a DSSE envelope: {e}"),
    })
}

/// What the signature check of a bundle found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignatureCheck {
    /// Key ids of the envelope's signatures, sorted.
    pub keyids: Vec<String>,
    /// Key ids of the given public keys whose signature verified.
    pub verified: Vec<String>,
    /// What is wrong (empty when every demanded key verified).
    pub problems: Vec<String>,
}

/// Check the envelope of `bundle` against its manifest and, for each of
/// `pubkeys`, that a valid signature by that key is present. `Ok(None)`
/// when the bundle has no envelope and no key was given.
pub fn check_bundle(
    bundle: &Path,
    pubkeys: &[(PathBuf, VerifyingKey)],
) -> Result<Option<SignatureCheck>, SignError> {
    let envelope_path = bundle.join(layout::SIGNATURE);
    let text = match std::fs::read_to_string(&envelope_path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if pubkeys.is_empty() {
                return Ok(None);
            }
            return Ok(Some(SignatureCheck {
                keyids: Vec::new(),
                verified: Vec::new(),
                problems: vec![format!(
                    "the bundle is not signed (no {}) but --pubkey demands a signature",
                    layout::SIGNATURE
                )],
            }));
        }
        Err(e) => return Err(io(&envelope_path, "read the signature envelope", e)),
    };
    let mut problems = Vec::new();
    let envelope = match parse_envelope(&envelope_path, &text) {
        Ok(env) => env,
        Err(e) => {
            return Ok(Some(SignatureCheck {
                keyids: Vec::new(),
                verified: Vec::new(),
                problems: vec![e.to_string()],
            }))
        }
    };
    let mut keyids: Vec<String> = envelope
        .signatures
        .iter()
        .map(|s| s.keyid.clone())
        .collect();
    keyids.sort();
    if envelope.payload_type != PAYLOAD_TYPE {
        problems.push(format!(
            "payloadType is {:?}, not {PAYLOAD_TYPE:?}",
            envelope.payload_type
        ));
    }
    let b64 = base64::engine::general_purpose::STANDARD;
    let manifest_path = bundle.join(layout::MANIFEST);
    let manifest =
        std::fs::read(&manifest_path).map_err(|e| io(&manifest_path, "read the manifest", e))?;
    match b64.decode(&envelope.payload) {
        Ok(p) if p == manifest => {}
        Ok(_) => problems.push(
            "the signed payload is not this bundle's manifest.json: the manifest changed after signing"
                .into(),
        ),
        Err(e) => problems.push(format!("payload is not base64: {e}")),
    }
    let message = pae(&envelope.payload_type, &manifest);
    let mut verified = Vec::new();
    for (path, key) in pubkeys {
        let id = key_id(key);
        let Some(sig) = envelope.signatures.iter().find(|s| s.keyid == id) else {
            problems.push(format!(
                "no signature by the key of {} ({id}); signed by: {}",
                path.display(),
                if keyids.is_empty() {
                    "nobody".to_string()
                } else {
                    keyids.join(", ")
                }
            ));
            continue;
        };
        let valid = b64
            .decode(&sig.sig)
            .ok()
            .and_then(|bytes| Signature::from_slice(&bytes).ok())
            .is_some_and(|s| key.verify(&message, &s).is_ok());
        if valid && problems.is_empty() {
            verified.push(id);
        } else if !valid {
            problems.push(format!(
                "the signature by {id} ({}) does not verify",
                path.display()
            ));
        }
    }
    Ok(Some(SignatureCheck {
        keyids,
        verified,
        problems,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_dsse_definition() {
        assert_eq!(pae("t", b"hello"), b"DSSEv1 1 t 5 hello".to_vec());
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ".to_vec());
    }

    #[test]
    fn signatures_are_deterministic_and_verify() {
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let msg = pae(PAYLOAD_TYPE, b"{}\n");
        let a = key.sign(&msg);
        let b = key.sign(&msg);
        assert_eq!(a, b);
        assert!(key.verifying_key().verify(&msg, &a).is_ok());
        assert!(key.verifying_key().verify(b"other", &a).is_err());
    }
}
