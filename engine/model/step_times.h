// Where a forward pass spends its time, step by step. The steps are told apart by the capture hook's
// intermediates (capture.h): the time from one intermediate being ready to the next is the step that made
// the second, so Tap::AttnOut times attention, Tap::FfnGate the gate and up projections, Tap::AttnNorm the
// residual add and norm before a layer's attention, and so on. Off (no StepTimes given), it costs one test
// per intermediate.
//
// On the CPU backend each operation returns when it is done, and these are the steps' run times. A GPU
// backend returns when an operation is queued: its times say little.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string_view>

#include "model/capture.h"

namespace loom {

class StepTimes {
  public:
    using Clock = std::chrono::steady_clock;

    void start();         // a forward pass begins
    void mark(Tap tap);   // `tap`'s tensor is ready: the time since the last mark is its step's
    void mark_capture();  // the time since the last mark went into copying captured tensors out
    double seconds(Tap tap) const { return seconds_[static_cast<size_t>(tap)]; }
    int64_t count(Tap tap) const { return counts_[static_cast<size_t>(tap)]; }  // times the step ended
    double capture_seconds() const { return seconds_[kCapture]; }
    int64_t captures() const { return counts_[kCapture]; }
    double total_seconds() const;  // of every step and the captures
    int64_t passes() const { return passes_; }

  private:
    void end_step(size_t slot);  // the time since the last mark goes to `slot` (a Tap's, or kCapture)

    static constexpr size_t kCapture = static_cast<size_t>(Tap::Count);
    std::array<double, kCapture + 1> seconds_{};
    std::array<int64_t, kCapture + 1> counts_{};
    Clock::time_point last_{};
    int64_t passes_ = 0;
};

// What the step ending at `tap` does ("q/k/v projections and RoPE" for Tap::Q, K and V, ...): taps that end
// parts of one step have the same name.
std::string_view step_name(Tap tap);

}  // namespace loom
