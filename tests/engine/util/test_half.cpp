#include <QtTest>

#include <cmath>
#include <limits>

#include "util/half.h"

using namespace loom;

// Reference conversion for half precision written from the IEEE 754 definition, independent of the
// bit tricks in util/half.h: decode all 65536 bit patterns by formula, and check that encoding picks the
// nearest representable value (ties to even).
static double half_value(uint16_t h) {
    int sign = (h >> 15) & 1, exponent = (h >> 10) & 31, mantissa = h & 1023;
    double value;
    if (exponent == 0)
        value = std::ldexp(mantissa, -24);
    else if (exponent == 31)
        value = mantissa ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
    else
        value = std::ldexp(1024 + mantissa, exponent - 25);
    return sign ? -value : value;
}

class TestHalf : public QObject {
    Q_OBJECT
  private slots:
    void decodesEveryHalf() {
        for (uint32_t h = 0; h < 65536; ++h) {
            double expected = half_value(static_cast<uint16_t>(h));
            float got = fp16_to_float(static_cast<uint16_t>(h));
            if (std::isnan(expected))
                QVERIFY(std::isnan(got));
            else
                QCOMPARE(static_cast<double>(got), expected);
        }
    }

    void encodingRoundTripsEveryHalf() {
        for (uint32_t h = 0; h < 65536; ++h) {
            float f = fp16_to_float(static_cast<uint16_t>(h));
            if (std::isnan(f)) {
                QVERIFY(std::isnan(fp16_to_float(float_to_fp16(f))));
                continue;
            }
            QCOMPARE(float_to_fp16(f), static_cast<uint16_t>(h));
        }
    }

    void encodingRoundsToNearestEven() {
        // Midpoints between consecutive halves round to the one with an even mantissa; points just off the
        // midpoint round to the nearer one.
        for (uint32_t h = 0; h < 0x7bff; ++h) {
            double lo = half_value(static_cast<uint16_t>(h)), hi = half_value(static_cast<uint16_t>(h + 1));
            double mid = (lo + hi) / 2;
            uint16_t even = (h & 1) ? static_cast<uint16_t>(h + 1) : static_cast<uint16_t>(h);
            QCOMPARE(float_to_fp16(static_cast<float>(mid)), even);
            float below = std::nextafter(static_cast<float>(mid), 0.0f);
            float above = std::nextafter(static_cast<float>(mid), 1e9f);
            QCOMPARE(float_to_fp16(below), static_cast<uint16_t>(h));
            QCOMPARE(float_to_fp16(above), static_cast<uint16_t>(h + 1));
        }
        QCOMPARE(float_to_fp16(65519.0f), uint16_t{0x7bff});
        QCOMPARE(float_to_fp16(65520.0f), uint16_t{0x7c00});
        QCOMPARE(float_to_fp16(-1e10f), uint16_t{0xfc00});
        QCOMPARE(float_to_fp16(1e-10f), uint16_t{0});
    }

    void bfloat16() {
        QCOMPARE(bf16_to_float(0x3f80), 1.0f);
        QCOMPARE(float_to_bf16(1.0f), uint16_t{0x3f80});
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties to even (1.0).
        QCOMPARE(float_to_bf16(1.00390625f), uint16_t{0x3f80});
        QCOMPARE(float_to_bf16(1.01171875f), uint16_t{0x3f82});  // 1 + 3*2^-8: tie, rounds up to even
        QVERIFY(std::isnan(bf16_to_float(float_to_bf16(std::numeric_limits<float>::quiet_NaN()))));
        for (uint32_t h = 0; h < 65536; ++h) {
            float f = bf16_to_float(static_cast<uint16_t>(h));
            if (!std::isnan(f)) QCOMPARE(float_to_bf16(f), static_cast<uint16_t>(h));
        }
    }
};

QTEST_APPLESS_MAIN(TestHalf)
#include "test_half.moc"
