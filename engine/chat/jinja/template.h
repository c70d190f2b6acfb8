// A parsed Jinja template, ready to render many times: the entry point of the template engine.
//
//   jinja::Template tmpl("{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}");
//   std::string text = tmpl.render(variables);
//
// The engine implements the part of Jinja2 that chat templates use (see builtins.h for the filters, tests and
// functions), with Jinja2's semantics as Hugging Face's transformers configures them.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "chat/jinja/lexer.h"
#include "chat/jinja/value.h"

namespace loom::jinja {

struct RenderOptions {
    // The local date and time that strftime_now() formats. Unset: the clock at render time.
    std::optional<std::chrono::local_seconds> now;
    // Rendering stops with an Error beyond this many bytes of output, so a runaway template cannot exhaust
    // memory, and beyond this many executed statements and loop passes, so nested loops cannot run for hours.
    // Real chat templates use a few per message.
    size_t max_output_bytes = size_t{64} << 20;
    uint64_t max_steps = 10'000'000;
};

class Template {
  public:
    // Throws TemplateError naming the line and column of a syntax error and what was expected there.
    explicit Template(std::string_view source, const SyntaxOptions& syntax = {});
    Template(Template&&) noexcept;
    Template& operator=(Template&&) noexcept;
    ~Template();

    // Renders with `variables` as the template's global names; any other name is undefined. Throws
    // TemplateRaised when the template calls raise_exception(), TemplateError for other runtime errors.
    std::string render(const Dict& variables, const RenderOptions& options = {}) const;

  private:
    struct Program;
    std::unique_ptr<const Program> program_;
};

}  // namespace loom::jinja
