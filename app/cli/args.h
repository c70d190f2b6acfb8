// A small command-line parser: each command takes the options it knows, then finish() rejects the rest.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace loom::cli {

class Args {
  public:
    // The arguments after the command name.
    explicit Args(std::vector<std::string> args) : args_(std::move(args)) {}

    // "--name value" or "--name=value"; also accepts the short alias (e.g. "-p").
    std::optional<std::string> value(std::string_view name, std::string_view alias = {});
    bool flag(std::string_view name);
    int64_t integer(std::string_view name, int64_t fallback, int64_t min, int64_t max,
                    std::string_view alias = {});
    double number(std::string_view name, double fallback, double min, double max);
    // Throws Error naming the first argument nobody took.
    void finish() const;

  private:
    std::vector<std::string> args_;
};

}  // namespace loom::cli
