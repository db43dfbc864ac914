// The two data movements of a convolution done as im2col + GEMM (the GEMMs are matmul.cu's):
//
//   im2col: col[(c, i, j), s * P + (oy, ox)] = x[s, c, oy*sh + i - ph, ox*sw + j - pw]  (0 outside)
//   col2im: its adjoint, x[s, c, y, x] (+)= sum of the col entries that read it
//
// over a run of `n` samples, P = ho * wo output pixels per sample, so col is [C*kh*kw, n*P]: the
// layout of the CPU engine (engine/src/cpu/conv.rs) with samples side by side. col2im gathers
// (one thread per input element) instead of scattering, so it needs no atomics and its sums come
// in a fixed order.
//
// Entry points (f32 and f64):
//   im2col_<T>(ConvArgs d, const T* x, T* col)
//   col2im_<T>(ConvArgs d, const T* col, T* x, i64 accumulate)   accumulate != 0 adds into x
#include "common.cuh"

using jetnewton::i64;

/// Sizes of one convolution; mirrored by `ConvArgs` in kernels/src/ops/conv.rs. `n` is the number
/// of samples this launch covers.
struct ConvArgs {
    i64 n, c, h, w;
    i64 o, kh, kw;
    i64 sh, sw, ph, pw;
    i64 ho, wo;
};

namespace {

template <typename T>
__device__ void im2col(const ConvArgs d, const T* x, T* col) {
    const i64 p = d.ho * d.wo;
    const i64 cols = d.n * p;
    const i64 total = d.c * d.kh * d.kw * cols;
    for (i64 e = jetnewton::grid_index(); e < total; e += jetnewton::grid_size()) {
        const i64 row = e / cols, q = e % cols;
        const i64 s = q / p, pix = q % p;
        const i64 oy = pix / d.wo, ox = pix % d.wo;
        const i64 ch = row / (d.kh * d.kw), i = row / d.kw % d.kh, j = row % d.kw;
        const i64 y = oy * d.sh + i - d.ph, xx = ox * d.sw + j - d.pw;
        T v = T(0);
        if (y >= 0 && y < d.h && xx >= 0 && xx < d.w) v = x[((s * d.c + ch) * d.h + y) * d.w + xx];
        col[e] = v;
    }
}

/// Output positions o with o*stride + offset == pos for some offset in [0, k): o in [lo, hi].
__device__ inline void window_range(i64 pos, i64 k, i64 stride, i64 out_len, i64* lo, i64* hi) {
    // o*stride <= pos  and  o*stride > pos - k
    const i64 first = pos - k + 1;
    *lo = first <= 0 ? 0 : (first + stride - 1) / stride;
    *hi = jetnewton::min_i64(pos / stride, out_len - 1);
}

template <typename T>
__device__ void col2im(const ConvArgs d, const T* col, T* x, i64 accumulate) {
    const i64 p = d.ho * d.wo;
    const i64 cols = d.n * p;
    const i64 total = d.n * d.c * d.h * d.w;
    for (i64 e = jetnewton::grid_index(); e < total; e += jetnewton::grid_size()) {
        const i64 xx = e % d.w, y = e / d.w % d.h, ch = e / (d.w * d.h) % d.c;
        const i64 s = e / (d.w * d.h * d.c);
        // Padded coordinates: input pixel y sits at y + ph in the padded image.
        i64 oy_lo, oy_hi, ox_lo, ox_hi;
        window_range(y + d.ph, d.kh, d.sh, d.ho, &oy_lo, &oy_hi);
        window_range(xx + d.pw, d.kw, d.sw, d.wo, &ox_lo, &ox_hi);
        T sum = T(0);
        for (i64 oy = oy_lo; oy <= oy_hi; ++oy) {
            const i64 i = y + d.ph - oy * d.sh;
            for (i64 ox = ox_lo; ox <= ox_hi; ++ox) {
                const i64 j = xx + d.pw - ox * d.sw;
                const i64 row = (ch * d.kh + i) * d.kw + j;
                sum += col[row * cols + s * p + oy * d.wo + ox];
            }
        }
        x[e] = accumulate ? x[e] + sum : sum;
    }
}

}  // namespace

extern "C" __global__ void im2col_f32(const ConvArgs d, const float* x, float* col) {
    im2col(d, x, col);
}
extern "C" __global__ void im2col_f64(const ConvArgs d, const double* x, double* col) {
    im2col(d, x, col);
}
extern "C" __global__ void col2im_f32(const ConvArgs d, const float* col, float* x,
                                      i64 accumulate) {
    col2im(d, col, x, accumulate);
}
extern "C" __global__ void col2im_f64(const ConvArgs d, const double* col, double* x,
                                      i64 accumulate) {
    col2im(d, col, x, accumulate);
}
