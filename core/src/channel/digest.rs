//! Signed digests (docs/CHANNEL.md §5): what a clinic signs for a submission and what the aggregator
//! signs for a round announcement. Both sides compute them with these functions, so they agree byte for
//! byte.
//!
//! Hashes are 64 bytes of SHAKE256: 256-bit collision resistance, above the ML-DSA-65 category-3 target,
//! and the same width as ML-DSA's own message representative μ (FIPS 204 Algorithm 7, line 6).

use super::hash::LabeledShake;
use super::ids::{ClinicId, RoundId};

/// Length of every content hash and digest.
pub const DIGEST_LEN: usize = 64;

const CIPHERTEXT_DOMAIN: &[u8] = b"ZKFL-PQ/v1/hash/ciphertext";
const PROOF_DOMAIN: &[u8] = b"ZKFL-PQ/v1/hash/proof";
const ANNOUNCEMENT_BODY_DOMAIN: &[u8] = b"ZKFL-PQ/v1/hash/announcement";
const SUBMISSION_DOMAIN: &[u8] = b"ZKFL-PQ/v1/digest/submission";
const ANNOUNCEMENT_DOMAIN: &[u8] = b"ZKFL-PQ/v1/digest/announcement";

/// What a [`ContentHash`] is a hash of; each kind has its own domain label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentKind {
    /// The encoded BFV ciphertexts of an update.
    Ciphertext,
    /// The encoded zero-knowledge proof.
    Proof,
    /// The encoded body of a round announcement.
    Announcement,
}

impl ContentKind {
    const fn domain(self) -> &'static [u8] {
        match self {
            Self::Ciphertext => CIPHERTEXT_DOMAIN,
            Self::Proof => PROOF_DOMAIN,
            Self::Announcement => ANNOUNCEMENT_BODY_DOMAIN,
        }
    }
}

/// `SHAKE256(F(domain) ‖ content, 64)`: a hash of a byte string of one [`ContentKind`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContentHash(pub [u8; DIGEST_LEN]);

impl ContentHash {
    /// Hashes `content` in one call.
    #[must_use]
    pub fn of(kind: ContentKind, content: &[u8]) -> Self {
        let mut h = ContentHasher::new(kind);
        h.update(content);
        h.finish()
    }
}

/// Incremental [`ContentHash`], for content produced chunk by chunk (streaming encryption and proving).
pub struct ContentHasher(LabeledShake);

impl ContentHasher {
    /// Starts a hash of the given kind.
    #[must_use]
    pub fn new(kind: ContentKind) -> Self {
        Self(LabeledShake::new(kind.domain()))
    }

    /// Absorbs the next bytes of content.
    pub fn update(&mut self, chunk: &[u8]) {
        self.0.raw(chunk);
    }

    /// The hash of all content absorbed.
    #[must_use]
    pub fn finish(self) -> ContentHash {
        let mut out = [0u8; DIGEST_LEN];
        self.0.finish(&mut out);
        ContentHash(out)
    }
}

/// The message a clinic signs for a submission:
/// `SHAKE256(F("ZKFL-PQ/v1/digest/submission") ‖ u8 param id ‖ u64 round ‖ u32 clinic ‖ F(ct hash)
/// ‖ F(proof hash), 64)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubmissionDigest(pub [u8; DIGEST_LEN]);

impl SubmissionDigest {
    /// Digest from the content hashes.
    #[must_use]
    pub fn new(
        param_id: u8,
        round: RoundId,
        clinic: ClinicId,
        ciphertext_hash: &ContentHash,
        proof_hash: &ContentHash,
    ) -> Self {
        let mut h = LabeledShake::new(SUBMISSION_DOMAIN);
        h.u8(param_id)
            .u64(round.0)
            .u32(clinic.0)
            .bytes(&ciphertext_hash.0)
            .bytes(&proof_hash.0);
        let mut out = [0u8; DIGEST_LEN];
        h.finish(&mut out);
        Self(out)
    }

    /// Digest from the ciphertext and proof bytes.
    #[must_use]
    pub fn of_content(
        param_id: u8,
        round: RoundId,
        clinic: ClinicId,
        ciphertext: &[u8],
        proof: &[u8],
    ) -> Self {
        Self::new(
            param_id,
            round,
            clinic,
            &ContentHash::of(ContentKind::Ciphertext, ciphertext),
            &ContentHash::of(ContentKind::Proof, proof),
        )
    }
}

/// The message the aggregator signs for a round announcement:
/// `SHAKE256(F("ZKFL-PQ/v1/digest/announcement") ‖ u8 param id ‖ u64 round ‖ F(body hash), 64)`. The body
/// (global model hash, bounds, scale, deadline) is encoded by the aggregator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AnnouncementDigest(pub [u8; DIGEST_LEN]);

impl AnnouncementDigest {
    /// Digest of an announcement body.
    #[must_use]
    pub fn new(param_id: u8, round: RoundId, body: &[u8]) -> Self {
        let body_hash = ContentHash::of(ContentKind::Announcement, body);
        let mut h = LabeledShake::new(ANNOUNCEMENT_DOMAIN);
        h.u8(param_id).u64(round.0).bytes(&body_hash.0);
        let mut out = [0u8; DIGEST_LEN];
        h.finish(&mut out);
        Self(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streaming_equals_one_shot() {
        let data: [u8; 1000] = core::array::from_fn(|i| (i * 7) as u8);
        let mut h = ContentHasher::new(ContentKind::Proof);
        for c in data.chunks(33) {
            h.update(c);
        }
        assert_eq!(h.finish(), ContentHash::of(ContentKind::Proof, &data));
    }

    #[test]
    fn every_field_changes_the_digest() {
        let base = SubmissionDigest::of_content(1, RoundId(3), ClinicId(4), b"ct", b"pf");
        assert_ne!(
            base,
            SubmissionDigest::of_content(2, RoundId(3), ClinicId(4), b"ct", b"pf")
        );
        assert_ne!(
            base,
            SubmissionDigest::of_content(1, RoundId(4), ClinicId(4), b"ct", b"pf")
        );
        assert_ne!(
            base,
            SubmissionDigest::of_content(1, RoundId(3), ClinicId(5), b"ct", b"pf")
        );
        assert_ne!(
            base,
            SubmissionDigest::of_content(1, RoundId(3), ClinicId(4), b"cu", b"pf")
        );
        assert_ne!(
            base,
            SubmissionDigest::of_content(1, RoundId(3), ClinicId(4), b"ct", b"pg")
        );
        // Moving bytes between ciphertext and proof changes it too (separate domains).
        assert_ne!(
            base,
            SubmissionDigest::of_content(1, RoundId(3), ClinicId(4), b"ctp", b"f")
        );
        assert_ne!(
            ContentHash::of(ContentKind::Ciphertext, b"x"),
            ContentHash::of(ContentKind::Proof, b"x")
        );
    }
}
