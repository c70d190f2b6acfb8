#include "visualizer/visualizer_json.h"

#include <QJsonArray>
#include <QtEndian>

namespace loom::ui {

namespace {

QJsonArray alternatives_to_json(const QVector<TokenAlternative>& alternatives) {
    QJsonArray array;
    for (const TokenAlternative& a : alternatives)
        array.append(QJsonObject{{"id", a.id}, {"text", a.text}, {"p", double(a.probability)}});
    return array;
}

}  // namespace

QString floats_to_base64(const QVector<float>& values) {
    QByteArray bytes(values.size() * qsizetype(sizeof(float)), Qt::Uninitialized);
    qToLittleEndian<float>(values.constData(), values.size(), bytes.data());
    return QString::fromLatin1(bytes.toBase64());
}

QJsonObject model_to_json(const VisualizerModelInfo& model) {
    return QJsonObject{{"name", model.name},
                       {"layers", model.layers},
                       {"heads", model.heads},
                       {"hiddenSize", double(model.hiddenSize)}};
}

QJsonObject position_to_json(const PositionCapture& capture) {
    QJsonArray norms;
    for (float norm : capture.hiddenNorms)
        norms.append(double(norm));
    return QJsonObject{{"position", double(capture.position)},
                       {"tokenId", capture.tokenId},
                       {"text", capture.text},
                       {"norms", norms},
                       {"next", alternatives_to_json(capture.next)}};
}

QJsonObject attention_to_json(const AttentionView& view) {
    // selectedRows is [heads][position + 1]; the page wants one array per head.
    QJsonArray rows;
    const qsizetype row_length = view.position + 1;
    if (row_length > 0 && view.selectedRows.size() % row_length == 0) {
        for (qsizetype start = 0; start < view.selectedRows.size(); start += row_length) {
            QJsonArray row;
            for (qsizetype k = 0; k < row_length; ++k)
                row.append(double(view.selectedRows[start + k]));
            rows.append(row);
        }
    }
    return QJsonObject{{"position", double(view.position)},
                       {"layer", view.layer},
                       {"head", view.head},
                       {"heads", view.heads},
                       {"size", view.size},
                       {"stride", view.stride},
                       {"matrices", floats_to_base64(view.matrices)},
                       {"selectedRows", rows}};
}

QJsonObject logit_lens_to_json(const LogitLensView& view) {
    QJsonArray layers;
    for (const QVector<TokenAlternative>& layer : view.layers)
        layers.append(alternatives_to_json(layer));
    return QJsonObject{{"position", double(view.position)}, {"layers", layers}};
}

QJsonObject theme_to_json(const QPalette& palette, const QFont& font) {
    auto color = [&](QPalette::ColorRole role) { return palette.color(QPalette::Active, role).name(); };
    QJsonObject colors{{"window", color(QPalette::Window)},
                       {"text", color(QPalette::WindowText)},
                       {"base", color(QPalette::Base)},
                       {"alternateBase", color(QPalette::AlternateBase)},
                       {"button", color(QPalette::Button)},
                       {"mid", color(QPalette::Mid)},
                       {"highlight", color(QPalette::Highlight)},
                       {"highlightedText", color(QPalette::HighlightedText)},
                       {"placeholder", color(QPalette::PlaceholderText)},
                       {"link", color(QPalette::Link)}};
    // A dark theme is one whose window is darker than its text (what Qt's own styles go by).
    const bool dark =
        palette.color(QPalette::Window).lightness() < palette.color(QPalette::WindowText).lightness();
    // Point sizes become CSS pixels at 96 dpi, the page's own reference.
    const double pixels = font.pointSizeF() > 0 ? font.pointSizeF() * 96.0 / 72.0 : double(font.pixelSize());
    return QJsonObject{{"dark", dark},
                       {"colors", colors},
                       {"font", QJsonObject{{"family", font.family()}, {"pixelSize", pixels}}}};
}

}  // namespace loom::ui
