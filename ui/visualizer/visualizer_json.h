// The visualizer's values as JSON for its web page (resources/web/js/visualizer.js reads these shapes).
// Large float arrays (attention matrices) travel as base64 of little-endian float32, which the page reads
// into a Float32Array: a 256 x 256 matrix is then 350 kB of text instead of about a megabyte of JSON
// numbers, and NaN (a cell whose attention was not kept) survives the trip.
#pragma once

#include <QFont>
#include <QJsonObject>
#include <QPalette>
#include <QString>
#include <QVector>

#include "visualizer/visualizer_types.h"

namespace loom::ui {

QJsonObject model_to_json(const VisualizerModelInfo& model);
// {position, tokenId, text, norms: [layers + 1], next: [{id, text, p}]}
QJsonObject position_to_json(const PositionCapture& capture);
// {position, layer, head, heads, size, stride, matrices: base64, selectedRows: [[...] per head]}
QJsonObject attention_to_json(const AttentionView& view);
// {position, layers: [[{id, text, p}] per layer]}
QJsonObject logit_lens_to_json(const LogitLensView& view);
// The colours and font the page takes from the app: {dark, colors: {window, text, base, ...}, font: {...}}.
QJsonObject theme_to_json(const QPalette& palette, const QFont& font);

QString floats_to_base64(const QVector<float>& values);

}  // namespace loom::ui
