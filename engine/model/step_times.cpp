#include "model/step_times.h"

namespace loom {

void StepTimes::start() {
    ++passes_;
    last_ = Clock::now();
}

void StepTimes::mark(Tap tap) {
    end_step(static_cast<size_t>(tap));
}

void StepTimes::mark_capture() {
    end_step(kCapture);
}

void StepTimes::end_step(size_t slot) {
    const Clock::time_point now = Clock::now();
    seconds_[slot] += std::chrono::duration<double>(now - last_).count();
    ++counts_[slot];
    last_ = now;
}

double StepTimes::total_seconds() const {
    double total = 0;
    for (double s : seconds_)
        total += s;
    return total;
}

std::string_view step_name(Tap tap) {
    // The forward pass's order (forward_pass.cpp): the queries, keys and values are all projected and
    // rotated before the first of them is handed to the hook, so K and V follow Q at once and share its
    // step; likewise FfnUp and FfnGate. Residual follows the norm that comes with each residual add, except
    // after the embedding and the last layer.
    switch (tap) {
        case Tap::Residual:
            return "embedding; residual add after the last layer";
        case Tap::AttnNorm:
            return "residual add and attention norm";
        case Tap::Q:
        case Tap::K:
        case Tap::V:
            return "q/k/v projections and RoPE";
        case Tap::AttnProbs:
        case Tap::AttnOut:
            return "attention";
        case Tap::AttnProj:
            return "attention output projection";
        case Tap::FfnNorm:
            return "residual add and feed-forward norm";
        case Tap::FfnGate:
        case Tap::FfnUp:
            return "gate/up projections";
        case Tap::FfnAct:
            return "SiLU(gate) * up";
        case Tap::FfnOut:
            return "down projection";
        case Tap::FinalNorm:
            return "final norm";
        case Tap::Logits:
            return "output head";
        case Tap::Count:
            break;
    }
    return "?";
}

}  // namespace loom
