#include "visualizer/capture_views.h"

#include <cmath>
#include <limits>
#include <vector>

#include "api/logit_lens.h"
#include "util/error.h"

namespace loom::ui {

namespace {

constexpr int kNextTokens = 10;  // alternatives kept per position

void check_position(const loom::CaptureRecorder& recorder, qint64 position) {
    if (position < 0 || position >= recorder.positions())
        loom::fail("visualizer: position ", position, " was not captured (the recorder holds ",
                   recorder.positions(), " positions)");
}

TokenAlternative alternative(const loom::Tokenizer& tokenizer, const loom::TokenProbability& token) {
    return TokenAlternative{token.id, display_token_text(tokenizer, token.id), std::exp(token.logprob)};
}

// One side of a (possibly downsampled) attention matrix: cell i covers tokens [begin(i), end(i)).
struct Blocks {
    qint64 tokens = 0;
    qint64 stride = 1;
    int cells = 0;

    explicit Blocks(qint64 token_count) : tokens(token_count) {
        stride = (tokens + kMaxAttentionCells - 1) / kMaxAttentionCells;
        if (stride < 1) stride = 1;
        cells = static_cast<int>((tokens + stride - 1) / stride);
    }
    qint64 begin(int cell) const { return cell * stride; }
    qint64 end(int cell) const { return std::min(tokens, (cell + 1) * stride); }
};

// Block means of one head's attention over positions 0 .. blocks.tokens - 1, [cells][cells] row-major.
void average_head(const loom::CaptureRecorder& recorder, const Blocks& blocks, int layer, int head,
                  float* out) {
    const int cells = blocks.cells;
    std::vector<double> sums(static_cast<size_t>(cells));
    for (int i = 0; i < cells; ++i) {
        std::fill(sums.begin(), sums.end(), 0.0);
        qint64 kept_rows = 0;
        for (qint64 query = blocks.begin(i); query < blocks.end(i); ++query) {
            if (!recorder.has_attention(query)) continue;
            const std::vector<float> row = recorder.attention_row(query, layer, head);  // [query + 1]
            for (qint64 key = 0; key <= query; ++key)
                sums[static_cast<size_t>(key / blocks.stride)] += row[size_t(key)];
            ++kept_rows;
        }
        float* out_row = out + static_cast<size_t>(i) * cells;
        for (int j = 0; j < cells; ++j) {
            if (j > i) {
                out_row[j] = 0.0f;  // keys after every query of the block: masked
            } else if (kept_rows == 0) {
                out_row[j] = std::numeric_limits<float>::quiet_NaN();
            } else {
                const qint64 pairs = kept_rows * (blocks.end(j) - blocks.begin(j));
                out_row[j] = static_cast<float>(sums[size_t(j)] / double(pairs));
            }
        }
    }
}

// Spaces, tabs and line breaks as visible symbols; other control characters as their Unicode pictures.
QString make_whitespace_visible(const QString& text) {
    QString shown;
    shown.reserve(text.size());
    for (QChar c : text) {
        if (c == u' ')
            shown += QChar(0x2423);  // ␣
        else if (c == u'\n')
            shown += QChar(0x21B5);  // ↵
        else if (c == u'\t')
            shown += QChar(0x21E5);  // ⇥
        else if (c.unicode() < 0x20)
            shown += QChar(0x2400 + c.unicode());  // ␍, ␀, ...
        else
            shown += c;
    }
    return shown;
}

}  // namespace

QString display_token_text(const loom::Tokenizer& tokenizer, int token_id) {
    if (token_id < 0 || token_id >= tokenizer.vocab_size())
        loom::fail("visualizer: token id ", token_id, " is outside the vocabulary (", tokenizer.vocab_size(),
                   " tokens)");
    const QString piece = QString::fromStdString(tokenizer.piece(token_id));
    if (tokenizer.is_special(token_id)) return piece;

    const int32_t ids[] = {token_id};
    QString text = QString::fromStdString(tokenizer.decode(ids, false));
    // A byte token that is only part of a UTF-8 character decodes to U+FFFD: its piece says more.
    if (text.contains(QChar(0xFFFD))) return piece;
    // SentencePiece drops the leading space of the first token it decodes ("▁" alone decodes to nothing);
    // in a conversation the space is there.
    const QString sentencepiece_space(QChar(0x2581));  // ▁
    if (piece.startsWith(sentencepiece_space) && !text.startsWith(u' ')) text.prepend(u' ');
    if (text.isEmpty()) return piece;
    return make_whitespace_visible(text);
}

QVector<PositionCapture> make_position_captures(const loom::CaptureRecorder& recorder,
                                                const loom::Tokenizer& tokenizer, qint64 first, qint64 count,
                                                const QVector<int>& token_ids) {
    if (first < 0 || count < 0 || first + count > recorder.positions())
        loom::fail("visualizer: positions ", first, " to ", first + count - 1, " were not all captured (the ",
                   "recorder holds ", recorder.positions(), " positions)");
    // Either the ids of the whole conversation, or just those of the positions asked for.
    qint64 id_offset = 0;
    if (token_ids.size() == count)
        id_offset = first;
    else if (token_ids.size() < first + count)
        loom::fail("visualizer: ", token_ids.size(), " token ids for positions ", first, " to ",
                   first + count - 1, "; pass the conversation's ids or exactly one per position");

    QVector<PositionCapture> captures;
    captures.reserve(count);
    for (qint64 position = first; position < first + count; ++position) {
        PositionCapture capture;
        capture.position = position;
        capture.tokenId = token_ids[position - id_offset];
        capture.text = display_token_text(tokenizer, capture.tokenId);
        for (float norm : recorder.hidden_norms(position))
            capture.hiddenNorms.append(norm);
        const std::vector<loom::TokenProbability>& next = recorder.next_tokens(position);
        for (size_t k = 0; k < next.size() && k < size_t(kNextTokens); ++k)
            capture.next.append(alternative(tokenizer, next[k]));
        captures.append(std::move(capture));
    }
    return captures;
}

AttentionView make_attention_view(const loom::CaptureRecorder& recorder, qint64 position, int layer,
                                  int head) {
    check_position(recorder, position);
    if (layer < 0 || layer >= recorder.layers())
        loom::fail("visualizer: no layer ", layer, " (the model has ", recorder.layers(), ")");
    if (head < -1 || head >= recorder.heads())
        loom::fail("visualizer: no head ", head, " (the model has ", recorder.heads(), "; -1 means all)");

    AttentionView view;
    view.position = position;
    view.layer = layer;
    view.head = head;
    if (!recorder.has_attention(position)) return view;  // dropped by the memory budget: heads == 0

    const Blocks blocks(position + 1);
    view.heads = head == -1 ? recorder.heads() : 1;
    view.size = blocks.cells;
    view.stride = static_cast<int>(blocks.stride);
    const size_t cells = static_cast<size_t>(blocks.cells) * blocks.cells;
    view.matrices.resize(static_cast<qsizetype>(cells * view.heads));
    for (int m = 0; m < view.heads; ++m)
        average_head(recorder, blocks, layer, head == -1 ? m : head, view.matrices.data() + m * cells);

    view.selectedRows.reserve(qsizetype(recorder.heads()) * (position + 1));
    for (int h = 0; h < recorder.heads(); ++h)
        for (float weight : recorder.attention_row(position, layer, h))
            view.selectedRows.append(weight);
    return view;
}

LogitLensView make_logit_lens_view(const loom::Model& model, const loom::CaptureRecorder& recorder,
                                   const loom::Tokenizer& tokenizer, qint64 position) {
    check_position(recorder, position);
    const std::vector<float> states = recorder.hidden_states(position);  // [layers + 1, hidden]
    LogitLensView view;
    view.position = position;
    for (const std::vector<loom::TokenProbability>& layer : loom::logit_lens(model, states, kLogitLensTop)) {
        QVector<TokenAlternative> top;
        for (const loom::TokenProbability& token : layer)
            top.append(alternative(tokenizer, token));
        view.layers.append(top);
    }
    return view;
}

}  // namespace loom::ui
