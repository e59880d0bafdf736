//! Helpers shared by the channel tests.
#![allow(dead_code)]

use core::convert::Infallible;

use rand_core::{TryCryptoRng, TryRng};
use serde_json::Value;
use zkfl_core::channel::ChannelError;
use zkfl_core::channel::identity::{ContextSigner, Signature, SigningKey};

/// An "RNG" that returns fixed bytes (to replay a known-answer test's randomness), then zeros.
pub struct FixedRng {
    bytes: Vec<u8>,
    at: usize,
}

impl FixedRng {
    pub fn new(bytes: &[u8]) -> Self {
        Self {
            bytes: bytes.to_vec(),
            at: 0,
        }
    }

    /// Zeros only: ML-DSA's deterministic variant (rnd = 0^32).
    pub fn zeros() -> Self {
        Self::new(&[])
    }

    pub fn consumed(&self) -> usize {
        self.at
    }
}

impl TryRng for FixedRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for d in dst.iter_mut() {
            *d = self.bytes.get(self.at).copied().unwrap_or(0);
            self.at += 1;
        }
        Ok(())
    }
}

impl TryCryptoRng for FixedRng {}

/// Hex string field of a JSON object.
pub fn hex_field(v: &Value, name: &str) -> Vec<u8> {
    hex::decode(
        v[name]
            .as_str()
            .unwrap_or_else(|| panic!("field {name} missing")),
    )
    .expect("hex")
}

/// Loads a vector file from `tests/vectors/channel/`.
pub fn load_vectors(file: &str) -> Value {
    let path = format!("{}/vectors/channel/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).expect("vector JSON")
}

/// Replays the FIPS 204 signing vectors of `v` (the `sign` section of `ml-dsa.json`) through the signer that
/// `signer` makes from each case's key: a valid case must give the vector's signature bytes, an invalid one (a
/// context over 255 bytes) `ContextTooLong`. Returns the valid cases with the signature each gave.
pub fn replay_signing_vectors<S: ContextSigner>(
    v: &Value,
    signer: impl Fn(SigningKey) -> S,
) -> Vec<(&Value, Signature)> {
    let mut valid = Vec::new();
    for c in v["sign"].as_array().expect("sign section") {
        let sk = SigningKey::from_bytes(&hex_field(c, "seed")).expect("seed");
        let s = signer(sk);
        // Deterministic variant (rnd = 0^32) unless the vector carries its hedged rnd.
        let mut rng = match c.get("rnd") {
            Some(_) => FixedRng::new(&hex_field(c, "rnd")),
            None => FixedRng::zeros(),
        };
        let got = s.sign_with_context(&hex_field(c, "msg"), &hex_field(c, "ctx"), &mut rng);
        match c["result"].as_str() {
            Some("valid") => {
                let sig = got.unwrap_or_else(|e| panic!("tcId {}: {e}", c["tcId"]));
                assert_eq!(
                    sig.as_bytes().as_slice(),
                    hex_field(c, "sig").as_slice(),
                    "tcId {}",
                    c["tcId"]
                );
                valid.push((c, sig));
            }
            _ => assert_eq!(
                got.err(),
                Some(ChannelError::ContextTooLong),
                "tcId {}",
                c["tcId"]
            ),
        }
    }
    valid
}
