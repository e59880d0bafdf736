//! Lattice zero-knowledge proof that a BFV ciphertext is well formed and its plaintext has l2 norm at most B (docs/PROTOCOL.md).

/// The Rice code of the masked openings z1, z2 and the size analysis behind it (docs/PROTOCOL.md §12.1, §15.1).
pub mod codec;
/// Constant-time fixed-point rejection decisions, standard and bimodal (docs/PROTOCOL.md).
pub mod reject;
/// Fiat–Shamir transcript over SHAKE256 with framed, labelled messages (docs/PROTOCOL.md §7.3).
pub mod transcript;

/// Public randomness: matrices, JL rows, challenges (PROTOCOL §4).
pub mod derive;
/// The batched relation F and its homogenised evaluation (PROTOCOL §6 steps 3–5).
pub mod eval;
/// Witness and proof layout (PROTOCOL §5, §12).
pub mod layout;
/// Sums of ring products accumulated in RNS-NTT form (PROTOCOL §10).
pub mod nttacc;
/// Where the prover's output goes: a buffer, or a store written as the proof is produced (PROTOCOL §10).
pub mod output;
/// Derived parameters and build-time soundness conditions (PROTOCOL §3, §9).
pub mod params;
/// Wire format and errors (PROTOCOL §12).
pub mod proof;
/// Streaming prover (PROTOCOL §6, §10).
pub mod prove;
/// Products with the commitment matrices (PROTOCOL §4).
pub mod public;
/// ψ and products by public BFV polynomials (PROTOCOL §1).
pub mod ringmul;
/// Proof-ring elements R = Z_q[Y]/(Y^128+1) (PROTOCOL §1).
pub mod rq;
/// Masks and rejection tests (PROTOCOL §6, §11).
pub mod sampling;
/// The Fiat–Shamir schedule: labels and order of every message and challenge (PROTOCOL §6, §6.1 V5).
pub mod schedule;
/// Statement and context binding (PROTOCOL §2, §6 step 0).
pub mod statement;
#[cfg(test)]
mod tests;
/// Verifier (PROTOCOL §6.1).
pub mod verify;
/// Shared helpers.
pub mod walk;

/// Text that a binary contains exactly when one of the broken verifiers of the `attack-sim` feature
/// (`verify::verify_with`, `codec::RiceReader::lax`, `public::a2_acc_unbound`) is linked into it:
/// `scripts/attack-sim-check.sh` looks for it in the release `zkfl` binary and the browser .wasm (must be
/// absent) and in a forgers' test binary (must be present, so the check can fail).
#[cfg(any(test, feature = "attack-sim"))]
pub const ATTACK_SIM_MARKER: &str =
    "zkfl-core attack-sim: broken verifier linked (never in a product)";

/// Keeps [`ATTACK_SIM_MARKER`] in the binary of any code path that calls it.
#[cfg(any(test, feature = "attack-sim"))]
#[inline(always)]
pub(crate) fn attack_sim_linked() {
    core::hint::black_box(ATTACK_SIM_MARKER);
}
