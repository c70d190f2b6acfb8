// Where the engine's captures become the visualizer's values (visualizer_types.h). The engine worker calls
// these on its own thread, right after the forward pass that captured the data (the logit lens runs on the
// model's backend), and sends the results to the panel in queued signals.
//
// The engine is Qt-free; this file is where its types meet Qt's. Every function throws loom::Error for a
// position, layer or head that was not captured or does not exist.
#pragma once

#include <QString>
#include <QVector>

#include "api/capture_recorder.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"
#include "visualizer/visualizer_types.h"

namespace loom::ui {

// The most cells per side of an attention matrix; longer conversations are averaged down in blocks.
inline constexpr int kMaxAttentionCells = 256;
// Tokens per row of the logit lens.
inline constexpr int kLogitLensTop = 5;

// The positions first .. first + count - 1 as the panel shows them. `token_ids` are the conversation's
// token ids by position (at least first + count of them), or exactly the `count` ids of those positions.
QVector<PositionCapture> make_position_captures(const loom::CaptureRecorder& recorder,
                                                const loom::Tokenizer& tokenizer, qint64 first, qint64 count,
                                                const QVector<int>& token_ids);

// The attention of `layer` over the conversation up to `position` (positions 0 .. position), for one head or
// for all heads (head -1). Matrices have one cell per token up to 256 tokens; beyond that each cell is the
// mean over a block of stride x stride (query, key) pairs, so that no side has more than 256 cells (the last
// block of a side may be shorter and is averaged over the pairs it has). Cells of queries whose attention was
// dropped by the recorder's memory budget are NaN. selectedRows holds the exact attention of `position` for
// every head of the layer. If the attention of `position` itself was dropped, the view has no matrices
// (heads == 0).
AttentionView make_attention_view(const loom::CaptureRecorder& recorder, qint64 position, int layer,
                                  int head);

// The logit lens of `position`: the top 5 tokens that each of its layers + 1 hidden states predicts through
// the model's final norm and output matrix (loom::logit_lens). Runs on the model's backend.
LogitLensView make_logit_lens_view(const loom::Model& model, const loom::CaptureRecorder& recorder,
                                   const loom::Tokenizer& tokenizer, qint64 position);

// A token as the visualizer shows it: decoded on its own, with its leading space kept (SentencePiece drops it
// for a lone token), spaces, tabs and line breaks drawn as visible symbols (␣ ⇥ ↵), special tokens and
// partial UTF-8 bytes shown as their vocabulary pieces ("<s>", "<0xE2>").
QString display_token_text(const loom::Tokenizer& tokenizer, int token_id);

}  // namespace loom::ui
