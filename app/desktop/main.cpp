// loom: the desktop app. With no arguments it opens the window with the built-in model; `loom --model X`
// opens X (a model folder, a .gguf file, a Hugging Face snapshot, or "org/name" in the Hugging Face cache).
#include <unistd.h>
#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>
#include <cstdio>

#include "main_window.h"

int main(int argc, char** argv) {
    // Qt WebEngine (the visualizer) refuses to start as root unless its sandbox is off; a normal user keeps
    // it.
    if (geteuid() == 0 && qEnvironmentVariableIsEmpty("QTWEBENGINE_DISABLE_SANDBOX"))
        qputenv("QTWEBENGINE_DISABLE_SANDBOX", "1");
    // WebEngine shares OpenGL contexts with the widgets: this must be set before the application exists.
    QCoreApplication::setAttribute(Qt::AA_ShareOpenGLContexts);

    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("loom"));
    QApplication::setOrganizationName(QStringLiteral("Loom"));
    QApplication::setApplicationDisplayName(QStringLiteral("Loom"));
    QApplication::setApplicationVersion(QStringLiteral(LOOM_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("dev.loom.Loom"));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/loom/icons/dev.loom.Loom.svg")));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Run language models on this machine and look inside them while they work."));
    parser.addHelpOption();
    parser.addVersionOption();
    QCommandLineOption model(
        {QStringLiteral("m"), QStringLiteral("model")},
        QStringLiteral("The model to open: a folder, a .gguf file, a Hugging Face snapshot, or "
                       "org/name in the Hugging Face cache. Default: the built-in model."),
        QStringLiteral("model"));
    parser.addOption(model);
    QCommandLineOption backend(
        QStringLiteral("backend"),
        QStringLiteral("Where models run: auto (a GPU if there is one), cpu or vulkan. "
                       "Default: the choice made last time in the model browser."),
        QStringLiteral("auto|cpu|vulkan"));
    parser.addOption(backend);
    parser.addPositionalArgument(QStringLiteral("model"),
                                 QStringLiteral("The model to open (same as --model)."),
                                 QStringLiteral("[model]"));
    parser.process(app);

    loom::ui::MainWindowOptions options;
    options.model = parser.value(model);
    options.backend = parser.value(backend).toLower();
    if (!options.backend.isEmpty() && !QStringList{"auto", "cpu", "vulkan"}.contains(options.backend)) {
        std::fprintf(stderr, "loom: --backend %s: choose auto, cpu or vulkan\n", qPrintable(options.backend));
        return 2;
    }
    if (options.model.isEmpty() && !parser.positionalArguments().isEmpty())
        options.model =
            parser.positionalArguments().front();  // the desktop entry's %f: a file opened with Loom
    loom::ui::MainWindow window(options);
    window.show();
    return app.exec();
}
