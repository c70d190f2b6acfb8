#include "visualizer_test_data.h"

#include <algorithm>
#include <cmath>

namespace loom::test {

using ui::AttentionView;
using ui::LogitLensView;
using ui::PositionCapture;
using ui::TokenAlternative;

namespace {

// Token texts as display_token_text() writes them (␣ for a space, ↵ for a line break).
const QStringList& story() {
    static const QStringList tokens = {
        "<s>",   "Once",   "␣upon", "␣a",    "␣time", ",",      "␣there",  "␣was",  "␣a",       "␣little",
        "␣girl", "␣named", "␣Lily", ".",     "␣She",  "␣loved", "␣to",     "␣play", "␣outside", "␣in",
        "␣the",  "␣park",  ".",     "↵",     "One",   "␣day",   ",",       "␣she",  "␣saw",     "␣a",
        "␣big",  ",",      "␣red",  "␣ball", ".",     "␣She",   "␣wanted", "␣to",   "␣play",    "␣with",
        "␣it",   ",",      "␣but",  "␣it",   "␣was",  "␣too",   "␣high",   "."};
    return tokens;
}

QString token_at(qint64 position) {
    return story()[int(position % story().size())];
}
int id_of(const QString& text) {
    return int(qHash(text) % 500) + 3;
}

// A small deterministic "random" number in [0, 1).
double noise(qint64 a, qint64 b) {
    const double x = std::sin(double(a) * 12.9898 + double(b) * 78.233) * 43758.5453;
    return x - std::floor(x);
}

// The attention of query q over keys 0..q for one head: each head has its own habit.
std::vector<double> attention_row(qint64 q, int layer, int head) {
    std::vector<double> row(size_t(q + 1));
    for (qint64 k = 0; k <= q; ++k) {
        double w = 0.02 + 0.05 * noise(q * 7 + k, layer * 31 + head);
        switch ((head + layer) % 4) {
            case 0:
                w += (k == q - 1 || (q == 0 && k == 0)) ? 6.0 : 0.0;
                break;  // previous token
            case 1:
                w += k == 0 ? 5.0 : 0.0;
                break;  // the first token
            case 2:
                w += 2.5 * std::exp(-double(q - k) / 2.0);
                break;  // the last few tokens
            default:
                w += 0.6;
                break;  // everything
        }
        row[size_t(k)] = w;
    }
    double sum = 0;
    for (double w : row)
        sum += w;
    for (double& w : row)
        w /= sum;
    return row;
}

}  // namespace

ui::VisualizerModelInfo synthetic_model_info(const SyntheticModel& model) {
    return {QStringLiteral("synthetic-story (test)"), model.layers, model.heads, model.hidden_size};
}

QVector<PositionCapture> synthetic_positions(const SyntheticModel& model, qint64 first, qint64 count) {
    QVector<PositionCapture> positions;
    for (qint64 p = first; p < first + count; ++p) {
        PositionCapture capture;
        capture.position = p;
        capture.text = token_at(p);
        capture.tokenId = id_of(capture.text);
        for (int l = 0; l <= model.layers; ++l) {
            double norm = 1.0 + 2.2 * l + 1.5 * noise(p, l);
            if (p == 0) norm *= 1.0 + 3.0 * l;  // the first token's hidden state grows much larger
            capture.hiddenNorms.append(float(norm));
        }
        // The likeliest next token is usually the story's own next token.
        const QStringList guesses = {token_at(p + 1), "␣the", ".",   "␣and", ",", "␣a",
                                     "␣was",          "␣she", "␣to", "↵"};
        double mass = 1.0;
        for (int i = 0; i < guesses.size(); ++i) {
            const double share = i == 0 ? 0.35 + 0.5 * noise(p, 99) : 0.45 * mass;
            const float probability = float(mass * share);
            mass -= probability;
            capture.next.append(TokenAlternative{id_of(guesses[i]) + i * 7, guesses[i], probability});
        }
        positions.append(capture);
    }
    return positions;
}

AttentionView synthetic_attention(const SyntheticModel& model, qint64 position, int layer, int head) {
    AttentionView view;
    view.position = position;
    view.layer = layer;
    view.head = head;
    view.heads = head == -1 ? model.heads : 1;
    const qint64 tokens = position + 1;
    view.stride = int((tokens + 255) / 256);
    view.size = int((tokens + view.stride - 1) / view.stride);
    const int size = view.size, stride = view.stride;
    view.matrices.fill(0.0f, qsizetype(view.heads) * size * size);
    for (int m = 0; m < view.heads; ++m) {
        const int h = head == -1 ? m : head;
        float* matrix = view.matrices.data() + qsizetype(m) * size * size;
        for (qint64 q = 0; q < tokens; ++q) {
            const std::vector<double> row = attention_row(q, layer, h);
            for (qint64 k = 0; k <= q; ++k)
                matrix[(q / stride) * size + k / stride] += float(row[size_t(k)]);
        }
        for (int i = 0; i < size; ++i)
            for (int j = 0; j < size; ++j) {
                const qint64 rows = std::min<qint64>(tokens, (i + 1) * qint64(stride)) - i * qint64(stride);
                const qint64 cols = std::min<qint64>(tokens, (j + 1) * qint64(stride)) - j * qint64(stride);
                matrix[i * size + j] /= float(rows * cols);
            }
    }
    for (int h = 0; h < model.heads; ++h)
        for (double w : attention_row(position, layer, h))
            view.selectedRows.append(float(w));
    return view;
}

LogitLensView synthetic_logit_lens(const SyntheticModel& model, qint64 position) {
    LogitLensView view;
    view.position = position;
    const QString next = token_at(position + 1), current = token_at(position);
    for (int l = 0; l <= model.layers; ++l) {
        // Early layers echo the current token; later ones settle on the next.
        const double depth = double(l) / model.layers;
        const QStringList top = depth < 0.4 ? QStringList{current, "␣the", next, ",", "␣a"}
                                            : QStringList{next, "␣the", current, ".", "␣and"};
        const double first = 0.08 + 0.8 * depth * depth;
        QVector<TokenAlternative> row;
        double left = 1.0 - first;
        for (int i = 0; i < top.size(); ++i) {
            const double p = i == 0 ? first : left * 0.35;
            if (i > 0) left -= p;
            row.append(TokenAlternative{id_of(top[i]), top[i], float(p)});
        }
        view.layers.append(row);
    }
    return view;
}

}  // namespace loom::test
