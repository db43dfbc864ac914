//! The paper's models, partitions of their parameters, and the data sets they train on.

pub mod data;
