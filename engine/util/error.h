// Errors the engine reports to its callers. Every message says what went wrong and, where it can, what to do.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace loom {

// The one exception type the engine throws for bad input (files, parameters, JSON). Programming errors are
// assertions, not Errors.
class Error : public std::runtime_error {
  public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Concatenates anything that streams into a std::string: cat("layer ", i, " has ", n, " rows").
template <class... Parts>
std::string cat(Parts&&... parts) {
    std::ostringstream out;
    (out << ... << std::forward<Parts>(parts));
    return out.str();
}

template <class... Parts>
[[noreturn]] void fail(Parts&&... parts) {
    throw Error(cat(std::forward<Parts>(parts)...));
}

}  // namespace loom
