//! Round trips, conversions, and every way a file can be wrong.

use std::path::{Path, PathBuf};

use jetnewton_engine::Tensor;
use safetensors::{Dtype, SafeTensors};

use super::file::{serialize, RawTensor};
use super::*;
use crate::error::NetsError;
use crate::models::Model;
use crate::params::Params;

fn model() -> Model {
    Model::from_spec("mlp:3-2-4:tanh").unwrap()
}

/// Writes raw tensors `(name, dtype, shape, bytes)` to `dir/name`.
fn write_raw(dir: &Path, file: &str, tensors: Vec<(&str, Dtype, Vec<usize>, Vec<u8>)>) -> PathBuf {
    let path = dir.join(file);
    let raws: Vec<(String, RawTensor)> = tensors
        .into_iter()
        .map(|(n, dtype, shape, bytes)| {
            (
                n.to_string(),
                RawTensor {
                    dtype,
                    shape,
                    bytes,
                },
            )
        })
        .collect();
    std::fs::write(&path, serialize(&path, &raws).unwrap()).unwrap();
    path
}

fn f64_bytes(v: &[f64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn i64_bytes(v: &[i64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

#[test]
fn save_then_load_round_trips_and_converts() {
    let dir = tempfile::tempdir().unwrap();
    let m = model();
    let p64 = m.init_params::<f64>(5);
    let path = dir.path().join("w.safetensors");
    save_params(&path, &p64).unwrap();
    assert_eq!(load_params::<f64>(&path, &m).unwrap(), p64);
    // f64 file read as f32: rounded.
    assert_eq!(load_params::<f32>(&path, &m).unwrap(), p64.cast::<f32>());
    // The file holds PyTorch names, shapes and F64.
    let bytes = std::fs::read(&path).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let w = st.tensor("1.weight").unwrap();
    assert_eq!((w.dtype(), w.shape()), (Dtype::F64, &[4usize, 2][..]));

    // f32 parameters are written as F32, and overwrite the old file.
    let p32 = m.init_params::<f32>(6);
    save_params(&path, &p32).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(
        SafeTensors::deserialize(&bytes)
            .unwrap()
            .tensor("0.bias")
            .unwrap()
            .dtype(),
        Dtype::F32
    );
    assert_eq!(load_params::<f64>(&path, &m).unwrap(), p32.cast::<f64>());
    assert_eq!(load_direction::<f32>(&path, &m).unwrap(), p32);
    // Nothing but the file is left in the directory.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn save_into_a_missing_directory_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no/such/dir/w.safetensors");
    let err = save_params(&path, &model().init_params::<f64>(0)).unwrap_err();
    assert!(matches!(err, NetsError::Io { .. }), "{err}");
    assert!(err.to_string().contains("no/such/dir"), "{err}");
}

#[test]
fn weight_files_that_do_not_fit_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let m = model();
    let good = |n: usize| f64_bytes(&vec![0.5; n]);
    let base = || {
        vec![
            ("0.weight", Dtype::F64, vec![2, 3], good(6)),
            ("0.bias", Dtype::F64, vec![2], good(2)),
            ("1.weight", Dtype::F64, vec![4, 2], good(8)),
            ("1.bias", Dtype::F64, vec![4], good(4)),
        ]
    };
    let mut missing = base();
    missing.remove(2);
    let path = write_raw(dir.path(), "missing.safetensors", missing);
    let err = load_params::<f64>(&path, &m).unwrap_err();
    assert!(
        matches!(&err, NetsError::MissingTensor { name, .. } if name == "1.weight"),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("missing.safetensors: missing tensor `1.weight`"),
        "{err}"
    );

    let mut extra = base();
    extra.push(("2.weight", Dtype::F64, vec![1], good(1)));
    let err =
        load_params::<f64>(write_raw(dir.path(), "extra.safetensors", extra), &m).unwrap_err();
    assert!(
        err.to_string().contains("unexpected tensor `2.weight`"),
        "{err}"
    );

    let mut shape = base();
    shape[0] = ("0.weight", Dtype::F64, vec![3, 2], good(6));
    let err =
        load_params::<f64>(write_raw(dir.path(), "shape.safetensors", shape), &m).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("tensor `0.weight` has shape [3, 2], expected [2, 3]"),
        "{err}"
    );

    let mut dtype = base();
    dtype[1] = ("0.bias", Dtype::I64, vec![2], i64_bytes(&[1, 2]));
    let err =
        load_params::<f64>(write_raw(dir.path(), "dtype.safetensors", dtype), &m).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("tensor `0.bias` has dtype I64, expected F32, F64, F16 or BF16"),
        "{err}"
    );

    let ok = write_raw(dir.path(), "ok.safetensors", base());
    assert_eq!(
        load_params::<f64>(&ok, &m)
            .unwrap()
            .get("1.bias")
            .unwrap()
            .data(),
        &[0.5; 4]
    );
}

#[test]
fn missing_truncated_and_corrupt_files_are_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let m = model();
    let err = load_params::<f64>(dir.path().join("absent.safetensors"), &m).unwrap_err();
    assert!(
        matches!(err, NetsError::Io { .. }) && err.to_string().contains("absent.safetensors"),
        "{err}"
    );

    let path = dir.path().join("w.safetensors");
    save_params(&path, &m.init_params::<f64>(0)).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    for (name, content) in [
        ("cut.safetensors", bytes[..bytes.len() - 8].to_vec()),
        ("header.safetensors", bytes[..20].to_vec()),
        ("empty.safetensors", Vec::new()),
        (
            "garbage.safetensors",
            b"this is not a safetensors file at all".to_vec(),
        ),
    ] {
        let p = dir.path().join(name);
        std::fs::write(&p, content).unwrap();
        let err = load_params::<f64>(&p, &m).unwrap_err();
        assert!(
            matches!(err, NetsError::Safetensors { .. }),
            "{name}: {err}"
        );
        assert!(
            err.to_string().starts_with(&p.display().to_string()),
            "{name}: {err}"
        );
    }
}

#[test]
fn batch_files_are_checked_against_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let m = Model::from_spec("lenet5:1x16x16").unwrap();
    let x = |b: usize| f64_bytes(&vec![0.25; b * 256]);
    let write = |name: &str, xs: Vec<usize>, y: Vec<i64>| {
        let n: usize = xs.iter().product();
        let ys = vec![y.len()];
        let tensors = vec![
            ("x", Dtype::F64, xs, x(n / 256)),
            ("y", Dtype::I64, ys, i64_bytes(&y)),
        ];
        write_raw(dir.path(), name, tensors)
    };
    let b = load_batch::<f32>(write("ok.safetensors", vec![2, 1, 16, 16], vec![3, 9]), &m).unwrap();
    assert_eq!(
        (b.x.shape(), b.y.as_slice()),
        (&[2usize, 1, 16, 16][..], &[3usize, 9][..])
    );
    assert!(b.x.data().iter().all(|&v| v == 0.25));
    // A flattened batch fits too.
    let b = load_batch::<f64>(write("flat.safetensors", vec![2, 256], vec![0, 1]), &m).unwrap();
    assert_eq!(b.x.shape(), &[2, 256]);

    let err = load_batch::<f64>(
        write("label.safetensors", vec![2, 1, 16, 16], vec![3, 10]),
        &m,
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .ends_with("tensor `y`: sample 1 has label 10, but the model has 10 classes"),
        "{err}"
    );
    let err =
        load_batch::<f64>(write("neg.safetensors", vec![1, 1, 16, 16], vec![-1]), &m).unwrap_err();
    assert!(err.to_string().contains("label -1"), "{err}");
    let err =
        load_batch::<f64>(write("count.safetensors", vec![2, 1, 16, 16], vec![3]), &m).unwrap_err();
    assert!(
        err.to_string()
            .contains("tensor `y` has shape [1], expected [2]"),
        "{err}"
    );
    let err =
        load_batch::<f64>(write("x.safetensors", vec![2, 3, 16, 16], vec![3, 4]), &m).unwrap_err();
    assert!(
        err.to_string()
            .contains("tensor `x` has shape [2, 3, 16, 16], expected [B, 1, 16, 16]"),
        "{err}"
    );

    let tensors = vec![
        ("x", Dtype::F64, vec![1, 256], x(1)),
        ("y", Dtype::F64, vec![1], f64_bytes(&[1.0])),
    ];
    let err =
        load_batch::<f64>(write_raw(dir.path(), "ydtype.safetensors", tensors), &m).unwrap_err();
    assert!(
        err.to_string()
            .contains("tensor `y` has dtype F64, expected I64"),
        "{err}"
    );
    let tensors = vec![("x", Dtype::F64, vec![1, 256], x(1))];
    let err = load_batch::<f64>(write_raw(dir.path(), "noy.safetensors", tensors), &m).unwrap_err();
    assert!(err.to_string().contains("missing tensor `y`"), "{err}");
}

#[test]
fn params_saved_by_one_model_do_not_load_into_another() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.safetensors");
    save_params(&path, &model().init_params::<f64>(0)).unwrap();
    let other = Model::from_spec("mlp:3-5-4:tanh").unwrap();
    let err = load_params::<f64>(&path, &other).unwrap_err();
    assert!(
        err.to_string()
            .contains("`0.weight` has shape [2, 3], expected [5, 3]"),
        "{err}"
    );
    let t = Tensor::from_vec(vec![1], vec![1.0]).unwrap();
    let lone = Params::new(vec![("0.bias".to_string(), t)]).unwrap();
    save_params(&path, &lone).unwrap();
    assert!(matches!(
        load_params::<f64>(&path, &model()),
        Err(NetsError::MissingTensor { .. })
    ));
}

#[test]
fn bytes_parse_like_the_file_and_errors_name_the_origin() {
    let dir = tempfile::tempdir().unwrap();
    let m = model();
    let path = dir.path().join("w.safetensors");
    let p = m.init_params::<f32>(3);
    save_params(&path, &p).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let origin = Path::new("in-memory.safetensors");
    assert_eq!(
        Params::<f32>::from_safetensors(&bytes, origin, &m).unwrap(),
        p
    );
    let err = Params::<f64>::from_safetensors(&bytes[..bytes.len() - 1], origin, &m).unwrap_err();
    assert!(matches!(err, NetsError::Safetensors { .. }), "{err}");
    assert!(
        err.to_string().starts_with("in-memory.safetensors: "),
        "{err}"
    );

    let tensors = vec![
        ("x", Dtype::F64, vec![1, 3], f64_bytes(&[1.0, 2.0, 3.0])),
        ("y", Dtype::I64, vec![1], i64_bytes(&[2])),
    ];
    let path = write_raw(dir.path(), "b.safetensors", tensors);
    let bytes = std::fs::read(&path).unwrap();
    let batch = BatchData::<f32>::from_safetensors(&bytes, origin, &m).unwrap();
    assert_eq!(batch, load_batch::<f32>(&path, &m).unwrap());
    assert_eq!(
        (batch.x.data(), batch.y.as_slice()),
        (&[1.0f32, 2.0, 3.0][..], &[2][..])
    );
    let err = BatchData::<f32>::from_safetensors(
        &bytes,
        origin,
        &Model::from_spec("mlp:3-2-2:tanh").unwrap(),
    )
    .unwrap_err();
    assert!(
        err.to_string().starts_with("in-memory.safetensors: "),
        "{err}"
    );
}

/// Little-endian bytes of 16-bit patterns.
fn u16_bytes(v: &[u16]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

#[test]
fn half_precision_files_widen_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let m = model();
    // Bit patterns as PyTorch writes them: f16 1.0, -2.0, 1/3 rounded (0x3555 = 0.333251953125), the smallest
    // subnormal (2^-24); bf16 1.0, 1/3 rounded (0x3EAB = 0.333984375).
    let f16 = [0x3C00, 0xC000, 0x3555, 0x0001, 0x3C00, 0x3C00];
    let bf16 = [0x3F80, 0x3EAB];
    let path = write_raw(
        dir.path(),
        "half.safetensors",
        vec![
            ("0.weight", Dtype::F16, vec![2, 3], u16_bytes(&f16)),
            ("0.bias", Dtype::BF16, vec![2], u16_bytes(&bf16)),
            ("1.weight", Dtype::F32, vec![4, 2], vec![0; 32]),
            ("1.bias", Dtype::F64, vec![4], vec![0; 32]),
        ],
    );
    let p = load_params::<f64>(&path, &m).unwrap();
    let w = p.get("0.weight").unwrap().data().to_vec();
    assert_eq!(w, [1.0, -2.0, 0.333251953125, 2f64.powi(-24), 1.0, 1.0]);
    assert_eq!(p.get("0.bias").unwrap().data(), &[1.0, 0.333984375]);
    // f32 holds every half value, so the f32 read is the same numbers.
    assert_eq!(load_params::<f32>(&path, &m).unwrap(), p.cast::<f32>());
}

#[test]
fn saving_in_half_precision_rounds_to_nearest_and_refuses_overflow() {
    let dir = tempfile::tempdir().unwrap();
    let m = model();
    let p = m.init_params::<f64>(3);
    for (dtype, st) in [
        (StoreDtype::BF16, Dtype::BF16),
        (StoreDtype::F16, Dtype::F16),
    ] {
        let path = dir.path().join(format!("{}.safetensors", dtype.name()));
        save_params_as(&path, &p, dtype).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let file = SafeTensors::deserialize(&bytes).unwrap();
        assert_eq!(file.tensor("0.weight").unwrap().dtype(), st);
        let back = load_params::<f64>(&path, &m).unwrap();
        for (name, t) in p.iter() {
            let want: Vec<f64> = t
                .data()
                .iter()
                .map(|&x| match dtype {
                    StoreDtype::BF16 => half::bf16::from_f64(x).to_f64(),
                    _ => half::f16::from_f64(x).to_f64(),
                })
                .collect();
            assert_eq!(back.get(name).unwrap().data(), &want[..], "{name}");
        }
    }
    let mut big = p.clone();
    big.get_mut("1.bias").unwrap().data_mut()[2] = 1e5;
    let path = dir.path().join("big.safetensors");
    let err = save_params_as(&path, &big, StoreDtype::F16).unwrap_err();
    assert!(
        err.to_string()
            .contains("tensor `1.bias`: 100000 overflows f16"),
        "{err}"
    );
    assert!(!path.exists(), "a refused save wrote a file");
    // bf16 has f32's range.
    save_params_as(&path, &big, StoreDtype::BF16).unwrap();
}
