//! Partitions on the paper's models: group counts of appendix K, exact contents, errors, and the engine groups.

use jetnewton_engine::{Graph, Tensor};
use proptest::prelude::*;

use super::groups::glob_match;
use super::*;
use crate::models::Model;

fn vgg() -> Model {
    Model::from_spec("vgg11p:3x32x32").unwrap()
}

fn parse(s: &str) -> PartitionSpec {
    s.parse().unwrap()
}

/// `["0.weight", "2.weight"]` from `(layers, "weight")`.
fn names(layers: &[usize], suffix: &str) -> Vec<String> {
    layers.iter().map(|l| format!("{l}.{suffix}")).collect()
}

#[test]
fn vgg11p_group_counts_match_table_5() {
    for (spec, count) in [
        ("trivial", 1),
        ("weights-biases", 2),
        ("blocks-2", 6),
        ("alternate-2", 6),
        ("blocks-4", 10),
        ("alternate-4", 10),
        ("canonical", 18),
    ] {
        assert_eq!(parse(spec).groups(&vgg()).unwrap().len(), count, "{spec}");
    }
}

#[test]
fn vgg11p_group_contents() {
    let g = parse("alternate-2").named_groups(&vgg()).unwrap();
    let got: Vec<&str> = g.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(
        got,
        [
            "alt0.weight",
            "alt0.bias",
            "alt1.weight",
            "alt1.bias",
            "head.weight",
            "head.bias"
        ]
    );
    assert_eq!(g[0].tensors, names(&[0, 2, 4, 6], "weight"));
    assert_eq!(g[3].tensors, names(&[1, 3, 5, 7], "bias"));
    assert_eq!(g[4].tensors, ["8.weight"]);

    let g = parse("blocks-4").groups(&vgg()).unwrap();
    assert_eq!(g[0], names(&[0, 1], "weight"));
    assert_eq!(g[7], names(&[6, 7], "bias"));
    assert_eq!(g[9], ["8.bias"]);

    let g = parse("weights-biases").named_groups(&vgg()).unwrap();
    assert_eq!(
        (g[0].name.as_str(), g[1].name.as_str()),
        ("weights", "biases")
    );
    assert_eq!(g[1].tensors, names(&(0..9).collect::<Vec<_>>(), "bias"));

    let canonical = parse("canonical").groups(&vgg()).unwrap();
    let flat: Vec<String> = canonical.into_iter().flatten().collect();
    assert_eq!(flat, vgg().param_names());
    assert_eq!(
        parse("trivial").groups(&vgg()).unwrap()[0],
        vgg().param_names()
    );
}

#[test]
fn chunks_split_consecutive_layers_unevenly_longest_first() {
    // VBigMLP: 101 layers in 5 chunks of 21, 20, 20, 20, 20 layers, weights and biases apart (appendix H).
    let vbig = Model::from_spec("vbigmlp").unwrap();
    let g = parse("chunks-5").named_groups(&vbig).unwrap();
    assert_eq!(g.len(), 10);
    assert_eq!(g[0].name, "chunk0.weight");
    assert_eq!(g[0].tensors, names(&(0..21).collect::<Vec<_>>(), "weight"));
    assert_eq!(g[3].tensors, names(&(21..41).collect::<Vec<_>>(), "bias"));
    assert_eq!(g[9].tensors, names(&(81..101).collect::<Vec<_>>(), "bias"));
    // Weights only: a body of layers 0 and 1 in (at most) 4 blocks, then the head.
    let g = parse("blocks-4")
        .groups(&["0.weight", "1.weight", "2.weight"].map(String::from))
        .unwrap();
    assert_eq!(
        g,
        [
            names(&[0], "weight"),
            names(&[1], "weight"),
            names(&[2], "weight")
        ]
    );
    // Blocks of a 10-layer body in 4: 3, 3, 2, 2, then the head.
    let mlp = Model::from_spec("mlp:5-4x10-3:tanh").unwrap();
    let g = parse("blocks-4").groups(&mlp).unwrap();
    let sizes: Vec<usize> = g.iter().step_by(2).map(Vec::len).collect();
    assert_eq!(sizes, [3, 3, 2, 2, 1]);
}

#[test]
fn empty_groups_are_dropped() {
    let mlp = Model::from_spec("mlp:4-3-3-2:tanh").unwrap();
    // A body of two layers in 4 blocks: two blocks stay empty.
    assert_eq!(parse("blocks-4").groups(&mlp).unwrap().len(), 6);
    assert_eq!(parse("alternate-5").groups(&mlp).unwrap().len(), 6);
    assert_eq!(parse("chunks-9").groups(&mlp).unwrap().len(), 6);
    let single = Model::from_spec("mlp:4-2:tanh").unwrap();
    assert_eq!(
        parse("blocks-2").groups(&single).unwrap(),
        [["0.weight"], ["0.bias"]]
    );
    // A custom group is the user's own: one matching nothing is an error naming it, not silently dropped.
    let err = parse("custom:a=0.*;b=1.*;unused=9.*;c=2.*")
        .groups(&mlp)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("`unused` (9.*) matches no parameter"),
        "{err}"
    );
}

#[test]
fn custom_partitions_place_every_tensor_exactly_once() {
    let lenet = Model::from_spec("lenet5:3x32x32").unwrap();
    let spec =
        parse("custom:head=4.*;convs=0.weight,1.weight;conv-biases=0.bias,1.bias;fc=2.*,3.*");
    let g = spec.named_groups(&lenet).unwrap();
    let order: Vec<&str> = g.iter().map(|g| g.name.as_str()).collect();
    // Ordered by first tensor, not by the order written.
    assert_eq!(order, ["convs", "conv-biases", "fc", "head"]);
    assert_eq!(g[2].tensors, ["2.weight", "2.bias", "3.weight", "3.bias"]);

    let err = parse("custom:w=*.weight;first=0.*;b=*.bias")
        .groups(&lenet)
        .unwrap_err();
    assert!(
        matches!(&err, NetsError::Partition { tensor, .. } if tensor == "0.weight"),
        "{err}"
    );
    assert!(
        err.to_string().contains("matches several groups: w, first"),
        "{err}"
    );
    let err = parse("custom:w=*.weight;b=0.bias,1.bias,2.bias,3.bias")
        .groups(&lenet)
        .unwrap_err();
    assert!(
        err.to_string().contains("tensor `4.bias` matches no group"),
        "{err}"
    );
}

#[test]
fn structured_partitions_need_pytorch_names() {
    let names = ["0.weight", "embedding"].map(String::from);
    assert_eq!(parse("canonical").groups(&names).unwrap().len(), 2);
    assert_eq!(parse("trivial").groups(&names).unwrap().len(), 1);
    let err = parse("weights-biases").groups(&names).unwrap_err();
    assert!(
        err.to_string().contains("`embedding` is not named"),
        "{err}"
    );
    let err = parse("canonical").groups(&["a", "a"]).unwrap_err();
    assert!(err.to_string().contains("appears twice"), "{err}");
    let err = PartitionSpec::Chunks(0).groups(&names).unwrap_err();
    assert!(err.to_string().contains("at least 1"), "{err}");
}

#[test]
fn glob_wildcards() {
    assert!(glob_match("*", ""));
    assert!(glob_match("1*.weight", "12.weight"));
    assert!(glob_match("*.b*s", "3.bias"));
    assert!(glob_match("a*b*c", "aXbYbZc"));
    assert!(!glob_match("1*.weight", "2.weight"));
    assert!(!glob_match("1.*", "11.bias"));
    assert!(!glob_match("*.bias", "0.bias.x"));
}

#[test]
fn engine_groups_follow_the_graph_ids() {
    let model = Model::from_spec("mlp:4-3-3-2:tanh").unwrap();
    let params = model.init_params::<f64>(0);
    let g = Graph::new();
    let (_, ids) = model
        .loss(&g, &params, Tensor::zeros(&[2, 4]), &[0, 1])
        .unwrap();
    let groups = parse("blocks-1").engine_groups(&g, &ids).unwrap();
    let id = |n: &str| ids.iter().find(|(m, _)| m == n).unwrap().1;
    assert_eq!(
        groups.groups(),
        [
            vec![id("0.weight"), id("1.weight")],
            vec![id("0.bias"), id("1.bias")],
            vec![id("2.weight")],
            vec![id("2.bias")]
        ]
    );
    let partial = vec![vec!["0.weight".to_string()]];
    let err = to_engine_groups(&g, &partial, &ids).unwrap_err();
    assert!(err.to_string().contains("`0.bias` is in no group"), "{err}");
    let twice = vec![names(&[0], "weight"), names(&[0], "weight")];
    assert!(to_engine_groups(&g, &twice, &ids)
        .unwrap_err()
        .to_string()
        .contains("two groups"));
    let unknown = vec![names(&[7], "weight")];
    assert!(to_engine_groups(&g, &unknown, &ids)
        .unwrap_err()
        .to_string()
        .contains("not a parameter"));

    let dir = direction_from_params(&g, &params, &ids).unwrap();
    assert_eq!(dir.get(id("1.weight")), params.get("1.weight"));
    let mut bad = params.clone();
    *bad.get_mut("2.bias").unwrap() = Tensor::zeros(&[3]);
    let err = direction_from_params(&g, &bad, &ids).unwrap_err();
    assert!(
        err.to_string().contains("`2.bias`: direction of shape [3]"),
        "{err}"
    );
}

/// A partition spec of every built-in kind.
fn any_partition() -> impl Strategy<Value = PartitionSpec> {
    prop_oneof![
        Just(PartitionSpec::Canonical),
        Just(PartitionSpec::Trivial),
        Just(PartitionSpec::WeightsBiases),
        (1usize..8).prop_map(PartitionSpec::Blocks),
        (1usize..8).prop_map(PartitionSpec::Alternate),
        (1usize..8).prop_map(PartitionSpec::Chunks),
    ]
}

proptest! {
    #[test]
    fn every_tensor_in_exactly_one_group_in_forward_order(spec in any_partition(), depth in 0usize..12) {
        let model = crate::models::deep_mlp(&[3], depth, 2, 2, crate::models::Activation::Tanh).unwrap();
        let names = model.param_names();
        let groups = spec.groups(&model).unwrap();
        let mut flat: Vec<&String> = groups.iter().flatten().collect();
        prop_assert!(groups.iter().all(|g| !g.is_empty()));
        // Groups ordered by their first tensor; tensors within a group in forward order.
        let pos = |n: &String| names.iter().position(|m| m == n).unwrap();
        prop_assert!(groups.windows(2).all(|w| pos(&w[0][0]) < pos(&w[1][0])));
        prop_assert!(groups.iter().all(|g| g.windows(2).all(|w| pos(&w[0]) < pos(&w[1]))));
        flat.sort_by_key(|n| pos(n));
        prop_assert_eq!(flat, names.iter().collect::<Vec<_>>());
        let layers = depth + 1;
        let expected = match spec {
            PartitionSpec::Canonical => 2 * layers,
            PartitionSpec::Trivial => 1,
            PartitionSpec::WeightsBiases => 2,
            PartitionSpec::Blocks(k) | PartitionSpec::Alternate(k) => 2 * k.min(layers - 1) + 2,
            PartitionSpec::Chunks(k) => 2 * k.min(layers),
            PartitionSpec::Custom(_) => unreachable!(),
        };
        prop_assert_eq!(groups.len(), expected);
    }
}
