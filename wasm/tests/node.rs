//! Binding tests run in Node by `wasm-bindgen-test-runner` (scripts/wasm-test.sh): they check what only the
//! wasm32 build can check — the JS error objects, the browser CSPRNG backend, the progress callback.
#![cfg(all(target_arch = "wasm32", target_os = "unknown"))]

use js_sys::{Function, Reflect};
use rand_core::Rng;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;
use zkfl_wasm::progress::{JsProgress, Progress};
use zkfl_wasm::{ClinicError, ErrorCode, rng};

fn code_of(v: &JsValue) -> Option<String> {
    Reflect::get(v, &"code".into()).ok()?.as_string()
}

#[wasm_bindgen_test]
fn errors_become_typed_js_errors() {
    let js: JsValue =
        ClinicError::new(ErrorCode::BadParams, "round announcement is truncated").into();
    assert_eq!(code_of(&js).as_deref(), Some("BadParams"));
    let e: js_sys::Error = js.dyn_into().expect("a JS Error");
    assert_eq!(e.name(), "ZkflError");
    assert_eq!(e.message(), "round announcement is truncated");
}

#[wasm_bindgen_test]
fn browser_csprng_seeds_distinct_generators() {
    let a = rng::fresh().map(|mut r| r.next_u64());
    let b = rng::fresh().map(|mut r| r.next_u64());
    assert!(a.is_ok());
    assert_ne!(a, b);
}

#[wasm_bindgen_test]
fn progress_reaches_the_callback() {
    let sink = Function::new_with_args("s, d, t", "globalThis.__zkflLast = [s, d, t];");
    JsProgress(&sink)
        .report("encrypt", 3, 54)
        .expect("callback ok");
    let last = Reflect::get(&js_sys::global(), &"__zkflLast".into()).expect("set");
    let arr: js_sys::Array = last.dyn_into().expect("array");
    assert_eq!(arr.get(0).as_string().as_deref(), Some("encrypt"));
    assert_eq!(arr.get(1).as_f64(), Some(3.0));
    assert_eq!(arr.get(2).as_f64(), Some(54.0));
}

#[wasm_bindgen_test]
fn throwing_progress_callback_is_a_callback_error() {
    let sink = Function::new_with_args("s, d, t", "throw new Error('user cancelled');");
    let err = JsProgress(&sink)
        .report("prove", 1, 2)
        .err()
        .map(|e| e.code());
    assert_eq!(err, Some(ErrorCode::Callback));
}

#[wasm_bindgen_test]
fn version_matches_the_crate() {
    assert_eq!(zkfl_wasm::info::version(), env!("CARGO_PKG_VERSION"));
}

#[wasm_bindgen_test]
fn synthetic_data_reaches_js_as_typed_arrays() {
    let obj = zkfl_wasm::learn::js_synthetic_clinic_data(2, 5, 16, None).expect("data");
    let x: js_sys::Float32Array = Reflect::get(&obj, &"features".into())
        .expect("features")
        .dyn_into()
        .expect("f32");
    let y: js_sys::Uint8Array = Reflect::get(&obj, &"labels".into())
        .expect("labels")
        .dyn_into()
        .expect("u8");
    assert_eq!((x.length(), y.length()), (16 * 784, 16));
    assert!(y.to_vec().iter().all(|&l| l < 4));
}

#[wasm_bindgen_test]
fn bad_training_input_is_a_bad_input_js_error() {
    let err = zkfl_wasm::learn::js_train_update(&[0.0; 10], &[0.0; 783], &[0], 1, None, None).err();
    assert_eq!(err.as_ref().and_then(code_of).as_deref(), Some("BadInput"));
}

/// The page's path for the round: `verifyAnnouncement` over the signed bytes (what the worker calls). The spec
/// the page trains is the one in the signed bytes; bytes carrying another spec (what a page trusting the JSON
/// `model` field would have used) are refused with `BadAnnouncement`.
#[wasm_bindgen_test]
fn the_page_takes_the_model_only_from_the_signed_announcement() {
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;
    use zkfl_core::channel::{Announcement, SigningKey};
    use zkfl_learn::ModelSpec;
    use zkfl_wasm::announcement::js_verify;

    let announce = |spec: &[u8]| {
        Announcement {
            param_set_id: 1,
            round: zkfl_core::channel::RoundId(3),
            model_dim: 8,
            model_sha3: [1; 32],
            norm_bound: 5.0,
            scale: 512.0,
            b_int: 2727,
            t: 27_271,
            opened_at: 1,
            deadline: 2,
            kem_key_sha3: [2; 32],
            bfv_public_key_sha3: [3; 32],
            model_spec: Some(spec),
        }
        .to_vec()
        .expect("encode")
    };
    let signed = ModelSpec::Logistic {
        features: 3,
        classes: 2,
    }
    .encode();
    let bytes = announce(&signed);
    let key = SigningKey::from_seed(&[7; 32]);
    let sig = Announcement::sign(&key, &bytes, &mut ChaCha20Rng::from_seed([1; 32])).expect("sign");
    let vk = key.verifying_key().to_bytes();
    let Ok(v) = js_verify(&bytes, sig.as_bytes(), &vk) else {
        panic!("the signed announcement verifies");
    };
    assert_eq!(v.model_text().as_deref(), Some("logistic:3,2"));
    assert_eq!(v.b_int(), 2727.0);
    // Another model with the same parameter count (an MLP 3-2), put into the bytes: not what was signed.
    let other = announce(
        &ModelSpec::Mlp {
            sizes: vec![3, 2],
            activation: zkfl_learn::Activation::Relu,
        }
        .encode(),
    );
    let refused = |r: Result<_, JsValue>| r.err().and_then(|e| code_of(&e));
    assert_eq!(
        refused(js_verify(&other, sig.as_bytes(), &vk)).as_deref(),
        Some("BadAnnouncement")
    );
    let other_key = SigningKey::from_seed(&[8; 32]).verifying_key().to_bytes();
    assert_eq!(
        refused(js_verify(&bytes, sig.as_bytes(), &other_key)).as_deref(),
        Some("BadAnnouncement")
    );
}
