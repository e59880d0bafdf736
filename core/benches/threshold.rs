//! Threshold decryption on the paper's update (108,996 parameters, 27 chunks of set L; docs/THRESHOLD.md §7):
//! one member's smudged decryption shares of a round (all chunks), and the combiner's work for a 3-of-5 committee
//! with all members present and with one absent member recovered from backup shares.

#[path = "cpu_time.rs"]
mod cpu_time;

use cpu_time::CpuTime;
use criterion::{Criterion, criterion_group, criterion_main};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use std::time::Duration;
use zkfl_core::bfv::{PlainModulus, SecretKey, public_a};
use zkfl_core::params::limits::plaintext_modulus;
use zkfl_core::params::{ParamSet, SetL};
use zkfl_core::ring::sample::{Xof, uniform};
use zkfl_core::ring::{NttPoly, Poly};
use zkfl_core::threshold::backup::{BackupShare, split};
use zkfl_core::threshold::keys::recover_member;
use zkfl_core::threshold::plan::design;
use zkfl_core::threshold::{Combiner, Contribution, DecryptionLedger, ShareMaker, Smudger};

const PARAMS: usize = 108_996;
const N: usize = 4096;
const K: usize = 4;
type Pl = Poly<<SetL as ParamSet>::M, N>;

fn benches(c: &mut Criterion<CpuTime>) {
    let l = PARAMS.div_ceil(N);
    let plan = design::<SetL>(5, 3, 1024, 1 << 16, l).unwrap();
    let smudger = Smudger::new(&plan).unwrap();
    let plain = PlainModulus::new(plaintext_modulus(1024, 1 << 16).unwrap()).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let keys: Vec<SecretKey<SetL, N>> = (0..5).map(|_| SecretKey::generate(&mut rng)).collect();
    let mut c1 = Box::new(Pl::zero());
    uniform(&mut Xof::new(&[1; 32], b"bench-c1", 0), &mut *c1);
    let c0: Vec<Pl> = (0..l)
        .map(|j| {
            let mut p = Pl::zero();
            uniform(&mut Xof::new(&[2; 32], b"bench-c0", j as u64), &mut p);
            p
        })
        .collect();
    let mut shares: Vec<Vec<Pl>> = (0..5)
        .map(|_| (0..l).map(|_| Pl::zero()).collect())
        .collect();
    c.bench_function(&format!("threshold/member-shares/L-{l}-chunks"), |b| {
        b.iter(|| {
            let mut maker = Box::new(
                ShareMaker::<SetL, N, K>::new(&c1, &mut DecryptionLedger::new(0)).unwrap(),
            );
            for (j, d) in shares[0].iter_mut().enumerate() {
                maker.share(&keys[0], j, &smudger, &mut rng, d);
            }
        })
    });
    for (i, k) in keys.iter().enumerate().skip(1) {
        let mut maker =
            Box::new(ShareMaker::<SetL, N, K>::new(&c1, &mut DecryptionLedger::new(0)).unwrap());
        for (j, d) in shares[i].iter_mut().enumerate() {
            maker.share(k, j, &smudger, &mut rng, d);
        }
    }
    let mut out = Box::new([0i64; N]);
    c.bench_function(&format!("threshold/combine-5-of-5/L-{l}-chunks"), |b| {
        b.iter(|| {
            let mut comb = Box::new(Combiner::<SetL, N, K>::new(plain, 3, &c1));
            for (j, c0j) in c0.iter().enumerate() {
                let contributions: Vec<Contribution<'_, SetL, N>> =
                    shares.iter().map(|s| Contribution::Share(&s[j])).collect();
                comb.decrypt_chunk(j, c0j, &contributions, &mut out)
                    .unwrap();
            }
        })
    });
    // Member 5 absent: its seed is recovered from the backup shares of members 1..3 (checked against its
    // published key share) and its contribution computed by the combiner.
    let mut a = Box::new(Pl::zero());
    public_a::<SetL, N>(&[3; 32], &mut a);
    let a_ntt = Box::new(NttPoly::<N, K>::from_poly(&*a));
    let published: Vec<Pl> = (0..l)
        .map(|j| {
            let mut b = Pl::zero();
            keys[4].public_key_chunk(&a_ntt, j, &mut b);
            b
        })
        .collect();
    let mut backups: Vec<BackupShare> = (0..5)
        .map(|_| BackupShare::from_parts(0, 0, [0; 32]))
        .collect();
    split(keys[4].seed(), 5, 5, 3, &mut rng, &mut backups).unwrap();
    c.bench_function(
        &format!("threshold/recover-absent-member/L-{l}-chunks"),
        |b| {
            b.iter(|| {
                recover_member::<SetL, N, K>(5, 3, &backups[..3], &a_ntt, &published).unwrap()
            })
        },
    );
}

criterion_group! {
    name = group;
    config = Criterion::default().with_measurement(CpuTime).sample_size(10).measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_millis(500));
    targets = benches
}
criterion_main!(group);
