//! End-to-end protection of the members' ceremony messages through the relaying aggregator (docs/THRESHOLD.md
//! §15.2, review 13 R13-1/R13-2).
//!
//! The aggregator relays every ceremony message, so the channel hop authenticates the relay, never the member
//! who wrote the message. Hence:
//!
//! - **Signed** (R13-2): every member-originated ceremony message (0x10, 0x11, 0x12) travels as
//!   `message ‖ σ`, σ = ML-DSA-65 over the whole encoded message under the context [`MESSAGE_CONTEXT`], by the
//!   sender's roster key. The encoding is domain-separated and binds what the receiver acts on: its header binds
//!   the format version, kind, parameter set, sender, (n, t), L and the epoch identity (which contains ρ_R);
//!   a 0x12 body binds the recipient (holder); the body is the content. A receiver verifies σ under the roster
//!   key of the header's sender before decoding the body ([`verify_signed`]). A message whose σ fails was
//!   changed after its sender signed it: the relay (or the path) is to blame, never the claimed sender
//!   ([`SignedError::BadSignature`]).
//! - **Sealed** (R13-1): a 0x12 (secret part seeds) is signed, then sealed in a channel envelope
//!   (`channel::envelope`, direction `DealerToHolder`) to the holder's ML-KEM-768 key. That key comes from the
//!   roster file, where the holder's roster ML-DSA key signed it ([`sign_kem_key`], [`verify_kem_key`]), never
//!   from the relay.
//! - **Signed answers** (§15.3): a member's answer (0x15 share set ‖ 0x16 proofs) travels as `answer ‖ σ`, σ =
//!   ML-DSA-65 under [`ANSWER_CONTEXT`] over [`answer_digest`], which binds the epoch identity, the answering
//!   member, the round, the aggregate binding β(A), the present set and the excluded member a supplement is for
//!   (0 for a regular answer), then the answer's bytes. The verifier fills those fields from its *own* view of
//!   the round ([`AnswerFor`]), never from the answer, so an answer replayed into another round, present set or
//!   supplement fails as the relay's fault; only an answer its member signed for exactly this request can get
//!   that member excluded (and serve as the evidence a helper needs before it supplements, review 16 R16-3b).

use crate::channel::envelope::OpenPolicy;
use crate::channel::identity::{ContextSigner, SIGNATURE_LEN, Signature, VerifyingKey};
use crate::channel::kem::{ChannelKem, KemPublicKey, MlKem768};
use crate::channel::{ChannelError, Direction, ReplayError, ReplayGuard, ReplayKey, RoundId};
use crate::params::ParamSet;
use crate::threshold::Epoch;
use crate::threshold::slots::Members;
use rand_core::CryptoRng;
use sha3::{Digest, Sha3_256};

use super::{DecodeError, Frame, HEADER_BYTES, Kind, dealt_len, read_header};

/// ML-DSA context of a member's signature on a committee message.
pub const MESSAGE_CONTEXT: &[u8] = b"ZKFL-PQ/v1/committee-message";
/// ML-DSA context of a member's signature on its own ML-KEM encapsulation key in the roster.
pub const KEM_KEY_CONTEXT: &[u8] = b"ZKFL-PQ/v1/committee-kem-key";
/// ML-DSA context of a member's signature on its answer (share set ‖ proofs, §15.3).
pub const ANSWER_CONTEXT: &[u8] = b"ZKFL-PQ/v1/committee-answer";
/// The KEM of the members' channel keys.
pub type MemberKem = MlKem768;
/// Length of a member's encapsulation key (ML-KEM-768: 1,184 bytes).
pub const KEM_KEY_BYTES: usize = <MemberKem as ChannelKem>::ENCAPSULATION_KEY_LEN;
/// Bytes a signature adds to a message.
pub const SIGNED_OVERHEAD: usize = SIGNATURE_LEN;

/// Why a signed or sealed committee message, or a roster's KEM key, was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignedError {
    /// The message (without its signature) did not decode (`DecodeError`).
    Wire(DecodeError),
    /// The signature of the message claiming `claimed_sender` does not verify under that member's roster key:
    /// the message was changed or made by someone else (the relay), not by the claimed sender, who is not to
    /// blame.
    BadSignature {
        /// The header's sender.
        claimed_sender: u8,
    },
    /// A roster's KEM key is not signed by the member's roster ML-DSA key (the roster file is not the
    /// members' own: refuse the file).
    KemKeyNotSigned {
        /// The member whose KEM key fails.
        member: u8,
    },
    /// A message of another kind than the receiver expects here.
    WrongKind {
        /// Expected.
        expected: u8,
        /// Got.
        got: u8,
    },
    /// A sealed 0x12 addressed to another holder, or whose envelope names another dealer than the signed
    /// message (the relay routed or relabelled it).
    WrongRecipient {
        /// The receiver.
        expected: u8,
        /// The holder the message names.
        got: u8,
    },
    /// The envelope did not open (`ChannelError`): not sealed to this member's roster KEM key, or changed.
    Envelope(ChannelError),
}

impl core::fmt::Display for SignedError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Wire(e) => write!(f, "{e}"),
            Self::BadSignature { claimed_sender } => write!(
                f,
                "the message claiming member {claimed_sender} does not carry its signature: changed or made \
                 by the relay (member {claimed_sender} is not blamed)"
            ),
            Self::KemKeyNotSigned { member } => write!(
                f,
                "the roster's KEM key of member {member} is not signed by its identity key"
            ),
            Self::WrongKind { expected, got } => {
                write!(f, "expected message kind {expected:#04x}, got {got:#04x}")
            }
            Self::WrongRecipient { expected, got } => write!(
                f,
                "dealt parts for member {got} (or relabelled), delivered to member {expected}"
            ),
            Self::Envelope(e) => write!(f, "sealed dealt parts: {e}"),
        }
    }
}

impl From<DecodeError> for SignedError {
    fn from(e: DecodeError) -> Self {
        Self::Wire(e)
    }
}

impl From<ChannelError> for SignedError {
    fn from(e: ChannelError) -> Self {
        Self::Envelope(e)
    }
}

/// Signs an encoded committee message (its header names the signer) under [`MESSAGE_CONTEXT`].
///
/// # Errors
/// [`SignedError::Envelope`] if the signer fails.
pub fn sign_message<S: ContextSigner, R: CryptoRng + ?Sized>(
    signer: &S,
    message: &[u8],
    rng: &mut R,
) -> Result<Signature, SignedError> {
    Ok(signer.sign_with_context(message, MESSAGE_CONTEXT, rng)?)
}

/// `message ‖ σ`.
///
/// # Errors
/// As [`sign_message`].
#[cfg(feature = "alloc")]
pub fn signed_to_vec<S: ContextSigner, R: CryptoRng + ?Sized>(
    signer: &S,
    message: &[u8],
    rng: &mut R,
) -> Result<alloc::vec::Vec<u8>, SignedError> {
    let sig = sign_message(signer, message, rng)?;
    let mut out = alloc::vec::Vec::with_capacity(message.len() + SIGNED_OVERHEAD);
    out.extend_from_slice(message);
    out.extend_from_slice(sig.as_bytes());
    Ok(out)
}

/// Checks `message ‖ σ` of kind `kind`: header against the frame, then σ under the roster key of the header's
/// sender. Returns the sender and the message (the caller decodes its body).
///
/// # Errors
/// [`SignedError::Wire`] (too short, or the header's checks), [`SignedError::BadSignature`].
pub fn verify_signed<'a, P: ParamSet>(
    f: &Frame<'_>,
    kind: Kind,
    roster: &[VerifyingKey],
    bytes: &'a [u8],
) -> Result<(u8, &'a [u8]), SignedError> {
    let split = bytes
        .len()
        .checked_sub(SIGNED_OVERHEAD)
        .filter(|&m| m >= HEADER_BYTES)
        .ok_or(DecodeError::WrongLength {
            expected: HEADER_BYTES + SIGNED_OVERHEAD,
            got: bytes.len(),
        })?;
    let (message, sig) = bytes.split_at(split);
    let h = read_header::<P>(f, kind, true, message)?;
    let key = roster
        .get(usize::from(h.sender) - 1)
        .ok_or(DecodeError::MemberIndex { index: h.sender })?;
    let sig = Signature::from_bytes(sig).map_err(|_| SignedError::BadSignature {
        claimed_sender: h.sender,
    })?;
    key.verify_with_context(message, MESSAGE_CONTEXT, &sig)
        .map_err(|_| SignedError::BadSignature {
            claimed_sender: h.sender,
        })?;
    Ok((h.sender, message))
}

/// What a member's signature on its KEM key covers: the epoch identity (CRS, epoch, n, t, ρ_R), the member
/// index and the encapsulation key.
fn kem_key_message(epoch: &Epoch, member: u8, ek: &[u8]) -> [u8; 33 + KEM_KEY_BYTES] {
    let mut m = [0u8; 33 + KEM_KEY_BYTES];
    m[..32].copy_from_slice(&epoch.id());
    m[32] = member;
    m[33..].copy_from_slice(ek);
    m
}

/// Member `member`'s signature on its own encapsulation key `ek` for `epoch` (written into the roster file).
///
/// # Errors
/// [`SignedError::Envelope`] if the signer fails.
pub fn sign_kem_key<S: ContextSigner, R: CryptoRng + ?Sized>(
    signer: &S,
    epoch: &Epoch,
    member: u8,
    ek: &KemPublicKey<MemberKem>,
    rng: &mut R,
) -> Result<Signature, SignedError> {
    let m = kem_key_message(epoch, member, ek.to_bytes().as_ref());
    Ok(signer.sign_with_context(&m, KEM_KEY_CONTEXT, rng)?)
}

/// Checks member `member`'s signature `sig` on `ek` under its roster key `vk`.
///
/// # Errors
/// [`SignedError::KemKeyNotSigned`].
pub fn verify_kem_key(
    epoch: &Epoch,
    member: u8,
    vk: &VerifyingKey,
    ek: &KemPublicKey<MemberKem>,
    sig: &Signature,
) -> Result<(), SignedError> {
    let m = kem_key_message(epoch, member, ek.to_bytes().as_ref());
    vk.verify_with_context(&m, KEM_KEY_CONTEXT, sig)
        .map_err(|_| SignedError::KemKeyNotSigned { member })
}

/// The envelope header of a dealer's 0x12 to a holder: direction `DealerToHolder`, round = key epoch, clinic id
/// = holder, sequence = dealer.
fn seal_context(epoch: &Epoch, dealer: u8, holder: u8) -> crate::channel::SealContext {
    crate::channel::SealContext {
        direction: Direction::DealerToHolder,
        round: RoundId(epoch.epoch),
        clinic: crate::channel::ClinicId(u32::from(holder)),
        sequence: u64::from(dealer),
    }
}

/// Length of a sealed 0x12: the envelope around `message ‖ σ`.
#[must_use]
pub fn sealed_dealt_len(f: &Frame<'_>) -> usize {
    dealt_len(f) + SIGNED_OVERHEAD + crate::channel::envelope::overhead::<MemberKem>()
}

/// Signs an encoded 0x12 (dealer in its header, holder in its body) and seals `message ‖ σ` to the holder's
/// roster KEM key `holder_key`, into `out` ([`sealed_dealt_len`] bytes).
///
/// # Errors
/// [`SignedError::Wire`] if `message` is not a 0x12 of this frame or `out` has another length,
/// [`SignedError::Envelope`].
pub fn seal_dealt<P: ParamSet, S: ContextSigner, R: CryptoRng + ?Sized>(
    f: &Frame<'_>,
    signer: &S,
    holder_key: &KemPublicKey<MemberKem>,
    message: &[u8],
    out: &mut [u8],
    rng: &mut R,
) -> Result<(), SignedError> {
    let h = read_header::<P>(f, Kind::DealtParts, true, message)?;
    super::check_len(dealt_len(f), message)?;
    super::check_len(sealed_dealt_len(f), out)?;
    let holder = message[HEADER_BYTES];
    let at = crate::channel::envelope::prefix_len::<MemberKem>();
    out[at..at + message.len()].copy_from_slice(message);
    let sig = sign_message(signer, message, rng)?;
    out[at + message.len()..at + message.len() + SIGNED_OVERHEAD].copy_from_slice(sig.as_bytes());
    let ctx = seal_context(f.epoch, h.sender, holder);
    Ok(crate::channel::envelope::seal_in_place(
        holder_key, &ctx, out, rng,
    )?)
}

/// A replay guard that accepts every envelope: a replayed 0x12 is refused by the holdings as a duplicate part
/// (`ThresholdError::Duplicate`), so the channel's guard adds nothing here.
struct AcceptAll;

impl ReplayGuard for AcceptAll {
    fn check(&self, _: &ReplayKey) -> Result<(), ReplayError> {
        Ok(())
    }
    fn record(&mut self, _: &ReplayKey) -> Result<(), ReplayError> {
        Ok(())
    }
}

/// Opens a sealed 0x12 in place with this member's (`own`) KEM key and checks the dealer's signature: returns
/// the dealer and `message ‖ σ`, decrypted inside `envelope` (secret: the caller zeroizes `envelope`), whose
/// message is addressed to `own`.
///
/// # Errors
/// [`SignedError::Envelope`] (not sealed to this key, changed), [`SignedError::WrongRecipient`] (another
/// holder, or an envelope that names another dealer than the signed message), and those of [`verify_signed`].
pub fn open_dealt<'a, P: ParamSet>(
    f: &Frame<'_>,
    own: u8,
    kem: &crate::channel::KemSecretKey<MemberKem>,
    roster: &[VerifyingKey],
    envelope: &'a mut [u8],
) -> Result<(u8, &'a [u8]), SignedError> {
    let policy = OpenPolicy {
        direction: Direction::DealerToHolder,
        round: RoundId(f.epoch.epoch),
        max_payload_len: dealt_len(f) + SIGNED_OVERHEAD,
    };
    let opened = crate::channel::envelope::open_in_place(kem, &policy, &AcceptAll, envelope)?;
    let header = opened.header;
    let payload: &'a [u8] = opened.payload;
    let (dealer, message) = verify_signed::<P>(f, Kind::DealtParts, roster, payload)?;
    let holder = message[HEADER_BYTES];
    if holder != own || header.clinic.0 != u32::from(own) || header.sequence != u64::from(dealer) {
        return Err(SignedError::WrongRecipient {
            expected: own,
            got: holder,
        });
    }
    Ok((dealer, payload))
}

/// The request an answer answers, as the verifier knows it (its own round, aggregate and present set; the member
/// it asked; the excluded member a supplement is for): what a member's answer signature binds besides the bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AnswerFor {
    /// The answering member (1..=n).
    pub member: u8,
    /// The round.
    pub round: u64,
    /// The aggregate's binding β(A).
    pub binding: [u8; 32],
    /// The present set P.
    pub present: Members,
    /// The excluded member a supplementary answer is for; 0 for a regular answer.
    pub supplement_for: u8,
}

/// What a member signs for its answer: SHA3-256(ANSWER_CONTEXT ‖ epoch identity ‖ member ‖ round (u64 LE) ‖
/// β(A) ‖ present set (u32 LE) ‖ x ‖ answer length (u64 LE) ‖ answer).
#[must_use]
pub fn answer_digest(epoch: &Epoch, what: &AnswerFor, answer: &[u8]) -> [u8; 32] {
    let mut h = Sha3_256::new();
    h.update(ANSWER_CONTEXT);
    h.update(epoch.id());
    h.update([what.member]);
    h.update(what.round.to_le_bytes());
    h.update(what.binding);
    h.update(what.present.to_le_bytes());
    h.update([what.supplement_for]);
    h.update((answer.len() as u64).to_le_bytes());
    h.update(answer);
    h.finalize().into()
}

/// The answering member's signature on `answer` (share set ‖ proofs) for the request `what`.
///
/// # Errors
/// [`SignedError::Envelope`] if the signer fails.
pub fn sign_answer<S: ContextSigner, R: CryptoRng + ?Sized>(
    signer: &S,
    epoch: &Epoch,
    what: &AnswerFor,
    answer: &[u8],
    rng: &mut R,
) -> Result<Signature, SignedError> {
    let d = answer_digest(epoch, what, answer);
    Ok(signer.sign_with_context(&d, ANSWER_CONTEXT, rng)?)
}

/// Checks a signed answer `answer ‖ σ` for the request `what` (the verifier's own view) under the roster key of
/// `what.member`, before anything of the answer is decoded; returns the answer without σ.
///
/// # Errors
/// [`SignedError::Wire`] (`MemberIndex` for a member outside the roster, `WrongLength` for bytes shorter than a
/// signature), [`SignedError::BadSignature`] when σ does not verify: the answer was changed, replayed from
/// another request or made by someone else on the path; its claimed member is not to blame.
pub fn verify_answer<'a>(
    epoch: &Epoch,
    roster: &[VerifyingKey],
    what: &AnswerFor,
    bytes: &'a [u8],
) -> Result<&'a [u8], SignedError> {
    let key = usize::from(what.member)
        .checked_sub(1)
        .and_then(|i| roster.get(i))
        .ok_or(DecodeError::MemberIndex { index: what.member })?;
    let split = bytes
        .len()
        .checked_sub(SIGNED_OVERHEAD)
        .ok_or(DecodeError::WrongLength {
            expected: SIGNED_OVERHEAD,
            got: bytes.len(),
        })?;
    let (answer, sig) = bytes.split_at(split);
    let bad = SignedError::BadSignature {
        claimed_sender: what.member,
    };
    let sig = Signature::from_bytes(sig).map_err(|_| bad)?;
    key.verify_with_context(&answer_digest(epoch, what, answer), ANSWER_CONTEXT, &sig)
        .map_err(|_| bad)?;
    Ok(answer)
}
