// The suballocator under device memory (gpu/range_allocator.h): alignment, best fit, merging of freed
// neighbours, fragmentation, running out of room, and a random workload checked against a simple model.
#include <QtTest>

#include <algorithm>
#include <map>
#include <random>

#include "gpu/range_allocator.h"
#include "util/error.h"

using loom::gpu::RangeAllocator;

class TestRangeAllocator : public QObject {
    Q_OBJECT

  private slots:
    void allocatesFromTheStart() {
        RangeAllocator a(1000);
        QCOMPARE(a.allocate(100, 1).value(), 0u);
        QCOMPARE(a.allocate(100, 1).value(), 100u);
        QCOMPARE(a.used_bytes(), 200u);
        QCOMPARE(a.free_bytes(), 800u);
        QCOMPARE(a.allocation_count(), 2u);
    }

    void respectsAlignment() {
        RangeAllocator a(1 << 20);
        for (uint64_t alignment : {1u, 4u, 16u, 64u, 256u, 4096u}) {
            a.allocate(3, 1);  // knocks the next start off any boundary
            auto offset = a.allocate(10, alignment);
            QVERIFY(offset.has_value());
            QCOMPARE(*offset % alignment, 0u);
        }
    }

    void paddingBeforeAnAlignedRangeStaysFree() {
        RangeAllocator a(1024);
        QCOMPARE(a.allocate(10, 1).value(), 0u);
        QCOMPARE(a.allocate(100, 256).value(), 256u);
        // The gap [10, 256) serves a later request that fits it.
        QCOMPARE(a.allocate(200, 1).value(), 10u);
    }

    void rejectsBadAlignment() {
        RangeAllocator a(1024);
        QVERIFY_THROWS_EXCEPTION(loom::Error, a.allocate(16, 0));
        QVERIFY_THROWS_EXCEPTION(loom::Error, a.allocate(16, 24));
    }

    void freeingMergesNeighbours() {
        RangeAllocator a(300);
        uint64_t x = *a.allocate(100, 1), y = *a.allocate(100, 1), z = *a.allocate(100, 1);
        QCOMPARE(a.free_bytes(), 0u);
        a.free(x);
        a.free(z);
        QCOMPARE(a.free_range_count(), 2u);
        QCOMPARE(a.largest_free_range(), 100u);
        a.free(y);  // joins both sides
        QCOMPARE(a.free_range_count(), 1u);
        QCOMPARE(a.largest_free_range(), 300u);
        QVERIFY(a.empty());
        QCOMPARE(a.allocate(300, 1).value(), 0u);
    }

    void bestFitKeepsLargeRangesWhole() {
        RangeAllocator a(1000);
        uint64_t small = *a.allocate(50, 1);
        a.allocate(10, 1);
        uint64_t large = *a.allocate(500, 1);
        a.allocate(10, 1);
        a.free(small);  // holes of 50 and 500, and 430 at the end
        a.free(large);
        QCOMPARE(a.allocate(40, 1).value(), small);  // the smallest hole that fits
        QCOMPARE(a.allocate(450, 1).value(), large);
    }

    void fragmentationCanRefuseWhatTotalsAllow() {
        RangeAllocator a(400);
        std::vector<uint64_t> offsets;
        for (int i = 0; i < 4; ++i)
            offsets.push_back(*a.allocate(100, 1));
        a.free(offsets[0]);
        a.free(offsets[2]);
        QCOMPARE(a.free_bytes(), 200u);
        QVERIFY(!a.allocate(150, 1).has_value());  // 200 free, but in two pieces of 100
        a.free(offsets[1]);                        // now 300 in one piece
        QCOMPARE(a.allocate(150, 1).value(), 0u);
    }

    void outOfRoom() {
        RangeAllocator a(256);
        QVERIFY(!a.allocate(257, 1).has_value());
        QVERIFY(a.allocate(256, 1).has_value());
        QVERIFY(!a.allocate(1, 1).has_value());
        RangeAllocator empty(0);
        QVERIFY(!empty.allocate(1, 1).has_value());
    }

    void alignmentCanExhaustARange() {
        RangeAllocator a(300);
        a.allocate(1, 1);
        QVERIFY(!a.allocate(100, 256).has_value());  // 256 + 100 > 300
        QVERIFY(a.allocate(44, 256).has_value());    // [256, 300) just fits
    }

    void zeroSizedRangesAreDistinct() {
        RangeAllocator a(64);
        uint64_t x = *a.allocate(0, 1), y = *a.allocate(0, 1);
        QVERIFY(x != y);
        a.free(x);
        a.free(y);
        QVERIFY(a.empty());
    }

    void freeingUnknownOffsetsIsAnError() {
        RangeAllocator a(100);
        uint64_t x = *a.allocate(10, 1);
        QVERIFY_THROWS_EXCEPTION(loom::Error, a.free(x + 1));
        a.free(x);
        QVERIFY_THROWS_EXCEPTION(loom::Error, a.free(x));  // twice
    }

    // Random allocations and frees, checked against a map of live ranges: no two overlap, every range
    // lies inside the capacity and is aligned, and freeing everything restores one free range.
    void randomWorkloadKeepsRangesDisjoint() {
        const uint64_t capacity = 1 << 16;
        RangeAllocator a(capacity);
        std::mt19937 random(7);
        std::map<uint64_t, uint64_t> live;  // offset -> size
        for (int step = 0; step < 5000; ++step) {
            if (live.empty() || random() % 3 != 0) {
                uint64_t size = 1 + random() % 2000, alignment = uint64_t{1} << (random() % 9);
                auto offset = a.allocate(size, alignment);
                if (!offset) continue;
                QCOMPARE(*offset % alignment, 0u);
                QVERIFY(*offset + size <= capacity);
                auto next = live.lower_bound(*offset);
                if (next != live.end()) QVERIFY(*offset + size <= next->first);
                if (next != live.begin())
                    QVERIFY(std::prev(next)->first + std::prev(next)->second <= *offset);
                live[*offset] = size;
            } else {
                auto victim = std::next(live.begin(), static_cast<long>(random() % live.size()));
                a.free(victim->first);
                live.erase(victim);
            }
            uint64_t used = 0;
            for (auto [offset, size] : live)
                used += size;
            QCOMPARE(a.used_bytes(), used);
        }
        for (auto [offset, size] : live)
            a.free(offset);
        QVERIFY(a.empty());
        QCOMPARE(a.free_range_count(), 1u);
        QCOMPARE(a.free_bytes(), capacity);
    }
};

QTEST_APPLESS_MAIN(TestRangeAllocator)
#include "test_range_allocator.moc"
