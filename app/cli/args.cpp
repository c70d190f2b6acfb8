#include "args.h"

#include <charconv>
#include <cstdlib>

#include "util/error.h"

namespace loom::cli {

std::optional<std::string> Args::value(std::string_view name, std::string_view alias) {
    for (size_t i = 0; i < args_.size(); ++i) {
        const std::string& arg = args_[i];
        bool matches = arg == name || (!alias.empty() && arg == alias);
        if (matches) {
            if (i + 1 >= args_.size()) fail(name, " needs a value");
            std::string result = args_[i + 1];
            args_.erase(args_.begin() + static_cast<std::ptrdiff_t>(i),
                        args_.begin() + static_cast<std::ptrdiff_t>(i + 2));
            return result;
        }
        if (arg.size() > name.size() && arg.compare(0, name.size(), name) == 0 && arg[name.size()] == '=') {
            std::string result = arg.substr(name.size() + 1);
            args_.erase(args_.begin() + static_cast<std::ptrdiff_t>(i));
            return result;
        }
    }
    return std::nullopt;
}

bool Args::flag(std::string_view name) {
    for (size_t i = 0; i < args_.size(); ++i)
        if (args_[i] == name) {
            args_.erase(args_.begin() + static_cast<std::ptrdiff_t>(i));
            return true;
        }
    return false;
}

int64_t Args::integer(std::string_view name, int64_t fallback, int64_t min, int64_t max,
                      std::string_view alias) {
    std::optional<std::string> text = value(name, alias);
    if (!text) return fallback;
    int64_t result = 0;
    auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), result);
    if (error != std::errc() || end != text->data() + text->size())
        fail(name, " needs a whole number, not '", *text, "'");
    if (result < min || result > max)
        fail(name, " must be between ", min, " and ", max, " (got ", result, ")");
    return result;
}

double Args::number(std::string_view name, double fallback, double min, double max) {
    std::optional<std::string> text = value(name);
    if (!text) return fallback;
    char* end = nullptr;
    double result = std::strtod(text->c_str(), &end);
    if (text->empty() || end != text->c_str() + text->size())
        fail(name, " needs a number, not '", *text, "'");
    if (!(result >= min && result <= max))
        fail(name, " must be between ", min, " and ", max, " (got ", *text, ")");
    return result;
}

void Args::finish() const {
    if (!args_.empty()) fail("unknown argument '", args_.front(), "' (see loom-cli --help)");
}

}  // namespace loom::cli
