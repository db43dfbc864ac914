//! The define-by-run tape: a graph of nodes appended in evaluation order, so node ids are a topological order.

use std::cell::RefCell;
use std::sync::Arc;

use crate::device::rules;
use crate::error::{EngineError, Result};
use crate::float::Float;
use crate::op::Op;
use crate::tensor::Tensor;

/// Index of a node in its [`Graph`]; inputs always have smaller ids than the nodes that use them.
pub type NodeId = usize;

/// What kind of leaf a node is, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Leaf {
    /// A trainable parameter with its PyTorch-convention name (`0.weight`, `0.bias`, …).
    Param(String),
    /// Data or any other value that is not differentiated.
    Constant,
}

/// One node of the tape.
#[derive(Clone, Debug)]
pub struct Node<F: Float> {
    /// The operation that produced it, `None` for leaves.
    pub op: Option<Arc<dyn Op<F>>>,
    /// Its input nodes.
    pub inputs: Vec<NodeId>,
    /// Its order-0 value.
    pub value: Tensor<F>,
    /// Leaf kind, `None` for op outputs.
    pub leaf: Option<Leaf>,
    /// Whether it depends on a parameter (and so can have a nonzero gradient).
    pub requires_grad: bool,
}

/// A define-by-run tape. Build it by calling ops on [`Var`] handles; values are computed eagerly.
///
/// ```
/// use jetnewton_engine::{Graph, Tensor};
/// let g = Graph::<f64>::new();
/// let x = g.constant(Tensor::from_vec(vec![1, 2], vec![1.0, 2.0]).unwrap());
/// let w = g.param("0.weight", Tensor::from_vec(vec![1, 2], vec![0.5, -1.0]).unwrap());
/// let y = x.matmul_t(w).unwrap().tanh().unwrap().sum().unwrap();
/// let grads = g.grad(y.id(), &[w.id()]).unwrap();
/// assert_eq!(grads[0].shape(), &[1, 2]);
/// ```
#[derive(Default)]
pub struct Graph<F: Float> {
    nodes: RefCell<Vec<Node<F>>>,
}

/// A handle to a node, carrying its graph so ops read as method calls: `x.matmul_t(w)?.tanh()?`.
#[derive(Clone, Copy)]
pub struct Var<'g, F: Float> {
    graph: &'g Graph<F>,
    id: NodeId,
}

impl<F: Float> std::fmt::Debug for Var<'_, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Var(node {}, shape {:?})", self.id, self.shape())
    }
}

impl<'g, F: Float> Var<'g, F> {
    /// The node id.
    pub fn id(self) -> NodeId {
        self.id
    }

    /// The graph it lives in.
    pub fn graph(self) -> &'g Graph<F> {
        self.graph
    }

    /// Its order-0 value.
    pub fn value(self) -> Tensor<F> {
        self.graph.value(self.id)
    }

    /// Its shape.
    pub fn shape(self) -> Vec<usize> {
        self.graph.nodes.borrow()[self.id].value.shape().to_vec()
    }

    /// Applies `op` to `self` and `others` and returns the output handle.
    ///
    /// Errors with [`EngineError::ForeignVar`] when one of `others` belongs to another graph: node ids are indices
    /// into one tape, so a handle of another graph would silently name an unrelated node of this one.
    pub fn apply(self, op: impl Op<F> + 'static, others: &[Var<'g, F>]) -> Result<Self> {
        if let Some(position) = others
            .iter()
            .position(|v| !std::ptr::eq(v.graph, self.graph))
        {
            return Err(EngineError::ForeignVar {
                op: op.name(),
                operand: position + 1,
            });
        }
        let mut ids = vec![self.id];
        ids.extend(others.iter().map(|v| v.id));
        let id = self.graph.apply(Arc::new(op), &ids)?;
        Ok(Var {
            graph: self.graph,
            id,
        })
    }
}

impl<F: Float> Graph<F> {
    /// An empty graph.
    pub fn new() -> Self {
        Self {
            nodes: RefCell::new(Vec::new()),
        }
    }

    fn push(&self, node: Node<F>) -> NodeId {
        let mut nodes = self.nodes.borrow_mut();
        nodes.push(node);
        nodes.len() - 1
    }

    /// A trainable parameter leaf with its name.
    pub fn param(&self, name: impl Into<String>, value: Tensor<F>) -> Var<'_, F> {
        let id = self.push(Node {
            op: None,
            inputs: Vec::new(),
            value,
            leaf: Some(Leaf::Param(name.into())),
            requires_grad: true,
        });
        Var { graph: self, id }
    }

    /// A constant leaf (data, labels, directions): never differentiated.
    pub fn constant(&self, value: Tensor<F>) -> Var<'_, F> {
        let id = self.push(Node {
            op: None,
            inputs: Vec::new(),
            value,
            leaf: Some(Leaf::Constant),
            requires_grad: false,
        });
        Var { graph: self, id }
    }

    /// The handle of an existing node.
    pub fn var(&self, id: NodeId) -> Result<Var<'_, F>> {
        self.check(id)?;
        Ok(Var { graph: self, id })
    }

    /// Errors with [`EngineError::NotScalar`] unless node `id` holds exactly one element: a loss, which `what`
    /// (the caller's name, for the message) differentiates. Summing a non-scalar output silently would answer for
    /// a different loss than the caller built.
    pub fn check_scalar(&self, id: NodeId, what: &'static str) -> Result<()> {
        self.check(id)?;
        let shape = self.nodes.borrow()[id].value.shape().to_vec();
        if shape.iter().product::<usize>() == 1 {
            return Ok(());
        }
        Err(EngineError::NotScalar {
            what,
            node: id,
            shape,
        })
    }

    fn check(&self, id: NodeId) -> Result<()> {
        if id >= self.len() {
            return Err(EngineError::InvalidNode {
                node: id,
                reason: format!("graph has {} nodes", self.len()),
            });
        }
        Ok(())
    }

    /// Evaluates `op` on the values of `inputs` and appends the result.
    pub fn apply(&self, op: Arc<dyn Op<F>>, inputs: &[NodeId]) -> Result<NodeId> {
        let (values, requires_grad) = {
            let nodes = self.nodes.borrow();
            let mut values = Vec::with_capacity(inputs.len());
            for &i in inputs {
                let n = nodes.get(i).ok_or_else(|| EngineError::InvalidNode {
                    node: i,
                    reason: format!("graph has {} nodes", nodes.len()),
                })?;
                values.push(n.value.clone());
            }
            (values, inputs.iter().any(|&i| nodes[i].requires_grad))
        };
        let refs: Vec<&Tensor<F>> = values.iter().collect();
        let value = rules::follow(&refs, op.forward(&refs)?)?;
        Ok(self.push(Node {
            op: Some(op),
            inputs: inputs.to_vec(),
            value,
            leaf: None,
            requires_grad,
        }))
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.borrow().len()
    }

    /// True when the graph has no nodes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The order-0 value of a node (a cheap shared clone).
    pub fn value(&self, id: NodeId) -> Tensor<F> {
        self.nodes.borrow()[id].value.clone()
    }

    /// A copy of node `id` (op, inputs, value — all shared, so cheap).
    pub fn node(&self, id: NodeId) -> Result<Node<F>> {
        self.check(id)?;
        Ok(self.nodes.borrow()[id].clone())
    }

    /// The parameter leaves, `(id, name)`, in creation (forward) order.
    pub fn params(&self) -> Vec<(NodeId, String)> {
        self.nodes
            .borrow()
            .iter()
            .enumerate()
            .filter_map(|(i, n)| match &n.leaf {
                Some(Leaf::Param(name)) => Some((i, name.clone())),
                _ => None,
            })
            .collect()
    }

    /// Marks a node as not differentiable (used for gradients computed without `create_graph`).
    pub(crate) fn detach(&self, id: NodeId) {
        self.nodes.borrow_mut()[id].requires_grad = false;
    }
}
