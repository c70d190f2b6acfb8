#include "about_dialog.h"

#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QPlainTextEdit>
#include <QRegularExpression>
#include <QVBoxLayout>
#include <QtGlobal>

#include "catalog/model_entry.h"
#include "util/cpu_features.h"

namespace loom::ui {

namespace {

// Model licences are short; anything bigger is not worth showing in a dialog.
constexpr qint64 kMaxLicenceBytes = 256 * 1024;

QString read_text(const QString& file) {
    QFile f(file);
    if (f.size() > kMaxLicenceBytes || !f.open(QIODevice::ReadOnly)) return {};
    return QString::fromUtf8(f.readAll());
}

}  // namespace

QString read_model_licence(const QString& modelPath) {
    QFileInfo info(modelPath);
    QDir folder = info.isDir() ? QDir(info.absoluteFilePath()) : info.absoluteDir();
    const QStringList names = folder.entryList({QStringLiteral("LICENSE*"), QStringLiteral("LICENCE*"),
                                                QStringLiteral("license*"), QStringLiteral("licence*")},
                                               QDir::Files, QDir::Name);
    for (const QString& name : names) {
        QString text = read_text(folder.filePath(name));
        if (!text.trimmed().isEmpty()) return text.trimmed();
    }
    // A Hugging Face model card: "---\nlicense: apache-2.0\n...\n---".
    const QString card = read_text(folder.filePath(QStringLiteral("README.md")));
    if (card.startsWith(QLatin1String("---"))) {
        const QString front = card.section(QStringLiteral("\n---"), 0, 0);
        static const QRegularExpression licence(QStringLiteral(R"(^\s*licen[sc]e\s*:\s*(.+?)\s*$)"),
                                                QRegularExpression::MultilineOption);
        QRegularExpressionMatch match = licence.match(front);
        if (match.hasMatch()) return QObject::tr("%1 (from the model card)").arg(match.captured(1));
    }
    return {};
}

AboutDialog::AboutDialog(const std::optional<LoadedModel>& model, QWidget* parent) : QDialog(parent) {
    setWindowTitle(tr("About Loom"));
    auto* about = new QLabel;
    about->setTextFormat(Qt::RichText);
    about->setWordWrap(true);
    about->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QString html = tr("<h2>Loom %1</h2><p>Runs language models on this machine and shows what happens inside "
                      "them: hidden states, attention, the logit lens.</p>")
                       .arg(QStringLiteral(LOOM_VERSION));
    html += tr("<p>Qt %1 (built with %2) · compiler %3 · CPU: %4</p>")
                .arg(QString::fromLatin1(qVersion()), QStringLiteral(QT_VERSION_STR),
                     QStringLiteral(__VERSION__).toHtmlEscaped(),
                     QString::fromStdString(loom::cpu_features().describe()).toHtmlEscaped());
    if (model) {
        html += tr("<p><b>Model:</b> %1 — %2, %3 parameters, %4<br><small>%5</small></p>")
                    .arg(model->name.toHtmlEscaped(), model->architecture.toHtmlEscaped(),
                         parameters_text(model->parameters), model->weightTypes.toHtmlEscaped(),
                         model->path.toHtmlEscaped());
    } else {
        html += tr("<p>No model is loaded.</p>");
    }
    about->setText(html);

    auto* licence = new QPlainTextEdit;
    licence->setReadOnly(true);
    // What the model's metadata says first (GGUF), then the licence files and model card beside it.
    QString text;
    if (model && !model->licence.isEmpty())
        text = tr("%1 (from the model's metadata)").arg(model->licence);
    else if (model)
        text = read_model_licence(model->path);
    if (model && text.isEmpty())
        text = tr("The model's files do not state a licence. Check where it came from before using it.");
    licence->setPlainText(text);
    licence->setVisible(model.has_value());

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(about);
    if (model) layout->addWidget(new QLabel(tr("Model licence:")));
    layout->addWidget(licence, 1);
    layout->addWidget(buttons);
    resize(620, model ? 480 : 220);
}

}  // namespace loom::ui
