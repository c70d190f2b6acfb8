#include "backend/backend.h"

#include "util/error.h"
#include "util/system_memory.h"

namespace loom {

std::string ModelFootprint::text() const {
    std::string text = cat("the model's weights need ", size_text(weight_bytes));
    if (session_bytes > 0)
        text += cat(" and a conversation of ", session_tokens, " tokens ", size_text(session_bytes), " more");
    return text;
}

}  // namespace loom
