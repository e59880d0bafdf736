//! Moved, mauled and replayed proofs are rejected with the right typed error, and every verifier check is
//! needed (disabling any one lets some case through or changes its error).

use super::*;

/// Every way of moving or mauling an honest proof, with the error the verifier must give.
fn mauled_cases() -> Vec<(&'static str, Result<(), ProofError>)> {
    let f = fixture();
    let lay = stmt(&f.inst, 4096).layout::<SetS>().unwrap();
    let v = |inst: &Instance, c: &Context, p: &[u8], d: Disable| {
        verify_with::<SetS, N>(&stmt(inst, 4096), c, p, d)
    };
    let mut out = Vec::new();
    let _ = &mut out;
    out.into_iter()
        .chain(core::iter::empty())
        .collect::<Vec<_>>()
        .into_iter()
        .chain(cases_with(f, &lay, &v, Disable::default()))
        .collect()
}

type V<'a> = &'a dyn Fn(&Instance, &Context, &[u8], Disable) -> Result<(), ProofError>;

fn cases_with(
    f: &Fixture,
    lay: &Layout,
    v: V<'_>,
    d: Disable,
) -> Vec<(&'static str, Result<(), ProofError>)> {
    let mut r = Vec::new();
    let p = &f.proof;
    // Ciphertext changed in one coefficient, chunks swapped, another clinic's ciphertext.
    let mut i2 = clone_inst(&f.inst);
    i2.c0[1][7] = M::add(i2.c0[1][7], 1);
    r.push(("c0 coefficient", v(&i2, &ctx(), p, d)));
    let mut i2 = clone_inst(&f.inst);
    i2.c1[0] = M::add(i2.c1[0], 1);
    r.push(("c1 coefficient", v(&i2, &ctx(), p, d)));
    let mut i2 = clone_inst(&f.inst);
    i2.c0.swap(0, 1);
    i2.b.swap(0, 1);
    r.push(("chunks swapped", v(&i2, &ctx(), p, d)));
    let mut i2 = clone_inst(&f.inst);
    i2.c0[1] = i2.c0[0];
    i2.b[1] = i2.b[0];
    r.push(("chunk duplicated", v(&i2, &ctx(), p, d)));
    let mut rng = ChaCha20Rng::seed_from_u64(77);
    let other = instance(&mut rng, f.inst.m.clone());
    r.push(("other ciphertext", v(&other, &ctx(), p, d)));
    // Context replay.
    r.push(("round", v(&f.inst, &Context { round: 8, ..ctx() }, p, d)));
    r.push(("clinic", v(&f.inst, &Context { clinic: 4, ..ctx() }, p, d)));
    // The key is hashed from the statement itself: one changed coefficient of pk.a or pk.b_j is another
    // statement.
    let mut i2 = clone_inst(&f.inst);
    i2.a[5] = M::add(i2.a[5], 1);
    r.push(("pk.a coefficient", v(&i2, &ctx(), p, d)));
    let mut i2 = clone_inst(&f.inst);
    i2.b[1][9] = M::add(i2.b[1][9], 1);
    r.push(("pk.b coefficient", v(&i2, &ctx(), p, d)));
    let mut q = p.clone();
    q[4] = 2;
    r.push(("set id", v(&f.inst, &ctx(), &q, d)));
    // Truncated / extended.
    r.push(("truncated", v(&f.inst, &ctx(), &p[..p.len() - 1], d)));
    let mut q = p.clone();
    q.push(0);
    r.push(("extended", v(&f.inst, &ctx(), &q, d)));
    // One flipped bit in every field.
    for (name, off) in [
        ("t_A", lay.off_ta()),
        ("t_y", lay.off_ty()),
        ("t_beta", lay.off_tb()),
        ("t_g", lay.off_tg()),
        ("z3", lay.off_z3()),
        ("h", lay.off_h() + 8),
        ("t_t", lay.off_tt()),
        ("c-seed", lay.off_cseed()),
        ("z1 u", lay.off_z1u()),
        ("z1 m", lay.off_z1u() + 20_000),
        ("z2 end", p.len() - 30),
    ] {
        let mut q = p.clone();
        q[off] ^= 1;
        r.push((name, v(&f.inst, &ctx(), &q, d)));
    }
    // Non-canonical: coefficient ≥ q in t_A; h with nonzero constant coefficient; z3 and z over their bounds.
    let mut q = p.clone();
    for b in &mut q[lay.off_ta()..lay.off_ta() + 6] {
        *b = 0xff;
    }
    r.push(("t_A coefficient >= q", v(&f.inst, &ctx(), &q, d)));
    let mut q = p.clone();
    q[lay.off_h()] ^= 1;
    r.push(("h constant", v(&f.inst, &ctx(), &q, d)));
    let mut q = p.clone();
    {
        let mut w = crate::zk::proof::BitWriter::new(&mut q[lay.off_z3()..lay.off_h()]);
        for _ in 0..256 {
            w.put((1 << 22) - 1, lay.zk.w3);
        }
        w.finish();
    }
    r.push(("z3 too long", v(&f.inst, &ctx(), &q, d)));
    // z_m over V4's bound yet within the maximal length: 200 m coefficients at the class bound.
    let mut z = z_of(lay, p);
    let m0 = lay.k * D;
    for x in &mut z[m0..m0 + 200] {
        *x = lay.code_m().max_abs as i64;
    }
    let q = with_z(lay, p, &z);
    assert!(q.len() <= lay.max_proof_len());
    r.push(("z too long", v(&f.inst, &ctx(), &q, d)));
    // A unary run past the class bound (the first z coefficient: k_s low bits, then ones).
    let mut q = p.clone();
    for b in &mut q[lay.off_z1u()..lay.off_z1u() + 8] {
        *b = 0xff;
    }
    r.push(("z run over bound", v(&f.inst, &ctx(), &q, d)));
    // Random and zero ciphertexts.
    let mut i2 = clone_inst(&f.inst);
    for c in &mut i2.c0 {
        *c = [0; N];
    }
    *i2.c1 = [0; N];
    r.push(("zero ciphertext", v(&i2, &ctx(), p, d)));
    r
}

#[test]
fn mauled_moved_and_replayed_proofs_rejected() {
    for (name, res) in mauled_cases() {
        assert!(res.is_err(), "{name} accepted");
    }
    // Specific errors for the checks that have their own variant.
    let cases = mauled_cases();
    let get = |n: &str| cases.iter().find(|c| c.0 == n).map(|c| c.1);
    assert_eq!(get("truncated"), Some(Err(ProofError::Length)));
    assert_eq!(get("set id"), Some(Err(ProofError::Header)));
    assert_eq!(
        get("t_A coefficient >= q"),
        Some(Err(ProofError::CoefficientRange))
    );
    assert_eq!(get("h constant"), Some(Err(ProofError::HConstant)));
    assert_eq!(get("z3 too long"), Some(Err(ProofError::Z3Norm)));
    assert_eq!(get("z too long"), Some(Err(ProofError::ZNorm)));
    assert_eq!(get("z run over bound"), Some(Err(ProofError::ZRange)));
    assert_eq!(get("extended"), Some(Err(ProofError::Length)));
    assert_eq!(get("round"), Some(Err(ProofError::Challenge)));
}

/// Hand mutation check, automated: with each verifier check disabled in turn, some case is accepted or
/// changes its error, i.e. some test of this file fails.
#[test]
fn mutation_check_every_check_is_needed() {
    let f = fixture();
    let lay = stmt(&f.inst, 4096).layout::<SetS>().unwrap();
    let v = |inst: &Instance, c: &Context, p: &[u8], d: Disable| {
        verify_with::<SetS, N>(&stmt(inst, 4096), c, p, d)
    };
    let base = cases_with(f, &lay, &v, Disable::default());
    let switches: [(&str, Disable); 7] = [
        (
            "V2 h",
            Disable {
                v2_h: true,
                ..Disable::default()
            },
        ),
        (
            "V3 z3",
            Disable {
                v3_z3: true,
                ..Disable::default()
            },
        ),
        (
            "V4 z",
            Disable {
                v4_z: true,
                ..Disable::default()
            },
        ),
        (
            "V6 commitment",
            Disable {
                v6_commit: true,
                ..Disable::default()
            },
        ),
        (
            "V7 quadratic",
            Disable {
                v7_quad: true,
                ..Disable::default()
            },
        ),
        (
            "V8 challenge",
            Disable {
                v8_challenge: true,
                ..Disable::default()
            },
        ),
        (
            "V1 strict z code",
            Disable {
                lax_z_codec: true,
                ..Disable::default()
            },
        ),
    ];
    for (name, d) in switches {
        let mutated = cases_with(f, &lay, &v, d);
        let honest = v(&f.inst, &ctx(), &f.proof, d);
        let caught = honest.is_err() || base.iter().zip(mutated.iter()).any(|(b, m)| b.1 != m.1);
        std::eprintln!("mutation {name}: caught = {caught}");
        assert!(caught, "disabling {name} is not caught by any test");
    }
}
