#include "panel_test_support.h"

#include <QElapsedTimer>
#include <QImage>
#include <QSet>
#include <QWebEnginePage>

namespace loom::test {

QVariant run_js(ui::VisualizerPanel& panel, const QString& script) {
    QVariant result;
    bool done = false;
    panel.page()->runJavaScript(script, [&](const QVariant& value) {
        result = value;
        done = true;
    });
    QElapsedTimer timer;
    timer.start();
    while (!done && timer.elapsed() < 10000)
        QTest::qWait(5);
    if (!done) qWarning() << "no answer from the page for" << script;
    return result;
}

QVariantMap page_state(ui::VisualizerPanel& panel) {
    return run_js(panel, "loomVisualizerState()").toMap();
}

bool wait_for_state(ui::VisualizerPanel& panel, const QString& key, const QVariant& expected,
                    int timeout_ms) {
    QElapsedTimer timer;
    timer.start();
    do {
        if (page_state(panel).value(key) == expected) return true;
        QTest::qWait(20);
    } while (timer.elapsed() < timeout_ms);
    qWarning() << "page state" << key << "is" << page_state(panel).value(key) << "expected" << expected;
    return false;
}

bool wait_until_loaded(ui::VisualizerPanel& panel) {
    if (panel.isPageLoaded()) return true;
    QSignalSpy loaded(&panel, &ui::VisualizerPanel::pageLoaded);
    return loaded.wait(30000);
}

void click(ui::VisualizerPanel& panel, const QString& selector) {
    const QString find = QStringLiteral("document.querySelector('%1') !== null").arg(selector);
    QTRY_VERIFY2_WITH_TIMEOUT(run_js(panel, find).toBool(),
                              qPrintable("nothing on the page matches " + selector), 5000);
    run_js(panel, QStringLiteral("document.querySelector('%1').click()").arg(selector));
}

QList<QVariant> next_signal(QSignalSpy& spy) {
    if (spy.isEmpty() && !spy.wait(5000)) return {};
    return spy.takeFirst();
}

void settle(int ms) {
    QTest::qWait(ms);
}

QString save_screenshot(ui::VisualizerPanel& panel, const QString& path) {
    const QImage image = panel.grab().toImage();
    if (image.isNull()) return "the panel could not be grabbed";
    // A drawn page has many colours; a blank or black grab has one or two.
    QSet<QRgb> colors;
    for (int y = 0; y < image.height(); y += 3)
        for (int x = 0; x < image.width(); x += 3)
            colors.insert(image.pixel(x, y));
    if (colors.size() <= 50) return QString("%1 looks blank (%2 colours)").arg(path).arg(colors.size());
    if (!image.save(path)) return "could not write " + path;
    qInfo().noquote() << "screenshot:" << path;
    return {};
}

void prepare_webengine_test() {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    qputenv("QTWEBENGINE_DISABLE_SANDBOX", "1");
    QCoreApplication::setAttribute(Qt::AA_ShareOpenGLContexts);
}

}  // namespace loom::test

// Under -DLOOM_SANITIZE=ON: Qt WebEngine's own Chromium code frees some objects through a base type of a
// different size and keeps a few allocations until exit. Neither is ours; these defaults keep the
// sanitizers on for everything else. (The sanitizer runtime reads these hooks; without it they are unused.)
extern "C" const char* __asan_default_options() {
    return "new_delete_type_mismatch=0";
}
extern "C" const char* __lsan_default_suppressions() {
    return "leak:libQt6WebEngineCore.so\nleak:libfontconfig.so\n";
}
