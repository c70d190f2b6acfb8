// Helpers for the tests that run the visualizer panel with its page in Qt WebEngine: scripts on the page,
// waiting for what it reports, clicks, screenshots, and a main() that sets WebEngine up for tests.
#pragma once

#include <QApplication>
#include <QList>
#include <QSignalSpy>
#include <QString>
#include <QVariant>
#include <QtTest>

#include "visualizer/visualizer_panel.h"

namespace loom::test {

// Runs `script` in the panel's page and waits (up to 10 s) for its result.
QVariant run_js(ui::VisualizerPanel& panel, const QString& script);
// What the page reports: loomVisualizerState().
QVariantMap page_state(ui::VisualizerPanel& panel);
// Waits until the page's state has `key` == `expected` (messages reach the page asynchronously).
bool wait_for_state(ui::VisualizerPanel& panel, const QString& key, const QVariant& expected,
                    int timeout_ms = 5000);
bool wait_until_loaded(ui::VisualizerPanel& panel);
// Clicks the element `selector` matches, once the page has drawn it (it draws at its next animation frame).
void click(ui::VisualizerPanel& panel, const QString& selector);
// The arguments of the next emission of `spy`'s signal (it may have come already, while a script ran);
// empty if none came within 5 s.
QList<QVariant> next_signal(QSignalSpy& spy);
// Lets the page draw before a screenshot.
void settle(int ms = 400);
// Saves what the panel shows as a PNG. Returns an empty string, or what went wrong (a blank grab...).
QString save_screenshot(ui::VisualizerPanel& panel, const QString& path);

// Before QApplication: offscreen unless a platform is named (QT_QPA_PLATFORM=xcb with a display shows the
// windows), and without Chromium's sandbox, which refuses to run as root.
void prepare_webengine_test();

}  // namespace loom::test

#define LOOM_WEBENGINE_TEST_MAIN(TestClass)     \
    int main(int argc, char** argv) {           \
        loom::test::prepare_webengine_test();   \
        QApplication app(argc, argv);           \
        TestClass test;                         \
        return QTest::qExec(&test, argc, argv); \
    }
