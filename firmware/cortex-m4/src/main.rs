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
mod store;
mod terms;
mod update;

use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sha3::{Digest, Sha3_256};
use zeroize::Zeroize;
use zkfl_core::arith::{Modulus, Q44};
use zkfl_core::bfv::{PlainModulus, StreamEncryptor};
use zkfl_core::channel::submission::SUBMISSION_OVERHEAD;
use zkfl_core::channel::{
    ClinicId, ContentHash, ContentHasher, ContentKind, Direction, ExpandedSigningKey, KemPublicKey,
    MlKem768, RoundId, SealContext, SubmissionFields, prefix_len, seal_streaming, signed_header,
};
use zkfl_core::params::{ParamSet, SetS};
use zkfl_core::quant::{Quantizer, chunk_count};
use zkfl_core::ring::{NttPoly, Poly};
use zkfl_core::set_s;
use zkfl_core::wire::bfv::{
    HEADER_BYTES, KIND_CIPHERTEXT, KIND_PUBLIC_KEY, encoded_len, read_header, write_header,
};
use zkfl_core::wire::poly::{decode_poly, encode_poly, poly_bytes};
use zkfl_core::zk::prove::{UpdateSource, Witness, prove_to_store};
use zkfl_core::zk::statement::{ChunkedStatement, Context};

use chunks::DeviceChunks;
use host::{File, IoError};
use meter::Clock;
use store::{HostStore, PROOF_FILE};

use update::UpdateFile;

/// Ring degree of set S.
const N: usize = set_s::N;
/// Auxiliary NTT primes of a ternary × uniform product mod q: set S's, from the one place zkfl-core computes
/// it (`sets`), so the device and the native pipeline cannot disagree on the NTT basis.
const K: usize = set_s::K;
/// Chunks the device accepts: the CI run's 2, or the paper's whole update (108,996 parameters, 54 chunks).
/// No buffer depends on it (the ciphertext and the proof go to host storage as they are produced).
#[cfg(not(feature = "full"))]
const MAX_CHUNKS: usize = 2;
#[cfg(feature = "full")]
const MAX_CHUNKS: usize = 54;
/// Bytes of one encoded polynomial.
const POLY_BYTES: usize = poly_bytes::<Q44>(N);
/// Bytes the device moves through host storage per read or write when it re-streams the ciphertext.
const STREAM_PIECE: usize = 1024;
/// The host file that holds the ciphertext between encryption, proving and sealing.
const CIPHERTEXT_FILE: &[u8] = b"ciphertext.bin\0";

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
    /// The ciphertext read back from host storage for sealing is not the one signed.
    CiphertextChanged,
    /// The proof read back from host storage for sealing is not the one signed.
    ProofChanged,
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

/// The ciphertext's `wire::bfv` encoding written to host storage as it is produced, and hashed on the way
/// (the submission's ciphertext hash, `ContentKind::Ciphertext`): the device never holds it whole.
struct CiphertextWriter {
    file: File,
    hash: ContentHasher,
}

impl CiphertextWriter {
    fn create() -> Result<Self, Error> {
        Ok(Self {
            file: File::create_rw(CIPHERTEXT_FILE).map_err(io("ciphertext.bin"))?,
            hash: ContentHasher::new(ContentKind::Ciphertext),
        })
    }

    fn put(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.hash.update(bytes);
        self.file.write_all(bytes).map_err(io("ciphertext.bin"))
    }

    #[inline(never)]
    fn put_poly(&mut self, p: &Poly44) -> Result<(), Error> {
        let mut buf = [0u8; POLY_BYTES];
        encode_poly(p, &mut buf);
        self.put(&buf)
    }
}

/// Encrypts the update chunk by chunk (out of line: its buffers are gone before the prover runs) with the
/// lean `bfv::StreamEncryptor`: its state is u in NTT form; one polynomial buffer serves for pk.a (read as
/// the key file is opened), then for u and then for each decoded b_j and each c0_j, one NTT buffer for pk.a
/// and then for each b_j (transformed and multiplied by u in place), one for the update chunk. c1 and c0_j
/// are encoded straight to host storage (the prover reads pk.a and c1 back: `chunks::DeviceChunks`);
/// returns the key file (for its hash) and u (centred, one byte per coefficient) for the proof. The same ciphertext as
/// `bfv::Encryptor`.
#[inline(never)]
fn encrypt(
    update: &mut UpdateFile,
    plain: PlainModulus<Q44>,
    chunks: usize,
    rng: &mut ChaCha20Rng,
    ct: &mut CiphertextWriter,
    u: &mut [i8; N],
) -> Result<KeyReader, Error> {
    let mut poly = Poly44::zero();
    let mut key_file = KeyReader::open(&mut poly.coeffs, chunks)?;
    let mut ntt = NttPoly::<N, K>::from_poly(&poly);
    let mut c1p = Poly44::zero();
    let mut enc =
        StreamEncryptor::<SetS, N, K>::new(&mut ntt, plain, chunks, rng, &mut poly, &mut c1p);
    // u is ternary: its centred coefficients fit i8 (one byte per coefficient is what the prover borrows).
    #[allow(clippy::cast_possible_truncation)]
    for (o, &x) in u.iter_mut().zip(poly.coeffs.iter()) {
        *o = Q44::to_centered(x) as i8;
    }
    let mut head = [0u8; HEADER_BYTES];
    write_header::<SetS>(KIND_CIPHERTEXT, chunks, &mut head).map_err(|_| Error::Encrypt)?;
    ct.put(&head)?;
    // c1 = a·u + e2 is known before the chunks: the encoding is written (and hashed) in wire order.
    ct.put_poly(&c1p)?;
    let mut m = [0i64; N];
    let mut chunk = |j: usize| -> Result<(), Error> {
        update.chunk(j, &mut m);
        key_file.next_poly(&mut poly.coeffs)?;
        ntt.set_from_poly(&poly);
        enc.encrypt_chunk(&mut ntt, &m, &mut poly)
            .map_err(|_| Error::Encrypt)?;
        ct.put_poly(&poly)
    };
    let res = (0..chunks).try_for_each(&mut chunk);
    // The update chunk, b_j·u and e1_j-bearing buffers are wiped on every path.
    m.zeroize();
    poly.zeroize();
    ntt.zeroize();
    res.map(|()| key_file)
}

/// Encrypt (chunk by chunk, the ciphertext's encoding written to host storage and hashed as it is
/// produced) and prove (into `proof`; the prover reads pk.a, b_j, c1 and c0_j back from host storage). Out
/// of line: u lives in this frame only, so the signing stage that follows
/// does not hold it (docs/FIRMWARE.md). Returns the prover's statistics and the instructions
/// of both stages; records their stack peaks in `peaks`.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn encrypt_and_prove(
    clock: &Clock,
    t: &zkfl_core::wire::terms::DeviceTerms,
    plain: PlainModulus<Q44>,
    chunks: usize,
    mut update: UpdateFile,
    rng: &mut ChaCha20Rng,
    peaks: &mut [usize; 3],
) -> Result<
    (
        zkfl_core::zk::prove::ProveStats,
        ContentHash,
        ContentHash,
        u64,
        u64,
    ),
    Error,
> {
    // Encrypt: b_j read from the key file and put in NTT form one at a time, c0_j encoded straight into
    // the envelope.
    meter::paint();
    let t0 = clock.instructions();
    let mut u = [0i8; N];
    let mut ct = CiphertextWriter::create()?;
    let key_file = encrypt(&mut update, plain, chunks, rng, &mut ct, &mut u)?;
    let key_file = key_file.finish(&t.bfv_public_key_sha3)?;
    let ct_hash = ct.hash.finish();
    let insn_encrypt = clock.instructions() - t0;
    peaks[0] = peaks[0].max(meter::stack_peak());

    // Prove: the staged z and the proof go to host storage (the proof hashed as it is written).
    meter::paint();
    let t1 = clock.instructions();
    let ctx = Context {
        round: t.round,
        clinic: u64::from(t.clinic),
    };
    let stmt = ChunkedStatement::new(DeviceChunks::new(key_file, ct.file, chunks), t.t, t.b_int);
    let mut wit = Witness { u: &u, m: update };
    let mut store = HostStore::create().map_err(io("proof.bin"))?;
    let res = prove_to_store::<SetS, N, _, _, _, _, _>(&stmt, &ctx, &mut wit, rng, &mut store);
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
    Ok((st, ct_hash, store.hash.finish(), insn_encrypt, insn_prove))
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

    let mut kem_bytes = [0u8; 1184];
    host::read_file(b"kem-pk.bin\0", &mut kem_bytes).map_err(io("kem-pk.bin"))?;
    let kem = KemPublicKey::<MlKem768>::from_bytes(&kem_bytes).map_err(|_| Error::Kem)?;
    let mut seed = [0u8; 32];
    host::read_file(b"rng-seed.bin\0", &mut seed).map_err(io("rng-seed.bin"))?;
    let mut rng = ChaCha20Rng::from_seed(seed);
    seed.zeroize();

    let update = UpdateFile::open(b"update.f32\0", &quant)?;

    // The ciphertext and the proof go to host storage as they are produced: nothing here grows with L.
    let ct_len = encoded_len::<SetS>(chunks);
    let held = meter::stack_depth();
    let mut peaks = [meter::stack_peak(); 3];
    let (st, ct_hash, proof_hash, insn_encrypt, insn_prove) =
        encrypt_and_prove(clock, &t, plain, chunks, update, &mut rng, &mut peaks)?;
    meter::paint();
    let proof_len = st.len;

    // Sign (over the hashes) and seal, streaming the envelope out to the host.
    let t2 = clock.instructions();
    let envelope_len = sign_and_seal(&kem, &t, ct_len, &ct_hash, proof_len, &proof_hash, &mut rng)?;
    let insn_seal = clock.instructions() - t2;
    peaks[2] = meter::stack_peak();
    Ok(Stats {
        chunks,
        envelope: envelope_len,
        proof: proof_len,
        insn_encrypt,
        insn_prove,
        insn_seal,
        attempts: st.attempts,
        held,
        peaks,
    })
}

/// One stored content the sealer re-reads: file name (NUL-terminated), display name, kind, length, the hash
/// taken when it was written, and the error if the re-read bytes hash differently.
type SealedPart<'h> = (
    &'static [u8],
    &'static str,
    ContentKind,
    usize,
    &'h ContentHash,
    Error,
);

/// Signs the submission over its content hashes and writes the sealed envelope to `submission.bin` piece by
/// piece: prefix, then header + signature, the ciphertext re-read from host storage and the proof, each
/// encrypted as it passes (`channel::seal_streaming`), then the tag. The same bytes, in the same RNG order
/// (signature, then KEM), as `channel::seal_submission_in_place` over the whole envelope. The ciphertext is
/// hashed again as it is re-read; a host that changed it gets no tag. Returns the envelope's length.
#[inline(never)]
fn sign_and_seal(
    kem: &KemPublicKey<MlKem768>,
    t: &zkfl_core::wire::terms::DeviceTerms,
    ct_len: usize,
    ct_hash: &ContentHash,
    proof_len: usize,
    proof_hash: &ContentHash,
    rng: &mut ChaCha20Rng,
) -> Result<usize, Error> {
    // The device's ML-DSA-65 key is made only now: its 32-byte seed ξ read from storage (`device-seed.bin`; a
    // real board keeps it in OTP or a secure element), expanded by FIPS 204 key generation (`fips204`, out of
    // line: its frame is gone before signing) and wiped at once; the expanded key is wiped when this returns.
    let mut seed = [0u8; 32];
    if let Err(e) = host::read_file(b"device-seed.bin\0", &mut seed) {
        seed.zeroize();
        return Err(Error::Io("device-seed.bin", e));
    }
    let key = ExpandedSigningKey::from_seed_wiping(&mut seed);
    let fields = SubmissionFields {
        param_id: SetS::ID,
        round: RoundId(t.round),
        clinic: ClinicId(t.clinic),
    };
    let mut head = [0u8; SUBMISSION_OVERHEAD];
    signed_header(
        &mut head, &fields, ct_len, proof_len, ct_hash, proof_hash, &key, rng,
    )
    .map_err(Error::Seal)?;
    let payload_len = SUBMISSION_OVERHEAD + ct_len + proof_len;
    let ctx = SealContext {
        direction: Direction::ClinicToAggregator,
        round: fields.round,
        clinic: fields.clinic,
        sequence: t.sequence,
    };
    let mut prefix = [0u8; prefix_len::<MlKem768>()];
    let mut seal = seal_streaming::<MlKem768, _>(kem, &ctx, payload_len, &mut prefix, rng)
        .map_err(Error::Seal)?;
    let mut out = File::create(b"submission.bin\0").map_err(io("submission.bin"))?;
    let w = io("submission.bin");
    out.write_all(&prefix).map_err(&w)?;
    seal.encrypt(&mut head).map_err(Error::Seal)?;
    out.write_all(&head).map_err(&w)?;
    let parts: [SealedPart<'_>; 2] = [
        (
            CIPHERTEXT_FILE,
            "ciphertext.bin",
            ContentKind::Ciphertext,
            ct_len,
            ct_hash,
            Error::CiphertextChanged,
        ),
        (
            PROOF_FILE,
            "proof.bin",
            ContentKind::Proof,
            proof_len,
            proof_hash,
            Error::ProofChanged,
        ),
    ];
    let mut piece = [0u8; STREAM_PIECE];
    for (file, name, kind, len, hash, changed) in parts {
        let mut src = File::open(file).map_err(io(name))?;
        let mut again = ContentHasher::new(kind);
        let mut left = len;
        while left > 0 {
            let p = &mut piece[..left.min(STREAM_PIECE)];
            src.read_exact(p).map_err(io(name))?;
            again.update(p);
            seal.encrypt(p).map_err(Error::Seal)?;
            out.write_all(p).map_err(&w)?;
            left -= p.len();
        }
        if again.finish() != *hash {
            return Err(changed);
        }
    }
    let tag = seal.finish().map_err(Error::Seal)?;
    out.write_all(&tag).map_err(&w)?;
    Ok(prefix.len() + payload_len + tag.len())
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    hprintln!("firmware panic: {}", info);
    halt(debug::EXIT_FAILURE)
}
