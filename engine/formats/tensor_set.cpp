#include "formats/tensor_set.h"

#include "util/error.h"

namespace loom {

std::string shape_text(const std::vector<int64_t>& shape) {
    std::string text = "[";
    for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
    return text + "]";
}

void TensorSet::add(StoredTensor tensor) {
    auto [it, inserted] = index_.emplace(tensor.name, tensors_.size());
    if (!inserted) fail("tensor '", tensor.name, "' appears twice in the model files");
    tensors_.push_back(std::move(tensor));
}

const StoredTensor* TensorSet::find(std::string_view name) const {
    auto it = index_.find(std::string(name));
    return it == index_.end() ? nullptr : &tensors_[it->second];
}

const std::string* TensorSet::skipped_type(std::string_view name) const {
    auto it = skipped_.find(std::string(name));
    return it == skipped_.end() ? nullptr : &it->second;
}

uint64_t TensorSet::total_bytes() const {
    uint64_t total = 0;
    for (const auto& t : tensors_)
        total += t.data.size();
    return total;
}

}  // namespace loom
