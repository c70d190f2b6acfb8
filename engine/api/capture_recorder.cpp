#include "api/capture_recorder.h"

#include <cmath>

#include "util/error.h"
#include "util/half.h"

namespace loom {

CaptureRecorder::CaptureRecorder(const ModelConfig& config, const CaptureRecorderOptions& options)
    : layers_(config.layers), heads_(config.heads), hidden_(config.hidden_size), options_(options) {}

CapturePlan CaptureRecorder::plan() const {
    CapturePlan plan;
    plan.hidden_states = LayerSelection::every();
    plan.attention = LayerSelection::every();
    plan.logits = true;
    return plan;
}

CaptureSink CaptureRecorder::sink() {
    return [this](const Captured& captured) { receive(captured); };
}

CaptureRecorder::Position& CaptureRecorder::at(int64_t position) {
    if (position < 0) fail("capture: negative position");
    if (position >= positions()) positions_.resize(static_cast<size_t>(position) + 1);
    return positions_[static_cast<size_t>(position)];
}

const CaptureRecorder::Position& CaptureRecorder::get(int64_t position) const {
    if (position < 0 || position >= positions()) fail("nothing was captured at position ", position);
    return positions_[static_cast<size_t>(position)];
}

void CaptureRecorder::receive(const Captured& c) {
    switch (c.tap) {
        case Tap::Residual:
            for (int64_t t = 0; t < c.tokens; ++t) {
                Position& p = at(c.pos0 + t);
                if (p.hidden.empty()) {
                    p.hidden.assign(static_cast<size_t>((layers_ + 1) * hidden_), 0);
                    p.norms.assign(static_cast<size_t>(layers_ + 1), 0.0f);
                    bytes_ += p.hidden.size() * 2 + p.norms.size() * 4;
                }
                const float* row = c.values.data() + t * c.cols;
                double sum = 0;
                for (int64_t i = 0; i < c.cols; ++i) {
                    p.hidden[static_cast<size_t>(c.layer * hidden_ + i)] = float_to_fp16(row[i]);
                    sum += double(row[i]) * row[i];
                }
                p.norms[static_cast<size_t>(c.layer)] = static_cast<float>(std::sqrt(sum));
            }
            break;
        case Tap::AttnProbs:
            // rows are head-major: row h * tokens + t is head h of token pos0 + t, over cols = pos0 + tokens.
            for (int64_t t = 0; t < c.tokens; ++t) {
                int64_t position = c.pos0 + t;
                // Dropped for the budget while an earlier layer of this same batch arrived: keep it dropped.
                if (position < oldest_attention_) continue;
                Position& p = at(position);
                size_t row_length = static_cast<size_t>(position + 1);
                if (p.attention.empty()) {
                    p.attention.assign(static_cast<size_t>(layers_ * heads_) * row_length, 0);
                    bytes_ += p.attention.size() * 2;
                }
                for (int h = 0; h < heads_; ++h) {
                    const float* row = c.values.data() + (h * c.tokens + t) * c.cols;
                    uint16_t* out =
                        p.attention.data() + (static_cast<size_t>(c.layer) * heads_ + h) * row_length;
                    for (size_t j = 0; j < row_length; ++j)
                        out[j] = float_to_fp16(row[j]);
                }
            }
            enforce_budget();
            break;
        case Tap::Logits:
            for (int64_t t = 0; t < c.tokens; ++t)
                at(c.pos0 + t).next = top_logprobs(
                    c.values.subspan(static_cast<size_t>(t * c.cols), static_cast<size_t>(c.cols)),
                    options_.top_next_tokens);
            break;
        default:
            break;
    }
}

void CaptureRecorder::enforce_budget() {
    while (bytes_ > options_.memory_budget && oldest_attention_ < positions()) {
        Position& p = positions_[static_cast<size_t>(oldest_attention_++)];
        bytes_ -= p.attention.size() * 2;
        p.attention.clear();
        p.attention.shrink_to_fit();
    }
}

void CaptureRecorder::truncate(int64_t count) {
    if (count < 0) count = 0;
    while (positions() > count) {
        const Position& p = positions_.back();
        bytes_ -= p.hidden.size() * 2 + p.norms.size() * 4 + p.attention.size() * 2;
        positions_.pop_back();
    }
    if (oldest_attention_ > count) oldest_attention_ = count;
}

std::vector<float> CaptureRecorder::hidden_norms(int64_t position) const {
    return get(position).norms;
}

std::vector<float> CaptureRecorder::hidden_state(int64_t position, int layer) const {
    const Position& p = get(position);
    if (layer < 0 || layer > layers_ || p.hidden.empty())
        fail("no hidden state of layer ", layer, " at position ", position);
    std::vector<float> out(static_cast<size_t>(hidden_));
    for (int64_t i = 0; i < hidden_; ++i)
        out[size_t(i)] = fp16_to_float(p.hidden[static_cast<size_t>(layer * hidden_ + i)]);
    return out;
}

std::vector<float> CaptureRecorder::hidden_states(int64_t position) const {
    const Position& p = get(position);
    if (p.hidden.empty()) fail("no hidden states were captured at position ", position);
    std::vector<float> out(p.hidden.size());
    for (size_t i = 0; i < out.size(); ++i)
        out[i] = fp16_to_float(p.hidden[i]);
    return out;
}

bool CaptureRecorder::has_attention(int64_t position) const {
    return position >= 0 && position < positions() &&
           !positions_[static_cast<size_t>(position)].attention.empty();
}

std::vector<float> CaptureRecorder::attention_row(int64_t position, int layer, int head) const {
    const Position& p = get(position);
    if (p.attention.empty()) fail("the attention of position ", position, " was not kept (memory budget)");
    if (layer < 0 || layer >= layers_ || head < 0 || head >= heads_) fail("no layer ", layer, " head ", head);
    size_t row_length = static_cast<size_t>(position + 1);
    const uint16_t* row = p.attention.data() + (static_cast<size_t>(layer) * heads_ + head) * row_length;
    std::vector<float> out(row_length);
    for (size_t j = 0; j < row_length; ++j)
        out[j] = fp16_to_float(row[j]);
    return out;
}

const std::vector<TokenProbability>& CaptureRecorder::next_tokens(int64_t position) const {
    return get(position).next;
}

}  // namespace loom
