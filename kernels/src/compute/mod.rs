//! The kernels as the engine's [`ComputeDevice`]: tensors resident in the backend's memory and the ops' device
//! rules run as kernel launches (`cu/arith.cu`, `matmul.cu`, `elementwise_jet.cu`, `contract.cu`).
//!
//! A [`DeviceBuffer`] made here holds the backend's own buffer of `f32` or `f64`; a buffer of another device or
//! type is refused with a message, never misread.

use jetnewton_engine::cpu::conv::ConvDims as EngineConvDims;
use jetnewton_engine::cpu::pool::PoolDims as EnginePoolDims;
use jetnewton_engine::device::{
    ComputeDevice, ConvProduct, DType, DeviceActivation, DeviceBuffer, DeviceCounters,
    DeviceResult, GemmCall, MidDims, PackedJet,
};

pub(crate) mod convert;

use bytemuck::Zeroable;
use convert::{
    activation, as_i64, by_dtype, conv_dims, gemm_of, message, softmax_dims, typed, typed_mut,
};

use crate::backend::{Backend, Counted};
use crate::device::KernelMatmul;
use crate::elem::Real;
use crate::ops::arith::{scatter_csr, InverseIndex};
use crate::ops::contract::{dots_to_host, Dots};
use crate::ops::conv::{conv2d, conv2d_input_grad, conv2d_weight_grad, ConvOptions};
use crate::ops::elementwise::{activation_jet, activation_jet_vjp};
use crate::ops::matmul::gemm;
use crate::ops::pool::{avg_pool, avg_pool_adjoint, gather, PoolDims};
use crate::ops::softmax::{log_softmax_jet, log_softmax_jet_vjp};
use crate::ops::{arith, JetLayout};

impl<B> KernelMatmul<B>
where
    B: Backend + Send + 'static,
    B::Buffer<f32>: Send + Sync + 'static,
    B::Buffer<f64>: Send + Sync + 'static,
{
    fn wrap<T: Real>(buffer: B::Buffer<T>, dtype: DType) -> DeviceBuffer
    where
        B::Buffer<T>: Send + Sync + 'static,
    {
        use crate::backend::Buffer;
        let len = buffer.len();
        DeviceBuffer::new(dtype, len, Box::new(buffer))
    }

    /// [`arith::mid`] on engine buffers.
    fn mid(
        &self,
        dims: MidDims,
        broadcast: bool,
        x: &DeviceBuffer,
        out: &mut DeviceBuffer,
    ) -> DeviceResult<()> {
        let d = [dims.outer, dims.mid, dims.inner];
        self.locked(|be| {
            by_dtype!(out.dtype(), T => {
                let xs = typed::<B, T>(x)?;
                arith::mid(be, d, broadcast, xs, typed_mut::<B, T>(out)?).map_err(message)
            })
        })
    }

    fn locked<R>(&self, f: impl FnOnce(&Counted<B>) -> DeviceResult<R>) -> DeviceResult<R> {
        self.with_backend(f)
    }
}

impl<B> ComputeDevice for KernelMatmul<B>
where
    B: Backend + Send + 'static,
    B::Buffer<f32>: Send + Sync + 'static,
    B::Buffer<f64>: Send + Sync + 'static,
{
    fn upload(&self, dtype: DType, bytes: &[u8]) -> DeviceResult<DeviceBuffer> {
        self.locked(|b| {
            by_dtype!(dtype, T => {
                // Host bytes need not be aligned for T: copy them into a typed vector first.
                let mut values = vec![T::zeroed(); bytes.len() / dtype.size()];
                let target: &mut [u8] = bytemuck::cast_slice_mut(&mut values);
                if target.len() != bytes.len() {
                    return Err(format!("upload of {} bytes: not whole {dtype:?} elements", bytes.len()));
                }
                target.copy_from_slice(bytes);
                Ok(Self::wrap(b.upload(&values).map_err(message)?, dtype))
            })
        })
    }

    fn download(&self, buffer: &DeviceBuffer, bytes: &mut [u8]) -> DeviceResult<()> {
        self.locked(|b| {
            by_dtype!(buffer.dtype(), T => {
                let values = b.download(typed::<B, T>(buffer)?).map_err(message)?;
                if values.len() * buffer.dtype().size() != bytes.len() {
                    return Err(format!(
                        "download of {} elements into {} bytes",
                        values.len(),
                        bytes.len()
                    ));
                }
                bytes.copy_from_slice(bytemuck::cast_slice(&values));
                Ok(())
            })
        })
    }

    fn zeros(&self, dtype: DType, len: usize) -> DeviceResult<DeviceBuffer> {
        self.locked(|b| {
            by_dtype!(dtype, T => Ok(Self::wrap(b.alloc_zeros::<T>(len).map_err(message)?, dtype)))
        })
    }

    fn axpby(
        &self,
        n: usize,
        a: f64,
        x: (&DeviceBuffer, usize),
        b: f64,
        out: (&mut DeviceBuffer, usize),
    ) -> DeviceResult<()> {
        self.locked(|be| {
            by_dtype!(out.0.dtype(), T => {
                let xs = typed::<B, T>(x.0)?;
                let os = typed_mut::<B, T>(out.0)?;
                arith::axpby(be, n, T::from_f64(a), (xs, x.1), T::from_f64(b), (os, out.1))
                    .map_err(message)
            })
        })
    }

    fn poly(
        &self,
        n: usize,
        coeffs: &[f64],
        x: &DeviceBuffer,
        out: &mut DeviceBuffer,
    ) -> DeviceResult<()> {
        if coeffs.len() > 4 {
            return Err(format!(
                "a polynomial of degree {} (at most 3)",
                coeffs.len() - 1
            ));
        }
        self.locked(|be| {
            by_dtype!(out.dtype(), T => {
                let c: [T; 4] = std::array::from_fn(|k| T::from_f64(coeffs.get(k).copied().unwrap_or(0.0)));
                arith::poly(be, n, c, typed::<B, T>(x)?, typed_mut::<B, T>(out)?).map_err(message)
            })
        })
    }

    fn mul(
        &self,
        n: usize,
        x: &DeviceBuffer,
        y: &DeviceBuffer,
        out: &mut DeviceBuffer,
        accumulate: bool,
    ) -> DeviceResult<()> {
        self.locked(|be| {
            by_dtype!(out.dtype(), T => {
                let (xs, ys) = (typed::<B, T>(x)?, typed::<B, T>(y)?);
                arith::mul(be, n, xs, ys, typed_mut::<B, T>(out)?, accumulate).map_err(message)
            })
        })
    }

    fn gemm(
        &self,
        call: &GemmCall,
        a: &DeviceBuffer,
        b: &DeviceBuffer,
        dst: &mut DeviceBuffer,
    ) -> DeviceResult<()> {
        self.locked(|be| {
            by_dtype!(dst.dtype(), T => {
                let beta = if call.accumulate { 1.0 } else { 0.0 };
                let (at, bt) = (typed::<B, T>(a)?, typed::<B, T>(b)?);
                let ct = typed_mut::<B, T>(dst)?;
                gemm(be, &gemm_of(call), T::from_f64(1.0), at, bt, T::from_f64(beta), ct)
                    .map_err(message)
            })
        })
    }

    fn conv(
        &self,
        product: ConvProduct,
        dims: &EngineConvDims,
        a: &DeviceBuffer,
        b: &DeviceBuffer,
        out: &mut DeviceBuffer,
        accumulate: bool,
    ) -> DeviceResult<()> {
        let d = conv_dims(dims)?;
        let opts = ConvOptions::default();
        self.locked(|be| {
            by_dtype!(out.dtype(), T => {
                let (at, bt) = (typed::<B, T>(a)?, typed::<B, T>(b)?);
                let ot = typed_mut::<B, T>(out)?;
                match product {
                    ConvProduct::Forward => conv2d(be, &d, at, bt, ot, accumulate, opts),
                    ConvProduct::InputGrad => conv2d_input_grad(be, &d, at, bt, ot, accumulate, opts),
                    ConvProduct::WeightGrad => conv2d_weight_grad(be, &d, at, bt, ot, accumulate, opts),
                }
                .map_err(message)
            })
        })
    }

    fn broadcast(
        &self,
        dims: MidDims,
        x: &DeviceBuffer,
        out: &mut DeviceBuffer,
    ) -> DeviceResult<()> {
        self.mid(dims, true, x, out)
    }

    fn sum_to(&self, dims: MidDims, x: &DeviceBuffer, out: &mut DeviceBuffer) -> DeviceResult<()> {
        self.mid(dims, false, x, out)
    }

    fn gather(
        &self,
        indices: &[usize],
        x: &DeviceBuffer,
        out: &mut DeviceBuffer,
    ) -> DeviceResult<()> {
        if let Some(&bad) = indices.iter().find(|&&i| i >= x.len()) {
            return Err(format!("gather index {bad} past {} elements", x.len()));
        }
        let index = as_i64(indices)?;
        self.locked(|be| {
            let index = be.upload(&index).map_err(message)?;
            by_dtype!(out.dtype(), T => {
                let xs = typed::<B, T>(x)?;
                // SAFETY: every index was checked against x's length above.
                unsafe { gather(be, xs, 0, &index, typed_mut::<B, T>(out)?) }.map_err(message)
            })
        })
    }

    fn scatter_add(
        &self,
        indices: &[usize],
        g: &DeviceBuffer,
        out: &mut DeviceBuffer,
    ) -> DeviceResult<()> {
        if indices.len() != g.len() {
            return Err(format!(
                "scatter-add of {} values by {} indices",
                g.len(),
                indices.len()
            ));
        }
        let inverse = InverseIndex::new(indices, out.len()).map_err(message)?;
        self.locked(|be| {
            let offsets = be.upload(&inverse.offsets).map_err(message)?;
            let sources = be.upload(&inverse.sources).map_err(message)?;
            by_dtype!(out.dtype(), T => {
                let gs = typed::<B, T>(g)?;
                // SAFETY: InverseIndex::new made the map: offsets run from 0 to sources.len(), and every
                // source is an index into `indices`, whose length is g's.
                unsafe { scatter_csr(be, gs, &offsets, &sources, typed_mut::<B, T>(out)?) }
                    .map_err(message)
            })
        })
    }

    fn avg_pool(
        &self,
        dims: &EnginePoolDims,
        adjoint: bool,
        x: &DeviceBuffer,
        out: &mut DeviceBuffer,
    ) -> DeviceResult<()> {
        let d = PoolDims::new(dims.planes, dims.h, dims.w, dims.k, dims.s).map_err(message)?;
        self.locked(|be| {
            by_dtype!(out.dtype(), T => {
                let (xs, os) = (typed::<B, T>(x)?, typed_mut::<B, T>(out)?);
                if adjoint {
                    avg_pool_adjoint(be, &d, xs, os)
                } else {
                    avg_pool(be, &d, xs, os)
                }
                .map_err(message)
            })
        })
    }

    fn activation_jet(
        &self,
        f: DeviceActivation,
        jet: PackedJet,
        x: &DeviceBuffer,
        y: &mut DeviceBuffer,
    ) -> DeviceResult<()> {
        let layout = JetLayout::dense(jet.len, jet.order);
        self.locked(|be| {
            by_dtype!(y.dtype(), T => {
                let xs = typed::<B, T>(x)?;
                activation_jet(be, activation(f), layout, xs, typed_mut::<B, T>(y)?).map_err(message)
            })
        })
    }

    fn activation_jet_vjp(
        &self,
        f: DeviceActivation,
        jet: PackedJet,
        x: &DeviceBuffer,
        g: &DeviceBuffer,
        dx: &mut DeviceBuffer,
    ) -> DeviceResult<()> {
        let layout = JetLayout::dense(jet.len, jet.order);
        self.locked(|be| {
            by_dtype!(dx.dtype(), T => {
                let (xs, gs) = (typed::<B, T>(x)?, typed::<B, T>(g)?);
                activation_jet_vjp(be, activation(f), layout, xs, gs, typed_mut::<B, T>(dx)?)
                    .map_err(message)
            })
        })
    }

    fn log_softmax_jet(
        &self,
        cols: usize,
        jet: PackedJet,
        z: &DeviceBuffer,
        y: &mut DeviceBuffer,
    ) -> DeviceResult<()> {
        let d = softmax_dims(cols, jet)?;
        self.locked(|be| {
            by_dtype!(y.dtype(), T => {
                let zs = typed::<B, T>(z)?;
                log_softmax_jet(be, &d, zs, typed_mut::<B, T>(y)?).map_err(message)
            })
        })
    }

    fn log_softmax_jet_vjp(
        &self,
        cols: usize,
        jet: PackedJet,
        y: &DeviceBuffer,
        g: &DeviceBuffer,
        dz: &mut DeviceBuffer,
    ) -> DeviceResult<()> {
        let d = softmax_dims(cols, jet)?;
        self.locked(|be| {
            by_dtype!(dz.dtype(), T => {
                let (ys, gs) = (typed::<B, T>(y)?, typed::<B, T>(g)?);
                log_softmax_jet_vjp(be, &d, ys, gs, typed_mut::<B, T>(dz)?).map_err(message)
            })
        })
    }

    fn dot(&self, n: usize, x: &DeviceBuffer, y: &DeviceBuffer) -> DeviceResult<f64> {
        let d = Dots {
            n,
            pairs: 1,
            stride_a: 0,
            stride_b: 0,
        };
        self.locked(|be| {
            by_dtype!(x.dtype(), T => {
                let (xs, ys) = (typed::<B, T>(x)?, typed::<B, T>(y)?);
                Ok(dots_to_host(be, &d, xs, ys).map_err(message)?[0])
            })
        })
    }

    fn counters(&self) -> DeviceCounters {
        let c = self.with_backend(|b| b.counts());
        DeviceCounters {
            uploads: c.uploads,
            downloads: c.downloads,
            bytes: c.bytes,
            launches: c.launches,
        }
    }
}
