// A tensor handle: a typed matrix in memory that belongs to one backend (CPU RAM, a Vulkan buffer...).
//
// Every tensor in the engine is a matrix [rows, cols] stored row-major with contiguous rows; a vector is one
// row. Multi-head shapes are expressed by the ops that use them (a [n, heads * head_dim] matrix is n tokens
// of `heads` heads). Handles are cheap to copy: they share the storage.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "tensor/dtype.h"

namespace loom {

// Memory owned by a backend. Each backend derives its own kind and refuses storage made by another.
class TensorStorage {
  public:
    explicit TensorStorage(const void* owner) : owner_(owner) {}
    virtual ~TensorStorage() = default;
    TensorStorage(const TensorStorage&) = delete;
    TensorStorage& operator=(const TensorStorage&) = delete;

    const void* owner() const { return owner_; }

  private:
    const void* owner_;
};

struct Tensor {
    DType dtype = DType::F32;
    int64_t rows = 0;
    int64_t cols = 0;
    std::shared_ptr<TensorStorage> storage;
    size_t offset = 0;  // bytes from the start of `storage` to row 0

    bool empty() const { return storage == nullptr; }
    size_t row_bytes() const { return loom::row_bytes(dtype, cols); }
    size_t bytes() const { return static_cast<size_t>(rows) * row_bytes(); }
    int64_t elements() const { return rows * cols; }

    // Rows [first, first + count) of this tensor, sharing its storage.
    Tensor rows_slice(int64_t first, int64_t count) const {
        assert(first >= 0 && count >= 0 && first + count <= rows);
        Tensor view = *this;
        view.rows = count;
        view.offset = offset + static_cast<size_t>(first) * row_bytes();
        return view;
    }
    Tensor row(int64_t index) const { return rows_slice(index, 1); }
};

}  // namespace loom
