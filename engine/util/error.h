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

// An Error of the device a backend computes on, not of the input: a GPU lost or reset by its driver, out of
// memory, or lacking an operation the model needs. The same work can be done again on another backend:
// a Session given SessionOptions::on_device_failure moves to it and goes on.
class DeviceFailure : public Error {
  public:
    using Error::Error;
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

template <class... Parts>
[[noreturn]] void fail_device(Parts&&... parts) {
    throw DeviceFailure(cat(std::forward<Parts>(parts)...));
}

}  // namespace loom
