#include "ganflow/layers/few_channel_transposed_conv.hpp"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <type_traits>
#include <utility>
#include <vector>

#include "float_vectors.hpp"
#include "ganflow/layers/channels_last.hpp"
#include "ganflow/layers/fast_conv.hpp"

namespace ganflow::layers {

namespace {
using detail::kVec;
using detail::load;
using detail::Vec;

// A tile of the product held in registers: Rows product rows (b, ky, kx) by Cols vectors of 16
// input positions, each from its own input row. 8 x 2 Vecs are 16 of AVX-512's 32 registers; 4 x 1
// are 8 of AVX2's 16.
constexpr int64_t kMaxRows = 8;

struct Geometry {
  int64_t a, hi, wi, b, kh, kw, ho, wo, sy, sx, py, px, dy, dx;
  int64_t rows() const { return b * kh * kw; }
  int64_t padded_rows() const { return (rows() + kMaxRows - 1) / kMaxRows * kMaxRows; }
  int64_t wi_tiles() const { return (wi + kVec - 1) / kVec * kVec; }
  // Kernel column kx lands at output column sx (ix + shift) + phase.
  int64_t phase(int64_t kx) const { return ((kx * dx - px) % sx + sx) % sx; }
  int64_t shift(int64_t kx) const { return (kx * dx - px - phase(kx)) / sx; }
  // An output row is accumulated as sx phase rows (column ox at phase ox % sx, index ox / sx),
  // so that a tile adds 16 consecutive values; `left` cells before index 0 and room on the right
  // take what falls outside the image, and the lanes past a row's end (zeros).
  int64_t left() const { return -std::min<int64_t>(0, shift(0)); }
  int64_t phase_len() const {
    return std::max(left() + wi_tiles() + std::max<int64_t>(0, shift(kw - 1)), left() + (wo - 1) / sx + 1);
  }
};

// Where product row m goes: its output row offset (ky dilation) and its place in a phase row set.
struct RowTarget {
  int64_t oy, offset;
};

// T: float, or bf16 read as floats (the sums are float, rounded once when written out).
template <typename T, int64_t Rows, int64_t Cols>
GANFLOW_BODY void sample_body(const T* gn, const float* wt, float* acc, const T* zeros, T* tail,
                              const RowTarget* target, const Geometry& q) {
  const int64_t plane = q.hi * q.wi, rows = q.rows(), stride_w = q.padded_rows();
  const int64_t len = q.phase_len(), out_row = q.sx * len;
  for (int64_t iy = 0; iy < q.hi; iy += Cols)
    for (int64_t ix = 0; ix < q.wi; ix += kVec) {
      const T* src[Cols];
      int64_t ld[Cols];
      for (int64_t c = 0; c < Cols; ++c) {
        const bool in_image = iy + c < q.hi;
        src[c] = in_image ? gn + (iy + c) * q.wi + ix : zeros, ld[c] = in_image ? plane : 0;
        if (const int64_t lanes = q.wi - ix; in_image && lanes < kVec) {
          T* t = tail + c * q.a * kVec;
          for (int64_t a = 0; a < q.a; ++a)
            for (int64_t j = 0; j < lanes; ++j) t[a * kVec + j] = src[c][a * plane + j];
          src[c] = t, ld[c] = kVec;
        }
      }
      for (int64_t m0 = 0; m0 < rows; m0 += Rows) {
        Vec sum[Cols][Rows] = {};
        for (int64_t a = 0; a < q.a; ++a) {
          const float* w = wt + a * stride_w + m0;
          for (int64_t c = 0; c < Cols; ++c) {
            const Vec v = load(src[c] + a * ld[c]);
            for (int64_t r = 0; r < Rows; ++r) sum[c][r] += v * w[r];
          }
        }
        for (int64_t r = 0; r < Rows && m0 + r < rows; ++r)
          for (int64_t c = 0; c < Cols && iy + c < q.hi; ++c) {
            const RowTarget& t = target[m0 + r];
            const int64_t oy = (iy + c) * q.sy + t.oy;
            if (oy < 0 || oy >= q.ho) continue;
            float* dst = acc + oy * out_row + t.offset + ix;
            detail::store(dst, load(dst) + sum[c][r]);
          }
      }
    }
}

// Lanes of two vectors: GCC's __builtin_shuffle takes the indices as a vector, Clang's
// __builtin_shufflevector as constants (GCC has that one only from version 12).
#if defined(__clang__)
#define GANFLOW_SHUFFLE2(a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)
#else
using Lanes = int32_t __attribute__((vector_size(64)));
#define GANFLOW_SHUFFLE2(a, b, ...) __builtin_shuffle(a, b, Lanes{__VA_ARGS__})
#endif

// One step of a 16 x 16 transpose in registers: within each 2D x 2D block, the off-diagonal
// D x D blocks trade places. Lane l of a row pair's first new row is the first row's l, or the
// second's l - D where bit D of l is set; of its second new row, the first's l + D or the second's l.
template <int D, int... L>
GANFLOW_BODY void trade_blocks(Vec* r, std::integer_sequence<int, L...>) {
  for (int i = 0; i < 16; ++i)
    if ((i & D) == 0) {
      const Vec a = r[i], b = r[i + D];
      r[i] = GANFLOW_SHUFFLE2(a, b, ((L & D) ? 16 + L - D : L)...);
      r[i + D] = GANFLOW_SHUFFLE2(a, b, ((L & D) ? 16 + L : L + D)...);
    }
}

// [rows][cols] -> [cols][rows]. float: whole 16 x 16 blocks through registers, the edges and
// bf16 value by value (writing row by row instead, at a 1 KB stride, was slower than the
// whole-tensor copy this replaces).
template <typename T>
GANFLOW_BODY void transpose(const T* from, T* to, int64_t rows, int64_t cols) {
  int64_t whole_rows = 0, whole_cols = 0;
  if constexpr (std::is_same_v<T, float>) {
    whole_rows = rows / kVec * kVec, whole_cols = cols / kVec * kVec;
    for (int64_t r0 = 0; r0 < whole_rows; r0 += kVec)
      for (int64_t c0 = 0; c0 < whole_cols; c0 += kVec) {
        Vec v[kVec];
        for (int64_t i = 0; i < kVec; ++i) v[i] = load(from + (r0 + i) * cols + c0);
        constexpr auto lanes = std::make_integer_sequence<int, kVec>{};
        trade_blocks<8>(v, lanes);
        trade_blocks<4>(v, lanes);
        trade_blocks<2>(v, lanes);
        trade_blocks<1>(v, lanes);
        for (int64_t i = 0; i < kVec; ++i) detail::store(to + (c0 + i) * rows + r0, v[i]);
      }
  }
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = r < whole_rows ? whole_cols : 0; c < cols; ++c) to[c * rows + r] = from[r * cols + c];
}

// Samples [n0, n1): per tile, the sum over a in registers, added at once to a phase row of
// `acc`; then the phase rows are written out as the output. `wt` is the weight as [a][row],
// its rows padded with zeros to whole tiles. A channels-last g is transposed one sample at a
// time into `planar`, which stays in cache for the product (a whole-tensor NCHW copy cost 0.8x
// the product itself: bench/BENCHMARKS.md).
template <typename T>
GANFLOW_BODY void samples(const T* g, bool channels_last, const float* wt, T* y, const Geometry& q, int64_t n0,
                          int64_t n1) {
  const int64_t len = q.phase_len(), out_row = q.sx * len, taps = q.kh * q.kw, plane = q.hi * q.wi;
  std::vector<float> acc(std::size_t(q.b * q.ho * out_row));
  std::vector<T> planar(channels_last ? std::size_t(q.a * plane) : 0);
  std::vector<T> zeros(kVec, T(0.f));
  std::vector<T> tail(std::size_t(2 * q.a * kVec), T(0.f));  // rows' last partial tiles, zero-padded
  std::vector<RowTarget> target(std::size_t(q.rows()));
  for (int64_t m = 0; m < q.rows(); ++m) {
    const int64_t tap = m % taps, ky = tap / q.kw, kx = tap % q.kw;
    target[std::size_t(m)] = {ky * q.dy - q.py, m / taps * q.ho * out_row + q.phase(kx) * len + q.left() + q.shift(kx)};
  }
  const bool wide = __builtin_cpu_supports("avx512f");
  for (int64_t n = n0; n < n1; ++n) {
    std::fill(acc.begin(), acc.end(), 0.f);
    const T* gn = g + n * q.a * plane;
    if (channels_last) {
      transpose(gn, planar.data(), plane, q.a);
      gn = planar.data();
      // The next sample's input streams in while this one's product runs, so the transpose does
      // not wait for memory (without it the call took 0.98 ms, with it 0.82, at 1 channel 16 -> 32).
      if (n + 1 < n1) {
        const char* next = reinterpret_cast<const char*>(g + (n + 1) * q.a * plane);
        for (int64_t b = 0; b < int64_t(q.a * plane * sizeof(T)); b += 64) __builtin_prefetch(next + b);
      }
    }
    if (wide) sample_body<T, 8, 2>(gn, wt, acc.data(), zeros.data(), tail.data(), target.data(), q);
    else sample_body<T, 4, 1>(gn, wt, acc.data(), zeros.data(), tail.data(), target.data(), q);
    T* yn = y + n * q.b * q.ho * q.wo;
    for (int64_t row = 0; row < q.b * q.ho; ++row)
      for (int64_t p = 0; p < q.sx; ++p) {
        const float* from = acc.data() + row * out_row + p * len + q.left();
        for (int64_t j = 0, ox = p; ox < q.wo; ++j, ox += q.sx) yn[row * q.wo + ox] = T(from[j]);
      }
  }
}

GANFLOW_CLONES void samples_kernel(const float* g, bool channels_last, const float* wt, float* y, const Geometry& q,
                                   int64_t n0, int64_t n1) {
  samples(g, channels_last, wt, y, q, n0, n1);
}

GANFLOW_CLONES void samples_kernel(const c10::BFloat16* g, bool channels_last, const float* wt, c10::BFloat16* y,
                                   const Geometry& q, int64_t n0, int64_t n1) {
  samples(g, channels_last, wt, y, q, n0, n1);
}

template <typename T>
void run_samples(const at::Tensor& g, const at::Tensor& wt, at::Tensor& y, const Geometry& q) {
  const T* gp = g.data_ptr<T>();
  const bool channels_last = !g.is_contiguous();  // readable(): then channels-last dense
  const float* wp = wt.data_ptr<float>();
  T* yp = y.data_ptr<T>();
  at::parallel_for(0, g.size(0), 1, [&](int64_t n0, int64_t n1) { samples_kernel(gp, channels_last, wp, yp, q, n0, n1); });
}

// What the kernel reads: 4-D CPU tensors, both float or both bf16, of matching channels (any B),
// g dense in NCHW or channels-last layout (a channels-last network's layers hand it that).
bool readable(const at::Tensor& g, const at::Tensor& w) {
  const auto dtype = g.scalar_type();
  if ((dtype != at::kFloat && dtype != at::kBFloat16) || w.scalar_type() != dtype) return false;
  for (const at::Tensor* t : {&g, &w})
    if (!t->device().is_cpu() || t->dim() != 4) return false;
  if (!g.is_contiguous() && !g.is_contiguous(at::MemoryFormat::ChannelsLast)) return false;
  return g.size(1) == w.size(0);
}
}  // namespace

bool few_channel_transposed_conv_applies(const at::Tensor& g, const at::Tensor& w) {
  if (conv_isa() != ConvIsa::avx512 || !readable(g, w)) return false;
  return w.size(1) <= (g.scalar_type() == at::kBFloat16 ? kFewChannelsBf16 : kFewChannels);
}

at::Tensor few_channel_transposed_conv(const at::Tensor& g, const at::Tensor& w, at::IntArrayRef stride,
                                       at::IntArrayRef padding, at::IntArrayRef dilation, at::IntArrayRef out_size) {
  TORCH_CHECK(readable(g, w), "few_channel_transposed_conv: unsupported tensors");
  TORCH_CHECK(stride.size() == 2 && padding.size() == 2 && dilation.size() == 2 && out_size.size() == 2,
              "few_channel_transposed_conv: stride, padding, dilation and out_size take 2 values each");
  TORCH_CHECK(stride[0] > 0 && stride[1] > 0 && dilation[0] > 0 && dilation[1] > 0 && padding[0] >= 0 &&
                  padding[1] >= 0 && out_size[0] > 0 && out_size[1] > 0,
              "few_channel_transposed_conv: stride and dilation must be positive, padding >= 0, out_size positive");
  const Geometry q{g.size(1), g.size(2), g.size(3), w.size(1), w.size(2), w.size(3), out_size[0], out_size[1],
                   stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1]};
  // The weight as float [a][row], rows padded to whole tiles: a tile's rows are consecutive there.
  at::Tensor wt = at::zeros({q.a, q.padded_rows()}, w.options().dtype(at::kFloat));
  wt.narrow(1, 0, q.rows()).copy_(w.reshape({q.a, q.rows()}));
  at::Tensor y = at::empty({g.size(0), q.b, q.ho, q.wo}, g.options());
  if (g.scalar_type() == at::kBFloat16) run_samples<c10::BFloat16>(g, wt, y, q);
  else run_samples<float>(g, wt, y, q);
  // Channels-last in, channels-last out, with the strides written out: contiguous(ChannelsLast)
  // keeps a 1-channel output's NCHW strides, which later layers read as NCHW (channels_last.hpp).
  return g.suggest_memory_format() == at::MemoryFormat::ChannelsLast ? channels_last_strided(y) : y;
}

}  // namespace ganflow::layers
