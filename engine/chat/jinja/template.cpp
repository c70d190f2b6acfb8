#include "chat/jinja/template.h"

#include "chat/jinja/interpreter.h"
#include "chat/jinja/parser.h"

namespace loom::jinja {

struct Template::Program {
    ast::Body body;
};

Template::Template(std::string_view source, const SyntaxOptions& syntax)
    : program_(std::make_unique<const Program>(Program{parse(tokenize(source, syntax))})) {}

Template::Template(Template&&) noexcept = default;
Template& Template::operator=(Template&&) noexcept = default;
Template::~Template() = default;

std::string Template::render(const Dict& variables, const RenderOptions& options) const {
    return run_template(program_->body, variables, options);
}

}  // namespace loom::jinja
