//! Signed submissions (docs/CHANNEL.md §5): the plaintext a clinic seals to the aggregator, and the
//! end-to-end seal/open-and-verify operations the clinic and the aggregator's API use.
//!
//! Layout (little-endian):
//!
//! | offset | length | field |
//! |---|---|---|
//! | 0 | 1 | submission version (1) |
//! | 1 | 1 | parameter-set id |
//! | 2 | 2 | reserved, zero |
//! | 4 | 4 | clinic id |
//! | 8 | 8 | round id |
//! | 16 | 4 | ciphertext length `c` |
//! | 20 | 4 | proof length `p` |
//! | 24 | 3309 | ML-DSA-65 signature over the [`SubmissionDigest`] |
//! | 3333 | `c` | encoded BFV ciphertexts |
//! | 3333 + c | `p` | encoded proof |

use core::ops::Range;

use rand_core::CryptoRng;

use super::digest::{ContentHash, SubmissionDigest};
use super::envelope::{OpenPolicy, SealContext, open_in_place, prefix_len, seal_in_place};
use super::error::ChannelError;
use super::header::EnvelopeHeader;
use super::identity::{ContextSigner, SIGNATURE_LEN, SUBMISSION_CONTEXT, Signature, SigningKey};
use super::ids::{ClinicId, Direction, RoundId};
use super::kem::{ChannelKem, KemPublicKey, KemSecretKey};
use super::replay::ReplayGuard;
use super::roster::ClinicRoster;

/// Submission format version.
pub const SUBMISSION_VERSION: u8 = 1;
/// Length of the fixed submission header.
pub const SUBMISSION_HEADER_LEN: usize = 24;
/// Bytes a submission adds to ciphertext and proof: header and signature (3,333).
pub const SUBMISSION_OVERHEAD: usize = SUBMISSION_HEADER_LEN + SIGNATURE_LEN;

/// Who submits what for which round and parameter set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubmissionFields {
    /// Parameter-set id (`ParamSet::ID`).
    pub param_id: u8,
    /// Round.
    pub round: RoundId,
    /// Submitting clinic.
    pub clinic: ClinicId,
}

/// Where ciphertext and proof go inside a submission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubmissionLayout {
    /// Byte range of the ciphertext.
    pub ciphertext: Range<usize>,
    /// Byte range of the proof.
    pub proof: Range<usize>,
    /// Total submission length.
    pub len: usize,
}

impl SubmissionLayout {
    /// Layout for the given content lengths.
    ///
    /// # Errors
    /// `Oversized` if a length does not fit the u32 length fields or the total overflows `usize`.
    pub fn new(ciphertext_len: usize, proof_len: usize) -> Result<Self, ChannelError> {
        let limit = u32::MAX as usize;
        for got in [ciphertext_len, proof_len] {
            if got > limit {
                return Err(ChannelError::Oversized { limit, got });
            }
        }
        let ct_end =
            SUBMISSION_OVERHEAD
                .checked_add(ciphertext_len)
                .ok_or(ChannelError::Oversized {
                    limit: usize::MAX,
                    got: ciphertext_len,
                })?;
        let len = ct_end
            .checked_add(proof_len)
            .ok_or(ChannelError::Oversized {
                limit: usize::MAX,
                got: proof_len,
            })?;
        Ok(Self {
            ciphertext: SUBMISSION_OVERHEAD..ct_end,
            proof: ct_end..len,
            len,
        })
    }
}

/// Signs a submission whose ciphertext and proof are already in `buf` at the [`SubmissionLayout`]
/// positions (written there chunk by chunk, without a copy), and writes header and signature.
///
/// # Errors
/// `LengthMismatch` if `buf` is not exactly the layout's length; signing errors.
// Out of line: ML-DSA signing and the ML-KEM seal that follows each need a large frame; kept apart they
// share the stack instead of adding up (docs/FIRMWARE.md).
#[inline(never)]
pub fn sign_in_place<R: CryptoRng + ?Sized>(
    buf: &mut [u8],
    fields: &SubmissionFields,
    ciphertext_len: usize,
    proof_len: usize,
    key: &SigningKey,
    rng: &mut R,
) -> Result<SubmissionDigest, ChannelError> {
    let layout = SubmissionLayout::new(ciphertext_len, proof_len)?;
    if buf.len() != layout.len {
        return Err(ChannelError::LengthMismatch {
            declared: layout.len as u64,
            actual: buf.len(),
        });
    }
    let digest = SubmissionDigest::of_content(
        fields.param_id,
        fields.round,
        fields.clinic,
        &buf[layout.ciphertext.clone()],
        &buf[layout.proof.clone()],
    );
    write_signed_header(
        &mut buf[..SUBMISSION_OVERHEAD],
        fields,
        ciphertext_len,
        proof_len,
        &digest,
        key,
        rng,
    )?;
    Ok(digest)
}

/// The submission's first [`SUBMISSION_OVERHEAD`] bytes (header and ML-DSA signature) for content known by
/// its hashes: what a device that streams its ciphertext and proof through host storage sends before
/// them (docs/FIRMWARE.md). The bytes of [`sign_in_place`] for the same content and RNG, whichever
/// [`ContextSigner`] signs; returns the digest signed.
///
/// # Errors
/// `Oversized` if a length does not fit its u32 field; signing errors.
#[allow(clippy::too_many_arguments)]
pub fn signed_header<K: ContextSigner + ?Sized, R: CryptoRng + ?Sized>(
    out: &mut [u8; SUBMISSION_OVERHEAD],
    fields: &SubmissionFields,
    ciphertext_len: usize,
    proof_len: usize,
    ciphertext_hash: &ContentHash,
    proof_hash: &ContentHash,
    key: &K,
    rng: &mut R,
) -> Result<SubmissionDigest, ChannelError> {
    SubmissionLayout::new(ciphertext_len, proof_len)?;
    let digest = SubmissionDigest::new(
        fields.param_id,
        fields.round,
        fields.clinic,
        ciphertext_hash,
        proof_hash,
    );
    write_signed_header(out, fields, ciphertext_len, proof_len, &digest, key, rng)?;
    Ok(digest)
}

/// Signs `digest` and writes the header and signature into `out` (`SUBMISSION_OVERHEAD` bytes).
fn write_signed_header<K: ContextSigner + ?Sized, R: CryptoRng + ?Sized>(
    out: &mut [u8],
    fields: &SubmissionFields,
    ciphertext_len: usize,
    proof_len: usize,
    digest: &SubmissionDigest,
    key: &K,
    rng: &mut R,
) -> Result<(), ChannelError> {
    // `SubmissionLayout::new` has refused lengths above u32::MAX; refused again here rather than wrapped.
    let wire_len = |got: usize| {
        u32::try_from(got).map_err(|_| ChannelError::Oversized {
            limit: u32::MAX as usize,
            got,
        })
    };
    let (ciphertext_len, proof_len) = (wire_len(ciphertext_len)?, wire_len(proof_len)?);
    let sig = key.sign_with_context(&digest.0, SUBMISSION_CONTEXT, rng)?;
    out[0] = SUBMISSION_VERSION;
    out[1] = fields.param_id;
    out[2..4].fill(0);
    out[4..8].copy_from_slice(&fields.clinic.0.to_le_bytes());
    out[8..16].copy_from_slice(&fields.round.0.to_le_bytes());
    out[16..20].copy_from_slice(&ciphertext_len.to_le_bytes());
    out[20..24].copy_from_slice(&proof_len.to_le_bytes());
    out[SUBMISSION_HEADER_LEN..SUBMISSION_OVERHEAD].copy_from_slice(sig.as_bytes());
    Ok(())
}

/// Writes a signed submission of `ciphertext` and `proof` into `out`; returns its length.
///
/// # Errors
/// `BufferTooSmall`, `Oversized`, signing errors.
pub fn encode_signed<R: CryptoRng + ?Sized>(
    out: &mut [u8],
    fields: &SubmissionFields,
    ciphertext: &[u8],
    proof: &[u8],
    key: &SigningKey,
    rng: &mut R,
) -> Result<usize, ChannelError> {
    let layout = SubmissionLayout::new(ciphertext.len(), proof.len())?;
    let buf = prefix_mut(out, layout.len)?;
    buf[layout.ciphertext.clone()].copy_from_slice(ciphertext);
    buf[layout.proof.clone()].copy_from_slice(proof);
    sign_in_place(buf, fields, ciphertext.len(), proof.len(), key, rng)?;
    Ok(layout.len)
}

/// A parsed, not yet verified submission borrowing its bytes.
#[derive(Debug)]
pub struct SubmissionView<'a> {
    /// Header fields.
    pub fields: SubmissionFields,
    /// The signature.
    pub signature: Signature,
    /// Encoded BFV ciphertexts.
    pub ciphertext: &'a [u8],
    /// Encoded proof.
    pub proof: &'a [u8],
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(w)
}

impl<'a> SubmissionView<'a> {
    /// Parses a submission; every length is checked against the bytes present.
    ///
    /// # Errors
    /// `Truncated`, `UnsupportedVersion`, `ReservedNonZero`, `LengthMismatch`.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ChannelError> {
        if bytes.len() < SUBMISSION_OVERHEAD {
            return Err(ChannelError::Truncated {
                needed: SUBMISSION_OVERHEAD,
                got: bytes.len(),
            });
        }
        if bytes[0] != SUBMISSION_VERSION {
            return Err(ChannelError::UnsupportedVersion(bytes[0]));
        }
        if bytes[2] != 0 || bytes[3] != 0 {
            return Err(ChannelError::ReservedNonZero);
        }
        let mut round = [0u8; 8];
        round.copy_from_slice(&bytes[8..16]);
        let fields = SubmissionFields {
            param_id: bytes[1],
            clinic: ClinicId(u32_at(bytes, 4)),
            round: RoundId(u64::from_le_bytes(round)),
        };
        let (ct_len, proof_len) = (u32_at(bytes, 16) as usize, u32_at(bytes, 20) as usize);
        let layout = SubmissionLayout::new(ct_len, proof_len)?;
        if layout.len != bytes.len() {
            return Err(ChannelError::LengthMismatch {
                declared: layout.len as u64,
                actual: bytes.len(),
            });
        }
        Ok(Self {
            fields,
            signature: Signature::from_bytes(&bytes[SUBMISSION_HEADER_LEN..SUBMISSION_OVERHEAD])?,
            ciphertext: &bytes[layout.ciphertext],
            proof: &bytes[layout.proof],
        })
    }

    /// The digest the signature must cover.
    #[must_use]
    pub fn digest(&self) -> SubmissionDigest {
        let f = &self.fields;
        SubmissionDigest::of_content(f.param_id, f.round, f.clinic, self.ciphertext, self.proof)
    }

    /// Checks the signature against the roster entry of the submitting clinic.
    ///
    /// # Errors
    /// `UnknownClinic`, `MalformedSignature`, `BadSignature`.
    pub fn verify<Ro: ClinicRoster + ?Sized>(
        &self,
        roster: &Ro,
    ) -> Result<SubmissionDigest, ChannelError> {
        let key = roster
            .verifying_key(self.fields.clinic)
            .ok_or(ChannelError::UnknownClinic(self.fields.clinic))?;
        let digest = self.digest();
        key.verify_submission(&digest, &self.signature)?;
        Ok(digest)
    }
}

/// Byte ranges of ciphertext and proof inside a whole submission envelope, so a clinic can write its
/// content straight into the envelope buffer; the buffer must be `envelope_len` bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubmissionEnvelopeLayout {
    /// Range of the ciphertext in the envelope buffer.
    pub ciphertext: Range<usize>,
    /// Range of the proof in the envelope buffer.
    pub proof: Range<usize>,
    /// Range of the whole submission (the envelope payload).
    pub submission: Range<usize>,
    /// Total envelope length.
    pub envelope_len: usize,
}

impl SubmissionEnvelopeLayout {
    /// Layout for ML-KEM parameter set `K` and the given content lengths.
    ///
    /// # Errors
    /// `Oversized` on length overflow.
    pub fn new<K: ChannelKem>(
        ciphertext_len: usize,
        proof_len: usize,
    ) -> Result<Self, ChannelError> {
        let inner = SubmissionLayout::new(ciphertext_len, proof_len)?;
        let p = prefix_len::<K>();
        let envelope_len =
            super::envelope::envelope_len::<K>(inner.len).ok_or(ChannelError::Oversized {
                limit: usize::MAX,
                got: inner.len,
            })?;
        Ok(Self {
            ciphertext: p + inner.ciphertext.start..p + inner.ciphertext.end,
            proof: p + inner.proof.start..p + inner.proof.end,
            submission: p..p + inner.len,
            envelope_len,
        })
    }
}

/// Clinic side, zero copy: signs the submission whose ciphertext and proof are already in `envelope` at the
/// [`SubmissionEnvelopeLayout`] positions, then seals the envelope in place to the aggregator.
///
/// # Errors
/// `LengthMismatch` if `envelope` does not match the layout; signing and sealing errors.
#[allow(clippy::too_many_arguments)]
pub fn seal_submission_in_place<K: ChannelKem, R: CryptoRng + ?Sized>(
    aggregator: &KemPublicKey<K>,
    fields: &SubmissionFields,
    sequence: u64,
    ciphertext_len: usize,
    proof_len: usize,
    key: &SigningKey,
    envelope: &mut [u8],
    rng: &mut R,
) -> Result<SubmissionDigest, ChannelError> {
    let layout = SubmissionEnvelopeLayout::new::<K>(ciphertext_len, proof_len)?;
    if envelope.len() != layout.envelope_len {
        return Err(ChannelError::LengthMismatch {
            declared: layout.envelope_len as u64,
            actual: envelope.len(),
        });
    }
    let digest = sign_in_place(
        &mut envelope[layout.submission],
        fields,
        ciphertext_len,
        proof_len,
        key,
        rng,
    )?;
    let ctx = SealContext {
        direction: Direction::ClinicToAggregator,
        round: fields.round,
        clinic: fields.clinic,
        sequence,
    };
    seal_in_place(aggregator, &ctx, envelope, rng)?;
    Ok(digest)
}

/// Clinic side, copying: builds the whole sealed submission in `envelope` (which must be at least
/// `SubmissionEnvelopeLayout::envelope_len` bytes); returns the envelope length.
///
/// # Errors
/// `BufferTooSmall`; signing and sealing errors.
#[allow(clippy::too_many_arguments)]
pub fn seal_submission<K: ChannelKem, R: CryptoRng + ?Sized>(
    aggregator: &KemPublicKey<K>,
    fields: &SubmissionFields,
    sequence: u64,
    ciphertext: &[u8],
    proof: &[u8],
    key: &SigningKey,
    envelope: &mut [u8],
    rng: &mut R,
) -> Result<usize, ChannelError> {
    let layout = SubmissionEnvelopeLayout::new::<K>(ciphertext.len(), proof.len())?;
    let env = prefix_mut(envelope, layout.envelope_len)?;
    env[layout.ciphertext.clone()].copy_from_slice(ciphertext);
    env[layout.proof.clone()].copy_from_slice(proof);
    seal_submission_in_place(
        aggregator,
        fields,
        sequence,
        ciphertext.len(),
        proof.len(),
        key,
        env,
        rng,
    )?;
    Ok(layout.envelope_len)
}

/// Clinic side with an allocator: returns the sealed submission.
///
/// # Errors
/// As [`seal_submission`].
#[cfg(feature = "alloc")]
pub fn seal_submission_to_vec<K: ChannelKem, R: CryptoRng + ?Sized>(
    aggregator: &KemPublicKey<K>,
    fields: &SubmissionFields,
    sequence: u64,
    ciphertext: &[u8],
    proof: &[u8],
    key: &SigningKey,
    rng: &mut R,
) -> Result<alloc::vec::Vec<u8>, ChannelError> {
    let layout = SubmissionEnvelopeLayout::new::<K>(ciphertext.len(), proof.len())?;
    let mut out = alloc::vec![0u8; layout.envelope_len];
    seal_submission(
        aggregator, fields, sequence, ciphertext, proof, key, &mut out, rng,
    )?;
    Ok(out)
}

/// What the aggregator accepts in the current round.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubmissionPolicy {
    /// Parameter-set id of the round.
    pub param_id: u8,
    /// The round being collected.
    pub round: RoundId,
    /// Largest accepted submission (envelope payload) in bytes.
    pub max_submission_len: usize,
}

/// An opened, authenticated and signature-checked submission.
#[derive(Debug)]
pub struct VerifiedSubmission<'a> {
    /// Authenticated envelope header (sequence number included).
    pub header: EnvelopeHeader,
    /// Signed fields.
    pub fields: SubmissionFields,
    /// The digest the clinic signed (store it with the decision).
    pub digest: SubmissionDigest,
    /// Encoded BFV ciphertexts, for proof verification and aggregation.
    pub ciphertext: &'a [u8],
    /// Encoded proof.
    pub proof: &'a [u8],
}

/// Aggregator side: opens a submission envelope in place, checks everything and records it in `guard`.
///
/// Order: size limit, header (version, KEM, direction, round, length), roster membership of the header's
/// clinic and the replay guard — all before any decapsulation — then AEAD authentication, submission
/// parsing, field agreement (round, clinic, parameter set) and the ML-DSA signature. Only if all pass is
/// the replay key recorded; on any error neither `guard` nor `roster` changes.
///
/// # Errors
/// Any [`ChannelError`] named above.
pub fn open_submission<'a, K: ChannelKem, Ro: ClinicRoster + ?Sized, G: ReplayGuard + ?Sized>(
    sk: &KemSecretKey<K>,
    policy: &SubmissionPolicy,
    roster: &Ro,
    guard: &mut G,
    envelope: &'a mut [u8],
) -> Result<VerifiedSubmission<'a>, ChannelError> {
    let open_policy = OpenPolicy {
        direction: Direction::ClinicToAggregator,
        round: policy.round,
        max_payload_len: policy.max_submission_len,
    };
    if envelope.len() >= super::header::HEADER_LEN {
        let claimed = super::envelope::peek_header(envelope)?.clinic;
        if roster.verifying_key(claimed).is_none() {
            return Err(ChannelError::UnknownClinic(claimed));
        }
    }
    let opened = open_in_place(sk, &open_policy, &*guard, envelope)?;
    let header = opened.header;
    let view = SubmissionView::parse(opened.payload)?;
    check_fields(&view.fields, &header, policy)?;
    let digest = view.verify(roster)?;
    guard.record(&header.replay_key())?;
    Ok(VerifiedSubmission {
        header,
        fields: view.fields,
        digest,
        ciphertext: view.ciphertext,
        proof: view.proof,
    })
}

/// The signed fields must agree with the authenticated header and the round's parameter set.
fn check_fields(
    f: &SubmissionFields,
    header: &EnvelopeHeader,
    policy: &SubmissionPolicy,
) -> Result<(), ChannelError> {
    if f.clinic != header.clinic {
        return Err(ChannelError::ClinicMismatch {
            envelope: header.clinic,
            submission: f.clinic,
        });
    }
    if f.round != header.round {
        return Err(ChannelError::WrongRound {
            expected: header.round,
            got: f.round,
        });
    }
    if f.param_id != policy.param_id {
        return Err(ChannelError::ParamSetMismatch {
            expected: policy.param_id,
            got: f.param_id,
        });
    }
    Ok(())
}

/// The first `needed` bytes of `out`, or [`ChannelError::BufferTooSmall`].
fn prefix_mut(out: &mut [u8], needed: usize) -> Result<&mut [u8], ChannelError> {
    let got = out.len();
    out.get_mut(..needed)
        .ok_or(ChannelError::BufferTooSmall { needed, got })
}
