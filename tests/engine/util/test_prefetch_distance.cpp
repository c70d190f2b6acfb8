// LOOM_PREFETCH: how far ahead the decode kernels prefetch (util/system_memory.h).
#include <QtTest>

#include <string>

#include "util/error.h"
#include "util/system_memory.h"

using namespace loom;

class TestPrefetchDistance : public QObject {
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
};

QTEST_APPLESS_MAIN(TestPrefetchDistance)
#include "test_prefetch_distance.moc"
