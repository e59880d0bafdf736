//! Host side of the firmware example (docs/FIRMWARE.md).
//!
//! * `zkfl-firmware-host inputs DIR DIM SEED` writes a test round for a model of DIM parameters into DIR:
//!   the device's input files (`terms.bin`, `bfv-pk.bin`, `kem-pk.bin`, `device-seed.bin`, `rng-seed.bin`,
//!   `update.f32`), all derived from the 64-bit SEED.
//! * `zkfl-firmware-host native DIR OUT` runs the native clinic pipeline (`zkfl_core::clinic::Round::submit`)
//!   on the same files with the same RNG seed and writes its sealed submission to OUT: the bytes the device
//!   must reproduce.

use std::path::Path;
use std::process::ExitCode;

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use sha3::Digest;
use zkfl_core::bfv::{SecretKey, public_a};
use zkfl_core::channel::{KemSecretKey, MlKem768, SigningKey};
use zkfl_core::clinic::{K, N, PublicKey, Round, RoundTerms, Silent};
use zkfl_core::params::{ParamSet, SetS};
use zkfl_core::quant::{Quantizer, chunk_count};
use zkfl_core::ring::{NttPoly, Poly};
use zkfl_core::wire;
use zkfl_core::wire::terms::{DeviceTerms, TERMS_BYTES};

type Error = Box<dyn std::error::Error>;

/// Clip bound τ of the test round.
const TAU: f64 = 5.0;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let res = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["inputs", dir, dim, seed] => inputs(Path::new(dir), dim.parse().ok(), seed.parse().ok()),
        ["native", dir, out] => native(Path::new(dir), Path::new(out)),
        _ => Err("usage: zkfl-firmware-host inputs DIR DIM SEED | native DIR OUT".into()),
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("zkfl-firmware-host: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A seeded set-S key with `chunks` chunks, encoded as `zkfl serve` serves it.
fn served_key(rng: &mut ChaCha20Rng, chunks: usize) -> Result<Vec<u8>, Error> {
    let mut seed = [0u8; 32];
    rng.fill_bytes(&mut seed);
    let sk = SecretKey::<SetS, N>::from_seed(seed);
    rng.fill_bytes(&mut seed);
    let mut a = Poly::zero();
    public_a::<SetS, N>(&seed, &mut a);
    let a_ntt = NttPoly::<N, K>::from_poly(&a);
    let b: Vec<_> = (0..chunks)
        .map(|j| {
            let mut bj = Poly::zero();
            sk.public_key_chunk(&a_ntt, j, &mut bj);
            bj
        })
        .collect();
    let mut pk = vec![0u8; wire::bfv::encoded_len::<SetS>(chunks)];
    wire::bfv::encode_public_key::<SetS, N>(&a, &b, &mut pk).map_err(|e| format!("{e:?}"))?;
    Ok(pk)
}

fn inputs(dir: &Path, dim: Option<u32>, seed: Option<u64>) -> Result<(), Error> {
    let (dim, seed) = (dim.ok_or("DIM")?, seed.ok_or("SEED")?);
    std::fs::create_dir_all(dir)?;
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let chunks = chunk_count(dim as usize, N);
    let served = served_key(&mut rng, chunks)?;
    let q = Quantizer::with_max_scale(TAU, dim as usize, SetS::B_INT_MAX)?;
    let terms = DeviceTerms {
        round: 1,
        clinic: 1,
        model_dim: dim,
        norm_bound: TAU,
        scale: q.scale(),
        b_int: q.b_int(),
        t: 2 * 5 * q.b_int() + 1,
        sequence: 1,
        bfv_public_key_sha3: sha3::Sha3_256::digest(&served).into(),
    };
    let mut kem_seed = [0u8; 64];
    rng.fill_bytes(&mut kem_seed);
    let kem = KemSecretKey::<MlKem768>::from_seed(&kem_seed);
    let mut device_seed = [0u8; 32];
    rng.fill_bytes(&mut device_seed);
    let mut rng_seed = [0u8; 32];
    rng.fill_bytes(&mut rng_seed);
    // An update above τ (it is clipped), with a few exact zeros and sign changes.
    let update: Vec<u8> = (0..dim)
        .flat_map(|i| {
            let x = (f64::from(rng.next_u32()) / f64::from(u32::MAX) - 0.5) * 0.2;
            let x = if i % 97 == 0 { 0.0 } else { x as f32 };
            x.to_le_bytes()
        })
        .collect();
    std::fs::write(dir.join("terms.bin"), terms.encode())?;
    std::fs::write(dir.join("bfv-pk.bin"), &served)?;
    std::fs::write(dir.join("kem-pk.bin"), kem.public_key().to_bytes())?;
    std::fs::write(dir.join("kem-seed.bin"), kem_seed)?;
    std::fs::write(dir.join("device-seed.bin"), device_seed)?;
    std::fs::write(dir.join("rng-seed.bin"), rng_seed)?;
    std::fs::write(dir.join("update.f32"), update)?;
    println!("{}: {dim} parameters, {chunks} chunks", dir.display());
    Ok(())
}

fn read_array<const L: usize>(p: &Path) -> Result<[u8; L], Error> {
    let b = std::fs::read(p)?;
    b.try_into()
        .map_err(|_| format!("{}: not {L} bytes", p.display()).into())
}

fn native(dir: &Path, out: &Path) -> Result<(), Error> {
    let t = DeviceTerms::decode(&read_array::<TERMS_BYTES>(&dir.join("terms.bin"))?);
    let served = std::fs::read(dir.join("bfv-pk.bin"))?;
    let chunks = chunk_count(t.model_dim as usize, N);
    let pk = PublicKey::decode(&served, chunks)?;
    let kem = zkfl_core::channel::KemPublicKey::<MlKem768>::from_bytes(&std::fs::read(
        dir.join("kem-pk.bin"),
    )?)?;
    let round = Round::new(
        RoundTerms {
            param_set_id: SetS::ID,
            round: t.round,
            model_dim: t.model_dim,
            norm_bound: t.norm_bound,
            scale: t.scale,
            b_int: t.b_int,
            t: t.t,
            bfv_public_key_sha3: t.bfv_public_key_sha3,
        },
        pk,
        kem,
    )?;
    let update: Vec<f32> = std::fs::read(dir.join("update.f32"))?
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let key = SigningKey::from_seed(&read_array::<32>(&dir.join("device-seed.bin"))?);
    let mut rng = ChaCha20Rng::from_seed(read_array::<32>(&dir.join("rng-seed.bin"))?);
    let sub = round.submit(&update, t.clinic, &key, t.sequence, &mut rng, &mut Silent)?;
    std::fs::write(out, &sub.envelope)?;
    println!("{}: {} bytes (native)", out.display(), sub.envelope.len());
    Ok(())
}
