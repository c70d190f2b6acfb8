// Synthetic visualizer values for the panel's tests: a short story's tokens with plausible norms,
// next-token alternatives, attention patterns (previous token, first token, local, broad) and a logit lens
// that settles on the next token in the upper layers. Deterministic.
#pragma once

#include <QString>
#include <QStringList>
#include <QVector>

#include "visualizer/visualizer_types.h"

namespace loom::test {

struct SyntheticModel {
    int layers = 6;
    int heads = 8;
    qint64 hidden_size = 64;
};

ui::VisualizerModelInfo synthetic_model_info(const SyntheticModel& model);
// Positions first .. first + count - 1 of the synthetic story (repeats when longer than the story).
QVector<ui::PositionCapture> synthetic_positions(const SyntheticModel& model, qint64 first, qint64 count);
// Attention of `layer` around `position`, one head or all (-1), block-averaged like the engine's.
ui::AttentionView synthetic_attention(const SyntheticModel& model, qint64 position, int layer, int head);
ui::LogitLensView synthetic_logit_lens(const SyntheticModel& model, qint64 position);

}  // namespace loom::test
