//! The paper's architectures (§5, appendix H): MLPs, LeNet-5 and VGG-11', each for a given input shape.

use crate::error::{NetsError, Result};
use crate::models::{Activation, Layer, Model};
use crate::spec::ModelSpec;

/// An MLP: `Linear(in, widths[0])`, the activation, `Linear(widths[0], widths[1])`, …, ending with the linear layer
/// `widths[last]` (the class count) and no activation after it. A `[C, H, W]` input is flattened by the first
/// layer.
///
/// The model remembers its spec (`mlp:<in>-<widths…>:<act>`) when the input shape is `[features]`; with a
/// `[C, H, W]` input it shows its layers instead (the spec would parse back with input `[C·H·W]`).
pub fn mlp(input: &[usize], widths: &[usize], activation: Activation) -> Result<Model> {
    let Some(&num_classes) = widths.last() else {
        return Err(NetsError::InvalidModel {
            reason: "an MLP needs at least one layer width".into(),
        });
    };
    let in_features = super::size::input_count(input)?;
    let mut layers = Vec::with_capacity(2 * widths.len());
    let mut prev = in_features;
    for (i, &w) in widths.iter().enumerate() {
        layers.push(Layer::Linear {
            in_features: prev,
            out_features: w,
        });
        if i + 1 < widths.len() {
            layers.push(Layer::Act(activation));
        }
        prev = w;
    }
    let model = Model::new(layers, input.to_vec(), num_classes)?;
    Ok(if input.len() == 1 {
        let all = std::iter::once(in_features)
            .chain(widths.iter().copied())
            .collect();
        model.with_spec(ModelSpec::Mlp {
            widths: all,
            activation,
        })
    } else {
        model
    })
}

/// An MLP of `depth` hidden layers of `width`, then a linear layer to `num_classes`.
pub fn deep_mlp(
    input: &[usize],
    depth: usize,
    width: usize,
    num_classes: usize,
    activation: Activation,
) -> Result<Model> {
    let mut widths = vec![width; depth];
    widths.push(num_classes);
    mlp(input, &widths, activation)
}

/// The paper's MLP for MNIST: 784-1024-200-100-10, tanh.
pub fn paper_mlp() -> Model {
    mlp(&[784], &[1024, 200, 100, 10], Activation::Tanh).expect("the paper's MLP is a valid model")
}

/// BigMLP for CIFAR-10: 3072, 20 hidden layers of 1024, 10 classes, ELU (`mlp:3072-1024x20-10:elu`).
pub fn big_mlp() -> Model {
    deep_mlp(&[3072], 20, 1024, 10, Activation::Elu).expect("BigMLP is a valid model")
}

/// VBigMLP of appendix H: 3072, 100 hidden layers of 1024, 10 classes, ELU (`mlp:3072-1024x100-10:elu`).
pub fn vbig_mlp() -> Model {
    deep_mlp(&[3072], 100, 1024, 10, Activation::Elu).expect("VBigMLP is a valid model")
}

/// Per-sample shape after `layers` from `input`, as a model error naming the first layer that does not fit.
fn shape_after(input: &[usize], layers: &[Layer]) -> Result<Vec<usize>> {
    let mut shape = input.to_vec();
    for (i, layer) in layers.iter().enumerate() {
        shape = layer
            .output_shape(&shape)
            .map_err(|reason| NetsError::Model {
                layer: i,
                desc: layer.to_string(),
                reason,
            })?;
    }
    Ok(shape)
}

/// `[C, H, W]` of an image input, or an error naming the architecture.
fn image_input(arch: &str, input: &[usize]) -> Result<[usize; 3]> {
    match *input {
        [c, h, w] if c > 0 && h > 0 && w > 0 => {
            super::size::input_count(input)?;
            Ok([c, h, w])
        }
        _ => Err(NetsError::InvalidModel {
            reason: format!(
                "{arch} needs an input [channels, height, width], none zero; got {input:?}"
            ),
        }),
    }
}

/// LeNet-5: conv5 C→6, act, maxpool 2, conv5 6→16, act, maxpool 2, flatten, linear F→120, act, linear 120→84, act,
/// linear 84→10. `F` is computed from the input (400 for `3×32×32`); an input too small for the two
/// convolutions and pools is an error that names the layer where the spatial size collapses.
pub fn lenet5(input: &[usize], activation: Activation) -> Result<Model> {
    let [c, h, w] = image_input("lenet5", input)?;
    let act = Layer::Act(activation);
    let pool = Layer::MaxPool2d {
        kernel: 2,
        stride: 2,
    };
    let conv = |in_ch, out_ch| Layer::Conv2d {
        in_ch,
        out_ch,
        kernel: 5,
        stride: 1,
        padding: 0,
    };
    let mut layers = vec![
        conv(c, 6),
        act.clone(),
        pool.clone(),
        conv(6, 16),
        act.clone(),
        pool,
        Layer::Flatten,
    ];
    let features = shape_after(input, &layers)?[0];
    let lin = |in_features, out_features| Layer::Linear {
        in_features,
        out_features,
    };
    layers.extend([
        lin(features, 120),
        act.clone(),
        lin(120, 84),
        act,
        lin(84, 10),
    ]);
    Ok(
        Model::new(layers, input.to_vec(), 10)?.with_spec(ModelSpec::LeNet5 {
            input: [c, h, w],
            activation,
        }),
    )
}

/// An entry of a VGG configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VggEntry {
    /// A 3×3 convolution (padding 1) to this many channels, followed by ELU.
    Conv(usize),
    /// A 2×2 max pool, stride 2.
    Pool,
}

/// The standard VGG-11 configuration (Simonyan & Zisserman's "A"): 64, M, 128, M, 256, 256, M, 512, 512, M, 512,
/// 512, M.
pub const VGG11_CONFIG: [VggEntry; 13] = {
    use VggEntry::{Conv, Pool};
    [
        Conv(64),
        Pool,
        Conv(128),
        Pool,
        Conv(256),
        Conv(256),
        Pool,
        Conv(512),
        Conv(512),
        Pool,
        Conv(512),
        Conv(512),
        Pool,
    ]
};

/// VGG-11' of the paper: the eight 3×3 convolutions of [`VGG11_CONFIG`] (padding 1, ELU after each, no batch
/// norm), then a global average pool and one linear layer 512→10.
///
/// A 2×2 pool of the configuration is **skipped** when the feature map is already smaller than 2 along an axis
/// (the pool would leave nothing), so any input of at least 1×1 works: 3×32×32 keeps all five pools and ends at
/// 1×1; 1×20×20 goes 20→10→5→2→1 and skips the last pool.
pub fn vgg11p(input: &[usize]) -> Result<Model> {
    let [c, mut h, mut w] = image_input("vgg11p", input)?;
    let mut layers = Vec::new();
    let mut ch = c;
    for entry in VGG11_CONFIG {
        match entry {
            VggEntry::Conv(out_ch) => {
                layers.push(Layer::Conv2d {
                    in_ch: ch,
                    out_ch,
                    kernel: 3,
                    stride: 1,
                    padding: 1,
                });
                layers.push(Layer::Act(Activation::Elu));
                ch = out_ch;
            }
            VggEntry::Pool if h >= 2 && w >= 2 => {
                layers.push(Layer::MaxPool2d {
                    kernel: 2,
                    stride: 2,
                });
                (h, w) = (h / 2, w / 2);
            }
            VggEntry::Pool => {}
        }
    }
    layers.push(Layer::GlobalAvgPool);
    layers.push(Layer::Linear {
        in_features: ch,
        out_features: 10,
    });
    Ok(
        Model::new(layers, input.to_vec(), 10)?.with_spec(ModelSpec::Vgg11p {
            input: [c, input[1], input[2]],
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shapes(m: &Model) -> Vec<Vec<usize>> {
        m.param_specs().into_iter().map(|p| p.shape).collect()
    }

    #[test]
    fn paper_mlps() {
        let m = paper_mlp();
        assert_eq!(
            shapes(&m),
            [
                vec![1024, 784],
                vec![1024],
                vec![200, 1024],
                vec![200],
                vec![100, 200],
                vec![100],
                vec![10, 100],
                vec![10]
            ]
        );
        assert_eq!(
            m.layers()
                .iter()
                .filter(|l| matches!(l, Layer::Act(_)))
                .count(),
            3
        );
        assert!(matches!(m.layers().last(), Some(Layer::Linear { .. })));
        let big = big_mlp();
        assert_eq!(big.param_specs().len(), 42);
        assert_eq!(big.to_string(), "mlp:3072-1024x20-10:elu");
        assert_eq!(vbig_mlp().num_param_layers(), 101);
        assert!(mlp(&[3], &[], Activation::Tanh).is_err());
    }

    #[test]
    fn lenet_feature_count_follows_the_input() {
        let m = lenet5(&[3, 32, 32], Activation::Tanh).unwrap();
        assert_eq!(shapes(&m)[0], [6, 3, 5, 5]);
        assert_eq!(shapes(&m)[2], [16, 6, 5, 5]);
        assert_eq!(shapes(&m)[4], [120, 400]);
        assert_eq!(shapes(&m)[8], [10, 84]);
        let small = lenet5(&[1, 20, 20], Activation::Relu).unwrap();
        assert_eq!(shapes(&small)[4], [120, 64]);
        assert_eq!(small.to_string(), "lenet5:1x20x20:relu");
        // 14 → conv 10 → pool 5 → conv 1 → the second pool collapses (layer 5).
        let err = lenet5(&[3, 14, 14], Activation::Tanh).unwrap_err();
        assert!(
            matches!(err, NetsError::Model { layer: 5, .. })
                && err.to_string().contains("collapses"),
            "{err}"
        );
        // 12 → conv 8 → pool 4 → the second convolution collapses (layer 3).
        let err = lenet5(&[3, 12, 12], Activation::Tanh).unwrap_err();
        assert!(matches!(err, NetsError::Model { layer: 3, .. }), "{err}");
        assert_eq!(
            lenet5(&[3, 16, 16], Activation::Tanh)
                .unwrap()
                .param_specs()[4]
                .shape,
            [120, 16]
        );
        assert!(lenet5(&[784], Activation::Tanh).is_err());
    }

    #[test]
    fn vgg11p_has_eight_convs_and_one_linear() {
        let m = vgg11p(&[3, 32, 32]).unwrap();
        let s = shapes(&m);
        assert_eq!(s.len(), 18);
        assert_eq!(s[0], [64, 3, 3, 3]);
        assert_eq!(s[14], [512, 512, 3, 3]);
        assert_eq!(s[16], [10, 512]);
        let pools = |m: &Model| {
            m.layers()
                .iter()
                .filter(|l| matches!(l, Layer::MaxPool2d { .. }))
                .count()
        };
        assert_eq!(pools(&m), 5);
        let mut convs = m
            .layer_shapes()
            .iter()
            .zip(m.layers())
            .filter(|(_, l)| matches!(l, Layer::Conv2d { .. }));
        assert_eq!(
            convs.next_back().map(|(s, _)| s.clone()),
            Some(vec![512, 2, 2])
        );
        let tiny = vgg11p(&[1, 20, 20]).unwrap();
        assert_eq!(pools(&tiny), 4);
        assert_eq!(vgg11p(&[3, 1, 1]).map(|m| pools(&m)).unwrap(), 0);
        assert_eq!(m.init_gain(), 2f64.sqrt());
    }
}
