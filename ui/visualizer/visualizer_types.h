// What the visualizer shows, as plain values that cross from the engine thread to the GUI thread in queued
// signals. The engine worker produces them (from loom::CaptureRecorder and loom::logit_lens); the
// visualizer panel only displays them.
#pragma once

#include <QMetaType>
#include <QString>
#include <QVector>

namespace loom::ui {

struct VisualizerModelInfo {
    QString name;
    int layers = 0;
    int heads = 0;
    qint64 hiddenSize = 0;
};

struct TokenAlternative {
    int id = 0;
    QString text;
    float probability = 0.0f;
};

// One position of the conversation (a prompt token or a generated one), captured during a forward pass.
struct PositionCapture {
    qint64 position = 0;
    int tokenId = 0;
    QString text;                    // the token's text as the chat shows it
    QVector<float> hiddenNorms;      // [layers + 1]: ||h|| after the embedding (0) and after each layer
    QVector<TokenAlternative> next;  // the model's most likely next tokens after this one (top 10)
};

// Attention around a selected token, for one layer.
struct AttentionView {
    qint64 position = 0;  // the selected token (a query)
    int layer = 0;
    int head = -1;   // the head of `matrices` when one was asked for; -1: all heads of the layer
    int heads = 0;   // matrices included: 1 or the layer's head count
    int size = 0;    // cells per side of each matrix
    int stride = 1;  // tokens per cell: long conversations are averaged down to at most 256 x 256 cells
    QVector<float> matrices;  // [heads][size][size]; row = query, column = key (zero above the diagonal)
    QVector<float>
        selectedRows;  // [layer's heads][position + 1]: the selected token's exact attention per head
};

// The logit lens of one position: what each hidden state predicts through the final norm and output matrix.
struct LogitLensView {
    qint64 position = 0;
    QVector<QVector<TokenAlternative>> layers;  // [layers + 1] (0 = the embedding), top 5 each
};

}  // namespace loom::ui

Q_DECLARE_METATYPE(loom::ui::VisualizerModelInfo)
Q_DECLARE_METATYPE(loom::ui::PositionCapture)
Q_DECLARE_METATYPE(loom::ui::AttentionView)
Q_DECLARE_METATYPE(loom::ui::LogitLensView)
