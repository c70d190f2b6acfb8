#include "model/capture.h"

#include <array>

#include "util/error.h"

namespace loom {

std::string_view tap_name(Tap tap) {
    static constexpr std::array<std::string_view, static_cast<size_t>(Tap::Count)> kNames = {
        "residual", "attn_norm", "q",      "k",       "v",       "attn_probs", "attn_out", "attn_proj",
        "ffn_norm", "ffn_gate",  "ffn_up", "ffn_act", "ffn_out", "final_norm", "logits"};
    return kNames[static_cast<size_t>(tap)];
}

std::vector<bool> LayerSelection::resolve(int count, std::string_view what) const {
    std::vector<bool> selected(static_cast<size_t>(count), all);
    for (int index : layers) {
        int resolved = index < 0 ? count + index : index;
        if (resolved < 0 || resolved >= count)
            fail(what, " layer ", index, " does not exist: this model has ", count, " (0 to ", count - 1,
                 ", or -1 to -", count, " from the end)");
        selected[static_cast<size_t>(resolved)] = true;
    }
    return selected;
}

}  // namespace loom
