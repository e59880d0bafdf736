//! A ZKFL-PQ clinic device on a Cortex-M4 (QEMU `mps2-an386`), without a heap: it reads the round's terms,
//! the BFV public key, the aggregator's KEM key, its device seed and the float update from the host, then
//! clips and quantizes, BFV-encrypts, proves ‖m‖₂ ≤ B_int, signs (ML-DSA-65) and seals (ML-KEM-768 +
//! ChaCha20-Poly1305) exactly as the native clinic pipeline does (`zkfl_core::clinic::Round::submit`), and
//! writes the sealed submission back. The RNG is drawn in the pipeline's order (encryption, prover,
//! sealing), so the same seed gives the same bytes as native (`scripts/firmware.sh` compares them).
//!
//! It prints one `FWSTATS` line: peak RAM (stack painting + statics), instructions per stage (SysTick under
//! `-icount shift=0`) and the sizes. docs/FIRMWARE.md has the memory map and what streams where.
//!
//! Inputs (host files, see `zkfl-firmware-host inputs`): `terms.bin`, `bfv-pk.bin`, `kem-pk.bin`,
//! `device-seed.bin`, `rng-seed.bin` (tests only: a real board seeds from its TRNG), `update.f32`.
//! Output: `submission.bin`.
#![no_std]
#![no_main]

mod chunks;
mod host;
mod meter;
mod terms;
mod update;

use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sha3::{Digest, Sha3_256};
use zeroize::Zeroize;
use zkfl_core::arith::{Modulus, Q44};
use zkfl_core::bfv::{self, Encryptor, PlainModulus};
use zkfl_core::channel::{
    ClinicId, KemPublicKey, MlKem768, RoundId, SigningKey, SubmissionEnvelopeLayout,
    SubmissionFields, seal_submission_in_place,
};
use zkfl_core::params::{ParamSet, SetS};
use zkfl_core::quant::{Quantizer, chunk_count};
use zkfl_core::ring::{NttPoly, Poly};
use zkfl_core::wire::bfv::{
    HEADER_BYTES, KIND_CIPHERTEXT, KIND_PUBLIC_KEY, encoded_len, poly_offset, read_header,
    write_header,
};
use zkfl_core::wire::poly::{decode_poly, encode_poly, poly_bytes};
use zkfl_core::zk::layout::Layout;
use zkfl_core::zk::params::ZkParams;
use zkfl_core::zk::prove::{UpdateSource, Witness, prove_chunked};
use zkfl_core::zk::statement::{ChunkedStatement, Context};

use chunks::DeviceChunks;
use host::{File, IoError};
use meter::Clock;

use update::UpdateFile;

/// Ring degree of set S.
const N: usize = SetS::N;
/// Auxiliary NTT primes for a ternary × uniform product mod q.
const K: usize = bfv::ternary_product_primes(N, <Q44 as Modulus>::BITS);
/// Chunks the buffers hold: the CI run's 2, or the paper's whole update (108,996 parameters, 54 chunks).
#[cfg(not(feature = "full"))]
const MAX_CHUNKS: usize = 2;
#[cfg(feature = "full")]
const MAX_CHUNKS: usize = 54;
/// Bytes of one encoded polynomial.
const POLY_BYTES: usize = poly_bytes::<Q44>(N);
/// Envelope buffer: ciphertext + proof + submission header, signature and sealing overhead.
const ENVELOPE_MAX: usize = encoded_len::<SetS>(MAX_CHUNKS)
    + Layout::new(
        <SetS as ZkParams>::ZK,
        N,
        <Q44 as Modulus>::BYTES,
        MAX_CHUNKS,
        1,
    )
    .prove_buf_len()
    + 8192;

/// A set-S polynomial.
type Poly44 = Poly<Q44, N>;

/// Why the device could not build its submission (printed through `Debug`).
#[derive(Debug)]
#[allow(dead_code)] // the fields are read by the Debug print only
enum Error {
    Io(&'static str, IoError),
    Terms(&'static str),
    TooManyChunks(usize),
    PublicKey,
    /// A b_j or c0_j could not be read back during proving.
    ChunkRead,
    Kem,
    Encrypt,
    Prove(zkfl_core::zk::prove::ProveError),
    UpdateRead,
    Seal(zkfl_core::channel::ChannelError),
}

/// Measured figures, printed for `scripts/firmware.sh`.
struct Stats {
    chunks: usize,
    envelope: usize,
    proof: usize,
    insn_encrypt: u64,
    insn_prove: u64,
    insn_seal: u64,
    attempts: u32,
    /// Stack held across the stages (the pipeline's own buffers: key, ciphertext, envelope).
    held: usize,
    /// Peak stack of each stage (encrypt, prove, sign + seal), painted afresh before each.
    peaks: [usize; 3],
}

fn io(what: &'static str) -> impl Fn(IoError) -> Error {
    move |e| Error::Io(what, e)
}

#[entry]
fn main() -> ! {
    let Some(cp) = cortex_m::Peripherals::take() else {
        halt(debug::EXIT_FAILURE)
    };
    meter::paint();
    let clock = Clock::start(cp.SYST);
    let calibration = meter::calibrate(&clock);
    let code = match run(&clock) {
        Ok(s) => {
            let peak_stack = s
                .peaks
                .iter()
                .copied()
                .fold(meter::stack_peak(), usize::max);
            hprintln!(
                "FWSTATS chunks={} envelope_bytes={} proof_bytes={} static_bytes={} peak_stack_bytes={} \
                 stack_capacity={} insn_encrypt={} insn_prove={} insn_seal={} insn_total={} attempts={} \
                 calibration_insns={} calibration_expected={} held_bytes={} peak_encrypt={} \
                 peak_prove={} peak_seal={}",
                s.chunks,
                s.envelope,
                s.proof,
                meter::static_bytes(),
                peak_stack,
                meter::stack_capacity(),
                s.insn_encrypt,
                s.insn_prove,
                s.insn_seal,
                clock.instructions(),
                s.attempts,
                calibration,
                2 * meter::CALIBRATION_LOOPS,
                s.held,
                s.peaks[0],
                s.peaks[1],
                s.peaks[2],
            );
            debug::EXIT_SUCCESS
        }
        Err(e) => {
            hprintln!("firmware: {:?}", e);
            debug::EXIT_FAILURE
        }
    };
    halt(code)
}

/// Ends the run: QEMU exits with the status; a board without a debugger sleeps.
fn halt(code: debug::ExitStatus) -> ! {
    debug::exit(code);
    loop {
        cortex_m::asm::wfi();
    }
}

/// The served BFV key file, read front to back: pk.a at open, then b_1..b_L as the encryptor asks for them,
/// every byte hashed on the way; [`KeyReader::finish`] checks the whole file against the announced SHA3-256
/// before anything is proven or sent.
struct KeyReader {
    file: File,
    sha: Sha3_256,
    /// Polynomials in the file after the header (a, b_1..b_{L'}, L' ≥ L).
    polys: usize,
    /// Index of the next polynomial to read.
    next: usize,
}

impl KeyReader {
    /// Opens `bfv-pk.bin`, checks its header and length for at least `chunks` chunks, and reads pk.a.
    #[inline(never)]
    fn open(pk_a: &mut [u64; N], chunks: usize) -> Result<Self, Error> {
        let mut file = File::open(b"bfv-pk.bin\0").map_err(io("bfv-pk.bin"))?;
        let len = file.len().map_err(io("bfv-pk.bin"))?;
        let mut head = [0u8; HEADER_BYTES];
        file.read_exact(&mut head).map_err(io("bfv-pk.bin"))?;
        let h = read_header::<SetS>(&head, KIND_PUBLIC_KEY).map_err(|_| Error::PublicKey)?;
        if h.chunks < chunks || len != encoded_len::<SetS>(h.chunks) {
            return Err(Error::PublicKey);
        }
        let mut sha = Sha3_256::new();
        sha.update(head);
        let mut r = Self {
            file,
            sha,
            polys: h.chunks + 1,
            next: 0,
        };
        r.next_poly(pk_a)?;
        Ok(r)
    }

    /// Reads, hashes and decodes the next polynomial (pk.a first, then b_1, b_2, …).
    #[inline(never)]
    fn next_poly(&mut self, out: &mut [u64; N]) -> Result<(), Error> {
        let mut buf = [0u8; POLY_BYTES];
        self.read_hashed(&mut buf)?;
        let mut p = Poly44::zero();
        decode_poly(&buf, (self.next - 1) * N, &mut p).map_err(|_| Error::PublicKey)?;
        *out = p.coeffs;
        Ok(())
    }

    fn read_hashed(&mut self, buf: &mut [u8; POLY_BYTES]) -> Result<(), Error> {
        if self.next >= self.polys {
            return Err(Error::PublicKey);
        }
        self.file.read_exact(buf).map_err(io("bfv-pk.bin"))?;
        self.sha.update(&buf[..]);
        self.next += 1;
        Ok(())
    }

    /// Hashes the rest of the file (chunks the update does not use), compares with the announced hash and
    /// hands the file back for the prover's re-reads.
    #[inline(never)]
    fn finish(mut self, announced: &[u8; 32]) -> Result<File, Error> {
        let mut buf = [0u8; POLY_BYTES];
        while self.next < self.polys {
            self.read_hashed(&mut buf)?;
        }
        if self.sha.finalize_reset().as_slice() != announced {
            return Err(Error::PublicKey);
        }
        Ok(self.file)
    }
}

/// Encrypts the update chunk by chunk (out of line: its NTT buffers are gone before the prover runs):
/// b_j read from the key file and put in NTT form one at a time, c0_j and c1 encoded straight into `ct`
/// (the envelope's ciphertext region); returns c1 and u (centred) for the proof.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn encrypt(
    pk_a: &[u64; N],
    key_file: &mut KeyReader,
    update: &mut UpdateFile,
    plain: PlainModulus<Q44>,
    chunks: usize,
    rng: &mut ChaCha20Rng,
    ct: &mut [u8],
    c1: &mut [u64; N],
    u: &mut [i64; N],
) -> Result<(), Error> {
    let mut scratch = Poly44::zero();
    scratch.coeffs = *pk_a;
    let a_ntt = NttPoly::<N, K>::from_poly(&scratch);
    let mut enc = Encryptor::<SetS, N, K>::new(&a_ntt, plain, chunks, rng);
    write_header::<SetS>(KIND_CIPHERTEXT, chunks, &mut ct[..HEADER_BYTES])
        .map_err(|_| Error::Encrypt)?;
    let mut m = [0i64; N];
    let mut b_ntt = NttPoly::<N, K>::zero();
    for j in 0..chunks {
        update.chunk(j, &mut m);
        key_file.next_poly(&mut scratch.coeffs)?;
        b_ntt.set_from_poly(&scratch);
        enc.encrypt_chunk(&b_ntt, &m, &mut scratch)
            .map_err(|_| Error::Encrypt)?;
        let at = poly_offset::<SetS>(j + 1);
        encode_poly(&scratch, &mut ct[at..at + POLY_BYTES]);
    }
    m.zeroize();
    *c1 = enc.c1().coeffs;
    let at = poly_offset::<SetS>(0);
    encode_poly(enc.c1(), &mut ct[at..at + POLY_BYTES]);
    // u is ternary: its centred coefficients fit i64.
    #[allow(clippy::cast_possible_truncation)]
    for (o, &x) in u.iter_mut().zip(enc.u().coeffs.iter()) {
        *o = Q44::to_centered(x) as i64;
    }
    Ok(())
}

/// The pipeline: terms → key → encrypt (chunk by chunk) → prove (into the envelope) → sign + seal in place.
fn run(clock: &Clock) -> Result<Stats, Error> {
    let t = terms::read()?;
    let dim = t.model_dim as usize;
    let quant = Quantizer::new(t.norm_bound, t.scale, dim).map_err(|_| Error::Terms("τ/scale"))?;
    if quant.b_int() != t.b_int || u128::from(t.t) < 2 * u128::from(t.b_int) + 1 {
        return Err(Error::Terms("B_int or t"));
    }
    let plain = PlainModulus::<Q44>::new(t.t).map_err(|_| Error::Terms("t"))?;
    let chunks = chunk_count(dim, N);
    if chunks == 0 || chunks > MAX_CHUNKS {
        return Err(Error::TooManyChunks(chunks));
    }

    let mut pk_a = [0u64; N];
    let mut key_file = KeyReader::open(&mut pk_a, chunks)?;
    let mut kem_bytes = [0u8; 1184];
    host::read_file(b"kem-pk.bin\0", &mut kem_bytes).map_err(io("kem-pk.bin"))?;
    let kem = KemPublicKey::<MlKem768>::from_bytes(&kem_bytes).map_err(|_| Error::Kem)?;
    let mut seed = [0u8; 32];
    host::read_file(b"rng-seed.bin\0", &mut seed).map_err(io("rng-seed.bin"))?;
    let mut rng = ChaCha20Rng::from_seed(seed);
    host::read_file(b"device-seed.bin\0", &mut seed).map_err(io("device-seed.bin"))?;
    let key = SigningKey::from_seed(&seed);
    seed.zeroize();

    let mut update = UpdateFile::open(b"update.f32\0", &quant)?;

    // The envelope's layout with room for the longest proof: the ciphertext is encoded into it as it is
    // produced and the proof is written at its offset, which does not depend on the proof's length (wire
    // version 3 codes z with a variable length, so the envelope is laid out for the actual length after).
    let buf_len = Layout::new(
        <SetS as ZkParams>::ZK,
        N,
        <Q44 as Modulus>::BYTES,
        chunks,
        t.b_int,
    )
    .prove_buf_len();
    let ct_len = encoded_len::<SetS>(chunks);
    let staging =
        SubmissionEnvelopeLayout::new::<MlKem768>(ct_len, buf_len).map_err(Error::Seal)?;
    let mut envelope = [0u8; ENVELOPE_MAX];
    let env = envelope
        .get_mut(..staging.envelope_len)
        .ok_or(Error::TooManyChunks(chunks))?;

    // Encrypt: b_j read from the key file and put in NTT form one at a time, c0_j encoded straight into
    // the envelope.
    let held = meter::stack_depth();
    let mut peaks = [meter::stack_peak(); 3];
    meter::paint();
    let t0 = clock.instructions();
    let mut c1 = [0u64; N];
    let mut u = [0i64; N];
    encrypt(
        &pk_a,
        &mut key_file,
        &mut update,
        plain,
        chunks,
        &mut rng,
        &mut env[staging.ciphertext.clone()],
        &mut c1,
        &mut u,
    )?;
    let key_file = key_file.finish(&t.bfv_public_key_sha3)?;
    let insn_encrypt = clock.instructions() - t0;
    peaks[0] = peaks[0].max(meter::stack_peak());

    // Prove, straight into the envelope.
    meter::paint();
    let t1 = clock.instructions();
    let ctx = Context {
        round: t.round,
        clinic: u64::from(t.clinic),
    };
    let (front, back) = env.split_at_mut(staging.proof.start);
    let stmt = ChunkedStatement {
        pk_a: &pk_a,
        c1: &c1,
        chunks: DeviceChunks::new(key_file, &front[staging.ciphertext.clone()], chunks),
        t: t.t,
        bound: t.b_int,
    };
    let mut wit = Witness { u: &u, m: update };
    let res = prove_chunked::<SetS, N, _, _, _>(
        &stmt,
        &ctx,
        &mut wit,
        &mut rng,
        &mut back[..staging.proof.len()],
    );
    let failed = wit.m.failed();
    u.zeroize();
    if failed {
        return Err(Error::UpdateRead);
    }
    if stmt.chunks.failed() {
        return Err(Error::ChunkRead);
    }
    let st = res.map_err(Error::Prove)?;
    let insn_prove = clock.instructions() - t1;
    peaks[1] = meter::stack_peak();
    meter::paint();
    let proof_len = st.len;
    let lay = SubmissionEnvelopeLayout::new::<MlKem768>(ct_len, proof_len).map_err(Error::Seal)?;
    debug_assert_eq!(lay.proof.start, staging.proof.start);
    let env = &mut env[..lay.envelope_len];

    // Sign and seal in place.
    let t2 = clock.instructions();
    let fields = SubmissionFields {
        param_id: SetS::ID,
        round: RoundId(t.round),
        clinic: ClinicId(t.clinic),
    };
    seal_submission_in_place::<MlKem768, _>(
        &kem, &fields, t.sequence, ct_len, proof_len, &key, env, &mut rng,
    )
    .map_err(Error::Seal)?;
    let insn_seal = clock.instructions() - t2;
    peaks[2] = meter::stack_peak();

    let mut out = File::create(b"submission.bin\0").map_err(io("submission.bin"))?;
    out.write_all(env).map_err(io("submission.bin"))?;
    Ok(Stats {
        chunks,
        envelope: lay.envelope_len,
        proof: proof_len,
        insn_encrypt,
        insn_prove,
        insn_seal,
        attempts: st.attempts,
        held,
        peaks,
    })
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    hprintln!("firmware panic: {}", info);
    halt(debug::EXIT_FAILURE)
}
