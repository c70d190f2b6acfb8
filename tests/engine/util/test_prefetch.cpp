// util/prefetch.h: LOOM_PREFETCH, how far ahead the decode kernels ask for weights, and which page a read
// asks for.
#include <QtTest>

#include <set>
#include <string>

#include "util/error.h"
#include "util/prefetch.h"

using namespace loom;

class TestPrefetch : public QObject {
    Q_OBJECT
  private slots:
    void readsBytes() {
        QCOMPARE(prefetch_distance(nullptr), kDefaultPrefetchAheadBytes);
        QCOMPARE(prefetch_distance(""), kDefaultPrefetchAheadBytes);
        QCOMPARE(prefetch_distance("0"), size_t{0});
        QCOMPARE(prefetch_distance("8192"), size_t{8192});
        QCOMPARE(prefetch_distance("65536"), kMaxPrefetchAheadBytes);
    }

    // Anything else is an error that names the variable and what it takes.
    void refusesTheRest() {
        for (const char* text :
             {"-1", "+64", " 4096", "4k", "4096 ", "abc", "65537", "99999999999999999999999"}) {
            try {
                prefetch_distance(text);
                QFAIL(qPrintable(QString("accepted '%1'").arg(text)));
            } catch (const Error& e) {
                const std::string message = e.what();
                QVERIFY2(message.find("LOOM_PREFETCH='" + std::string(text) + "'") != std::string::npos,
                         e.what());
                QVERIFY2(message.find("0 (off) to 65536") != std::string::npos, e.what());
            }
        }
    }

    // A stream read step after step, with the steps of the decode kernels (a Q4_0 group block of 144 bytes,
    // Q8_0's 272, Q6_K's 1680, a cache line, a page), from starts inside and at the edge of a page: every
    // page that a step enters is asked for once, and no other.
    void asksForEveryPageOnce() {
        for (size_t step : {size_t{64}, size_t{144}, size_t{272}, size_t{1680}, kPageBytes})
            for (uintptr_t start : {uintptr_t{0x10000}, uintptr_t{0x10000 + 4000}, uintptr_t{0x10000 + 64}}) {
                std::multiset<uintptr_t> asked;
                const int steps = 200;
                for (int i = 0; i < steps; ++i)
                    if (uintptr_t page = page_entered(start + i * step, step)) asked.insert(page);
                std::multiset<uintptr_t> expected;
                for (uintptr_t page = (start / kPageBytes + 1) * kPageBytes; page <= start + steps * step;
                     page += kPageBytes)
                    expected.insert(page);
                QVERIFY2(asked == expected,
                         qPrintable(QString("step %1, start %2: %3 pages asked for, %4 entered")
                                        .arg(step)
                                        .arg(start)
                                        .arg(asked.size())
                                        .arg(expected.size())));
            }
    }
};

QTEST_APPLESS_MAIN(TestPrefetch)
#include "test_prefetch.moc"
