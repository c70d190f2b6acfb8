// Help > About: the model's licence as its files state it (a LICENSE file, else the model card's `license:`),
// and the dialog that shows it with Loom's and Qt's versions.
#include <QApplication>
#include <QLabel>
#include <QPlainTextEdit>
#include <QTemporaryDir>
#include <QtTest>

#include "about_dialog.h"

using namespace loom::ui;

class TestAboutDialog : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;

    QString write(const QString& name, const QByteArray& text) {
        QString path = dir_.filePath(name);
        QDir().mkpath(QFileInfo(path).absolutePath());
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly)) qFatal("cannot write %s", qPrintable(path));
        file.write(text);
        return path;
    }

  private slots:
    void readsTheLicenceFile() {
        const QString stories = QStringLiteral(LOOM_RESOURCES_DIR "/models/stories260K");
        QVERIFY(read_model_licence(stories).contains(QStringLiteral("Karpathy")));
        // A model file's licence is the one next to it.
        write(QStringLiteral("gguf/LICENSE.txt"), "Apache License 2.0");
        QCOMPARE(read_model_licence(write(QStringLiteral("gguf/model.gguf"), "GGUF")),
                 QStringLiteral("Apache License 2.0"));
    }

    void readsTheModelCard() {
        write(QStringLiteral("card/README.md"),
              "---\nlanguage: en\nlicense: apache-2.0\ntags: [chat]\n---\n# A model\n");
        QCOMPARE(read_model_licence(dir_.filePath(QStringLiteral("card"))),
                 QStringLiteral("apache-2.0 (from the model card)"));
        write(QStringLiteral("none/README.md"), "# A model without front matter\nlicense: not here\n");
        QVERIFY(read_model_licence(dir_.filePath(QStringLiteral("none"))).isEmpty());
    }

    void prefersTheLicenceInTheModelsMetadata() {
        write(QStringLiteral("meta/LICENSE"), "Some other licence");
        LoadedModel model;
        model.path = write(QStringLiteral("meta/model.gguf"), "GGUF");
        model.licence = QStringLiteral("other: Example Community License, https://example.org/licence");
        AboutDialog dialog(model);
        auto* licence = dialog.findChild<QPlainTextEdit*>();
        QVERIFY(licence);
        QCOMPARE(
            licence->toPlainText(),
            QStringLiteral("other: Example Community License, https://example.org/licence (from the model's "
                           "metadata)"));
    }

    void showsVersionsAndTheLicence() {
        LoadedModel model;
        model.name = QStringLiteral("stories260K");
        model.path = QStringLiteral(LOOM_RESOURCES_DIR "/models/stories260K");
        model.architecture = QStringLiteral("llama");
        model.parameters = 260032;
        AboutDialog dialog(model);
        auto* licence = dialog.findChild<QPlainTextEdit*>();
        QVERIFY(licence);
        QVERIFY(licence->toPlainText().contains(QStringLiteral("Karpathy")));
        bool versions = false;
        for (QLabel* label : dialog.findChildren<QLabel*>())
            versions |= label->text().contains(QStringLiteral(LOOM_VERSION)) &&
                        label->text().contains(QString::fromLatin1(qVersion()));
        QVERIFY(versions);

        model.path = dir_.filePath(QStringLiteral("none"));
        AboutDialog unknown(model);
        QVERIFY(unknown.findChild<QPlainTextEdit*>()->toPlainText().contains(
            QStringLiteral("do not state a licence")));
    }
};

int main(int argc, char** argv) {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    TestAboutDialog test;
    return QTest::qExec(&test, argc, argv);
}

#include "test_about_dialog.moc"
