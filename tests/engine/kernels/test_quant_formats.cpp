#include <QtTest>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "kernel_test_support.h"
#include "kernels/quant/interleaved.h"
#include "kernels/quant/quant.h"
#include "tensor/dtype.h"
#include "util/error.h"
#include "util/half.h"

using namespace loom;

// The block layouts, decoded here straight from byte offsets as the GGUF format description gives them (not
// through the structs of tensor/quant_blocks.h), so that a wrong struct or a misread bit shows up.
namespace {

const DType kAllQuantized[] = {DType::Q8_0, DType::Q4_0, DType::Q4_1, DType::Q5_0, DType::Q5_1, DType::Q8_0S,
                               DType::Q2_K, DType::Q3_K, DType::Q4_K, DType::Q5_K, DType::Q6_K, DType::Q8_K};

float half_at(const uint8_t* b, int offset) {
    return fp16_to_float(static_cast<uint16_t>(b[offset] | (b[offset + 1] << 8)));
}

// Value of element e of one block, evaluated in the order the format documentation states.
float expected_value(DType type, const uint8_t* b, int e) {
    switch (type) {
        case DType::Q8_0:
            return half_at(b, 0) * static_cast<float>(static_cast<int8_t>(b[2 + e]));
        case DType::Q8_0S: {
            float d;
            std::memcpy(&d, b, 4);
            return d * static_cast<float>(static_cast<int8_t>(b[12 + e]));
        }
        case DType::Q4_0:
        case DType::Q4_1: {
            int qs = type == DType::Q4_0 ? 2 : 4;
            int nibble = e < 16 ? b[qs + e] & 15 : b[qs + e - 16] >> 4;
            if (type == DType::Q4_0) return half_at(b, 0) * static_cast<float>(nibble - 8);
            return half_at(b, 0) * static_cast<float>(nibble) + half_at(b, 2);
        }
        case DType::Q5_0:
        case DType::Q5_1: {
            int qh = type == DType::Q5_0 ? 2 : 4, qs = qh + 4;
            int nibble = e < 16 ? b[qs + e] & 15 : b[qs + e - 16] >> 4;
            int high = (b[qh + e / 8] >> (e % 8)) & 1;
            int q = nibble | (high << 4);
            if (type == DType::Q5_0) return half_at(b, 0) * static_cast<float>(q - 16);
            return half_at(b, 0) * static_cast<float>(q) + half_at(b, 2);
        }
        case DType::Q2_K: {
            int q = (b[16 + 32 * (e / 128) + e % 32] >> (2 * ((e % 128) / 32))) & 3;
            int scale = b[e / 16] & 15, min = b[e / 16] >> 4;
            return (half_at(b, 80) * static_cast<float>(scale)) * static_cast<float>(q) -
                   half_at(b, 82) * static_cast<float>(min);
        }
        case DType::Q3_K: {
            int low = (b[32 + 32 * (e / 128) + e % 32] >> (2 * ((e % 128) / 32))) & 3;
            int high = (b[e % 32] >> (e / 32)) & 1;
            int j = e / 16;
            const uint8_t* s = b + 96;
            int scale_low = j < 8 ? s[j] & 15 : s[j - 8] >> 4;
            int scale_high = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
            int scale = (scale_low | (scale_high << 4)) - 32;
            return (half_at(b, 108) * static_cast<float>(scale)) *
                   static_cast<float>((low | (high << 2)) - 4);
        }
        case DType::Q4_K:
        case DType::Q5_K: {
            const uint8_t* s = b + 4;
            int j = e / 32;
            int scale = j < 4 ? s[j] & 63 : (s[j + 4] & 15) | ((s[j - 4] >> 6) << 4);
            int min = j < 4 ? s[j + 4] & 63 : (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
            int qs = type == DType::Q4_K ? 16 : 48;
            int c = e / 64, h = (e % 64) / 32, i = e % 32;
            int q = (b[qs + 32 * c + i] >> (4 * h)) & 15;
            if (type == DType::Q5_K) q |= ((b[16 + i] >> (e / 32)) & 1) << 4;
            return (half_at(b, 0) * static_cast<float>(scale)) * static_cast<float>(q) -
                   half_at(b, 2) * static_cast<float>(min);
        }
        case DType::Q6_K: {
            int n = e / 128, s = (e % 128) / 32, i = e % 32;
            int low = (b[64 * n + 32 * (s % 2) + i] >> (4 * (s / 2))) & 15;
            int high = (b[128 + 32 * n + i] >> (2 * s)) & 3;
            int scale = static_cast<int8_t>(b[192 + e / 16]);
            return (half_at(b, 208) * static_cast<float>(scale)) *
                   static_cast<float>((low | (high << 4)) - 32);
        }
        case DType::Q8_K: {
            float d;
            std::memcpy(&d, b, 4);
            return d * static_cast<float>(static_cast<int8_t>(b[4 + e]));
        }
        default:
            return NAN;
    }
}

std::vector<float> dequantized(DType type, const std::vector<uint8_t>& data) {
    int64_t k =
        static_cast<int64_t>(data.size() / dtype_info(type).block_bytes) * dtype_info(type).block_elements;
    std::vector<float> out(static_cast<size_t>(k));
    dequantize_row(type, reinterpret_cast<const std::byte*>(data.data()), k, out.data());
    return out;
}

std::vector<uint8_t> quantized(DType type, const std::vector<float>& x) {
    std::vector<uint8_t> out(row_bytes(type, static_cast<int64_t>(x.size())));
    quantize_row(type, x.data(), static_cast<int64_t>(x.size()), reinterpret_cast<std::byte*>(out.data()));
    return out;
}

uint16_t half_bits(float v) {
    return float_to_fp16(v);
}

void put_half(std::vector<uint8_t>& b, int offset, float v) {
    uint16_t h = half_bits(v);
    b[size_t(offset)] = static_cast<uint8_t>(h);
    b[size_t(offset) + 1] = static_cast<uint8_t>(h >> 8);
}

// Test data: Gaussian values whose scale changes from block to block, with an occasional outlier, plus
// special blocks (all zero, constant, all positive, tiny).
std::vector<float> test_values(int64_t n, std::mt19937& rng) {
    std::normal_distribution<float> gauss(0.0f, 1.0f);
    std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
    std::vector<float> x(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
        float block_scale = std::pow(10.0f, static_cast<float>((i / 256) % 5) - 2.0f);
        float v = gauss(rng) * block_scale;
        if (uniform(rng) < 0.01f) v *= 8.0f;
        x[size_t(i)] = v;
    }
    for (int64_t i = 0; i < 256 && i < n; ++i)
        x[size_t(i)] = 0.0f;  // zeros
    for (int64_t i = 256; i < 512 && i < n; ++i)
        x[size_t(i)] = 0.75f;  // constant
    for (int64_t i = 512; i < 768 && i < n; ++i)
        x[size_t(i)] = 3.0f + uniform(rng);  // positive
    for (int64_t i = 768; i < 1024 && i < n; ++i)
        x[size_t(i)] = 1e-3f * gauss(rng);  // small
    return x;
}

struct Range {
    float lo, hi;
};
Range range_of(const float* x, int n) {
    Range r{x[0], x[0]};
    for (int i = 1; i < n; ++i)
        r = {std::min(r.lo, x[i]), std::max(r.hi, x[i])};
    return r;
}

}  // namespace

class TestQuantFormats : public QObject {
    Q_OBJECT
  private slots:
    // Every output of dequantize_row for blocks of random bits equals the documented formula.
    void dequantizationMatchesFormatFormulas() {
        std::mt19937 rng(1);
        for (DType type : kAllQuantized) {
            const int blocks = 7;
            std::vector<uint8_t> data = test::random_blocks(type, blocks, rng);
            std::vector<float> got = dequantized(type, data);
            const int n = static_cast<int>(dtype_info(type).block_elements);
            for (int b = 0; b < blocks; ++b)
                for (int e = 0; e < n; ++e) {
                    float want =
                        expected_value(type, data.data() + dtype_info(type).block_bytes * size_t(b), e);
                    float value = got[size_t(b * n + e)];
                    if (value != want)
                        QFAIL(qPrintable(QString("%1 block %2 element %3: got %4, expected %5")
                                             .arg(QString::fromStdString(std::string(dtype_name(type))))
                                             .arg(b)
                                             .arg(e)
                                             .arg(double(value))
                                             .arg(double(want))));
                }
        }
    }

    // Hand-built blocks with values worked out on paper from the format description.
    void handBuiltBlocks() {
        {  // Q4_0: d = 0.5, qs[0] = 0x1f: element 0 is (15 - 8) * 0.5, element 16 is (1 - 8) * 0.5.
            std::vector<uint8_t> b(18, 0x88);
            put_half(b, 0, 0.5f);
            b[2] = 0x1f;
            std::vector<float> v = dequantized(DType::Q4_0, b);
            QCOMPARE(v[0], 3.5f);
            QCOMPARE(v[16], -3.5f);
            QCOMPARE(v[1], 0.0f);
        }
        {  // Q5_1: d = 2, m = -1; element 17: nibble from qs[1] high = 3, bit 17 of qh set -> q = 19: 37.
            std::vector<uint8_t> b(24, 0);
            put_half(b, 0, 2.0f);
            put_half(b, 2, -1.0f);
            b[4 + 2] = 0x02;  // qh bit 17
            b[8 + 1] = 0x30;  // qs[1] high nibble
            std::vector<float> v = dequantized(DType::Q5_1, b);
            QCOMPARE(v[17], 37.0f);
            QCOMPARE(v[1], -1.0f);
        }
        {  // Q2_K: d = 1, dmin = 0.25; sub-block 9 (elements 144..159) scale 5, min 4; element 150 = 128 +
           // 22: byte qs[32 + 22], bits 0..1 (= 3) -> 5 * 3 - 0.25 * 4 = 14.
            std::vector<uint8_t> b(84, 0);
            put_half(b, 80, 1.0f);
            put_half(b, 82, 0.25f);
            b[9] = 0x45;
            b[11] = 0x20;  // sub-block 11: scale 0, min 2
            b[16 + 32 + 22] = 0x03;
            std::vector<float> v = dequantized(DType::Q2_K, b);
            QCOMPARE(v[150], 14.0f);
            QCOMPARE(v[150 + 32], -0.5f);  // same byte, bits 2..3: code 0 in sub-block 11 -> -0.25 * 2
        }
        {  // Q3_K: d = 0.5; sub-block 13 scale code: low nibble = high nibble of scales[5], high bits =
           // bits 6..7 of scales[8 + 1]. Code 0b10_0111 = 39 -> scale 7. Element 13 * 16 + 3 = 211 = 128 + 2
           // * 32 + 19: low bits from qs[32 + 19] bits 4..5, high bit is bit 6 of hmask[19].
            std::vector<uint8_t> b(110, 0);
            put_half(b, 108, 0.5f);
            b[96 + 5] = 0x70;
            b[96 + 9] = 0x80;
            b[32 + 32 + 19] = 0x20;  // low bits = 2
            b[19] = 0x40;            // high bit = 1 -> q = 6
            std::vector<float> v = dequantized(DType::Q3_K, b);
            QCOMPARE(v[211], 0.5f * 7.0f * 2.0f);
        }
        {  // Q4_K: d = 1, dmin = 0.5; sub-block 5: scale 37 = 0b10_0101 (low nibble of scales[9], top bits of
           // scales[1]), min 22 = 0b01_0110 (high nibble of scales[9], top bits of scales[5]).
           // Element 163 = 64 * 2 + 32 + 3: high nibble of qs[64 + 3] = 10 -> 37 * 10 - 0.5 * 22 = 359.
            std::vector<uint8_t> b(144, 0);
            put_half(b, 0, 1.0f);
            put_half(b, 2, 0.5f);
            b[4 + 9] = 0x65;
            b[4 + 1] = 0x80;
            b[4 + 5] = 0x40;
            b[16 + 64 + 3] = 0xa0;
            std::vector<float> v = dequantized(DType::Q4_K, b);
            QCOMPARE(v[163], 359.0f);
        }
        {  // Q6_K: d = 0.25, scales[12] = -3; element 200 = 128 + 2 * 32 + 8: low = low nibble of ql[64 + 8]
           // (s = 2: nibble 1 of ql[64 + 0 + 8]), high = bits 4..5 of qh[32 + 8]. q = 0x25 = 37 -> 0.25 * -3
           // * 5.
            std::vector<uint8_t> b(210, 0);
            put_half(b, 208, 0.25f);
            b[192 + 12] = static_cast<uint8_t>(-3);
            b[64 + 8] = 0x50;
            b[128 + 32 + 8] = 0x20;
            std::vector<float> v = dequantized(DType::Q6_K, b);
            QCOMPARE(v[200], -3.75f);
        }
    }

    // quantize -> dequantize stays within each format's error bound on varied data.
    void roundTripErrorIsBounded() {
        std::mt19937 rng(7);
        const int64_t n = 256 * 24;
        std::vector<float> x = test_values(n, rng);
        for (DType type : kAllQuantized) {
            std::vector<float> y = dequantized(type, quantized(type, x));
            const int block = static_cast<int>(dtype_info(type).block_elements);
            for (int64_t b0 = 0; b0 < n; b0 += block) {
                const float* xb = x.data() + b0;
                const float* yb = y.data() + b0;
                for (int e = 0; e < block; ++e) {
                    float bound = error_bound(type, xb, e);
                    float error = std::fabs(xb[e] - yb[e]);
                    if (!(error <= bound))
                        QFAIL(qPrintable(QString("%1 element %2: %3 -> %4, error %5 > bound %6")
                                             .arg(QString::fromStdString(std::string(dtype_name(type))))
                                             .arg(b0 + e)
                                             .arg(double(xb[e]))
                                             .arg(double(yb[e]))
                                             .arg(double(error))
                                             .arg(double(bound))));
                }
            }
        }
    }

    // The K-quant quantizers search their scales: on Gaussian data they beat rounding with each sub-block's
    // exact min/max scale, even though their scales are themselves quantized and the baseline's are not.
    void scaleSearchBeatsMinMax() {
        std::mt19937 rng(3);
        std::normal_distribution<float> gauss(0.0f, 1.0f);
        std::vector<float> x(256 * 64);
        for (auto& v : x)
            v = gauss(rng);
        struct Case {
            DType type;
            int sub_block, levels;
            bool with_min;
        };
        for (Case c : {Case{DType::Q2_K, 16, 3, true}, Case{DType::Q3_K, 16, 7, false},
                       Case{DType::Q4_K, 32, 15, true}, Case{DType::Q5_K, 32, 31, true},
                       Case{DType::Q6_K, 16, 63, false}}) {
            std::vector<float> y = dequantized(c.type, quantized(c.type, x));
            double searched = 0.0, baseline = 0.0;
            for (size_t s = 0; s < x.size(); s += size_t(c.sub_block)) {
                const float* xs = x.data() + s;
                Range r = range_of(xs, c.sub_block);
                // Baseline: min/max codes, lo..hi (with a minimum) or -amax..amax (symmetric).
                float amax = std::max(-r.lo, r.hi);
                float lo = c.with_min ? std::min(r.lo, 0.0f) : -amax;
                float step = ((c.with_min ? r.hi : amax) - lo) / static_cast<float>(c.levels);
                for (int i = 0; i < c.sub_block; ++i) {
                    float q = std::nearbyint((xs[i] - lo) / step);
                    baseline += std::pow(lo + q * step - xs[i], 2);
                    searched += std::pow(y[s + size_t(i)] - xs[i], 2);
                }
            }
            double ratio = std::sqrt(searched / baseline);
            qInfo("%s: RMS error %.4f of the min/max baseline", std::string(dtype_name(c.type)).c_str(),
                  ratio);
            QVERIFY2(ratio < 0.97, qPrintable(QString::fromStdString(std::string(dtype_name(c.type)))));
        }
    }

    // Interleaving 8 rows (kernels/quant/interleaved.h) only reorders bytes: every row comes back exactly,
    // the padding rows of the last group are zeros, group blocks are where the layout's order (panels and
    // row blocks for long rows) puts them, a field at offset o of a block starts at 8 * o of its
    // group block, and the 5th bits of lane r's byte j of code vector p are bit p of byte j of its
    // transposed high-bit word, as the SIMD kernels read them.
    void interleavedRowsRoundTrip() {
        std::mt19937 rng(21);
        for (DType type : {DType::Q8_0, DType::Q4_0, DType::Q4_1, DType::Q5_0, DType::Q5_1, DType::Q2_K,
                           DType::Q3_K, DType::Q4_K, DType::Q5_K, DType::Q6_K}) {
            const InterleavedFormat* f = interleaved_format(type);
            QVERIFY(f != nullptr);
            QCOMPARE(f->block_bytes, dtype_info(type).block_bytes);
            const int64_t panel = kPanelElements / f->block_elements;  // blocks
            for (int64_t rows : {1, 7, 8, 9, 33, 72})
                for (int64_t blocks : {int64_t{1}, int64_t{3}, 2 * panel + 1}) {
                    const int64_t k = f->block_elements * blocks;
                    std::vector<uint8_t> stored = test::random_blocks(type, rows * blocks, rng);
                    const auto* src = reinterpret_cast<const std::byte*>(stored.data());
                    const int64_t groups = (rows + 7) / 8;
                    // Where each group block goes, written out in the layout's order: row block by row
                    // block (8 groups when a row is more than one panel, with room for all 8 in the
                    // last), panel by panel, the row block's groups in turn, each a run of its blocks.
                    const int64_t row_block = blocks > panel ? kRowBlockGroups : 1;
                    std::vector<size_t> place(static_cast<size_t>(groups * blocks));
                    size_t next = 0;
                    for (int64_t first_group = 0; first_group < groups; first_group += row_block)
                        for (int64_t first = 0; first < blocks; first += panel)
                            for (int64_t g = first_group; g < first_group + row_block; ++g)
                                for (int64_t b = first; b < std::min(blocks, first + panel); ++b) {
                                    if (g < groups) place[static_cast<size_t>(g * blocks + b)] = next;
                                    next += f->group_block_bytes();
                                }
                    std::vector<std::byte> packed(interleaved_bytes(type, rows, k), std::byte{0xAA});
                    QCOMPARE(packed.size(), next);
                    interleave_rows(type, src, rows, k, 0, groups, packed.data());
                    std::vector<std::byte> row(row_bytes(type, k));
                    for (int64_t r = 0; r < groups * 8; ++r) {
                        deinterleave_row(type, packed.data(), k, r, row.data());
                        if (r < rows) {
                            QVERIFY2(std::memcmp(row.data(), src + r * row.size(), row.size()) == 0,
                                     qPrintable(QString("%1 rows %2 k %3: row %4")
                                                    .arg(dtype_name(type).data())
                                                    .arg(rows)
                                                    .arg(k)
                                                    .arg(r)));
                        } else {
                            for (std::byte b : row)
                                QCOMPARE(int(b), 0);
                        }
                    }
                    for (int64_t r = 0; r < rows; ++r)
                        for (int64_t b = 0; b < blocks; ++b) {
                            const std::byte* block = src + r * row.size() + b * f->block_bytes;
                            const size_t at = place[static_cast<size_t>(r / 8 * blocks + b)];
                            QCOMPARE(interleaved_layout(type, k).offset(r / 8, b), at);
                            const std::byte* group_block = packed.data() + at;
                            const int lane = static_cast<int>(r % 8);
                            // The first scale (or, for Q6_K, the first code word) where the rule puts it.
                            const size_t unit = f->halves_begin == 0 ? 2 : 4;
                            QVERIFY(std::memcmp(group_block + unit * lane, block, unit) == 0);
                            if (f->transposed_word < 0) continue;
                            uint32_t qh, word;
                            std::memcpy(&qh, block + f->transposed_word, 4);
                            std::memcpy(&word,
                                        group_block + interleaved_offset(f->transposed_word) + 4 * lane, 4);
                            for (int p = 0; p < 8; ++p)
                                for (int j = 0; j < 4; ++j)
                                    QCOMPARE((word >> (8 * j + p)) & 1u, (qh >> (4 * p + j)) & 1u);
                        }
                }
        }
        QVERIFY(interleaved_format(DType::F16) == nullptr);
    }

    void refusesBadRows() {
        std::vector<float> x(40, 1.0f);
        std::vector<std::byte> out(1024);
        QVERIFY_THROWS_EXCEPTION(Error, quantize_row(DType::Q4_0, x.data(), 40, out.data()));
        QVERIFY_THROWS_EXCEPTION(Error, quantize_row(DType::F16, x.data(), 32, out.data()));
        QVERIFY_THROWS_EXCEPTION(Error, dequantize_row(DType::Q4_K, out.data(), 32, x.data()));
    }

  private:
    // Largest acceptable |x - dequantized| for element e of the block starting at xb.
    static float error_bound(DType type, const float* xb, int e) {
        const int block = static_cast<int>(dtype_info(type).block_elements);
        Range r = range_of(xb, block);
        float amax = std::max(-r.lo, r.hi);
        const float slack = 1.01f;  // fp16 rounding of the stored scales
        switch (type) {
            // Symmetric 8-bit: half a step of amax / 127.
            case DType::Q8_0:
            case DType::Q8_0S:
            case DType::Q8_K:
                return 0.5f * amax / 127.0f * slack;
            // The extreme maps to code -8 (-16); the opposite end can clip by up to one step.
            case DType::Q4_0:
                return amax / 8.0f * slack;
            case DType::Q5_0:
                return amax / 16.0f * slack;
            // Min/max codes: half a step, plus the fp16 rounding of the stored minimum.
            case DType::Q4_1:
                return 0.5f * (r.hi - r.lo) / 15.0f * slack + std::fabs(r.lo) / 1024.0f;
            case DType::Q5_1:
                return 0.5f * (r.hi - r.lo) / 31.0f * slack + std::fabs(r.lo) / 1024.0f;
            default:
                break;
        }
        // K-quants: the searched scale may clip the sub-block's extremes by up to one min/max step; the
        // sub-block scale and minimum are rounded to steps of (largest of the super-block) / scale levels,
        // which moves a value by up to half a scale step times its code plus half a minimum step: together
        // at most about block range / scale levels (1.5 times that allows for searched scales above min/max).
        int sub = type == DType::Q4_K || type == DType::Q5_K ? 32 : 16;
        int qmax = 0, scale_levels = 0;
        switch (type) {
            case DType::Q2_K:
                qmax = 3, scale_levels = 15;
                break;
            case DType::Q3_K:
                qmax = 7, scale_levels = 32;
                break;
            case DType::Q4_K:
                qmax = 15, scale_levels = 63;
                break;
            case DType::Q5_K:
                qmax = 31, scale_levels = 63;
                break;
            default:
                qmax = 63, scale_levels = 128;
                break;  // Q6_K
        }
        const float* xs = xb + (e / sub) * sub;
        Range rs = range_of(xs, sub);
        float sub_range = std::max(rs.hi, 0.0f) - std::min(rs.lo, 0.0f);
        float block_range = std::max(r.hi, 0.0f) - std::min(r.lo, 0.0f);
        return (sub_range / static_cast<float>(qmax) +
                1.5f * block_range / static_cast<float>(scale_levels)) *
               slack;
    }
};

QTEST_APPLESS_MAIN(TestQuantFormats)
#include "test_quant_formats.moc"
